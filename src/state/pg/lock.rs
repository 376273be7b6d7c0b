//! A site lock in PostgreSQL: a session advisory lock on a connection of its own.
//!
//! The lock lives exactly as long as that connection, so a holder that dies
//! (kill -9, a lost machine) never leaves a stale lock: the server ends the
//! session and frees it. The holder row says who holds it; a row found when
//! the lock is free was left by a holder that died mid-operation.

use std::time::{Duration, Instant};

use super::{key, query, PgError, PgUrl, Worker};

/// A held site lock; released (and its holder row removed) when dropped.
pub struct PgLock {
    worker: Worker,
    site: String,
}

/// What trying the lock found.
pub enum Attempt {
    /// Taken; the holder row a dead holder left, if any.
    Taken(PgLock, Option<String>),
    /// Someone holds it (their holder row, if they wrote one) and `timeout` passed.
    Held(Option<String>, Duration),
}

/// Takes the lock of `site`, recording `holder`, waiting up to `timeout`.
pub async fn acquire(
    url: &PgUrl,
    site: &str,
    holder: String,
    timeout: Duration,
) -> Result<Attempt, PgError> {
    let worker = Worker::spawn(url.clone());
    let started = Instant::now();
    loop {
        let (s, h) = (site.to_string(), holder.clone());
        let got = worker.run(move |c| {
            let taken: bool = c
                .query_one(
                    "SELECT pg_try_advisory_lock($1)",
                    &[&key(&format!("site:{s}"))],
                )
                .map_err(query("taking the site lock"))?
                .get(0);
            let previous: Option<String> = c
                .query_opt(
                    "SELECT holder FROM vmsops.lock_holders WHERE site = $1",
                    &[&s],
                )
                .map_err(query("reading the lock holder"))?
                .map(|r| r.get(0));
            if taken {
                c.execute(
                    "INSERT INTO vmsops.lock_holders (site, holder) VALUES ($1, $2)
                     ON CONFLICT (site) DO UPDATE SET holder = EXCLUDED.holder",
                    &[&s, &h],
                )
                .map_err(query("recording the lock holder"))?;
            }
            Ok((taken, previous))
        })?;
        match got {
            (true, stale) => {
                return Ok(Attempt::Taken(
                    PgLock {
                        worker,
                        site: site.to_string(),
                    },
                    stale,
                ))
            }
            (false, current) if started.elapsed() >= timeout => {
                return Ok(Attempt::Held(current, started.elapsed()))
            }
            (false, _) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

impl Drop for PgLock {
    fn drop(&mut self) {
        let site = self.site.clone();
        // A missing row tells the next holder that this one finished cleanly.
        let _ = self.worker.run(move |c| {
            c.execute("DELETE FROM vmsops.lock_holders WHERE site = $1", &[&site])
                .map_err(query("clearing the lock holder"))?;
            c.query_one(
                "SELECT pg_advisory_unlock($1)",
                &[&key(&format!("site:{site}"))],
            )
            .map_err(query("releasing the site lock"))?;
            Ok(())
        });
    }
}
