//! A real OCI registry (`docker-registry`, distribution v2) on loopback.
//!
//! Each registry runs under a small `sh` supervisor whose stdin is a pipe;
//! the write end lives in the [`Registry`] value. When it is closed -- by
//! dropping the value, or implicitly when the test process exits, however it
//! exits -- the supervisor kills the registry and removes its directory.
//! Rust's test harness has no global teardown, so this is what keeps the
//! shared registries of [`registry()`] and [`auth_registry()`] from outliving
//! the test binary.

// Shared harness: not every test binary uses every item.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::oci::Client;

/// The registry binary (Debian package `docker-registry`).
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";
/// User name accepted by [`auth_registry()`].
pub const AUTH_USER: &str = "rltest";
/// Password accepted by [`auth_registry()`].
pub const AUTH_PASSWORD: &str = "s3cret-pass";

const READY_TIMEOUT: Duration = Duration::from_secs(10);
const START_ATTEMPTS: usize = 5;

/// Supervisor: `$1` = registry binary, `$2` = registry directory.
/// fd 3 keeps the pipe from the test process; a watcher subshell blocks on it
/// and kills the registry at EOF (i.e. when the test process has exited, or
/// dropped the [`Registry`]). Terminal signals sent to the whole process
/// group (Ctrl-C) also kill the registry, but leave the shell alive to clean
/// up. Once the test process has marked the registry as started, its
/// directory is removed when the registry ends; before that it is kept so
/// that the log can be read after a failed start.
const SUPERVISOR: &str = r#"
trap 'kill -KILL "$p" 2>/dev/null' HUP INT QUIT TERM
exec 3<&0 </dev/null
"$1" serve "$2/config.yml" 3<&- &
p=$!
( read _ <&3; kill -KILL "$p" 2>/dev/null ) &
w=$!
exec 3<&-
wait "$p"
st=$?
wait "$p" 2>/dev/null
kill "$w" 2>/dev/null
if [ -e "$2/started" ]; then rm -rf "$2"; fi
exit "$st"
"#;

/// A running `docker-registry` on `127.0.0.1`.
#[derive(Debug)]
pub struct Registry {
    /// `"127.0.0.1:PORT"`, as used in image references.
    pub host: String,
    /// `"http://127.0.0.1:PORT"`.
    pub url: String,
    /// The accepted credentials, for an auth registry.
    pub creds: Option<(String, String)>,
    /// Registry directory (config, storage, log), under
    /// `$CARGO_TARGET_TMPDIR/rl-registries/`; removed when the registry stops.
    pub dir: PathBuf,
    supervisor: Child,
    /// Write end of the supervisor's stdin: closing it stops the registry.
    keepalive: Option<ChildStdin>,
}

impl Registry {
    /// Starts a fresh registry with its own storage; with `auth`, it demands
    /// HTTP Basic auth as [`AUTH_USER`]/[`AUTH_PASSWORD`] (htpasswd, bcrypt).
    /// Panics, with the registry log, if it does not come up.
    pub fn start(auth: bool) -> Registry {
        Registry::start_with(auth, false)
    }

    /// Like [`Registry::start`]; with `access_log`, every request is logged to
    /// `registry.log` (to count what a client fetched).
    pub fn start_with(auth: bool, access_log: bool) -> Registry {
        let mut failures = String::new();
        for attempt in 1..=START_ATTEMPTS {
            match Registry::try_start(auth, access_log) {
                Ok(registry) => return registry,
                Err(why) => {
                    let _ = writeln!(failures, "--- attempt {attempt}:\n{why}");
                    // Another process may have taken the port between our
                    // probe and the registry's bind: retry with a new one.
                    if !why.contains("address already in use") {
                        break;
                    }
                }
            }
        }
        panic!("docker-registry did not start:\n{failures}");
    }

