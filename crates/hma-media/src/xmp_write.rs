//! Writing our culling marks into an XMP sidecar, the way Lightroom Classic,
//! darktable and digiKam read them, without disturbing anything else in it.
//!
//! We own six properties of the first `rdf:Description`: `xmp:Rating`
//! (0–5, −1 rejected: Lightroom's and darktable's reject), `xmp:Label`
//! (the colour label's name), `xmpDM:pick` (1 picked, −1 rejected, 0 none)
//! and `digiKam:PickLabel` (3 accepted, 1 rejected, 0 none), `dc:subject`
//! and `lr:hierarchicalSubject` (keywords, flat and `|`-separated). Every
//! other byte of an existing sidecar — other namespaces, elements,
//! attributes, comments, whitespace, the packet wrapper — is copied through
//! unchanged: the file is streamed event by event with quick-xml and only
//! our properties are dropped and written again. (No crate edits XMP this
//! way: the XMP toolkits rewrite the whole packet.)

use quick_xml::events::{BytesEnd, BytesStart, Event};

use crate::xmp::XmpError;

/// What we write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// 1 picked, −1 rejected, 0 unflagged.
    pub flag: i32,
    /// 0–5 stars (a rejected photo is written as rating −1, as Lightroom does).
    pub rating: i32,
    /// Colour label as Lightroom names them ("Red", "Yellow"…); None: no label.
    pub label: Option<String>,
    /// Flat keywords (`dc:subject`), in order, no duplicates.
    pub keywords: Vec<String>,
    /// Hierarchical keywords (`lr:hierarchicalSubject`, `A|B|C`).
    pub hierarchical: Vec<String>,
}

/// The namespaces of the properties we own.
const NAMESPACES: [(&str, &str); 6] = [
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("xmp", "http://ns.adobe.com/xap/1.0/"),
    ("xmpDM", "http://ns.adobe.com/xmp/1.0/DynamicMedia/"),
    ("digiKam", "http://www.digikam.org/ns/1.0/"),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("lr", "http://ns.adobe.com/lightroom/1.0/"),
];

/// Our properties, by qualified name.
const OWNED: [&[u8]; 6] =
    [b"xmp:Rating", b"xmp:Label", b"xmpDM:pick", b"digiKam:PickLabel", b"dc:subject", b"lr:hierarchicalSubject"];

fn owned(name: &[u8]) -> bool {
    OWNED.contains(&name)
}

/// Our properties as elements, one per line, indented like the rest.
fn properties(m: &Marks, indent: &str) -> String {
    use quick_xml::escape::escape;
    let mut s = String::new();
    let rating = if m.flag < 0 { -1 } else { m.rating.clamp(0, 5) };
    s.push_str(&format!("{indent}<xmp:Rating>{rating}</xmp:Rating>\n"));
    if let Some(l) = m.label.as_deref().filter(|l| !l.is_empty()) {
        s.push_str(&format!("{indent}<xmp:Label>{}</xmp:Label>\n", escape(l)));
    }
    s.push_str(&format!("{indent}<xmpDM:pick>{}</xmpDM:pick>\n", m.flag.signum()));
    let pick_label = match m.flag.signum() {
        1 => 3,
        -1 => 1,
        _ => 0,
    };
    s.push_str(&format!("{indent}<digiKam:PickLabel>{pick_label}</digiKam:PickLabel>\n"));
    for (name, list) in [("dc:subject", &m.keywords), ("lr:hierarchicalSubject", &m.hierarchical)] {
        if list.is_empty() {
            continue;
        }
        s.push_str(&format!("{indent}<{name}>\n{indent} <rdf:Bag>\n"));
        for k in list {
            s.push_str(&format!("{indent}  <rdf:li>{}</rdf:li>\n", escape(k.as_str())));
        }
        s.push_str(&format!("{indent} </rdf:Bag>\n{indent}</{name}>\n"));
    }
    s
}

