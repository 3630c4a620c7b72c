//! A capture's fields (time, camera, lens, exposure, place, XMP marks) from
//! a file's EXIF, and merged across the files of one capture.

use hma_catalog::CaptureFields;
use hma_media::Exif;

/// Capture fields from EXIF.
pub fn capture_fields(exif: Option<&Exif>) -> CaptureFields {
    let Some(e) = exif else { return CaptureFields::default() };
    CaptureFields {
        taken_local_ms: e.taken_at.map(|t| t.local_ms()),
        taken_has_ms: e.taken_at.is_some_and(|t| t.millis.is_some()),
        taken_offset_min: e.taken_at.and_then(|t| t.offset_min),
        make: e.make.clone(),
        model: e.model.clone(),
        serial: e.serial.clone(),
        lens: e.lens.clone(),
        focal_length_mm: e.focal_length_mm,
        f_number: e.f_number,
        exposure_time_s: e.exposure_time_s,
        iso: e.iso.or(e.iso_makernote.map(|v| v.round() as i64)),
        gps_lat: e.gps.map(|g| g.lat),
        gps_lon: e.gps.map(|g| g.lon),
        gps_alt: e.gps.and_then(|g| g.alt),
        orientation: e.orientation.map(i32::from),
        rating: None,
        label: None,
        pick: None,
    }
}

/// Fills the gaps of `into` with what `from` knows (never overwrites).
pub fn fill_gaps(into: &mut CaptureFields, from: &CaptureFields) {
    macro_rules! fill {
        ($($f:ident),*) => { $( if into.$f.is_none() { into.$f = from.$f.clone(); } )* };
    }
    if into.taken_local_ms.is_none() {
        into.taken_local_ms = from.taken_local_ms;
        into.taken_has_ms = from.taken_has_ms;
        into.taken_offset_min = from.taken_offset_min;
    }
    fill!(
        make,
        model,
        serial,
        lens,
        focal_length_mm,
        f_number,
        exposure_time_s,
        iso,
        gps_lat,
        gps_lon,
        gps_alt,
        orientation,
        rating,
        label,
        pick
    );
}
