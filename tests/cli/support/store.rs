//! The state store a story runs against: a temporary directory, or a fresh
//! database on the PostgreSQL that `VMSOPS_TEST_PG_URL` names.
//!
//! Without that variable the PostgreSQL variant of a story is reported ignored
//! (`crate::harness`); with `VMSOPS_PG_REQUIRED` set (CI) a missing database
//! fails the test instead.

use std::path::Path;
use std::process::Command;

const SKIP: &str = "skipped: set VMSOPS_TEST_PG_URL (scripts/postgres.sh start, then source the env file it prints)";

/// Runs a story once per store: `mod NAME { fn directory(); fn postgres(); }`, both
/// listed in the module's `trials()` (the parent lists `mod NAME`).
#[macro_export]
macro_rules! for_each_store {
    ($(#[$meta:meta])* fn $name:ident($store:ident: TestStore) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports, reason = "each story uses a different part of its parent")]
            use super::*;
            use $crate::support::store::TestStore;

            fn story($store: TestStore) $body

            fn directory() {
                story(TestStore::dir());
            }

            fn postgres() {
                if let Some(s) = TestStore::postgres() {
                    story(s);
                }
            }

            $crate::trials! {
                fn directory,
                fn postgres needs Postgres,
            }
        }
    };
}

/// Where a story's state lives; dropped with the story (a database is dropped too).
pub enum TestStore {
    /// A temporary directory.
    Dir(tempfile::TempDir),
    /// A database of its own on the test server.
    Pg {
        /// Its URL (with the password: for the child processes only).
        url: String,
        /// The server's URL, to drop the database afterwards.
        admin: String,
        /// The database.
        db: String,
    },
}

impl TestStore {
    /// A fresh state directory.
    pub fn dir() -> TestStore {
        TestStore::Dir(tempfile::tempdir().expect("state dir"))
    }

    /// A fresh database with the vmsops schema, or None (said on stderr) without a server.
    pub fn postgres() -> Option<TestStore> {
        let store = TestStore::empty_postgres()?;
        let out = Command::new(assert_cmd::cargo::cargo_bin("vmsops"))
            .args(["state", "init", "--state", &store.location()])
            .output()
            .expect("vmsops state init");
        assert!(
            out.status.success(),
            "state init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(store)
    }

    /// A fresh, empty database (no vmsops schema), or None (said on stderr) without a server.
    pub fn empty_postgres() -> Option<TestStore> {
        let Some(admin) = std::env::var("VMSOPS_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var_os("VMSOPS_PG_REQUIRED").is_none(),
                "VMSOPS_PG_REQUIRED is set but {SKIP}"
            );
            eprintln!("{SKIP}");
            return None;
        };
        let db = format!("vmsops_t_{:016x}", fastrand::u64(..));
        let mut client =
            postgres::Client::connect(&admin, postgres::NoTls).expect("the test server");
        client
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .expect("create the story's database");
        let mut url = url::Url::parse(&admin).expect("VMSOPS_TEST_PG_URL is a URL");
        url.set_path(&db);
        Some(TestStore::Pg {
            url: url.to_string(),
            admin,
            db,
        })
    }

    /// `--state` for this store.
    pub fn location(&self) -> String {
        match self {
            TestStore::Dir(d) => d.path().display().to_string(),
            TestStore::Pg { url, .. } => url.clone(),
        }
    }

    /// The variable and value that point a child process at this store.
    pub fn env(&self) -> (&'static str, String) {
        match self {
            TestStore::Dir(d) => ("VMSOPS_STATE_DIR", d.path().display().to_string()),
            TestStore::Pg { url, .. } => ("VMSOPS_STATE", url.clone()),
        }
    }

    /// The directory, for a directory store.
    pub fn path(&self) -> Option<&Path> {
        match self {
            TestStore::Dir(d) => Some(d.path()),
            TestStore::Pg { .. } => None,
        }
    }

    /// The store, opened by the library as the binary opens it.
    pub fn open(&self) -> vmsops::state::StateStore {
        vmsops::state::StateStore::open(Some(&self.location()), None, &|_| None)
            .expect("the test store opens")
    }

    /// Runs vmsops against this store, with the test sims' token: (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let (var, value) = self.env();
        let out = crate::fixture::vmsops()
            .env("VMSOPS_TOKEN", super::TOKEN)
            .env(var, value)
            .args(args)
            .output()
            .expect("vmsops runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The site lock's holder record ("" when released cleanly).
    pub fn lock_record(&self, site: &str) -> String {
        match self {
            TestStore::Dir(d) => {
                std::fs::read_to_string(d.path().join(format!("locks/{site}.lock")))
                    .unwrap_or_default()
            }
            TestStore::Pg { url, .. } => {
                let mut c =
                    postgres::Client::connect(url, postgres::NoTls).expect("the story's database");
                c.query_opt(
                    "SELECT holder FROM vmsops.lock_holders WHERE site = $1",
                    &[&site],
                )
                .expect("read the holder")
                .map(|r| r.get::<_, String>(0))
                .unwrap_or_default()
            }
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let TestStore::Pg { admin, db, .. } = self {
            if let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}