/// A new sidecar holding only our properties.
pub fn new_sidecar(m: &Marks) -> Vec<u8> {
    let ns: String = NAMESPACES[1..].iter().map(|(p, u)| format!("\n    xmlns:{p}=\"{u}\"")).collect();
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Home Media AI\">\n \
         <rdf:RDF xmlns:rdf=\"{}\">\n  \
         <rdf:Description rdf:about=\"\"{ns}>\n{}  \
         </rdf:Description>\n \
         </rdf:RDF>\n\
         </x:xmpmeta>\n\
         <?xpacket end=\"w\"?>\n",
        NAMESPACES[0].1,
        properties(m, "   ")
    )
    .into_bytes()
}

/// `existing` with our properties replaced by `m`'s, every other byte kept.
/// Refuses (an error, nothing written) a file it cannot read as XML or that
/// has no `rdf:Description`.
pub fn update(existing: &[u8], m: &Marks) -> Result<Vec<u8>, XmpError> {
    let mut reader = quick_xml::Reader::from_reader(existing);
    // Nothing trimmed or expanded: events are written back as they were read.
    reader.config_mut().trim_text(false);
    let mut st = State {
        w: quick_xml::Writer::new(Vec::with_capacity(existing.len() + 1024)),
        depth: 0,
        target: None,
        done: false,
        declared: Vec::new(),
        indent: String::from("   "),
    };
    // Inside one of our properties (in any rdf:Description): the depth it began at.
    let mut skipping: Option<usize> = None;
    let mut buf = Vec::new();
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| err(&e))?;
        if let Some(start) = skipping {
            match &ev {
                Event::Start(_) => st.depth += 1,
                Event::End(_) => {
                    st.depth -= 1;
                    if st.depth == start {
                        skipping = None;
                    }
                }
                Event::Eof => return Err(XmpError::new("the file ends inside an element".into())),
                _ => {}
            }
            buf.clear();
            continue;
        }
        match ev {
            Event::Start(e) if e.name().as_ref() == b"rdf:Description" => st.description(e, false, m)?,
            Event::Empty(e) if e.name().as_ref() == b"rdf:Description" => st.description(e, true, m)?,
            Event::Start(e) => {
                st.depth += 1;
                if owned(e.name().as_ref()) {
                    skipping = Some(st.depth - 1);
                    st.drop_line_start();
                } else {
                    st.declare(&e);
                    st.write(Event::Start(e))?;
                }
            }
            Event::Empty(e) => {
                if owned(e.name().as_ref()) {
                    st.drop_line_start();
                } else {
                    st.write(Event::Empty(e))?;
                }
            }
            Event::End(e) => {
                if st.target == Some(st.depth) && e.name().as_ref() == b"rdf:Description" {
                    st.append_properties(m);
                    st.target = None;
                    st.done = true;
                }
                st.depth = st.depth.saturating_sub(1);
                st.write(Event::End(e))?;
            }
            Event::Text(t) => {
                let raw: &[u8] = t.as_ref();
                if raw.iter().all(|b| b.is_ascii_whitespace()) {
                    if let Some(i) = raw.iter().rposition(|b| *b == b'\n') {
                        st.indent = String::from_utf8_lossy(&raw[i + 1..]).into_owned();
                    }
                }
                st.write(Event::Text(t))?;
            }
            Event::Eof => break,
            other => st.write(other)?,
        }
        buf.clear();
    }
    if !st.done {
        return Err(XmpError::new("no rdf:Description in the sidecar: left as it is".into()));
    }
    // Never write what we could not read back (found by fuzzing: bytes
    // that are not UTF-8 before an XMP packet passed through as text).
    let out = st.w.into_inner();
    crate::xmp::parse(&out)
        .map_err(|e| XmpError::new(format!("the sidecar is not readable XMP ({e}): left as it is")))?;
    Ok(out)
}

fn err(e: &dyn std::fmt::Display) -> XmpError {
    XmpError::new(e.to_string())
}

/// The rewrite in progress.
struct State {
    w: quick_xml::Writer<Vec<u8>>,
    depth: usize,
    /// Depth of the first rdf:Description (the one we write into), while open.
    target: Option<usize>,
    /// Our properties are written.
    done: bool,
    /// The namespace prefixes declared so far.
    declared: Vec<Vec<u8>>,
    /// The whitespace before the last line's first element: our lines get it too.
    indent: String,
}