    fn try_start(auth: bool, access_log: bool) -> Result<Registry, String> {
        let parent = registries_dir();
        prune_stale_registry_dirs(&parent);
        let dir = tempfile::Builder::new()
            .prefix("rl-registry-")
            .tempdir_in(&parent)
            .expect("create a temp dir for the registry")
            .keep();
        fs::write(dir.join(OWNER_FILE), std::process::id().to_string())
            .expect("write the registry owner file");
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let creds = auth.then(|| (AUTH_USER.to_owned(), AUTH_PASSWORD.to_owned()));
        write_config(&dir, &host, auth, access_log);

        let log_path = dir.join("registry.log");
        let log = fs::File::create(&log_path).expect("create the registry log");
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(SUPERVISOR)
            .arg("rl-registry-supervisor")
            .arg(REGISTRY_BIN)
            .arg(&dir)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("dup the registry log fd"))
            .stderr(log);
        // The registry reads overrides from REGISTRY_* variables; don't let
        // the environment of the test run change our config.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                cmd.env_remove(key);
            }
        }
        let mut supervisor = cmd.spawn().expect("spawn /bin/sh for docker-registry");
        let keepalive = supervisor.stdin.take();
        let mut registry = Registry {
            url: format!("http://{host}"),
            host,
            creds,
            dir,
            supervisor,
            keepalive,
        };

        let expected = if auth { 401 } else { 200 };
        let probe = Client::new(&registry.url, None);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = registry.supervisor.try_wait().expect("poll the supervisor") {
                let why = format!(
                    "docker-registry exited ({status}); log:\n{}",
                    registry.log_contents()
                );
                registry.discard();
                return Err(why);
            }
            match probe.try_status_of("GET", "/v2/") {
                Ok(status) if status == expected => break,
                Ok(status) => {
                    let why = format!(
                        "GET {}/v2/ answered {status}, expected {expected}; log:\n{}",
                        registry.url,
                        registry.log_contents()
                    );
                    registry.discard();
                    return Err(why);
                }
                Err(_) if Instant::now() < deadline => sleep(Duration::from_millis(25)),
                Err(e) => {
                    let why = format!(
                        "not ready after {READY_TIMEOUT:?}: {e}; log:\n{}",
                        registry.log_contents()
                    );
                    registry.discard();
                    return Err(why);
                }
            }
        }
        fs::write(registry.dir.join("started"), b"").expect("mark the registry as started");
        Ok(registry)
    }

    /// A client for this registry, with its credentials if any.
    pub fn client(&self) -> Client {
        Client::new(&self.url, self.creds.clone())
    }

    /// A client for this registry without credentials.
    pub fn anonymous_client(&self) -> Client {
        Client::new(&self.url, None)
    }

    /// `"127.0.0.1:PORT/<repo_and_tag>"`.
    pub fn reference(&self, repo_and_tag: &str) -> String {
        format!("{}/{repo_and_tag}", self.host)
    }

    /// The registry's output so far (errors only; the log level is `error`).
    pub fn log_contents(&self) -> String {
        fs::read_to_string(self.dir.join("registry.log"))
            .unwrap_or_else(|e| format!("(cannot read registry log: {e})"))
    }

    /// Process id of the supervising shell (the registry is its child).
    pub fn supervisor_pid(&self) -> u32 {
        self.supervisor.id()
    }

    /// Stops a registry that failed to start and removes its directory.
    fn discard(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }

    /// Closes the keepalive pipe and waits (bounded) for the supervisor.
    fn stop(&mut self) {
        drop(self.keepalive.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.supervisor.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => sleep(Duration::from_millis(10)),
            }
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where registry directories live. Normally each is removed when its
/// registry stops; only a SIGKILL of the whole process group can leave one
/// behind, and [`prune_stale_registry_dirs`] collects those later.
fn registries_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rl-registries");
    fs::create_dir_all(&dir).expect("create the registries dir");
    dir
}

/// Holds the pid of the test process that started the registry.
const OWNER_FILE: &str = "owner.pid";

/// Removes registry dirs whose owning test process is gone.
fn prune_stale_registry_dirs(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stale = match fs::read_to_string(path.join(OWNER_FILE)) {
            Ok(pid) => !Path::new("/proc").join(pid.trim()).exists(),
            // Being created right now, or a leftover from long ago.
            Err(_) => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(600)),
        };
        if stale {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0 to find a free port")
        .port()
}

fn write_config(dir: &Path, host: &str, auth: bool, access_log: bool) {
    let storage = dir.join("storage");
    fs::create_dir(&storage).expect("create the registry storage dir");
    let mut config = format!(
        "version: 0.1
log:
  level: error
  accesslog:
    disabled: {no_access_log}
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {host}
  secret: rl-test-not-a-secret
",
        storage = storage.display(),
        no_access_log = !access_log,
    );
    if auth {
        let htpasswd = dir.join("htpasswd");
        let out = Command::new("htpasswd")
            .args(["-Bbn", AUTH_USER, AUTH_PASSWORD])
            .stderr(Stdio::inherit())
            .output()
            .expect("run htpasswd (package apache2-utils)");
        assert!(out.status.success(), "htpasswd failed: {}", out.status);
        let mut file = fs::File::create(&htpasswd).expect("create the htpasswd file");
        file.write_all(&out.stdout)
            .expect("write the htpasswd file");
        let _ = write!(
            config,
            "auth:
  htpasswd:
    realm: rl-test
    path: {}
",
            htpasswd.display()
        );
    }
    fs::write(dir.join("config.yml"), config).expect("write the registry config");
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();
static AUTH_REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The shared anonymous registry of this test binary (started on first use).
pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| Registry::start(false))
}

/// The shared registry demanding [`AUTH_USER`]/[`AUTH_PASSWORD`].
pub fn auth_registry() -> &'static Registry {
    AUTH_REGISTRY.get_or_init(|| Registry::start(true))
}
