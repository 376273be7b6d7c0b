//! `vmsops demo`: the whole job on the built-in example, in one command.
//!
//! Starts the reference VMS, commits the example site into a fresh git
//! repository with an approver's signed tag, then runs the real commands a
//! user would type — validate, plan, apply, drift after an out-of-band change,
//! a refused unapproved change, audit verify — printing each one first.
//!
//! Works only in its own folder and on the VMS it starts: it never touches
//! the user's repositories, state directory or git configuration.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use vmsops::exit::Exit;

use super::{output, CmdResult};

/// Arguments of `vmsops demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Work in this folder (kept afterwards) instead of a temporary one.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// The example site, as shipped in `examples/` (its URL is replaced by the sim's).
const SITE: &str = include_str!("../../examples/sites/paris-hq/site.yaml");
/// The example camera files, by path under the site's `cameras/`.
const CAMERAS: [(&str, &str); 4] = [
    (
        "entrance.yaml",
        include_str!("../../examples/sites/paris-hq/cameras/entrance.yaml"),
    ),
    (
        "parking.yaml",
        include_str!("../../examples/sites/paris-hq/cameras/parking.yaml"),
    ),
    (
        "perimeter.yaml",
        include_str!("../../examples/sites/paris-hq/cameras/perimeter.yaml"),
    ),
    (
        "warehouse/dock.yaml",
        include_str!("../../examples/sites/paris-hq/cameras/warehouse/dock.yaml"),
    ),
];
/// The schemas, so that editors of the demo repository validate as they type.
const SITE_SCHEMA: &str = include_str!("../../schemas/site.schema.json");
const CAMERAS_SCHEMA: &str = include_str!("../../schemas/cameras.schema.json");

/// Any failure of the demo: it ends the demo with a message.
type Error = Box<dyn std::error::Error + Send + Sync>;

