//! The catalogue: every file, capture, relation and taxonomy we know, in
//! SQLite (the embedded default) or MariaDB 10.11+ (big or shared
//! catalogues), through Diesel.
//!
//! Only this crate names Diesel. [`Catalog`] wraps one connection of either
//! backend; every query is a named method, one module per aggregate (roots,
//! files, captures, relations, scans, stats, taxonomies; analysis,
//! detections, decisions), and where the two SQL dialects differ the method
//! says so in a `match` on the backend. Migrations live in
//! `migrations/sqlite` and `migrations/mysql` (same names) and are applied on
//! open.

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::mysql::MysqlConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

mod analysis;
mod calendars;
mod captures;
mod decisions;
mod detections;
mod events;
mod faces;
mod files;
pub mod models;
mod people;
mod relations;
mod roots;
mod scans;
pub mod schema;
pub mod search;
mod stats;
mod taste;
mod taxonomies;
mod work;

/// Most rows written or looked up in one statement (keeps both backends well
/// under their placeholder limits).
pub const BATCH: usize = 500;

// Backend functions the queries call by name (private here, so every
// module of this crate, and nothing outside it, can use them).
diesel::define_sql_function! {
    /// SQLite: id of the last inserted row on this connection.
    fn last_insert_rowid() -> BigInt;
}
diesel::define_sql_function! {
    /// MariaDB: first id of the last INSERT on this connection.
    fn last_insert_id() -> Unsigned<BigInt>;
}

pub use analysis::*;
pub use calendars::*;
pub use decisions::*;
pub use detections::*;
pub use events::*;
pub use faces::*;
pub use files::*;
/// Content hashes go in and out of the catalogue as themselves (BIGINT, same bits).
pub use hma_media::ContentHash;
pub use models::*;
pub use people::*;
pub use relations::RelationKind;
pub use roots::SidecarRow;
pub use scans::ProblemRow;
pub use stats::*;
pub use taste::*;
pub use taxonomies::{NodeSpec, SavedSearch, TaxonNode};
pub use work::*;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/mysql");

/// What went wrong with the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A query failed.
    #[error("catalogue query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// The database could not be reached or opened.
    #[error("cannot open catalogue {url}: {source}")]
    Connect {
        /// The URL with any password hidden.
        url: String,
        /// Why.
        source: diesel::ConnectionError,
    },
    /// Migrations failed.
    #[error("cannot migrate catalogue: {0}")]
    Migrate(String),
    /// A named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request makes no sense (duplicate name, bad URL…).
    #[error("{0}")]
    Invalid(String),
}

/// Result of catalogue operations.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// Which database a catalogue lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (WAL).
    Sqlite,
    /// MariaDB / MySQL server.
    Mysql,
}

pub(crate) enum Conn {
    Sqlite(SqliteConnection),
    Mysql(MysqlConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection; the body is
/// compiled once per backend, so generic Diesel code serves both.
macro_rules! with_conn {
    ($cat:expr, $c:ident => $body:expr) => {
        match &mut $cat.conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Mysql($c) => $body,
        }
    };
}
pub(crate) use with_conn;

/// The `ToSql`/`FromSql` pair of a closed enum stored as its name in a TEXT
/// column (both backends), written once: the type has `as_str(self)`, the
/// list names every variant, and a name this version does not know reads
/// back as an error naming `$what`.
macro_rules! text_enum {
    ($ty:ty, $what:literal, [$($v:expr),+ $(,)?]) => {
        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $ty
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $ty
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                [$($v),+].into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), s).into())
            }
        }
    };
}
pub(crate) use text_enum;

/// An open catalogue.
pub struct Catalog {
    pub(crate) conn: Conn,
    backend: Backend,
    url: String,
    file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("backend", &self.backend).field("url", &self.url).finish()
    }
}

