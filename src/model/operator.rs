//! The operator: the named person accountable for a change (PROC-VMS-001 §01).

use std::fmt;

/// An accountable person's identity, trimmed and never empty: whoever holds one has a name to journal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Operator(String);

/// No operator was given, or only blanks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no operator was given: name yourself with --operator or VMSOPS_OPERATOR")]
pub struct NoOperator;

impl Operator {
    /// `raw` trimmed, or `None` when nothing is left: an empty identity names nobody.
    pub fn new(raw: &str) -> Option<Self> {
        let name = raw.trim();
        (!name.is_empty()).then(|| Self(name.to_string()))
    }

    /// The flag's value, else the environment's `VMSOPS_OPERATOR`; blanks count as absent.
    pub fn from_flag_or_env(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, NoOperator> {
        match flag {
            Some(f) => Self::new(f),
            None => env("VMSOPS_OPERATOR").as_deref().and_then(Self::new),
        }
        .ok_or(NoOperator)
    }

    /// The identity as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Operator {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_is_trimmed_and_never_empty() {
        assert_eq!(
            Operator::new("  claire.martin ").unwrap().as_str(),
            "claire.martin"
        );
        assert_eq!(Operator::new(""), None);
        assert_eq!(Operator::new(" \t"), None);
    }

    #[test]
    fn the_flag_wins_over_the_environment_and_blanks_name_nobody() {
        let env = |k: &str| (k == "VMSOPS_OPERATOR").then(|| "karim.benali".to_string());
        let none = |_: &str| None;
        let of = |flag, env: &dyn Fn(&str) -> Option<String>| {
            Operator::from_flag_or_env(flag, env).map(|o| o.to_string())
        };
        assert_eq!(
            of(Some("claire.martin"), &env).as_deref(),
            Ok("claire.martin")
        );
        assert_eq!(of(None, &env).as_deref(), Ok("karim.benali"));
        assert_eq!(of(None, &none), Err(NoOperator));
        assert_eq!(of(Some(" "), &env), Err(NoOperator));
        assert_eq!(
            NoOperator.to_string(),
            "no operator was given: name yourself with --operator or VMSOPS_OPERATOR"
        );
    }
}
