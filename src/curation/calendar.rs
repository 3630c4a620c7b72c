//! The family calendar (`hma calendar`): twelve months and a cover chosen
//! from a year of photos, each explained, then edited by the user and
//! exported as copies into a calendar folder.
//!
//! How a calendar is suggested (`new`):
//! - **Pools.** Each month's pool is the best of that month of the period
//!   (one per burst and near-duplicate group, as the lightbox shows them;
//!   rejected photos never). A person's birthday month also gets the best
//!   photos showing them from that month, or, when there is none, from the
//!   whole period (said so). A month with no photos, or only weak ones
//!   (best score under [`WEAK`]), also gets the same month of other years
//!   (said so), and a month with nothing at all borrows the best photo left
//!   in the period.
//! - **Cover,** first: the period's best photo with a face where the
//!   object detector also sees a person (else with a person, else with a
//!   face, else its best);
//!   never the only photo of a person in their birthday month.
//! - **Months,** greedily: at each step the (month, photo) pair with the
//!   highest gain fills its month, where
//!
//!   ```text
//!   gain = score
//!        + PICKED if you picked it, + STAR per star
//!        + BIRTHDAY if it shows someone whose birthday is in that month
//!        + HOLIDAY if it was taken on a public holiday
//!        + NEW_PERSON if it shows a named person not yet in the calendar
//!        − OTHER_YEAR if it is from the same month of another year
//!        − BORROWED if it is from another month
//!        − the print penalty (too small, soft, or cropped a lot)
//!   ```
//!
//!   and never two photos from one event, one group or one capture (the
//!   cover included). A slot the user chose keeps its photo when the
//!   suggestions are renewed.
//! - **Suggestions.** Each slot keeps its pool's best (by gain when it was
//!   filled) as the next choices, none from an event another slot holds.
//!
//! The print check says, for each photo, whether its pixels fill the
//! calendar's paper at its dpi once cropped to the paper's shape.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use hma_catalog::search::{Filter, Leaf};
use hma_catalog::{CalendarRow, CalendarSpecRow, Catalog, ChosenBy, SlotRow, SuggestionRow};
use serde::Serialize;

use crate::export::ExportReport;
use crate::rank::{format_local, parse_date, TopEntry, TopFilter};
use crate::report::Places;
use crate::spread::MONTHS;
use crate::{EngineError, JobContext, Result};

/// A month whose best photo scores under this also looks at other years.
pub const WEAK: f64 = 0.40;
/// So does a month with fewer photos than this (the cover or a birthday
/// may take them).
pub const THIN: usize = 3;
/// What the user's pick adds.
pub const PICKED: f64 = 0.10;
/// What each star adds.
pub const STAR: f64 = 0.02;
/// What showing a person whose birthday is in the month adds: more than
/// any score, so a birthday photo always comes first in its month.
pub const BIRTHDAY: f64 = 1.0;
/// What being taken on a public holiday adds.
pub const HOLIDAY: f64 = 0.05;
/// What a named person's first appearance in the calendar adds.
pub const NEW_PERSON: f64 = crate::spread::NEW_PERSON;
/// What coming from the same month of another year costs.
pub const OTHER_YEAR: f64 = 0.05;
/// What a stand-in from another year costs where the month has good photos
/// of its own: more than any score, so it only fills in.
pub const SPARE: f64 = 1.0;
/// What coming from another month of the period costs.
pub const BORROWED: f64 = 0.20;
/// Too few pixels for the print (under 2/3 of its dpi).
pub const TOO_SMALL: f64 = 0.15;
/// Enough for the print at 2/3 of its dpi, not all of it.
pub const SOFT: f64 = 0.05;
/// Cropping to the paper's shape loses more than a quarter of the picture.
pub const CROPPED: f64 = 0.10;
/// How many photos each month's pool holds.
pub const POOL: usize = 24;
/// How many suggestions each slot keeps.
pub const SUGGESTIONS: usize = 9;
/// The calendar name when none is given.
pub const DEFAULT_NAME: &str = "family";

/// A paper size: its name and sides in mm (long, short).
#[derive(Debug, Clone, PartialEq)]
pub struct Paper {
    pub name: String,
    pub long_mm: f64,
    pub short_mm: f64,
}

impl Paper {
    /// `A5`…`A2`, `Letter`, `Tabloid`, or `WxH` / `WxHmm` in millimetres.
    pub fn parse(s: &str) -> Result<Paper> {
        let named = |name: &str, a: f64, b: f64| Paper { name: name.into(), long_mm: a, short_mm: b };
        let p = match s.trim().to_ascii_lowercase().as_str() {
            "a5" => named("A5", 210.0, 148.0),
            "a4" => named("A4", 297.0, 210.0),
            "a3" => named("A3", 420.0, 297.0),
            "a2" => named("A2", 594.0, 420.0),
            "letter" => named("Letter", 279.4, 215.9),
            "tabloid" => named("Tabloid", 431.8, 279.4),
            other => {
                let bad = || {
                    EngineError::Invalid(format!(
                        "paper {s:?}: use A5, A4, A3, A2, Letter, Tabloid or WxH in mm (300x200)"
                    ))
                };
                let (w, h) = other.trim_end_matches("mm").split_once('x').ok_or_else(bad)?;
                let (w, h): (f64, f64) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
                if !(w >= 20.0 && h >= 20.0 && w <= 5000.0 && h <= 5000.0) {
                    return Err(bad());
                }
                Paper { name: format!("{w}x{h}mm"), long_mm: w.max(h), short_mm: w.min(h) }
            }
        };
        Ok(p)
    }
}

/// Whether a photo has the pixels for the calendar's print.
#[derive(Debug, Clone, Serialize, ts_rs::TS, PartialEq)]
pub struct PrintCheck {
    /// `fits`, `soft` (at least 2/3 of the dpi) or `too small`.
    pub verdict: String,
    /// The dpi it prints at once cropped to the paper's shape.
    pub dpi: u32,
    pub megapixels: f64,
    /// The share of the picture the crop to the paper's shape keeps.
    pub kept: f64,
    /// In words: "fits A4 at 300 dpi", "too small for A3 (2.1 MP: 150 dpi)".
    pub words: String,
}

impl PrintCheck {
    /// What the check takes off a photo's gain.
    fn penalty(&self) -> f64 {
        let size = match self.verdict.as_str() {
            "fits" => 0.0,
            "soft" => SOFT,
            _ => TOO_SMALL,
        };
        size + if self.kept < 0.75 { CROPPED } else { 0.0 }
    }
}

