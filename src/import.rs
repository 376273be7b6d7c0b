//! `import`: the desired-state files of an existing VMS, from its live configuration.
//!
//! Pure: takes the live state (in comparable form) and today's date, returns
//! file paths and texts. Cameras that share recording settings share a profile;
//! the policy is a skeleton for a person to complete, and the result validates
//! as written (with warnings for what only a person can decide). Never talks
//! to the VMS or writes a file itself, and never writes a secret: credentials
//! are named by their environment variables only.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::model::{DEFAULT_ALLOWED_SIGNERS, MIN_SNAPSHOT_RETENTION_DAYS};
use crate::model::procedure::MAX_SESSION_TIMEOUT_MINUTES;
use crate::model::schedule::{self, Canonical};
use crate::model::{is_ident, parse_resolution, parse_version};
use crate::plan::comparable::{ComparableCamera, ComparableConfig};

/// What `import` needs besides the live state.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The new site's name.
    pub site: String,
    /// Driver name.
    pub driver: String,
    /// VMS URL.
    pub url: String,
    /// Credential variable names: `token_env`, or `username_env` + `password_env`.
    pub credentials: Credentials,
    /// Today, for `alerts.reviewed_on`.
    pub today: jiff::civil::Date,
}

/// How the site's VMS is logged into.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A bearer token in this variable.
    Token(String),
    /// A user name and a password in these variables.
    Login {
        /// Variable holding the user name.
        username_env: String,
        /// Variable holding the password.
        password_env: String,
    },
}

/// Why a live configuration cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The site name is not `[a-z0-9-]{1,63}`.
    #[error("site name `{0}` is invalid: use 1 to 63 lowercase letters, digits or `-`")]
    SiteName(String),
    /// Camera ids that cannot be used as ids in the repository.
    #[error(
        "the VMS has camera ids that are not [a-z0-9-]{{1,63}}: {0}; rename them in the VMS first"
    )]
    CameraIds(String),
}

/// One file to write, relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    /// Path relative to the output repository.
    pub path: String,
    /// Content.
    pub text: String,
}

/// What the import produced, plus notes for the person who completes it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Files to write (site.yaml, cameras files).
    pub files: Vec<ImportedFile>,
    /// Recording profiles created, with how many cameras each.
    pub profiles: Vec<(String, usize)>,
    /// Things the person should know (values changed to satisfy the procedure, …).
    pub notes: Vec<String>,
}

/// A YAML double-quoted scalar (a JSON string literal is one).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A YAML flow sequence of already-written items.
fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}

/// What makes two cameras share a recording profile: resolution, fps, retention (as written), schedule.
type ProfileKey = (String, u32, u32, Canonical);

/// Retention written for a camera whose VMS enforces none (a ZoneMinder monitor
/// without a retention filter reads as 0 days): the common 30 days, for a person
/// to confirm; `apply` then enforces it.
const RETENTION_WHEN_NONE: u32 = 30;

/// The retention written for a camera: its own, or [`RETENTION_WHEN_NONE`].
fn retention(c: &ComparableCamera) -> u32 {
    if c.retention_days == 0 {
        RETENTION_WHEN_NONE
    } else {
        c.retention_days
    }
}

/// The profile key of a camera.
fn profile_key(c: &ComparableCamera) -> ProfileKey {
    (
        c.resolution.clone(),
        c.fps,
        retention(c),
        c.schedule.clone(),
    )
}

/// Builds the files of a site from its live configuration.
pub fn import(req: &ImportRequest, live: &ComparableConfig) -> Result<Imported, ImportError> {
    check_names(req, live)?;
    let mut notes: Vec<String> = unretained_note(live).into_iter().collect();
    let profiles = Profiles::of(live);
    let site_dir = format!("sites/{}", req.site);
    let mut files = vec![ImportedFile {
        path: format!("{site_dir}/site.yaml"),
        text: site_yaml(req, live, &profiles, &mut notes),
    }];
    files.extend(camera_files(live, &profiles, &site_dir));
    Ok(Imported {
        files,
        profiles: profiles.counts(),
        notes,
    })
}