/// Hides the password of a `mysql://user:pass@host/db` URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Creates a database on a MariaDB server (`server_url` names any existing
/// database to connect to, e.g. `mysql://root@127.0.0.1:3306/test`).
pub fn mysql_create_database(server_url: &str, name: &str) -> Result<()> {
    mysql_admin(server_url, &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
}

/// Drops a database on a MariaDB server.
pub fn mysql_drop_database(server_url: &str, name: &str) -> Result<()> {
    mysql_admin(server_url, &format!("DROP DATABASE IF EXISTS `{name}`"))
}

fn mysql_admin(server_url: &str, sql: &str) -> Result<()> {
    if !sql.split('`').nth(1).is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
        return Err(CatalogError::Invalid("database names are letters, digits and _".into()));
    }
    let mut c = MysqlConnection::establish(server_url)
        .map_err(|source| CatalogError::Connect { url: redact_url(server_url), source })?;
    c.batch_execute(sql)?;
    Ok(())
}

impl Catalog {
    /// Runs `query` on `keys` BATCH at a time (the databases bound how many
    /// parameters one statement takes) and gathers its rows in order: the
    /// one loop behind every look-up by a list of ids or hashes.
    pub(crate) fn by_chunks<K, T>(
        &mut self,
        keys: &[K],
        mut query: impl FnMut(&mut Catalog, &[K]) -> Result<Vec<T>>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH) {
            out.extend(query(self, chunk)?);
        }
        Ok(out)
    }
}

