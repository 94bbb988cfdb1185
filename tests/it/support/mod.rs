//! The test bed: every rl invocation runs the real binary as an unprivileged user with subordinate
//! id ranges, in roots of its own, with a leak check when the test ends.
//!
//! - As root (CI): rl runs as the test user `rltest` (override with `RL_TEST_USER`), which
//!   `scripts/test` creates with /etc/subuid and /etc/subgid ranges; the binary is copied to a
//!   directory that user can execute.
//! - As a normal user: rl runs as that user.
//!
//! Each [`TestEnv`] has its own HOME, XDG_DATA_HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR under a
//! fresh directory. Every process rl starts inherits the marker variable `RL_TEST_ROOT=<that
//! directory>`; when the env is dropped, any process still carrying it, or any mount below the
//! directory, fails the test (after a grace period), and is then killed.

#![allow(dead_code)]

pub mod fixtures;
pub mod oci;
pub mod registry;

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one rl invocation may take before the test fails.
pub const RL_TIMEOUT: Duration = Duration::from_secs(180);

/// The unprivileged user rl runs as.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// The test process is root and drops to this user for rl.
    pub drop_from_root: bool,
}

fn passwd_entry(name: &str) -> Option<(u32, u32)> {
    let text = fs::read_to_string("/etc/passwd").ok()?;
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && f[0] == name)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
}

fn current_uid() -> u32 {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap_or(0)
}

/// The test user (created by scripts/test when the suite runs as root).
pub fn test_user() -> &'static TestUser {
    static USER: OnceLock<TestUser> = OnceLock::new();
    USER.get_or_init(|| {
        let uid = current_uid();
        if uid == 0 {
            let name = std::env::var("RL_TEST_USER").unwrap_or_else(|_| "rltest".into());
            let (uid, gid) = passwd_entry(&name).unwrap_or_else(|| {
                panic!(
                    "test user {name:?} does not exist: run scripts/test as root, which creates it \
                     with subordinate id ranges"
                )
            });
            TestUser {
                name,
                uid,
                gid,
                drop_from_root: true,
            }
        } else {
            let name = std::env::var("USER").unwrap_or_else(|_| uid.to_string());
            let gid = passwd_entry(&name).map_or(uid, |(_, g)| g);
            TestUser {
                name,
                uid,
                gid,
                drop_from_root: false,
            }
        }
    })
}

/// Per-process base directory: `/tmp/rl-it-<pid>` holding the binary copy and the test roots.
fn base_dir() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        remove_stale_bases();
        let base = std::env::temp_dir().join(format!("rl-it-{}", std::process::id()));
        fs::create_dir_all(&base).expect("create test base dir");
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755)).expect("chmod base dir");
        base
    })
}

/// Remove base directories left by test processes that no longer exist.
fn remove_stale_bases() {
    let Ok(rd) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name
            .strip_prefix("rl-it-")
            .and_then(|p| p.parse::<u32>().ok())
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// The rl binary, copied where the test user can execute it.
pub fn rl_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = base_dir().join("bin");
        fs::create_dir_all(&dir).expect("create bin dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod bin dir");
        let dst = dir.join("rl");
        fs::copy(env!("CARGO_BIN_EXE_rl"), &dst).expect("copy rl binary");
        fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).expect("chmod rl binary");
        dst
    })
}

/// What one rl invocation did.
#[derive(Debug)]
pub struct Output {
    /// Exit code, or 128 + signal number when killed by a signal.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// The command line, for messages.
    pub cmdline: String,
}

impl Output {
    /// Assert exit status 0.
    #[track_caller]
    pub fn success(&self) -> &Self {
        self.status_is(0)
    }

    /// Assert this exit status.
    #[track_caller]
    pub fn status_is(&self, code: i32) -> &Self {
        assert_eq!(
            self.status, code,
            "`{}` exited {} (want {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.cmdline, self.status, self.stdout, self.stderr
        );
        self
    }

