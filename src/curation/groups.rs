//! Near-duplicate, burst and exact-copy groups, each with its best picture
//! and the reason it won.
//!
//! - exact: the same bytes (same content hash);
//! - near: DCT hashes of the pictures as displayed within [`NEAR_RADIUS`]
//!   bits (resized, recompressed, re-exported, small crops and tone edits),
//!   or within [`TURNED_RADIUS`] for one of the picture's seven
//!   rotations/mirrors (a copy shown sideways);
//! - burst: same camera (make, model, serial), shot within
//!   [`BURST_GAP_MS`] of the previous frame, and looking alike (hashes
//!   within [`BURST_RADIUS`] bits).
//!
//! Links are joined transitively (union–find). Neighbours come from a
//! multi-index hash table and bursts from one sort by camera and time, so
//! the whole rebuild is O(n log n) at a million pictures, never all pairs.

use std::collections::HashMap;

use hma_catalog::{Catalog, ContentHash, GroupKind, GroupRow, MemberRow};
use hma_vision::phash::{distance, HashIndex};
use serde::Serialize;

use crate::{JobContext, Result};

/// Largest hash distance (of 64 bits) for a near duplicate. Every
/// near-duplicate pair of the development ground truth that a hash can see
/// is within 6; 7 keeps the index query at one bit per 16-bit slice (the
/// cost grows eightfold at 8).
pub const NEAR_RADIUS: u32 = 7;
/// Largest distance for a copy shown turned or mirrored (its orientation
/// tag lost without its pixels being turned): the same picture, so the match
/// is tight, and the query probes one bucket per slice.
pub const TURNED_RADIUS: u32 = 3;
/// Largest hash distance for frames of one burst.
pub const BURST_RADIUS: u32 = 22;
/// Largest gap between consecutive frames of a burst.
pub const BURST_GAP_MS: i64 = 2_000;

const PAGE: i64 = 5_000;
/// Groups ranked with one read of their files' rows and scores.
const RANK_SLICE: usize = 1_000;

/// What a rebuild found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupSummary {
    pub groups: u64,
    pub exact: u64,
    pub near: u64,
    pub burst: u64,
    /// Pictures in some group.
    pub grouped_files: u64,
}

/// One analysed picture, compactly (a million fit in ~50 MB).
struct Node {
    file_id: i64,
    content_hash: ContentHash,
    capture_id: Option<i64>,
    phash: Option<u64>,
    score: f64,
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi as usize] = lo;
        }
    }
}

