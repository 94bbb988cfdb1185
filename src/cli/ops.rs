//! Commands that look at or act on a container's processes and changes: `pause`, `unpause`,
//! `top`, `port`, `diff`, `stats`.
//!
//! rl has no cgroups to work with (nothing is delegated to unprivileged users on cgroup v1), so
//! these work from /proc: a container's processes are the ones in its pid namespace (the
//! `ns/pid` link of its first process). Reading another process's namespace links needs ptrace
//! access, which rl has only inside the container's user namespace: joining it happens in a
//! forked child when several containers are involved (their namespaces may differ).

use std::io::{Read, Write};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};

/// Containers (names or id prefixes), for `pause` and `unpause`.
#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Every running container (`pause`) or every paused one (`unpause`)
    #[arg(short, long)]
    pub all: bool,
}

/// Options of `rl port`.
#[derive(Debug, clap::Args)]
pub struct PortArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER", required_unless_present = "all")]
    pub container: Option<String>,
    /// Only this private port (PORT[/PROTOCOL])
    #[arg(value_name = "PORT")]
    pub port: Option<String>,
    /// Every container
    #[arg(short, long, conflicts_with = "container")]
    pub all: bool,
}

fn not_running(rec: &Record) -> Error {
    Error::Msg(format!(
        "container {} is not running (state {})",
        rec.name, rec.state
    ))
}

/// The host pid of a running container's first process.
fn live_pid(rec: &Record) -> Result<i32> {
    match rec.pid {
        Some(p) if rec.is_running() && container::alive(rec.pid, rec.pid_start) => Ok(p),
        _ => Err(not_running(rec)),
    }
}

/// The text of `/proc/PID/ns/pid` (`pid:[4026532...]`).
fn pid_ns(pid: i32) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()
}

/// Every process (host pids, ascending) in the pid namespace of `pid`. Needs ptrace access to
/// them: run it inside the container's user namespace.
fn ns_members(pid: i32) -> Vec<i32> {
    let Some(ns) = pid_ns(pid) else {
        return Vec::new();
    };
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&n| pid_ns(n).as_ref() == Some(&ns))
        .collect();
    pids.sort_unstable();
    pids
}

/// Run `f` in a forked child that joined the user namespace of the container process `pid`,
/// and return what it returned. rl is single-threaded here, so forking is safe.
fn in_userns_of<T, F>(pid: i32, f: F) -> Result<T>
where
    T: Serialize + for<'de> Deserialize<'de>,
    F: FnOnce() -> std::result::Result<T, String>,
{
    let (r, w) = crate::runtime::pipe()?;
    // The parent's copy of `w` goes with the closure when fork_into returns.
    let child = crate::runtime::sys::fork_into(move || {
        let out: std::result::Result<T, String> = crate::runtime::join_userns(pid)
            .map_err(|e| e.one_line())
            .and_then(|()| f());
        let bytes = serde_json::to_vec(&out).unwrap_or_default();
        let _ = std::fs::File::from(w).write_all(&bytes);
        0
    })
    .map_err(|e| Error::io("fork", e))?;
    let mut bytes = Vec::new();
    let _ = std::fs::File::from(r).read_to_end(&mut bytes);
    let _ = nix::sys::wait::waitpid(child, None);
    let out: std::result::Result<T, String> = serde_json::from_slice(&bytes).map_err(|_| {
        Error::Msg("the helper that joins the container's user namespace failed".into())
    })?;
    out.map_err(Error::Msg)
}

