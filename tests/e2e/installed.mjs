// The installed app starts and shows the library screen (tests/e2e/installed).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Builder, Capabilities } from "selenium-webdriver";

const { E2E_DRIVER, E2E_APP, E2E_CATALOG, E2E_CACHE, E2E_OUT } = process.env;
const caps = new Capabilities();
caps.setBrowserName("wry");
caps.set("tauri:options", { application: E2E_APP, args: ["--catalog", E2E_CATALOG, "--cache-dir", E2E_CACHE] });
const driver = await new Builder().withCapabilities(caps).usingServer(E2E_DRIVER).build();
try {
  let text = "";
  for (let i = 0; i < 300 && !text.includes("Folders"); i++) {
    text = await driver.executeScript(`const l = document.querySelector("#library"); return l && !l.classList.contains("hidden") && document.querySelector("#catalog-info").textContent ? l.innerText : "";`);
    if (!text.includes("Folders")) await new Promise((r) => setTimeout(r, 100));
  }
  if (!text.includes("Home Media AI") || !text.includes("Folders") || !text.includes("sqlite catalogue")) throw new Error(`no library screen: ${text}`);
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(join(E2E_OUT, "0-installed-library.png"), await driver.takeScreenshot(), "base64");
  console.log(`installed: the library screen shows (${join(E2E_OUT, "0-installed-library.png")})`);
} finally {
  await driver.quit().catch(() => {});
}
