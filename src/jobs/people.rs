//! `hma people`: who is in the photos. The faces' identity embeddings are
//! clustered ([`hma_faces::cluster`]: an HNSW index and Chinese whispers,
//! no pair-by-pair comparison); each cluster of two or more faces becomes
//! an unnamed person the user can name, merge, split or correct. Faces the
//! user confirmed hold their person and pull alike faces to them; a named
//! person absorbs a new face only when it is close to the mean of their
//! faces (cosine ≥ [`ABSORB`]), else it waits in a cluster as a suggestion.
//! Pets have no identity model here: they are named by hand from a dog or
//! cat box (`hma people pet`).

use std::collections::{HashMap, HashSet};

use hma_catalog::{Catalog, ContentHash, NewFace, PersonRow, Source};
use hma_faces::cluster::{chinese_whispers, mean, neighbour_graph, one_per_photo, settle, Code, Config, FREE};
use serde::Serialize;

use crate::report::Places;
use crate::{EngineError, JobContext, Result};

/// The model name of pets' boxes in the faces table (named by hand).
pub const PET_MODEL: &str = "pet";
/// Clusters smaller than this are no one yet (a stranger seen once).
pub const MIN_CLUSTER: usize = 2;
/// A face joins a named person by itself only when its cosine to the mean
/// of that person's faces is at least this. Same person on our 13-person
/// test set: 0.58 or more to the mean of their other photos; different
/// people 0.33 at most (docs/benchmarks.md).
pub const ABSORB: f32 = 0.45;
/// Faces less sure than this (the score's own cut) are left out of people.
pub const MIN_CONFIDENCE: f64 = hma_vision::score::FACE_CONFIDENCE;

/// What a clustering run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterSummary {
    /// Faces with an identity embedding considered.
    pub faces: u64,
    /// Faces the user confirmed (they keep their person).
    pub confirmed: u64,
    /// Faces the clustering put with a named person.
    pub absorbed: u64,
    /// Faces in unnamed clusters.
    pub clustered: u64,
    /// Unnamed clusters (two faces or more).
    pub clusters: u64,
    /// Named people and pets.
    pub named: u64,
    /// Edges of the neighbour graph.
    pub edges: u64,
    pub seconds: f64,
}

/// A face as the clustering sees it.
struct Item {
    id: i64,
    code: Code,
    quality: f64,
    photo: u64,
}