/// Field `i` (0-based, counted from the state, field 3) of /proc/PID/stat.
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Send `sig` to every process of the pid namespace of `pid` until each one is (or is no
/// longer) in state `T` as `want_stopped` asks; new processes found on a rescan get it too.
fn signal_all(pid: i32, sig: Signal, want_stopped: bool) -> std::result::Result<(), String> {
    for _ in 0..200 {
        let pending: Vec<i32> = ns_members(pid)
            .into_iter()
            .filter(|&p| {
                stat_fields(p)
                    .and_then(|f| f.first().cloned())
                    .is_some_and(|s| s != "Z" && s != "X" && (s == "T") != want_stopped)
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        for p in pending {
            match nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), sig) {
                Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
                Err(e) => return Err(format!("signal process {p}: {}", e.desc())),
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Err("the container's processes did not all change state in time".into())
}

/// Let every process of a paused container run again (`rl stop` of a paused container: its
/// stop signal is queued, and is acted on once they run).
pub(crate) fn resume_all(pid: i32) -> Result<()> {
    in_userns_of(pid, move || signal_all(pid, Signal::SIGCONT, false))
}

/// Stop every process of a running container (SIGSTOP), as `rl pause` does (`rl commit --pause`).
pub(crate) fn stop_all(pid: i32) -> Result<()> {
    in_userns_of(pid, move || signal_all(pid, Signal::SIGSTOP, true))
}

/// Run `f` on each container under its lock, printing the names as given (as `stop` does).
fn each_locked(
    paths: &Paths,
    names: &[String],
    recs: Vec<Record>,
    f: impl Fn(&mut Record) -> Result<()>,
) -> Result<()> {
    let mut first_err = None;
    for (i, rec) in recs.iter().enumerate() {
        let res = container::lock(paths, &rec.id).and_then(|_lock| {
            let mut fresh = container::load(paths, &rec.id)?;
            f(&mut fresh)
        });
        match res {
            Ok(()) => {
                let shown = names.get(i).cloned().unwrap_or_else(|| rec.id.clone());
                super::print_stdout(&format!("{shown}\n"))?;
            }
            Err(e) if first_err.is_none() => first_err = Some(e),
            Err(e) => super::report(&e.one_line()),
        }
    }
    first_err.map_or(Ok(()), Err)
}

fn targets(paths: &Paths, a: &PauseArgs, what: &str, state: &str) -> Result<Vec<Record>> {
    if a.all {
        return Ok(container::list_live(paths)
            .into_iter()
            .filter(|r| r.is_running() && r.state == state)
            .collect());
    }
    if a.containers.is_empty() {
        return Err(Error::Usage(format!(
            "{what} needs at least one container (or --all)"
        )));
    }
    a.containers
        .iter()
        .map(|n| super::run::find_container(paths, n))
        .collect()
}

fn event(paths: &Paths, rec: &Record, action: &str) {
    crate::events::record(paths, &crate::container::event(rec, action));
}

/// `rl pause`: SIGSTOP every process of the container (there is no freezer to use).
pub fn pause(a: &PauseArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = targets(&paths, a, "pause", "running")?;
    each_locked(&paths, &a.containers, recs, |r| {
        if r.state == "paused" && r.is_running() {
            return Err(Error::Msg(format!(
                "container {} is already paused",
                r.name
            )));
        }
        if r.state != "running" {
            return Err(not_running(r));
        }
        let pid = live_pid(r)?;
        in_userns_of(pid, || signal_all(pid, Signal::SIGSTOP, true))?;
        r.state = "paused".into();
        container::save(&container::dir(&paths, &r.id), r)?;
        event(&paths, r, "pause");
        Ok(())
    })
}

/// `rl unpause`: SIGCONT every process of a paused container.
pub fn unpause(a: &PauseArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = targets(&paths, a, "unpause", "paused")?;
    each_locked(&paths, &a.containers, recs, |r| {
        if r.state != "paused" || !r.is_running() {
            return Err(Error::Msg(format!(
                "container {} is not paused (state {})",
                r.name, r.state
            )));
        }
        let pid = live_pid(r)?;
        in_userns_of(pid, || signal_all(pid, Signal::SIGCONT, false))?;
        r.state = "running".into();
        container::save(&container::dir(&paths, &r.id), r)?;
        event(&paths, r, "unpause");
        Ok(())
    })
}

/// `rl port`: containers publish no ports yet (rl has no port forwarding), so there is nothing
/// to list; an unknown container is still an error.
pub fn port(a: &PortArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let mut out = String::new();
    match &a.container {
        Some(c) => {
            let rec = super::run::find_container(&paths, c)?;
            for l in crate::network::spec::port_lines(&rec.ports, a.port.as_deref())? {
                out.push_str(&l);
                out.push('\n');
            }
        }
        None => {
            // --all: every running container, its id first as podman prints it.
            for rec in container::list_live(&paths) {
                if !rec.is_running() || rec.ports.is_empty() {
                    continue;
                }
                out.push_str(&format!("{}\n", &rec.id[..12]));
                for l in crate::network::spec::port_lines(&rec.ports, None)? {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
        }
    }
    super::print_stdout(&out)
}

/// Options of `rl top`.
#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// podman's descriptors (comma or space separated): user, pid, ppid, pcpu, etime, tty, time,
    /// args, comm, group, nice, pgid, rgroup, ruser, state, vsz, rss, hpid, hppid, huser, hgroup,
    /// stime, capeff, capprm, capbnd, capinh, capamb, seccomp; also ps's `-o LIST` / `-eo LIST`
    #[arg(
        value_name = "DESCRIPTORS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub descriptors: Vec<String>,
}

/// What rl reads of one process from /proc.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProcInfo {
    host_pid: i32,
    host_ppid: i32,
    /// The pid inside the innermost pid namespace (the last `NSpid:` field).
    ns_pid: Option<i32>,
    /// The real uid as the reader's user namespace sees it.
    uid: Option<u32>,
    /// utime + stime, clock ticks.
    cpu_ticks: u64,
    /// Start, clock ticks after boot.
    start_ticks: u64,
    tty_nr: u64,
    rss_pages: u64,
    command: String,
    /// The rest of /proc/PID/stat and status that descriptors may ask for.
    #[serde(default)]
    more: ProcMore,
}

/// What only some `top` descriptors show.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProcMore {
    comm: String,
    state: String,
    pgid: i32,
    nice: i64,
    vsz_bytes: u64,
    ruid: Option<u32>,
    gid: Option<u32>,
    rgid: Option<u32>,
    /// CapEff, CapPrm, CapBnd, CapInh, CapAmb (hex, as status prints them).
    caps: [String; 5],
    seccomp: String,
}

/// The real uid and the innermost pid of a /proc/PID/status text.
fn parse_status(text: &str) -> (Option<u32>, Option<i32>) {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::split_whitespace)
    };
    let uid = field("Uid:").and_then(|mut f| f.next()?.parse().ok());
    let ns_pid = field("NSpid:").and_then(|f| f.last()?.parse().ok());
    (uid, ns_pid)
}

fn read_proc(pid: i32) -> Option<ProcInfo> {
    let f = stat_fields(pid)?;
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let (uid, ns_pid) = parse_status(&status);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut command = cmdline
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    if command.is_empty() {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if let (Some(a), Some(b)) = (stat.find('('), stat.rfind(')')) {
            command = format!("[{}]", &stat[a + 1..b]);
        }
    }
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let ids = |key: &str, i: usize| field(key).get(i).and_then(|v| v.parse::<u32>().ok());
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let comm = match (stat.find('('), stat.rfind(')')) {
        (Some(a), Some(b)) if a < b => stat[a + 1..b].to_string(),
        _ => String::new(),
    };
    let first = |key: &str| field(key).into_iter().next().unwrap_or_default();
    let more = ProcMore {
        comm,
        state: f.first().cloned().unwrap_or_default(),
        pgid: f.get(2).and_then(|v| v.parse().ok()).unwrap_or(0),
        nice: f.get(16).and_then(|v| v.parse().ok()).unwrap_or(0),
        vsz_bytes: num(20),
        ruid: uid,
        gid: ids("Gid:", 1),
        rgid: ids("Gid:", 0),
        caps: [
            first("CapEff:"),
            first("CapPrm:"),
            first("CapBnd:"),
            first("CapInh:"),
            first("CapAmb:"),
        ],
        seccomp: match first("Seccomp:").as_str() {
            "0" => "disabled".into(),
            "1" => "strict".into(),
            "2" => "filter".into(),
            _ => "?".into(),
        },
    };
    Some(ProcInfo {
        host_pid: pid,
        host_ppid: f.get(1)?.parse().ok()?,
        ns_pid,
        // The effective uid is what ps's USER shows; RUSER the real one.
        uid: ids("Uid:", 1).or(uid),
        cpu_ticks: num(11) + num(12),
        start_ticks: num(19),
        tty_nr: num(4),
        rss_pages: num(21),
        command,
        more,
    })
}

fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
        .filter(|&v| v > 0)
        .unwrap_or(100)
}

