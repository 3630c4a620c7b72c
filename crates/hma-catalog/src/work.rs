//! Work shared by several machines on one MariaDB catalogue (`hma worker`):
//! a queue of contents still to look at per stage, claimed a batch at a
//! time with `SELECT … FOR UPDATE SKIP LOCKED` and a lease, and the workers'
//! own rows (heartbeat, counts) for `hma status --workers`.
//!
//! An embedded SQLite catalogue belongs to one machine: the queue's calls
//! refuse it (the tables exist there only so both backends share a schema).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::schema::{analyses, detection_runs, face_runs, files, root_locations, work_queue, workers};
use crate::{Catalog, CatalogError, Conn, ContentHash, Result};

/// A claimed piece of work: a queue row and its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct WorkItem {
    pub id: i64,
    pub content_hash: ContentHash,
}

/// What a stage lacks, for filling the queue: the stage's name in the
/// queue and what counts as done.
#[derive(Debug, Clone)]
pub enum Pending {
    /// No analysis of this version.
    Analysis { version: i32 },
    /// No detection run of this model and version.
    Detection { model: String, version: i32 },
    /// No face run of this model and version.
    Faces { model: String, version: i32 },
}

/// A worker as `hma status --workers` shows it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = workers)]
pub struct WorkerRow {
    /// `machine:pid:started`.
    pub id: String,
    pub machine: String,
    /// The stages it does, comma-separated.
    pub jobs: String,
    pub started_ms: i64,
    pub heartbeat_ms: i64,
    /// Its lease: it beats every third of it, so a worker not heard from
    /// for a lease is gone (and its claims are free again).
    pub lease_ms: i64,
    /// working, idle, stopped, failed.
    pub state: String,
    /// The stage of its current batch.
    pub stage: Option<String>,
    /// Pictures whose results it stored.
    pub done: i64,
    /// Pictures it stored as failed (undecodable: recorded with the error).
    pub failed: i64,
    /// Results it made but did not store: its lease had ended and another
    /// worker had the picture.
    pub lost: i64,
}

/// The queue of one stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    pub stage: String,
    /// Rows waiting (free or leased).
    pub waiting: i64,
    /// Rows under a live lease.
    pub claimed: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn one_machine() -> CatalogError {
    CatalogError::Invalid(
        "an embedded SQLite catalogue belongs to one machine: workers share a MariaDB catalogue \
         (--catalog mysql://…); here, run `hma analyze`"
            .into(),
    )
}

impl CatalogError {
    /// The connection to the server failed or went away (worth opening a
    /// new one and trying again), as opposed to a refused or bad query.
    pub fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            CatalogError::Connect { .. } => true,
            CatalogError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _))
            | CatalogError::Query(Error::BrokenTransactionManager) => true,
            // The client library's words for a dropped connection (2006
            // "server has gone away", 2013 "Lost connection", 2002/2003 while
            // it restarts, 1927 "Connection was killed").
            // Also when it breaks a commit and the rollback after it
            // (Diesel's "Transaction rollback failed: Server has gone away").
            CatalogError::Query(e) => {
                let m = e.to_string();
                ["gone away", "Lost connection", "Can't connect", "Connection was killed", "Connection refused"]
                    .iter()
                    .any(|w| m.contains(w))
            }
            _ => false,
        }
    }

    /// The disk holding the catalogue is full: SQLite's SQLITE_FULL
    /// ("database or disk is full", also when migrating), MariaDB's 1114
    /// "The table … is full" and 1021 "Disk full". Free space, then the same
    /// command goes on.
    pub fn is_disk_full(&self) -> bool {
        let m = self.to_string();
        ["database or disk is full", "is full", "Disk full", "No space left on device"].iter().any(|w| m.contains(w))
    }

    /// The server gave up on the transaction to break a deadlock or a lock
    /// wait (several workers writing at once): run it again.
    pub fn is_retryable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            CatalogError::Query(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            CatalogError::Query(Error::DatabaseError(_, info)) => {
                let m = info.message();
                m.contains("Deadlock found") || m.contains("Lock wait timeout")
            }
            _ => false,
        }
    }
}