/// The print check of a `width`×`height` photo on `paper` at `dpi`.
pub fn print_check(width: i32, height: i32, paper: &Paper, dpi: u32, landscape: bool) -> PrintCheck {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let (pw, ph) = if landscape { (paper.long_mm, paper.short_mm) } else { (paper.short_mm, paper.long_mm) };
    let (want, have) = (pw / ph, w / h);
    // The largest crop of the paper's shape: full width or full height.
    let (cw, ch) = if have > want { (h * want, h) } else { (w, w / want) };
    let kept = (cw * ch) / (w * h);
    let at = (cw / (pw / 25.4)).floor() as u32;
    let mp = (w * h / 1e6 * 10.0).round() / 10.0;
    let verdict = if at >= dpi {
        "fits"
    } else if f64::from(at) >= f64::from(dpi) * 2.0 / 3.0 {
        "soft"
    } else {
        "too small"
    };
    let mut words = match verdict {
        "fits" => format!("fits {} at {dpi} dpi", paper.name),
        "soft" => format!("prints {} at {at} dpi, a little soft up close ({mp} MP)", paper.name),
        _ => format!("too small for {} ({mp} MP: {at} dpi)", paper.name),
    };
    if kept < 0.75 {
        let shape = match (have > 1.0, want > 1.0) {
            (false, true) => "a portrait photo on a landscape page",
            (true, false) => "a landscape photo on a portrait page",
            _ if have > want => "wider than the page",
            _ => "taller than the page",
        };
        words.push_str(&format!("; {shape}: the crop keeps {:.0} %", kept * 100.0));
    }
    PrintCheck { verdict: verdict.into(), dpi: at, megapixels: mp, kept: (kept * 100.0).round() / 100.0, words }
}

/// What `hma calendar new` (and the app's Suggest) is asked.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct CalendarSpec {
    pub year: i32,
    pub name: Option<String>,
    /// First day of the period (default: 1 January of the year before).
    pub from: Option<String>,
    /// Last day of the period (default: 31 December of the year before).
    pub to: Option<String>,
    /// Whose holidays (default: the locale's country).
    pub country: Option<String>,
    pub paper: String,
    pub dpi: u32,
    pub portrait: bool,
}

impl Default for CalendarSpec {
    fn default() -> Self {
        CalendarSpec {
            year: 0,
            name: None,
            from: None,
            to: None,
            country: None,
            paper: "A4".into(),
            dpi: 300,
            portrait: false,
        }
    }
}

/// A calendar as `show` gives it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "CalendarView")]
pub struct CalendarView {
    pub year: i32,
    pub name: String,
    /// The period the photos come from, both days included.
    pub from: String,
    pub to: String,
    pub country: Option<String>,
    pub paper: String,
    pub dpi: u32,
    pub orientation: String,
    /// The cover's photo (null: none).
    pub cover: Option<Choice>,
    /// The cover as a slot: its suggestions and note.
    pub cover_slot: Slot,
    /// January to December.
    pub months: Vec<Slot>,
    /// What the calendar lacks or assumed ("holidays: no country given").
    pub notes: Vec<String>,
}

/// One slot: the cover (month 0) or a month.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "CalendarSlot")]
pub struct Slot {
    pub month: u32,
    /// "Cover", "January"…
    pub title: String,
    pub choice: Option<Choice>,
    /// `suggested`, `user` or `none`.
    pub chosen_by: String,
    /// What the month lacked ("no photos from May 2026: these are from May 2024").
    pub note: Option<String>,
    pub suggestions: Vec<Suggestion>,
    pub birthdays: Vec<Birthday>,
    pub holidays: Vec<Holiday>,
}

/// A slot's photo.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "CalendarChoice")]
pub struct Choice {
    pub path: String,
    pub taken_at: Option<String>,
    /// Why it is here, in words.
    pub why: String,
    pub file_id: i64,
    /// Content hash (the app asks for previews by it).
    pub content: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub score: Option<f64>,
    /// Its file is gone (never exported).
    pub missing: bool,
    pub print: Option<PrintCheck>,
}

/// One of a slot's next choices: the photo (its `why` says why for this
/// slot) and its gain.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "CalendarSuggestion")]
pub struct Suggestion {
    #[serde(flatten)]
    #[ts(flatten)]
    pub photo: Choice,
    /// Its gain for this slot when the slot was filled.
    pub gain: f64,
}

/// A named person's birthday in a month.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Birthday {
    pub name: String,
    /// Day of the month.
    pub day: u32,
    /// The age they turn in the calendar's year, when the year of birth is known.
    pub turns: Option<i32>,
}

/// A public holiday in a month of the calendar's year.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "CalendarHoliday")]
pub struct Holiday {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub name: String,
}

/// Where a candidate came from, for its slot.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Origin {
    /// Its month of the period.
    Month,
    /// The same month of another year (the month has none, or only weak ones).
    OtherYear,
    /// The same month of another year, standing in only for the month's
    /// own photos that other slots took.
    Spare,
    /// Another month of the period (a birthday photo, or a month with nothing).
    Borrowed,
}

#[derive(Debug, Clone)]
struct Candidate {
    entry: TopEntry,
    event: Option<i64>,
    origin: Origin,
    print: PrintCheck,
    /// Taken on this holiday.
    holiday: Option<String>,
}

impl Candidate {
    fn group(&self) -> Option<i64> {
        self.entry.group.as_ref().map(|g| g.id)
    }
}

/// The period's first day and the day after its last (ms, local time).
struct Period {
    from: String,
    to: String,
    start: i64,
    end: i64,
}

impl Period {
    fn of(spec: &CalendarSpec) -> Result<Period> {
        let from = spec.from.clone().unwrap_or_else(|| format!("{:04}-01-01", spec.year - 1));
        let to = spec.to.clone().unwrap_or_else(|| format!("{:04}-12-31", spec.year - 1));
        let day =
            |d: &str| parse_date(d).ok_or_else(|| EngineError::Invalid(format!("{d:?} is not a date: use YYYY-MM-DD")));
        let (start, end) = (day(&from)?, day(&to)? + 86_400_000);
        if end <= start {
            return Err(EngineError::Invalid(format!("the period ends ({to}) before it starts ({from})")));
        }
        if end - start > 4 * 366 * 86_400_000 {
            return Err(EngineError::Invalid("the period is longer than four years".into()));
        }
        Ok(Period { from, to, start, end })
    }