/// The site name and every camera id must be usable as identifiers in the repository.
fn check_names(req: &ImportRequest, live: &ComparableConfig) -> Result<(), ImportError> {
    if !is_ident(&req.site) {
        return Err(ImportError::SiteName(req.site.clone()));
    }
    let bad: Vec<&str> = live
        .cameras
        .keys()
        .filter(|id| !is_ident(id))
        .map(String::as_str)
        .collect();
    if !bad.is_empty() {
        return Err(ImportError::CameraIds(bad.join(", ")));
    }
    Ok(())
}

/// The note for cameras whose VMS enforces no retention, if any.
fn unretained_note(live: &ComparableConfig) -> Option<String> {
    let unretained: Vec<&str> = live
        .cameras
        .values()
        .filter(|c| c.retention_days == 0)
        .map(|c| c.id.as_str())
        .collect();
    (!unretained.is_empty()).then(|| format!(
        "no retention is enforced on the VMS for {}; written as {RETENTION_WHEN_NONE} days — check it: drift shows it until `apply` enforces it",
        unretained.join(", ")
    ))
}

/// The recording profiles of an import: cameras with the same recording settings share one.
struct Profiles<'a> {
    /// Each profile's settings and cameras, most used first.
    ordered: Vec<(ProfileKey, Vec<&'a ComparableCamera>)>,
    /// Each profile's name, e.g. `p1080-15fps-30d`, unique.
    names: BTreeMap<ProfileKey, String>,
}

impl<'a> Profiles<'a> {
    /// Groups the cameras of `live` and names the groups.
    fn of(live: &'a ComparableConfig) -> Self {
        let mut groups: BTreeMap<ProfileKey, Vec<&ComparableCamera>> = BTreeMap::new();
        for c in live.cameras.values() {
            groups.entry(profile_key(c)).or_default().push(c);
        }
        let mut ordered: Vec<(ProfileKey, Vec<&ComparableCamera>)> = groups.into_iter().collect();
        ordered.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let mut names: BTreeMap<ProfileKey, String> = BTreeMap::new();
        let mut used: BTreeSet<String> = BTreeSet::new();
        for (key, _) in &ordered {
            let height = parse_resolution(&key.0).map_or(0, |(_, h)| h);
            let base = format!("p{height}-{}fps-{}d", key.1, key.2);
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}-{n}");
                n += 1;
            }
            names.insert(key.clone(), name);
        }
        Self { ordered, names }
    }

    /// The name of the profile camera `c` uses.
    fn name_of(&self, c: &ComparableCamera) -> &str {
        &self.names[&profile_key(c)]
    }

    /// Each profile's name and how many cameras use it, most used first.
    fn counts(&self) -> Vec<(String, usize)> {
        self.ordered
            .iter()
            .map(|(k, c)| (self.names[k].clone(), c.len()))
            .collect()
    }
}

/// The text of `site.yaml`, section by section; notes what a person should check.
fn site_yaml(
    req: &ImportRequest,
    live: &ComparableConfig,
    profiles: &Profiles<'_>,
    notes: &mut Vec<String>,
) -> String {
    let mut site = header_and_vms(req);
    site.push_str(&policy_section(live));
    site.push_str("maintenance_windows: []   # e.g. - { name: tuesday-night, days: [tue], start: \"02:00\", end: \"05:00\", timezone: Europe/Paris }\n");
    site.push_str(&profiles_section(profiles, notes));
    site.push_str(&alerts_section(req, live));
    site.push_str(&settings_section(live, notes));
    site
}

/// The schema line, where the site came from, its name and how to reach its VMS.
fn header_and_vms(req: &ImportRequest) -> String {
    let mut site = String::new();
    site.push_str("# yaml-language-server: $schema=../../schemas/site.schema.json\n");
    site.push_str(&format!(
        "# Imported by `vmsops import` on {} from {}.\n# Complete the policy (approvers, maintenance windows, homologated models) before the first apply.\n",
        req.today, req.url
    ));
    site.push_str(&format!(
        "apiVersion: vmsops/v1\nkind: Site\nname: {}\nvms:\n  driver: {}\n  url: {}\n",
        req.site,
        req.driver,
        q(&req.url)
    ));
    match &req.credentials {
        Credentials::Token(t) => site.push_str(&format!("  token_env: {t}\n")),
        Credentials::Login {
            username_env,
            password_env,
        } => site.push_str(&format!(
            "  username_env: {username_env}\n  password_env: {password_env}\n"
        )),
    }
    site
}