/// Recomputes every group and stores them with `signature`.
pub fn rebuild(cat: &mut Catalog, ctx: &JobContext, signature: &str) -> Result<GroupSummary> {
    ctx.progress.stage("group", None);
    // Pass 1: every analysed present picture, and the hash index.
    let mut nodes: Vec<Node> = Vec::new();
    let mut hashes: Vec<u64> = Vec::new();
    let mut slot_of_hash: Vec<u32> = Vec::new(); // index id → node
    let mut after = 0;
    loop {
        let page = cat.group_inputs_page(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.file_id;
        for g in page {
            let i = nodes.len() as u32;
            let phash = g.phash.map(|h| h as u64);
            if let Some(h) = phash {
                hashes.push(h);
                slot_of_hash.push(i);
            }
            nodes.push(Node {
                file_id: g.file_id,
                content_hash: g.content_hash,
                capture_id: g.capture_id,
                phash,
                score: g.score.unwrap_or(0.0),
            });
        }
    }
    let index = HashIndex::build(hashes);
    let n = nodes.len();
    let mut uf = UnionFind((0..n as u32).collect());
    let mut burst_edge = vec![false; n];
    // (Each set's root is its lowest index whatever the order of the
    // unions, so the groups do not depend on it.)

    // Exact copies: runs of one content hash (sorted indices, 4 bytes a
    // picture; a hash map of the contents took ten times that).
    let mut by_content: Vec<u32> = (0..n as u32).collect();
    by_content.sort_unstable_by_key(|&i| (nodes[i as usize].content_hash, i));
    for w in by_content.windows(2) {
        if nodes[w[0] as usize].content_hash == nodes[w[1] as usize].content_hash {
            uf.union(w[0], w[1]);
        }
    }
    drop(by_content);

    // Near duplicates (pass 2 over the pages for the rotated hashes). The
    // nodes are in file id order (the pages are), so a file's node is
    // found by a binary search.
    after = 0;
    loop {
        let page = cat.group_inputs_page(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.file_id;
        for g in page {
            let Some(h) = g.phash else { continue };
            let Ok(i) = nodes.binary_search_by_key(&g.file_id, |n| n.file_id) else { continue };
            let i = i as u32;
            let mut queries = vec![(h as u64, NEAR_RADIUS)];
            queries.extend(g.phash_turns.map(|t| t.0).unwrap_or_default().into_iter().map(|t| (t, TURNED_RADIUS)));
            for (q, radius) in queries {
                for (id, _) in index.within(q, radius) {
                    uf.union(i, slot_of_hash[id as usize]);
                }
            }
        }
        if ctx.cancelled() {
            return Err(crate::EngineError::Cancelled);
        }
    }
    drop(index);
    drop(slot_of_hash);

    // Bursts: sort by camera and time, link consecutive alike frames. The
    // captures' cameras and times are read in batches and put straight
    // into the sort's list, each picture of a capture found by a binary
    // search in (capture, picture) order.
    let mut by_capture: Vec<(i64, u32)> =
        nodes.iter().enumerate().filter_map(|(i, n)| Some((n.capture_id?, i as u32))).collect();
    by_capture.sort_unstable();
    let cap_ids: Vec<i64> = {
        let mut v: Vec<i64> = by_capture.iter().map(|&(c, _)| c).collect();
        v.dedup();
        v
    };
    // Camera names interned: a million captures share a few dozen bodies.
    let mut cameras: HashMap<String, u32> = HashMap::new();
    let mut timed: Vec<(u32, i64, u32)> = Vec::new();
    for chunk in cap_ids.chunks(hma_catalog::BATCH) {
        for c in cat.captures_by_ids(chunk)? {
            let f = &c.fields;
            if let (Some(t), Some(model)) = (f.taken_local_ms, f.model.as_ref()) {
                let camera = format!(
                    "{}\u{1}{}\u{1}{}",
                    f.make.as_deref().unwrap_or(""),
                    model,
                    f.serial.as_deref().unwrap_or("")
                );
                let next = cameras.len() as u32;
                let cam = *cameras.entry(camera).or_insert(next);
                let from = by_capture.partition_point(|&(cap, _)| cap < c.id);
                for &(_, i) in by_capture[from..].iter().take_while(|&&(cap, _)| cap == c.id) {
                    timed.push((cam, t, i));
                }
            }
        }
    }
    drop(cap_ids);
    drop(by_capture);
    timed.sort_unstable();
    for w in timed.windows(2) {
        let ((ca, ta, a), (cb, tb, b)) = (w[0], w[1]);
        if ca != cb || tb - ta > BURST_GAP_MS {
            continue;
        }
        // Files of one capture (RAW + JPEG) are one frame, not a burst.
        if nodes[a as usize].capture_id == nodes[b as usize].capture_id {
            continue;
        }
        if let (Some(ha), Some(hb)) = (nodes[a as usize].phash, nodes[b as usize].phash) {
            if distance(ha, hb) <= BURST_RADIUS {
                uf.union(a, b);
                burst_edge[a as usize] = true;
                burst_edge[b as usize] = true;
            }
        }
    }
    drop(timed);

    // Collect the groups (two or more files): (root, picture) pairs
    // sorted, 8 bytes a picture, where a map of member lists made a list
    // for every picture. A set's root is its lowest member, so the groups
    // come out in the order of their first member.
    let mut sets: Vec<(u32, u32)> = (0..n as u32).map(|i| (uf.find(i), i)).collect();
    drop(uf);
    sets.sort_unstable();
    let groups: Vec<Vec<u32>> =
        sets.chunk_by(|a, b| a.0 == b.0).filter(|m| m.len() > 1).map(|m| m.iter().map(|&(_, i)| i).collect()).collect();
    drop(sets);

    // Ranked a thousand groups at a time: what ranking and the reasons
    // read of the grouped files (their rows, detections and analyses) is
    // held for one slice only.
    let mut summary = GroupSummary::default();
    let mut rows = Vec::with_capacity(groups.len());
    let mut member_rows = Vec::new();
    let mut gi = 0i64;
    for slice in groups.chunks(RANK_SLICE) {
        let grouped_ids: Vec<i64> = slice.iter().flatten().map(|&i| nodes[i as usize].file_id).collect();
        let mut ranker = Ranker::new(cat, &grouped_ids)?;
        for m in slice {
            let mut m = m.clone();
            gi += 1;
            let all_same = m.iter().all(|&i| nodes[i as usize].content_hash == nodes[m[0] as usize].content_hash);
            let kind = if all_same {
                GroupKind::Exact
            } else if m.iter().any(|&i| burst_edge[i as usize]) {
                GroupKind::Burst
            } else {
                GroupKind::Near
            };
            match kind {
                GroupKind::Exact => summary.exact += 1,
                GroupKind::Burst => summary.burst += 1,
                GroupKind::Near => summary.near += 1,
            }
            summary.grouped_files += m.len() as u64;
            let (row, members) = ranker.rank(cat, &nodes, &mut m, gi, kind)?;
            rows.push(row);
            member_rows.extend(members);
        }
        if ctx.cancelled() {
            return Err(crate::EngineError::Cancelled);
        }
    }
    summary.groups = rows.len() as u64;
    let now = ctx.now();
    cat.transaction(|c| c.replace_groups(&rows, &member_rows, signature, now))?;
    Ok(summary)
}

/// Orders the members of groups best first and words why the best won:
/// the one rule for a full rebuild and for re-ranking after scores changed.
struct Ranker {
    info: HashMap<i64, hma_catalog::FileRow>,
    backup: HashMap<i64, bool>,
    parts: HashMap<ContentHash, Option<hma_catalog::AnalysisRow>>,
    /// What the detectors found in the grouped pictures (their faces decide
    /// between frames).
    found: HashMap<ContentHash, hma_vision::score::Found>,
}

impl Ranker {
    /// Reads what ranking needs of these files.
    fn new(cat: &mut Catalog, file_ids: &[i64]) -> Result<Ranker> {
        let mut info = HashMap::new();
        for chunk in file_ids.chunks(hma_catalog::BATCH) {
            for f in cat.files_by_ids(chunk)? {
                info.insert(f.id, f);
            }
        }
        let backup = cat.roots("")?.into_iter().map(|(r, _)| (r.id, r.is_backup)).collect();
        let mut hashes: Vec<ContentHash> = info.values().filter_map(|f| f.content_hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let found = crate::scoring::founds_of(cat, &hashes)?;
        Ok(Ranker { info, backup, parts: HashMap::new(), found })
    }

    /// Sorts group `id`'s members `m` (indices into `nodes`) best first:
    /// score, then the keeper rule of exact copies; returns its rows.
    fn rank(
        &mut self,
        cat: &mut Catalog,
        nodes: &[Node],
        m: &mut [u32],
        id: i64,
        kind: GroupKind,
    ) -> Result<(GroupRow, Vec<MemberRow>)> {
        let (info, backup) = (&self.info, &self.backup);
        let key = |i: &u32| {
            let node = &nodes[*i as usize];
            let f = info.get(&node.file_id);
            let rel = f.map(|f| f.rel_path.as_str()).unwrap_or("");
            (
                std::cmp::Reverse(ordered(node.score)),
                f.is_some_and(|f| backup.get(&f.root_id).copied().unwrap_or(false)),
                crate::dupes::looks_like_copy(rel),
                f.map_or(0, |f| f.first_seen_ms),
                rel.matches('/').count(),
                rel.len(),
                rel.to_string(),
                node.file_id,
            )
        };
        m.sort_by_cached_key(key);
        let by_faces = if kind == GroupKind::Exact { None } else { self.by_faces(nodes, m) };
        let by_size = if kind == GroupKind::Exact { None } else { self.by_resolution(nodes, m, kind) };
        let why = match (by_size, by_faces) {
            (Some(why), _) => why,
            (None, Some((beaten, reason))) => {
                let name = |i: u32| file_name(&self.info, nodes[i as usize].file_id);
                format!(
                    "best of {} {}: {} ({:.2}) beats {} ({:.2}, the best overall score) face by face — {reason}",
                    m.len(),
                    members(kind),
                    name(m[0]),
                    nodes[m[0] as usize].score,
                    name(beaten),
                    nodes[beaten as usize].score
                )
            }
            (None, None) => explain_best(cat, nodes, m, &self.info, &mut self.parts, kind)?,
        };
        let row = GroupRow { id, kind, best_file_id: nodes[m[0] as usize].file_id, size: m.len() as i32, why };
        let members = m
            .iter()
            .enumerate()
            .map(|(rank, &i)| MemberRow {
                file_id: nodes[i as usize].file_id,
                group_id: id,
                member_rank: rank as i32 + 1,
            })
            .collect();
        Ok((row, members))
    }
}

/// How much lower a full-size picture may score than a much smaller copy
/// of it (a preview, a web export) and still lead their group.
pub const CLEARLY_WORSE: f64 = 0.10;

impl Ranker {
    /// Resolution counts: when the group's best has less than half the
    /// pixels of its largest member and that one scores less than
    /// [`CLEARLY_WORSE`] below it, the full-size picture leads (a 400×250
    /// preview of a wallpaper looks sharper than its 2560×1600 original at
    /// the size we measure, but only the original prints). Moves it first
    /// and says why; None when the best stays.
    fn by_resolution(&self, nodes: &[Node], m: &mut [u32], kind: GroupKind) -> Option<String> {
        let pixels = |i: u32| -> Option<i64> {
            let f = self.info.get(&nodes[i as usize].file_id)?;
            Some(f.width? as i64 * f.height? as i64)
        };
        let best = *m.first()?;
        let (at, large) = m
            .iter()
            .enumerate()
            .filter_map(|(k, &i)| Some((k, i, pixels(i)?)))
            .max_by(|a, b| a.2.cmp(&b.2).then(b.0.cmp(&a.0)))
            .map(|(k, i, _)| (k, i))?;
        let (pb, pl) = (pixels(best)?, pixels(large)?);
        let (sb, sl) = (nodes[best as usize].score, nodes[large as usize].score);
        if at == 0 || pl < 2 * pb || sl < sb - CLEARLY_WORSE {
            return None;
        }
        m[..=at].rotate_right(1);
        let describe = |i: u32| {
            let id = nodes[i as usize].file_id;
            let (w, h) = self.info.get(&id).map_or((0, 0), |f| (f.width.unwrap_or(0), f.height.unwrap_or(0)));
            let name = file_name(&self.info, id);
            format!("{name} ({w}×{h}, {:.1} MP, {:.2})", (w as f64 * h as f64) / 1e6, nodes[i as usize].score)
        };
        Some(format!(
            "best of {} {}: {} over {}: the full-size picture leads unless it scores {CLEARLY_WORSE:.2} or more below",
            m.len(),
            members(kind),
            describe(large),
            describe(best)
        ))
    }

    /// The frames compared with each other face by face
    /// (`hma_vision::score::compare_frames`: eyes, then sharp faces; the
    /// score order where faces do not decide), each ranked by how many of
    /// the others it beats. Reorders `m` (already in score order); returns
    /// the frame the new best displaced and why, when the faces changed the
    /// best.
    fn by_faces(&self, nodes: &[Node], m: &mut [u32]) -> Option<(u32, String)> {
        let empty = hma_vision::score::Found::default();
        let found = |i: u32| self.found.get(&nodes[i as usize].content_hash).unwrap_or(&empty);
        if m.iter().filter(|&&i| !found(i).faces.is_empty()).count() < 2 {
            return None;
        }
        let k = m.len();
        let mut wins = vec![0u32; k];
        for x in 0..k {
            for y in x + 1..k {
                let (a, b) = (m[x], m[y]);
                let decided = (nodes[a as usize].content_hash != nodes[b as usize].content_hash)
                    .then(|| hma_vision::score::compare_frames(found(a), found(b)))
                    .flatten();
                match decided {
                    Some((std::cmp::Ordering::Less, _)) => wins[y] += 1,
                    // Better face by face, or faces do not decide: the
                    // score order (x is ahead of y).
                    _ => wins[x] += 1,
                }
            }
        }
        let first = m[0];
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&p, &q| wins[q].cmp(&wins[p]).then(p.cmp(&q)));
        let reordered: Vec<u32> = order.iter().map(|&p| m[p]).collect();
        m.copy_from_slice(&reordered);
        if m[0] == first {
            return None;
        }
        let reason = hma_vision::score::compare_frames(found(m[0]), found(first)).map(|(_, w)| w)?;
        Some((first, reason))
    }
}

/// Re-ranks the groups holding these contents after their scores changed
/// (membership stays): each group's best, ranks and reason are rewritten.
pub fn rerank_contents(cat: &mut Catalog, hashes: &[ContentHash]) -> Result<u64> {
    let ids = cat.groups_of_contents(hashes)?;
    rerank(cat, &ids)
}

/// Re-ranks the groups holding these files (after a scan found them gone).
pub fn rerank_files(cat: &mut Catalog, file_ids: &[i64]) -> Result<u64> {
    let mut ids: Vec<i64> = cat.groups_of_files(file_ids)?.into_iter().map(|g| g.group_id).collect();
    ids.sort_unstable();
    ids.dedup();
    rerank(cat, &ids)
}

/// Re-ranks these groups from the stored scores.
pub fn rerank(cat: &mut Catalog, group_ids: &[i64]) -> Result<u64> {
    if group_ids.is_empty() {
        return Ok(0);
    }
    let groups = cat.groups_by_ids(group_ids)?;
    let members = cat.group_members(group_ids)?;
    let file_ids: Vec<i64> = members.iter().map(|m| m.file_id).collect();
    let mut ranker = Ranker::new(cat, &file_ids)?;
    let hashes: Vec<ContentHash> = ranker.info.values().filter_map(|f| f.content_hash).collect();
    // Scored contents only, as the full rebuild takes them.
    let scores: HashMap<ContentHash, f64> = cat
        .analyses_of(&hashes)?
        .into_iter()
        .filter_map(|a| {
            let s = a.scores.score.filter(|_| a.error.is_none())?;
            ranker.parts.insert(a.content_hash, Some(a.clone()));
            Some((a.content_hash, s))
        })
        .collect();
    let mut nodes = Vec::with_capacity(members.len());
    let mut of_group: HashMap<i64, Vec<u32>> = HashMap::new();
    for &MemberRow { group_id: g, file_id, .. } in &members {
        // Members the rebuild would not take (gone, changed to content not
        // analysed yet) leave the group until the next rebuild.
        let Some(f) = ranker.info.get(&file_id).filter(|f| !f.missing) else { continue };
        let Some((content_hash, &score)) = f.content_hash.and_then(|h| Some((h, scores.get(&h)?))) else { continue };
        of_group.entry(g).or_default().push(nodes.len() as u32);
        nodes.push(Node { file_id, content_hash, capture_id: f.capture_id, phash: None, score });
    }
    let mut rows = Vec::with_capacity(groups.len());
    let mut member_rows = Vec::with_capacity(members.len());
    for g in &groups {
        // A group left with one picture is no group.
        let Some(m) = of_group.get_mut(&g.id).filter(|m| m.len() > 1) else { continue };
        let (row, ms) = ranker.rank(cat, &nodes, m, g.id, g.kind)?;
        rows.push(row);
        member_rows.extend(ms);
    }
    cat.update_groups(group_ids, &rows, &member_rows)?;
    Ok(rows.len() as u64)
}

/// Scores as sortable integers (millionths).
fn ordered(score: f64) -> i64 {
    (score * 1e6).round() as i64
}

/// Why the first member beat the others.
/// A file's name (the last part of its path), for reasons; empty when unknown.
fn file_name(info: &HashMap<i64, hma_catalog::FileRow>, file_id: i64) -> String {
    info.get(&file_id).map(|f| f.rel_path.rsplit('/').next().unwrap_or(&f.rel_path).to_string()).unwrap_or_default()
}

/// What a group's members are called in its reason.
fn members(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Exact => "identical copies",
        GroupKind::Burst => "frames of one burst",
        GroupKind::Near => "near duplicates",
    }
}

fn explain_best(
    cat: &mut Catalog,
    nodes: &[Node],
    m: &[u32],
    info: &HashMap<i64, hma_catalog::FileRow>,
    parts: &mut HashMap<ContentHash, Option<hma_catalog::AnalysisRow>>,
    kind: GroupKind,
) -> Result<String> {
    let best = &nodes[m[0] as usize];
    let name = |id: i64| file_name(info, id);
    let what = members(kind);
    // The runner-up with different content (copies score the same).
    let Some(&second) = m.iter().find(|&&i| nodes[i as usize].content_hash != best.content_hash) else {
        let f = info.get(&best.file_id);
        let reason = if f.is_some_and(|f| !crate::dupes::looks_like_copy(&f.rel_path))
            && m[1..].iter().any(|&i| {
                info.get(&nodes[i as usize].file_id).is_some_and(|f| crate::dupes::looks_like_copy(&f.rel_path))
            }) {
            "not named like a copy"
        } else {
            "catalogued first"
        };
        return Ok(format!("{} {what}; keeping {}: {reason}", m.len(), name(best.file_id)));
    };
    let second = &nodes[second as usize];
    let mut fetch = |h: ContentHash| -> Result<Option<hma_catalog::AnalysisRow>> {
        if let Some(v) = parts.get(&h) {
            return Ok(v.clone());
        }
        let v = cat.analysis(h)?;
        parts.insert(h, v.clone());
        Ok(v)
    };
    let (a, b) = (fetch(best.content_hash)?, fetch(second.content_hash)?);
    let mut lead = String::new();
    if let (Some(a), Some(b)) = (a.map(|a| a.scores), b.map(|b| b.scores)) {
        let cmp = [
            ("eyes open", a.s_eyes, b.s_eyes),
            ("sharper", a.s_sharpness, b.s_sharpness),
            ("better exposed", a.s_exposure, b.s_exposure),
            ("less noisy", a.s_noise, b.s_noise),
            ("better BRISQUE", a.s_brisque, b.s_brisque),
            ("better composed", a.s_composition, b.s_composition),
            ("less compressed", a.s_compression, b.s_compression),
        ];
        let bestpart =
            cmp.iter().filter_map(|&(w, x, y)| Some((w, x?, y?))).max_by(|p, q| (p.1 - p.2).total_cmp(&(q.1 - q.2)));
        if let Some((w, x, y)) = bestpart {
            if x > y {
                lead = format!("; {w} ({x:.2} vs {y:.2})");
            }
        }
    }
    Ok(format!(
        "best of {} {what}: {} scores {:.2}, the next best ({}) {:.2}{lead}",
        m.len(),
        name(best.file_id),
        best.score,
        name(second.file_id),
        second.score
    ))
}
