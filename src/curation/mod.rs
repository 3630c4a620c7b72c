//! Curation: what the user chooses from — groups and their best, the ranked
//! list (the lightbox and `hma top`), culling decisions and marks, the spread
//! shortlist, the calendar with its holidays, export, and her taste learned
//! from her decisions.

pub mod calendar;
pub mod cull;
pub mod export;
pub mod groups;
pub mod holidays;
pub mod marks;
pub mod rank;
pub mod spread;
pub mod taste;