/// Clusters every face with an identity embedding, keeping what the user
/// decided; stores the result in one transaction and refreshes the
/// `people` taxonomy.
pub fn cluster(cat: &mut Catalog, ctx: &JobContext) -> Result<ClusterSummary> {
    let start = std::time::Instant::now();
    ctx.progress.stage("people", None);
    let mut items: Vec<Item> = Vec::new();
    let mut after = 0;
    loop {
        let page = cat.identity_page(crate::faces::MODEL_ID, MIN_CONFIDENCE, after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for f in page {
            if let Some(code) = Code::from_le_bytes(&f.embedding) {
                items.push(Item { id: f.id, code, quality: f.quality, photo: f.content_hash.0 });
            }
        }
        if ctx.cancelled() {
            return Err(EngineError::Cancelled);
        }
    }
    let mut confirmed: HashMap<i64, i64> = HashMap::new();
    let mut previous: HashMap<i64, i64> = HashMap::new();
    let mut rejected: HashMap<i64, Vec<u64>> = HashMap::new();
    let mut not_faces: HashSet<i64> = HashSet::new();
    for a in cat.assignments()? {
        match (Source::parse(&a.source), a.person_id) {
            (Some(Source::Confirmed), Some(p)) => {
                confirmed.insert(a.face_id, p);
            }
            (Some(Source::Auto), Some(p)) => {
                previous.insert(a.face_id, p);
            }
            (Some(Source::Rejected), Some(p)) => rejected.entry(a.face_id).or_default().push(p as u64),
            (Some(Source::Rejected), None) => {
                not_faces.insert(a.face_id);
            }
            _ => {}
        }
    }
    items.retain(|i| !not_faces.contains(&i.id));
    let people: HashMap<i64, PersonRow> = cat.people()?.into_iter().map(|p| (p.id, p)).collect();
    let cfg = Config::default();
    let codes: Vec<Code> = items.iter().map(|i| i.code).collect();
    let (graph, codes) = neighbour_graph(codes, &cfg);
    if ctx.cancelled() {
        return Err(EngineError::Cancelled);
    }
    let fixed: Vec<Option<u64>> = items.iter().map(|i| confirmed.get(&i.id).map(|&p| p as u64)).collect();
    let banned: HashMap<u32, Vec<u64>> =
        items.iter().enumerate().filter_map(|(n, i)| Some((n as u32, rejected.get(&i.id)?.clone()))).collect();
    let clusters = chinese_whispers(&graph, &cfg);
    let mut labels = settle(&clusters, &codes, &fixed, &banned, ABSORB);
    let photos: Vec<u64> = items.iter().map(|i| i.photo).collect();
    one_per_photo(&mut labels, &photos, &codes, &fixed);
    // Members by label.
    let mut groups: HashMap<u64, Vec<usize>> = HashMap::new();
    for (n, &l) in labels.iter().enumerate() {
        groups.entry(l).or_default().push(n);
    }
    let mut sum =
        ClusterSummary { faces: items.len() as u64, edges: graph.edges.len() as u64 / 2, ..Default::default() };
    let mut auto: Vec<(i64, i64, f64)> = Vec::new();
    let mut free_groups: Vec<Vec<usize>> = Vec::new();
    for (label, members) in groups {
        if label < FREE {
            let person = label as i64;
            let (held, rest): (Vec<usize>, Vec<usize>) = members.iter().partition(|&&n| fixed[n].is_some());
            sum.confirmed += held.len() as u64;
            let centre = mean(held.iter().map(|&n| &codes[n]));
            for n in rest {
                let s = centre.as_ref().map_or(0.0, |m| m.similarity(&codes[n]));
                auto.push((items[n].id, person, f64::from(1.0 - s)));
                sum.absorbed += 1;
            }
        } else if members.len() >= MIN_CLUSTER {
            free_groups.push(members);
        }
    }
    free_groups.sort();
    // Unnamed clusters keep their ids across runs: each takes the unnamed
    // row most of its faces were in before (largest overlaps first).
    let unnamed: HashSet<i64> = people.values().filter(|p| p.name.is_none()).map(|p| p.id).collect();
    let held_unnamed: HashSet<i64> = confirmed.values().copied().filter(|p| unnamed.contains(p)).collect();
    let mut overlaps: Vec<(usize, usize, i64)> = Vec::new();
    for (g, members) in free_groups.iter().enumerate() {
        let mut count: HashMap<i64, usize> = HashMap::new();
        for &n in members {
            if let Some(p) = previous.get(&items[n].id).filter(|p| unnamed.contains(p) && !held_unnamed.contains(p)) {
                *count.entry(*p).or_default() += 1;
            }
        }
        overlaps.extend(count.into_iter().map(|(p, c)| (c, g, p)));
    }
    overlaps.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut row_of: HashMap<usize, i64> = HashMap::new();
    let mut taken: HashSet<i64> = HashSet::new();
    for (_, g, p) in overlaps {
        if !row_of.contains_key(&g) && taken.insert(p) {
            row_of.insert(g, p);
        }
    }
    let now = ctx.now();
    let summary = cat.transaction(|cat| -> Result<ClusterSummary> {
        let mut covers: HashMap<i64, (f64, i64)> = HashMap::new();
        for (g, members) in free_groups.iter().enumerate() {
            let person = match row_of.get(&g) {
                Some(&p) => p,
                None => cat.add_person(None, "person", None, now)?,
            };
            taken.insert(person);
            let centre = mean(members.iter().map(|&n| &codes[n]));
            for &n in members {
                let s = centre.as_ref().map_or(0.0, |m| m.similarity(&codes[n]));
                auto.push((items[n].id, person, f64::from(1.0 - s)));
            }
            sum.clustered += members.len() as u64;
        }
        cat.replace_auto(&auto, now)?;
        // Unnamed rows nobody holds any more go.
        let stale: Vec<i64> =
            unnamed.iter().copied().filter(|p| !taken.contains(p) && !held_unnamed.contains(p)).collect();
        cat.delete_people(&stale)?;
        // Covers: the person's clearest face (detector confidence × size),
        // unless their cover is still one of their faces.
        let member_of: HashMap<i64, i64> =
            auto.iter().map(|&(f, p, _)| (f, p)).chain(confirmed.iter().map(|(&f, &p)| (f, p))).collect();
        for i in &items {
            if let Some(&p) = member_of.get(&i.id) {
                let c = covers.entry(p).or_insert((f64::MIN, i.id));
                if i.quality > c.0 {
                    *c = (i.quality, i.id);
                }
            }
        }
        let all = cat.people()?;
        let new_covers: Vec<(i64, Option<i64>)> = all
            .iter()
            .filter(|p| p.cover_face.is_none_or(|f| member_of.get(&f) != Some(&p.id)))
            .map(|p| (p.id, covers.get(&p.id).map(|c| c.1)))
            .collect();
        cat.set_covers(&new_covers)?;
        sum.named = all.iter().filter(|p| p.name.is_some()).count() as u64;
        sum.clusters = all.iter().filter(|p| p.name.is_none()).count() as u64;
        cat.sync_people_taxonomy(now)?;
        Ok(sum.clone())
    })?;
    let mut summary = summary;
    summary.seconds = (start.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    Ok(summary)
}

/// A person, pet or unnamed cluster as `hma people --json` lists them.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PersonSummary {
    pub id: i64,
    /// None for an unnamed cluster.
    pub name: Option<String>,
    /// person or pet.
    pub kind: String,
    /// Faces (auto and confirmed).
    pub faces: i64,
    /// YYYY-MM-DD.
    pub birthday: Option<String>,
    /// The face shown for them.
    pub cover: Option<i64>,
    /// The cover face's picture (content hash, 16 hex digits; the app asks
    /// for its preview) and its box there as shares of the picture `[x, y,
    /// w, h]`.
    pub cover_content: Option<String>,
    pub cover_box: Option<[f64; 4]>,
}

/// Everyone: named people and pets by name, then unnamed clusters, most
/// faces first.
pub fn list(cat: &mut Catalog) -> Result<Vec<PersonSummary>> {
    let counts = cat.people_face_counts()?;
    let people = cat.people()?;
    let cover_ids: Vec<i64> = people.iter().filter_map(|p| p.cover_face).collect();
    let covers: HashMap<i64, hma_catalog::FaceRow> =
        cat.faces_by_id(&cover_ids)?.into_iter().map(|f| (f.id, f)).collect();
    let mut out: Vec<PersonSummary> = people
        .into_iter()
        .map(|p| {
            let cover = p.cover_face.and_then(|f| covers.get(&f));
            PersonSummary {
                id: p.id,
                faces: counts.get(&p.id).copied().unwrap_or(0),
                name: p.name,
                kind: p.kind,
                birthday: p.birthday,
                cover: p.cover_face,
                cover_content: cover.map(|f| f.content_hash.to_hex()),
                cover_box: cover.map(|f| [f.box_x, f.box_y, f.box_w, f.box_h]),
            }
        })
        .collect();
    out.sort_by(|a, b| match (&a.name, &b.name) {
        (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.faces.cmp(&a.faces).then(a.id.cmp(&b.id)),
    });
    Ok(out)
}

/// A person's face as `hma people show` lists it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PersonFace {
    /// The face's id (what `reject`, `split` and `name --face` take).
    pub id: i64,
    /// A present file showing it.
    pub path: Option<String>,
    /// `[x, y, w, h]` in pixels of the picture as displayed.
    #[serde(rename = "box")]
    pub bbox: [f64; 4],
    /// The same box as shares of the picture.
    pub share: [f64; 4],
    /// The picture's content hash (16 hex digits: the app's previews).
    pub content: String,
    pub confidence: f64,
    /// auto or confirmed.
    pub source: String,
    /// 1 − cosine to the mean of the person's faces (auto faces).
    pub distance: Option<f64>,
    /// open, closed or unsure.
    pub eyes: String,
}

/// A person with their faces (`hma people show`).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PersonDetail {
    pub id: i64,
    pub name: Option<String>,
    pub kind: String,
    pub birthday: Option<String>,
    pub cover: Option<i64>,
    pub faces: Vec<PersonFace>,
}

