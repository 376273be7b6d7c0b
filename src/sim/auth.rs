//! Bearer-token authentication: which user, if any, a request comes from.
//!
//! Tokens are kept only as SHA-256 digests, so a lookup's timing says nothing
//! about a token's characters, and no token is ever echoed in an error.
//!
//! Must never keep a token in clear or put one in a log line.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::error::SimError;

/// The user a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User(pub String);

/// The accepted tokens and their users.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_digest: HashMap<[u8; 32], String>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Parses `USER:TOKEN` entries; `origin` names where they came from, for errors.
    pub fn add_specs<'a>(
        &mut self,
        specs: impl IntoIterator<Item = &'a str>,
        origin: &'static str,
    ) -> Result<(), SimError> {
        for (i, spec) in specs.into_iter().enumerate() {
            let bad = |reason: &str| SimError::Token {
                origin,
                index: i + 1,
                reason: reason.to_string(),
            };
            let (user, token) = spec.split_once(':').ok_or_else(|| bad("not USER:TOKEN"))?;
            let user = user.trim();
            if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad("the user is empty or has spaces"));
            }
            if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad("the token is empty or has spaces"));
            }
            self.by_digest.insert(digest(token), user.to_string());
        }
        Ok(())
    }

    /// True if and only if no token was given.
    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    /// The user of an `Authorization` header value, if it carries a known bearer token.
    pub fn authenticate(&self, authorization: Option<&str>) -> Option<User> {
        let (scheme, token) = authorization?.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        self.by_digest
            .get(&digest(token.trim()))
            .map(|u| User(u.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_map_to_users() {
        let mut t = Tokens::default();
        t.add_specs(["alice:s3cret", "bob:x:y"], "--token")
            .expect("valid");
        assert_eq!(
            t.authenticate(Some("Bearer s3cret")),
            Some(User("alice".into()))
        );
        assert_eq!(t.authenticate(Some("bearer x:y")), Some(User("bob".into())));
        assert_eq!(t.authenticate(Some("Bearer nope")), None);
        assert_eq!(t.authenticate(Some("Basic s3cret")), None);
        assert_eq!(t.authenticate(Some("s3cret")), None);
        assert_eq!(t.authenticate(None), None);
    }

    #[test]
    fn bad_specs_never_echo_the_token() {
        for spec in ["nocolon-s3cret", ":s3cret", "alice:", "al ice:s3cret"] {
            let mut t = Tokens::default();
            let err = t
                .add_specs([spec], "VMSOPS_SIM_TOKENS")
                .expect_err("invalid");
            let msg = err.to_string();
            assert!(!msg.contains("s3cret"), "{msg}");
            assert!(msg.contains("VMSOPS_SIM_TOKENS entry 1"), "{msg}");
        }
    }
}
