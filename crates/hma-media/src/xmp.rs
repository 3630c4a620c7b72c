//! XMP: ratings, labels, pick/reject, keywords and edit lineage written by
//! Lightroom, Capture One, darktable, digiKam and Photo Mechanic, read from
//! sidecars (`name.ext.xmp`, `name.xmp`) or from a packet embedded in a file.
//!
//! Only what the catalogue uses is read; the XML is walked with `quick-xml`
//! and both RDF spellings (attributes on `rdf:Description`, or elements) are
//! accepted.

use quick_xml::events::{BytesStart, Event};
use serde::Serialize;

/// What an XMP packet says about a photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Xmp {
    /// Star rating 0–5; −1 is Lightroom's "rejected".
    pub rating: Option<i32>,
    /// Colour label ("Red", "Green"…).
    pub label: Option<String>,
    /// +1 picked, −1 rejected, 0 none (xmpDM:pick, digiKam PickLabel, Lightroom rating −1).
    pub pick: Option<i32>,
    /// Flat keywords (`dc:subject`).
    pub keywords: Vec<String>,
    /// Hierarchical keywords (`lr:hierarchicalSubject`, `|`-separated).
    pub hierarchical: Vec<String>,
    /// `xmpMM:DerivedFrom` file path, when the editor wrote one.
    pub derived_from_path: Option<String>,
    /// `xmpMM:DerivedFrom` document id.
    pub derived_from_doc: Option<String>,
    /// `exif:DateTimeOriginal` (as written, ISO 8601).
    pub date_time_original: Option<String>,
    /// `photoshop:DateCreated` (as written).
    pub date_created: Option<String>,
    /// `xmpMM:DocumentID`.
    pub document_id: Option<String>,
    /// `xmpMM:OriginalDocumentID`.
    pub original_document_id: Option<String>,
}

impl Xmp {
    /// True when nothing useful was found.
    pub fn is_empty(&self) -> bool {
        *self == Xmp::default()
    }
}

/// Why a packet could not be read.
#[derive(Debug, thiserror::Error)]
#[error("XMP unreadable: {0}")]
pub struct XmpError(String);

impl XmpError {
    pub(crate) fn new(why: String) -> XmpError {
        XmpError(why)
    }
}

