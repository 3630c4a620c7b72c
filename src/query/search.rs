//! The search language: `hma search 'person:Anna has:dog place:Bavaria
//! (month:7 OR month:8) -eyes:closed score>=0.5'`, the app's search box and
//! saved searches.
//!
//! A query is parsed into a typed tree ([`Expr`]) with the column of every
//! term, its names are resolved against the catalogue (people, places,
//! tags; a name nobody has matches nothing and says so in a note), and the
//! result ([`hma_catalog::search::Filter`]) is read in steps
//! ([`ScoredPages`]), each one Diesel query for either backend. Terms are joined by AND when
//! side by side; `OR`, `NOT` or `-`, parentheses and quoted values
//! (`place:"New York"`) as in a web search.
//!
//! What matches is a picture file (its content, its capture, its file); a
//! capture is found when one of its present pictures matches, and shown by
//! its best-scored matching one. The parser is hand-written recursive
//! descent: the grammar is a dozen lines, every error must carry the
//! column of the token at fault, and the parser crates we looked at
//! (nom, pest, chumsky) would add a dependency for less control over those
//! messages.

use std::collections::{HashMap, HashSet};

use hma_catalog::search::{Cmp, Filter, Leaf, Phase};
use hma_catalog::Catalog;
use serde::Serialize;

use crate::rank::{date_ms, format_local, parse_date};
use crate::report::Places;
use crate::{EngineError, Result};

/// A query tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

/// One term and where it starts in the query (1-based column).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    pub column: usize,
    #[serde(flatten)]
    pub kind: TermKind,
}

/// What a term asks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "term", content = "value", rename_all = "lowercase")]
pub enum TermKind {
    Person(String),
    Pet(String),
    /// The word as typed, and the COCO classes it means.
    Has(String, Vec<String>),
    Place(String),
    Near {
        lat: f64,
        lon: f64,
        km: f64,
    },
    /// `tag:` and `taxon:`: a node (`TAXONOMY:NODE` or a name/path in any).
    Tag(String),
    Camera(String),
    Lens(String),
    /// Local-time `[from, to)` ranges in ms; `years` when they repeat every year.
    Taken(DateTerm),
    Score(Cmp, f64),
    Rating(Cmp, i16),
    Flag(i16),
    Label(Option<String>),
    Faces(i64, Option<i64>),
    Eyes(bool),
    Kind(String),
    Is(String),
    Root(String),
    Word(String),
}

/// A date term.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DateTerm {
    /// `[from, to)`, ms of local time.
    Range(i64, i64),
    /// A month of any year (1–12).
    Month(u32),
    /// A day of any year (month, day).
    Anniversary(u32, u32),
}

/// Every term, for messages and the app's autocomplete.
pub const TERMS: &str = "person:NAME pet:NAME has:CLASS place:NAME near:LAT,LON,KM tag:NODE taxon:NODE camera:TEXT lens:TEXT year:YYYY month:1-12|july day:YYYY-MM-DD|MM-DD from:DATE to:DATE score>=0.5 rating>=3 flag:pick|reject|none label:red|…|none faces:N|N+|N-M eyes:open|closed kind:raw|jpeg|heic|video is:dup|best|missing root:NAME, a bare word (person, pet, place, tag or file name); AND by juxtaposition, OR, NOT or -, ( ), \"quoted values\"";

const KEYS: [&str; 23] = [
    "person", "pet", "has", "place", "near", "tag", "taxon", "camera", "lens", "year", "month", "day", "from", "to",
    "score", "rating", "flag", "label", "faces", "eyes", "kind", "is", "root",
];

/// A bad query: where and why.
fn err(column: usize, message: impl Into<String>) -> EngineError {
    EngineError::Query { column, message: message.into() }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Or,
    And,
    Not,
    Minus,
    /// A term (`key` set) or a bare word.
    Word {
        key: Option<String>,
        op: Cmp,
        value: String,
        value_col: usize,
    },
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    col: usize,
}

fn lex(q: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push(Token { tok: Tok::LParen, col });
                i += 1;
                continue;
            }
            ')' => {
                out.push(Token { tok: Tok::RParen, col });
                i += 1;
                continue;
            }
            '-' => {
                if chars.get(i + 1).is_none_or(|n| n.is_whitespace() || *n == ')') {
                    return Err(err(col, "'-' must stand right before a term (-has:cat)"));
                }
                out.push(Token { tok: Tok::Minus, col });
                i += 1;
                continue;
            }
            _ => {}
        }
        // A word: up to a space or a parenthesis; quotes keep spaces.
        let mut text = String::new();
        let mut quoted = false;
        let mut quote_at: Option<usize> = None; // char count of `text` where a quote began
        while i < chars.len() {
            let ch = chars[i];
            if ch == '"' {
                let open = i + 1;
                if quote_at.is_none() {
                    quote_at = Some(text.chars().count());
                }
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                if i == chars.len() {
                    return Err(err(open, "this quote is never closed"));
                }
                text.extend(&chars[start..i]);
                quoted = true;
                i += 1;
                continue;
            }
            if ch.is_whitespace() || ch == '(' || ch == ')' {
                break;
            }
            text.push(ch);
            i += 1;
        }
        if !quoted {
            match text.as_str() {
                "OR" => {
                    out.push(Token { tok: Tok::Or, col });
                    continue;
                }
                "AND" => {
                    out.push(Token { tok: Tok::And, col });
                    continue;
                }
                "NOT" => {
                    out.push(Token { tok: Tok::Not, col });
                    continue;
                }
                _ => {}
            }
        }
        out.push(Token { tok: split_term(&text, col, quote_at)?, col });
    }
    Ok(out)
}

