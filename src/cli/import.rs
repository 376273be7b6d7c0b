//! `vmsops import`: onboard an existing VMS into a site repository.
//!
//! Only reads the VMS, never changes it. Never overwrites: a site folder that
//! already exists stops the import, and an existing allowed-signers file or
//! schema is left as it is.

use std::path::{Path, PathBuf};

use vmsops::exit::Exit;
use vmsops::import::{Credentials, ImportRequest, Imported};
use vmsops::ops::import::{import_site, ImportedSite};
use vmsops::ops::{LiveConfig, StateStore};

use schemars::JsonSchema;
use serde::Serialize;

use super::args::{ResultFormat, StateArgs};
use super::{output, CmdResult};

/// Arguments of `vmsops import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Name of the new site ([a-z0-9-]).
    #[arg(long)]
    site: String,
    /// URL of the VMS.
    #[arg(long)]
    url: String,
    /// Driver for the VMS product.
    #[arg(long, default_value = "reference")]
    driver: String,
    /// Environment variable holding the API token.
    #[arg(long, default_value = "VMSOPS_TOKEN", conflicts_with_all = ["username_env", "password_env"])]
    token_env: String,
    /// Environment variable holding the user name (products with a login).
    #[arg(long, requires = "password_env")]
    username_env: Option<String>,
    /// Environment variable holding the password (products with a login).
    #[arg(long, requires = "username_env")]
    password_env: Option<String>,
    /// The repository to write into (created if missing); the site goes to `sites/NAME/`.
    #[arg(long)]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
    #[command(flatten)]
    state: StateArgs,
}

/// The document `import --format json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImportDocument {
    /// Always 1.
    pub format_version: u32,
    /// The new site.
    pub site: String,
    /// The VMS read.
    pub url: String,
    /// The site's folder.
    pub dir: String,
    /// The files written, relative to `--out`.
    pub files: Vec<String>,
    /// Cameras imported.
    pub cameras: usize,
    /// Alert rules imported.
    pub alert_rules: usize,
    /// Recording profiles created, with how many cameras each.
    pub profiles: Vec<ImportedProfile>,
    /// The VMS journal position recorded as the baseline (null: the product keeps no journal).
    pub baseline: Option<String>,
    /// Things to know (values changed to satisfy the procedure, …).
    pub notes: Vec<String>,
}

/// A recording profile the import created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImportedProfile {
    /// Its name.
    pub name: String,
    /// The cameras that use it.
    pub cameras: usize,
}

/// Reads the VMS, writes the site files and records the journal baseline.
pub fn run(args: Args) -> CmdResult {
    let site_dir = args.out.join("sites").join(&args.site);
    if site_dir.exists() {
        return Err(format!(
            "{} already exists: import into another --out, or remove it first",
            site_dir.display()
        )
        .into());
    }
    let credentials = credentials(&args);
    let vms = vms_endpoint(&args, &credentials);
    let state = args.state.open()?;
    let now = super::now()?;
    let req = ImportRequest {
        site: args.site.clone(),
        driver: args.driver.clone(),
        url: args.url.clone(),
        credentials,
        today: now.to_zoned(jiff::tz::TimeZone::system()).date(),
    };
    let env = |k: &str| std::env::var(k).ok();
    let ImportedSite {
        live,
        imported,
        cursor,
    } = super::runtime()?.block_on(import_site(&req, &vms, &args.out, &state, now, &env))?;
    if args.format == ResultFormat::Json {
        output::json(&ImportDocument {
            format_version: output::FORMAT_VERSION,
            site: args.site.clone(),
            url: args.url.clone(),
            dir: site_dir.display().to_string(),
            files: imported.files.iter().map(|f| f.path.clone()).collect(),
            cameras: live.cameras.len(),
            alert_rules: live.alert_rules.len(),
            profiles: imported
                .profiles
                .iter()
                .map(|(name, cameras)| ImportedProfile {
                    name: name.clone(),
                    cameras: *cameras,
                })
                .collect(),
            baseline: cursor,
            notes: imported.notes,
        })?;
        return Ok(Exit::Success);
    }
    output::print(&summary(
        &args,
        &site_dir,
        &live,
        &imported,
        cursor.as_deref(),
        &state,
    ))?;
    Ok(Exit::Success)
}

/// A login when both variables are named, else the token variable.
fn credentials(args: &Args) -> Credentials {
    match (&args.username_env, &args.password_env) {
        (Some(u), Some(p)) => Credentials::Login {
            username_env: u.clone(),
            password_env: p.clone(),
        },
        _ => Credentials::Token(args.token_env.clone()),
    }
}

/// How to reach the VMS, as the site file will say it.
fn vms_endpoint(args: &Args, credentials: &Credentials) -> vmsops::model::VmsEndpoint {
    vmsops::model::VmsEndpoint {
        driver: args.driver.clone(),
        url: args.url.clone(),
        token_env: match credentials {
            Credentials::Token(t) => Some(t.clone()),
            Credentials::Login { .. } => None,
        },
        username_env: args.username_env.clone(),
        password_env: args.password_env.clone(),
        ca_cert: None,
    }
}

/// What was imported, where the baseline is, and what to do next.
fn summary(
    args: &Args,
    site_dir: &Path,
    live: &LiveConfig,
    imported: &Imported,
    cursor: Option<&str>,
    state: &StateStore,
) -> String {
    let mut out = format!(
        "imported {} cameras, {} alert rules from {} into {}\n",
        live.cameras.len(),
        live.alert_rules.len(),
        args.url,
        site_dir.display()
    );
    for (name, n) in &imported.profiles {
        out.push_str(&format!(
            "  profile {name}: {n} camera{}\n",
            if *n == 1 { "" } else { "s" }
        ));
    }
    match cursor {
        Some(c) => out.push_str(&format!("baseline: VMS journal position {c} recorded in {}\n", state.display())),
        None => out.push_str("baseline: this VMS keeps no administration journal; drift still compares the live state\n"),
    }
    for n in &imported.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str("next: complete policy.approvers and policy/allowed_signers, commit, then `vmsops validate`\n");
    out
}