/// A policy skeleton: no approver yet, the installed models, retention bounds that fit every camera.
fn policy_section(live: &ComparableConfig) -> String {
    let retentions: Vec<u32> = live.cameras.values().map(retention).collect();
    let (min_r, max_r) = match (retentions.iter().min(), retentions.iter().max()) {
        (Some(a), Some(b)) => ((*a).clamp(1, 7), (*b).max(30)),
        _ => (7, 30),
    };
    let mut site = String::from("policy:\n");
    site.push_str("  # The Responsable(s) Sécurité who approve changes; add their SSH keys to policy/allowed_signers.\n");
    site.push_str("  approvers: []\n  generic_identities: [admin, root, administrator]\n  require_ticket: true\n");
    site.push_str(&approved_models(live));
    site.push_str(&format!(
        "  retention: {{ min_days: {min_r}, max_days: {max_r} }}\n  regulatory_retention_days: {max_r}\n  alert_review_max_age_days: 183\n  snapshot_retention_days: {MIN_SNAPSHOT_RETENTION_DAYS}\n  approval_signatures: ssh\n  allowed_signers: {DEFAULT_ALLOWED_SIGNERS}\n"
    ));
    site
}

/// Homologated models: what is installed, at its lowest firmware, for a person to confirm.
fn approved_models(live: &ComparableConfig) -> String {
    let mut models: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for c in live.cameras.values() {
        if parse_version(&c.firmware).is_none() {
            continue;
        }
        let e = models
            .entry((c.vendor.as_str(), c.model.as_str()))
            .or_insert(c.firmware.as_str());
        if parse_version(&c.firmware) < parse_version(e) {
            *e = c.firmware.as_str();
        }
    }
    if models.is_empty() {
        return "  approved_models: []\n".into();
    }
    let mut s = String::from("  approved_models:   # installed models at their lowest firmware: confirm the homologation\n");
    for ((vendor, model), fw) in &models {
        s.push_str(&format!(
            "    - {{ vendor: {}, model: {}, min_firmware: {} }}\n",
            q(vendor),
            q(model),
            q(fw)
        ));
    }
    s
}

/// `recording_profiles`, most used first; an empty schedule is written always-on, with a note.
fn profiles_section(profiles: &Profiles<'_>, notes: &mut Vec<String>) -> String {
    if profiles.ordered.is_empty() {
        return "recording_profiles: {}\n".into();
    }
    let mut site = String::from("recording_profiles:\n");
    for (key, cams) in &profiles.ordered {
        let name = &profiles.names[key];
        site.push_str(&format!(
            "  {name}:   # {} camera{}\n",
            cams.len(),
            if cams.len() == 1 { "" } else { "s" }
        ));
        site.push_str(&format!(
            "    resolution: {}\n    fps: {}\n    retention_days: {}\n",
            key.0, key.1, key.2
        ));
        let entries = schedule::entries(&key.3);
        if entries.is_empty() {
            // A schedule that never records cannot be written; the cameras' own `enabled` says whether they record.
            notes.push(format!(
                "profile {name} had an empty schedule on the VMS; written as always-on — check it"
            ));
            site.push_str("    schedule:\n      - { days: [mon, tue, wed, thu, fri, sat, sun], from: \"00:00\", to: \"24:00\" }\n");
        } else {
            site.push_str("    schedule:\n");
            for e in entries {
                site.push_str(&format!(
                    "      - {{ days: {}, from: \"{}\", to: \"{}\" }}\n",
                    list(e.days.iter().map(|d| d.as_str().to_string())),
                    e.from,
                    e.to
                ));
            }
        }
    }
    site
}

/// `alerts`, reviewed today: the rules as the VMS has them; nothing when the driver does not manage alerts.
fn alerts_section(req: &ImportRequest, live: &ComparableConfig) -> String {
    let Some(alerts) = &live.alerts else {
        return String::new();
    };
    let mut site = format!("alerts:\n  reviewed_on: {}\n", req.today);
    if alerts.is_empty() {
        site.push_str("  rules: []\n");
    } else {
        site.push_str("  rules:\n");
    }
    for a in alerts.values() {
        let r = a.to_rule();
        site.push_str(&format!(
            "    - kind: {}\n      threshold: {}\n      recipients: {}\n",
            r.kind.as_str(),
            r.threshold,
            list(r.recipients.iter().map(|s| q(s)))
        ));
        if !r.escalation.is_empty() {
            site.push_str("      escalation:\n");
            for s in &r.escalation {
                site.push_str(&format!(
                    "        - {{ after_minutes: {}, recipients: {} }}\n",
                    s.after_minutes,
                    list(s.recipients.iter().map(|x| q(x)))
                ));
            }
        }
    }
    site
}