/// `key:value`, `key>=value`… or a bare word.
fn split_term(text: &str, col: usize, quote_at: Option<usize>) -> Result<Tok> {
    let key_len = text.chars().take_while(|c| c.is_ascii_lowercase() || *c == '-').count();
    let bare = |t: &str| Tok::Word { key: None, op: Cmp::Eq, value: t.to_string(), value_col: col };
    // A quote before the key's end: a quoted bare word ("a:b").
    if key_len == 0 || quote_at.is_some_and(|q| q < key_len) {
        return Ok(bare(text));
    }
    let rest: String = text.chars().skip(key_len).collect();
    let (op, op_len) = if rest.starts_with(">=") {
        (Cmp::Ge, 2)
    } else if rest.starts_with("<=") {
        (Cmp::Le, 2)
    } else if rest.starts_with('>') {
        (Cmp::Gt, 1)
    } else if rest.starts_with('<') {
        (Cmp::Lt, 1)
    } else if rest.starts_with('=') || rest.starts_with(':') {
        (Cmp::Eq, 1)
    } else {
        return Ok(bare(text));
    };
    let key: String = text.chars().take(key_len).collect();
    if !KEYS.contains(&key.as_str()) {
        if op_len == 1 && rest.starts_with(':') {
            return Err(err(col, format!("unknown term '{key}:'; terms are {TERMS}")));
        }
        return Ok(bare(text));
    }
    let value: String = rest.chars().skip(op_len).collect();
    let value_col = col + key_len + op_len;
    if value.is_empty() {
        return Err(err(value_col, format!("'{key}' needs a value")));
    }
    if op != Cmp::Eq && !matches!(key.as_str(), "score" | "rating")
        || rest.starts_with('=') && key != "score" && key != "rating"
    {
        return Err(err(col + key_len, format!("'{key}' takes ':' (only score and rating compare with >=, >, <=, <)")));
    }
    Ok(Tok::Word { key: Some(key), op, value, value_col })
}

/// Deepest nesting of parentheses and NOTs taken.
const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    end_col: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn col(&self) -> usize {
        self.peek().map_or(self.end_col, |t| t.col)
    }

    fn or(&mut self, depth: usize) -> Result<Expr> {
        let mut parts = vec![self.and(depth)?];
        while self.peek().is_some_and(|t| t.tok == Tok::Or) {
            let at = self.col();
            self.pos += 1;
            if self.peek().is_none_or(|t| matches!(t.tok, Tok::RParen | Tok::Or | Tok::And)) {
                return Err(err(at, "OR needs a term on each side"));
            }
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap_or_else(|| unreachable!()) } else { Expr::Or(parts) })
    }

    fn and(&mut self, depth: usize) -> Result<Expr> {
        let mut parts = vec![self.unary(depth)?];
        loop {
            match self.peek().map(|t| &t.tok) {
                None | Some(Tok::Or) | Some(Tok::RParen) => break,
                Some(Tok::And) => {
                    let at = self.col();
                    self.pos += 1;
                    if self.peek().is_none_or(|t| matches!(t.tok, Tok::RParen | Tok::Or | Tok::And)) {
                        return Err(err(at, "AND needs a term on each side"));
                    }
                }
                _ => {}
            }
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap_or_else(|| unreachable!()) } else { Expr::And(parts) })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr> {
        if depth > MAX_DEPTH {
            return Err(err(self.col(), "nested too deeply"));
        }
        let Some(t) = self.peek().cloned() else {
            return Err(err(self.end_col, "the query ends where a term was expected"));
        };
        match t.tok {
            Tok::Minus | Tok::Not => {
                self.pos += 1;
                if self.peek().is_none() {
                    return Err(err(t.col, "NOT (or -) needs a term after it"));
                }
                Ok(Expr::Not(Box::new(self.unary(depth + 1)?)))
            }
            Tok::LParen => {
                self.pos += 1;
                if self.peek().is_some_and(|n| n.tok == Tok::RParen) {
                    return Err(err(t.col, "empty parentheses"));
                }
                let e = self.or(depth + 1)?;
                match self.peek() {
                    Some(Token { tok: Tok::RParen, .. }) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => Err(err(t.col, "this parenthesis is never closed")),
                }
            }
            Tok::RParen => Err(err(t.col, "a ')' without its '('")),
            Tok::Or | Tok::And => Err(err(t.col, "OR and AND go between two terms")),
            Tok::Word { key, op, value, value_col } => {
                self.pos += 1;
                Ok(Expr::Term(Term { column: t.col, kind: term(key.as_deref(), op, &value, value_col)? }))
            }
        }
    }
}

