//! `policy.change`: what changed in the procedure itself between the trusted base and the revision.

use serde_json::{json, Value};

use super::{Change, Class, OpKind, Operation, Target};
use crate::desired::model::Site;

fn fields(site: &Site, signers: Option<&str>) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = match serde_json::to_value(&site.policy) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| (format!("policy.{k}"), v))
            .collect(),
        _ => Vec::new(),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.push((
        "maintenance_windows".into(),
        json!(site.maintenance_windows),
    ));
    let lines: Vec<&str> = signers
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    out.push(("allowed_signers".into(), json!(lines)));
    out
}

/// The `policy.change` operation from `base` to `rev`, if the policy, windows or signers differ.
pub fn policy_change(
    site_name: &str,
    base: &Site,
    base_signers: Option<&str>,
    rev: &Site,
    rev_signers: Option<&str>,
) -> Option<Operation> {
    let changes: Vec<Change> = fields(base, base_signers)
        .into_iter()
        .zip(fields(rev, rev_signers))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((path, from), (_, to))| Change { path, from, to })
        .collect();
    (!changes.is_empty()).then(|| {
        Operation::new(
            OpKind::PolicyChange,
            Target::Site(site_name.to_string()),
            Class::Policy,
            changes,
        )
    })
}
