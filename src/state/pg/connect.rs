//! From a `postgres://` URL to a connection: password sources, `sslmode`, TLS with rustls.
//!
//! The password comes from the URL, else `PGPASSWORD`, else `~/.pgpass` (as
//! libpq reads them) and is never part of any message: stores are named by
//! [`PgUrl::display`], which has no password.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// `sslmode`, as libpq spells it (the modes vmsops supports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, plain otherwise (libpq's default); the certificate is not verified.
    Prefer,
    /// TLS or nothing; the certificate is not verified (as libpq's `require`).
    Require,
    /// TLS with the certificate verified against the public roots and the host name.
    VerifyFull,
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The TLS configuration could not be built.
    #[error("TLS setup failed")]
    Tls(#[from] rustls::Error),
    /// The server refused or could not be reached.
    #[error(transparent)]
    Db(#[from] postgres::Error),
}

/// A parsed PostgreSQL location.
#[derive(Clone)]
pub struct PgUrl {
    host: String,
    port: u16,
    user: String,
    dbname: String,
    password: Option<String>,
    ssl: SslMode,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// A location that is not a usable PostgreSQL URL.
#[derive(Debug, thiserror::Error)]
#[error("invalid PostgreSQL URL {shown}: {why}")]
pub struct UrlError {
    /// The URL without its password.
    pub shown: String,
    /// What is wrong and what to write instead.
    pub why: String,
}

impl PgUrl {
    /// Parses `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]`, filling the password from `env` and `~/.pgpass`.
    pub fn parse(raw: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<PgUrl, UrlError> {
        let fail = |shown: String, why: &str| UrlError {
            shown,
            why: why.to_string(),
        };
        let url = url::Url::parse(raw).map_err(|e| {
            fail(
                "(unparsable)".into(),
                &format!("{e}; write postgres://USER@HOST:PORT/DB"),
            )
        })?;
        let mut shown = url.clone();
        let _ = shown.set_password(None);
        let shown = shown.to_string();
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(fail(
                shown,
                "the scheme must be postgres:// or postgresql://",
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| fail(shown.clone(), "no host; write postgres://USER@HOST:PORT/DB"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| fail(shown.clone(), "a part is not valid UTF-8"))
        };
        let user = match url.username() {
            "" => env("PGUSER")
                .filter(|u| !u.is_empty())
                .ok_or_else(|| fail(shown.clone(), "no user; write postgres://USER@HOST/DB"))?,
            u => decode(u)?,
        };
        let dbname = match url.path().trim_start_matches('/') {
            "" => user.clone(),
            d => decode(d)?,
        };
        let mut ssl = SslMode::Prefer;
        for (k, v) in url.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("sslmode", "disable") => ssl = SslMode::Disable,
                ("sslmode", "prefer" | "allow") => ssl = SslMode::Prefer,
                ("sslmode", "require") => ssl = SslMode::Require,
                ("sslmode", "verify-full") => ssl = SslMode::VerifyFull,
                ("sslmode", other) => {
                    return Err(fail(
                        shown,
                        &format!(
                            "sslmode `{other}` is not supported; use disable, prefer, require or verify-full"
                        ),
                    ))
                }
                ("application_name" | "connect_timeout", _) => {}
                (other, _) => {
                    return Err(fail(
                        shown,
                        &format!("unknown parameter `{other}`; vmsops reads sslmode only"),
                    ))
                }
            }
        }
        let port = url.port().unwrap_or(5432);
        let password = match url.password() {
            Some(p) => Some(decode(p)?),
            None => env("PGPASSWORD")
                .filter(|p| !p.is_empty())
                .or_else(|| pgpass(env, &host, port, &dbname, &user)),
        };
        Ok(PgUrl {
            host,
            port,
            user,
            dbname,
            password,
            ssl,
        })
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// The location as messages show it: `postgres://USER@HOST:PORT/DB`, never the password.
    pub fn display(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "postgres://{}@{host}:{}/{}",
            self.user, self.port, self.dbname
        )
    }

    /// Opens one connection (blocking; run it off the async workers).
    pub fn connect(&self) -> Result<postgres::Client, ConnectError> {
        let mut c = postgres::Config::new();
        c.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name("vmsops")
            .connect_timeout(std::time::Duration::from_secs(10));
        if let Some(p) = &self.password {
            c.password(p);
        }
        match self.ssl {
            SslMode::Disable => {
                c.ssl_mode(postgres::config::SslMode::Disable);
                Ok(c.connect(postgres::NoTls)?)
            }
            SslMode::Prefer | SslMode::Require => {
                c.ssl_mode(if self.ssl == SslMode::Prefer {
                    postgres::config::SslMode::Prefer
                } else {
                    postgres::config::SslMode::Require
                });
                Ok(c.connect(tls(false)?)?)
            }
            SslMode::VerifyFull => {
                c.ssl_mode(postgres::config::SslMode::Require);
                Ok(c.connect(tls(true)?)?)
            }
        }
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The password `~/.pgpass` (or `$PGPASSFILE`) gives for this host, port, database and user.
fn pgpass(
    env: &dyn Fn(&str) -> Option<String>,
    host: &str,
    port: u16,
    db: &str,
    user: &str,
) -> Option<String> {
    let path = env("PGPASSFILE")
        .filter(|p| !p.is_empty())
        .or_else(|| env("HOME").map(|h| format!("{h}/.pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let port = port.to_string();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| pgpass_line(l, [host, &port, db, user]))
}

/// The password of one `.pgpass` line if its four fields match (`*` matches anything; `\:` and `\\` escape).
fn pgpass_line(line: &str, want: [&str; 4]) -> Option<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.push(chars.next()?),
            ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    if fields.len() != 5 {
        return None;
    }
    let matches = fields[..4]
        .iter()
        .zip(want)
        .all(|(f, w)| f == "*" || f == w);
    matches.then(|| fields[4].clone())
}

fn tls(verify: bool) -> Result<tokio_postgres_rustls::MakeRustlsConnect, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = if verify {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// `sslmode=prefer|require`: encrypted, not authenticated — exactly libpq's meaning of those modes.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parses_and_never_shows_the_password() {
        let u = PgUrl::parse(
            "postgres://vm%40ops:s3cr%3At@db.example:6543/state?sslmode=require",
            &env(&[]),
        )
        .unwrap();
        assert_eq!(u.display(), "postgres://vm@ops@db.example:6543/state");
        assert_eq!(u.password.as_deref(), Some("s3cr:t"));
        assert_eq!(u.ssl, SslMode::Require);
        assert!(!format!("{u:?}").contains("s3cr"));
        let e = PgUrl::parse("postgres://u:hunter2@h/db?sslmode=verify-ca", &env(&[])).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("verify-ca"), "{e}");
    }

    #[test]
    fn the_password_comes_from_pgpassword_then_pgpass() {
        let u = PgUrl::parse("postgresql://u@h/db", &env(&[("PGPASSWORD", "pw")])).unwrap();
        assert_eq!(u.password.as_deref(), Some("pw"));
        assert_eq!((u.port, u.ssl), (5432, SslMode::Prefer));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:*:*:*:no\nh:5432:db:u:from\\:file\n",
        )
        .unwrap();
        let path: &'static str = Box::leak(file.to_string_lossy().into_owned().into_boxed_str());
        let pairs: &'static [(&'static str, &'static str)] =
            Box::leak(vec![("PGPASSFILE", path)].into_boxed_slice());
        let u = PgUrl::parse("postgres://u@h/db", &env(pairs)).unwrap();
        assert_eq!(u.password.as_deref(), Some("from:file"));
    }

    #[test]
    fn bad_urls_say_what_to_write() {
        for (raw, want) in [
            ("mysql://u@h/db", "scheme"),
            ("postgres:///db", "no host"),
            ("postgres://h/db", "no user"),
            ("postgres://u@h/db?foo=1", "unknown parameter"),
        ] {
            let e = PgUrl::parse(raw, &env(&[])).unwrap_err().to_string();
            assert!(e.contains(want), "{raw}: {e}");
        }
    }
}