/// A person by id (digits) or name.
pub fn resolve(cat: &mut Catalog, who: &str) -> Result<PersonRow> {
    if let Ok(id) = who.parse::<i64>() {
        if let Some(p) = cat.person(id)? {
            return Ok(p);
        }
    }
    cat.person_named(who)?
        .ok_or_else(|| EngineError::NotFound(format!("nobody called or numbered {who:?} (see `hma people`)")))
}

/// One person with their faces, best first.
pub fn show(cat: &mut Catalog, places: &Places, who: &str) -> Result<PersonDetail> {
    let p = resolve(cat, who)?;
    let faces = cat.faces_of_person(p.id)?;
    let hashes: Vec<(ContentHash, f64)> = faces.iter().map(|(f, _)| (f.content_hash, 0.0)).collect();
    let mut path_of: HashMap<ContentHash, String> = HashMap::new();
    for f in cat.files_of_contents(&hashes, None)? {
        path_of.entry(f.content_hash).or_insert_with(|| places.path_in(f.root_id, &f.rel_path));
    }
    let sizes = picture_sizes(cat, &faces.iter().map(|(f, _)| f.content_hash).collect::<Vec<_>>())?;
    let faces = faces
        .into_iter()
        .map(|(f, a)| {
            let (w, h) = sizes.get(&f.content_hash).copied().unwrap_or((1.0, 1.0));
            PersonFace {
                id: f.id,
                path: path_of.get(&f.content_hash).cloned(),
                bbox: pixels(&f, (w, h)),
                share: [f.box_x, f.box_y, f.box_w, f.box_h],
                content: f.content_hash.to_hex(),
                confidence: f.confidence,
                source: a.source,
                distance: a.distance.map(|d| (d * 1000.0).round() / 1000.0),
                eyes: f.eyes,
            }
        })
        .collect();
    Ok(PersonDetail { id: p.id, name: p.name, kind: p.kind, birthday: p.birthday, cover: p.cover_face, faces })
}

