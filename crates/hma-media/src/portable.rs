//! Paths and file names that differ between Windows, macOS and Linux, as
//! plain string functions so every platform's rules are unit-tested on every
//! platform (the app runs on all three; CI runs the tests on Linux).
//!
//! - Windows' `canonicalize` answers verbatim paths (`\\?\D:\Photos`,
//!   `\\?\UNC\nas\photos`): [`simplify_verbatim`] gives the path a person
//!   types and sees.
//! - Windows paths compare without regard to case or separator (`D:\Photos`
//!   is `d:/photos`), and a share is `\\server\share`: [`relative_to`].
//! - A copy's name must be valid on the disk it goes to — often an exFAT or
//!   NTFS stick whatever the machine: [`portable_file_name`] (no `<>:"/\|?*`
//!   or control characters, no device names such as `CON` or `COM1`, no
//!   trailing dot or space, at most 255 bytes with the extension kept).

use std::borrow::Cow;

/// `\\?\C:\x` → `C:\x`, `\\?\UNC\server\share\x` → `\\server\share\x`;
/// any other path as it is.
pub fn simplify_verbatim(p: &str) -> Cow<'_, str> {
    if let Some(rest) = p.strip_prefix(r"\\?\UNC\") {
        return Cow::Owned(format!(r"\\{rest}"));
    }
    if let Some(rest) = p.strip_prefix(r"\\?\") {
        let b = rest.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return Cow::Owned(rest.to_string());
        }
    }
    Cow::Borrowed(p)
}

/// The components of a path as Windows reads it: either separator, a
/// verbatim prefix simplified, empty and `.` parts dropped; the first part
/// of a share is `\\server\share` as one.
fn windows_parts(p: &str) -> Vec<String> {
    let p = simplify_verbatim(p);
    let (head, rest) = match p.strip_prefix(r"\\").or_else(|| p.strip_prefix("//")) {
        Some(share) => {
            let mut it = share.splitn(3, ['\\', '/']);
            let server = it.next().unwrap_or_default();
            let name = it.next().unwrap_or_default();
            (Some(format!(r"\\{server}\{name}")), it.next().unwrap_or_default().to_string())
        }
        None => (None, p.into_owned()),
    };
    head.into_iter().chain(rest.split(['\\', '/']).filter(|s| !s.is_empty() && *s != ".").map(str::to_string)).collect()
}

/// `path` relative to `root` in the catalogue's form (`/`-separated), when
/// it lies inside it. With `windows`, as Windows compares: case-insensitive,
/// `\` or `/`, verbatim prefixes and shares understood. Otherwise byte for
/// byte by whole components (`/photos` does not hold `/photos2`).
pub fn relative_to(root: &str, path: &str, windows: bool) -> Option<String> {
    let (r, p): (Vec<String>, Vec<String>) = if windows {
        (windows_parts(root), windows_parts(path))
    } else {
        let split = |s: &str| s.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::to_string).collect();
        if root.starts_with('/') != path.starts_with('/') {
            return None;
        }
        (split(root), split(path))
    };
    if p.len() < r.len() {
        return None;
    }
    let same = |a: &String, b: &String| if windows { a.to_lowercase() == b.to_lowercase() } else { a == b };
    if !r.iter().zip(&p).all(|(a, b)| same(a, b)) {
        return None;
    }
    Some(p[r.len()..].join("/"))
}

