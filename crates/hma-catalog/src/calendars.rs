//! Calendars: the user's calendars, their thirteen slots (cover and twelve
//! months) and each slot's suggestions, both backends. What goes in them is
//! the engine's (`hma::calendar`).

use diesel::prelude::*;

use crate::schema::*;
use crate::{with_conn, Catalog, Result};

/// A calendar as stored: what it is made with, and its id and times.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = calendars)]
pub struct CalendarRow {
    pub id: i64,
    #[diesel(embed)]
    pub spec: CalendarSpecRow,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What a calendar is made with (new, or renewed).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = calendars, treat_none_as_null = true)]
pub struct CalendarSpecRow {
    /// The year it is for (the one printed on it).
    pub year: i32,
    pub name: String,
    /// The period its photos come from, `YYYY-MM-DD`, both days included.
    pub from_day: String,
    pub to_day: String,
    /// Whose public holidays it shows (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// The print: `A4`, `A3`… or `WxHmm`.
    pub paper: String,
    pub dpi: i32,
    pub landscape: bool,
}

/// Who chose a slot's photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ChosenBy {
    /// Nothing in it.
    None,
    /// The first suggestion stands.
    Suggested,
    /// The user put it there; renewed suggestions keep it.
    User,
}

impl ChosenBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ChosenBy::None => "none",
            ChosenBy::Suggested => "suggested",
            ChosenBy::User => "user",
        }
    }
}

crate::text_enum!(ChosenBy, "slot chooser", [ChosenBy::None, ChosenBy::Suggested, ChosenBy::User]);

/// One slot: 0 the cover, 1–12 the months.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = calendar_slots)]
pub struct SlotRow {
    pub slot: i32,
    pub file_id: Option<i64>,
    pub chosen_by: ChosenBy,
    pub why: String,
    pub note: Option<String>,
    pub updated_ms: i64,
}

/// One suggestion for a slot, best first.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct SuggestionRow {
    pub slot: i32,
    pub nth: i32,
    pub file_id: i64,
    pub gain: f64,
    pub why: String,
}

impl Catalog {
    /// Every calendar, newest year first.
    pub fn calendars(&mut self) -> Result<Vec<CalendarRow>> {
        Ok(with_conn!(self, c => calendars::table
            .order((calendars::year.desc(), calendars::name))
            .select(CalendarRow::as_select())
            .load(c)?))
    }

    /// The calendar for `year` named `name`.
    pub fn calendar(&mut self, year: i32, name: &str) -> Result<Option<CalendarRow>> {
        Ok(with_conn!(self, c => calendars::table
            .filter(calendars::year.eq(year))
            .filter(calendars::name.eq(name))
            .select(CalendarRow::as_select())
            .first(c)
            .optional()?))
    }

    /// Creates the calendar, or updates its period, country and print when
    /// it exists; its id.
    pub fn put_calendar(&mut self, s: &CalendarSpecRow, now_ms: i64) -> Result<i64> {
        if let Some(old) = self.calendar(s.year, &s.name)? {
            with_conn!(self, c => diesel::update(calendars::table.find(old.id))
                .set((s, calendars::updated_ms.eq(now_ms)))
                .execute(c))?;
            return Ok(old.id);
        }
        with_conn!(self, c => diesel::insert_into(calendars::table)
            .values((s, calendars::created_ms.eq(now_ms), calendars::updated_ms.eq(now_ms)))
            .execute(c))?;
        Ok(self.calendar(s.year, &s.name)?.map(|c| c.id).unwrap_or_default())
    }

    /// Forgets a calendar, its slots and suggestions; false when none.
    pub fn delete_calendar(&mut self, id: i64) -> Result<bool> {
        self.transaction(|cat| {
            with_conn!(cat, c => {
                diesel::delete(calendar_suggestions::table.filter(calendar_suggestions::calendar_id.eq(id))).execute(c)?;
                diesel::delete(calendar_slots::table.filter(calendar_slots::calendar_id.eq(id))).execute(c)?;
                Ok(diesel::delete(calendars::table.find(id)).execute(c)? > 0)
            })
        })
    }