/// Parses a query.
pub fn parse(q: &str) -> Result<Expr> {
    let toks = lex(q)?;
    if toks.is_empty() {
        return Err(err(1, format!("an empty query; {TERMS}")));
    }
    let mut p = Parser { toks, pos: 0, end_col: q.chars().count() + 1 };
    let e = p.or(0)?;
    if let Some(t) = p.peek() {
        return Err(err(t.col, if t.tok == Tok::RParen { "a ')' without its '('" } else { "unexpected here" }));
    }
    Ok(e)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_of_word(v: &str) -> Option<u32> {
    if let Ok(m) = v.parse::<u32>() {
        return (1..=12).contains(&m).then_some(m);
    }
    let l = v.to_lowercase();
    if l.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(&l)).map(|i| i as u32 + 1)
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: the period's `[start, end)`, ms.
fn period(v: &str) -> Option<(i64, i64)> {
    let parts: Vec<&str> = v.split('-').collect();
    let num = |s: &str, w: usize| {
        (s.len() == w && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i64>().ok()).flatten()
    };
    match parts.as_slice() {
        [y] => {
            let y = num(y, 4)?;
            Some((parse_date(&format!("{y:04}-01-01"))?, parse_date(&format!("{:04}-01-01", y + 1))?))
        }
        [y, m] => {
            let (y, m) = (num(y, 4)?, num(m, 2)?);
            if !(1..=12).contains(&m) {
                return None;
            }
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            Some((parse_date(&format!("{y:04}-{m:02}-01"))?, parse_date(&format!("{ny:04}-{nm:02}-01"))?))
        }
        [y, m, d] => {
            let d = date_ms(num(y, 4)? as i32, num(m, 2)? as u32, num(d, 2)? as u32)?;
            Some((d, d + 86_400_000))
        }
        _ => None,
    }
}

fn term(key: Option<&str>, op: Cmp, v: &str, col: usize) -> Result<TermKind> {
    let bad = |m: &str| err(col, m.to_string());
    let Some(key) = key else { return Ok(TermKind::Word(v.to_string())) };
    Ok(match key {
        "person" => TermKind::Person(v.replace('_', " ")),
        "pet" => TermKind::Pet(v.replace('_', " ")),
        "has" => {
            let ids = hma_detect::coco::expand(v);
            if ids.is_empty() {
                return Err(bad(&format!(
                    "unknown class {v:?}: a COCO class (person, dog, horse, bicycle, car, cat…, _ for spaces) or a group (animal, vehicle, food…)"
                )));
            }
            TermKind::Has(v.to_string(), ids.into_iter().map(|i| hma_detect::coco::CLASSES[i].to_string()).collect())
        }
        "place" => TermKind::Place(v.to_string()),
        "tag" | "taxon" => TermKind::Tag(v.to_string()),
        "camera" => TermKind::Camera(v.to_string()),
        "lens" => TermKind::Lens(v.to_string()),
        "near" => {
            let p: Vec<&str> = v.split(',').map(str::trim).collect();
            let f = |s: &str| s.trim_end_matches("km").parse::<f64>().ok().filter(|x| x.is_finite());
            match p.as_slice() {
                [la, lo, km] => {
                    let (Some(lat), Some(lon), Some(km)) = (f(la), f(lo), f(km)) else {
                        return Err(bad("near:LAT,LON,KM, e.g. near:48.14,11.58,10"));
                    };
                    if lat.abs() > 90.0 || lon.abs() > 180.0 || km <= 0.0 || km > 20_000.0 {
                        return Err(bad("latitude −90…90, longitude −180…180, a distance above 0 km"));
                    }
                    TermKind::Near { lat, lon, km }
                }
                _ => return Err(bad("near:LAT,LON,KM, e.g. near:48.14,11.58,10")),
            }
        }
        "year" => {
            let r = match v.split_once('-') {
                Some((a, b)) if a.len() == 4 && b.len() == 4 => {
                    period(a).zip(period(b)).map(|(a, b)| (a.0, b.1)).filter(|(a, b)| a < b)
                }
                None if v.len() == 4 => period(v),
                _ => None,
            };
            let (a, b) = r.ok_or_else(|| bad("year:YYYY or year:YYYY-YYYY"))?;
            TermKind::Taken(DateTerm::Range(a, b))
        }
        "month" => {
            if let Some(r) = (v.len() == 7).then(|| period(v)).flatten() {
                TermKind::Taken(DateTerm::Range(r.0, r.1))
            } else {
                TermKind::Taken(DateTerm::Month(
                    month_of_word(v).ok_or_else(|| bad("month:1-12, month:july or month:YYYY-MM"))?,
                ))
            }
        }
        "day" => {
            if v.len() == 10 {
                let (a, b) = period(v).ok_or_else(|| bad("day:YYYY-MM-DD or day:MM-DD"))?;
                TermKind::Taken(DateTerm::Range(a, b))
            } else {
                let (m, d) = v.split_once('-').ok_or_else(|| bad("day:YYYY-MM-DD or day:MM-DD"))?;
                let (m, d): (u32, u32) =
                    (m.parse().map_err(|_| bad("day:MM-DD"))?, d.parse().map_err(|_| bad("day:MM-DD"))?);
                // 2000 is a leap year: 02-29 is a day.
                date_ms(2000, m, d).ok_or_else(|| bad("no such day"))?;
                TermKind::Taken(DateTerm::Anniversary(m, d))
            }
        }
        "from" => {
            let (a, _) = period(v).ok_or_else(|| bad("from:YYYY, from:YYYY-MM or from:YYYY-MM-DD"))?;
            TermKind::Taken(DateTerm::Range(a, i64::MAX))
        }
        "to" => {
            let (_, b) =
                period(v).ok_or_else(|| bad("to:YYYY, to:YYYY-MM or to:YYYY-MM-DD (the whole period counts)"))?;
            TermKind::Taken(DateTerm::Range(i64::MIN, b))
        }
        "score" => {
            let s: f64 =
                v.parse().ok().filter(|s: &f64| (0.0..=1.0).contains(s)).ok_or_else(|| bad("a score 0 to 1"))?;
            // `score:0.5` reads as "at least".
            TermKind::Score(if op == Cmp::Eq { Cmp::Ge } else { op }, s)
        }
        "rating" => {
            let r: i16 = v.parse().ok().filter(|r: &i16| (0..=5).contains(r)).ok_or_else(|| bad("stars 0 to 5"))?;
            TermKind::Rating(op, r)
        }
        "flag" => TermKind::Flag(match v {
            "pick" | "picked" => 1,
            "reject" | "rejected" => -1,
            "none" | "unflagged" => 0,
            _ => return Err(bad("flag:pick, flag:reject or flag:none")),
        }),
        "label" => {
            let l = v.to_lowercase();
            if l == "none" {
                TermKind::Label(None)
            } else if crate::marks::LABELS.contains(&l.as_str()) {
                TermKind::Label(Some(l))
            } else {
                return Err(bad("label:red, yellow, green, blue, purple or none"));
            }
        }
        "faces" => {
            let r = face_range(v).ok_or_else(|| bad("faces:N, faces:N+ or faces:N-M"))?;
            TermKind::Faces(r.0, r.1)
        }
        "eyes" => TermKind::Eyes(match v {
            "open" => true,
            "closed" => false,
            _ => return Err(bad("eyes:open or eyes:closed")),
        }),
        "kind" => {
            let k = v.to_lowercase();
            let known = ["raw", "image", "video", "jpeg", "heic", "png", "tiff", "webp", "avif", "jxl", "gif", "bmp"];
            if !known.contains(&k.as_str()) {
                return Err(bad("kind:raw, jpeg, heic, video, image, png, tiff, webp, avif, jxl, gif or bmp"));
            }
            TermKind::Kind(if k == "jpg" { "jpeg".into() } else { k })
        }
        "is" => match v {
            "dup" | "best" | "missing" => TermKind::Is(v.to_string()),
            _ => return Err(bad("is:dup, is:best or is:missing")),
        },
        "root" => TermKind::Root(v.to_string()),
        _ => return Err(bad("unknown term")),
    })
}

/// `2`, `2+`, `1-3`.
fn face_range(v: &str) -> Option<(i64, Option<i64>)> {
    if let Some(n) = v.strip_suffix('+') {
        return Some((n.parse().ok().filter(|n: &i64| *n >= 0)?, None));
    }
    if let Some((a, b)) = v.split_once('-') {
        let (a, b): (i64, i64) = (a.parse().ok()?, b.parse().ok()?);
        return (0 <= a && a <= b).then_some((a, Some(b)));
    }
    let n: i64 = v.parse().ok().filter(|n: &i64| *n >= 0)?;
    Some((n, Some(n)))
}

/// A parsed query resolved against a catalogue.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub filter: Filter,
    /// Names nobody has, and the like ("no person named Ana").
    pub notes: Vec<String>,
}

struct Resolver<'a> {
    cat: &'a mut Catalog,
    notes: Vec<String>,
    years: Option<Option<(i32, i32)>>,
    people: Option<Vec<(i64, String, String)>>,
}