/// The pictures' sizes as displayed (from the faces job's runs, or the
/// run recorded with a pet's box).
fn picture_sizes(cat: &mut Catalog, hashes: &[ContentHash]) -> Result<HashMap<ContentHash, (f64, f64)>> {
    let mut hashes = hashes.to_vec();
    hashes.sort_unstable();
    hashes.dedup();
    let mut out = HashMap::new();
    for model in [PET_MODEL, crate::faces::MODEL_ID] {
        for r in cat.face_runs_of(&hashes, model)?.into_iter().filter(|r| r.width > 0) {
            out.insert(r.content_hash, (f64::from(r.width), f64::from(r.height)));
        }
    }
    Ok(out)
}

/// A face's box in pixels (0.1 px).
pub fn pixels(f: &hma_catalog::FaceRow, (w, h): (f64, f64)) -> [f64; 4] {
    let px = |v: f64, side: f64| (v * side * 10.0).round() / 10.0;
    [px(f.box_x, w), px(f.box_y, h), px(f.box_w, w), px(f.box_h, h)]
}

/// What a naming, merge, split or rejection changed.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Changed {
    /// The person now holding the faces (None after a rejection).
    pub person: Option<PersonSummary>,
    /// Faces whose person changed.
    pub faces: u64,
    /// Photos whose stored score changed (a face taken out of the score by
    /// a rejection; a name changes no score).
    pub rescored: u64,
    /// XMP sidecars that could not be updated with the new names (once per
    /// folder; roots with sidecars on only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub sidecar_errors: Vec<String>,
}

