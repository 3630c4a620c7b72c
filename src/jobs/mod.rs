//! Jobs: the work that reads the user's files (never writing them) and
//! fills the catalogue — scanning, linking RAW+JPEG and edits into captures,
//! exact duplicates, the analysis pipeline and its scores, objects, faces and
//! people, events, roots and XMP sidecars. Each can stop and resume.

pub mod analyze;
pub mod capture;
pub mod detect;
pub mod dupes;
pub mod events;
pub mod faces;
pub mod import;
pub mod link;
pub mod people;
pub mod pipeline;
pub mod roots;
pub mod scan;
pub mod scoring;
pub mod sidecar;
pub mod worker;
