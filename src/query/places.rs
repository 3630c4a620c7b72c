//! Places offline: each capture with GPS gets a place hierarchy — country →
//! region (GeoNames admin1) → district (admin2, where GeoNames has one) →
//! the nearest town of 1,000 or more inhabitants, with its distance — from
//! GeoNames data compiled into the binary (the crate `reverse_geocoder`,
//! a k-d tree over its `cities1000` table; GeoNames, CC BY 4.0, credited in
//! the app's About and docs/places.md). Nothing leaves the machine.
//!
//! Places are the `places` taxonomy: a node per country, region, district
//! and town that some photo is in, linked to its captures from source `gps`.
//! A scan places the captures whose GPS is new (or changed: the catalogue
//! drops a capture's place when its position changes), and `hma places`
//! does the same for a whole catalogue.

use std::sync::OnceLock;

use hma_catalog::{Catalog, NodeSpec};
use reverse_geocoder::ReverseGeocoder;
use serde::Serialize;

use crate::{JobContext, Result};

/// The taxonomy places live in.
pub const TAXONOMY: &str = "places";
/// The source of a capture's link to its place.
pub const SOURCE: &str = "gps";
/// What the places come from (stored with each link).
pub const DATA_VERSION: &str = "geonames-cities1000 (reverse_geocoder 4.1)";
/// Farther than this from any town in the table, a position gets no place:
/// the nearest town of a point at sea or in a wilderness is often in
/// another country, and a wrong country is worse than none.
pub const MAX_KM: f64 = 100.0;
/// Who made the data, as the licence asks.
pub const ATTRIBUTION: &str = "Places: GeoNames (geonames.org), CC BY 4.0";

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Where a photo was taken.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Place {
    /// ISO 3166 two-letter code.
    pub country_code: String,
    pub country: String,
    /// Region (state, province, Land…), when GeoNames has one.
    pub admin1: Option<String>,
    /// District (county, Kreis, département…), when GeoNames has one.
    pub admin2: Option<String>,
    /// The nearest town of 1,000 or more inhabitants.
    pub city: String,
    /// How far the photo was taken from that town's centre, km.
    pub distance_km: f64,
}

/// Why a position got no place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoPlace {
    /// Latitude beyond ±90 or longitude beyond ±180 (or not a number).
    OutOfRange,
    /// Exactly 0, 0: what a camera writes when it had no fix.
    NullIsland,
    /// More than [`MAX_KM`] from any town.
    TooFar,
}

impl NoPlace {
    /// In words.
    pub fn says(self) -> &'static str {
        match self {
            NoPlace::OutOfRange => "GPS position out of range (ignored)",
            NoPlace::NullIsland => "GPS position 0, 0: the camera had no fix (ignored)",
            NoPlace::TooFar => "more than 100 km from any town",
        }
    }
}

fn geocoder() -> &'static ReverseGeocoder {
    static G: OnceLock<ReverseGeocoder> = OnceLock::new();
    G.get_or_init(ReverseGeocoder::new)
}

/// Names people use for the countries whose ISO 3166 name is long or
/// formal; the rest come from the crate `isocountry`. Kosovo (XK) has a
/// user-assigned code that GeoNames uses and ISO lists nowhere.
const COMMON_NAMES: [(&str, &str); 24] = [
    ("BO", "Bolivia"),
    ("CD", "Democratic Republic of the Congo"),
    ("CZ", "Czechia"),
    ("FK", "Falkland Islands"),
    ("FM", "Micronesia"),
    ("GB", "United Kingdom"),
    ("IR", "Iran"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("LA", "Laos"),
    ("MD", "Moldova"),
    ("MK", "North Macedonia"),
    ("PS", "Palestine"),
    ("RU", "Russia"),
    ("SY", "Syria"),
    ("TW", "Taiwan"),
    ("TZ", "Tanzania"),
    ("US", "United States"),
    ("VE", "Venezuela"),
    ("VG", "British Virgin Islands"),
    ("VI", "U.S. Virgin Islands"),
    ("VN", "Vietnam"),
    ("XK", "Kosovo"),
    ("BN", "Brunei"),
];

/// A country's name by its two-letter code (the code itself when unknown).
pub fn country_name(code: &str) -> String {
    if let Some((_, n)) = COMMON_NAMES.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)) {
        return n.to_string();
    }
    isocountry::CountryCode::for_alpha2_caseless(code).map(|c| c.name().to_string()).unwrap_or_else(|_| code.into())
}

/// Whether a position can be placed at all.
pub fn check(lat: f64, lon: f64) -> std::result::Result<(), NoPlace> {
    if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
        return Err(NoPlace::OutOfRange);
    }
    if lat == 0.0 && lon == 0.0 {
        return Err(NoPlace::NullIsland);
    }
    Ok(())
}

/// Great-circle distance, km.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The place of a position.
pub fn locate(lat: f64, lon: f64) -> std::result::Result<Place, NoPlace> {
    check(lat, lon)?;
    let r = geocoder().search((lat, lon));
    let rec = r.record;
    let distance_km = haversine_km((lat, lon), (rec.lat, rec.lon));
    if distance_km > MAX_KM {
        return Err(NoPlace::TooFar);
    }
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Place {
        country_code: rec.cc.clone(),
        country: country_name(&rec.cc),
        admin1: some(&rec.admin1),
        admin2: some(&rec.admin2),
        city: rec.name.clone(),
        distance_km: (distance_km * 100.0).round() / 100.0,
    })
}