fn summary_of(cat: &mut Catalog, id: i64) -> Result<Option<PersonSummary>> {
    Ok(list(cat)?.into_iter().find(|p| p.id == id))
}

/// Checks a birthday (YYYY-MM-DD, a real date).
pub fn parse_birthday(s: &str) -> Result<String> {
    let bad = || EngineError::Invalid(format!("birthday {s:?}: use YYYY-MM-DD"));
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let (y, m, d): (i32, u32, u32) = (
        parts[0].parse().map_err(|_| bad())?,
        parts[1].parse().map_err(|_| bad())?,
        parts[2].parse().map_err(|_| bad())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d == 0 || d > days[(m - 1) as usize] {
        return Err(bad());
    }
    Ok(s.to_string())
}

fn check_name(name: &str) -> Result<&str> {
    let n = name.trim();
    if n.is_empty() || n.len() > 190 || n.chars().all(|c| c.is_ascii_digit()) {
        return Err(EngineError::Invalid(format!(
            "{name:?} cannot be a name (empty, too long, or only digits, which would read as an id)"
        )));
    }
    Ok(n)
}

/// `hma people name ID NAME`: names a cluster or renames a person; when
/// someone else already has the name, the cluster joins them. Its faces
/// become confirmed (the user looked at them).
pub fn name(cat: &mut Catalog, ctx: &JobContext, who: &str, name: &str, born: Option<&str>) -> Result<Changed> {
    let name = check_name(name)?;
    let born = born.map(parse_birthday).transpose()?;
    let p = resolve(cat, who)?;
    let faces: Vec<i64> = cat.faces_of_person(p.id)?.iter().map(|(f, _)| f.id).collect();
    let target = match cat.person_named(name)?.filter(|o| o.name.as_deref() == Some(name)) {
        Some(other) if other.id != p.id => {
            cat.merge_people(p.id, other.id)?;
            other.id
        }
        _ => {
            cat.set_person(p.id, Some(name), None, None)?;
            p.id
        }
    };
    if let Some(b) = &born {
        cat.set_person(target, None, None, Some(Some(b)))?;
    }
    cat.assign_faces(&faces, target, Source::Confirmed, ctx.now())?;
    finish(cat, ctx, target, faces)
}

/// `hma people name --face FACE NAME`: this one face is NAME (a new
/// person when nobody has the name).
pub fn name_face(cat: &mut Catalog, ctx: &JobContext, face: i64, name: &str, born: Option<&str>) -> Result<Changed> {
    let name = check_name(name)?;
    let born = born.map(parse_birthday).transpose()?;
    face_exists(cat, face)?;
    let target = match cat.person_named(name)?.filter(|o| o.name.as_deref() == Some(name)) {
        Some(o) => o.id,
        None => cat.add_person(Some(name), "person", born.as_deref(), ctx.now())?,
    };
    if let Some(b) = &born {
        cat.set_person(target, None, None, Some(Some(b)))?;
    }
    cat.assign_faces(&[face], target, Source::Confirmed, ctx.now())?;
    finish(cat, ctx, target, vec![face])
}

/// `hma people born ID DATE`: sets (or with None clears) a birthday.
pub fn set_birthday(cat: &mut Catalog, who: &str, born: Option<&str>) -> Result<PersonSummary> {
    let born = born.map(parse_birthday).transpose()?;
    let p = resolve(cat, who)?;
    cat.set_person(p.id, None, None, Some(born.as_deref()))?;
    summary_of(cat, p.id)?.ok_or_else(|| EngineError::NotFound(who.into()))
}

fn face_exists(cat: &mut Catalog, face: i64) -> Result<hma_catalog::FaceRow> {
    cat.face(face)?
        .ok_or_else(|| EngineError::NotFound(format!("no face {face} (see `hma people show ID` or `hma show PATH`)")))
}

/// After a naming, merge or split: the taxonomy follows. No score changes
/// (names are only words in the explanations, which are written when read).
fn finish(cat: &mut Catalog, ctx: &JobContext, person: i64, faces: Vec<i64>) -> Result<Changed> {
    cat.sync_people_taxonomy(ctx.now())?;
    let sidecar_errors = crate::sidecar::sync_faces(cat, ctx, &faces)?;
    Ok(Changed { person: summary_of(cat, person)?, faces: faces.len() as u64, rescored: 0, sidecar_errors })
}

/// `hma people merge A B`: B's faces become A's (confirmed) and B goes;
/// when only B has a name, A takes it.
pub fn merge(cat: &mut Catalog, ctx: &JobContext, a: &str, b: &str) -> Result<Changed> {
    let (pa, pb) = (resolve(cat, a)?, resolve(cat, b)?);
    if pa.id == pb.id {
        return Err(EngineError::Invalid(format!("{a} and {b} are the same person")));
    }
    if pa.name.is_some() && pb.name.is_some() && pa.kind != pb.kind {
        return Err(EngineError::Invalid("a person and a pet cannot be merged".into()));
    }
    let faces: Vec<i64> =
        cat.faces_of_person(pa.id)?.iter().chain(cat.faces_of_person(pb.id)?.iter()).map(|(f, _)| f.id).collect();
    let keep_name = pa.name.is_none().then_some(pb.name.clone()).flatten();
    cat.merge_people(pb.id, pa.id)?;
    if let Some(n) = keep_name {
        cat.set_person(pa.id, Some(&n), Some(&pb.kind), pb.birthday.as_deref().map(Some))?;
    } else if pa.birthday.is_none() && pb.birthday.is_some() {
        cat.set_person(pa.id, None, None, Some(pb.birthday.as_deref()))?;
    }
    cat.assign_faces(&faces, pa.id, Source::Confirmed, ctx.now())?;
    finish(cat, ctx, pa.id, faces)
}

/// `hma people split ID FACE…`: these faces of a person are someone else
/// (a new unnamed person, confirmed, so the clustering keeps them apart).
pub fn split(cat: &mut Catalog, ctx: &JobContext, who: &str, faces: &[i64]) -> Result<Changed> {
    let p = resolve(cat, who)?;
    let theirs: HashSet<i64> = cat.faces_of_person(p.id)?.iter().map(|(f, _)| f.id).collect();
    if let Some(f) = faces.iter().find(|f| !theirs.contains(f)) {
        return Err(EngineError::Invalid(format!("face {f} is not one of {who}'s faces")));
    }
    if faces.is_empty() {
        return Err(EngineError::Invalid("say which faces to split off".into()));
    }
    let new = cat.add_person(None, &p.kind, None, ctx.now())?;
    cat.assign_faces(faces, new, Source::Confirmed, ctx.now())?;
    for &f in faces {
        // Not the old person either, so the clustering never puts it back.
        cat.add_rejection(f, p.id, ctx.now())?;
    }
    finish(cat, ctx, new, faces.to_vec())
}

/// `hma people reject FACE`: the face is not its person (it leaves them
/// and never comes back to them); with `not_a_face`, or when it has no
/// person, it is no face at all (it leaves people and the score).
pub fn reject(cat: &mut Catalog, ctx: &JobContext, face: i64, not_a_face: bool) -> Result<Changed> {
    let f = face_exists(cat, face)?;
    let current = cat.persons_of_faces(&[face])?.remove(&face).and_then(|a| a.person_id);
    let from = if not_a_face { None } else { current };
    if from.is_none() && f.model == PET_MODEL {
        // A pet's box named by hand: taking it back removes it.
        cat.delete_manual_face(face)?;
    } else {
        cat.reject_face(face, from, ctx.now())?;
    }
    cat.sync_people_taxonomy(ctx.now())?;
    // A face that is no face leaves the score (a name changes none).
    let rescored = cat.transaction(|c| crate::scoring::rescore(c, &[f.content_hash]))?;
    let sidecar_errors = crate::sidecar::sync_faces(cat, ctx, &[face])?;
    Ok(Changed { person: None, faces: 1, rescored, sidecar_errors })
}

/// `hma people pet PATH --box x,y,w,h NAME`: names a pet in a photo from
/// the dog or cat the detector found there (the box, in pixels of the
/// picture as displayed, picks which; without it, the only one).
pub fn pet(
    cat: &mut Catalog,
    ctx: &JobContext,
    places: &Places,
    path: &std::path::Path,
    bbox: Option<[f64; 4]>,
    name: &str,
) -> Result<Changed> {
    let name = check_name(name)?;
    let row = crate::report::find_file(cat, places, path)?;
    let h =
        row.content_hash.ok_or_else(|| EngineError::Invalid(format!("{} has not been read yet", path.display())))?;
    let animals: Vec<hma_catalog::NewDetection> =
        cat.detections_of(h)?.into_iter().filter(|d| d.class_name == "dog" || d.class_name == "cat").collect();
    let chosen = match bbox {
        Some(b) => animals
            .iter()
            .map(|d| (hma_catalog::box_iou([d.box_x, d.box_y, d.box_w, d.box_h], b), d))
            .filter(|(v, _)| *v >= 0.5)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, d)| d)
            .ok_or_else(|| {
                EngineError::NotFound(format!(
                    "no dog or cat detected at {b:?} in {} ({} found: `hma show`)",
                    path.display(),
                    animals.len()
                ))
            })?,
        None => match animals.as_slice() {
            [one] => one,
            [] => {
                return Err(EngineError::NotFound(format!(
                    "no dog or cat detected in {} (run `hma detect`)",
                    path.display()
                )))
            }
            _ => {
                return Err(EngineError::Invalid(format!(
                    "{} dogs and cats in {}: say which with --box x,y,w,h",
                    animals.len(),
                    path.display()
                )))
            }
        },
    };
    let (w, h_px) = displayed_size(cat, ctx, places, &row)?;
    let target = match cat.person_named(name)?.filter(|o| o.name.as_deref() == Some(name)) {
        Some(o) if o.kind == "pet" => o.id,
        Some(_) => return Err(EngineError::Invalid(format!("{name} is a person, not a pet"))),
        None => cat.add_person(Some(name), "pet", None, ctx.now())?,
    };
    let face = cat.add_manual_face(
        &NewFace {
            content_hash: h,
            model: PET_MODEL.into(),
            confidence: chosen.confidence,
            box_x: chosen.box_x / w,
            box_y: chosen.box_y / h_px,
            box_w: chosen.box_w / w,
            box_h: chosen.box_h / h_px,
            keypoints: "[]".into(),
            sharpness: None,
            exposure: None,
            eye_left: None,
            eye_right: None,
            eyes: "unsure".into(),
            blink_left: None,
            blink_right: None,
            embedding: None,
        },
        (w as i32, h_px as i32),
        ctx.now(),
    )?;
    cat.assign_faces(&[face], target, Source::Confirmed, ctx.now())?;
    finish(cat, ctx, target, vec![face])
}

