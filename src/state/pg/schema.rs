//! The `vmsops` database schema, versioned: what `vmsops state init` creates or migrates.
//!
//! The database itself keeps the procedure's promises: the journal is
//! append-only for every role (triggers refuse UPDATE, DELETE and TRUNCATE,
//! the owner included), and a snapshot younger than its retention cannot be
//! deleted.

/// The schema version this binary reads and writes.
pub const VERSION: i32 = 2;

/// Each migration, in order; `MIGRATIONS[n]` takes the schema from version n to n + 1.
pub const MIGRATIONS: [&str; 2] = [
    r#"
CREATE SCHEMA IF NOT EXISTS vmsops;
CREATE TABLE vmsops.schema_version (version integer NOT NULL);
INSERT INTO vmsops.schema_version VALUES (0);

CREATE TABLE vmsops.journal (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    hash text NOT NULL UNIQUE,
    line text NOT NULL
);
CREATE FUNCTION vmsops.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'vmsops: % on %.% is refused: it is append-only (PROC-VMS-001 §04)',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME;
END $$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON vmsops.journal
    FOR EACH ROW EXECUTE FUNCTION vmsops.refuse_change();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON vmsops.journal
    FOR EACH STATEMENT EXECUTE FUNCTION vmsops.refuse_change();

CREATE TABLE vmsops.snapshots (
    id text PRIMARY KEY,
    site text NOT NULL,
    taken_at timestamptz NOT NULL,
    keep_until timestamptz NOT NULL,
    sha256 text NOT NULL,
    body text NOT NULL
);
CREATE INDEX snapshots_by_site ON vmsops.snapshots (site, taken_at);
CREATE FUNCTION vmsops.keep_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.keep_until > now() THEN
        RAISE EXCEPTION 'vmsops: snapshot % is kept until % (PROC-VMS-001 §03)', OLD.id, OLD.keep_until;
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER snapshots_retention BEFORE DELETE ON vmsops.snapshots
    FOR EACH ROW EXECUTE FUNCTION vmsops.keep_snapshot();
CREATE TRIGGER snapshots_unchanged BEFORE UPDATE ON vmsops.snapshots
    FOR EACH ROW EXECUTE FUNCTION vmsops.refuse_change();
CREATE TRIGGER snapshots_no_truncate BEFORE TRUNCATE ON vmsops.snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION vmsops.refuse_change();

CREATE TABLE vmsops.site_records (
    site text NOT NULL,
    kind text NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (site, kind)
);
CREATE TABLE vmsops.lock_holders (
    site text PRIMARY KEY,
    holder text NOT NULL
);
"#,
    // Snapshots compressed (zstd); the ones stored before keep their text body.
    r#"
ALTER TABLE vmsops.snapshots ALTER COLUMN body DROP NOT NULL;
ALTER TABLE vmsops.snapshots ADD COLUMN body_zst bytea;
ALTER TABLE vmsops.snapshots ADD CONSTRAINT snapshots_one_body
    CHECK ((body IS NULL) <> (body_zst IS NULL));
"#,
];

/// The grants `state init` prints: a least-privilege role for vmsops and a read-only auditor.
pub fn grants(db: &str) -> String {
    format!(
        "-- vmsops (plan, apply, drift, watch): reads everything, appends, records; never rewrites.
CREATE ROLE vmsops_app LOGIN PASSWORD '…';
GRANT CONNECT ON DATABASE \"{db}\" TO vmsops_app;
GRANT USAGE ON SCHEMA vmsops TO vmsops_app;
GRANT SELECT, INSERT ON vmsops.journal, vmsops.snapshots TO vmsops_app;
GRANT DELETE ON vmsops.snapshots TO vmsops_app;  -- prune; the retention trigger still applies
GRANT SELECT, INSERT, UPDATE, DELETE ON vmsops.site_records, vmsops.lock_holders TO vmsops_app;
GRANT SELECT ON vmsops.schema_version TO vmsops_app;
-- auditor (monthly review, audit verify): reads only.
CREATE ROLE vmsops_auditor LOGIN PASSWORD '…';
GRANT CONNECT ON DATABASE \"{db}\" TO vmsops_auditor;
GRANT USAGE ON SCHEMA vmsops TO vmsops_auditor;
GRANT SELECT ON ALL TABLES IN SCHEMA vmsops TO vmsops_auditor;
"
    )
}
