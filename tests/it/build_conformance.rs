//! The `rl build` conformance suite: every case under `tests/build/NN-name/` (a `Containerfile`,
//! its context files and an `expect.json`) is built with rl and checked for the resulting config
//! and file system; where podman is installed, each is also built with `podman build` and the
//! two images are compared.
//!
//! `expect.json` holds:
//! - `about`: what the case covers;
//! - `build_args` (`["K=V"]`), `target`: build options;
//! - `config`: config fields (`Cmd`, `Entrypoint`, `Env`, `User`, `WorkingDir`, `Labels`,
//!   `ExposedPorts`, `Volumes`, `StopSignal`, `Healthcheck`, `OnBuild`, `Shell`) compared exactly
//!   (`null`: absent or empty);
//! - `check` and `output`: a shell snippet run in the image (as root, no entrypoint) and what it
//!   must print;
//! - `files_has`: file list entries the image must have (`/path TYPE MODE UID:GID [SIZE|->LINK]`,
//!   a prefix of the entry: the size may be left out),
//!   `files_lacks`: paths it must not have, `files_exact`: the whole list (for images without a
//!   shell);
//! - `history_lacks`: strings no history entry may contain;
//! - `modes`: modes to give context files before the build (`{"path": "755"}`);
//! - `tars`: archives made from a directory of the case before the build (`{"a.tar.gz": "dir"}`);
//! - `fail`: `{"code": N, "stderr": "..."}`, a build that must fail (and tag nothing);
//! - `podman_differs`: where podman legitimately differs: `note`, and the `fields`, `paths` or
//!   `check` the podman comparison leaves out for this case, or `build: true` where podman cannot
//!   build the case at all (then nothing is compared when its build fails).
//!
//! Images are compared through `save` (docker-archive) on both sides, so the file lists are the
//! images' contents, not what a runtime mounts in a container. In Containerfiles, `{{BASE}}`
//! is the fixtures' small busybox image and `{{HTTP}}` a local HTTP server serving the case's
//! `served/` directory.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::TestEnv;
use crate::support::fixtures::pushed;

/// The config fields compared with podman.
const FIELDS: &[&str] = &[
    "Cmd",
    "Entrypoint",
    "Env",
    "User",
    "WorkingDir",
    "Labels",
    "ExposedPorts",
    "Volumes",
    "StopSignal",
    "Healthcheck",
    "OnBuild",
    "Shell",
];

/// Mount points a RUN of buildah leaves in the image (empty files and `/run`) where the runtime
/// bound its own files: runtime artifacts, not image content, left out of the comparison.
const RUNTIME_PATHS: &[&str] = &[
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/run",
    "/run/.containerenv",
];

/// How long one podman command may take.
const PODMAN_LIMIT: &str = "240";

struct Case {
    name: String,
    dir: PathBuf,
    expect: Value,
}

impl Case {
    fn tag(&self) -> String {
        format!("conf-{}", self.name)
    }

