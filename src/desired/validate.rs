//! The semantic checks of the desired-state files: everything a type cannot say.
//!
//! Pure: takes what `load` read and today's date, returns diagnostics. Every
//! diagnostic points at the value at fault; nothing stops at the first problem.
//! Never reads a file or talks to a VMS, and never shows a value that may be a
//! secret (those diagnostics are concealed, their text masked).

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use super::diagnostic::{Diagnostic, Pos};
use super::load::{DesiredRepo, SiteDoc};
use super::model::{
    ApprovalSignatures, RecordingOverrides, RetentionBounds, ScheduleEntry, Site,
    MIN_SNAPSHOT_RETENTION_DAYS,
};
use super::schema::did_you_mean;
use super::signers;
use super::yaml::{SourceFile, YamlPath};
use crate::model::schedule::parse_hhmm;

use crate::model::procedure::{is_allowed_session_timeout, MAX_SESSION_TIMEOUT_MINUTES};
use crate::model::{is_ident, parse_resolution, parse_version, KNOWN_DRIVERS};

/// Runs every check on the loaded sites; `today` decides whether the alert review is overdue.
pub fn validate(repo: &DesiredRepo, today: Date) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut first_by_name: HashMap<&str, &str> = HashMap::new();
    for (name, file) in &repo.all_sites {
        if let Some(first) = first_by_name.insert(name, file) {
            if let Some(src) = repo.files.get(file) {
                let p = YamlPath::root().key("name");
                let mut d = Diagnostic::error(
                    "site::duplicate-name",
                    format!("site name `{name}` is used twice"),
                )
                .in_file(file)
                .at(src.locate_value(&p), "second use")
                .with_help("give every site a unique `name`");
                if let Some(f) = repo.files.get(first) {
                    d = d.with_related(first, f.locate_value(&p), "first used here");
                }
                out.push(d);
            }
        }
    }
    for doc in &repo.sites {
        if let (Some(site), Some(src)) = (&doc.site, repo.files.get(&doc.file)) {
            let mut c = Checker {
                out: &mut out,
                src,
                root: YamlPath::root(),
            };
            c.site(site, doc, today);
            cameras(&mut out, repo, doc, site);
        }
    }
    out
}

/// Files diagnostics about one source file, at paths under `root`.
struct Checker<'a> {
    out: &'a mut Vec<Diagnostic>,
    src: &'a SourceFile,
    root: YamlPath,
}