/// `settings`: the live session timeout, or the procedure's maximum (with a note) when it
/// breaks the procedure; nothing when the driver does not manage settings.
fn settings_section(live: &ComparableConfig, notes: &mut Vec<String>) -> String {
    let Some(s) = &live.settings else {
        return String::new();
    };
    if crate::model::procedure::is_allowed_session_timeout(s.session_timeout_minutes) {
        return format!(
            "settings:\n  session_timeout_minutes: {}\n",
            s.session_timeout_minutes
        );
    }
    notes.push(format!(
        "the VMS's session timeout is {} minutes; site.yaml asks for {MAX_SESSION_TIMEOUT_MINUTES} (PROC-VMS-001 §01), so the first plan shows that change",
        s.session_timeout_minutes
    ));
    format!(
        "settings:\n  session_timeout_minutes: {MAX_SESSION_TIMEOUT_MINUTES}   # live value {}: PROC-VMS-001 §01 requires at most {MAX_SESSION_TIMEOUT_MINUTES}\n",
        s.session_timeout_minutes
    )
}

/// The cameras files: one per id prefix (`hall-01` → hall.yaml), or chunks of 500 for very large sites.
fn camera_files(
    live: &ComparableConfig,
    profiles: &Profiles<'_>,
    site_dir: &str,
) -> Vec<ImportedFile> {
    let mut by_file: BTreeMap<String, Vec<&ComparableCamera>> = BTreeMap::new();
    for c in live.cameras.values() {
        let prefix =
            c.id.split('-')
                .next()
                .filter(|p| !p.is_empty())
                .unwrap_or("cameras");
        by_file.entry(prefix.to_string()).or_default().push(c);
    }
    if by_file.len() > 40 {
        by_file = live
            .cameras
            .values()
            .collect::<Vec<_>>()
            .chunks(500)
            .enumerate()
            .map(|(i, ch)| (format!("cameras-{:03}", i + 1), ch.to_vec()))
            .collect();
    }
    by_file
        .into_iter()
        .map(|(name, cams)| ImportedFile {
            path: format!("{site_dir}/cameras/{name}.yaml"),
            text: cameras_yaml(&cams, profiles),
        })
        .collect()
}

/// The text of one cameras file.
fn cameras_yaml(cams: &[&ComparableCamera], profiles: &Profiles<'_>) -> String {
    let mut t = String::from("# yaml-language-server: $schema=../../../schemas/cameras.schema.json\napiVersion: vmsops/v1\nkind: Cameras\ncameras:\n");
    for c in cams {
        t.push_str(&format!(
            "  - id: {}\n    name: {}\n    vendor: {}\n    model: {}\n    firmware: {}\n    stream_url: {}\n    profile: {}\n",
            c.id, q(&c.name), q(&c.vendor), q(&c.model), q(&c.firmware), q(&c.stream_url), profiles.name_of(c)
        ));
        if !c.enabled {
            t.push_str("    enabled: false\n");
        }
    }
    t
}