    fn strs(&self, key: &str) -> Vec<String> {
        self.expect[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn differs(&self, key: &str) -> Vec<String> {
        self.expect["podman_differs"][key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/build");
    let mut out: Vec<Case> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Containerfile").is_file())
        .map(|e| {
            let dir = e.path();
            let text = std::fs::read_to_string(dir.join("expect.json"))
                .unwrap_or_else(|e| panic!("{}: expect.json: {e}", dir.display()));
            let expect: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: expect.json: {e}", dir.display()));
            Case {
                name: e.file_name().to_string_lossy().into_owned(),
                dir,
                expect,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(out.len() >= 30, "only {} cases", out.len());
    out
}

/// A tiny HTTP server for ADD of URLs: serves `tests/build/*/served/*` by name as
/// `/CASE/NAME`, with a fixed Last-Modified; runs until the test process ends.
fn http_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/build");
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || serve(conn, &root));
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn serve(mut conn: std::net::TcpStream, root: &Path) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut l = String::new();
        if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" || l == "\n" {
            break;
        }
    }
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let mut segs = path.trim_start_matches('/').splitn(2, '/');
    let (case, name) = (segs.next().unwrap_or(""), segs.next().unwrap_or(""));
    let file = root.join(case).join("served").join(name);
    let ok = !case.contains("..") && !name.contains("..") && !name.is_empty();
    match std::fs::read(&file).ok().filter(|_| ok) {
        Some(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\
                 Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            if method != "HEAD" {
                let _ = conn.write_all(&body);
            }
        }
        None => {
            let _ = conn.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    }
}

/// The case's context in the test env: its files, `{{BASE}}` and `{{HTTP}}` substituted, the
/// archives it asks for made.
fn prepare(env: &TestEnv, case: &Case, http: &str, under: &str) -> PathBuf {
    let dir = env.home.join(under).join(&case.name);
    std::fs::create_dir_all(env.home.join(under)).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&case.dir)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_file(dir.join("expect.json"));
    let file = dir.join("Containerfile");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text
        .replace("{{BASE}}", &pushed().small.reference)
        .replace("{{HTTP}}", &format!("{http}/{}", case.name));
    std::fs::write(&file, text).unwrap();
    if let Some(tars) = case.expect["tars"].as_object() {
        for (name, src) in tars {
            let src = src.as_str().unwrap();
            let compress = if name.ends_with(".gz") {
                "z"
            } else if name.ends_with(".bz2") {
                "j"
            } else if name.ends_with(".xz") {
                "J"
            } else {
                ""
            };
            let status = std::process::Command::new("tar")
                .arg(format!("-c{compress}f"))
                .arg(dir.join(name))
                .args(["--owner=0", "--group=0", "--numeric-owner", "-C"])
                .arg(dir.join(src))
                .arg(".")
                .status()
                .unwrap();
            assert!(status.success(), "tar {name}");
        }
    }
    // Modes the case relies on (git does not keep them all).
    if let Some(modes) = case.expect["modes"].as_object() {
        for (path, mode) in modes {
            let m = u32::from_str_radix(mode.as_str().unwrap(), 8).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.join(path), std::fs::Permissions::from_mode(m)).unwrap();
        }
    }
    // The test user's, as a context is; modes as the case has them.
    let status = std::process::Command::new("chown")
        .arg("-Rh")
        .arg(format!("{}:{}", env.user.uid, env.user.gid))
        .arg(env.home.join(under))
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn build_args(case: &Case) -> Vec<String> {
    let mut args = Vec::new();
    for a in case.strs("build_args") {
        args.push("--build-arg".to_string());
        args.push(a);
    }
    if let Some(t) = case.expect["target"].as_str() {
        args.push("--target".into());
        args.push(t.into());
    }
    args
}

/// An image as saved: its config and its file list.
struct Saved {
    config: Value,
    history: Vec<String>,
    files: BTreeMap<String, String>,
}

/// Read a docker-archive: the config and the merged file list of the layers.
fn read_archive(path: &Path) -> Result<Saved, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut ar = tar::Archive::new(f);
    for e in ar.entries().map_err(|e| e.to_string())? {
        let mut e = e.map_err(|e| e.to_string())?;
        let name = e
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut v = Vec::new();
        e.read_to_end(&mut v).map_err(|e| e.to_string())?;
        members.insert(name, v);
    }
    let manifest: Value = serde_json::from_slice(
        members
            .get("manifest.json")
            .ok_or("the archive has no manifest.json")?,
    )
    .map_err(|e| e.to_string())?;
    let m = &manifest[0];
    let config: Value = serde_json::from_slice(
        members
            .get(m["Config"].as_str().unwrap_or_default())
            .ok_or("the archive has no config")?,
    )
    .map_err(|e| e.to_string())?;
    let history = config["history"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| h["created_by"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for l in m["Layers"].as_array().ok_or("no Layers")? {
        let data = members
            .get(l.as_str().unwrap_or_default())
            .ok_or_else(|| format!("no layer {l}"))?;
        apply_layer(data, &mut files)?;
    }
    Ok(Saved {
        config: config["config"].clone(),
        history,
        files,
    })
}

/// Apply one layer tar (plain or gzip) to a file list: whiteouts and opaque directories first
/// (they hide the lower layers), then the entries.
fn apply_layer(data: &[u8], files: &mut BTreeMap<String, String>) -> Result<(), String> {
    let reader: Box<dyn Read + '_> = if data.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(data))
    } else {
        Box::new(data)
    };
    let mut ar = tar::Archive::new(reader);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for e in ar.entries().map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        let raw = e.path().map_err(|e| e.to_string())?;
        let path = raw
            .to_string_lossy()
            .trim_start_matches("./")
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string();
        if path.is_empty() || path == "." {
            continue;
        }
        let (parent, base) = match path.rsplit_once('/') {
            Some((p, b)) => (format!("/{p}"), b.to_string()),
            None => (String::new(), path.clone()),
        };
        if base == ".wh..wh..opq" {
            removed.push((parent, true));
            continue;
        }
        if let Some(gone) = base.strip_prefix(".wh.") {
            removed.push((format!("{parent}/{gone}"), false));
            continue;
        }
        let h = e.header();
        let mode = h.mode().unwrap_or(0) & 0o7777;
        let owner = format!("{}:{}", h.uid().unwrap_or(0), h.gid().unwrap_or(0));
        let link = || {
            e.link_name()
                .ok()
                .flatten()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let line = match h.entry_type() {
            tar::EntryType::Directory => format!("/{path} d {mode:o} {owner}"),
            tar::EntryType::Symlink => format!("/{path} l {owner} ->{}", link()),
            tar::EntryType::Link => format!("/{path} h ->/{}", link().trim_start_matches('/')),
            tar::EntryType::Fifo => format!("/{path} p {mode:o} {owner}"),
            _ => format!("/{path} f {mode:o} {owner} {}", h.size().unwrap_or(0)),
        };
        added.push((format!("/{path}"), line));
    }
    for (p, opaque) in removed {
        let under = format!("{p}/");
        files.retain(|k, _| !k.starts_with(&under) && (opaque || *k != p));
    }
    for (p, line) in added {
        // A file replacing a directory hides what was under it.
        if !line.contains(" d ") {
            let under = format!("{p}/");
            files.retain(|k, _| !k.starts_with(&under));
        }
        files.insert(p, line);
    }
    Ok(())
}

/// A config field, with docker's empty values (null, `[]`, `{}`, `""`) as null.
fn field(config: &Value, name: &str) -> Value {
    let v = config.get(name).cloned().unwrap_or(Value::Null);
    let empty = match &v {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    };
    if empty { Value::Null } else { v }
}

/// What one case's image must be (config, files, history) as `expect.json` says.
fn check_saved(case: &Case, saved: &Saved, problems: &mut Vec<String>) {
    if let Some(want) = case.expect["config"].as_object() {
        for k in want.keys() {
            let got = field(&saved.config, k);
            let w = field(&Value::Object(want.clone()), k);
            if got != w {
                problems.push(format!("config {k}: want {w}, got {got}"));
            }
        }
    }
    for want in case.strs("files_has") {
        let prefix = format!("{want} ");
        if !saved
            .files
            .values()
            .any(|l| *l == want || l.starts_with(&prefix))
        {
            let path = want.split(' ').next().unwrap_or_default();
            problems.push(format!(
                "file {want:?} missing; the image has {:?}",
                saved.files.get(path)
            ));
        }
    }
    for gone in case.strs("files_lacks") {
        if saved.files.contains_key(&gone) {
            problems.push(format!("{gone} should not be in the image"));
        }
    }
    if case.expect.get("files_exact").is_some() {
        let want = case.strs("files_exact");
        let got: Vec<String> = saved.files.values().cloned().collect();
        if want != got {
            problems.push(format!("files: want {want:#?}, got {got:#?}"));
        }
    }
    for needle in case.strs("history_lacks") {
        if let Some(h) = saved.history.iter().find(|h| h.contains(&needle)) {
            problems.push(format!("history has {needle:?}: {h}"));
        }
    }
}

/// Build one case with rl; the problems found.
fn run_rl_case(env: &TestEnv, case: &Case, http: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let dir = prepare(env, case, http, "ctx-rl");
    let tag = case.tag();
    let mut args: Vec<String> = vec!["build".into(), "-t".into(), tag.clone()];
    args.extend(build_args(case));
    args.push(dir.display().to_string());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.rl(&argv);
    if let Some(fail) = case.expect.get("fail") {
        let code = fail["code"].as_i64().unwrap_or(125);
        if i64::from(out.status) != code {
            problems.push(format!(
                "want exit {code}, got {}: {}",
                out.status, out.stderr
            ));
        }
        let needle = fail["stderr"].as_str().unwrap_or_default();
        if !out.stderr.contains(needle) {
            problems.push(format!("stderr lacks {needle:?}: {}", out.stderr));
        }
        let tagged = env.rl(&["images", "-q", "--filter", &format!("reference={tag}")]);
        if !tagged.stdout.trim().is_empty() {
            problems.push(format!("a failed build tagged {tag}"));
        }
        return problems;
    }
    if out.status != 0 {
        problems.push(format!(
            "build failed ({}): {}",
            out.status,
            out.stderr.trim()
        ));
        return problems;
    }
    let archive = env.home.join(format!("rl-{}.tar", case.name));
    let saved = env.rl(&["save", "-o", &archive.display().to_string(), &tag]);
    if saved.status != 0 {
        problems.push(format!("rl save: {}", saved.stderr));
        return problems;
    }
    match read_archive(&archive) {
        Ok(s) => check_saved(case, &s, &mut problems),
        Err(e) => problems.push(format!("read the saved image: {e}")),
    }
    let _ = std::fs::remove_file(&archive);
    if let Some(snippet) = case.expect["check"].as_str() {
        let user = case.expect["check_user"].as_str().unwrap_or("0");
        let out = env.rl(&[
            "run",
            "--rm",
            "--user",
            user,
            "--entrypoint",
            "",
            &tag,
            "/bin/sh",
            "-c",
            snippet,
        ]);
        let want = case.expect["output"].as_str().unwrap_or_default();
        if out.stdout != want || out.status != 0 {
            problems.push(format!(
                "check: want {want:?}, got {:?} (exit {}, stderr {:?})",
                out.stdout, out.status, out.stderr
            ));
        }
    }
    problems
}

/// Report every failing case at once.
fn report(failures: &[(String, Vec<String>)]) {
    if failures.is_empty() {
        return;
    }
    let mut text = format!("{} case(s) failed:\n", failures.len());
    for (name, problems) in failures {
        text.push_str(&format!("== {name}\n"));
        for p in problems {
            text.push_str(&format!("   - {p}\n"));
        }
    }
    panic!("{text}");
}

/// Only the cases named in `RL_CONFORMANCE_CASES` (comma-separated substrings), if set.
fn selected(all: Vec<Case>) -> Vec<Case> {
    match std::env::var("RL_CONFORMANCE_CASES") {
        Ok(sel) if !sel.is_empty() => all
            .into_iter()
            .filter(|c| sel.split(',').any(|s| c.name.contains(s)))
            .collect(),
        _ => all,
    }
}

#[test]
fn build_conformance_cases() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", &pushed().small.reference]).success();
    let http = http_server();
    let mut failures = Vec::new();
    for case in selected(cases()) {
        let problems = run_rl_case(&env, &case, &http);
        if !problems.is_empty() {
            failures.push((case.name.clone(), problems));
        }
    }
    // No build container is left behind by any case.
    let ps = env.rl(&["ps", "-a", "-q"]);
    if !ps.stdout.trim().is_empty() {
        failures.push((
            "(all)".into(),
            vec![format!("containers left: {}", ps.stdout)],
        ));
    }
    report(&failures);
}

/// Run podman as the test user, time-limited.
fn podman(env: &TestEnv, args: &[&str]) -> crate::support::Output {
    let mut c = env.command("timeout");
    c.args(["-k", "10", PODMAN_LIMIT, "podman"]);
    c.args(args);
    crate::support::run_command(c, None, &format!("podman {}", args.join(" ")))
}

fn podman_available() -> bool {
    std::process::Command::new("podman")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Compare one case's rl image with podman's; the differences not documented in the case.
fn compare_with_podman(env: &TestEnv, case: &Case, http: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let tag = case.tag();
    let rl_dir = prepare(env, case, http, "ctx-rl");
    let pm_dir = prepare(env, case, http, "ctx-podman");
    let extra = build_args(case);
    let mut args: Vec<String> = vec!["build".into(), "-q".into(), "-t".into(), tag.clone()];
    args.extend(extra.iter().cloned());
    args.push(rl_dir.display().to_string());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let rl_out = env.rl(&argv);
    let mut pargs: Vec<String> = vec![
        "build".into(),
        "-q".into(),
        "--format".into(),
        "docker".into(),
        "--tls-verify=false".into(),
        "-t".into(),
        tag.clone(),
    ];
    pargs.extend(extra);
    pargs.push(pm_dir.display().to_string());
    let pargv: Vec<&str> = pargs.iter().map(String::as_str).collect();
    let pm_out = podman(env, &pargv);
    if case.expect.get("fail").is_some() {
        if rl_out.status == 0 || pm_out.status == 0 {
            problems.push(format!(
                "both must fail: rl {} podman {} ({})",
                rl_out.status,
                pm_out.status,
                pm_out.stderr.trim()
            ));
        }
        return problems;
    }
    // An older podman that cannot build the case (documented in it) leaves nothing to compare.
    if pm_out.status != 0 && case.expect["podman_differs"]["build"].as_bool() == Some(true) {
        return problems;
    }
    if rl_out.status != 0 || pm_out.status != 0 {
        problems.push(format!(
            "build: rl {} ({}), podman {} ({})",
            rl_out.status,
            rl_out.stderr.trim(),
            pm_out.status,
            pm_out.stderr.trim()
        ));
        return problems;
    }
    let rl_ar = env.home.join(format!("rl-{}.tar", case.name));
    let pm_ar = env.home.join(format!("podman-{}.tar", case.name));
    env.rl(&["save", "-o", &rl_ar.display().to_string(), &tag])
        .success();
    let s = podman(
        env,
        &[
            "save",
            "--format",
            "docker-archive",
            "-o",
            &pm_ar.display().to_string(),
            &format!("localhost/{tag}"),
        ],
    );
    if s.status != 0 {
        problems.push(format!("podman save: {}", s.stderr));
        return problems;
    }
    let (rl_img, pm_img) = match (read_archive(&rl_ar), read_archive(&pm_ar)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            problems.push(format!("read archives: {:?} {:?}", a.err(), b.err()));
            return problems;
        }
    };
    let _ = std::fs::remove_file(&rl_ar);
    let _ = std::fs::remove_file(&pm_ar);
    let skip_fields = case.differs("fields");
    for f in FIELDS {
        if skip_fields.iter().any(|s| s == f) {
            continue;
        }
        let a = field(&rl_img.config, f);
        let mut b = field(&pm_img.config, f);
        if *f == "Labels"
            && let Some(o) = b.as_object_mut()
        {
            // buildah records its version.
            o.remove("io.buildah.version");
            if o.is_empty() {
                b = Value::Null;
            }
        }
        if a != b {
            problems.push(format!("config {f}: rl {a}, podman {b}"));
        }
    }
    let skip_paths = case.differs("paths");
    let keep = |p: &&String| {
        !RUNTIME_PATHS.contains(&p.as_str())
            && !skip_paths
                .iter()
                .any(|s| *p == s || p.starts_with(&format!("{s}/")))
    };
    let a: BTreeSet<&String> = rl_img
        .files
        .values()
        .filter(|l| keep(&&path_of(l)))
        .collect();
    let b: BTreeSet<&String> = pm_img
        .files
        .values()
        .filter(|l| keep(&&path_of(l)))
        .collect();
    for only in a.difference(&b) {
        problems.push(format!("only rl has  {only}"));
    }
    for only in b.difference(&a) {
        problems.push(format!("only podman has {only}"));
    }
    let skip_check = case.expect["podman_differs"]["check"].as_bool() == Some(true);
    if let (Some(snippet), false) = (case.expect["check"].as_str(), skip_check) {
        let user = case.expect["check_user"].as_str().unwrap_or("0");
        let out = podman(
            env,
            &[
                "run",
                "--rm",
                "--network",
                "none",
                "--user",
                user,
                "--entrypoint",
                "",
                &format!("localhost/{tag}"),
                "/bin/sh",
                "-c",
                snippet,
            ],
        );
        let want = case.expect["output"].as_str().unwrap_or_default();
        if out.stdout != want {
            problems.push(format!(
                "podman check: want {want:?}, got {:?} ({})",
                out.stdout,
                out.stderr.trim()
            ));
        }
    }
    problems
}

fn path_of(line: &str) -> String {
    line.split(' ').next().unwrap_or_default().to_string()
}

#[test]
fn build_conformance_against_podman() {
    if !podman_available() {
        eprintln!("podman is not installed: the comparison is skipped");
        return;
    }
    let env = TestEnv::new();
    env.rl(&["pull", "-q", &pushed().small.reference]).success();
    let http = http_server();
    let mut failures = Vec::new();
    for case in selected(cases()) {
        let problems = compare_with_podman(&env, &case, &http);
        if !problems.is_empty() {
            failures.push((case.name.clone(), problems));
        }
    }
    // podman's storage is the test user's: remove it with podman itself (its layers hold
    // files of other uids).
    let _ = podman(&env, &["system", "reset", "-f"]);
    report(&failures);
}