impl Checker<'_> {
    /// Where the value at `path` is in this file.
    fn pos(&self, path: &YamlPath) -> Pos {
        self.src.locate_value(path)
    }

    /// Files `d` in this file at `at`, with its label and help.
    fn push(&mut self, d: Diagnostic, at: Pos, label: &str, help: String) {
        let d = d.in_file(&self.src.path).at(at, label).with_help(help);
        self.out.push(d);
    }

    /// An error about the value at `path` (the common case; other diagnostics go through [`Self::push`]).
    fn error(
        &mut self,
        code: &'static str,
        path: &YamlPath,
        message: String,
        label: &str,
        help: String,
    ) {
        let at = self.pos(path);
        self.push(Diagnostic::error(code, message), at, label, help);
    }

    /// Every check of one `site.yaml`, section by section.
    fn site(&mut self, site: &Site, doc: &SiteDoc, today: Date) {
        let r = self.root.clone();
        if !is_ident(&site.name) {
            self.error(
                "site::name",
                &r.key("name"),
                format!("invalid site name `{}`", site.name),
                "not [a-z0-9-]{1,63}",
                "use 1 to 63 lowercase letters, digits or `-`, e.g. `paris-hq`".into(),
            );
        }
        self.vms(site);
        if let (Some(ca), None) = (&site.vms.ca_cert, &doc.ca_cert) {
            self.error("vms::ca-cert", &r.key("vms").key("ca_cert"), format!("CA certificate `{ca}` does not exist at this revision"), "file not found",
                "commit the PEM file (the path is relative to the site folder), or remove `ca_cert`".into());
        }
        self.policy(site, doc);
        self.windows(site);
        for (name, profile) in &site.recording_profiles {
            let p = r.key("recording_profiles").key(name);
            self.resolution(&p.key("resolution"), &profile.resolution);
            self.fps(&p.key("fps"), profile.fps);
            self.retention(
                &p.key("retention_days"),
                profile.retention_days,
                &site.policy.retention,
            );
            self.schedule(&p.key("schedule"), &profile.schedule);
        }
        self.alerts(site, today);
        if let Some(s) = &site.settings {
            let t = s.session_timeout_minutes;
            if !is_allowed_session_timeout(t) {
                self.error("settings::session-timeout", &r.key("settings").key("session_timeout_minutes"),
                    format!("session_timeout_minutes is {t}; the procedure requires 1 to {MAX_SESSION_TIMEOUT_MINUTES} minutes"),
                    "outside 1..=15", "PROC-VMS-001 §01 disconnects idle admin sessions after at most 15 minutes: set 15 or less".into());
            }
        }
    }

    /// `vms`: a known driver, an http(s) URL, and credentials named, never written.
    fn vms(&mut self, site: &Site) {
        let r = self.root.key("vms");
        let v = &site.vms;
        if v.driver_kind().is_none() {
            let known: Vec<String> = KNOWN_DRIVERS.iter().map(|s| s.to_string()).collect();
            let help = match did_you_mean(&v.driver, &known) {
                Some(s) => format!("did you mean `{s}`? Drivers: {}", KNOWN_DRIVERS.join(", ")),
                None => format!("use one of: {}", KNOWN_DRIVERS.join(", ")),
            };
            self.error(
                "vms::unknown-driver",
                &r.key("driver"),
                format!("unknown driver `{}`", v.driver),
                "no such driver",
                help,
            );
        }
        match url::Url::parse(&v.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                if !u.username().is_empty() || u.password().is_some() {
                    self.error("vms::secret-in-repo", &r.key("url"), "the VMS url carries credentials".into(), "user:password in the URL",
                        "remove them from the URL and name environment variables in `token_env` or `username_env` / `password_env`".into());
                }
            }
            _ => self.error(
                "vms::url",
                &r.key("url"),
                format!("`{}` is not an http(s) URL", v.url),
                "not a URL",
                "write the VMS base URL, e.g. `https://vms.paris-hq.example:8480`".into(),
            ),
        }
        for (key, val) in [
            ("token_env", &v.token_env),
            ("username_env", &v.username_env),
            ("password_env", &v.password_env),
        ] {
            if let Some(name) = val {
                if !is_env_name(name) {
                    // The value may be the secret itself: locate it, never show it.
                    let d = Diagnostic::error("vms::secret-in-repo", format!("`{key}` must name an environment variable, and `{}` is not a variable name", mask(name)))
                        .concealed();
                    let at = self.pos(&r.key(key));
                    self.push(d, at, "a token written in the file?",
                        format!("if this is the secret itself, remove it from the repository and rotate it; set `{key}` to the NAME of the variable that holds it, e.g. `VMSOPS_TOKEN`"));
                }
            }
        }
        let login = v.username_env.is_some() || v.password_env.is_some();
        if login && (v.username_env.is_none() || v.password_env.is_none()) {
            self.error(
                "vms::credentials",
                &r,
                "`username_env` and `password_env` go together".into(),
                "one of them is missing",
                "name both environment variables, the user name's and the password's".into(),
            );
        }
        if v.token_env.is_none() && !login {
            // About the whole `vms` mapping: shown at its key.
            self.push(Diagnostic::error("vms::credentials", "no credentials: set `token_env` (or `username_env` and `password_env`)"), self.src.locate_key(&r), "how does vmsops log in?",
                "add `token_env: VMSOPS_TOKEN` and export the token in that variable where vmsops runs".into());
        }
    }

    /// `policy`: approvers, retention bounds, firmware versions, approval signatures.
    fn policy(&mut self, site: &Site, doc: &SiteDoc) {
        let r = self.root.key("policy");
        let p = &site.policy;
        for (i, a) in p.approvers.iter().enumerate() {
            self.email(&r.key("approvers").index(i), a);
        }
        let rb = p.retention;
        if rb.min_days == 0 || rb.min_days > rb.max_days {
            self.error(
                "policy::retention",
                &r.key("retention"),
                format!(
                    "retention bounds {}..{} days are empty or start at 0",
                    rb.min_days, rb.max_days
                ),
                "invalid bounds",
                "set 1 <= min_days <= max_days".into(),
            );
        }
        self.at_least_one(
            "policy::regulatory-retention",
            "regulatory_retention_days",
            p.regulatory_retention_days,
            "set how many days recordings must legally be kept",
        );
        self.at_least_one(
            "policy::alert-review-age",
            "alert_review_max_age_days",
            p.alert_review_max_age_days,
            "PROC-VMS-001 §02 asks for a review at least every six months: 183",
        );
        if p.snapshot_retention_days < MIN_SNAPSHOT_RETENTION_DAYS {
            self.error("policy::snapshot-retention", &r.key("snapshot_retention_days"),
                format!("snapshot_retention_days is {}; the procedure keeps configuration snapshots at least six months ({MIN_SNAPSHOT_RETENTION_DAYS} days)", p.snapshot_retention_days),
                "below 183", format!("set {MIN_SNAPSHOT_RETENTION_DAYS} or more (PROC-VMS-001 §03)"));
        }
        for (i, m) in p.approved_models.iter().enumerate() {
            if parse_version(&m.min_firmware).is_none() {
                self.error(
                    "policy::min-firmware",
                    &r.key("approved_models").index(i).key("min_firmware"),
                    format!("min_firmware `{}` is not a dotted version", m.min_firmware),
                    "not like 11.9.60",
                    "write numbers separated by dots, quoted: \"11.9.60\"".into(),
                );
            }
        }
        if p.approvers.is_empty() {
            self.push(
                Diagnostic::warning(
                    "policy::no-approver",
                    "no approver: recording, settings and policy changes can never be approved",
                ),
                self.pos(&r),
                "approvers is empty",
                "list the Responsable(s) Sécurité emails in `policy.approvers`".into(),
            );
        }
        match p.approval_signatures {
            ApprovalSignatures::None => self.push(Diagnostic::warning("policy::unsigned-approvals",
                "approval_signatures is `none`: approvals are not authenticated, anyone can type an approver's email as tagger"),
                self.pos(&r.key("approval_signatures")), "approvals unauthenticated", "use `ssh` and list the approvers' keys in the allowed_signers file".into()),
            ApprovalSignatures::Ssh => self.signers(site, doc),
        }
    }

    /// The policy number `policy.<key>` is not 0.
    fn at_least_one(&mut self, code: &'static str, key: &str, value: u32, help: &str) {
        if value == 0 {
            self.error(
                code,
                &self.root.key("policy").key(key),
                format!("{key} must be at least 1"),
                "zero",
                help.into(),
            );
        }
    }

    /// The allowed signers file: present, well-formed, with a `git` key for every approver.
    fn signers(&mut self, site: &Site, doc: &SiteDoc) {
        let r = self.root.key("policy");
        let path = &site.policy.allowed_signers;
        let Some(text) = &doc.allowed_signers else {
            self.error("policy::allowed-signers-missing", &r.key("allowed_signers"),
                format!("allowed signers file `{path}` does not exist at this revision"), "file not found",
                format!("commit `{path}` (path from the repository root) with one line per approver: `EMAIL namespaces=\"git\" ssh-ed25519 KEY`, or set `approval_signatures: none`"));
            return;
        };
        let (lines, errors) = signers::parse(text);
        for e in errors {
            self.error(
                "policy::allowed-signers-syntax",
                &r.key("allowed_signers"),
                format!("{path}:{}: {}", e.line, e.message),
                "in this file",
                "fix that line of the allowed signers file (ssh-keygen ALLOWED SIGNERS format)"
                    .into(),
            );
        }
        for (i, a) in site.policy.approvers.iter().enumerate() {
            if !signers::lists(&lines, a) {
                self.error(
                    "policy::approver-not-in-signers",
                    &r.key("approvers").index(i),
                    format!("approver `{a}` has no key in `{path}` for the `git` namespace"),
                    "cannot sign approvals",
                    format!("add `{a} namespaces=\"git\" <their public key>` to {path}"),
                );
            }
        }
    }

    /// `maintenance_windows`: days, times and time zone of each.
    fn windows(&mut self, site: &Site) {
        let r = self.root.key("maintenance_windows");
        for (i, w) in site.maintenance_windows.iter().enumerate() {
            let p = r.index(i);
            if w.days.is_empty() {
                self.error(
                    "window::days",
                    &p.key("days"),
                    format!("maintenance window `{}` has no days", w.name),
                    "empty",
                    "list the days it opens, e.g. [tue]".into(),
                );
            }
            if parse_hhmm(&w.start, false).is_none() {
                self.time_error(&p.key("start"), &w.start, false);
            }
            if parse_hhmm(&w.end, true).is_none() {
                self.time_error(&p.key("end"), &w.end, true);
            }
            if jiff::tz::TimeZone::get(&w.timezone).is_err() {
                self.error(
                    "window::timezone",
                    &p.key("timezone"),
                    format!("unknown time zone `{}`", w.timezone),
                    "not an IANA time zone",
                    "use an IANA name such as `Europe/Paris` or `UTC`".into(),
                );
            }
        }
    }

    /// `value` is not an `HH:MM` time (`24:00` allowed only as an end).
    fn time_error(&mut self, path: &YamlPath, value: &str, allow_24: bool) {
        let range = if allow_24 {
            "00:00 to 24:00"
        } else {
            "00:00 to 23:59"
        };
        self.error(
            "time::invalid",
            path,
            format!("invalid time `{value}`"),
            "not HH:MM",
            format!("write a quoted time from {range}, e.g. \"02:00\""),
        );
    }

    /// A `WIDTHxHEIGHT` resolution.
    fn resolution(&mut self, path: &YamlPath, value: &str) {
        if parse_resolution(value).is_none() {
            self.error(
                "recording::resolution",
                path,
                format!("invalid resolution `{value}`"),
                "not WIDTHxHEIGHT",
                "write WIDTHxHEIGHT in pixels, e.g. 1920x1080".into(),
            );
        }
    }

    /// A frame rate from 1 to 120.
    fn fps(&mut self, path: &YamlPath, fps: u32) {
        if !(1..=120).contains(&fps) {
            self.error(
                "recording::fps",
                path,
                format!("fps {fps} is outside 1..=120"),
                "out of range",
                "use a frame rate from 1 to 120".into(),
            );
        }
    }

    /// A retention inside `policy.retention`.
    fn retention(&mut self, path: &YamlPath, days: u32, bounds: &RetentionBounds) {
        if days < bounds.min_days || days > bounds.max_days {
            self.error(
                "recording::retention",
                path,
                format!(
                    "retention of {days} days is outside policy.retention ({}..={} days)",
                    bounds.min_days, bounds.max_days
                ),
                "outside the policy",
                format!(
                    "choose {} to {} days, or change policy.retention (an approved policy change)",
                    bounds.min_days, bounds.max_days
                ),
            );
        }
    }

    /// A recording schedule: not empty, each entry with days and `from` before `to`.
    fn schedule(&mut self, path: &YamlPath, entries: &[ScheduleEntry]) {
        if entries.is_empty() {
            self.error("recording::empty-schedule", path, "empty recording schedule: the camera would never record".into(), "no entry",
                "add at least one entry, e.g. { days: [mon, tue, wed, thu, fri, sat, sun], from: \"00:00\", to: \"24:00\" }; to stop a camera set `enabled: false`".into());
        }
        for (i, e) in entries.iter().enumerate() {
            let p = path.index(i);
            if e.days.is_empty() {
                self.error(
                    "recording::schedule-days",
                    &p.key("days"),
                    "schedule entry without days".into(),
                    "empty",
                    "list the days, e.g. [mon, tue]".into(),
                );
            }
            let from = parse_hhmm(&e.from, false);
            let to = parse_hhmm(&e.to, true);
            if from.is_none() {
                self.time_error(&p.key("from"), &e.from, false);
            }
            if to.is_none() {
                self.time_error(&p.key("to"), &e.to, true);
            }
            if let (Some(f), Some(t)) = (from, to) {
                if t <= f {
                    self.error("recording::schedule-order", &p.key("to"), format!("schedule entry ends ({}) before it starts ({})", e.to, e.from), "not after `from`",
                        "a schedule entry stays within a day: split a night span into `from: \"22:00\", to: \"24:00\"` and `from: \"00:00\", to: \"06:00\"`".into());
                }
            }
        }
    }

    /// A camera's recording overrides, each checked like the profile field it replaces.
    fn overrides(&mut self, path: &YamlPath, o: &RecordingOverrides, bounds: &RetentionBounds) {
        if let Some(r) = &o.resolution {
            self.resolution(&path.key("resolution"), r);
        }
        if let Some(f) = o.fps {
            self.fps(&path.key("fps"), f);
        }
        if let Some(d) = o.retention_days {
            self.retention(&path.key("retention_days"), d, bounds);
        }
        if let Some(s) = &o.schedule {
            self.schedule(&path.key("schedule"), s);
        }
    }

    /// The alert rules of the site, when it manages them.
    fn alerts(&mut self, site: &Site, today: Date) {
        let Some(alerts) = &site.alerts else { return };
        self.review_date(
            &alerts.reviewed_on,
            site.policy.alert_review_max_age_days,
            today,
        );
        let rules = self.root.key("alerts").key("rules");
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, rule) in alerts.rules.iter().enumerate() {
            let p = rules.index(i);
            if let Some(first) = seen.insert(rule.kind.as_str(), i) {
                let first_pos = self.pos(&rules.index(first).key("kind"));
                let d = Diagnostic::error(
                    "alerts::duplicate-kind",
                    format!("two `{}` alert rules", rule.kind.as_str()),
                )
                .with_related(&self.src.path, first_pos, "first rule");
                let at = self.pos(&p.key("kind"));
                self.push(
                    d,
                    at,
                    "second rule",
                    "keep one rule per kind; use escalation steps for more recipients".into(),
                );
            }
            self.alert_rule(&p, rule);
        }
    }

    /// `alerts.reviewed_on`: a past date, no older than the policy allows (PROC-VMS-001 §02).
    fn review_date(&mut self, reviewed_on: &str, max_age_days: u32, today: Date) {
        let path = self.root.key("alerts").key("reviewed_on");
        let Ok(d) = reviewed_on.parse::<Date>() else {
            self.error(
                "alerts::reviewed-on",
                &path,
                format!("`{reviewed_on}` is not a date"),
                "not YYYY-MM-DD",
                "write the date of the last review as YYYY-MM-DD".into(),
            );
            return;
        };
        let max = i64::from(max_age_days);
        let age = (today - d).get_days() as i64;
        if d > today {
            self.error(
                "alerts::reviewed-on",
                &path,
                format!("alert review date {d} is in the future"),
                "after today",
                "write the date the review actually took place".into(),
            );
        } else if age > max {
            self.push(Diagnostic::warning("alert-review",
                format!("alert rules last reviewed on {d}, {age} days ago (the policy allows {max})")), self.pos(&path), "review overdue",
                "review thresholds, recipients and escalation with the Responsable Sécurité, then set `reviewed_on` to the review date (PROC-VMS-001 §02)".into());
        }
    }

    /// One alert rule at `p`: its threshold, its recipients and its escalation steps.
    fn alert_rule(&mut self, p: &YamlPath, rule: &super::model::AlertRule) {
        if rule.kind == super::model::AlertKind::DiskFull && !(1..=100).contains(&rule.threshold) {
            self.error(
                "alerts::threshold",
                &p.key("threshold"),
                format!("disk_full threshold {} is not a percentage", rule.threshold),
                "outside 1..=100",
                "give the percentage of disk used that triggers the alert, e.g. 90".into(),
            );
        }
        self.recipients(p, &rule.recipients, "alert rule");
        for (k, step) in rule.escalation.iter().enumerate() {
            let sp = p.key("escalation").index(k);
            if step.after_minutes == 0 {
                self.error(
                    "alerts::escalation",
                    &sp.key("after_minutes"),
                    "escalation after 0 minutes".into(),
                    "zero",
                    "escalate after at least one minute".into(),
                );
            }
            self.recipients(&sp, &step.recipients, "escalation step");
        }
    }

    /// The `recipients` of the rule or escalation step at `owner_path`: at least one, all emails.
    fn recipients(&mut self, owner_path: &YamlPath, recipients: &[String], owner: &str) {
        let path = owner_path.key("recipients");
        if recipients.is_empty() {
            self.error(
                "alerts::recipients",
                &path,
                format!("{owner} without recipients"),
                "nobody notified",
                "list at least one email".into(),
            );
        }
        for (j, e) in recipients.iter().enumerate() {
            self.email(&path.index(j), e);
        }
    }

    /// An email address.
    fn email(&mut self, path: &YamlPath, value: &str) {
        if !is_email(value) {
            self.error(
                "email::invalid",
                path,
                format!("`{value}` is not an email address"),
                "not an email",
                "write a full address, e.g. rs@client.example".into(),
            );
        }
    }
}