impl Resolver<'_> {
    fn years(&mut self) -> Result<Option<(i32, i32)>> {
        if let Some(y) = self.years {
            return Ok(y);
        }
        let y = self.cat.taken_years()?.map(|(a, b)| (crate::rank::year_of(a), crate::rank::year_of(b)));
        self.years = Some(y);
        Ok(y)
    }

    /// People and pets named so (any case): ids.
    fn named(&mut self, kind: Option<&str>, name: &str) -> Result<Vec<i64>> {
        if self.people.is_none() {
            let all = self.cat.people()?;
            self.people = Some(
                all.into_iter()
                    .filter_map(|p| Some((p.id, hma_catalog::taxon_key(p.name.as_deref()?), p.kind)))
                    .collect(),
            );
        }
        let key = hma_catalog::taxon_key(name);
        Ok(self
            .people
            .iter()
            .flatten()
            .filter(|(_, n, k)| *n == key && kind.is_none_or(|want| want == k))
            .map(|(id, _, _)| *id)
            .collect())
    }

    /// Linked nodes under the nodes a text names, in one taxonomy or all.
    fn nodes(&mut self, taxonomy: Option<&str>, text: &str) -> Result<Vec<i64>> {
        let mut tops = Vec::new();
        let (taxonomy, text) = match (taxonomy, text.split_once(':')) {
            (None, Some((t, rest))) if self.cat.taxonomy(t)?.is_some() => (Some(t.to_string()), rest.to_string()),
            (t, _) => (t.map(str::to_string), text.to_string()),
        };
        let ts: Vec<hma_catalog::Taxonomy> = match &taxonomy {
            Some(t) => self.cat.taxonomy(t)?.into_iter().collect(),
            None => self.cat.taxonomies()?,
        };
        for t in ts {
            if let Some(n) = self.cat.node_by_external_id(t.id, &text)? {
                tops.push(n.id);
            }
            tops.extend(crate::tags::find_by_names(self.cat, t.id, &text)?.into_iter().map(|n| n.id));
        }
        tops.sort_unstable();
        tops.dedup();
        if tops.is_empty() {
            return Ok(vec![]);
        }
        Ok(self.cat.linked_nodes_under(&tops)?)
    }

    fn resolve(&mut self, e: &Expr) -> Result<Filter> {
        Ok(match e {
            Expr::And(v) => Filter::All(v.iter().map(|e| self.resolve(e)).collect::<Result<_>>()?),
            Expr::Or(v) => Filter::Any(v.iter().map(|e| self.resolve(e)).collect::<Result<_>>()?),
            Expr::Not(e) => Filter::Not(Box::new(self.resolve(e)?)),
            Expr::Term(t) => self.leaf(t)?,
        })
    }

    fn nothing(&mut self, note: String) -> Leaf {
        self.notes.push(note);
        Leaf::Nothing
    }

    fn leaf(&mut self, t: &Term) -> Result<Filter> {
        let model = crate::faces::MODEL_ID;
        Ok(Filter::Leaf(match &t.kind {
            TermKind::Person(n) | TermKind::Pet(n) => {
                let kind = if matches!(t.kind, TermKind::Person(_)) { "person" } else { "pet" };
                let ids = self.named(Some(kind), n)?;
                if ids.is_empty() {
                    self.nothing(format!("column {}: no {kind} named {n:?} (see `hma people`)", t.column))
                } else {
                    Leaf::People(ids)
                }
            }
            TermKind::Has(_, classes) => Leaf::Classes(classes.clone()),
            TermKind::Place(p) => {
                let ids = self.nodes(Some(crate::places::TAXONOMY), p)?;
                if ids.is_empty() {
                    self.nothing(format!("column {}: no photo is in a place called {p:?}", t.column))
                } else {
                    Leaf::Taxa(ids)
                }
            }
            TermKind::Tag(p) => {
                let ids = self.nodes(None, p)?;
                if ids.is_empty() {
                    self.nothing(format!("column {}: no photo is tagged {p:?}", t.column))
                } else {
                    Leaf::Taxa(ids)
                }
            }
            TermKind::Near { lat, lon, km } => Leaf::Near { lat: *lat, lon: *lon, km: *km },
            TermKind::Camera(s) => Leaf::Camera(hma_catalog::taxon_key(s)),
            TermKind::Lens(s) => Leaf::Lens(hma_catalog::taxon_key(s)),
            TermKind::Taken(d) => Leaf::Taken(match d {
                DateTerm::Range(a, b) => vec![(*a, *b)],
                DateTerm::Month(m) => self.every_year(|y| {
                    let (ny, nm) = if *m == 12 { (y + 1, 1) } else { (y, m + 1) };
                    Some((date_ms(y, *m, 1)?, date_ms(ny, nm, 1)?))
                })?,
                DateTerm::Anniversary(m, d) => self.every_year(|y| {
                    let a = date_ms(y, *m, *d)?;
                    Some((a, a + 86_400_000))
                })?,
            }),
            TermKind::Score(op, v) => Leaf::Score(*op, *v),
            TermKind::Rating(op, v) => {
                let (lo, hi) = match op {
                    Cmp::Ge => (*v, 5),
                    Cmp::Gt => (v + 1, 5),
                    Cmp::Le => (0, *v),
                    Cmp::Lt => (0, v - 1),
                    Cmp::Eq => (*v, *v),
                };
                Leaf::Stars { lo, hi }
            }
            TermKind::Flag(f) => Leaf::Flag(*f),
            TermKind::Label(l) => Leaf::Label(l.clone()),
            TermKind::Faces(lo, hi) => Leaf::Faces { model: model.into(), lo: *lo, hi: *hi },
            TermKind::Eyes(open) => Leaf::Eyes { model: model.into(), closed: !open },
            TermKind::Kind(k) => match k.as_str() {
                "raw" | "image" | "video" => Leaf::Kind(k.clone()),
                _ => Leaf::Format(k.clone()),
            },
            TermKind::Is(w) => match w.as_str() {
                "dup" => Leaf::Duplicated,
                "best" => Leaf::BestOfGroup,
                _ => Leaf::Missing,
            },
            TermKind::Root(r) => match self.cat.root_by_name(r)? {
                Some(root) => Leaf::Root(root.id),
                None => self.nothing(format!("column {}: no root named {r:?} (see `hma root list`)", t.column)),
            },
            TermKind::Word(w) => {
                let mut any = Vec::new();
                let people = self.named(None, w)?;
                if !people.is_empty() {
                    any.push(Filter::Leaf(Leaf::People(people)));
                }
                let nodes = self.nodes(None, w)?;
                if !nodes.is_empty() {
                    any.push(Filter::Leaf(Leaf::Taxa(nodes)));
                }
                // File and folder names no index serves: asked once here, so
                // a word no name has (a typo) costs one pass over the paths,
                // not a walk over every picture testing each.
                let key = hma_catalog::taxon_key(w);
                if self.cat.any_path_contains(&key)? {
                    any.push(Filter::Leaf(Leaf::PathContains(key)));
                }
                return Ok(match any.len() {
                    0 => Filter::Leaf(self.nothing(format!(
                        "column {}: nothing is named {w:?} and no file or folder name contains it",
                        t.column
                    ))),
                    1 => any.pop().unwrap_or(Filter::Leaf(Leaf::Nothing)),
                    _ => Filter::Any(any),
                });
            }
        }))
    }

    fn every_year(&mut self, f: impl Fn(i32) -> Option<(i64, i64)>) -> Result<Vec<(i64, i64)>> {
        Ok(match self.years()? {
            Some((a, b)) => (a..=b).filter_map(f).collect(),
            None => vec![],
        })
    }
}

