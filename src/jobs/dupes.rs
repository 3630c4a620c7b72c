//! Exact duplicates: present files with identical content, grouped across
//! roots, each group with a keeper chosen by a rule a person can check.
//!
//! The keeper is the most original copy. In order:
//! 1. not in a root marked as a backup (`hma root add --backup`);
//! 2. not named like a copy (` (1)`, `_copy`, `Copy of`, `-1` after the stem);
//! 3. seen first by the catalogue (the copy that was there before);
//! 4. the shortest path (fewer folders in), then the lowest id, so the
//!    choice is stable.
//!
//! Exact copies share their bytes, so "richest EXIF" and "not a
//! re-encode" cannot tell them apart; those rules decide among near
//! duplicates, which the analysis issue adds.

use std::collections::HashMap;

use hma_catalog::Catalog;
use hma_media::ContentHash;
use serde::Serialize;

use crate::report::Places;
use crate::Result;

/// A group as `hma dupes --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct DupeGroup {
    /// Content hash (hex).
    pub hash: String,
    /// Path of the copy to keep.
    pub keeper: String,
    /// Every copy, keeper first.
    pub files: Vec<String>,
    /// Why the keeper won.
    pub why: String,
}

/// What the keeper rule looks at.
struct Member {
    id: i64,
    root_id: i64,
    rel_path: String,
    first_seen_ms: i64,
}

/// True when a file name looks like a copy of another.
pub fn looks_like_copy(rel_path: &str) -> bool {
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path).to_lowercase();
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    stem.contains("copy")
        || stem.contains("kopie")
        || stem.ends_with(')')
            && stem.rfind(" (").is_some_and(|i| stem[i + 2..stem.len() - 1].chars().all(|c| c.is_ascii_digit()))
        || stem.rsplit_once(['_', '-']).is_some_and(|(_, n)| n.len() == 1 && n.chars().all(|c| c.is_ascii_digit()))
}

/// All duplicate groups, largest first.
pub fn groups(cat: &mut Catalog, places: &Places) -> Result<Vec<DupeGroup>> {
    let rows = cat.dupe_members()?;
    let backup: HashMap<i64, bool> = cat.roots("")?.into_iter().map(|(r, _)| (r.id, r.is_backup)).collect();
    let mut by_hash: HashMap<ContentHash, Vec<Member>> = HashMap::new();
    for m in rows {
        by_hash.entry(m.content_hash).or_default().push(Member {
            id: m.file_id,
            root_id: m.root_id,
            rel_path: m.rel_path,
            first_seen_ms: m.first_seen_ms,
        });
    }
    let mut out: Vec<DupeGroup> = by_hash
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(hash, mut files)| {
            let key = |f: &Member| {
                (
                    backup.get(&f.root_id).copied().unwrap_or(false),
                    looks_like_copy(&f.rel_path),
                    f.first_seen_ms,
                    f.rel_path.matches('/').count(),
                    f.rel_path.len(),
                    f.rel_path.clone(),
                    f.id,
                )
            };
            files.sort_by_cached_key(key);
            let k = &files[0];
            let rest = &files[1..];
            let mut reasons = Vec::new();
            if rest.iter().any(|f| backup.get(&f.root_id).copied().unwrap_or(false))
                && !backup.get(&k.root_id).copied().unwrap_or(false)
            {
                reasons.push("not in a backup root".to_string());
            }
            if rest.iter().any(|f| looks_like_copy(&f.rel_path)) && !looks_like_copy(&k.rel_path) {
                reasons.push("its name is not a copy's".to_string());
            }
            if rest.iter().any(|f| f.first_seen_ms > k.first_seen_ms) {
                reasons.push("catalogued first".to_string());
            }
            if reasons.is_empty() {
                reasons.push("shortest path (copies are otherwise equal)".to_string());
            }
            DupeGroup {
                hash: hash.to_hex(),
                keeper: places.path_in(k.root_id, &k.rel_path),
                files: files.iter().map(|f| places.path_in(f.root_id, &f.rel_path)).collect(),
                why: format!("keeper of {} identical copies: {}", files.len(), reasons.join("; ")),
            }
        })
        .collect();
    out.sort_by(|a, b| b.files.len().cmp(&a.files.len()).then_with(|| a.keeper.cmp(&b.keeper)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::looks_like_copy;

    #[test]
    fn copy_names() {
        for n in ["a/IMG_4120 (1).JPG", "IMG_4120_copy.JPG", "Copy of x.jpg", "IMG_1-1.jpg", "x_2.jpg"] {
            assert!(looks_like_copy(n), "{n}");
        }
        for n in ["IMG_4120.JPG", "2015-02-04.jpg", "holiday (beach).jpg", "DSC_0012.jpg"] {
            assert!(!looks_like_copy(n), "{n}");
        }
    }
}