/// Seconds since boot, in nanoseconds.
fn uptime_nanos() -> u64 {
    let text = std::fs::read_to_string("/proc/uptime").unwrap_or_default();
    let secs = text.split_whitespace().next().unwrap_or("0");
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
    let frac = format!("{frac:0<9}");
    whole.parse::<u64>().unwrap_or(0) * 1_000_000_000 + frac[..9].parse::<u64>().unwrap_or(0)
}

/// A duration as Go's `time.Duration.String` writes it ("0s", "450ms", "12.34s", "3m5.5s",
/// "1h0m2s"): podman's form for ELAPSED and TIME (rl's precision is the clock tick).
fn go_duration(nanos: u64) -> String {
    fn frac(n: u64, unit: u64, digits: usize, suffix: &str) -> String {
        let f = format!("{:0digits$}", n % unit);
        let f = f.trim_end_matches('0');
        if f.is_empty() {
            format!("{}{suffix}", n / unit)
        } else {
            format!("{}.{f}{suffix}", n / unit)
        }
    }
    match nanos {
        0 => "0s".into(),
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => frac(n, 1_000, 3, "µs"),
        n if n < 1_000_000_000 => frac(n, 1_000_000, 6, "ms"),
        n => {
            let secs = n / 1_000_000_000;
            let (h, m) = (secs / 3600, secs / 60 % 60);
            let mut out = String::new();
            if h > 0 {
                out.push_str(&format!("{h}h"));
            }
            if h > 0 || m > 0 {
                out.push_str(&format!("{m}m"));
            }
            out + &frac(n % 60_000_000_000, 1_000_000_000, 9, "s")
        }
    }
}

