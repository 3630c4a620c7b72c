//! Events: which captures were taken together. The grouping itself is the
//! engine's (`hma::events`); here are its reads and writes, both backends.

use diesel::prelude::*;

use crate::schema::*;
use crate::{with_conn, Catalog, ContentHash, Result};

/// A capture as the grouping reads it, in time order.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct TimedCapture {
    pub id: i64,
    pub taken_local_ms: i64,
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
    /// The event it is in now (None: not grouped yet).
    pub event_id: Option<i64>,
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct EventRow {
    /// The id of its first capture.
    pub id: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub captures: i32,
    pub updated_ms: i64,
}

/// A present picture file of an event's capture, with its score.
#[derive(Debug, Clone, Queryable)]
pub struct EventPicture {
    pub event_id: i64,
    pub capture_id: i64,
    pub root_id: i64,
    pub rel_path: String,
    pub content_hash: Option<ContentHash>,
    pub score: Option<f64>,
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
}

impl Catalog {
    /// Captures with a time, in (time, id) order: `limit` of them after
    /// `after` (the last one's time and id), with the event each is in.
    pub fn timed_captures(&mut self, after: Option<(i64, i64)>, limit: i64) -> Result<Vec<TimedCapture>> {
        Ok(with_conn!(self, c => {
            let mut q = captures::table
                .left_join(capture_events::table.on(capture_events::capture_id.eq(captures::id)))
                .filter(captures::taken_local_ms.is_not_null())
                .into_boxed();
            if let Some((t, id)) = after {
                q = q.filter(
                    captures::taken_local_ms
                        .gt(t)
                        .or(captures::taken_local_ms.eq(t).and(captures::id.gt(id))),
                );
            }
            q.order((captures::taken_local_ms, captures::id))
                .limit(limit)
                .select((
                    captures::id,
                    captures::taken_local_ms.assume_not_null(),
                    captures::gps_lat,
                    captures::gps_lon,
                    capture_events::event_id.nullable(),
                ))
                .load(c)?
        }))
    }

    /// Every stored event, by start.
    pub fn events(&mut self) -> Result<Vec<EventRow>> {
        Ok(
            with_conn!(self, c => events::table.order((events::start_ms, events::id)).select(EventRow::as_select()).load(c)?),
        )
    }

    /// The newest events (by start), `limit` of them when given.
    pub fn latest_events(&mut self, limit: Option<i64>) -> Result<Vec<EventRow>> {
        Ok(with_conn!(self, c => {
            let q = events::table.order((events::start_ms.desc(), events::id.desc())).select(EventRow::as_select());
            match limit {
                Some(n) => q.limit(n).load(c)?,
                None => q.load(c)?,
            }
        }))
    }

    /// How many events are stored.
    pub fn events_count(&mut self) -> Result<i64> {
        Ok(with_conn!(self, c => events::table.count().get_result(c)?))
    }

    /// The events with these ids.
    pub fn events_by_ids(&mut self, ids: &[i64]) -> Result<Vec<EventRow>> {
        self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => events::table
                .filter(events::id.eq_any(chunk))
                .select(EventRow::as_select())
                .load(c)?))
        })
    }

    /// Puts captures in events (capture, event), replacing where they were.
    pub fn set_capture_events(&mut self, links: &[(i64, i64)]) -> Result<()> {
        for chunk in links.chunks(crate::BATCH) {
            let ids: Vec<i64> = chunk.iter().map(|(c, _)| *c).collect();
            let rows: Vec<_> = chunk
                .iter()
                .map(|(c, e)| (capture_events::capture_id.eq(*c), capture_events::event_id.eq(*e)))
                .collect();
            with_conn!(self, c => {
                diesel::delete(capture_events::table.filter(capture_events::capture_id.eq_any(&ids))).execute(c)?;
                diesel::insert_into(capture_events::table).values(&rows).execute(c)?
            });
        }
        Ok(())
    }

    /// Writes events (replacing those with the same id) and removes those
    /// with the ids in `gone`.
    pub fn put_events(&mut self, rows: &[EventRow], gone: &[i64]) -> Result<()> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).chain(gone.iter().copied()).collect();
        for chunk in ids.chunks(crate::BATCH) {
            with_conn!(self, c => diesel::delete(events::table.filter(events::id.eq_any(chunk))).execute(c))?;
        }
        for chunk in rows.chunks(crate::BATCH) {
            with_conn!(self, c => diesel::insert_into(events::table).values(chunk).execute(c))?;
        }
        Ok(())
    }

    /// Forgets the event of captures that no longer have a time or are gone;
    /// how many.
    pub fn drop_stale_capture_events(&mut self) -> Result<usize> {
        Ok(with_conn!(self, c => diesel::delete(
            capture_events::table.filter(
                capture_events::capture_id.ne_all(
                    captures::table.filter(captures::taken_local_ms.is_not_null()).select(captures::id),
                ),
            ),
        )
        .execute(c))?)
    }

    /// The present picture files of these events' captures, with scores.
    pub fn event_pictures(&mut self, event_ids: &[i64]) -> Result<Vec<EventPicture>> {
        self.by_chunks(event_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => capture_events::table
                .inner_join(captures::table.on(captures::id.eq(capture_events::capture_id)))
                .inner_join(files::table.on(files::capture_id.eq(capture_events::capture_id.nullable())))
                .left_join(analyses::table.on(files::content_hash.eq(analyses::content_hash.nullable())))
                .filter(capture_events::event_id.eq_any(chunk))
                .filter(files::missing.eq(false))
                .filter(files::kind.eq_any(["image", "raw", "video"]))
                .select((
                    capture_events::event_id,
                    capture_events::capture_id,
                    files::root_id,
                    files::rel_path,
                    files::content_hash,
                    analyses::score.nullable(),
                    captures::gps_lat,
                    captures::gps_lon,
                ))
                .load(c)?))
        })
    }
}

impl Catalog {
    /// The event of each of these captures that is in one (capture, event).
    pub fn events_of_captures(&mut self, capture_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        self.by_chunks(capture_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => capture_events::table
                .filter(capture_events::capture_id.eq_any(chunk))
                .select((capture_events::capture_id, capture_events::event_id))
                .load(c)?))
        })
    }
}