/// The allowed signers file written when the repository has none yet.
pub const ALLOWED_SIGNERS_SKELETON: &str = "# Who may approve changes: one line per approver (the emails in policy.approvers).\n# ssh-keygen \"ALLOWED SIGNERS\" format:\n#   rs@client.example namespaces=\"git\" ssh-ed25519 AAAA... Name\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{self, validate::validate, Tree};

    fn load_example() -> ComparableConfig {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
        let tree = Tree::open(std::path::Path::new(root), desired::WORKTREE).expect("examples");
        let repo = desired::load(&tree, "WORKTREE", Some("paris-hq")).expect("load");
        let doc = &repo.sites[0];
        let site = doc.site.as_ref().expect("site");
        ComparableConfig::from_desired(site, doc.cameras.iter().map(|c| &c.camera))
    }

    fn write_and_reload(
        imported: &Imported,
    ) -> (ComparableConfig, Vec<crate::desired::Diagnostic>) {
        let dir = tempfile::tempdir().expect("tmp");
        for f in &imported.files {
            let p = dir.path().join(&f.path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, &f.text).expect("write");
        }
        std::fs::create_dir_all(dir.path().join("policy")).expect("mkdir");
        std::fs::write(
            dir.path().join("policy/allowed_signers"),
            ALLOWED_SIGNERS_SKELETON,
        )
        .expect("write");
        let tree = Tree::open(dir.path(), desired::WORKTREE).expect("open");
        let repo = desired::load(&tree, "WORKTREE", None).expect("load");
        let mut diags = repo.diagnostics.clone();
        diags.extend(validate(&repo, jiff::civil::date(2026, 11, 27)));
        let doc = &repo.sites[0];
        let site = doc.site.as_ref().expect("imported site parses");
        (
            ComparableConfig::from_desired(site, doc.cameras.iter().map(|c| &c.camera)),
            diags,
        )
    }

    fn request() -> ImportRequest {
        ImportRequest {
            site: "imported".into(),
            driver: "reference".into(),
            url: "http://127.0.0.1:8480".into(),
            credentials: Credentials::Token("VMSOPS_TOKEN".into()),
            today: jiff::civil::date(2026, 11, 27),
        }
    }

    #[test]
    fn round_trip_gives_the_same_configuration_and_validates() {
        let live = load_example();
        let imported = import(&request(), &live).expect("import");
        let (back, diags) = write_and_reload(&imported);
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(back, live);
        // Three profiles: the example's two, plus the overrides that differ.
        assert!(imported.profiles.len() >= 3, "{:?}", imported.profiles);
        let paths: Vec<&str> = imported.files.iter().map(|f| f.path.as_str()).collect();
        assert!(
            paths.contains(&"sites/imported/cameras/hall.yaml"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"sites/imported/cameras/parking.yaml"),
            "{paths:?}"
        );
    }

    #[test]
    fn session_timeout_above_the_procedure_is_brought_down_with_a_note() {
        let mut live = load_example();
        live.settings
            .as_mut()
            .expect("settings")
            .session_timeout_minutes = 30;
        let imported = import(&request(), &live).expect("import");
        let (back, diags) = write_and_reload(&imported);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
        assert_eq!(back.settings.expect("settings").session_timeout_minutes, 15);
        assert!(imported.notes[0].contains("30 minutes"));
    }

    #[test]
    fn a_camera_without_retention_on_the_vms_is_written_as_30_days_with_a_note() {
        // A ZoneMinder monitor that no retention filter covers reads as 0 days.
        let mut live = load_example();
        let id = live.cameras.keys().next().expect("a camera").clone();
        live.cameras.get_mut(&id).expect("camera").retention_days = 0;
        let imported = import(&request(), &live).expect("import");
        let (back, diags) = write_and_reload(&imported);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
        assert_eq!(back.cameras[&id].retention_days, RETENTION_WHEN_NONE);
        assert!(
            imported
                .notes
                .iter()
                .any(|n| n.contains("no retention is enforced") && n.contains(&id)),
            "{:?}",
            imported.notes
        );
    }

    #[test]
    fn empty_vms_and_awkward_names() {
        let mut live = ComparableConfig {
            alerts: Some(Default::default()),
            ..Default::default()
        };
        let imported = import(&request(), &live).expect("import");
        let (back, diags) = write_and_reload(&imported);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
        assert!(back.cameras.is_empty());
        let mut cam = load_example()
            .cameras
            .into_values()
            .next()
            .expect("a camera");
        cam.name = "Quai \"B\" — l'entrée: #1\nligne".into();
        live.cameras.insert(cam.id.clone(), cam);
        let imported = import(&request(), &live).expect("import");
        let (back, _) = write_and_reload(&imported);
        assert_eq!(back.cameras, live.cameras);
        live.cameras.insert(
            "Bad Id".into(),
            live.cameras.values().next().expect("cam").clone(),
        );
        assert!(matches!(
            import(&request(), &live),
            Err(ImportError::CameraIds(_))
        ));
    }
}