/// The terminal of a `tty_nr` (field 7 of /proc/PID/stat): `pts/N`, `ttyN`, or `?`.
fn tty_name(tty_nr: u64) -> String {
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    match major {
        0 => "?".into(),
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        _ => format!("{major}:{minor}"),
    }
}

/// uid -> user name from an /etc/passwd text.
fn passwd_names(passwd: &str) -> std::collections::HashMap<u32, String> {
    passwd
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

/// `rl top`'s lines (header first): podman's default columns.
/// podman's `top` descriptors: (name, header).
const DESCRIPTORS: &[(&str, &str)] = &[
    ("args", "COMMAND"),
    ("capamb", "AMBIENT CAPS"),
    ("capbnd", "BOUNDING CAPS"),
    ("capeff", "EFFECTIVE CAPS"),
    ("capinh", "INHERITED CAPS"),
    ("capprm", "PERMITTED CAPS"),
    ("comm", "COMMAND"),
    ("etime", "ELAPSED"),
    ("group", "GROUP"),
    ("hgroup", "HGROUP"),
    ("hpid", "HPID"),
    ("hppid", "HPPID"),
    ("huser", "HUSER"),
    ("nice", "NI"),
    ("pcpu", "%CPU"),
    ("pgid", "PGID"),
    ("pid", "PID"),
    ("ppid", "PPID"),
    ("rgroup", "RGROUP"),
    ("rss", "RSS"),
    ("ruser", "RUSER"),
    ("seccomp", "SECCOMP"),
    ("state", "STATE"),
    ("stime", "STIME"),
    ("time", "TIME"),
    ("tty", "TTY"),
    ("user", "USER"),
    ("vsz", "VSZ"),
];

/// podman's default: `user,pid,ppid,pcpu,etime,tty,time,args`.
const DEFAULT_DESCRIPTORS: &[&str] = &[
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
];

/// The descriptors asked for: podman's words, comma or space separated, after an optional ps
/// `-o`/`-eo`/`-ef` style flag (ps's own `-e`, `-f` alone select the default columns).
fn parse_descriptors(args: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for a in args {
        if a.starts_with('-') {
            // `-eo` / `-o`: the list follows; other ps flags (`-e`, `-f`, `-a`) change nothing here.
            continue;
        }
        for d in a.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let d = d.to_ascii_lowercase();
            // ps spellings of podman's words.
            let d = match d.as_str() {
                "%cpu" | "pcpu" | "c" => "pcpu".to_string(),
                "cmd" | "command" => "args".to_string(),
                "euser" | "uname" => "user".to_string(),
                "egroup" => "group".to_string(),
                "ni" => "nice".to_string(),
                "s" | "stat" => "state".to_string(),
                "start" | "lstart" => "stime".to_string(),
                "cputime" => "time".to_string(),
                "tt" | "tname" => "tty".to_string(),
                "rssize" | "rsz" => "rss".to_string(),
                "vsize" => "vsz".to_string(),
                "pgrp" => "pgid".to_string(),
                _ => d,
            };
            if !DESCRIPTORS.iter().any(|(n, _)| *n == d) {
                return Err(Error::Usage(format!(
                    "unknown top descriptor {d:?}: want some of {}",
                    DESCRIPTORS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            out.push(d);
        }
    }
    if out.is_empty() {
        out = DEFAULT_DESCRIPTORS
            .iter()
            .map(|d| (*d).to_string())
            .collect();
    }
    Ok(out)
}

/// Names of ids from the container's /etc/passwd and /etc/group, and the user namespace's maps
/// to show host ids.
#[derive(Debug, Default)]
struct Names {
    users: std::collections::HashMap<u32, String>,
    groups: std::collections::HashMap<u32, String>,
    uid_map: Vec<(u32, u32, u32)>,
    gid_map: Vec<(u32, u32, u32)>,
}

pub(crate) fn map_to_host(map: &[(u32, u32, u32)], id: u32) -> Option<u32> {
    map.iter()
        .find(|(inside, _, len)| id >= *inside && id - inside < *len)
        .map(|(inside, outside, _)| outside + (id - inside))
}

pub(crate) fn parse_map(text: &str) -> Vec<(u32, u32, u32)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace().map(|v| v.parse::<u32>().ok());
            Some((f.next()??, f.next()??, f.next()??))
        })
        .collect()
}

fn top_lines(
    procs: &[ProcInfo],
    names: &Names,
    descriptors: &[String],
    now_ticks_nanos: u64,
    hz: u64,
    boot_secs: u64,
) -> Vec<String> {
    let ns_of: std::collections::HashMap<i32, i32> = procs
        .iter()
        .filter_map(|p| Some((p.host_pid, p.ns_pid?)))
        .collect();
    let tick = 1_000_000_000 / hz;
    let page = 4096u64;
    let name = |m: &std::collections::HashMap<u32, String>, id: Option<u32>| {
        id.map_or_else(
            || "?".to_string(),
            |u| m.get(&u).cloned().unwrap_or_else(|| u.to_string()),
        )
    };
    let mut rows: Vec<(i32, String)> = procs
        .iter()
        .map(|p| {
            let elapsed = now_ticks_nanos.saturating_sub(p.start_ticks * tick);
            let cpu = p.cpu_ticks * tick;
            let pid = p.ns_pid.unwrap_or(p.host_pid);
            let cells: Vec<String> = descriptors
                .iter()
                .map(|d| match d.as_str() {
                    "user" => name(&names.users, p.uid),
                    "ruser" => name(&names.users, p.more.ruid),
                    "group" => name(&names.groups, p.more.gid),
                    "rgroup" => name(&names.groups, p.more.rgid),
                    "huser" => p
                        .uid
                        .and_then(|u| map_to_host(&names.uid_map, u))
                        .map_or_else(|| "?".into(), |u| u.to_string()),
                    "hgroup" => p
                        .more
                        .gid
                        .and_then(|g| map_to_host(&names.gid_map, g))
                        .map_or_else(|| "?".into(), |g| g.to_string()),
                    "pid" => pid.to_string(),
                    "ppid" => ns_of.get(&p.host_ppid).copied().unwrap_or(0).to_string(),
                    "hpid" => p.host_pid.to_string(),
                    "hppid" => p.host_ppid.to_string(),
                    "pcpu" => {
                        #[allow(clippy::cast_precision_loss)]
                        let pct = if elapsed == 0 {
                            0.0
                        } else {
                            cpu as f64 * 100.0 / elapsed as f64
                        };
                        format!("{pct:.3}")
                    }
                    // Elapsed to the clock tick (rl's precision), TIME to the second as ps.
                    "etime" => go_duration(elapsed / tick * tick),
                    "time" => go_duration(cpu / 1_000_000_000 * 1_000_000_000),
                    "tty" => tty_name(p.tty_nr),
                    "args" => p.command.clone(),
                    "comm" => p.more.comm.clone(),
                    "nice" => p.more.nice.to_string(),
                    "pgid" => ns_of
                        .get(&p.more.pgid)
                        .copied()
                        .unwrap_or(p.more.pgid)
                        .to_string(),
                    "state" => p.more.state.clone(),
                    "rss" => (p.rss_pages * page / 1024).to_string(),
                    "vsz" => (p.more.vsz_bytes / 1024).to_string(),
                    "stime" => {
                        let secs = boot_secs + p.start_ticks / hz;
                        crate::format::time::rfc3339(secs.cast_signed())
                    }
                    "capeff" => p.more.caps[0].clone(),
                    "capprm" => p.more.caps[1].clone(),
                    "capbnd" => p.more.caps[2].clone(),
                    "capinh" => p.more.caps[3].clone(),
                    "capamb" => p.more.caps[4].clone(),
                    "seccomp" => p.more.seccomp.clone(),
                    _ => String::new(),
                })
                .collect();
            (pid, cells.join("\t"))
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let header: Vec<&str> = descriptors
        .iter()
        .map(|d| {
            DESCRIPTORS
                .iter()
                .find(|(n, _)| n == d)
                .map_or("?", |(_, h)| *h)
        })
        .collect();
    let mut lines = vec![header.join("\t")];
    lines.extend(rows.into_iter().map(|r| r.1));
    lines
}

/// The boot time, seconds since the epoch (`btime` of /proc/stat).
fn boot_secs() -> u64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `rl top`: the container's processes, read from /proc inside its user namespace (so that
/// uids are the container's own).
pub fn top(a: &TopArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let rec = super::run::find_container(&paths, &a.container)?;
    let pid = live_pid(&rec)?;
    crate::runtime::join_userns(pid)?;
    let procs: Vec<ProcInfo> = ns_members(pid).into_iter().filter_map(read_proc).collect();
    if procs.is_empty() {
        return Err(not_running(&rec));
    }
    let descriptors = parse_descriptors(&a.descriptors)?;
    let names = Names {
        users: super::exec::container_file(pid, "/etc/passwd")
            .map(|p| passwd_names(&p))
            .unwrap_or_default(),
        groups: super::exec::container_file(pid, "/etc/group")
            .map(|p| passwd_names(&p))
            .unwrap_or_default(),
        uid_map: parse_map(
            &std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap_or_default(),
        ),
        gid_map: parse_map(
            &std::fs::read_to_string(format!("/proc/{pid}/gid_map")).unwrap_or_default(),
        ),
    };
    let lines = top_lines(
        &procs,
        &names,
        &descriptors,
        uptime_nanos(),
        clock_ticks(),
        boot_secs(),
    );
    super::print_stdout(&crate::format::tabulate(&lines))
}

/// Options of `rl diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// Output format: json
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// One change: `C`, `A` or `D`, and the path relative to `/`.
type Change = (char, String);

/// The changes an upper directory holds over the image whose layers (top first) are given,
/// sorted by path. `image_has` says whether the image has a path (relative to `/`).
fn changes(upper: &std::path::Path, image_has: &dyn Fn(&str) -> bool) -> Vec<Change> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let mut out = Vec::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(upper.join(&rel)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let Ok(m) = e.metadata() else {
                continue;
            };
            if container::is_own_mount_point(upper, &path, &m) {
                continue;
            }
            if m.file_type().is_char_device() && m.rdev() == 0 {
                out.push(('D', path));
                continue;
            }
            out.push((if image_has(&path) { 'C' } else { 'A' }, path.clone()));
            if m.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

/// The image's entries directly under `rel` (a directory of the merged image).
fn image_children(layers: &[std::path::PathBuf], rel: &str) -> Vec<String> {
    let mut names: Vec<String> = layers
        .iter()
        .filter_map(|l| std::fs::read_dir(l.join(rel)).ok())
        .flat_map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| format!("{rel}/{n}"))
        .filter(|p| container::image_has(layers, p))
        .collect()
}

/// `rl diff`: what the container changed, from its upper directory.
pub fn diff(a: &DiffArgs) -> Result<()> {
    let json = match a.format.as_deref() {
        None => false,
        Some("json") => true,
        Some(f) => {
            return Err(Error::Usage(format!(
                "invalid --format {f:?}: rl diff knows only json"
            )));
        }
    };
    let paths = Paths::from_env()?;
    let rec = super::run::find_container(&paths, &a.container)?;
    let dir = container::dir(&paths, &rec.id);
    let created: super::run::Created = std::fs::read(dir.join("bundle.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            Error::Msg(format!(
                "container {} has no saved bundle (it was run in the foreground): rl cannot tell its changes from its image",
                rec.name
            ))
        })?;
    let layers = created.bundle.layers;
    // The upper directory holds files of the container's users (subordinate ids).
    super::lifecycle::ensure_userns()?;
    let upper = dir.join("upper");
    let mut found = changes(&upper, &|p| container::image_has(&layers, p));
    // An opaque directory hides what the image had there: those entries are deleted.
    let opaque: Vec<String> = found
        .iter()
        .filter(|(k, p)| {
            *k == 'C'
                && crate::runtime::sys::xattr_len(&upper.join(p), "user.overlay.opaque").is_some()
        })
        .map(|(_, p)| p.clone())
        .collect();
    for d in opaque {
        for child in image_children(&layers, &d) {
            if std::fs::symlink_metadata(upper.join(&child)).is_err() {
                found.push(('D', child));
            }
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    let text = if json {
        let pick = |k: char| -> Vec<String> {
            found
                .iter()
                .filter(|c| c.0 == k)
                .map(|c| format!("/{}", c.1))
                .collect()
        };
        let mut v = serde_json::Map::new();
        for (key, k) in [("changed", 'C'), ("added", 'A'), ("deleted", 'D')] {
            let list = pick(k);
            if !list.is_empty() {
                v.insert(key.into(), serde_json::json!(list));
            }
        }
        let mut s = serde_json::to_string_pretty(&v)
            .map_err(|e| Error::Msg(format!("encode output: {e}")))?;
        s.push('\n');
        s
    } else {
        found.iter().map(|(k, p)| format!("{k} /{p}\n")).collect()
    };
    super::print_stdout(&text)
}

/// Options of `rl stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Containers (names or id prefixes); default: every running container
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Every running container
    #[arg(short, long)]
    pub all: bool,
    /// Print one snapshot and exit (default: a new one every interval until interrupted)
    #[arg(long)]
    pub no_stream: bool,
    /// Show full container ids
    #[arg(long)]
    pub no_trunc: bool,
    /// Seconds between snapshots when streaming
    #[arg(short, long, value_name = "SECONDS", default_value_t = 1)]
    pub interval: u64,
    /// Output format: json or a Go template ({{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDS}})
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// One container's sums over its processes.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    pids: usize,
    cpu_nanos: u64,
    rss_bytes: u64,
    at_nanos: u64,
}

fn sample(pid: i32) -> Result<Sample> {
    let members = in_userns_of(pid, || Ok(ns_members(pid)))?;
    let tick = 1_000_000_000 / clock_ticks();
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(4096);
    let mut s = Sample {
        at_nanos: uptime_nanos(),
        ..Sample::default()
    };
    for p in members.into_iter().filter_map(read_proc) {
        s.pids += 1;
        s.cpu_nanos += p.cpu_ticks * tick;
        s.rss_bytes += p.rss_pages * page;
    }
    Ok(s)
}

fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// podman's percentages: two decimals, `--` for zero.
fn percent(part: u64, whole: u64) -> String {
    if part == 0 || whole == 0 {
        return "--".into();
    }
    #[allow(clippy::cast_precision_loss)]
    let v = part as f64 * 100.0 / whole as f64;
    format!("{v:.2}%")
}

/// One row of `rl stats` (template fields as podman names them).
fn stats_row(rec: &Record, now: Sample, prev: Sample, start: u64, limit: u64, full: bool) -> Value {
    let id = if full {
        rec.id.as_str()
    } else {
        rec.short_id()
    };
    let mem = format!(
        "{} / {}",
        crate::format::human_size(now.rss_bytes),
        crate::format::human_size(limit)
    );
    serde_json::json!({
        "ID": id,
        "Name": rec.name,
        "CPUPerc": percent(now.cpu_nanos.saturating_sub(prev.cpu_nanos), now.at_nanos.saturating_sub(prev.at_nanos)),
        "AVGCPU": percent(now.cpu_nanos, now.at_nanos.saturating_sub(start)),
        "MemUsage": mem,
        "MemPerc": percent(now.rss_bytes, limit),
        "NetIO": "-- / --",
        "BlockIO": "-- / --",
        "PIDS": now.pids.to_string(),
        "Up": go_duration(now.cpu_nanos),
        "CPUNano": now.cpu_nanos,
        "MemUsageBytes": now.rss_bytes,
        "MemLimit": limit,
    })
}

fn stats_json(row: &Value) -> Value {
    serde_json::json!({
        "id": row["ID"],
        "name": row["Name"],
        "cpu_time": row["Up"],
        "cpu_percent": row["CPUPerc"],
        "avg_cpu": row["AVGCPU"],
        "mem_usage": row["MemUsage"],
        "mem_percent": row["MemPerc"],
        "net_io": row["NetIO"],
        "block_io": row["BlockIO"],
        "pids": row["PIDS"],
    })
}

fn stats_header(field: &str) -> String {
    match field {
        "ID" => "ID".into(),
        "CPUPerc" => "CPU %".into(),
        "AVGCPU" => "AVG CPU %".into(),
        "MemUsage" => "MEM USAGE / LIMIT".into(),
        "MemPerc" => "MEM %".into(),
        "NetIO" => "NET IO".into(),
        "BlockIO" => "BLOCK IO".into(),
        "PIDS" => "PIDS".into(),
        "Up" => "CPU TIME".into(),
        f => crate::format::default_header(f),
    }
}

const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.Up}}\t{{.AVGCPU}}";