/// Resolves a parsed query's names against the catalogue.
pub fn resolve(cat: &mut Catalog, e: &Expr) -> Result<Resolved> {
    let mut r = Resolver { cat, notes: vec![], years: None, people: None };
    let filter = r.resolve(e)?;
    Ok(Resolved { filter, notes: r.notes })
}

/// One capture found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The capture's best-scored matching picture.
    pub path: String,
    pub score: Option<f64>,
    pub capture_id: i64,
    pub taken: Option<String>,
    /// Every class detected in that picture.
    pub classes: Vec<String>,
}

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub hits: Vec<SearchHit>,
    pub notes: Vec<String>,
}

/// Runs a query: at most `limit` captures, best first.
pub fn search(cat: &mut Catalog, places: &Places, query: &str, limit: usize) -> Result<SearchResult> {
    search_walking(cat, places, query, limit, FIRST_WALK)
}

/// [`search`] with the first walk `first_walk` pictures long (see
/// [`ScoredPages::walking`]).
pub fn search_walking(
    cat: &mut Catalog,
    places: &Places,
    query: &str,
    limit: usize,
    first_walk: i64,
) -> Result<SearchResult> {
    let e = parse(query)?;
    let r = resolve(cat, &e)?;
    let pages = ScoredPages::walking(r.filter, true, first_walk);
    let hits = run_pages(cat, places, pages, limit)?;
    Ok(SearchResult { hits, notes: r.notes })
}

fn run_pages(cat: &mut Catalog, places: &Places, mut pages: ScoredPages, limit: usize) -> Result<Vec<SearchHit>> {
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    // Pictures of one capture (RAW + JPEG) count once: once a page had
    // such, twice what is missing is asked for, as each page reads its step
    // again from the start and halving pages would cost more.
    let mut twins = false;
    'pages: loop {
        let missing = limit - rows.len();
        let got = pages.next(cat, (if twins { 2 * missing } else { missing }) as i64)?;
        if got.is_empty() {
            break;
        }
        for r in got {
            let Some(c) = r.capture_id else { continue };
            if seen.insert(c) {
                rows.push(r);
                if rows.len() >= limit {
                    break 'pages;
                }
            } else {
                twins = true;
            }
        }
    }
    let capture_ids: Vec<i64> = rows.iter().filter_map(|r| r.capture_id).collect();
    let taken: HashMap<i64, Option<i64>> =
        cat.captures_by_ids(&capture_ids)?.into_iter().map(|c| (c.id, c.fields.taken_local_ms)).collect();
    let contents: Vec<hma_catalog::ContentHash> = rows.iter().filter_map(|r| r.content_hash).collect();
    let mut classes: HashMap<hma_catalog::ContentHash, Vec<String>> = HashMap::new();
    for d in cat.detections_of_many(&contents)? {
        classes.entry(d.content_hash).or_default().push(d.class_name);
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let c = r.capture_id?;
            let mut cl = r.content_hash.and_then(|h| classes.get(&h).cloned()).unwrap_or_default();
            cl.sort();
            cl.dedup();
            Some(SearchHit {
                path: places.path_in(r.root_id, &r.rel_path),
                score: r.score,
                capture_id: c,
                taken: taken.get(&c).copied().flatten().map(format_local),
                classes: cl,
            })
        })
        .collect())
}

/// How many of the best pictures a search reads down the score index
/// before it weighs where else to start.
pub const FIRST_WALK: i64 = 2_000;
/// The most one later walk window reads.
const MAX_WINDOW: i64 = 250_000;

/// How many more pictures a walk reads next: half again what the guess
/// says it needs, at least as many as walked so far (a wrong guess costs
/// a few doublings, not one step per page), at most [`MAX_WINDOW`].
fn next_window(rows_needed: i64, walked: i64) -> i64 {
    rows_needed.saturating_add(rows_needed / 2).max(walked).min(MAX_WINDOW)
}

/// A query's scored pictures, a page at a time, best first (the
/// lightbox's list with a query), read in the cheapest order it can tell:
///
/// 1. the best [`FIRST_WALK`] pictures down the score index, the filter
///    tested on each (matches are common: done here);
/// 2. from what that found, how far a walk must go for the rest; if one
///    of the sets every match is in (a person, a class, a place or tag,
///    a time range, an area, a face count, eyes, duplicates) is smaller
///    than that, the
///    pictures below the walk are read from that set and sorted
///    (`Driven`); else the walk goes on, a window sized by the same guess,
///    and the choice is made again after it;
/// 3. then, when asked, the pictures without a score.
///
/// Each step is a query of its own ([`Phase`]), and [`ScoredPages::steps`]
/// says what was chosen and why (`hma search --explain`).
#[derive(Debug, Clone)]
pub struct ScoredPages {
    first_walk: i64,
    filter: Filter,
    unscored: bool,
    /// Whether the last step is still being read, and the rows read from it.
    reading: bool,
    offset: i64,
    /// Ranks walked, matches found there, and the lowest score walked.
    walked: i64,
    found: i64,
    floor: Option<f64>,
    /// The scored pictures are all read (or planned).
    scored_done: bool,
    finished: bool,
    /// How many the caller wants in all (grows with each page asked).
    want: i64,
    returned: i64,
    sizes: Option<Vec<(usize, Leaf, i64)>>,
    /// The set the scored pictures below the walk were read from.
    driver: Option<(usize, Leaf, i64)>,
    steps: Vec<Step>,
}