impl Place {
    /// Its nodes in the `places` taxonomy, from the country down (each
    /// one's source id is its path: `DE/Bavaria/Upper Bavaria/Munich`).
    pub fn nodes(&self) -> Vec<NodeSpec> {
        let mut levels = vec![(self.country_code.as_str(), self.country.as_str(), "country")];
        levels.extend(self.admin1.as_deref().map(|a| (a, a, "region")));
        levels.extend(self.admin2.as_deref().map(|a| (a, a, "district")));
        levels.push((&self.city, &self.city, "town"));
        NodeSpec::chain(levels)
    }

    /// The names from country to town, `/` between them.
    pub fn path(&self) -> String {
        let mut p = vec![self.country.as_str()];
        p.extend(self.admin1.as_deref());
        p.extend(self.admin2.as_deref());
        p.push(&self.city);
        p.join("/")
    }
}

/// What a places run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlacesSummary {
    /// Captures with GPS and no place yet, looked at.
    pub looked_at: u64,
    /// Given a place.
    pub placed: u64,
    /// Positions out of range, or 0, 0: ignored.
    pub ignored: u64,
    /// More than [`MAX_KM`] from any town: no place.
    pub too_far: u64,
    /// Place nodes in the catalogue after the run.
    pub nodes: i64,
}

const PAGE: i64 = 1000;

/// Places every capture that has GPS and no place yet.
pub fn update(cat: &mut Catalog, ctx: &JobContext) -> Result<PlacesSummary> {
    let mut s = PlacesSummary::default();
    let mut after = 0;
    let mut tid = None;
    ctx.progress.stage("places", None);
    loop {
        if ctx.cancelled() {
            return Err(crate::EngineError::Cancelled);
        }
        let page = cat.gps_captures_without(SOURCE, after, PAGE)?;
        let Some(&(last, _, _)) = page.last() else { break };
        after = last;
        s.looked_at += page.len() as u64;
        let mut found = Vec::new();
        for (id, lat, lon) in page {
            match locate(lat, lon) {
                Ok(p) => found.push((id, p)),
                Err(NoPlace::TooFar) => s.too_far += 1,
                Err(_) => s.ignored += 1,
            }
        }
        if found.is_empty() {
            continue;
        }
        let now = ctx.now();
        let chains: Vec<(i64, Vec<NodeSpec>)> = found.iter().map(|(c, p)| (*c, p.nodes())).collect();
        let specs: Vec<NodeSpec> = chains.iter().flat_map(|(_, n)| n.iter().cloned()).collect();
        let placed = cat.transaction(|cat| -> Result<u64> {
            let t = match tid {
                Some(t) => t,
                None => cat.ensure_taxonomy(TAXONOMY, "geonames", now)?,
            };
            let ids = cat.ensure_nodes(t, &specs)?;
            let links: Vec<(i64, i64)> =
                chains.iter().filter_map(|(c, n)| Some((*c, *ids.get(&n.last()?.external_id)?))).collect();
            cat.link_taxa(&links, SOURCE, Some(DATA_VERSION), now)?;
            tid = Some(t);
            Ok(links.len() as u64)
        })?;
        s.placed += placed;
        ctx.progress.advance(placed);
    }
    s.nodes = cat.taxonomy(TAXONOMY)?.map_or(0, |t| t.node_count);
    if s.ignored + s.too_far > 0 {
        tracing::info!(ignored = s.ignored, too_far = s.too_far, "positions without a place");
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_places_and_refused_positions() {
        let p = locate(48.1374, 11.5755).unwrap();
        assert_eq!((p.country_code.as_str(), p.country.as_str()), ("DE", "Germany"));
        assert_eq!(p.admin1.as_deref(), Some("Bavaria"));
        assert!(p.distance_km < 10.0, "{p:?}");
        let nodes = p.nodes();
        assert_eq!(nodes[0].external_id, "DE");
        assert_eq!(nodes[1].external_id, "DE/Bavaria");
        assert_eq!(nodes.last().unwrap().parent.as_deref(), Some(nodes[nodes.len() - 2].external_id.as_str()));
        let ny = locate(40.7484, -73.9857).unwrap();
        assert_eq!((ny.country.as_str(), ny.admin1.as_deref()), ("United States", Some("New York")));
        assert_eq!(locate(0.0, 0.0), Err(NoPlace::NullIsland));
        assert_eq!(locate(91.0, 10.0), Err(NoPlace::OutOfRange));
        assert_eq!(locate(10.0, f64::NAN), Err(NoPlace::OutOfRange));
        // The middle of the South Pacific.
        assert_eq!(locate(-40.0, -130.0), Err(NoPlace::TooFar));
        assert!((haversine_km((0.0, 0.0), (0.0, 1.0)) - 111.195).abs() < 0.01);
        assert_eq!(country_name("gb"), "United Kingdom");
        assert_eq!(country_name("FR"), "France");
    }
}
