//! Property: whatever strings a VMS or a repository puts in a plan, its text and
//! markdown renderings carry no raw control character and no forged summary line.

use proptest::prelude::*;

use super::document::sample;
use super::style::Style;
use super::{markdown, text, Finding};

/// `out` without our own colour sequences (`ESC [ … m`), which are the only ones allowed.
fn without_colours(out: &str) -> String {
    out.split('\u{1b}')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once('m').map_or(part, |(_, rest)| rest)
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_raw_control_character_reaches_a_rendering(
        target in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f]{0,8}.{0,8}",
        message in any::<String>(),
        note in any::<String>(),
        value in any::<String>(),
    ) {
        let mut doc = sample();
        let site = &mut doc.sites[0];
        site.operations[0].target = crate::plan::Target::Camera(target.clone());
        site.operations[0].changes[0].to = serde_json::Value::String(value);
        site.findings.push(Finding { kind: "k".into(), target, message });
        site.notes.push(note);
        for out in [
            text::render(&doc, Style { color: true }),
            markdown::render(&doc, "plan"),
        ] {
            let plain = without_colours(&out);
            prop_assert!(
                !plain.chars().any(|c| c.is_control() && c != '\n'),
                "raw control character in {:?}", out
            );
        }
        let t = text::render(&doc, Style { color: false });
        prop_assert_eq!(t.lines().filter(|l| l.starts_with("Plan: ")).count(), 1);
    }
}