    /// The parts of the period in month `m` (one per year it spans).
    fn ranges(&self, m: u32) -> Vec<(i64, i64, i32)> {
        let (y0, _, _) = hma_media::exif::civil_from_days(self.start.div_euclid(86_400_000));
        let (y1, _, _) = hma_media::exif::civil_from_days((self.end - 1).div_euclid(86_400_000));
        (y0..=y1)
            .filter_map(|y| {
                let a = month_start(y, m);
                let b = if m == 12 { month_start(y + 1, 1) } else { month_start(y, m + 1) };
                let (a, b) = (a.max(self.start), b.min(self.end));
                (a < b).then_some((a, b, y))
            })
            .collect()
    }
}

fn month_start(y: i32, m: u32) -> i64 {
    hma_media::exif::days_from_civil(y, m, 1) * 86_400_000
}

fn month_name(m: u32) -> &'static str {
    MONTHS[(m as usize + 11) % 12]
}

/// `12 May`.
fn day_month(ms: i64) -> String {
    let (_, m, d) = hma_media::exif::civil_from_days(ms.div_euclid(86_400_000));
    format!("{d} {}", &month_name(m)[..3])
}

/// The best `n` photos taken in these ranges, not rejected, one per group:
/// the database reads each range by its time index and sorts it (a month
/// of a million captures is a few thousand rows), cheaper here than a walk
/// down the score index.
fn best_in(cat: &mut Catalog, places: &Places, n: usize, ranges: &[(i64, i64, i32)]) -> Result<Vec<TopEntry>> {
    let mut all = Vec::new();
    for &(a, b, _) in ranges {
        let tf = TopFilter {
            db: hma_catalog::RankFilter { taken_from_ms: Some(a), taken_to_ms: Some(b), ..Default::default() },
            not_flag: Some(crate::marks::Flag::Rejected),
            ..Default::default()
        };
        all.extend(crate::rank::top(cat, places, n, &tf)?);
    }
    all.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.file_id.cmp(&y.file_id)));
    all.truncate(n);
    Ok(all)
}

/// The best `n` photos that `filter` and not-rejected find, one per group.
fn best(cat: &mut Catalog, places: &Places, n: usize, filter: Filter) -> Result<Vec<TopEntry>> {
    let f = Filter::All(vec![filter, Filter::Not(Box::new(Filter::Leaf(Leaf::Flag(-1))))]);
    let tf = TopFilter { search: Some(f), ..Default::default() };
    crate::rank::top(cat, places, n, &tf)
}

fn taken(ranges: &[(i64, i64, i32)]) -> Filter {
    Filter::Leaf(Leaf::Taken(ranges.iter().map(|r| (r.0, r.1)).collect()))
}

/// A named person with a birthday: (name, id, month, day, year of birth).
struct Born {
    name: String,
    id: i64,
    month: u32,
    day: u32,
    year: Option<i32>,
}

fn birthdays(cat: &mut Catalog) -> Result<Vec<Born>> {
    Ok(cat
        .people()?
        .into_iter()
        .filter_map(|p| {
            let b = p.birthday?;
            let mut it = b.split('-');
            let (y, m, d) = (it.next()?.parse::<i32>().ok(), it.next()?.parse().ok()?, it.next()?.parse().ok()?);
            Some(Born { name: p.name?, id: p.id, month: m, day: d, year: y.filter(|&y| y > 1800) })
        })
        .collect())
}

/// Suggests a calendar (or renews the suggestions of one, keeping what the
/// user chose) and stores it.
pub fn new(cat: &mut Catalog, places: &Places, spec: &CalendarSpec, ctx: &JobContext) -> Result<CalendarView> {
    if !(1900..=9999).contains(&spec.year) {
        return Err(EngineError::Invalid(format!("year {}: use a year like 2027", spec.year)));
    }
    let name = spec.name.clone().unwrap_or_else(|| DEFAULT_NAME.into());
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(EngineError::Invalid("a calendar's name is 1 to 100 characters".into()));
    }
    let period = Period::of(spec)?;
    let paper = Paper::parse(&spec.paper)?;
    if !(72..=1200).contains(&spec.dpi) {
        return Err(EngineError::Invalid(format!("{} dpi: use 72 to 1200", spec.dpi)));
    }
    let country = match &spec.country {
        Some(c) => {
            let c = c.trim().to_ascii_uppercase();
            if !crate::holidays::covered(&c) {
                return Err(EngineError::Invalid(format!(
                    "no holidays known for the country {c:?}: give a two-letter code such as DE, GB or US"
                )));
            }
            Some(c)
        }
        None => crate::holidays::locale_country().filter(|c| crate::holidays::covered(c)),
    };
    ctx.progress.stage("calendar", Some(14));
    if cat.events_count()? == 0 {
        crate::events::update(cat, ctx)?;
    }
    let row = CalendarSpecRow {
        year: spec.year,
        name: name.clone(),
        from_day: period.from.clone(),
        to_day: period.to.clone(),
        country: country.clone(),
        paper: paper.name.clone(),
        dpi: spec.dpi as i32,
        landscape: !spec.portrait,
    };
    let kept: HashMap<i32, SlotRow> = match cat.calendar(spec.year, &name)? {
        Some(old) => cat
            .calendar_slots(old.id)?
            .into_iter()
            .filter(|s| s.chosen_by == ChosenBy::User)
            .map(|s| (s.slot, s))
            .collect(),
        None => HashMap::new(),
    };
    let s = Suggester { paper: &paper, dpi: spec.dpi, landscape: !spec.portrait, country: country.as_deref() };
    let (slots, suggestions) = s.suggest(cat, places, &period, &kept, ctx)?;
    let id = cat.transaction(|cat| -> Result<i64> {
        let id = cat.put_calendar(&row, ctx.now())?;
        cat.put_calendar_slots(id, &slots, &suggestions)?;
        Ok(id)
    })?;
    let cal = cat
        .calendar(spec.year, &name)?
        .filter(|c| c.id == id)
        .ok_or_else(|| EngineError::NotFound("calendar".into()))?;
    ctx.progress.advance(1);
    view(cat, places, &cal)
}

struct Suggester<'a> {
    paper: &'a Paper,
    dpi: u32,
    landscape: bool,
    country: Option<&'a str>,
}

/// One slot being filled: its pool and, once filled, its choice.
#[derive(Default)]
struct Filling {
    pool: Vec<Candidate>,
    note: Option<String>,
    chosen: Option<(Candidate, Vec<String>)>,
    /// The pool by gain when it was filled.
    ranked: Vec<(Candidate, f64, Vec<String>)>,
}