impl State {
    fn write(&mut self, ev: Event<'_>) -> Result<(), XmpError> {
        self.w.write_event(ev).map_err(|e| err(&e))
    }

    /// A dropped property takes its line with it: the indent and line
    /// break written before it go (the break after it stays), so no blank
    /// lines pile up when a sidecar is written again and again.
    fn drop_line_start(&mut self) {
        let out = self.w.get_mut();
        let keep = out.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(0, |i| i + 1);
        if out[..keep].ends_with(b"\n") {
            let mut end = keep - 1;
            if out[..end].ends_with(b"\r") {
                end -= 1;
            }
            out.truncate(end);
        }
    }

    fn declare(&mut self, e: &BytesStart<'_>) {
        for a in e.attributes().with_checks(false).flatten() {
            if let Some(p) = a.key.as_ref().strip_prefix(b"xmlns:") {
                self.declared.push(p.to_vec());
            }
        }
    }

    /// An rdf:Description: our attributes dropped (every description), our
    /// namespaces declared and our properties written (the first one).
    fn description(&mut self, e: BytesStart<'_>, empty: bool, m: &Marks) -> Result<(), XmpError> {
        let first = !self.done && self.target.is_none();
        self.declare(&e);
        let mut out = BytesStart::new("rdf:Description");
        for a in e.attributes().with_checks(false).flatten() {
            if !owned(a.key.as_ref()) {
                out.push_attribute(a);
            }
        }
        if first {
            for (p, uri) in &NAMESPACES[1..] {
                if !self.declared.iter().any(|d| d == p.as_bytes()) {
                    out.push_attribute((format!("xmlns:{p}").as_str(), *uri));
                    self.declared.push(p.as_bytes().to_vec());
                }
            }
        }
        // Untouched elements are written from their own bytes.
        let unchanged = out.attributes().count() == e.attributes().count();
        let start = if unchanged { e } else { out };
        if empty && first {
            self.write(Event::Start(start))?;
            self.w.get_mut().push(b'\n');
            self.append_properties(m);
            self.write(Event::End(BytesEnd::new("rdf:Description")))?;
            self.done = true;
        } else if empty {
            self.write(Event::Empty(start))?;
        } else {
            self.depth += 1;
            if first {
                self.target = Some(self.depth);
            }
            self.write(Event::Start(start))?;
        }
        Ok(())
    }

