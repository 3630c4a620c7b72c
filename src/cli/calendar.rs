//! `hma calendar`: the family calendar — suggested, shown, changed, exported.

use std::path::PathBuf;

use clap::Subcommand;
use hma::calendar::{self, CalendarSpec, CalendarView, Slot};
use hma::report::Places;

use super::{exit, Env};

#[derive(Subcommand, Debug)]
pub enum CalendarCmd {
    /// Suggest a calendar for YEAR: twelve months and a cover from the period's
    /// photos (each month from its own month; birthdays of named people in their
    /// month; public holidays; never two photos from one event), each explained.
    /// Run again to renew the suggestions: the months you chose stay.
    New {
        /// The year the calendar is for (printed on it), e.g. 2027.
        year: i32,
        /// First day of the period the photos come from [default: 1 January of the year before].
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<String>,
        /// Last day of the period [default: 31 December of the year before].
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<String>,
        /// Its name, for several calendars of one year [default: family].
        #[arg(long)]
        name: Option<String>,
        /// Whose public holidays it shows (DE, GB, US…) [default: the locale's country].
        #[arg(long, value_name = "CC")]
        country: Option<String>,
        /// The print: A5, A4, A3, A2, Letter, Tabloid or WxH in mm.
        #[arg(long, default_value = "A4")]
        paper: String,
        /// Print resolution the photos are checked against.
        #[arg(long, default_value_t = 300)]
        dpi: u32,
        /// Portrait pages (the default is landscape).
        #[arg(long)]
        portrait: bool,
    },
    /// Show a calendar: each month's photo and why, the next suggestions, the
    /// print check, birthdays and holidays.
    Show {
        year: i32,
        #[arg(long)]
        name: Option<String>,
    },
    /// Put a photo in a month (or the cover), or empty it with --clear.
    Set {
        year: i32,
        /// The month, 1-12 (0: the cover).
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=12), required_unless_present = "cover")]
        month: Option<u32>,
        /// The cover.
        #[arg(long, conflicts_with = "month")]
        cover: bool,
        /// The photo's file.
        #[arg(required_unless_present = "clear")]
        path: Option<PathBuf>,
        /// Empty the slot.
        #[arg(long, conflicts_with = "path")]
        clear: bool,
        #[arg(long)]
        name: Option<String>,
    },
    /// Copy the calendar's photos (never move) into DEST, named by PATTERN
    /// ({YYYY} the calendar's year, {MM} its month, 00 the cover, {name} {stem} {ext}),
    /// never overwriting, each copy verified by hash. DEST must be outside your library.
    Export {
        year: i32,
        dest: PathBuf,
        #[arg(long, default_value = calendar::DEFAULT_PATTERN)]
        pattern: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// The calendars in the catalogue.
    List,
    /// Forget a calendar (its photos are not touched).
    Remove {
        year: i32,
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn run(cmd: &CalendarCmd, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    match cmd {
        CalendarCmd::New { year, from, to, name, country, paper, dpi, portrait } => {
            let spec = CalendarSpec {
                year: *year,
                name: name.clone(),
                from: from.clone(),
                to: to.clone(),
                country: country.clone(),
                paper: paper.clone(),
                dpi: *dpi,
                portrait: *portrait,
            };
            let v = calendar::new(&mut cat, &places, &spec, &env.ctx)?;
            env.finish("calendar", &v, false, false, print_calendar)
        }
        CalendarCmd::Show { year, name } => {
            let v = calendar::show(&mut cat, &places, *year, name.as_deref())?;
            env.print(&v, print_calendar)?;
            Ok(exit::OK)
        }
        CalendarCmd::Set { year, month, cover, path, clear, name } => {
            let month = if *cover { 0 } else { month.unwrap_or(0) };
            let path = if *clear { None } else { path.as_deref() };
            let c = calendar::set(&mut cat, &places, *year, name.as_deref(), month, path, env.ctx.now())?;
            env.print(&c, |c| {
                let title = if c.month == 0 { "cover".to_string() } else { format!("month {}", c.month) };
                println!(
                    "{} {title}: {} (was {})",
                    c.calendar.year,
                    c.after.as_deref().unwrap_or("empty"),
                    c.before.as_deref().unwrap_or("empty")
                );
            })?;
            Ok(exit::OK)
        }
        CalendarCmd::Export { year, dest, pattern, name } => {
            let rep = calendar::export(&mut cat, &places, *year, name.as_deref(), dest, pattern, &env.ctx)?;
            env.finish("calendar export", &rep, rep.cancelled, !rep.failed.is_empty(), |r| {
                super::cull::print_export("photos in the calendar:", r)
            })
        }
        CalendarCmd::List => {
            let list: Vec<serde_json::Value> = cat
                .calendars()?
                .into_iter()
                .map(|c| {
                    serde_json::json!({"year": c.spec.year, "name": c.spec.name, "from": c.spec.from_day, "to": c.spec.to_day,
                        "country": c.spec.country, "paper": c.spec.paper, "dpi": c.spec.dpi})
                })
                .collect();
            env.print(&list, |l| {
                if l.is_empty() {
                    println!("no calendars yet: `hma calendar new YEAR`");
                }
                for c in l {
                    println!(
                        "{} {}  photos from {} to {}",
                        c["year"],
                        c["name"].as_str().unwrap_or(""),
                        c["from"].as_str().unwrap_or(""),
                        c["to"].as_str().unwrap_or("")
                    );
                }
            })?;
            Ok(exit::OK)
        }
        CalendarCmd::Remove { year, name } => {
            let c = calendar::find(&mut cat, *year, name.as_deref())?;
            cat.delete_calendar(c.id)?;
            let v = serde_json::json!({"year": c.spec.year, "name": c.spec.name, "removed": true});
            env.print(&v, |_| println!("calendar {} {} removed (no photo was touched)", c.spec.year, c.spec.name))?;
            Ok(exit::OK)
        }
    }
}

fn print_slot(s: &Slot) {
    let what = match &s.choice {
        Some(c) => format!("{}{}", c.path, if s.chosen_by == "user" { "  (your choice)" } else { "" }),
        None => "(empty)".to_string(),
    };
    println!("{:<10} {what}", s.title);
    if let Some(c) = &s.choice {
        println!("           {}", c.why);
    }
    if let Some(n) = &s.note {
        println!("           note: {n}");
    }
    let days: Vec<String> = s
        .birthdays
        .iter()
        .map(|b| match b.turns {
            Some(t) => format!("{} {} (turns {t})", b.day, b.name),
            None => format!("{} {}", b.day, b.name),
        })
        .chain(s.holidays.iter().map(|h| format!("{} {}", h.date.get(8..).unwrap_or(""), h.name)))
        .collect();
    if !days.is_empty() {
        println!("           days: {}", days.join(", "));
    }
    let next: Vec<&str> = s
        .suggestions
        .iter()
        .filter(|x| Some(x.photo.file_id) != s.choice.as_ref().map(|c| c.file_id))
        .take(3)
        .map(|x| x.photo.path.as_str())
        .collect();
    if !next.is_empty() {
        println!("           next: {}", next.join(", "));
    }
}

fn print_calendar(v: &CalendarView) {
    println!(
        "calendar {} \"{}\": photos from {} to {}, {} {} at {} dpi",
        v.year, v.name, v.from, v.to, v.paper, v.orientation, v.dpi
    );
    print_slot(&v.cover_slot);
    for m in &v.months {
        print_slot(m);
    }
    for n in &v.notes {
        println!("note: {n}");
    }
}
