//! Loading a repository of sites: find the files, parse them, and turn them
//! into typed values while collecting every problem on the way.
//!
//! Errors are collected, not returned at the first one: a camera that fails to
//! deserialize is reported and skipped, and the others are still loaded and
//! checked. Only failures to open the repository itself are fatal. Never
//! judges values beyond their types (that is `validate`), and never writes.

use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_norway::Value;

use super::diagnostic::Diagnostic;
use super::model::{Camera, CamerasFile, Site};
use super::render::Sources;
use super::schema::{did_you_mean, expected_keys, FileKind};
use super::yaml::{self, Seg, SourceFile, YamlPath};
use crate::git::tree::{SourceError, Tree};

/// Fatal failures: nothing could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The repository or revision could not be opened or read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// No `site.yaml` at the root nor under `sites/*/`.
    #[error("no site found at {rev}: expected `site.yaml` at the repository root or `sites/NAME/site.yaml`")]
    NoSites {
        /// The revision read.
        rev: String,
    },
    /// `--site` names no site.
    #[error("no site named `{name}`{suggestion} (sites here: {available})")]
    UnknownSite {
        /// The name given.
        name: String,
        /// `; did you mean `X`?` when a site's name is close, else empty.
        suggestion: String,
        /// The names found.
        available: String,
    },
}

/// One camera and where it was declared.
#[derive(Debug, Clone)]
pub struct CameraDoc {
    /// The camera as written.
    pub camera: Camera,
    /// The file it is in.
    pub file: String,
    /// Its path in that file, e.g. `cameras[2]`.
    pub path: YamlPath,
}

/// One site: its `site.yaml` and its cameras.
#[derive(Debug, Clone)]
pub struct SiteDoc {
    /// The site folder (`""` for the repository root).
    pub dir: String,
    /// The path of its `site.yaml`.
    pub file: String,
    /// The site, or `None` when `site.yaml` could not be read.
    pub site: Option<Site>,
    /// The cameras that could be read, in file order.
    pub cameras: Vec<CameraDoc>,
    /// The camera files read.
    pub camera_files: Vec<String>,
    /// The content of the allowed signers file, when it exists at this revision.
    pub allowed_signers: Option<String>,
    /// The extra CA certificate named by `vms.ca_cert` (relative to the site folder), when it exists.
    pub ca_cert: Option<Vec<u8>>,
}

impl SiteDoc {
    /// The site name, from the file or else from the folder.
    pub fn name(&self) -> &str {
        match &self.site {
            Some(s) => &s.name,
            None => self.dir.rsplit('/').next().unwrap_or("(root)"),
        }
    }
}

/// Everything read from one revision of a repository.
#[derive(Debug)]
pub struct DesiredRepo {
    /// The commit read, or `None` for the work tree.
    pub commit: Option<String>,
    /// Every site name in the repository and its `site.yaml`, selected or not.
    pub all_sites: Vec<(String, String)>,
    /// The sites selected, sorted by folder.
    pub sites: Vec<SiteDoc>,
    /// Parsed files, for positions and for showing the offending lines.
    pub files: HashMap<String, Arc<SourceFile>>,
    /// Problems found while loading (syntax, types, unknown keys).
    pub diagnostics: Vec<Diagnostic>,
}

impl DesiredRepo {
    /// The texts of all files read, for rendering diagnostics.
    pub fn sources(&self) -> Sources {
        self.files
            .iter()
            .map(|(k, v)| (k.clone(), Arc::from(v.text.as_str())))
            .collect()
    }
}

/// Reads every site of `tree`, or only `only_site`.
pub fn load(tree: &Tree, rev: &str, only_site: Option<&str>) -> Result<DesiredRepo, LoadError> {
    let mut dirs = Vec::new();
    if tree.read("site.yaml")?.is_some() {
        dirs.push(String::new());
    }
    for e in tree.list("sites")? {
        if e.is_dir && tree.read(&format!("{}/site.yaml", e.path))?.is_some() {
            dirs.push(e.path);
        }
    }
    if dirs.is_empty() {
        return Err(LoadError::NoSites {
            rev: rev.to_string(),
        });
    }
    let mut loader = Loader {
        tree,
        files: HashMap::new(),
        diagnostics: Vec::new(),
    };
    let mut sites: Vec<SiteDoc> = dirs.into_iter().map(|d| loader.site(d)).collect();
    let all_sites = sites
        .iter()
        .filter_map(|s| {
            s.site
                .as_ref()
                .map(|site| (site.name.clone(), s.file.clone()))
        })
        .collect();
    if let Some(name) = only_site {
        if !sites.iter().any(|s| s.name() == name) {
            let available = sites
                .iter()
                .map(|s| s.name().to_string())
                .collect::<Vec<_>>();
            return Err(LoadError::UnknownSite {
                name: name.to_string(),
                suggestion: did_you_mean(name, &available)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default(),
                available: available.join(", "),
            });
        }
        // Keep every site.yaml (names must stay unique) but only the selected site's cameras.
        let keep: Vec<String> = sites
            .iter()
            .filter(|s| s.name() == name)
            .map(|s| s.dir.clone())
            .collect();
        loader.diagnostics.retain(|d| {
            d.file
                .as_deref()
                .is_none_or(|f| keep.iter().any(|k| belongs(f, k)))
        });
        sites.retain(|s| keep.contains(&s.dir));
    }
    for s in &mut sites {
        loader.cameras(s);
    }
    Ok(DesiredRepo {
        commit: tree.commit(),
        all_sites,
        sites,
        files: loader.files,
        diagnostics: loader.diagnostics,
    })
}