    /// Our properties on lines of their own, before the closing tag (whose
    /// indent, written already, is moved after them).
    fn append_properties(&mut self, m: &Marks) {
        let indent = self.indent.trim_start_matches(['\r', '\n']).to_string();
        let out = self.w.get_mut();
        let mut trailing = 0;
        while out.len() > trailing && matches!(out[out.len() - 1 - trailing], b' ' | b'\t') {
            trailing += 1;
        }
        out.truncate(out.len() - trailing);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(properties(m, &format!("{indent} ")).as_bytes());
        out.extend_from_slice(indent.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmp::parse;

    fn marks() -> Marks {
        Marks {
            flag: 1,
            rating: 4,
            label: Some("Green".into()),
            keywords: vec!["Anna".into(), "Beach & sea".into()],
            hierarchical: vec!["People|Anna".into()],
        }
    }

    /// A darktable sidecar: its own namespace, history in elements and
    /// attributes, a comment; our properties as attributes (darktable's way).
    const DARKTABLE: &str = "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"XMP Core 4.4.0-Exiv2\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"\"\n    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n    xmlns:darktable=\"http://darktable.sf.net/\"\n    xmp:Rating=\"2\"\n    darktable:xmp_version=\"5\"\n    darktable:history_end=\"1\">\n   <!-- edited by hand, keep me -->\n   <darktable:history>\n    <rdf:Seq>\n     <rdf:li darktable:operation=\"exposure\" darktable:params=\"0000a0bf&amp;\"/>\n    </rdf:Seq>\n   </darktable:history>\n   <dc:subject xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><rdf:Bag><rdf:li>old</rdf:li></rdf:Bag></dc:subject>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>";

    #[test]
    fn a_new_sidecar_reads_back_as_written() {
        let x = parse(&new_sidecar(&marks())).unwrap();
        assert_eq!((x.rating, x.pick, x.label.as_deref()), (Some(4), Some(1), Some("Green")));
        assert_eq!(x.keywords, ["Anna", "Beach & sea"]);
        assert_eq!(x.hierarchical, ["People|Anna"]);
        let rejected = Marks { flag: -1, rating: 3, label: None, ..Default::default() };
        let x = parse(&new_sidecar(&rejected)).unwrap();
        assert_eq!((x.rating, x.pick, x.label), (Some(-1), Some(-1), None));
        let none = Marks::default();
        let x = parse(&new_sidecar(&none)).unwrap();
        assert_eq!((x.rating, x.pick), (Some(0), Some(0)));
    }

    /// Bytes before the packet that are not UTF-8 (a binary file named
    /// .xmp): the update refuses rather than write a sidecar nobody reads.
    #[test]
    fn a_sidecar_that_would_not_read_back_is_refused() {
        let mut bad = b"\x00\xffjunk\xfe".to_vec();
        bad.extend_from_slice(DARKTABLE.as_bytes());
        assert!(parse(&bad).is_err());
        let e = update(&bad, &marks()).unwrap_err();
        assert!(e.to_string().contains("left as it is"), "{e}");
    }

    #[test]
    fn updating_keeps_every_foreign_byte() {
        let out = update(DARKTABLE.as_bytes(), &marks()).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        // Foreign parts verbatim.
        for part in [
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>",
            "x:xmptk=\"XMP Core 4.4.0-Exiv2\"",
            "darktable:xmp_version=\"5\"",
            "<!-- edited by hand, keep me -->",
            "   <darktable:history>\n    <rdf:Seq>\n     <rdf:li darktable:operation=\"exposure\" darktable:params=\"0000a0bf&amp;\"/>\n    </rdf:Seq>\n   </darktable:history>\n",
            "<?xpacket end=\"w\"?>",
        ] {
            assert!(text.contains(part), "lost {part:?} in\n{text}");
        }
        // Ours replaced, not doubled: the old attribute rating and keyword bag are gone.
        assert!(!text.contains("xmp:Rating=\"2\""), "{text}");
        assert!(!text.contains(">old<"), "{text}");
        assert_eq!(text.matches("<xmp:Rating>").count(), 1);
        let x = parse(&out).unwrap();
        assert_eq!((x.rating, x.pick, x.label.as_deref()), (Some(4), Some(1), Some("Green")));
        assert_eq!(x.keywords, ["Anna", "Beach & sea"]);
        // Writing the same marks again changes nothing (no churn on disk).
        assert_eq!(update(&out, &marks()).unwrap(), out);
        // Only our lines differ from the original.
        let ours = |l: &str| {
            OWNED.iter().any(|o| l.contains(std::str::from_utf8(o).unwrap()))
                || l.contains("rdf:li>")
                || l.contains("rdf:Bag>")
        };
        let before: Vec<&str> = DARKTABLE.lines().filter(|l| !ours(l)).collect();
        let after: Vec<&str> = text.lines().filter(|l| !ours(l)).collect();
        let declared: Vec<&str> =
            after.iter().copied().filter(|l| l.contains("xmlns:") && !before.contains(l)).collect();
        assert!(
            declared.iter().all(|l| l.contains("xmlns:xmpDM")
                || l.contains("xmlns:digiKam")
                || l.contains("xmlns:lr")
                || l.contains("xmlns:dc")),
            "{declared:?}"
        );
    }

    #[test]
    fn a_self_closed_description_and_broken_files() {
        let s = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:foo=\"urn:foo\" foo:bar=\"1\"/></rdf:RDF></x:xmpmeta>";
        let out = update(s.as_bytes(), &marks()).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("foo:bar=\"1\""), "{text}");
        assert_eq!(parse(&out).unwrap().rating, Some(4));
        assert!(update(b"<x:xmpmeta><rdf:RDF></rdf:RDF></x:xmpmeta>", &marks()).is_err());
        assert!(update(b"<x:xmpmeta><rdf:RDF><rdf:Description>", &marks()).is_err());
        assert!(update(b"not xml at all <<<", &marks()).is_err());
    }
}
