//! Approval tags as found in a repository: the raw facts the gate judges, gathered by the caller.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Whether a tag is a tag object or a bare reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    /// A tag object with a tagger, a message and possibly a signature.
    Annotated,
    /// A reference straight to a commit: no tagger, no signature.
    Lightweight,
}

/// Who made an annotated tag, as the tag object says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tagger {
    /// Tagger name.
    pub name: String,
    /// Tagger email.
    pub email: String,
    /// When the tag was made, as the tagger's clock said.
    pub at: Option<Timestamp>,
}

/// One `approve/*` tag as found in the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFacts {
    /// Tag name without `refs/tags/`, e.g. `approve/cr-1234`.
    pub name: String,
    /// Annotated or lightweight.
    pub kind: TagKind,
    /// The object the tag names directly (for a tag of a tag, the inner tag's id).
    pub target: String,
    /// The commit the tag leads to once every tag is peeled.
    pub commit: String,
    /// The tagger (annotated tags only).
    pub tagger: Option<Tagger>,
    /// The armored `-----BEGIN SSH SIGNATURE-----` block, when the tag carries one.
    pub signature: Option<String>,
    /// The bytes that the signature covers: the raw tag object without the block.
    pub payload: Vec<u8>,
}