/// One step a search took: its phase and why.
#[derive(Debug, Clone)]
pub struct Step {
    pub phase: Phase,
    pub filter: Filter,
    pub why: String,
}

impl ScoredPages {
    /// The scored pictures only (what the lightbox lists).
    pub fn new(filter: Filter) -> ScoredPages {
        ScoredPages::with(filter, false)
    }

    /// Also the pictures without a score, after the rest (`hma search`).
    pub fn with(filter: Filter, unscored: bool) -> ScoredPages {
        ScoredPages::walking(filter, unscored, FIRST_WALK)
    }

    /// As [`ScoredPages::with`], the first walk `first_walk` pictures long
    /// (the tests make it short, so that every kind of step is taken on a
    /// small library).
    pub fn walking(filter: Filter, unscored: bool, first_walk: i64) -> ScoredPages {
        ScoredPages {
            first_walk: first_walk.max(1),
            filter: filter.simplified(),
            unscored,
            reading: false,
            offset: 0,
            walked: 0,
            found: 0,
            floor: None,
            scored_done: false,
            finished: false,
            want: 0,
            returned: 0,
            sizes: None,
            driver: None,
            steps: Vec::new(),
        }
    }

    /// The steps taken so far.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The next page of at most `n` (empty at the end).
    pub fn next(&mut self, cat: &mut Catalog, n: i64) -> Result<Vec<hma_catalog::search::SearchRow>> {
        if n <= 0 {
            return Ok(vec![]);
        }
        self.want = self.want.max(self.returned + n);
        loop {
            if !self.reading && !self.plan(cat)? {
                return Ok(vec![]);
            }
            let Some(step) = self.steps.last() else { return Ok(vec![]) };
            let rows = cat.search_files(&step.filter, &step.phase, self.offset, n)?;
            if rows.len() as i64 == n {
                self.offset += n;
            } else {
                if matches!(step.phase, Phase::Walk { .. }) {
                    self.found += self.offset + rows.len() as i64;
                }
                self.reading = false;
                self.offset = 0;
            }
            if !rows.is_empty() {
                self.returned += rows.len() as i64;
                return Ok(rows);
            }
        }
    }

    /// The smallest set every match is in (its place in the filter, the
    /// leaf, its capped size), the sizes counted once.
    fn smallest(&mut self, cat: &mut Catalog) -> Result<Option<(usize, Leaf, i64)>> {
        if self.sizes.is_none() {
            let mut sizes = Vec::new();
            for (at, leaf) in self.filter.required() {
                if let Some(n) = cat.driver_size(leaf)? {
                    sizes.push((at, leaf.clone(), n));
                }
            }
            self.sizes = Some(sizes);
        }
        Ok(self.sizes.iter().flatten().min_by_key(|(_, _, n)| *n).cloned())
    }

    /// Chooses the next phase; false at the end.
    fn plan(&mut self, cat: &mut Catalog) -> Result<bool> {
        // A filter nothing passes (a name nobody has) reads nothing.
        if self.finished || self.filter == Filter::Leaf(Leaf::Nothing) {
            return Ok(false);
        }
        let step = if self.scored_done {
            self.finished = true;
            if !self.unscored {
                return Ok(false);
            }
            // From the driver the scored pictures were read from, or the
            // smallest set every match is in: without one, every file is
            // read to find those without a score.
            let driver = match self.driver.clone() {
                Some(d) => Some(d),
                None => self.smallest(cat)?.filter(|(_, _, n)| *n <= hma_catalog::search::SIZE_CAP),
            };
            match driver {
                Some((at, leaf, size)) => Step {
                    phase: Phase::Unscored { driver: Some(leaf) },
                    filter: self.filter.without(at),
                    why: format!("the pictures without a score, from the smallest set every match is in ({size} rows)"),
                },
                None => Step {
                    phase: Phase::Unscored { driver: None },
                    filter: self.filter.clone(),
                    why: "the pictures without a score (no set every match is in: every file read)".into(),
                },
            }
        } else if self.floor.is_none() && self.walked == 0 {
            let lo = cat.score_at_rank(self.first_walk)?;
            self.walked = self.first_walk;
            self.scored_done = lo.is_none();
            self.floor = lo;
            Step {
                phase: Phase::Walk { lo: lo.unwrap_or(f64::MIN), hi: None },
                filter: self.filter.clone(),
                why: format!("the best {} pictures, down the score index", self.first_walk),
            }
        } else {
            // A guess of how far a walk must still go: the matches so far
            // per picture walked (half a match when none), assumed to hold.
            let need = (self.want - self.found).max(1);
            let density = (self.found as f64 + 0.5) / self.walked as f64;
            let rows_needed = (need as f64 / density).ceil() as i64;
            let smallest = self.smallest(cat)?;
            let found = format!("{} found in the best {}", self.found, self.walked);
            match smallest {
                Some((at, driver, size)) if size <= rows_needed && size <= hma_catalog::search::SIZE_CAP => {
                    self.scored_done = true;
                    self.driver = Some((at, driver.clone(), size));
                    Step {
                        phase: Phase::Driven { driver: driver.clone(), below: self.floor },
                        filter: self.filter.without(at),
                        why: format!(
                            "{found}, so about {rows_needed} more to walk; the rest from the smallest set every \
                             match is in ({size} rows), sorted by score"
                        ),
                    }
                }
                _ => {
                    let window = next_window(rows_needed, self.walked);
                    let lo = cat.score_at_rank(self.walked + window)?;
                    let hi = self.floor;
                    self.walked += window;
                    self.scored_done = lo.is_none();
                    self.floor = lo;
                    let sets = match &smallest {
                        Some((_, _, size)) => format!("the smallest set every match is in has {size}+ rows"),
                        None => "no set every match is in can start it".into(),
                    };
                    Step {
                        phase: Phase::Walk { lo: lo.unwrap_or(f64::MIN), hi },
                        filter: self.filter.clone(),
                        why: format!("{found}, so about {rows_needed} more to walk and {sets}: walk {window} more"),
                    }
                }
            }
        };
        self.steps.push(step);
        self.reading = true;
        Ok(true)
    }
}

