//! The PostgreSQL state store: one journal, one set of snapshots, one lock per
//! site for every machine that uses the same URL.
//!
//! Each connection lives on a thread of its own (the `postgres` client runs
//! its own small runtime), so the store can be called from synchronous code
//! and from inside the command's async runtime alike. Nothing here knows what
//! a journal entry or a snapshot means: callers hand it lines and bodies.

pub mod connect;
pub mod lock;
pub mod schema;

use std::sync::mpsc;
use std::sync::Mutex;

pub use connect::{PgUrl, UrlError};

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// No connection could be opened.
    #[error("cannot connect (check the URL, its password or PGPASSWORD or ~/.pgpass, and that the server accepts connections from here)")]
    Connect(#[source] connect::ConnectError),
    /// A statement failed.
    #[error("{what} failed")]
    Query {
        /// What was being done.
        what: &'static str,
        /// The database's error.
        #[source]
        source: postgres::Error,
    },
    /// The schema is missing, older or newer than this binary.
    #[error("{0}")]
    Schema(String),
    /// The connection's thread is gone.
    #[error("the connection's thread stopped")]
    Gone,
    /// What the caller's closure refused (e.g. a broken journal tail).
    #[error("{0}")]
    Refused(String),
}

impl PgError {
    /// The database's own message (e.g. a trigger's refusal), when there is one.
    pub fn db_message(&self) -> Option<String> {
        match self {
            PgError::Query { source, .. } => source.as_db_error().map(|d| d.message().to_string()),
            _ => None,
        }
    }
}

fn query(what: &'static str) -> impl FnOnce(postgres::Error) -> PgError {
    move |source| PgError::Query { what, source }
}

/// An open connection and what this process knows of the journal through it.
struct Conn {
    client: postgres::Client,
    /// The journal's last line as this connection last wrote or read it: an
    /// append tries it first (one round trip) and re-reads only when another
    /// writer got there before (the primary key refuses the duplicate `seq`).
    journal_last: Option<String>,
    /// The append statement, prepared once per connection.
    insert: Option<postgres::Statement>,
}

type Job = Box<dyn FnOnce(&mut Option<Conn>, &PgUrl) + Send>;

/// One connection on its own thread, reopened when it was lost.
struct Worker {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl Worker {
    fn spawn(url: PgUrl) -> Worker {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            let mut conn = None;
            for job in rx {
                job(&mut conn, &url);
            }
        });
        Worker {
            jobs: Mutex::new(tx),
        }
    }

    /// Runs `f` on the connection's client, opening it first if needed.
    fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<R, PgError> + Send + 'static,
    ) -> Result<R, PgError> {
        self.run_conn(move |c| f(&mut c.client))
    }

    /// Runs `f` on the connection, opening it first if needed.
    fn run_conn<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<R, PgError> + Send + 'static,
    ) -> Result<R, PgError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |slot, url| {
            if slot.as_ref().is_none_or(|c| c.client.is_closed()) {
                match url.connect() {
                    Ok(client) => {
                        *slot = Some(Conn {
                            client,
                            journal_last: None,
                            insert: None,
                        })
                    }
                    Err(e) => {
                        let _ = reply.send(Err(PgError::Connect(e)));
                        return;
                    }
                }
            }
            let Some(conn) = slot.as_mut() else {
                let _ = reply.send(Err(PgError::Gone));
                return;
            };
            let result = f(conn);
            if conn.client.is_closed() {
                *slot = None;
            }
            let _ = reply.send(result);
        });
        self.jobs
            .lock()
            .map_err(|_| PgError::Gone)?
            .send(job)
            .map_err(|_| PgError::Gone)?;
        answer.recv().map_err(|_| PgError::Gone)?
    }
}

/// A stored snapshot as the database holds it.
#[derive(Debug, Clone)]
pub struct SnapshotRow {
    /// Its id.
    pub id: String,
    /// Its site.
    pub site: String,
    /// The same bytes a snapshot file holds: compressed (zstd), or as text when
    /// stored before snapshots were compressed.
    pub body: SnapshotBody,
}

/// A stored snapshot's bytes, as they are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotBody {
    /// A zstd frame of the snapshot file.
    Zstd(Vec<u8>),
    /// The snapshot file itself (stores written before compression).
    Text(String),
}

impl SnapshotBody {
    fn from_row(row: &postgres::Row, text: usize, zst: usize) -> SnapshotBody {
        match row.get::<_, Option<Vec<u8>>>(zst) {
            Some(z) => SnapshotBody::Zstd(z),
            None => SnapshotBody::Text(row.get::<_, Option<String>>(text).unwrap_or_default()),
        }
    }
}