/// What the calendar holds so far.
#[derive(Default)]
struct Taken {
    events: HashSet<i64>,
    groups: HashSet<i64>,
    captures: HashSet<i64>,
    files: HashSet<i64>,
    people: HashSet<String>,
}

impl Taken {
    fn blocks(&self, c: &Candidate) -> bool {
        c.event.is_some_and(|e| self.events.contains(&e))
            || c.group().is_some_and(|g| self.groups.contains(&g))
            || c.entry.capture_id.is_some_and(|x| self.captures.contains(&x))
            || self.files.contains(&c.entry.file_id)
    }

    fn take(&mut self, c: &Candidate) {
        self.events.extend(c.event);
        self.groups.extend(c.group());
        self.captures.extend(c.entry.capture_id);
        self.files.insert(c.entry.file_id);
        self.people.extend(c.entry.people.iter().cloned());
    }
}

impl Suggester<'_> {
    fn candidates(&self, cat: &mut Catalog, entries: Vec<TopEntry>, origin: Origin) -> Result<Vec<Candidate>> {
        let ids: Vec<i64> = entries.iter().filter_map(|e| e.capture_id).collect();
        let events: HashMap<i64, i64> = cat.events_of_captures(&ids)?.into_iter().collect();
        let mut holidays: HashMap<i32, Vec<(u32, u32, String)>> = HashMap::new();
        Ok(entries
            .into_iter()
            .map(|entry| {
                let print = print_check(
                    entry.width.unwrap_or(0),
                    entry.height.unwrap_or(0),
                    self.paper,
                    self.dpi,
                    self.landscape,
                );
                let holiday = self.country.zip(entry.taken.as_deref()).and_then(|(cc, t)| {
                    let (y, m, d): (i32, u32, u32) =
                        (t.get(..4)?.parse().ok()?, t.get(5..7)?.parse().ok()?, t.get(8..10)?.parse().ok()?);
                    let list = holidays.entry(y).or_insert_with(|| crate::holidays::holidays(cc, y));
                    list.iter().find(|h| (h.0, h.1) == (m, d)).map(|h| h.2.clone())
                });
                let event = entry.capture_id.and_then(|c| events.get(&c).copied());
                Candidate { entry, event, origin, print, holiday }
            })
            .collect())
    }

    /// The gain of `c` in `month` (0: the cover) with what is taken, and why.
    fn gain(&self, c: &Candidate, month: u32, taken: &Taken, born: &[Born]) -> (f64, Vec<String>) {
        let e = &c.entry;
        let mut g = e.score;
        let mut why = Vec::new();
        if e.marks.flag > 0 {
            g += PICKED;
            why.push("you picked it".to_string());
        }
        if e.marks.rating > 0 {
            g += STAR * f64::from(e.marks.rating);
            why.push(format!("{} stars", e.marks.rating));
        }
        if month > 0 {
            let theirs: Vec<&Born> = born.iter().filter(|b| b.month == month && e.people.contains(&b.name)).collect();
            if !theirs.is_empty() {
                g += BIRTHDAY;
                for b in theirs {
                    why.push(format!(
                        "{}'s birthday is {} {} and {} is in it",
                        b.name,
                        b.day,
                        month_name(month),
                        b.name
                    ));
                }
            }
            if let Some(h) = &c.holiday {
                g += HOLIDAY;
                why.push(format!("taken on {h}"));
            }
            match c.origin {
                Origin::Month => {}
                Origin::OtherYear => g -= OTHER_YEAR,
                Origin::Spare => g -= SPARE,
                Origin::Borrowed => g -= BORROWED,
            }
        }
        let new: Vec<&str> = e.people.iter().filter(|p| !taken.people.contains(*p)).map(|s| s.as_str()).collect();
        if !new.is_empty() {
            g += NEW_PERSON;
            why.push(format!("first appearance of {} in the calendar", new.join(", ")));
        }
        g -= c.print.penalty();
        (g, why)
    }

    fn suggest(
        &self,
        cat: &mut Catalog,
        places: &Places,
        period: &Period,
        kept: &HashMap<i32, SlotRow>,
        ctx: &JobContext,
    ) -> Result<(Vec<SlotRow>, Vec<SuggestionRow>)> {
        let t0 = std::time::Instant::now();
        let born = birthdays(cat)?;
        let whole = vec![(period.start, period.end, 0)];
        let mut slots: Vec<Filling> = (0..13).map(|_| Filling::default()).collect();
        // The cover: the period's best with faces, else its best.
        // A face the detector of people agrees with first: a face alone can
        // be a false one (a finial on a railing, seen in ../shared/photos).
        let mut cover = Vec::new();
        for q in ["faces:1+ has:person", "has:person", "faces:1+"] {
            let with_people = crate::search::resolve(cat, &crate::search::parse(q)?)?.filter;
            cover = best(cat, places, POOL, Filter::All(vec![taken(&whole), with_people]))?;
            if !cover.is_empty() {
                break;
            }
        }
        if cover.is_empty() {
            cover = best(cat, places, POOL, taken(&whole))?;
            if !cover.is_empty() {
                slots[0].note = Some("no photo with people in the period: the cover is its best photo".into());
            }
        }
        slots[0].pool = self.candidates(cat, cover, Origin::Month)?;
        tracing::debug!("calendar: cover pool in {} ms", t0.elapsed().as_millis());
        ctx.progress.advance(1);
        for m in 1..=12u32 {
            let ranges = period.ranges(m);
            let mut pool = if ranges.is_empty() {
                vec![]
            } else {
                let found = best_in(cat, places, POOL, &ranges)?;
                self.candidates(cat, found, Origin::Month)?
            };
            let years: Vec<String> = ranges.iter().map(|r| r.2.to_string()).collect();
            let when = if years.is_empty() {
                month_name(m).to_string()
            } else {
                format!("{} {}", month_name(m), years.join("/"))
            };
            let best_score = pool.first().map(|c| c.entry.score);
            let thin = pool.len() < THIN;
            if thin || best_score.is_none_or(|s| s < WEAK) {
                // Other years' same month (outside the period).
                let other =
                    Filter::All(vec![Filter::Leaf(Leaf::Taken(all_years_of(m))), Filter::Not(Box::new(taken(&whole)))]);
                let found = best(cat, places, POOL, other)?;
                // A month with good photos of its own keeps them: other
                // years only stand in for those another slot took.
                let origin = if best_score.is_none_or(|s| s < WEAK) { Origin::OtherYear } else { Origin::Spare };
                let more = self.candidates(cat, found, origin)?;
                if !more.is_empty() {
                    slots[m as usize].note = Some(match best_score {
                        None => format!("no photos from {when}: these are from {} of other years", month_name(m)),
                        Some(s) if s < WEAK => format!(
                            "the photos from {when} are weak (best {s:.2}): {} of other years are suggested too",
                            month_name(m)
                        ),
                        Some(_) => format!(
                            "only {} from {when}: {} of other years stand in for any taken by another slot",
                            if pool.len() == 1 { "1 photo".to_string() } else { format!("{} photos", pool.len()) },
                            month_name(m)
                        ),
                    });
                    pool.extend(more);
                } else if best_score.is_none() {
                    slots[m as usize].note = Some(format!(
                        "no photos from {} at all: the best left from the period is suggested",
                        month_name(m)
                    ));
                }
            }
            // Birthdays: photos of them from their month, else from the period.
            for b in born.iter().filter(|b| b.month == m) {
                // Already in the month's best: nothing more to read.
                if pool.iter().any(|c| c.origin == Origin::Month && c.entry.people.contains(&b.name)) {
                    continue;
                }
                let theirs = Filter::Leaf(Leaf::People(vec![b.id]));
                let found = if ranges.is_empty() {
                    vec![]
                } else {
                    best(cat, places, 8, Filter::All(vec![taken(&ranges), theirs.clone()]))?
                };
                let mut got = self.candidates(cat, found, Origin::Month)?;
                if got.is_empty() {
                    let found = best(cat, places, 4, Filter::All(vec![taken(&whole), theirs]))?;
                    got = self.candidates(cat, found, Origin::Borrowed)?;
                    let note = if got.is_empty() {
                        format!(
                            "{}'s birthday is {} {}, but no photo of {} is in the period",
                            b.name,
                            b.day,
                            month_name(m),
                            b.name
                        )
                    } else {
                        format!(
                            "{}'s birthday is {} {}; no photo of {} from {when}, so the best of {} from the period is suggested",
                            b.name,
                            b.day,
                            month_name(m),
                            b.name,
                            b.name
                        )
                    };
                    let slot = &mut slots[m as usize];
                    slot.note = Some(match slot.note.take() {
                        Some(n) => format!("{n}; {note}"),
                        None => note,
                    });
                }
                let pool_ids: HashSet<i64> = pool.iter().map(|c| c.entry.file_id).collect();
                pool.extend(got.into_iter().filter(|c| !pool_ids.contains(&c.entry.file_id)));
            }
            slots[m as usize].pool = pool;
            tracing::debug!("calendar: month {m} pool in {} ms", t0.elapsed().as_millis());
            ctx.progress.advance(1);
        }

        let mut taken_now = Taken::default();
        // What the user chose stays, and counts as taken.
        let mut user: HashMap<usize, SlotRow> = HashMap::new();
        let mut user_cands: HashMap<usize, Candidate> = HashMap::new();
        for (slot, row) in kept {
            if let Some(fid) = row.file_id {
                let i = *slot as usize;
                if let Some(c) = self.file_candidate(cat, places, fid)? {
                    taken_now.take(&c);
                    user_cands.insert(i, c);
                }
                user.insert(i, row.clone());
            }
        }
        // The cover first: the year's best with people, but not the only
        // event of a birthday photo in its month.
        if !user.contains_key(&0) {
            let mut only = HashSet::new();
            for b in &born {
                let events: HashSet<Option<i64>> = slots[b.month as usize]
                    .pool
                    .iter()
                    .filter(|c| c.entry.people.contains(&b.name) && !taken_now.blocks(c))
                    .map(|c| c.event)
                    .collect();
                if let (1, Some(Some(e))) = (events.len(), events.iter().next()) {
                    only.insert(*e);
                }
            }
            let free =
                slots[0].pool.iter().any(|c| !c.event.is_some_and(|e| only.contains(&e)) && !taken_now.blocks(c));
            if free {
                slots[0].pool.retain(|c| !c.event.is_some_and(|e| only.contains(&e)));
            }
            self.fill(&mut slots, 0, &mut taken_now, &born);
        }
        // Then the months, the best (month, photo) pair first.
        loop {
            let mut top: Option<(usize, usize, f64)> = None;
            for (i, s) in slots.iter().enumerate().skip(1) {
                if s.chosen.is_some() || user.contains_key(&i) {
                    continue;
                }
                for (k, c) in s.pool.iter().enumerate() {
                    if taken_now.blocks(c) {
                        continue;
                    }
                    let (g, _) = self.gain(c, i as u32, &taken_now, &born);
                    if top.is_none_or(|t| g > t.2) {
                        top = Some((i, k, g));
                    }
                }
            }
            let Some((i, _, _)) = top else { break };
            self.fill(&mut slots, i, &mut taken_now, &born);
        }
        // Months still empty borrow the best left in the period.
        for i in 1..13usize {
            if slots[i].chosen.is_some() || user.contains_key(&i) {
                continue;
            }
            let mut left: Vec<Candidate> = slots
                .iter()
                .flat_map(|s| s.pool.iter())
                .filter(|c| c.origin == Origin::Month && !taken_now.blocks(c))
                .cloned()
                .map(|mut c| {
                    c.origin = Origin::Borrowed;
                    c
                })
                .collect();
            let mut seen = HashSet::new();
            left.retain(|c| seen.insert(c.entry.file_id));
            if left.is_empty() {
                continue;
            }
            slots[i].pool.extend(left);
            self.fill(&mut slots, i, &mut taken_now, &born);
        }

        // Stored rows: the choice, and the pool by gain minus what another
        // slot's event or group holds.
        let now = ctx.now();
        let mut rows = Vec::new();
        let mut suggestions = Vec::new();
        // A slot the user chose keeps suggestions too: its pool as it
        // ranks now, its own choice's event not counted against it.
        for &i in user.keys() {
            let ranked = self.rank(&slots[i].pool, i as u32, &taken_now, &born, None);
            slots[i].ranked = ranked;
        }
        let holders: Vec<(usize, Option<i64>, Option<i64>)> = slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.chosen.as_ref().map(|(c, _)| (i, c.event, c.group())))
            .chain(user_cands.iter().map(|(&i, c)| (i, c.event, c.group())))
            .collect();
        for (i, s) in slots.iter().enumerate() {
            let slot = i as i32;
            if let Some(u) = user.get(&i) {
                rows.push(SlotRow { note: s.note.clone(), ..u.clone() });
            } else {
                let (file_id, why, by) = match &s.chosen {
                    Some((c, why)) => (Some(c.entry.file_id), why.join("; "), ChosenBy::Suggested),
                    None => (None, "nothing to choose from".to_string(), ChosenBy::None),
                };
                rows.push(SlotRow { slot, file_id, chosen_by: by, why, note: s.note.clone(), updated_ms: now });
            }
            let mut nth = 0;
            for (c, g, why) in &s.ranked {
                let elsewhere = holders.iter().any(|&(j, ev, gr)| {
                    j != i && ((ev.is_some() && ev == c.event) || (gr.is_some() && gr == c.group()))
                });
                if elsewhere {
                    continue;
                }
                suggestions.push(SuggestionRow {
                    slot,
                    nth,
                    file_id: c.entry.file_id,
                    gain: (g * 1000.0).round() / 1000.0,
                    why: why.join("; "),
                });
                nth += 1;
                if nth as usize >= SUGGESTIONS {
                    break;
                }
            }
        }
        Ok((rows, suggestions))
    }

    /// Fills slot `i` with its best candidate not blocked, and keeps its
    /// pool ranked for the suggestions.
    fn fill(&self, slots: &mut [Filling], i: usize, taken: &mut Taken, born: &[Born]) {
        let month = i as u32;
        let ranked = self.rank(&slots[i].pool, month, taken, born, Some(taken));
        let Some((c, g, lines)) = ranked.first().cloned() else { return };
        let mut why = lines;
        if let Some((r, rg, _)) = ranked.get(1) {
            why.push(format!("ahead of {} ({g:.2} to {rg:.2}, all the above counted)", r.entry.name));
        }
        taken.take(&c);
        slots[i].ranked = ranked;
        slots[i].chosen = Some((c, why));
    }

    /// A pool by gain in `month`, each with its why (where it is from,
    /// what adds to it, the print check); without what `blocked` holds.
    fn rank(
        &self,
        pool: &[Candidate],
        month: u32,
        taken: &Taken,
        born: &[Born],
        blocked: Option<&Taken>,
    ) -> Vec<(Candidate, f64, Vec<String>)> {
        let mut ranked: Vec<(Candidate, f64, Vec<String>)> = pool
            .iter()
            .filter(|c| !blocked.is_some_and(|b| b.blocks(c)))
            .map(|c| {
                let (g, extra) = self.gain(c, month, taken, born);
                let mut why = vec![self.lead(c, month)];
                why.extend(extra);
                why.push(c.print.words.clone());
                (c.clone(), g, why)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.entry.file_id.cmp(&b.0.entry.file_id)));
        ranked
    }

    /// The first words of a photo's why in a slot.
    fn lead(&self, c: &Candidate, month: u32) -> String {
        let when = c.entry.taken.as_deref().and_then(|t| parse_date(&t[..10.min(t.len())])).map(day_month);
        let year = c.entry.taken.as_deref().and_then(|t| t.get(..4)).unwrap_or("");
        let on = when.map(|w| format!(" ({w} {year})")).unwrap_or_default();
        let score = format!("score {:.2}", c.entry.score);
        match (month, c.origin) {
            (0, _) => format!("the period's best photo with people{on}, {score}"),
            (m, Origin::Month) => format!("best of {}{on}, {score}", month_name(m)),
            (m, Origin::OtherYear | Origin::Spare) => format!("from {} of another year{on}, {score}", month_name(m)),
            (_, Origin::Borrowed) => format!("borrowed from another month{on}, {score}"),
        }
    }

    /// A candidate for a file the user chose (to count it as taken).
    fn file_candidate(&self, cat: &mut Catalog, places: &Places, file_id: i64) -> Result<Option<Candidate>> {
        let Some(f) = cat.files_by_ids(&[file_id])?.into_iter().next() else { return Ok(None) };
        let entry = entry_of(cat, places, &f)?;
        Ok(self.candidates(cat, vec![entry], Origin::Month)?.into_iter().next())
    }
}

