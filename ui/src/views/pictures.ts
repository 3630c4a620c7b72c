// Pictures for the loupe and compare: which URL shows a photo fitted or at
// 100 %, a small cache of decoded pictures, and scrolling a zoomed picture
// to its sharpest part.
import type { Backend } from "../backend";
import type { Entry } from "../types";

const WEB_VIEWABLE = /\.(jpe?g|png|webp|gif|bmp)$/i;
const IMAGE_CACHE = 16;

export function loupeUrl(backend: Backend, e: Entry) {
  return backend.previewUrl(e.content, "loupe");
}

/** The original where the web view can show it, else the preview. */
export function fullUrl(backend: Backend, e: Entry) {
  return WEB_VIEWABLE.test(e.name) ? backend.originalUrl(e.file_id) : loupeUrl(backend, e);
}

/** Decoded pictures, the latest few (the loupe decodes the next photos ahead). */
export class ImageCache {
  private images = new Map<string, Promise<HTMLImageElement>>();

  get(url: string, fallback?: string): Promise<HTMLImageElement> {
    let p = this.images.get(url);
    if (!p) {
      p = new Promise<HTMLImageElement>((resolve, reject) => {
        const img = new Image();
        img.decoding = "async";
        img.onload = () => img.decode().then(() => resolve(img), () => resolve(img));
        img.onerror = () => (fallback ? this.get(fallback).then(resolve, reject) : reject(new Error("no picture")));
        img.src = url;
      });
      this.images.set(url, p);
      p.catch(() => this.images.delete(url));
      while (this.images.size > IMAGE_CACHE) {
        const oldest = this.images.keys().next().value as string;
        this.images.delete(oldest);
      }
    }
    return p;
  }

  clear() {
    this.images.clear();
  }
}

export function scrollToSharpest(frame: HTMLElement, img: HTMLImageElement, e: Entry) {
  const [sx, sy] = e.sharpest ?? [0.5, 0.5];
  const place = () => {
    frame.scrollLeft = sx * img.naturalWidth - frame.clientWidth / 2;
    frame.scrollTop = sy * img.naturalHeight - frame.clientHeight / 2;
  };
  if (img.complete) place();
  else img.addEventListener("load", place, { once: true });
}