/// The cameras of one site: each on its own, and ids unique across the site's files.
fn cameras(out: &mut Vec<Diagnostic>, repo: &DesiredRepo, doc: &SiteDoc, site: &Site) {
    let profiles: Vec<String> = site.recording_profiles.keys().cloned().collect();
    let mut first: HashMap<&str, (&str, &YamlPath)> = HashMap::new();
    for c in &doc.cameras {
        let Some(src) = repo.files.get(&c.file) else {
            continue;
        };
        let mut k = Checker {
            out,
            src,
            root: c.path.clone(),
        };
        let cam = &c.camera;
        k.camera_id(cam);
        if let Some((ffile, fpath)) = first.get(cam.id.as_str()) {
            let fpos = repo
                .files
                .get(*ffile)
                .map(|f| f.locate_value(&fpath.key("id")));
            k.duplicate_camera_id(cam, &site.name, fpos.map(|p| (*ffile, p)));
        } else {
            first.insert(&cam.id, (&c.file, &c.path));
        }
        k.camera(cam, site, &profiles);
    }
}

impl Checker<'_> {
    /// The camera's id is a valid identifier.
    fn camera_id(&mut self, cam: &super::model::Camera) {
        if !is_ident(&cam.id) {
            self.error(
                "camera::id",
                &self.root.key("id"),
                format!("invalid camera id `{}`", cam.id),
                "not [a-z0-9-]{1,63}",
                "use 1 to 63 lowercase letters, digits or `-`, e.g. `hall-01`".into(),
            );
        }
    }

    /// The camera's id was already declared in this site, at `first` when its file is known.
    fn duplicate_camera_id(
        &mut self,
        cam: &super::model::Camera,
        site_name: &str,
        first: Option<(&str, Pos)>,
    ) {
        let mut d = Diagnostic::error(
            "camera::duplicate-id",
            format!(
                "camera id `{}` is declared twice in site `{site_name}`",
                cam.id
            ),
        );
        if let Some((file, pos)) = first {
            d = d.with_related(file, pos, "first declared here");
        }
        let at = self.pos(&self.root.key("id"));
        self.push(
            d,
            at,
            "second declaration",
            "camera ids are unique within a site: rename or remove one of them".into(),
        );
    }

    /// Everything about one camera but its id: filled fields, stream URL, profile, overrides.
    fn camera(&mut self, cam: &super::model::Camera, site: &Site, profiles: &[String]) {
        let r = self.root.clone();
        for (key, val) in [
            ("name", &cam.name),
            ("vendor", &cam.vendor),
            ("model", &cam.model),
            ("firmware", &cam.firmware),
        ] {
            if val.trim().is_empty() {
                self.error(
                    "camera::empty",
                    &r.key(key),
                    format!("camera `{}` has an empty `{key}`", cam.id),
                    "empty",
                    format!("fill in `{key}`"),
                );
            }
        }
        if url::Url::parse(&cam.stream_url)
            .map(|u| u.host().is_none())
            .unwrap_or(true)
        {
            self.error("camera::stream-url", &r.key("stream_url"), format!("`{}` is not a stream URL", cam.stream_url), "not a URL",
                "write the camera's stream URL, e.g. rtsp://hall-01.cams.example/axis-media/media.amp".into());
        }
        if !site.recording_profiles.contains_key(&cam.profile) {
            self.unknown_profile(cam, site, profiles);
        }
        if let Some(o) = &cam.recording {
            self.overrides(&r.key("recording"), o, &site.policy.retention);
        }
    }

    /// The camera names a recording profile the site does not define.
    fn unknown_profile(&mut self, cam: &super::model::Camera, site: &Site, profiles: &[String]) {
        let help = match did_you_mean(&cam.profile, profiles) {
            Some(s) => format!(
                "did you mean `{s}`? Profiles of site `{}`: {}",
                site.name,
                profiles.join(", ")
            ),
            None if profiles.is_empty() => {
                "define it under `recording_profiles` in site.yaml".into()
            }
            None => format!(
                "use one of: {}, or define it under `recording_profiles` in site.yaml",
                profiles.join(", ")
            ),
        };
        self.error(
            "camera::unknown-profile",
            &self.root.key("profile"),
            format!(
                "camera `{}` uses unknown recording profile `{}`",
                cam.id, cam.profile
            ),
            "not a key of recording_profiles",
            help,
        );
    }
}

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, at most 128 bytes.
fn is_env_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && s.len() <= 128
}