/// Every year's month `m` (1900–2100): the other-years pool's ranges.
fn all_years_of(m: u32) -> Vec<(i64, i64)> {
    (1900..=2100)
        .map(|y| (month_start(y, m), if m == 12 { month_start(y + 1, 1) } else { month_start(y, m + 1) }))
        .collect()
}

/// A file as the calendar weighs it: its group, people, time and score.
fn entry_of(cat: &mut Catalog, places: &Places, f: &hma_catalog::FileRow) -> Result<TopEntry> {
    let mut e = plain_entry(places, f);
    if let Some(g) = cat.groups_of_files(&[f.id])?.into_iter().next() {
        e.group = Some(crate::rank::GroupRef { id: g.group_id, kind: g.kind, rank: g.member_rank, size: g.size });
    }
    if let Some(h) = f.content_hash {
        e.people = cat.names_in_contents(&[h])?.into_iter().map(|(_, n)| n).collect();
        e.score = cat.analyses_of(&[h])?.first().and_then(|a| a.scores.score).unwrap_or(0.0);
    }
    if let Some(c) = f.capture_id.and_then(|c| cat.capture(c).transpose()).transpose()? {
        e.taken = c.fields.taken_local_ms.map(format_local);
    }
    Ok(e)
}

/// An entry for a file that has no score yet.
fn plain_entry(places: &Places, f: &hma_catalog::FileRow) -> TopEntry {
    TopEntry {
        path: places.path_of(f),
        score: 0.0,
        group: None,
        explain: vec![],
        capture_id: f.capture_id,
        taken: None,
        file_id: f.id,
        content: f.content_hash.map(|h| h.to_hex()).unwrap_or_default(),
        name: f.rel_path.rsplit('/').next().unwrap_or(&f.rel_path).to_string(),
        scores: Default::default(),
        sharpest: None,
        width: f.width,
        height: f.height,
        marks: Default::default(),
        objects: vec![],
        people: vec![],
    }
}