    /// A calendar's slots, cover first.
    pub fn calendar_slots(&mut self, id: i64) -> Result<Vec<SlotRow>> {
        Ok(with_conn!(self, c => calendar_slots::table
            .filter(calendar_slots::calendar_id.eq(id))
            .order(calendar_slots::slot)
            .select(SlotRow::as_select())
            .load(c)?))
    }

    /// A calendar's suggestions, by slot and rank.
    pub fn calendar_suggestions(&mut self, id: i64) -> Result<Vec<SuggestionRow>> {
        Ok(with_conn!(self, c => calendar_suggestions::table
            .filter(calendar_suggestions::calendar_id.eq(id))
            .order((calendar_suggestions::slot, calendar_suggestions::nth))
            .select((
                calendar_suggestions::slot,
                calendar_suggestions::nth,
                calendar_suggestions::file_id,
                calendar_suggestions::gain,
                calendar_suggestions::why,
            ))
            .load(c)?))
    }

    /// Replaces a calendar's suggestions and slots in one transaction.
    pub fn put_calendar_slots(&mut self, id: i64, slots: &[SlotRow], suggestions: &[SuggestionRow]) -> Result<()> {
        self.transaction(|cat| {
            with_conn!(cat, c => {
                diesel::delete(calendar_suggestions::table.filter(calendar_suggestions::calendar_id.eq(id))).execute(c)?;
                diesel::delete(calendar_slots::table.filter(calendar_slots::calendar_id.eq(id))).execute(c)?;
                let rows: Vec<_> = slots
                    .iter()
                    .map(|s| {
                        (
                            calendar_slots::calendar_id.eq(id),
                            calendar_slots::slot.eq(s.slot),
                            calendar_slots::file_id.eq(s.file_id),
                            calendar_slots::chosen_by.eq(s.chosen_by),
                            calendar_slots::why.eq(&s.why),
                            calendar_slots::note.eq(&s.note),
                            calendar_slots::updated_ms.eq(s.updated_ms),
                        )
                    })
                    .collect();
                diesel::insert_into(calendar_slots::table).values(&rows).execute(c)?;
                for chunk in suggestions.chunks(crate::BATCH) {
                    let rows: Vec<_> = chunk
                        .iter()
                        .map(|s| {
                            (
                                calendar_suggestions::calendar_id.eq(id),
                                calendar_suggestions::slot.eq(s.slot),
                                calendar_suggestions::nth.eq(s.nth),
                                calendar_suggestions::file_id.eq(s.file_id),
                                calendar_suggestions::gain.eq(s.gain),
                                calendar_suggestions::why.eq(&s.why),
                            )
                        })
                        .collect();
                    diesel::insert_into(calendar_suggestions::table).values(&rows).execute(c)?;
                }
            });
            Ok(())
        })
    }

    /// Puts a file in one slot (None empties it), as chosen by `by`.
    pub fn set_calendar_slot(
        &mut self,
        id: i64,
        slot: i32,
        file_id: Option<i64>,
        by: ChosenBy,
        why: &str,
        now_ms: i64,
    ) -> Result<()> {
        with_conn!(self, c => {
            let n = diesel::update(calendar_slots::table.find((id, slot)))
                .set((
                    calendar_slots::file_id.eq(file_id),
                    calendar_slots::chosen_by.eq(by),
                    calendar_slots::why.eq(why),
                    calendar_slots::updated_ms.eq(now_ms),
                ))
                .execute(c)?;
            if n == 0 {
                diesel::insert_into(calendar_slots::table)
                    .values((
                        calendar_slots::calendar_id.eq(id),
                        calendar_slots::slot.eq(slot),
                        calendar_slots::file_id.eq(file_id),
                        calendar_slots::chosen_by.eq(by),
                        calendar_slots::why.eq(why),
                        calendar_slots::updated_ms.eq(now_ms),
                    ))
                    .execute(c)?;
            }
        });
        with_conn!(self, c => diesel::update(calendars::table.find(id)).set(calendars::updated_ms.eq(now_ms)).execute(c))?;
        Ok(())
    }
}