/// The running sim, killed when dropped so that a failed demo leaves no server behind.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `program` in `dir` with `envs`, without the user's git configuration; fails with its stderr.
fn run_tool(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<(), Error> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(envs.iter().copied())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .map_err(|e| format!("the demo needs `{program}` on PATH: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(())
}

/// Writes `text` to `path`, creating its folders.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// The author of the demo's commits: the integrator's engineer.
const AUTHOR: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Claire Martin"),
    ("GIT_AUTHOR_EMAIL", "claire.martin@integrator.example"),
    ("GIT_COMMITTER_NAME", "Claire Martin"),
    ("GIT_COMMITTER_EMAIL", "claire.martin@integrator.example"),
];

/// Runs the demo.
pub fn run(args: Args) -> CmdResult {
    let temp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.canonicalize()?
        }
        None => {
            temp = tempfile::Builder::new().prefix("vmsops-demo-").tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let exe = std::env::current_exe()?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let tech_token = uuid::Uuid::new_v4().simple().to_string();
    let state = dir.join("state");
    let repo = dir.join("sites-repo");

    // 1. The reference VMS.
    let (sim, url) = start_sim(&exe, &dir, &token, &tech_token)?;
    say(&format!(
        "▶ The reference VMS (vmsops sim) is listening on {url}\n"
    ))?;

    // 2. The site repository, committed, with an approver and a signed approval.
    let key = write_site_repo(&dir, &repo, &url)?;
    commit_and_approve(&repo, &key)?;
    say(&format!("▶ Site repository {} — commit by Claire Martin (Ticket: WO-1001), tag approve/wo-1001 signed by rs@client.example\n", repo.display()))?;

    let demo = Steps {
        exe: &exe,
        repo: &repo,
        envs: [
            ("VMSOPS_TOKEN", token.clone()),
            ("VMSOPS_STATE_DIR", state.display().to_string()),
        ],
    };
    demo.expect(&["validate"], 0, "validate")?;
    demo.expect(&["plan", "--base", "HEAD"], 0, "plan")?;
    demo.expect(
        &[
            "apply",
            "--operator",
            "claire.martin",
            "--base",
            "HEAD",
            "--verify",
            "--verify-timeout",
            "30s",
        ],
        0,
        "apply, then verify every new camera's stream",
    )?;
    demo.expect(&["drift"], 0, "drift after apply")?;

    // 3. Someone changes a camera directly in the VMS, with the `tech` account.
    say("\n▶ A technician lowers hall-02 to 5 fps directly in the VMS (account `tech`), outside vmsops\n")?;
    change_out_of_band(&url, &tech_token)?;
    demo.expect(&["drift"], 2, "drift after an out-of-band change")?;

    // 4. A recording change without approval: shown by plan, refused by apply.
    commit_unapproved_change(&repo)?;
    say("\n▶ Claire commits `hall-01 at 30 fps` (Ticket: WO-1002); nobody has approved it yet\n")?;
    demo.expect(
        &["apply", "--operator", "claire.martin"],
        3,
        "apply of an unapproved change",
    )?;
    demo.expect(&["audit", "verify"], 0, "audit verify")?;
    let month = super::now()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m")
        .to_string();
    demo.expect(
        &["audit", "review", "--month", &month],
        2,
        "the monthly review",
    )?;
    say(&format!(
        "\n▶ Done. Repository: {}\n  State (journal, snapshots): {}\n  {}\n",
        repo.display(),
        state.display(),
        if args.dir.is_some() {
            "Kept: explore it with the same commands (start the VMS again with `vmsops sim --state vms-state.json`)."
        } else {
            "Everything was in a temporary folder, now removed; `vmsops demo --dir DIR` keeps it."
        }
    ))?;
    drop(sim);
    Ok(Exit::Success)
}

/// Starts `vmsops sim` on a free port with the demo's two accounts; returns it (stopped on drop) and its URL.
fn start_sim(
    exe: &Path,
    dir: &Path,
    token: &str,
    tech_token: &str,
) -> Result<(Sim, String), Error> {
    let mut child = Command::new(exe)
        .args(["sim", "--addr", "127.0.0.1:0", "--state"])
        .arg(dir.join("vms-state.json"))
        .env(
            "VMSOPS_SIM_TOKENS",
            format!("vmsops-demo:{token},tech:{tech_token}"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut first = String::new();
    BufReader::new(child.stdout.take().ok_or("no sim stdout")?).read_line(&mut first)?;
    let sim = Sim(child);
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .ok_or("the sim did not start")?
        .to_string();
    Ok((sim, url))
}

/// Writes the example site (pointed at `url`), its schemas and an allowed-signers file
/// naming a fresh approver key; returns that key's private half.
fn write_site_repo(dir: &Path, repo: &Path, url: &str) -> Result<PathBuf, Error> {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys)?;
    let key = keys.join("rs");
    run_tool(
        dir,
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "rs@client.example",
            "-f",
            &key.display().to_string(),
        ],
        &[],
    )?;
    let public = std::fs::read_to_string(keys.join("rs.pub"))?;
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    write(
        &repo.join("sites/paris-hq/site.yaml"),
        &SITE.replace("url: http://127.0.0.1:8480", &format!("url: {url}")),
    )?;
    for (name, text) in CAMERAS {
        write(&repo.join("sites/paris-hq/cameras").join(name), text)?;
    }
    write(&repo.join("schemas/site.schema.json"), SITE_SCHEMA)?;
    write(&repo.join("schemas/cameras.schema.json"), CAMERAS_SCHEMA)?;
    let signers = format!(
        "rs@client.example namespaces=\"git\" {} Claire Martin's RS (demo key)\nrs-deputy@client.example namespaces=\"git\" {} deputy (demo key)\n",
        public.join(" "),
        public.join(" ")
    );
    write(&repo.join("policy/allowed_signers"), &signers)?;
    Ok(key)
}

/// Commits the site as Claire (Ticket: WO-1001) and has the RS sign `approve/wo-1001` with `key`.
fn commit_and_approve(repo: &Path, key: &Path) -> Result<(), Error> {
    run_tool(repo, "git", &["init", "-q", "-b", "main"], &[])?;
    run_tool(repo, "git", &["add", "-A"], &[])?;
    commit(
        repo,
        "-qm",
        "Paris HQ: cameras, recording profiles, alert rules",
        "Ticket: WO-1001",
    )?;
    let approver = [
        ("GIT_COMMITTER_NAME", "Responsable Sécurité"),
        ("GIT_COMMITTER_EMAIL", "rs@client.example"),
    ];
    let signing_key = key.display().to_string();
    run_tool(
        repo,
        "git",
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &format!("user.signingkey={signing_key}"),
            "tag",
            "-s",
            "approve/wo-1001",
            "-m",
            "Approved: WO-1001",
        ],
        &approver,
    )
}