/// The calendar for `year` named `name` (default [`DEFAULT_NAME`]).
pub fn find(cat: &mut Catalog, year: i32, name: Option<&str>) -> Result<CalendarRow> {
    let name = name.unwrap_or(DEFAULT_NAME);
    cat.calendar(year, name)?.ok_or_else(|| {
        EngineError::NotFound(format!("no calendar {year} named {name:?}: make it with `hma calendar new {year}`"))
    })
}

/// The calendar for `year` (the newest when None), if there is one: what
/// the app's Calendar screen opens.
pub fn open(cat: &mut Catalog, places: &Places, year: Option<i32>, name: Option<&str>) -> Result<Option<CalendarView>> {
    let all = cat.calendars()?;
    let found =
        all.into_iter().find(|c| year.is_none_or(|y| c.spec.year == y) && name.is_none_or(|n| c.spec.name == n));
    match found {
        Some(c) => Ok(Some(view(cat, places, &c)?)),
        None => Ok(None),
    }
}

/// Shows a stored calendar: choices, suggestions, birthdays and holidays.
pub fn show(cat: &mut Catalog, places: &Places, year: i32, name: Option<&str>) -> Result<CalendarView> {
    let cal = find(cat, year, name)?;
    view(cat, places, &cal)
}

/// Facts about a file for a slot.
struct FileFacts {
    path: String,
    taken: Option<String>,
    content: String,
    width: Option<i32>,
    height: Option<i32>,
    score: Option<f64>,
    missing: bool,
}