/// True if `file` is one of the site files of the site folder `dir`.
fn belongs(file: &str, dir: &str) -> bool {
    if dir.is_empty() {
        file == "site.yaml" || file.starts_with("cameras/")
    } else {
        file.starts_with(&format!("{dir}/"))
    }
}

/// Reads files from one tree, keeping the parsed files and every diagnostic.
struct Loader<'t> {
    tree: &'t Tree,
    files: HashMap<String, Arc<SourceFile>>,
    diagnostics: Vec<Diagnostic>,
}

impl Loader<'_> {
    /// Reads and parses one file into a generic YAML value.
    fn read_yaml(&mut self, path: &str) -> Option<(Arc<SourceFile>, Value)> {
        let bytes = match self.tree.read(path) {
            Ok(Some(b)) => b,
            Ok(None) => return None,
            Err(e) => {
                self.diagnostics.push(
                    Diagnostic::error("file::unreadable", crate::error_chain(&e))
                        .in_file(path)
                        .with_help("replace the symlink with the file itself, or fix the path"),
                );
                return None;
            }
        };
        let text = match yaml::decode(path, bytes) {
            Ok(t) => t,
            Err(d) => {
                self.diagnostics.push(*d);
                return None;
            }
        };
        let file = Arc::new(SourceFile::new(path, text));
        self.files.insert(path.to_string(), Arc::clone(&file));
        let mut value = match yaml::parse(&file) {
            Ok(v) => v,
            Err(d) => {
                self.diagnostics.push(*d);
                return None;
            }
        };
        if let Err(e) = value.apply_merge() {
            self.diagnostics.push(
                Diagnostic::error("yaml::merge", format!("invalid merge key `<<`: {e}"))
                    .in_file(path)
                    .with_help("`<<:` takes an alias of a mapping, or a list of such aliases"),
            );
            return None;
        }
        Some((file, value))
    }

    /// The `site.yaml` of `dir`, with the allowed signers file and CA certificate it names.
    fn site(&mut self, dir: String) -> SiteDoc {
        let file = join(&dir, "site.yaml");
        let mut doc = SiteDoc {
            dir,
            file: file.clone(),
            site: None,
            cameras: Vec::new(),
            camera_files: Vec::new(),
            allowed_signers: None,
            ca_cert: None,
        };
        let Some((src, value)) = self.read_yaml(&file) else {
            return doc;
        };
        doc.site = site_from_value(&src, value, &mut self.diagnostics);
        if let Some(site) = &doc.site {
            if let Ok(Some(bytes)) = self.tree.read(&site.policy.allowed_signers) {
                doc.allowed_signers = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            if let Some(ca) = &site.vms.ca_cert {
                doc.ca_cert = self.tree.read(&join(&doc.dir, ca)).ok().flatten();
            }
        }
        doc
    }

    /// Every cameras file of the site `doc`, each camera on its own.
    fn cameras(&mut self, doc: &mut SiteDoc) {
        let files = match self.tree.yaml_files_under(&join(&doc.dir, "cameras")) {
            Ok(f) => f,
            Err(e) => {
                self.diagnostics.push(
                    Diagnostic::error("file::unreadable", crate::error_chain(&e))
                        .with_help("fix the cameras/ folder of this site"),
                );
                return;
            }
        };
        for path in files {
            doc.camera_files.push(path.clone());
            let Some((src, value)) = self.read_yaml(&path) else {
                continue;
            };
            for (camera, p) in cameras_from_value(&src, value, &mut self.diagnostics) {
                doc.cameras.push(CameraDoc {
                    camera,
                    file: path.clone(),
                    path: p,
                });
            }
        }
    }
}