/// Search rows as the ranking reads them (with their capture's time).
pub fn ranked(cat: &mut Catalog, rows: Vec<hma_catalog::search::SearchRow>) -> Result<Vec<hma_catalog::RankedFile>> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.capture_id).collect();
    let taken: HashMap<i64, Option<i64>> =
        cat.captures_by_ids(&ids)?.into_iter().map(|c| (c.id, c.fields.taken_local_ms)).collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(hma_catalog::RankedFile {
                file_id: r.file_id,
                root_id: r.root_id,
                capture_id: r.capture_id,
                content_hash: r.content_hash?,
                score: r.score?,
                taken_local_ms: r.capture_id.and_then(|c| taken.get(&c).copied().flatten()),
                rel_path: r.rel_path,
            })
        })
        .collect())
}

/// `hma search --explain`: the tree, what it became, the SQL and the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub query: String,
    pub ast: Expr,
    pub filter: String,
    /// The steps the search took for the first `limit` (best first, then
    /// those without a score): why, the SQL and the database's plan.
    pub phases: Vec<ExplainedPhase>,
    pub notes: Vec<String>,
}

/// One phase of [`Explained`].
#[derive(Debug, Clone, Serialize)]
pub struct ExplainedPhase {
    pub phase: &'static str,
    /// Why the search took this step.
    pub why: String,
    pub sql: String,
    pub plan: Vec<String>,
}

/// Explains a query: the search run to `limit` as `hma search` runs it,
/// then each step it took with why, its SQL and the database's plan.
pub fn explain(cat: &mut Catalog, query: &str, limit: usize) -> Result<Explained> {
    let ast = parse(query)?;
    let r = resolve(cat, &ast)?;
    let mut pages = ScoredPages::with(r.filter.clone(), true);
    let mut got = 0;
    while got < limit {
        let rows = pages.next(cat, (limit - got) as i64)?;
        if rows.is_empty() {
            break;
        }
        got += rows.len();
    }
    let mut phases = Vec::new();
    for step in pages.steps() {
        let (sql, plan) = cat.explain_phase(&step.filter, &step.phase, limit as i64)?;
        phases.push(ExplainedPhase {
            phase: match step.phase {
                Phase::Walk { .. } => "walk down the score index",
                Phase::Driven { .. } => "from one set, sorted",
                Phase::Unscored { .. } => "without a score",
            },
            why: step.why.clone(),
            sql,
            plan,
        });
    }
    Ok(Explained { query: query.into(), ast, filter: format!("{:#?}", r.filter), phases, notes: r.notes })
}

/// One completion for the search box.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Suggestion {
    /// What replaces the word being typed (`person:Anna`, `place:"New York"`).
    pub insert: String,
    /// What the list shows.
    pub label: String,
    /// person, pet, place, tag, class, term or value.
    pub kind: String,
}