fn file_facts(cat: &mut Catalog, places: &Places, ids: &[i64]) -> Result<HashMap<i64, FileFacts>> {
    let files = cat.files_by_ids(ids)?;
    let caps: Vec<i64> = files.iter().filter_map(|f| f.capture_id).collect();
    let taken: HashMap<i64, i64> =
        cat.captures_by_ids(&caps)?.into_iter().filter_map(|c| Some((c.id, c.fields.taken_local_ms?))).collect();
    let hashes: Vec<hma_catalog::ContentHash> = files.iter().filter_map(|f| f.content_hash).collect();
    let scores: HashMap<hma_catalog::ContentHash, f64> =
        cat.analyses_of(&hashes)?.into_iter().filter_map(|a| Some((a.content_hash, a.scores.score?))).collect();
    Ok(files
        .into_iter()
        .map(|f| {
            let facts = FileFacts {
                path: places.path_of(&f),
                taken: f.capture_id.and_then(|c| taken.get(&c)).map(|&t| format_local(t)),
                content: f.content_hash.map(|h| h.to_hex()).unwrap_or_default(),
                width: f.width,
                height: f.height,
                score: f.content_hash.and_then(|h| scores.get(&h).copied()),
                missing: f.missing,
            };
            (f.id, facts)
        })
        .collect())
}

fn view(cat: &mut Catalog, places: &Places, cal: &CalendarRow) -> Result<CalendarView> {
    let paper = Paper::parse(&cal.spec.paper)?;
    let dpi = cal.spec.dpi.max(1) as u32;
    let slots = cat.calendar_slots(cal.id)?;
    let sugg = cat.calendar_suggestions(cal.id)?;
    let mut ids: Vec<i64> = slots.iter().filter_map(|s| s.file_id).chain(sugg.iter().map(|s| s.file_id)).collect();
    ids.sort_unstable();
    ids.dedup();
    let facts = file_facts(cat, places, &ids)?;
    let print = |f: &FileFacts| match (f.width, f.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => Some(print_check(w, h, &paper, dpi, cal.spec.landscape)),
        _ => None,
    };
    let born = birthdays(cat)?;
    let holidays = cal.spec.country.as_deref().map(|c| crate::holidays::holidays(c, cal.spec.year)).unwrap_or_default();
    let mut notes = Vec::new();
    match &cal.spec.country {
        None => notes.push(
            "no holidays: no country given and none in the locale (`hma calendar new YEAR --country DE`)".to_string(),
        ),
        Some(c) => notes.push(format!("holidays of {}", crate::places::country_name(c))),
    }
    let photo = |file_id: i64, f: &FileFacts, why: String| Choice {
        path: f.path.clone(),
        taken_at: f.taken.clone(),
        why,
        file_id,
        content: f.content.clone(),
        width: f.width,
        height: f.height,
        score: f.score,
        missing: f.missing,
        print: print(f),
    };
    let mut make = |slot: u32| -> Slot {
        let row = slots.iter().find(|s| s.slot == slot as i32);
        let choice = row.and_then(|r| {
            let id = r.file_id?;
            let f = facts.get(&id)?;
            let why = if f.missing { format!("its file is missing (not exported): {}", r.why) } else { r.why.clone() };
            Some(photo(id, f, why))
        });
        let suggestions = sugg
            .iter()
            .filter(|s| s.slot == slot as i32)
            .filter_map(|s| {
                Some(Suggestion { photo: photo(s.file_id, facts.get(&s.file_id)?, s.why.clone()), gain: s.gain })
            })
            .collect();
        let (birthdays, hols) = if slot == 0 {
            (vec![], vec![])
        } else {
            (
                born.iter()
                    .filter(|b| b.month == slot)
                    .map(|b| Birthday { name: b.name.clone(), day: b.day, turns: b.year.map(|y| cal.spec.year - y) })
                    .collect(),
                holidays
                    .iter()
                    .filter(|h| h.0 == slot)
                    .map(|h| Holiday { date: format!("{:04}-{:02}-{:02}", cal.spec.year, h.0, h.1), name: h.2.clone() })
                    .collect(),
            )
        };
        Slot {
            month: slot,
            title: if slot == 0 { "Cover".into() } else { month_name(slot).into() },
            choice,
            chosen_by: row.map_or(ChosenBy::None, |r| r.chosen_by).as_str().into(),
            note: row.and_then(|r| r.note.clone()),
            suggestions,
            birthdays,
            holidays: hols,
        }
    };
    let cover_slot = make(0);
    let months: Vec<Slot> = (1..=12).map(&mut make).collect();
    for m in &months {
        if m.choice.is_none() {
            notes.push(format!("{} has no photo", m.title));
        }
    }
    Ok(CalendarView {
        year: cal.spec.year,
        name: cal.spec.name.clone(),
        from: cal.spec.from_day.clone(),
        to: cal.spec.to_day.clone(),
        country: cal.spec.country.clone(),
        paper: cal.spec.paper.clone(),
        dpi,
        orientation: if cal.spec.landscape { "landscape" } else { "portrait" }.into(),
        cover: cover_slot.choice.clone(),
        cover_slot,
        months,
        notes,
    })
}

/// What `set` changed: the slot's photo before and after (the app's undo
/// puts `before` back).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SlotChange {
    pub month: u32,
    pub before: Option<String>,
    /// The file that was there (what undo puts back).
    pub before_id: Option<i64>,
    pub after: Option<String>,
    pub calendar: CalendarView,
}

