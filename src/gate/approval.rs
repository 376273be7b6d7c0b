//! `approval` (PROC-VMS-001 §02, §04): the Responsable Sécurité's sign-off on exactly the revision.
//!
//! Recording, settings and policy operations need an annotated `approve/*` tag
//! that names the revision itself, made by a trusted approver and, with
//! `approval_signatures: ssh`, signed by a key that the trusted allowed signers
//! give to that approver's email for the `git` namespace. Signatures are
//! verified by the `ssh-key` crate's SSHSIG implementation; nothing here is
//! cryptography. Nothing lets a missing approval through, not even an
//! emergency.

use ssh_key::SshSig;

use super::{check, short, verdict, Approval, GateInput};
use crate::desired::model::ApprovalSignatures;
use crate::desired::signers::{self, Validity};
use crate::model::tag::{TagFacts, TagKind};
use crate::plan::{Class, Verdict, VerdictStatus};

/// The SSHSIG namespace git signs tags in.
const NAMESPACE: &str = "git";

/// True if operations of `class` need an approval.
pub(super) fn applies(class: Class) -> bool {
    class.needs_approval()
}

/// The verdict and, when allowed, the approval to journal.
pub(super) fn check(input: &GateInput<'_>) -> (Verdict, Option<Approval>) {
    let mut reasons = Vec::new();
    for tag in input.tags {
        match judge(input, tag) {
            Ok(a) => {
                let how = match input.policy.approval_signatures {
                    ApprovalSignatures::Ssh => "SSH signature verified",
                    ApprovalSignatures::None => {
                        "tagger email not authenticated: approval_signatures is none"
                    }
                };
                let v = verdict(
                    check::APPROVAL,
                    VerdictStatus::Allowed,
                    format!(
                        "approved by {} with tag {} on {} ({how})",
                        a.tagger,
                        a.tag,
                        short(&a.target)
                    ),
                );
                return (v, Some(a));
            }
            Err(why) => reasons.push(why),
        }
    }
    let approvers = if input.policy.approvers.is_empty() {
        "the trusted policy lists no approver".to_string()
    } else {
        input.policy.approvers.join(", ")
    };
    let sign = match input.policy.approval_signatures {
        ApprovalSignatures::Ssh => "git tag -s",
        ApprovalSignatures::None => "git tag -a",
    };
    let mut message = format!("not approved: {} needs an approve/* tag", short(input.rev));
    if reasons.is_empty() {
        message.push_str(" and has none");
    } else {
        message.push_str(&format!(", and {}", reasons.join("; ")));
    }
    message.push_str(&format!(
        ". An approver ({approvers}) must run `{sign} approve/NAME {}` and push the tag",
        input.rev
    ));
    (
        verdict(check::APPROVAL, VerdictStatus::Refused, message),
        None,
    )
}

/// The approval that `tag` gives the revision, or why it gives none.
fn judge(input: &GateInput<'_>, tag: &TagFacts) -> Result<Approval, String> {
    let name = &tag.name;
    if tag.kind == TagKind::Lightweight {
        return Err(format!(
            "{name} is a lightweight tag (no tagger, no signature): lightweight tags don't count"
        ));
    }
    if tag.commit != input.rev {
        return Err(format!(
            "{name} approves commit {}, not this one: commits made after an approval need a new tag",
            short(&tag.commit)
        ));
    }
    if tag.target != input.rev {
        return Err(format!(
            "{name} is a tag of another tag: only a tag of the commit itself counts"
        ));
    }
    let Some(tagger) = &tag.tagger else {
        return Err(format!("{name} has no tagger"));
    };
    let email = tagger.email.trim();
    if !input
        .policy
        .approvers
        .iter()
        .any(|a| a.trim().eq_ignore_ascii_case(email))
    {
        return Err(format!(
            "{name} was made by {email}, who is not an approver in the trusted policy"
        ));
    }
    if input.policy.approval_signatures == ApprovalSignatures::Ssh {
        verify_signature(input, tag, email)?;
    }
    Ok(Approval {
        tag: name.clone(),
        tagger: email.to_string(),
        target: input.rev.to_string(),
    })
}

/// Ok if `tag` carries an SSH signature over its payload by a key the trusted
/// allowed signers give to `email` for `git` at `now`.
fn verify_signature(input: &GateInput<'_>, tag: &TagFacts, email: &str) -> Result<(), String> {
    let name = &tag.name;
    let Some(armored) = &tag.signature else {
        return Err(format!(
            "{name} is not signed, and the trusted policy requires an SSH signature"
        ));
    };
    let sig = SshSig::from_pem(armored)
        .map_err(|e| format!("the signature of {name} cannot be read ({e})"))?;
    let Some(text) = input.allowed_signers else {
        return Err(format!(
            "{name} cannot be verified: the trusted base has no allowed signers file ({})",
            input.policy.allowed_signers
        ));
    };
    let (lines, _) = signers::parse(text);
    let mut mine = lines
        .iter()
        .filter(|l| {
            !l.cert_authority
                && signers::principals_match(&l.principals, email)
                && l.allows_namespace(NAMESPACE)
        })
        .peekable();
    if mine.peek().is_none() {
        return Err(format!(
            "{name} cannot be verified: the trusted allowed signers give no key to {email}"
        ));
    }
    let mut expired = None;
    for line in mine {
        let Ok(key) = line.public_key() else {
            continue;
        };
        if key.key_data() != sig.public_key() {
            continue;
        }
        match line.validity_at(input.now) {
            Validity::Valid => {}
            Validity::NotYet(d) => {
                expired = Some(format!("not valid before {d}"));
                continue;
            }
            Validity::Expired(d) => {
                expired = Some(format!("not valid after {d}"));
                continue;
            }
            Validity::Unreadable(d) => {
                expired = Some(format!("with an unreadable validity date {d}"));
                continue;
            }
        }
        return key.verify(NAMESPACE, &tag.payload, &sig).map_err(|e| {
            format!("the SSH signature of {name} does not verify ({e}): the tag was altered or signed for something else")
        });
    }
    Err(match expired {
        Some(why) => format!(
            "{name} is signed with {email}'s key, but the trusted allowed signers make it {why}"
        ),
        None => format!(
            "{name} is signed with a key that the trusted allowed signers do not give to {email}"
        ),
    })
}