/// `git commit FLAGS SUBJECT -m TRAILER` as [`AUTHOR`].
fn commit(repo: &Path, flags: &str, subject: &str, trailer: &str) -> Result<(), Error> {
    run_tool(
        repo,
        "git",
        &["commit", flags, subject, "-m", trailer],
        &AUTHOR,
    )
}

/// Lowers hall-02 to 5 fps through the VMS's API with the `tech` account, as a person would.
fn change_out_of_band(url: &str, tech_token: &str) -> Result<(), Error> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let client = reqwest::Client::new();
        let cam = client
            .get(format!("{url}/api/v1/cameras/hall-02"))
            .bearer_auth(tech_token)
            .send()
            .await?;
        let etag = cam
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let mut body: serde_json::Value = cam.json().await?;
        body["recording"]["fps"] = serde_json::json!(5);
        client
            .put(format!("{url}/api/v1/cameras/hall-02"))
            .bearer_auth(tech_token)
            .header("if-match", etag)
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
        Ok::<_, reqwest::Error>(())
    })
    .map_err(|e| {
        format!(
            "the out-of-band change failed: {}",
            vmsops::error_chain(&e.without_url())
        )
    })?;
    Ok(())
}

/// Sets hall-01 to 30 fps in the entrance file and commits it (Ticket: WO-1002), with no approval.
fn commit_unapproved_change(repo: &Path) -> Result<(), Error> {
    let entrance = repo.join("sites/paris-hq/cameras/entrance.yaml");
    std::fs::write(
        &entrance,
        std::fs::read_to_string(&entrance)?
            .replace("recording: { fps: 25 }", "recording: { fps: 30 }"),
    )?;
    commit(repo, "-qam", "hall-01 at 30 fps", "Ticket: WO-1002")
}

/// The demo's vmsops commands, run in the site repository with the demo's token and state.
struct Steps<'a> {
    exe: &'a Path,
    repo: &'a Path,
    envs: [(&'a str, String); 2],
}

impl Steps<'_> {
    /// Prints `$ vmsops ARGS`, runs it (its output goes straight to ours) and prints its exit code.
    fn run(&self, args: &[&str]) -> Result<i32, Error> {
        say(&format!("\n$ vmsops {}\n", args.join(" ")))?;
        let status = Command::new(self.exe)
            .args(args)
            .current_dir(self.repo)
            .envs(self.envs.iter().map(|(k, v)| (*k, v.as_str())))
            .status()?;
        let code = status.code().unwrap_or(-1);
        say(&format!("(exit {code})\n"))?;
        Ok(code)
    }

    /// Runs a step and fails the demo unless it exits `want`.
    fn expect(&self, args: &[&str], want: i32, what: &str) -> Result<(), Error> {
        let code = self.run(args)?;
        if code == want {
            Ok(())
        } else {
            Err(format!("{what}: expected exit {want}, got {code}").into())
        }
    }
}

/// Prints a line of the demo's narration.
fn say(text: &str) -> std::io::Result<()> {
    output::print(text)
}