/// Shows at most the first 4 characters of something that may be a secret.
fn mask(s: &str) -> String {
    let head: String = s.chars().take(4).collect();
    if s.chars().count() > 4 {
        format!("{head}…")
    } else {
        head
    }
}

/// A pragmatic email check: one `@`, a local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c == '@' || c == '<' || c == '>')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("rs@client.example"));
        assert!(is_email("first.last+tag@sub.client-x.example"));
        for bad in [
            "",
            "rs",
            "rs@",
            "@client.example",
            "rs@localhost",
            "r s@client.example",
            "rs@client..example",
            "a@b@c.example",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn resolutions_and_versions() {
        assert_eq!(parse_resolution("1920x1080"), Some((1920, 1080)));
        for bad in [
            "1920*1080",
            "x1080",
            "0x10",
            "1920x",
            "99999x1",
            "1920X1080",
        ] {
            assert_eq!(parse_resolution(bad), None, "{bad}");
        }
        assert!(parse_version("11.10.0") > parse_version("11.9.60"));
        assert_eq!(parse_version("11..2"), None);
        assert_eq!(parse_version("v11"), None);
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("VMSOPS_TOKEN"));
        assert!(!is_env_name("s3cr3t-t0ken"));
        assert!(!is_env_name("1ABC"));
        assert_eq!(mask("s3cr3t-t0ken"), "s3cr…");
    }
}