impl Catalog {
    /// Adds to the queue every content a stage lacks (present picture files
    /// only); rows already queued stay as they are. Returns rows added.
    pub fn fill_work_queue(&mut self, stage: &str, pending: &Pending) -> Result<u64> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        // One statement: the server finds what is missing; the unique key
        // (stage, content_hash) makes a second fill, by this worker or
        // another at the same moment, add nothing.
        let head = "INSERT IGNORE INTO work_queue (stage, content_hash) \
                    SELECT DISTINCT ?, f.content_hash FROM files f \
                    WHERE f.missing = 0 AND f.content_hash IS NOT NULL AND f.kind IN ('image', 'raw') ";
        let n = match pending {
            Pending::Analysis { version } => diesel::sql_query(format!(
                "{head}AND NOT EXISTS (SELECT 1 FROM analyses a WHERE a.content_hash = f.content_hash AND a.version = ?)"
            ))
            .bind::<Text, _>(stage)
            .bind::<Integer, _>(version)
            .execute(c)?,
            // A run of this model and version: the table is one of two
            // names written here, never text from outside.
            Pending::Detection { model, version } | Pending::Faces { model, version } => {
                let runs = if matches!(pending, Pending::Detection { .. }) { "detection_runs" } else { "face_runs" };
                diesel::sql_query(format!(
                    "{head}AND NOT EXISTS (SELECT 1 FROM {runs} r WHERE r.content_hash = f.content_hash \
                     AND r.model = ? AND r.version = ?)"
                ))
                .bind::<Text, _>(stage)
                .bind::<Text, _>(model)
                .bind::<Integer, _>(version)
                .execute(c)?
            }
        };
        // The names above are this module's (schema.rs) tables; checked
        // so a rename breaks the build, not the query.
        let _ = (analyses::table, detection_runs::table, face_runs::table);
        Ok(n as u64)
    }

    /// Claims up to `limit` free rows of `stage` (never leased, or whose
    /// lease ended) whose content has a present file on a root this
    /// `machine` reaches, for `worker` until `lease_until`. Rows another
    /// worker is claiming at this moment are skipped, not waited for.
    pub fn claim_work(
        &mut self,
        stage: &str,
        worker: &str,
        machine: &str,
        now_ms: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<WorkItem>> {
        let Conn::Mysql(_) = &self.conn else { return Err(one_machine()) };
        self.transaction(|cat| {
            let Conn::Mysql(c) = &mut cat.conn else { return Err(one_machine()) };
            let reachable = files::table
                .inner_join(root_locations::table.on(root_locations::root_id.eq(files::root_id)))
                .filter(files::content_hash.eq(work_queue::content_hash.nullable()))
                .filter(files::missing.eq(false))
                .filter(root_locations::machine.eq(machine))
                .select(files::id);
            // A locking read locks the queue's rows only: the subquery's
            // rows are read without locks (MariaDB locks a subquery's rows
            // only when it has its own FOR UPDATE).
            let items: Vec<WorkItem> = work_queue::table
                .filter(work_queue::stage.eq(stage))
                .filter(work_queue::lease_until.lt(now_ms))
                .filter(diesel::dsl::exists(reachable))
                .order(work_queue::id)
                .limit(limit)
                .select((work_queue::id, work_queue::content_hash))
                .for_update()
                .skip_locked()
                .load(c)?;
            if items.is_empty() {
                return Ok(items);
            }
            let ids: Vec<i64> = items.iter().map(|w| w.id).collect();
            diesel::update(work_queue::table.filter(work_queue::id.eq_any(&ids)))
                .set((
                    work_queue::claimed_by.eq(worker),
                    work_queue::lease_until.eq(lease_until),
                    work_queue::attempts.eq(work_queue::attempts + 1),
                ))
                .execute(c)?;
            Ok(items)
        })
    }

    /// In the caller's transaction (the one storing the results): which of
    /// `ids` are still `worker`'s (locked until the commit), deleted from
    /// the queue. Results for the others must not be stored: their lease
    /// ended and another worker has them.
    pub fn finish_work(&mut self, worker: &str, ids: &[i64]) -> Result<Vec<i64>> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        let mine: Vec<i64> = work_queue::table
            .filter(work_queue::id.eq_any(ids))
            .filter(work_queue::claimed_by.eq(worker))
            .select(work_queue::id)
            .for_update()
            .load(c)?;
        diesel::delete(work_queue::table.filter(work_queue::id.eq_any(&mine))).execute(c)?;
        Ok(mine)
    }

    /// Gives rows back unfinished (this machine could not read the file):
    /// free again at `free_at`, for any worker.
    pub fn release_work(&mut self, worker: &str, ids: &[i64], free_at: i64) -> Result<()> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        diesel::update(work_queue::table.filter(work_queue::id.eq_any(ids)).filter(work_queue::claimed_by.eq(worker)))
            .set((work_queue::claimed_by.eq(None::<String>), work_queue::lease_until.eq(free_at)))
            .execute(c)?;
        Ok(())
    }

    /// Gives back every row `worker` holds (it dropped the batch it was
    /// working on: a lost connection, a transaction it gave up on), free
    /// at once; otherwise its own heartbeat would keep renewing them.
    pub fn release_all_work(&mut self, worker: &str) -> Result<u64> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        let n = diesel::update(work_queue::table.filter(work_queue::claimed_by.eq(worker)))
            .set((work_queue::claimed_by.eq(None::<String>), work_queue::lease_until.eq(0i64)))
            .execute(c)?;
        Ok(n as u64)
    }

    /// Extends every lease `worker` holds, and its heartbeat.
    pub fn renew_leases(&mut self, worker: &str, now_ms: i64, lease_until: i64) -> Result<u64> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        let n = diesel::update(work_queue::table.filter(work_queue::claimed_by.eq(worker)))
            .set(work_queue::lease_until.eq(lease_until))
            .execute(c)?;
        diesel::update(workers::table.find(worker)).set(workers::heartbeat_ms.eq(now_ms)).execute(c)?;
        Ok(n as u64)
    }

    /// Rows `worker` holds under a live lease.
    pub fn held_by(&mut self, worker: &str, now_ms: i64) -> Result<i64> {
        Ok(crate::with_conn!(self, c => work_queue::table
            .filter(work_queue::lease_until.ge(now_ms))
            .filter(work_queue::claimed_by.eq(worker))
            .count()
            .get_result(c))?)
    }

    /// Rows under a live lease held by another worker than `worker`.
    pub fn leased_by_others(&mut self, worker: &str, now_ms: i64) -> Result<i64> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        Ok(work_queue::table
            .filter(work_queue::lease_until.ge(now_ms))
            .filter(work_queue::claimed_by.is_not_null())
            .filter(work_queue::claimed_by.ne(worker))
            .count()
            .get_result(c)?)
    }

    /// Each stage's queue.
    pub fn queue_counts(&mut self, now_ms: i64) -> Result<Vec<QueueCounts>> {
        let rows: Vec<(String, i64)> = crate::with_conn!(self, c => work_queue::table
            .group_by(work_queue::stage)
            .select((work_queue::stage, diesel::dsl::count_star()))
            .load(c))?;
        let claimed: Vec<(String, i64)> = crate::with_conn!(self, c => work_queue::table
            .filter(work_queue::lease_until.ge(now_ms))
            .filter(work_queue::claimed_by.is_not_null())
            .group_by(work_queue::stage)
            .select((work_queue::stage, diesel::dsl::count_star()))
            .load(c))?;
        Ok(rows
            .into_iter()
            .map(|(stage, waiting)| {
                let claimed = claimed.iter().find(|(s, _)| *s == stage).map_or(0, |(_, n)| *n);
                QueueCounts { stage, waiting, claimed }
            })
            .collect())
    }

    /// This connection's transactions read committed rows only, without
    /// gap locks (MariaDB's default, REPEATABLE READ, locks the gaps a
    /// delete of absent keys searched, and two workers storing new
    /// contents then deadlock on each other's gaps).
    pub fn read_committed(&mut self) -> Result<()> {
        if let Conn::Mysql(c) = &mut self.conn {
            c.batch_execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")?;
        }
        Ok(())
    }

    /// Records a worker starting (or starting again under the same id).
    pub fn register_worker(&mut self, row: &WorkerRow) -> Result<()> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        diesel::replace_into(workers::table).values(row).execute(c)?;
        Ok(())
    }

    /// A worker's state, stage and counts grown by what it just stored (in
    /// the transaction that stored it).
    pub fn worker_progress(
        &mut self,
        id: &str,
        state: &str,
        stage: Option<&str>,
        now_ms: i64,
        (done, failed, lost): (i64, i64, i64),
    ) -> Result<()> {
        crate::with_conn!(self, c => diesel::update(workers::table.find(id))
            .set((
                workers::state.eq(state),
                workers::stage.eq(stage),
                workers::heartbeat_ms.eq(now_ms),
                workers::done.eq(workers::done + done),
                workers::failed.eq(workers::failed + failed),
                workers::lost.eq(workers::lost + lost),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Every worker that ever registered, latest heartbeat first.
    pub fn workers(&mut self) -> Result<Vec<WorkerRow>> {
        Ok(crate::with_conn!(self, c => workers::table
            .order(workers::heartbeat_ms.desc())
            .select(WorkerRow::as_select())
            .load(c))?)
    }

    /// A server-wide lock by name, without waiting (MariaDB's GET_LOCK):
    /// true when this connection holds it now. Released by
    /// [`Catalog::release_named_lock`] or when the connection ends (a
    /// killed worker never keeps it).
    pub fn try_named_lock(&mut self, name: &str) -> Result<bool> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        let got: Vec<Count> =
            diesel::sql_query("SELECT COALESCE(GET_LOCK(?, 0), 0) AS n").bind::<Text, _>(name).load(c)?;
        Ok(got.first().is_some_and(|r| r.n == 1))
    }

    /// Releases a lock taken by [`Catalog::try_named_lock`].
    pub fn release_named_lock(&mut self, name: &str) -> Result<()> {
        let Conn::Mysql(c) = &mut self.conn else { return Err(one_machine()) };
        let _: Vec<Count> =
            diesel::sql_query("SELECT COALESCE(RELEASE_LOCK(?), 0) AS n").bind::<Text, _>(name).load(c)?;
        Ok(())
    }
}