/// A site as `state status` shows it.
#[derive(Debug, Clone, Default)]
pub struct SiteRow {
    /// The site.
    pub site: String,
    /// Its records by kind (`applied`, `baseline`, …), as stored.
    pub records: Vec<(String, String)>,
    /// Who holds its lock now, as stored.
    pub holder: Option<String>,
}

/// The store behind a `postgres://` location.
pub struct PgStore {
    url: PgUrl,
    worker: Worker,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url.display())
    }
}

fn read_last(c: &mut postgres::Client) -> Result<Option<String>, PgError> {
    Ok(c.query_opt(
        "SELECT line FROM vmsops.journal ORDER BY seq DESC LIMIT 1",
        &[],
    )
    .map_err(query("reading the journal's last entry"))?
    .map(|r| r.get(0)))
}

fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// A stable lock key for a name (advisory locks take integers).
pub fn key(name: &str) -> i64 {
    let hex = crate::canonical::sha256_hex(format!("vmsops:{name}").as_bytes());
    i64::from_str_radix(&hex[..15], 16).unwrap_or(0)
}

impl PgStore {
    /// A store at `url`; connects on first use.
    pub fn new(url: PgUrl) -> PgStore {
        PgStore {
            worker: Worker::spawn(url.clone()),
            url,
        }
    }

    /// The location as messages show it (no password).
    pub fn display(&self) -> String {
        self.url.display()
    }

    /// The URL, for connections of their own (locks).
    pub fn url(&self) -> &PgUrl {
        &self.url
    }

    /// The schema version in the database (None: no schema).
    pub fn schema_version(&self) -> Result<Option<i32>, PgError> {
        self.worker.run(|c| {
            let exists: bool = c
                .query_one(
                    "SELECT to_regclass('vmsops.schema_version') IS NOT NULL",
                    &[],
                )
                .map_err(query("reading the schema version"))?
                .get(0);
            if !exists {
                return Ok(None);
            }
            let row = c
                .query_one("SELECT max(version) FROM vmsops.schema_version", &[])
                .map_err(query("reading the schema version"))?;
            Ok(row.get::<_, Option<i32>>(0))
        })
    }

    /// Refuses a store this binary cannot use, saying what to do.
    pub fn check_schema(&self) -> Result<(), PgError> {
        match self.schema_version()? {
            Some(v) if v == schema::VERSION => Ok(()),
            Some(v) if v > schema::VERSION => Err(PgError::Schema(format!(
                "its schema is version {v}, written by a newer vmsops (this one knows {}): upgrade vmsops",
                schema::VERSION
            ))),
            found => Err(PgError::Schema(format!(
                "{}: run `vmsops state init --state {}` first",
                match found {
                    None => "it has no vmsops schema".to_string(),
                    Some(v) => format!("its schema is version {v}, older than this vmsops's {}", schema::VERSION),
                },
                self.display()
            ))),
        }
    }

    /// Creates or migrates the schema; returns the versions before and after.
    pub fn init(&self) -> Result<(Option<i32>, i32), PgError> {
        self.worker.run(|c| {
            let mut tx = c.transaction().map_err(query("starting the migration"))?;
            // One initialiser at a time, whatever the machine.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key("schema")])
                .map_err(query("locking the schema"))?;
            let exists: bool = tx
                .query_one("SELECT to_regclass('vmsops.schema_version') IS NOT NULL", &[])
                .map_err(query("reading the schema version"))?
                .get(0);
            let before: Option<i32> = if exists {
                tx.query_one("SELECT max(version) FROM vmsops.schema_version", &[])
                    .map_err(query("reading the schema version"))?
                    .get(0)
            } else {
                None
            };
            let from = before.unwrap_or(0);
            if from > schema::VERSION {
                return Err(PgError::Schema(format!(
                    "its schema is version {from}, written by a newer vmsops (this one knows {}): upgrade vmsops",
                    schema::VERSION
                )));
            }
            for (n, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
                tx.batch_execute(sql).map_err(query("migrating the schema"))?;
                tx.execute(
                    "UPDATE vmsops.schema_version SET version = $1",
                    &[&(n as i32 + 1)],
                )
                .map_err(query("recording the schema version"))?;
            }
            tx.commit().map_err(query("committing the migration"))?;
            Ok((before, schema::VERSION))
        })
    }