/// Finds an XMP packet inside arbitrary bytes (a JPEG's APP1, a TIFF tag, a
/// HEIC item) by its `<x:xmpmeta` envelope.
pub fn find_packet(data: &[u8]) -> Option<&[u8]> {
    let start = memfind(data, b"<x:xmpmeta")?;
    let end = memfind(&data[start..], b"</x:xmpmeta>")? + start + b"</x:xmpmeta>".len();
    Some(&data[start..end])
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

#[derive(Clone, Copy, PartialEq)]
enum Prop {
    None,
    Rating,
    Label,
    PickLabel,
    Pick,
    Subject,
    Hier,
    DerivedFrom,
    DocumentId,
    OriginalDocumentId,
    StRefPath,
    StRefDoc,
    DateTimeOriginal,
    DateCreated,
}

fn prop_of(name: &[u8]) -> Prop {
    match name {
        b"xmp:Rating" => Prop::Rating,
        b"xmp:Label" => Prop::Label,
        b"digiKam:PickLabel" => Prop::PickLabel,
        b"xmpDM:pick" => Prop::Pick,
        b"dc:subject" => Prop::Subject,
        b"lr:hierarchicalSubject" => Prop::Hier,
        b"xmpMM:DerivedFrom" => Prop::DerivedFrom,
        b"xmpMM:DocumentID" => Prop::DocumentId,
        b"xmpMM:OriginalDocumentID" => Prop::OriginalDocumentId,
        b"stRef:filePath" => Prop::StRefPath,
        b"stRef:documentID" => Prop::StRefDoc,
        b"exif:DateTimeOriginal" => Prop::DateTimeOriginal,
        b"photoshop:DateCreated" => Prop::DateCreated,
        _ => Prop::None,
    }
}

/// Parses one XMP packet (a sidecar file's bytes, or a found packet).
pub fn parse(data: &[u8]) -> Result<Xmp, XmpError> {
    let mut reader = quick_xml::Reader::from_reader(data);
    reader.config_mut().trim_text(true);
    let mut out = Xmp::default();
    let mut stack: Vec<Prop> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| XmpError(e.to_string()))?;
        match ev {
            Event::Start(e) => {
                attributes(&e, &mut out, stack.last().copied());
                stack.push(prop_of(e.name().as_ref()));
            }
            Event::Empty(e) => {
                attributes(&e, &mut out, Some(prop_of(e.name().as_ref())));
                attributes(&e, &mut out, stack.last().copied());
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| XmpError(e.to_string()))?.trim().to_string();
                if text.is_empty() {
                    continue;
                }
                let inner = stack.last().copied().unwrap_or(Prop::None);
                // rdf:li inside a Bag: the property is further up the stack.
                let owner = stack.iter().rev().copied().find(|p| *p != Prop::None).unwrap_or(Prop::None);
                match (inner, owner) {
                    (Prop::None, Prop::Subject) => out.keywords.push(text),
                    (Prop::None, Prop::Hier) => out.hierarchical.push(text),
                    (Prop::None, Prop::Label) | (Prop::Label, _) => out.label = Some(text),
                    (p, _) => set_simple(&mut out, p, &text, stack.contains(&Prop::DerivedFrom)),
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if out.rating == Some(-1) && out.pick.unwrap_or(0) == 0 {
        out.pick = Some(-1);
    }
    Ok(out)
}

fn attributes(e: &BytesStart<'_>, out: &mut Xmp, context: Option<Prop>) {
    let in_derived = context == Some(Prop::DerivedFrom);
    for a in e.attributes().flatten() {
        let p = prop_of(a.key.as_ref());
        if p == Prop::None {
            continue;
        }
        if let Ok(v) = a.unescape_value() {
            set_simple(out, p, v.trim(), in_derived);
        }
    }
}

fn set_simple(out: &mut Xmp, p: Prop, v: &str, in_derived: bool) {
    match p {
        Prop::Rating => out.rating = v.parse::<f64>().ok().map(|r| r.round() as i32).filter(|r| (-1..=5).contains(r)),
        Prop::Label => out.label = (!v.is_empty()).then(|| v.to_string()),
        Prop::PickLabel => {
            out.pick = match v {
                "1" => Some(-1),
                "3" => Some(1),
                _ => out.pick,
            }
        }
        // Adobe's dynamic-media pick (Bridge; we write it too): 1, −1, 0 none.
        Prop::Pick => {
            out.pick = match v {
                "1" => Some(1),
                "-1" => Some(-1),
                "0" => out.pick.or(Some(0)),
                _ => out.pick,
            }
        }
        Prop::DateTimeOriginal => out.date_time_original = Some(v.to_string()),
        Prop::DateCreated => out.date_created = Some(v.to_string()),
        Prop::DocumentId if !in_derived => out.document_id = Some(v.to_string()),
        Prop::OriginalDocumentId if !in_derived => out.original_document_id = Some(v.to_string()),
        Prop::StRefPath if in_derived => out.derived_from_path = Some(v.to_string()),
        Prop::StRefDoc if in_derived => out.derived_from_doc = Some(v.to_string()),
        Prop::DerivedFrom if !v.is_empty() => out.derived_from_path = Some(v.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIGHTROOM: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stRef="http://ns.adobe.com/xap/1.0/sType/ResourceRef#"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmp:Rating="4" xmp:Label="Red" xmpMM:DocumentID="xmp.did:abc">
   <xmpMM:DerivedFrom stRef:documentID="xmp.did:orig" stRef:filePath="IMG_0001.CR2"/>
   <dc:subject><rdf:Bag><rdf:li>Max</rdf:li><rdf:li>Birthday &amp; cake</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>Family|Kids|Max</rdf:li></rdf:Bag></lr:hierarchicalSubject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    #[test]
    fn reads_lightroom_attributes_and_bags() {
        let x = parse(LIGHTROOM.as_bytes()).unwrap();
        assert_eq!(x.rating, Some(4));
        assert_eq!(x.label.as_deref(), Some("Red"));
        assert_eq!(x.keywords, vec!["Max", "Birthday & cake"]);
        assert_eq!(x.hierarchical, vec!["Family|Kids|Max"]);
        assert_eq!(x.derived_from_path.as_deref(), Some("IMG_0001.CR2"));
        assert_eq!(x.derived_from_doc.as_deref(), Some("xmp.did:orig"));
        assert_eq!(x.document_id.as_deref(), Some("xmp.did:abc"));
    }

    #[test]
    fn element_form_and_reject() {
        let s = r#"<x:xmpmeta><rdf:RDF><rdf:Description><xmp:Rating>-1</xmp:Rating>
            <xmpMM:DerivedFrom rdf:parseType="Resource"><stRef:filePath>a.dng</stRef:filePath></xmpMM:DerivedFrom>
            </rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let x = parse(s.as_bytes()).unwrap();
        assert_eq!((x.rating, x.pick), (Some(-1), Some(-1)));
        assert_eq!(x.derived_from_path.as_deref(), Some("a.dng"));
    }

    #[test]
    fn digikam_pick_label() {
        let s = r#"<x:xmpmeta><rdf:RDF><rdf:Description digiKam:PickLabel="3" xmp:Rating="5"/></rdf:RDF></x:xmpmeta>"#;
        let x = parse(s.as_bytes()).unwrap();
        assert_eq!((x.rating, x.pick), (Some(5), Some(1)));
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(
            parse(b"<x:xmpmeta><rdf:RDF></x:xmpmeta>").is_err()
                || parse(b"<x:xmpmeta><rdf:RDF></x:xmpmeta>").unwrap().is_empty()
        );
        assert_eq!(find_packet(b"junk<x:xmpmeta a='1'></x:xmpmeta>junk"), Some(&b"<x:xmpmeta a='1'></x:xmpmeta>"[..]));
    }
}