/// The picture's size as displayed: from the faces job when it looked,
/// else by decoding it.
fn displayed_size(
    cat: &mut Catalog,
    ctx: &JobContext,
    places: &Places,
    row: &hma_catalog::FileRow,
) -> Result<(f64, f64)> {
    let h = row.content_hash.unwrap_or_default();
    if let Some(r) = cat.face_run(h, crate::faces::MODEL_ID)?.filter(|r| r.width > 0) {
        return Ok((f64::from(r.width), f64::from(r.height)));
    }
    let _ = ctx;
    let path = places.os_path_of(row).ok_or_else(|| {
        EngineError::NotFound(format!(
            "{}: its folder is not reachable here",
            places.path_in(row.root_id, &row.rel_path)
        ))
    })?;
    let bytes = std::fs::read(&path).map_err(|e| EngineError::Io { path: path.display().to_string(), source: e })?;
    let (_, (w, h)) = crate::faces::picture(&bytes, &row.format).map_err(EngineError::Invalid)?;
    Ok((f64::from(w), f64::from(h)))
}

/// Named pets in a content, for `hma show`.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PetReport {
    /// The box's id (what `hma people reject` takes to take it back).
    pub id: i64,
    #[serde(rename = "box")]
    pub bbox: [f64; 4],
    pub pet: String,
    pub person_id: i64,
}
