//! Queries: the search language (parser, names resolved, planned reads),
//! tags and taxonomies, and places (offline reverse geocoding).

pub mod places;
pub mod search;
pub mod tags;
pub mod taxonomy;