/// `rl stats`: sums over /proc of each container's processes (no cgroups to read here).
pub fn stats(a: &StatsArgs) -> Result<()> {
    use std::io::IsTerminal;
    let paths = Paths::from_env()?;
    let format = crate::format::Format::parse(a.format.as_deref())?;
    let named = !a.containers.is_empty() && !a.all;
    let recs: Vec<Record> = if named {
        a.containers
            .iter()
            .map(|n| super::run::find_container(&paths, n))
            .collect::<Result<_>>()?
    } else {
        container::list_live(&paths)
            .into_iter()
            .filter(Record::is_running)
            .collect()
    };
    for r in &recs {
        live_pid(r)?;
    }
    let _ = writeln!(
        std::io::stderr(),
        "Note: cgroups are not delegated to this user; rl stats sums /proc of the container's processes"
    );
    let limit = mem_total();
    let tick = 1_000_000_000 / clock_ticks();
    // The first CPU % is the average since each container's start, as podman's.
    let mut prev: Vec<Sample> = recs
        .iter()
        .map(|r| {
            let start = r.pid_start.map_or(0, |s| s * tick);
            Sample {
                at_nanos: start,
                ..Sample::default()
            }
        })
        .collect();
    let starts: Vec<u64> = prev.iter().map(|s| s.at_nanos).collect();
    let tty = std::io::stdout().is_terminal();
    loop {
        let mut rows = Vec::new();
        for (i, r) in recs.iter().enumerate() {
            let pid = live_pid(r)?;
            let now = sample(pid)?;
            rows.push(stats_row(r, now, prev[i], starts[i], limit, a.no_trunc));
            prev[i] = now;
        }
        let json: Vec<Value> = rows.iter().map(stats_json).collect();
        let text = format
            .render_list(&json, &rows, STATS_TABLE, &stats_header)
            .map_err(|e| Error::Msg(e.to_string()))?;
        if !a.no_stream && tty {
            super::print_stdout("\x1b[2J\x1b[H")?;
        }
        super::print_stdout(&text)?;
        if a.no_stream {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(a.interval.max(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_gives_the_real_uid_and_innermost_pid() {
        let text = "Name:\tsh\nPPid:\t10\nUid:\t1000\t1001\t1002\t1003\nNSpid:\t4242\t17\t1\n";
        assert_eq!(parse_status(text), (Some(1000), Some(1)));
        assert_eq!(
            parse_status("Uid:\t0\t0\t0\t0\nNSpid:\t9\n"),
            (Some(0), Some(9))
        );
        assert_eq!(parse_status(""), (None, None));
    }

    #[test]
    fn durations_as_go_writes_them() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(20_000_000), "20ms");
        assert_eq!(go_duration(12_340_000_000), "12.34s");
        assert_eq!(go_duration(185_500_000_000), "3m5.5s");
        assert_eq!(go_duration(3_602_000_000_000), "1h0m2s");
    }

    #[test]
    fn percentages_as_podman_prints_them() {
        assert_eq!(percent(0, 100), "--");
        assert_eq!(percent(1, 0), "--");
        assert_eq!(percent(1, 400), "0.25%");
        assert_eq!(percent(3, 3), "100.00%");
    }

    #[test]
    fn terminals_by_device_number() {
        assert_eq!(tty_name(0), "?");
        assert_eq!(tty_name(136 << 8 | 3), "pts/3");
        assert_eq!(tty_name(4 << 8 | 1), "tty1");
    }

    #[test]
    fn top_columns_use_container_pids_and_names() {
        let procs = [
            ProcInfo {
                host_pid: 500,
                host_ppid: 400,
                ns_pid: Some(1),
                uid: Some(0),
                cpu_ticks: 100,
                start_ticks: 1000,
                command: "sh -c loop".into(),
                ..ProcInfo::default()
            },
            ProcInfo {
                host_pid: 501,
                host_ppid: 500,
                ns_pid: Some(7),
                uid: Some(1234),
                start_ticks: 1900,
                command: "sleep 1".into(),
                ..ProcInfo::default()
            },
        ];
        let names = Names {
            users: passwd_names("root:x:0:0:root:/root:/bin/sh\n"),
            uid_map: vec![(0, 1000, 1), (1, 100_000, 65536)],
            ..Names::default()
        };
        let default = parse_descriptors(&[]).unwrap();
        // 20 s after boot, 100 ticks a second: the first started 10 s ago and used 1 s.
        let lines = top_lines(&procs, &names, &default, 20_000_000_000, 100, 0);
        assert_eq!(
            lines[0],
            "USER\tPID\tPPID\t%CPU\tELAPSED\tTTY\tTIME\tCOMMAND"
        );
        assert_eq!(lines[1], "root\t1\t0\t10.000\t10s\t?\t1s\tsh -c loop");
        assert_eq!(lines[2], "1234\t7\t1\t0.000\t1s\t?\t0s\tsleep 1");
        let asked = parse_descriptors(&["-eo".into(), "pid,huser".into(), "hpid".into()]).unwrap();
        let lines = top_lines(&procs, &names, &asked, 20_000_000_000, 100, 0);
        assert_eq!(
            lines,
            ["PID\tHUSER\tHPID", "1\t1000\t500", "7\t101233\t501"]
        );
        assert!(
            parse_descriptors(&["pid,bogus".into()])
                .unwrap_err()
                .to_string()
                .contains("bogus")
        );
        assert_eq!(
            parse_descriptors(&["%CPU".into(), "cmd".into()]).unwrap(),
            ["pcpu", "args"]
        );
    }

    #[test]
    fn diff_classifies_upper_entries() {
        let t = tempfile::tempdir().unwrap();
        let up = t.path();
        std::fs::create_dir_all(up.join("etc")).unwrap();
        std::fs::write(up.join("etc/newfile"), "x").unwrap();
        std::fs::write(up.join("etc/passwd"), "x").unwrap();
        std::fs::write(up.join("etc/hosts"), "x").unwrap();
        std::fs::create_dir_all(up.join("dev")).unwrap();
        std::fs::create_dir_all(up.join("proc/x")).unwrap();
        let image = ["etc", "etc/passwd", "dev", "proc"];
        let found = changes(up, &|p| image.contains(&p));
        let want: Vec<Change> = vec![
            ('C', "etc".into()),
            ('A', "etc/newfile".into()),
            ('C', "etc/passwd".into()),
            ('C', "proc".into()),
            ('A', "proc/x".into()),
        ];
        assert_eq!(found, want);
    }
}