    /// Every journal line, oldest first.
    pub fn journal_lines(&self) -> Result<Vec<String>, PgError> {
        self.worker.run(|c| {
            Ok(c.query("SELECT line FROM vmsops.journal ORDER BY seq", &[])
                .map_err(query("reading the journal"))?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    /// The journal lines after `seq`, with their seq, oldest first.
    pub fn journal_lines_after(&self, seq: u64) -> Result<Vec<(u64, String)>, PgError> {
        let from = i64::try_from(seq).unwrap_or(i64::MAX);
        self.worker.run(move |c| {
            Ok(c.query(
                "SELECT seq, line FROM vmsops.journal WHERE seq > $1 ORDER BY seq",
                &[&from],
            )
            .map_err(query("reading the journal"))?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
            .collect())
        })
    }

    /// The last journal line, if any.
    pub fn journal_last(&self) -> Result<Option<String>, PgError> {
        self.worker.run(|c| {
            Ok(c.query_opt(
                "SELECT line FROM vmsops.journal ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .map_err(query("reading the journal"))?
            .map(|r| r.get(0)))
        })
    }

    /// Appends the lines `next` makes from the last line, in one statement; returns them.
    ///
    /// `seq` is the primary key: of two writers that computed the same next
    /// entries, the database takes one and refuses the other, which re-reads the
    /// last line and tries again. So there is never a gap or a duplicate, `prev`
    /// is always the real previous hash, and in the common case (this process
    /// wrote the last entry) an append of any number of lines is one round trip,
    /// committed (one WAL flush) on return.
    pub fn journal_append(
        &self,
        next: impl Fn(Option<&str>) -> Result<Vec<(u64, String, String)>, String> + Send + 'static,
    ) -> Result<Vec<String>, PgError> {
        self.worker.run_conn(move |conn| {
            let insert = match &conn.insert {
                Some(s) => s.clone(),
                None => {
                    let s = conn
                        .client
                        .prepare(
                            "INSERT INTO vmsops.journal (seq, hash, line) \
                             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
                        )
                        .map_err(query("preparing the journal append"))?;
                    conn.insert = Some(s.clone());
                    s
                }
            };
            let mut fresh = conn.journal_last.is_none();
            if fresh {
                conn.journal_last = read_last(&mut conn.client)?;
            }
            loop {
                let rows = next(conn.journal_last.as_deref()).map_err(PgError::Refused)?;
                let mut seqs = Vec::with_capacity(rows.len());
                let (mut hashes, mut lines) = (Vec::new(), Vec::new());
                for (seq, hash, line) in rows {
                    seqs.push(
                        i64::try_from(seq).map_err(|_| PgError::Refused("seq overflows".into()))?,
                    );
                    hashes.push(hash);
                    lines.push(line);
                }
                match conn.client.execute(&insert, &[&seqs, &hashes, &lines]) {
                    Ok(_) => {
                        conn.journal_last = lines.last().cloned();
                        return Ok(lines);
                    }
                    Err(e) if is_unique_violation(&e) => {
                        // Another writer appended first: read the real last entry and try again.
                        conn.journal_last = read_last(&mut conn.client)?;
                        fresh = true;
                    }
                    Err(e) if !fresh => {
                        // A cached tail that no longer holds for another reason: read it once more.
                        let _ = e;
                        conn.journal_last = read_last(&mut conn.client)?;
                        fresh = true;
                    }
                    Err(source) => {
                        conn.journal_last = None;
                        return Err(PgError::Query {
                            what: "appending to the journal",
                            source,
                        });
                    }
                }
            }
        })
    }

    /// Appends lines copied from another journal (migration), after the store's last.
    pub fn journal_copy(&self, rows: Vec<(u64, String, String)>) -> Result<(), PgError> {
        self.worker.run(move |c| {
            let mut tx = c.transaction().map_err(query("starting the copy"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key("journal")])
                .map_err(query("locking the journal"))?;
            for (seq, hash, line) in rows {
                let seq =
                    i64::try_from(seq).map_err(|_| PgError::Refused("seq overflows".into()))?;
                tx.execute(
                    "INSERT INTO vmsops.journal (seq, hash, line) VALUES ($1, $2, $3)",
                    &[&seq, &hash, &line],
                )
                .map_err(query("copying the journal"))?;
            }
            tx.commit().map_err(query("committing the copy"))?;
            Ok(())
        })
    }

    /// A site's record of `kind` (`applied`, `baseline`, …), as stored.
    pub fn record(&self, site: &str, kind: &str) -> Result<Option<String>, PgError> {
        let (site, kind) = (site.to_string(), kind.to_string());
        self.worker.run(move |c| {
            Ok(c.query_opt(
                "SELECT body FROM vmsops.site_records WHERE site = $1 AND kind = $2",
                &[&site, &kind],
            )
            .map_err(query("reading a site record"))?
            .map(|r| r.get(0)))
        })
    }

    /// Replaces a site's record of `kind`.
    pub fn set_record(&self, site: &str, kind: &str, body: String) -> Result<(), PgError> {
        let (site, kind) = (site.to_string(), kind.to_string());
        self.worker.run(move |c| {
            c.execute(
                "INSERT INTO vmsops.site_records (site, kind, body) VALUES ($1, $2, $3)
                 ON CONFLICT (site, kind) DO UPDATE SET body = EXCLUDED.body",
                &[&site, &kind, &body],
            )
            .map_err(query("writing a site record"))?;
            Ok(())
        })
    }

    /// Stores a snapshot; `Ok(false)` when the id is taken.
    pub fn insert_snapshot(
        &self,
        row: SnapshotRow,
        taken_at: jiff::Timestamp,
        keep_until: jiff::Timestamp,
        sha256: String,
    ) -> Result<bool, PgError> {
        self.worker.run(move |c| {
            let n = c
                .execute(
                    "INSERT INTO vmsops.snapshots (id, site, taken_at, keep_until, sha256, body, body_zst)
                     VALUES ($1, $2, $3::text::timestamptz, $4::text::timestamptz, $5, $6, $7)
                     ON CONFLICT (id) DO NOTHING",
                    &[
                        &row.id,
                        &row.site,
                        &taken_at.to_string(),
                        &keep_until.to_string(),
                        &sha256,
                        &match &row.body {
                            SnapshotBody::Text(t) => Some(t.as_str()),
                            SnapshotBody::Zstd(_) => None,
                        },
                        &match &row.body {
                            SnapshotBody::Zstd(z) => Some(z.as_slice()),
                            SnapshotBody::Text(_) => None,
                        },
                    ],
                )
                .map_err(query("storing the snapshot"))?;
            Ok(n == 1)
        })
    }

    /// The snapshots (of `site`, or all), oldest first.
    pub fn snapshots(&self, site: Option<&str>) -> Result<Vec<SnapshotRow>, PgError> {
        let site = site.map(String::from);
        self.worker.run(move |c| {
            let rows = c
                .query(
                    "SELECT id, site, body, body_zst FROM vmsops.snapshots
                     WHERE $1::text IS NULL OR site = $1 ORDER BY taken_at, id",
                    &[&site],
                )
                .map_err(query("listing snapshots"))?;
            Ok(rows
                .iter()
                .map(|r| SnapshotRow {
                    id: r.get(0),
                    site: r.get(1),
                    body: SnapshotBody::from_row(r, 2, 3),
                })
                .collect())
        })
    }

    /// The snapshot `id`, if stored.
    pub fn snapshot(&self, id: &str) -> Result<Option<SnapshotRow>, PgError> {
        let id = id.to_string();
        self.worker.run(move |c| {
            Ok(c.query_opt(
                "SELECT id, site, body, body_zst FROM vmsops.snapshots WHERE id = $1",
                &[&id],
            )
            .map_err(query("reading the snapshot"))?
            .map(|r| SnapshotRow {
                id: r.get(0),
                site: r.get(1),
                body: SnapshotBody::from_row(&r, 2, 3),
            }))
        })
    }

    /// Deletes snapshot `id` (the database refuses one inside its retention).
    pub fn delete_snapshot(&self, id: &str) -> Result<(), PgError> {
        let id = id.to_string();
        self.worker.run(move |c| {
            c.execute("DELETE FROM vmsops.snapshots WHERE id = $1", &[&id])
                .map_err(query("deleting the snapshot"))?;
            Ok(())
        })
    }

    /// Every site the store knows, with its records and lock holder.
    pub fn sites(&self) -> Result<Vec<SiteRow>, PgError> {
        self.worker.run(|c| {
            let mut out: std::collections::BTreeMap<String, SiteRow> = Default::default();
            for r in c
                .query(
                    "SELECT site, kind, body FROM vmsops.site_records ORDER BY site, kind",
                    &[],
                )
                .map_err(query("reading site records"))?
            {
                let site: String = r.get(0);
                out.entry(site.clone())
                    .or_insert_with(|| SiteRow {
                        site,
                        ..SiteRow::default()
                    })
                    .records
                    .push((r.get(1), r.get(2)));
            }
            for r in c
                .query("SELECT site, holder FROM vmsops.lock_holders", &[])
                .map_err(query("reading lock holders"))?
            {
                let site: String = r.get(0);
                out.entry(site.clone())
                    .or_insert_with(|| SiteRow {
                        site,
                        ..SiteRow::default()
                    })
                    .holder = Some(r.get(1));
            }
            Ok(out.into_values().collect())
        })
    }
}