    /// Assert a failure with exit status `code` and exactly one `Error: ...` line on stderr that
    /// contains `needle`.
    #[track_caller]
    pub fn fails_with(&self, code: i32, needle: &str) -> &Self {
        self.status_is(code);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("Error: ") && lines[0].contains(needle),
            "`{}`: want one line `Error: ...{needle}...` on stderr, got:\n{}",
            self.cmdline,
            self.stderr
        );
        self
    }

    /// Assert stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "`{}`: stdout lacks {needle:?}:\n{}",
            self.cmdline,
            self.stdout
        );
        self
    }

    /// Assert stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "`{}`: stderr lacks {needle:?}:\n{}",
            self.cmdline,
            self.stderr
        );
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}`: stdout is not JSON ({e}):\n{}",
                self.cmdline, self.stdout
            )
        })
    }

    /// stdout without its trailing newline.
    pub fn out(&self) -> &str {
        self.stdout.trim_end_matches('\n')
    }
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// Isolated roots for one test, and a leak check when dropped.
#[derive(Debug)]
pub struct TestEnv {
    pub root: PathBuf,
    pub home: PathBuf,
    pub data: PathBuf,
    pub config: PathBuf,
    pub runtime: PathBuf,
    pub user: TestUser,
}

impl TestEnv {
    /// Fresh roots, owned by the test user.
    pub fn new() -> TestEnv {
        let user = test_user().clone();
        let label: String = std::thread::current()
            .name()
            .unwrap_or("test")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(40)
            .collect();
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let root = base_dir().join(format!("t{n}-{label}"));
        let env = TestEnv {
            home: root.join("home"),
            data: root.join("home/.local/share"),
            config: root.join("home/.config"),
            runtime: root.join("run"),
            root,
            user,
        };
        for d in [&env.root, &env.home, &env.data, &env.config, &env.runtime] {
            fs::create_dir_all(d).expect("create test dir");
            fs::set_permissions(d, fs::Permissions::from_mode(0o700)).expect("chmod test dir");
        }
        if env.user.drop_from_root {
            for d in [
                env.root.clone(),
                env.home.clone(),
                env.root.join("home/.local"),
                env.data.clone(),
                env.config.clone(),
                env.runtime.clone(),
            ] {
                chown(&d, Some(env.user.uid), Some(env.user.gid)).expect("chown test dir");
            }
        }
        env
    }

    /// rl's data directory in this env (`$XDG_DATA_HOME/rl`).
    pub fn rl_data(&self) -> PathBuf {
        self.data.join("rl")
    }

    /// A command that runs `program` as the test user with this env's variables.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env(
                "PATH",
                "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
            )
            .env("HOME", &self.home)
            .env("USER", &self.user.name)
            .env("LOGNAME", &self.user.name)
            .env("LANG", "C.UTF-8")
            .env("XDG_DATA_HOME", &self.data)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("RL_TEST_ROOT", &self.root)
            .current_dir(&self.home);
        if self.user.drop_from_root {
            // std clears the supplementary groups when root sets a uid.
            c.uid(self.user.uid).gid(self.user.gid);
        }
        c
    }

    /// Run rl with `args`.
    #[track_caller]
    pub fn rl(&self, args: &[&str]) -> Output {
        self.rl_with(args, None)
    }

    /// Run rl with `args`, feeding `stdin`.
    #[track_caller]
    pub fn rl_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut c = self.command(rl_binary());
        c.args(args);
        run_command(c, stdin, &format!("rl {}", args.join(" ")))
    }

    /// Processes that carry this env's marker, or are children of one that does; not the
    /// recorded pause process, which is meant to outlive rl (an unrecorded one is a leak).
    pub fn stray_processes(&self) -> Vec<(u32, String)> {
        let marker = format!("RL_TEST_ROOT={}", self.root.display());
        let me = std::process::id();
        let pause = self.pause_pid();
        let mut found = Vec::new();
        let Ok(rd) = fs::read_dir("/proc") else {
            return found;
        };
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if pid == me || Some(pid) == pause {
                continue;
            }
            let Ok(environ) = fs::read(format!("/proc/{pid}/environ")) else {
                continue;
            };
            if environ.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
                let cmd = fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
                    .unwrap_or_default();
                found.push((pid, cmd));
            }
        }
        found
    }

    /// The pause process rl left in this env (`$XDG_RUNTIME_DIR/rl/pause.pid`), if it runs.
    pub fn pause_pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.runtime.join("rl/pause.pid")).ok()?;
        let pid: u32 = text.split_whitespace().next()?.parse().ok()?;
        is_pause_process(pid).then_some(pid)
    }

    /// Kill this env's pause process (the leak check's wait covers its exit).
    pub fn stop_pause(&self) {
        if let Some(pid) = self.pause_pid() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }

    /// Mount points below this env's root, as the host mount namespace sees them.
    pub fn stray_mounts(&self) -> Vec<String> {
        let root = self.root.to_string_lossy().into_owned();
        fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().nth(4))
            .filter(|m| m.starts_with(&root))
            .map(String::from)
            .collect()
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // The pause process that keeps rl's user namespace is meant to outlive rl (see
        // userns::pause): end it first; anything else still running is a leak.
        self.stop_pause();
        let ok = wait_until(Duration::from_secs(5), || {
            self.stray_processes().is_empty() && self.stray_mounts().is_empty()
        });
        let procs = self.stray_processes();
        let mounts = self.stray_mounts();
        // A leaked monitor's container processes carry the container's environment, not the
        // marker: kill the whole tree under each stray process, children first.
        let mut doomed: Vec<u32> = Vec::new();
        for (pid, _) in &procs {
            doomed.extend(descendants(*pid));
            doomed.push(*pid);
        }
        for pid in &doomed {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        if mounts.is_empty() {
            remove_tree(&self.root);
        }
        if !ok && !std::thread::panicking() {
            panic!("leak check: processes left behind: {procs:?}; mounts left behind: {mounts:?}");
        }
    }
}

/// The container directories in this env's store, once the background deletion of removed
/// containers' files (`.removing-*`) is over (or has taken 5 s: then those are listed too).
pub fn container_dirs(env: &TestEnv) -> Vec<PathBuf> {
    let dir = env.rl_data().join("containers");
    let list = || -> Vec<PathBuf> {
        fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    };
    wait_until(Duration::from_secs(5), || {
        !list().iter().any(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".removing-"))
        })
    });
    list()
}

/// Whether `pid` is a live (not zombie) rl pause process.
pub fn is_pause_process(pid: u32) -> bool {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // `pid (comm) state ...`
    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
        return false;
    };
    &stat[open + 1..close] == "rl-pause" && !stat[close + 1..].trim_start().starts_with('Z')
}

/// Every process below `pid` (children before their parents' siblings: deepest last found first).
fn descendants(pid: u32) -> Vec<u32> {
    let parent_of = |p: u32| -> Option<u32> {
        let stat = fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        // The fields after the parenthesised command: state, ppid, ...
        let rest = &stat[stat.rfind(')')? + 1..];
        rest.split_whitespace().nth(1)?.parse().ok()
    };
    let all: Vec<(u32, u32)> = fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
                .filter_map(|p| parent_of(p).map(|pp| (p, pp)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (child, _) in all.iter().filter(|(_, pp)| *pp == p) {
            out.push(*child);
            frontier.push(*child);
        }
    }
    out.reverse();
    out
}

/// Remove a test tree. Root can remove anything; a normal user may meet files owned by
/// subordinate ids, which are then left for `rl unshare rm -rf` (reported, not fatal).
pub fn remove_tree(p: &Path) {
    if let Err(e) = fs::remove_dir_all(p)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("note: could not remove {}: {e}", p.display());
    }
}

/// Run a prepared command with a timeout, collecting its output.
#[track_caller]
pub fn run_command(mut c: Command, stdin: Option<&[u8]>, label: &str) -> Output {
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap_or_else(|e| panic!("spawn `{label}`: {e}"));
    if let (Some(data), Some(mut w)) = (stdin, child.stdin.take()) {
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
    }
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(RL_TIMEOUT) {
        Ok(s) => s.unwrap_or_else(|e| panic!("wait `{label}`: {e}")),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("`{label}` did not finish within {RL_TIMEOUT:?}");
        }
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Output {
        status: code,
        stdout,
        stderr,
        cmdline: label.to_string(),
    }
}

/// A container's record as rl stored it (`container.json`), found by name.
pub fn container_record(env: &TestEnv, name: &str) -> serde_json::Value {
    let dir = env.rl_data().join("containers");
    for e in fs::read_dir(dir).unwrap().flatten() {
        if let Ok(b) = fs::read(e.path().join("container.json")) {
            let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
            if v["name"] == name {
                return v;
            }
        }
    }
    panic!("no container {name}");
}

/// Poll `f` every 20 ms until it is true or `timeout` passes; returns the last answer.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// The body of `GET path` from 127.0.0.1:`port` when the answer is a 200, or None (connection
/// refused, reset, no answer, another status).
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    let (head, body) = reply.split_once("\r\n\r\n")?;
    (head.starts_with("HTTP/1.") && head.contains(" 200 ")).then(|| body.to_string())
}

/// `GET /` from 127.0.0.1:`port`, retried while the server in the container starts.
#[track_caller]
pub fn fetch(port: u16) -> String {
    let mut body = None;
    wait_until(Duration::from_secs(8), || {
        body = http_get(port, "/");
        body.is_some()
    });
    body.unwrap_or_else(|| panic!("no HTTP answer on 127.0.0.1:{port}"))
}

/// Wait until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until(timeout, || {
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
    })
}

/// Give a file or directory the test user created as root to the test user.
pub fn chown_to_user(env: &TestEnv, p: &Path) {
    if env.user.drop_from_root {
        chown(p, Some(env.user.uid), Some(env.user.gid)).expect("chown to the test user");
    }
}

/// Where `path` is found when the layers (top first) are stacked as overlayfs stacks them, or
/// None when a whiteout or an opaque directory hides it.
pub fn lookup(layers_top_first: &[PathBuf], path: &str) -> Option<PathBuf> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let rel = path.trim_start_matches('/');
    'layers: for l in layers_top_first {
        // A whiteout of the path or of a parent, or an opaque parent, ends the search here.
        let mut prefix = PathBuf::new();
        let comps: Vec<&str> = rel.split('/').collect();
        for (i, c) in comps.iter().enumerate() {
            prefix.push(c);
            let p = l.join(&prefix);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_char_device() && m.rdev() == 0 => return None,
                Ok(_) if i + 1 == comps.len() => return Some(p),
                Ok(m) if m.is_dir() => {
                    if xattr(&p, "user.overlay.opaque").as_deref() == Some(b"y".as_slice()) {
                        // Lower layers are hidden below this directory.
                        let rest: PathBuf = comps[i + 1..].iter().collect();
                        let full = p.join(rest);
                        return fs::symlink_metadata(&full).ok().map(|_| full);
                    }
                }
                Ok(_) => continue 'layers,
                Err(_) => continue 'layers,
            }
        }
    }
    None
}

/// An extended attribute of `p` itself (symlinks not followed), if it has it.
pub fn xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    let n = rustix::fs::lgetxattr(p, name, &mut buf[..]).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// The image store of an env (`$XDG_DATA_HOME/rl/storage`).
pub fn storage(env: &TestEnv) -> PathBuf {
    env.rl_data().join("storage")
}

/// The extracted layer with this diff id.
pub fn layer_dir(env: &TestEnv, diff_id: &str) -> PathBuf {
    storage(env)
        .join("layers")
        .join(diff_id.trim_start_matches("sha256:"))
}

/// An image's extracted layers, top first (as overlayfs stacks them).
pub fn layers_top_first(env: &TestEnv, diff_ids: &[String]) -> Vec<PathBuf> {
    diff_ids.iter().rev().map(|d| layer_dir(env, d)).collect()
}

/// The first id of the test user's range in /etc/subuid.
pub fn subuid_start(env: &TestEnv) -> u32 {
    let text = fs::read_to_string("/etc/subuid").expect("read /etc/subuid");
    text.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f[0] == env.user.name || f[0] == env.user.uid.to_string())
                .then(|| f[1].parse().expect("a number in /etc/subuid"))
        })
        .expect("test user has a subuid range")
}

/// The host uid a container uid lands on under rl's map (0 = the user, 1.. = the range).
pub fn host_uid(env: &TestEnv, cuid: u32) -> u32 {
    if cuid == 0 {
        env.user.uid
    } else {
        subuid_start(env) + cuid - 1
    }
}
