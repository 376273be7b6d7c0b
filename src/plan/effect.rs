//! What an operation does to its target, and the words and marks that both
//! renderings of a plan (`text`, `markdown`) print for it.
//!
//! Wording only: never decides what an operation is or whether it may run.

use super::{Class, OpKind};

/// What an operation does to its target: adds it, changes it, or removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    /// `camera.create`, `alert.create`.
    Add,
    /// Updates, settings and policy changes.
    Change,
    /// `camera.delete`, `alert.delete`.
    Remove,
}

impl Effect {
    /// The effect of an operation kind.
    pub(super) fn of(op: OpKind) -> Self {
        match op {
            OpKind::CameraCreate | OpKind::AlertCreate => Effect::Add,
            OpKind::CameraDelete | OpKind::AlertDelete => Effect::Remove,
            _ => Effect::Change,
        }
    }

    /// Its mark in a diff-like listing: `+`, `~` or `-`.
    pub(super) fn symbol(self) -> &'static str {
        match self {
            Effect::Add => "+",
            Effect::Change => "~",
            Effect::Remove => "-",
        }
    }
}

/// The gate class as the plan document spells it, e.g. `camera-add`.
pub(super) fn class_name(class: Class) -> String {
    serde_json::to_value(class)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}