/// The longest file name most file systems take (ext4, NTFS, exFAT, APFS), in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// `name` made valid on Windows, macOS and Linux file systems alike:
/// characters Windows refuses become `_`, a device name gets `_` after its
/// stem (`CON.jpg` → `CON_.jpg`), trailing dots and spaces go, and a name
/// longer than [`MAX_NAME_BYTES`] is shortened before its extension (at a
/// character boundary). A name that is already fine comes back unchanged.
pub fn portable_file_name(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_control() || r#"<>:"/\|?*"#.contains(c) { '_' } else { c }).collect();
    while s.ends_with('.') || s.ends_with(' ') {
        s.pop();
    }
    if s.is_empty() {
        s.push('_');
    }
    let (stem, ext) = match s.rfind('.') {
        Some(i) if i > 0 => (s[..i].to_string(), s[i..].to_string()),
        _ => (s.clone(), String::new()),
    };
    // CON, PRN, AUX, NUL, COM1–9, LPT1–9 (any case; also with an extension).
    let upper = stem.trim_end().to_ascii_uppercase();
    let device = matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit()
            && upper.as_bytes()[3] != b'0');
    let mut stem = if device { format!("{stem}_") } else { stem };
    if stem.len() + ext.len() > MAX_NAME_BYTES {
        let keep = MAX_NAME_BYTES.saturating_sub(ext.len());
        let mut cut = keep.min(stem.len());
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    stem + &ext
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_paths_are_simplified() {
        assert_eq!(simplify_verbatim(r"\\?\D:\Photos\2024"), r"D:\Photos\2024");
        assert_eq!(simplify_verbatim(r"\\?\UNC\nas\family\Photos"), r"\\nas\family\Photos");
        assert_eq!(simplify_verbatim(r"\\?\Volume{1234}\x"), r"\\?\Volume{1234}\x");
        assert_eq!(simplify_verbatim("/home/anna/Pictures"), "/home/anna/Pictures");
    }

    #[test]
    fn windows_paths_compare_as_windows_does() {
        let w = |root, path| relative_to(root, path, true);
        assert_eq!(w(r"D:\Photos", r"d:\photos\2024\IMG_1.JPG").as_deref(), Some("2024/IMG_1.JPG"));
        assert_eq!(w(r"D:\Photos", "D:/Photos/2024/a.jpg").as_deref(), Some("2024/a.jpg"));
        assert_eq!(w(r"\\?\D:\Photos", r"D:\PHOTOS\a.jpg").as_deref(), Some("a.jpg"));
        assert_eq!(w(r"D:\Photos", r"\\?\D:\Photos\a.jpg").as_deref(), Some("a.jpg"));
        assert_eq!(w(r"\\NAS\Family", r"\\nas\family\2024\a.jpg").as_deref(), Some("2024/a.jpg"));
        assert_eq!(w(r"\\?\UNC\nas\family", r"\\nas\family\a.jpg").as_deref(), Some("a.jpg"));
        assert_eq!(w(r"D:\Photos", r"E:\Photos\a.jpg"), None, "another drive");
        assert_eq!(w(r"D:\Photos", r"D:\Photos2\a.jpg"), None, "a longer name is not inside");
        assert_eq!(w(r"\\nas\family", r"\\nas\familyphotos\a.jpg"), None);
        assert_eq!(w(r"D:\Photos", r"D:\Photos").as_deref(), Some(""));
        // Unicode case folding (Windows compares names case-insensitively).
        assert_eq!(w(r"D:\Ärger", r"d:\ärger\x.jpg").as_deref(), Some("x.jpg"));
    }

    #[test]
    fn unix_paths_compare_byte_for_byte() {
        let u = |root, path| relative_to(root, path, false);
        assert_eq!(u("/home/anna/Pictures", "/home/anna/Pictures/2024/a.jpg").as_deref(), Some("2024/a.jpg"));
        assert_eq!(u("/home/anna/Pictures", "/home/anna/pictures/a.jpg"), None, "case matters here");
        assert_eq!(u("/photos", "/photos2/a.jpg"), None);
        assert_eq!(u("/photos/", "/photos//x/./a.jpg").as_deref(), Some("x/a.jpg"));
        assert_eq!(u("/photos", "photos/a.jpg"), None, "relative is not inside an absolute root");
        assert_eq!(
            u("/Volumes/Photos", "/Volumes/Photos/a\\b.jpg").as_deref(),
            Some("a\\b.jpg"),
            "\\ is a character on Unix"
        );
    }

    #[test]
    fn file_names_valid_everywhere() {
        assert_eq!(portable_file_name("2024-05_IMG_0001.JPG"), "2024-05_IMG_0001.JPG");
        assert_eq!(portable_file_name("Anna: 5 years?.jpg"), "Anna_ 5 years_.jpg");
        assert_eq!(portable_file_name("a<b>c|d\"e*f.heic"), "a_b_c_d_e_f.heic");
        assert_eq!(portable_file_name("tab\there.jpg"), "tab_here.jpg");
        assert_eq!(portable_file_name("CON.jpg"), "CON_.jpg");
        assert_eq!(portable_file_name("com1.JPG"), "com1_.JPG");
        assert_eq!(portable_file_name("LPT9"), "LPT9_");
        assert_eq!(portable_file_name("COM0.jpg"), "COM0.jpg", "COM0 is no device");
        assert_eq!(portable_file_name("CONCERT.jpg"), "CONCERT.jpg");
        assert_eq!(portable_file_name("holiday. "), "holiday");
        assert_eq!(portable_file_name("..."), "_");
        let long = format!("{}.jpeg", "ä".repeat(200));
        let short = portable_file_name(&long);
        assert!(short.len() <= MAX_NAME_BYTES && short.ends_with(".jpeg"), "{} bytes", short.len());
        assert!(short.starts_with("ää"));
    }
}