/// Puts the photo at `path` in `month` (0: the cover), or empties it.
pub fn set(
    cat: &mut Catalog,
    places: &Places,
    year: i32,
    name: Option<&str>,
    month: u32,
    path: Option<&Path>,
    now_ms: i64,
) -> Result<SlotChange> {
    let file_id = match path {
        Some(p) => Some(crate::report::find_file(cat, places, p)?.id),
        None => None,
    };
    set_file(cat, places, year, name, month, file_id, now_ms)
}

/// Puts the catalogued file `file_id` in `month` (0: the cover), or
/// empties it: the app's choices, drops and undo.
pub fn set_file(
    cat: &mut Catalog,
    places: &Places,
    year: i32,
    name: Option<&str>,
    month: u32,
    file_id: Option<i64>,
    now_ms: i64,
) -> Result<SlotChange> {
    if month > 12 {
        return Err(EngineError::Invalid(format!("month {month}: use 1 to 12, or 0 for the cover")));
    }
    let cal = find(cat, year, name)?;
    let old = cat.calendar_slots(cal.id)?.into_iter().find(|s| s.slot == month as i32).and_then(|s| s.file_id);
    let path_of = |cat: &mut Catalog, id: Option<i64>| -> Result<Option<hma_catalog::FileRow>> {
        Ok(match id {
            Some(id) => cat.files_by_ids(&[id])?.into_iter().next(),
            None => None,
        })
    };
    let before = path_of(cat, old)?;
    let after = path_of(cat, file_id)?;
    if let Some(id) = file_id {
        match &after {
            None => return Err(EngineError::NotFound(format!("no file {id} in the catalogue"))),
            Some(f) if f.capture_id.is_none() => {
                return Err(EngineError::Invalid(format!("{} is not a photo", places.path_of(f))))
            }
            Some(_) => {}
        }
    }
    // Back to the suggested photo (an undo, or a change of mind): the
    // suggestion stands again, with its why; another suggestion keeps its why.
    let suggested = cat
        .calendar_suggestions(cal.id)?
        .into_iter()
        .filter(|s| s.slot == month as i32)
        .find(|s| Some(s.file_id) == file_id);
    let (by, why) = match (&suggested, file_id) {
        (Some(s), _) if s.nth == 0 => (ChosenBy::Suggested, s.why.clone()),
        (Some(s), _) => (ChosenBy::User, format!("you chose it: {}", s.why)),
        (None, Some(_)) => (ChosenBy::User, "you chose it".to_string()),
        (None, None) => (ChosenBy::User, "you emptied it".to_string()),
    };
    cat.set_calendar_slot(cal.id, month as i32, file_id, by, &why, now_ms)?;
    let calendar = view(cat, places, &cal)?;
    Ok(SlotChange {
        month,
        before: before.as_ref().map(|f| places.path_of(f)),
        before_id: before.map(|f| f.id),
        after: after.as_ref().map(|f| places.path_of(f)),
        calendar,
    })
}

/// The default naming pattern of a calendar's files: `2027-05_IMG_0042.JPG`,
/// the cover `2027-00_…`.
pub const DEFAULT_PATTERN: &str = "{YYYY}-{MM}_{name}";

/// Copies the calendar's thirteen photos into `dest` (see `export`): `{YYYY}`
/// is the calendar's year, `{MM}` the month (`00` the cover), `{DD}` `01`.
pub fn export(
    cat: &mut Catalog,
    places: &Places,
    year: i32,
    name: Option<&str>,
    dest: &Path,
    pattern: &str,
    ctx: &JobContext,
) -> Result<ExportReport> {
    let cal = find(cat, year, name)?;
    let slots = cat.calendar_slots(cal.id)?;
    let items: Vec<(i64, [String; 3])> = slots
        .iter()
        .filter_map(|s| Some((s.file_id?, [format!("{year:04}"), format!("{:02}", s.slot), "01".to_string()])))
        .collect();
    crate::export::export_files(cat, places, dest, pattern, &items, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_check_counts_the_crop_and_the_dpi() {
        let a4 = Paper::parse("a4").unwrap();
        // A 24 MP 3:2 photo fills landscape A4 at 300 dpi (3508 px wanted).
        let p = print_check(6000, 4000, &a4, 300, true);
        assert_eq!((p.verdict.as_str(), p.words.as_str()), ("fits", "fits A4 at 300 dpi"));
        assert!((p.kept - 0.94).abs() < 0.01, "{p:?}");
        // 1600×1200 on A3: 1600 px over 16.5 in.
        let p = print_check(1600, 1200, &Paper::parse("A3").unwrap(), 300, true);
        assert_eq!(p.verdict, "too small");
        assert_eq!(p.words, "too small for A3 (1.9 MP: 96 dpi)");
        // 2480 px wide on A4 at 300 dpi: 212 dpi, soft.
        assert_eq!(print_check(2480, 1754, &a4, 300, true).verdict, "soft");
        // A portrait phone photo on a landscape page keeps under half.
        let p = print_check(3024, 4032, &a4, 300, true);
        assert!(p.words.contains("a portrait photo on a landscape page: the crop keeps 53 %"), "{p:?}");
        assert!(p.penalty() > TOO_SMALL);
        // On a portrait page it fits.
        assert_eq!(print_check(3024, 4032, &a4, 250, false).verdict, "fits");
        assert_eq!(Paper::parse("300x200mm").unwrap().long_mm, 300.0);
        assert!(Paper::parse("B7").is_err() && Paper::parse("0x0").is_err());
    }

    #[test]
    fn periods_split_into_months() {
        let spec = CalendarSpec {
            year: 2027,
            from: Some("2025-11-15".into()),
            to: Some("2026-02-10".into()),
            ..Default::default()
        };
        let p = Period::of(&spec).unwrap();
        let nov = p.ranges(11);
        assert_eq!(nov.len(), 1);
        assert_eq!((nov[0].0, nov[0].2), (parse_date("2025-11-15").unwrap(), 2025));
        assert_eq!(p.ranges(2)[0].1, parse_date("2026-02-11").unwrap());
        assert!(p.ranges(6).is_empty());
        let default = Period::of(&CalendarSpec { year: 2027, ..Default::default() }).unwrap();
        assert_eq!((default.from.as_str(), default.to.as_str()), ("2026-01-01", "2026-12-31"));
        assert!(Period::of(&CalendarSpec {
            year: 2027,
            from: Some("2026-05-01".into()),
            to: Some("2026-04-01".into()),
            ..Default::default()
        })
        .is_err());
    }
}