/// A value as a query writes it: quoted when it has a space or a parenthesis.
fn quoted(v: &str) -> String {
    if v.chars().any(|c| c.is_whitespace() || c == '(' || c == ')') {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// The word being typed at the end of `text` (after the last space outside
/// quotes), and where it starts (bytes).
fn last_word(text: &str) -> (usize, &str) {
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && (c.is_whitespace() || c == '(' || c == ')') {
            start = i + c.len_utf8();
        }
    }
    (start, &text[start..])
}

/// Completions of the word being typed at the end of `text`: a term's
/// values (`person:A` → the people whose name starts so; `place:`, `tag:`,
/// `has:`, and the fixed ones), or, for a bare word, the terms and the
/// people, places and tags whose names start so. From the catalogue, each
/// lookup a range on an index; at most `limit`.
pub fn suggest(cat: &mut Catalog, text: &str, limit: usize) -> Result<Vec<Suggestion>> {
    let (_, word) = last_word(text);
    let (neg, word) = match word.strip_prefix('-') {
        Some(w) => ("-", w),
        None => ("", word),
    };
    let mut out: Vec<Suggestion> = Vec::new();
    let sug = |insert: String, label: String, kind: &str| Suggestion { insert, label, kind: kind.into() };
    let people = |cat: &mut Catalog, kind: Option<&str>, prefix: &str| -> Result<Vec<(String, String)>> {
        let key = hma_catalog::taxon_key(prefix);
        let mut v: Vec<(String, String)> = cat
            .people()?
            .into_iter()
            .filter(|p| kind.is_none_or(|k| p.kind == k))
            .filter_map(|p| Some((p.name?, p.kind)))
            .filter(|(n, _)| hma_catalog::taxon_key(n).starts_with(&key))
            .collect();
        v.sort();
        Ok(v)
    };
    let fixed = |key: &str| -> &'static [&'static str] {
        match key {
            "flag" => &["pick", "reject", "none"],
            "label" => &["red", "yellow", "green", "blue", "purple", "none"],
            "eyes" => &["open", "closed"],
            "kind" => &["raw", "jpeg", "heic", "video", "image", "png", "tiff", "webp"],
            "is" => &["dup", "best", "missing"],
            "month" => &MONTHS,
            "faces" => &["0", "1", "2+", "3+", "1-3"],
            _ => &[],
        }
    };
    if let Some((key, v)) = word.split_once(':').filter(|(k, _)| KEYS.contains(k)) {
        let v = v.trim_start_matches('"');
        let lv = v.to_lowercase();
        match key {
            "person" | "pet" => {
                for (n, k) in people(cat, Some(key), v)? {
                    out.push(sug(format!("{neg}{key}:{}", quoted(&n)), n, &k));
                }
            }
            "place" | "tag" | "taxon" => {
                let tid = match key {
                    "place" => cat.taxonomy(crate::places::TAXONOMY)?.map(|t| t.id),
                    _ => None,
                };
                if key != "place" || tid.is_some() {
                    let names: HashMap<i64, String> = cat.taxonomies()?.into_iter().map(|t| (t.id, t.name)).collect();
                    for n in cat.nodes_starting(tid, v, limit as i64)? {
                        let tax = names.get(&n.taxonomy_id).cloned().unwrap_or_default();
                        let label = format!(
                            "{} ({}{})",
                            n.name,
                            tax,
                            n.taxon_rank.map(|r| format!(", {r}")).unwrap_or_default()
                        );
                        out.push(sug(
                            format!("{neg}{key}:{}", quoted(&n.name)),
                            label,
                            if key == "place" { "place" } else { "tag" },
                        ));
                    }
                }
            }
            "has" => {
                let mut words: Vec<&str> =
                    hma_detect::coco::CLASSES.iter().chain(hma_detect::coco::SUPER.iter()).copied().collect();
                words.sort();
                words.dedup();
                for w in words.into_iter().filter(|w| w.starts_with(&lv)) {
                    let w = w.replace(' ', "_");
                    out.push(sug(format!("{neg}has:{w}"), w.clone(), "class"));
                }
            }
            k => {
                for w in fixed(k).iter().filter(|w| w.starts_with(&lv)) {
                    out.push(sug(format!("{neg}{k}:{w}"), w.to_string(), "value"));
                }
            }
        }
    } else if !word.is_empty() {
        let lw = word.to_lowercase();
        for k in KEYS.iter().filter(|k| k.starts_with(&lw)) {
            let t = if matches!(*k, "score" | "rating") { format!("{k}>=") } else { format!("{k}:") };
            out.push(sug(format!("{neg}{t}"), t, "term"));
        }
        for (n, k) in people(cat, None, word)? {
            out.push(sug(format!("{neg}{}:{}", if k == "pet" { "pet" } else { "person" }, quoted(&n)), n, &k));
        }
        let names: HashMap<i64, String> = cat.taxonomies()?.into_iter().map(|t| (t.id, t.name)).collect();
        for n in cat.nodes_starting(None, word, limit as i64)? {
            let tax = names.get(&n.taxonomy_id).cloned().unwrap_or_default();
            if tax == hma_catalog::PEOPLE_TAXONOMY {
                continue; // already offered as person:
            }
            let (key, kind) = if tax == crate::places::TAXONOMY { ("place", "place") } else { ("tag", "tag") };
            let label = format!("{} ({}{})", n.name, tax, n.taxon_rank.map(|r| format!(", {r}")).unwrap_or_default());
            out.push(sug(format!("{neg}{key}:{}", quoted(&n.name)), label, kind));
        }
    }
    let mut seen = HashSet::new();
    out.retain(|s| seen.insert(s.insert.clone()));
    out.truncate(limit);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col_of(q: &str) -> usize {
        match parse(q) {
            Err(EngineError::Query { column, .. }) => column,
            other => panic!("{q:?} parsed: {other:?}"),
        }
    }

    #[test]
    fn walk_windows_grow_and_stay_bounded() {
        assert_eq!(next_window(100, 2_000), 2_000);
        assert_eq!(next_window(10_000, 2_000), 15_000);
        assert_eq!(next_window(i64::MAX, 2_000), MAX_WINDOW);
        // Past the largest window (a word nothing has, a million pictures):
        // one more window, no panic.
        assert_eq!(next_window(50, 3 * MAX_WINDOW), MAX_WINDOW);
    }

    #[test]
    fn the_grammar() {
        let e = parse(r#"has:dog (person:Anna OR pet:Rex) -has:cat place:"New York" score>=0.5"#).unwrap();
        let Expr::And(parts) = &e else { panic!("{e:?}") };
        assert_eq!(parts.len(), 5);
        assert!(matches!(&parts[1], Expr::Or(v) if v.len() == 2));
        assert!(matches!(&parts[2], Expr::Not(_)));
        assert!(matches!(&parts[3], Expr::Term(Term { kind: TermKind::Place(p), column: 43 }) if p == "New York"));
        assert!(matches!(&parts[4], Expr::Term(Term { kind: TermKind::Score(Cmp::Ge, s), .. }) if *s == 0.5));
        fn strip(e: Expr) -> Expr {
            match e {
                Expr::And(v) => Expr::And(v.into_iter().map(strip).collect()),
                Expr::Or(v) => Expr::Or(v.into_iter().map(strip).collect()),
                Expr::Not(e) => Expr::Not(Box::new(strip(*e))),
                Expr::Term(t) => Expr::Term(Term { column: 0, kind: t.kind }),
            }
        }
        assert_eq!(strip(parse("a OR b c").unwrap()), strip(parse("a OR (b AND c)").unwrap()));
        assert_eq!(strip(parse("a b OR c").unwrap()), strip(parse("(a b) OR c").unwrap()));
        assert!(matches!(parse("NOT has:cat").unwrap(), Expr::Not(_)));
        assert!(
            matches!(parse("\"beach house\"").unwrap(), Expr::Term(Term { kind: TermKind::Word(w), .. }) if w == "beach house")
        );
        assert!(matches!(
            parse("month:jul").unwrap(),
            Expr::Term(Term { kind: TermKind::Taken(DateTerm::Month(7)), .. })
        ));
        assert!(matches!(parse("rating<3").unwrap(), Expr::Term(Term { kind: TermKind::Rating(Cmp::Lt, 3), .. })));
        assert!(
            matches!(parse("has:cell_phone").unwrap(), Expr::Term(Term { kind: TermKind::Has(_, c), .. }) if *c == vec!["cell phone".to_string()])
        );
    }

    #[test]
    fn the_catalogue_counts_faces_as_the_score_does() {
        assert_eq!(hma_catalog::FACE_COUNT_CONFIDENCE, hma_vision::score::FACE_CONFIDENCE);
        assert_eq!(hma_catalog::FACE_COUNT_SHARE, hma_vision::score::FACE_MIN_SHARE);
    }

    #[test]
    fn every_error_has_its_column() {
        assert_eq!(col_of("has:dog has:unicorn"), 13);
        assert_eq!(col_of("has:dog (person:Anna"), 9);
        assert_eq!(col_of("has:dog )"), 9);
        assert_eq!(col_of("has:dog OR"), 9);
        assert_eq!(col_of("OR has:dog"), 1);
        assert_eq!(col_of("month:13"), 7);
        assert_eq!(col_of("colour:red"), 1);
        assert_eq!(col_of("place:\"New York"), 7);
        assert_eq!(col_of(""), 1);
        assert_eq!(col_of("   "), 1);
        assert_eq!(col_of("has:dog -"), 9);
        assert_eq!(col_of("()"), 1);
        assert_eq!(col_of("has>=dog"), 4);
        assert_eq!(col_of("score>=2"), 8);
        assert_eq!(col_of("near:1,2"), 6);
        assert_eq!(col_of(&"(".repeat(100)), 66);
        assert_eq!(last_word("has:dog (place:\"New Yo"), (9, "place:\"New Yo"));
        match parse("has:dog has:unicorn") {
            Err(e) => assert!(e.to_string().starts_with("error at column 13: unknown class"), "{e}"),
            Ok(_) => panic!(),
        }
    }
}