/// A `site.yaml` value as a [`Site`], reporting what is wrong with it.
pub fn site_from_value(
    src: &SourceFile,
    value: Value,
    diags: &mut Vec<Diagnostic>,
) -> Option<Site> {
    let mut found = Vec::new();
    let site = deserialize_at::<Site>(
        src,
        FileKind::Site,
        &YamlPath::root(),
        value.clone(),
        &mut found,
    );
    if site.is_none() {
        // One serde error stops the whole file; check each section alone to report them all.
        section_errors(src, value, &mut found);
    }
    dedup(&mut found);
    diags.extend(found);
    site
}

/// The cameras of a cameras file value, each with its path; a camera that is wrong is reported and left out.
pub fn cameras_from_value(
    src: &SourceFile,
    value: Value,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Camera, YamlPath)> {
    let root = YamlPath::root();
    let cameras_path = root.key("cameras");
    let Value::Mapping(mut map) = value else {
        diags.push(type_error(
            src,
            &root,
            "a mapping with `apiVersion`, `kind` and `cameras`",
            &value,
        ));
        return Vec::new();
    };
    let items = map.insert(Value::from("cameras"), Value::Sequence(Vec::new()));
    let mut out = Vec::new();
    // The header alone (with an empty list), then each camera on its own.
    if deserialize_at::<CamerasFile>(src, FileKind::Cameras, &root, Value::Mapping(map), diags)
        .is_none()
    {
        return out;
    }
    match items {
        Some(Value::Sequence(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let p = cameras_path.index(i);
                if let Some(camera) =
                    deserialize_at::<Camera>(src, FileKind::Cameras, &p, item, diags)
                {
                    out.push((camera, p));
                }
            }
        }
        None | Some(Value::Null) => {}
        Some(other) => diags.push(type_error(src, &cameras_path, "a list of cameras", &other)),
    }
    out
}

/// Checks one file's bytes as a file of `kind`, alone (no cross-file checks); used by the fuzzer.
pub fn check_bytes(kind: FileKind, path: &str, bytes: Vec<u8>) -> Vec<Diagnostic> {
    let text = match yaml::decode(path, bytes) {
        Ok(t) => t,
        Err(d) => return vec![*d],
    };
    let src = SourceFile::new(path, text);
    let mut value = match yaml::parse(&src) {
        Ok(v) => v,
        Err(d) => return vec![*d],
    };
    if value.apply_merge().is_err() {
        return vec![Diagnostic::error("yaml::merge", "invalid merge key")];
    }
    let mut diags = Vec::new();
    match kind {
        FileKind::Site => drop(site_from_value(&src, value, &mut diags)),
        FileKind::Cameras => drop(cameras_from_value(&src, value, &mut diags)),
    }
    diags
}

/// `name` inside the folder `dir` (`""` is the repository root).
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// What kind of YAML value `v` is, for a message.
fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// `expected` was wanted at `path`, and `got` is something else.
fn type_error(src: &SourceFile, path: &YamlPath, expected: &str, got: &Value) -> Diagnostic {
    Diagnostic::error(
        "schema::type",
        format!("expected {expected}, found {}", describe(got)),
    )
    .in_file(&src.path)
    .at(src.locate_value(path), "here")
    .with_help(format!("write {expected} at `{path}`"))
}

/// Each top-level section of a site.yaml deserialized on its own, for more errors per run.
fn section_errors(src: &SourceFile, value: Value, diags: &mut Vec<Diagnostic>) {
    use super::model as m;
    use std::collections::BTreeMap;
    let root = YamlPath::root();
    let Value::Mapping(map) = value else {
        return;
    };
    for (k, v) in map {
        let Some(key) = k.as_str().map(String::from) else {
            continue;
        };
        let p = root.key(&key);
        let check: CheckSection = match key.as_str() {
            "apiVersion" => check_section::<m::ApiVersion>,
            "kind" => check_section::<m::SiteKind>,
            "name" => check_section::<String>,
            "vms" => check_section::<m::VmsEndpoint>,
            "policy" => check_section::<m::Policy>,
            "maintenance_windows" => check_section::<Vec<m::MaintenanceWindow>>,
            "recording_profiles" => check_section::<BTreeMap<String, m::Recording>>,
            "alerts" => check_section::<Option<m::Alerts>>,
            "settings" => check_section::<Option<m::Settings>>,
            _ => continue,
        };
        check(src, &p, v, diags);
    }
}

/// [`check_section`] for one section's type.
type CheckSection = fn(&SourceFile, &YamlPath, Value, &mut Vec<Diagnostic>);

/// Deserializes one site.yaml section alone as a `T`, for its diagnostics only.
fn check_section<T: DeserializeOwned>(
    src: &SourceFile,
    path: &YamlPath,
    value: Value,
    diags: &mut Vec<Diagnostic>,
) {
    drop(deserialize_at::<T>(src, FileKind::Site, path, value, diags));
}