impl Catalog {
    /// Tables and their columns, sorted: for checking that both backends'
    /// migrations agree.
    pub fn columns(&mut self) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
        use diesel::sql_types::Text;
        #[derive(diesel::QueryableByName)]
        struct Col {
            #[diesel(sql_type = Text)]
            t: String,
            #[diesel(sql_type = Text)]
            c: String,
        }
        let rows: Vec<Col> = match &mut self.conn {
            Conn::Sqlite(c) => diesel::sql_query(
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '__diesel%'",
            )
            .load(c)?,
            Conn::Mysql(c) => diesel::sql_query(
                "SELECT CAST(table_name AS CHAR) AS t, CAST(column_name AS CHAR) AS c FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name NOT LIKE '__diesel%'",
            )
            .load(c)?,
        };
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for r in rows {
            out.entry(r.t).or_default().push(r.c);
        }
        for v in out.values_mut() {
            v.sort();
        }
        Ok(out)
    }

    /// Opens (creating if needed) the catalogue at `url`: `sqlite:///abs/file.db`,
    /// a plain file path, or `mysql://user:pass@host:port/db`. Applies pending
    /// migrations.
    pub fn open(url: &str) -> Result<Catalog> {
        let shown = redact_url(url);
        let mut cat = if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            let url = url.replacen("mariadb://", "mysql://", 1);
            let conn = MysqlConnection::establish(&url)
                .map_err(|source| CatalogError::Connect { url: shown.clone(), source })?;
            Catalog { conn: Conn::Mysql(conn), backend: Backend::Mysql, url: shown, file: None }
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.is_empty() {
                return Err(CatalogError::Invalid("empty SQLite path in catalogue URL".into()));
            }
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        CatalogError::Invalid(format!("cannot create folder for catalogue {path}: {e}"))
                    })?;
                }
            }
            let conn = SqliteConnection::establish(path)
                .map_err(|source| CatalogError::Connect { url: shown.clone(), source })?;
            let file = std::path::absolute(path).ok();
            Catalog { conn: Conn::Sqlite(conn), backend: Backend::Sqlite, url: shown, file }
        };
        cat.prepare()?;
        Ok(cat)
    }

    /// For a long batch job (import, scan, analysis, detection, faces):
    /// SQLite reads the catalogue through its own 64 MiB page cache instead
    /// of mapping up to 1 GiB of the file. A job that walks the whole
    /// catalogue (groups, events) would otherwise keep every mapped page in
    /// its resident size (1 GiB of a million-file catalogue); unmapped, the
    /// pages stay in the OS's file cache and the job's memory is bounded
    /// whatever the catalogue's size. Searches keep the mapping (a seek
    /// without a read call each). Nothing to do on MariaDB.
    pub fn for_long_job(&mut self) -> Result<()> {
        if let Conn::Sqlite(c) = &mut self.conn {
            c.batch_execute("PRAGMA mmap_size = 0;")?;
        }
        Ok(())
    }

    fn prepare(&mut self) -> Result<()> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                // mmap_size: reads of the catalogue's pages come from the
                // OS's page cache without a read() call each (a search at a
                // million captures seeks tens of thousands of index pages:
                // `has:person has:dog month:12` 341 → 266 ms, `munich` 772 →
                // 473 ms, median of 5, scripts/bench-search). Writes still
                // go through SQLite's own calls (the WAL).
                c.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; \
                     PRAGMA mmap_size = 1073741824;",
                )?;
                c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| CatalogError::Migrate(e.to_string()))?;
            }
            Conn::Mysql(c) => {
                // exists_to_in off: a search tests a picture's sets with
                // correlated EXISTS probes, one index seek each, and reads
                // the best pictures down the score index; left on, MariaDB
                // turns each probe into a semi-join and starts from the
                // whole set (every dog, then a sort: 0.5 s at a million
                // captures where the walk takes 20 ms). Sets a search may
                // start from are written IN (subquery) and keep semi-joins.
                c.batch_execute(
                    "SET NAMES utf8mb4 COLLATE utf8mb4_bin; SET SESSION optimizer_switch = 'exists_to_in=off'",
                )?;
                c.run_pending_migrations(MYSQL_MIGRATIONS).map_err(|e| CatalogError::Migrate(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite file (absolute), for an embedded catalogue.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.file.as_deref()
    }

    /// The URL (password hidden).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `f` in one transaction: all of it is committed, or none.
    ///
    /// On SQLite the outermost one starts with `BEGIN IMMEDIATE`: it takes
    /// the write lock at once, waiting for it (`busy_timeout`) while another
    /// connection writes. A deferred transaction reads first and asks for
    /// the lock at its first write; if another connection committed in
    /// between, SQLite cannot wait (its snapshot is stale) and the write
    /// fails at once with "database is locked", as a decision saved while a
    /// background rescoring wrote did. Every transaction here writes, so
    /// nothing is lost by taking the lock first. (An inner one is a
    /// savepoint.) MariaDB's row locks wait on their own.
    pub fn transaction<T, E: From<CatalogError>>(
        &mut self,
        f: impl FnOnce(&mut Catalog) -> Result<T, E>,
    ) -> Result<T, E> {
        fn begin<C: Connection>(c: &mut C) -> diesel::QueryResult<()> {
            C::TransactionManager::begin_transaction(c)
        }
        fn begin_sqlite(c: &mut SqliteConnection) -> diesel::QueryResult<()> {
            use diesel::connection::AnsiTransactionManager as M;
            match M::begin_transaction_sql(c, "BEGIN IMMEDIATE") {
                Err(diesel::result::Error::AlreadyInTransaction) => M::begin_transaction(c),
                r => r,
            }
        }
        fn commit<C: Connection>(c: &mut C) -> diesel::QueryResult<()> {
            C::TransactionManager::commit_transaction(c)
        }
        fn rollback<C: Connection>(c: &mut C) -> diesel::QueryResult<()> {
            C::TransactionManager::rollback_transaction(c)
        }
        match &mut self.conn {
            Conn::Sqlite(c) => begin_sqlite(c),
            Conn::Mysql(c) => begin(c),
        }
        .map_err(|e| E::from(e.into()))?;
        match f(self) {
            Ok(v) => {
                with_conn!(self, c => commit(c)).map_err(|e| E::from(e.into()))?;
                Ok(v)
            }
            Err(e) => {
                let _ = with_conn!(self, c => rollback(c));
                Err(e)
            }
        }
    }

    /// Runs raw SQL statements (tests, benchmarks that generate rows).
    pub fn execute_sql(&mut self, sql: &str) -> Result<()> {
        with_conn!(self, c => c.batch_execute(sql))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::QueryableByName)]
    struct MmapSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        mmap_size: i64,
    }

    fn mapped(cat: &mut Catalog) -> i64 {
        let Conn::Sqlite(c) = &mut cat.conn else { panic!("an SQLite catalogue") };
        diesel::sql_query("PRAGMA mmap_size").get_result::<MmapSize>(c).unwrap().mmap_size
    }

    #[test]
    fn a_long_job_reads_the_catalogue_without_mapping_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let mut searches = Catalog::open(&url).unwrap();
        let mut job = Catalog::open(&url).unwrap();
        job.for_long_job().unwrap();
        assert_eq!(mapped(&mut searches), 1 << 30);
        assert_eq!(mapped(&mut job), 0);
        // The job's connection still reads and writes the same catalogue.
        job.execute_sql("CREATE TABLE probe (x INTEGER)").unwrap();
        searches.execute_sql("INSERT INTO probe VALUES (1)").unwrap();
    }

    /// A transaction that reads, then writes, while another connection
    /// commits a write in between: with a deferred BEGIN the write failed at
    /// once ("database is locked"); it now holds the write lock from the
    /// start and the other connection waits for it.
    #[test]
    fn a_transaction_that_reads_then_writes_is_not_undone_by_another_writer() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let mut mine = Catalog::open(&url).unwrap();
        mine.execute_sql("CREATE TABLE probe (who TEXT)").unwrap();
        let (go, wait) = std::sync::mpsc::channel();
        let other = std::thread::spawn({
            let url = url.clone();
            move || {
                let mut theirs = Catalog::open(&url).unwrap();
                wait.recv().unwrap();
                theirs.execute_sql("INSERT INTO probe VALUES ('theirs')")
            }
        });
        let r = mine.transaction(|cat| -> Result<()> {
            cat.execute_sql("SELECT count(*) FROM probe")?;
            go.send(()).unwrap();
            // Time for the other connection's write to commit, were it let.
            std::thread::sleep(std::time::Duration::from_millis(300));
            cat.execute_sql("INSERT INTO probe VALUES ('mine')")
        });
        r.unwrap();
        other.join().unwrap().unwrap();
        #[derive(diesel::QueryableByName)]
        struct Who {
            #[diesel(sql_type = diesel::sql_types::Text)]
            who: String,
        }
        let Conn::Sqlite(c) = &mut mine.conn else { panic!("an SQLite catalogue") };
        let rows: Vec<Who> = diesel::sql_query("SELECT who FROM probe ORDER BY rowid").load(c).unwrap();
        assert_eq!(rows.iter().map(|w| w.who.as_str()).collect::<Vec<_>>(), ["mine", "theirs"]);
    }

    /// A transaction inside another is a savepoint: the inner one's
    /// failure undoes only its own writes.
    #[test]
    fn an_inner_transaction_is_a_savepoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = Catalog::open(&format!("sqlite://{}", dir.path().join("c.db").display())).unwrap();
        cat.execute_sql("CREATE TABLE probe (x INTEGER)").unwrap();
        cat.transaction(|cat| -> Result<()> {
            cat.execute_sql("INSERT INTO probe VALUES (1)")?;
            let inner = cat.transaction(|cat| -> Result<()> {
                cat.execute_sql("INSERT INTO probe VALUES (2)")?;
                Err(CatalogError::Migrate("undone".into()))
            });
            assert!(inner.is_err());
            Ok(())
        })
        .unwrap();
        #[derive(diesel::QueryableByName)]
        struct X {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            x: i32,
        }
        let Conn::Sqlite(c) = &mut cat.conn else { panic!("an SQLite catalogue") };
        let rows: Vec<X> = diesel::sql_query("SELECT x FROM probe").load(c).unwrap();
        assert_eq!(rows.iter().map(|r| r.x).collect::<Vec<_>>(), [1]);
    }
}