/// Drops a diagnostic already reported at the same place with the same message.
fn dedup(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.line, d.column, d.message.clone())));
}

/// The path of a key serde ignored, under `base`.
fn ignored_path(base: &YamlPath, p: &serde_ignored::Path<'_>) -> YamlPath {
    match p {
        serde_ignored::Path::Root => base.clone(),
        serde_ignored::Path::Seq { parent, index } => ignored_path(base, parent).index(*index),
        serde_ignored::Path::Map { parent, key } => ignored_path(base, parent).key(key),
        serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => ignored_path(base, parent),
    }
}

/// Deserializes `value` (found at `base` in `src`) as a `T`, reporting unknown
/// keys and the first type error with their positions.
pub(crate) fn deserialize_at<T: DeserializeOwned>(
    src: &SourceFile,
    kind: FileKind,
    base: &YamlPath,
    value: Value,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let mut unknown: Vec<YamlPath> = Vec::new();
    let result: Result<T, _> = {
        let mut on_ignored = |p: serde_ignored::Path<'_>| unknown.push(ignored_path(base, &p));
        let de = serde_ignored::Deserializer::new(value, &mut on_ignored);
        serde_path_to_error::deserialize(de)
    };
    for path in unknown {
        diags.push(unknown_key(src, kind, &path));
    }
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            let mut path = base.clone();
            for seg in e.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => path.0.push(Seg::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => path.0.push(Seg::Key(key.clone())),
                    _ => {}
                }
            }
            diags.push(serde_error(src, &path, &e.into_inner().to_string()));
            None
        }
    }
}

/// A key the schema does not know; a credential written in `vms` is reported as a secret.
fn unknown_key(src: &SourceFile, kind: FileKind, path: &YamlPath) -> Diagnostic {
    let key = match path.0.last() {
        Some(Seg::Key(k)) => k.clone(),
        _ => "?".to_string(),
    };
    let parent = path.parent().unwrap_or_default();
    let expected = expected_keys(kind, &parent);
    let secret = is_secret_key(&key) && parent == YamlPath::root().key("vms");
    let where_ = if parent.0.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in `{parent}`")
    };
    let (code, message, help) = if secret {
        (
            "vms::secret-in-repo",
            format!("`vms.{key}` writes a secret into the repository"),
            "remove it, rotate the credential, and put the name of an environment variable in `token_env` (or `username_env` / `password_env`) instead".to_string(),
        )
    } else {
        let help = match did_you_mean(&key, &expected) {
            Some(s) => format!("did you mean `{s}`? Accepted here: {}", expected.join(", ")),
            None if expected.is_empty() => "remove this key".to_string(),
            None => format!("remove it; accepted here: {}", expected.join(", ")),
        };
        (
            "schema::unknown-field",
            format!("unknown key `{key}` {where_}"),
            help,
        )
    };
    let d = Diagnostic::error(code, message)
        .in_file(&src.path)
        .at(src.locate_key(path), "not expected here")
        .with_help(help);
    if secret {
        d.concealed()
    } else {
        d
    }
}

/// Keys that hold a credential rather than the name of a variable holding one.
fn is_secret_key(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().as_str(),
        "token"
            | "password"
            | "pass"
            | "secret"
            | "api_key"
            | "apikey"
            | "api_token"
            | "username"
            | "user"
    )
}

/// A serde error at `path`, with a code, label and help that fit its kind.
fn serde_error(src: &SourceFile, path: &YamlPath, message: &str) -> Diagnostic {
    let at = if path.0.is_empty() {
        "the document".to_string()
    } else {
        format!("`{path}`")
    };
    let (code, label, help) = if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        (
            "schema::missing-field",
            "in this mapping",
            format!("add `{field}:` to {at}"),
        )
    } else if message.starts_with("unknown variant") {
        (
            "schema::invalid-value",
            "not an accepted value",
            format!("use one of the values listed for {at}"),
        )
    } else if message.contains("invalid type") || message.contains("invalid value") {
        let hint = if message.contains("expected a string") {
            " (quote values such as firmware versions: \"11.9\")"
        } else {
            ""
        };
        (
            "schema::type",
            "wrong type",
            format!("give {at} a value of the expected type{hint}"),
        )
    } else {
        ("schema::invalid", "here", format!("fix {at}"))
    };
    let message = if path.0.is_empty() {
        message.to_string()
    } else {
        format!("{path}: {message}")
    };
    Diagnostic::error(code, message)
        .in_file(&src.path)
        .at(src.locate_value(path), label)
        .with_help(help)
}
