//! `rl info`: what a rootless user needs to know about this machine, each item checked for real
//! (ids mapped through the helpers, an overlay mounted, devices opened), not guessed.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::config::Paths;
use crate::error::Result;
use crate::rootfs::{self, OverlayProbe};
use crate::userns::{self, HelperInfo, IdMapping, IdRange, Identity, MapProbe};

/// Everything `rl info` reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// The machine and what it offers a rootless user.
    pub host: Host,
    /// Where rl keeps its state, and how big it is.
    pub store: Store,
    /// rl's own version.
    pub version: crate::version::VersionInfo,
    /// Problems a user should act on, one line each, with the fix.
    pub warnings: Vec<String>,
}

/// The machine.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Host {
    /// GOARCH-style architecture (amd64, arm64, ...).
    pub arch: String,
    /// Always linux.
    pub os: String,
    /// Kernel release.
    pub kernel: String,
    /// PRETTY_NAME from /etc/os-release.
    pub distribution: String,
    /// Host name.
    pub hostname: String,
    /// Online CPUs.
    pub cpus: usize,
    /// MemTotal in bytes.
    pub mem_total: u64,
    /// rl runs as an unprivileged user (false when run as root, which is mapped the same way).
    pub rootless: bool,
    /// Who rl runs as and how ids are mapped.
    pub id_mappings: IdMappings,
    /// Kernel overlay inside a user namespace.
    pub overlay: OverlayProbe,
    /// /dev/fuse, for the FUSE overlay fallback.
    pub fuse: Device,
    /// /dev/net/tun, for slirp4netns and pasta.
    pub tun: Device,
    /// User-mode network helpers.
    pub network: Network,
    /// Control groups.
    pub cgroups: Cgroups,
}

/// Identity, ranges, helpers and the maps rl will use.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdMappings {
    /// Login name.
    pub user: String,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Ranges in /etc/subuid.
    pub subuids: Vec<IdRange>,
    /// Ranges in /etc/subgid.
    pub subgids: Vec<IdRange>,
    /// newuidmap.
    pub newuidmap: HelperInfo,
    /// newgidmap.
    pub newgidmap: HelperInfo,
    /// A real user namespace mapped through the helpers.
    pub probe: MapProbe,
    /// `subuid` when the full ranges are usable, `single-id` otherwise.
    pub mode: String,
    /// The uid map containers get.
    pub uidmap: Vec<IdMapping>,
    /// The gid map containers get.
    pub gidmap: Vec<IdMapping>,
}

/// A character device rl may need.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Its path.
    pub path: PathBuf,
    /// It opened read-write.
    pub usable: bool,
    /// Why not.
    pub error: Option<String>,
}

/// A helper program.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Program {
    /// Where it is, if installed.
    pub path: Option<PathBuf>,
    /// First line of its `--version`.
    pub version: Option<String>,
}

/// User-mode network helpers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    /// The stack `rl run` uses when `--network` does not say.
    pub default: String,
    /// slirp4netns.
    pub slirp4netns: Program,
    /// pasta (package passt).
    pub pasta: Program,
}

/// Control groups as rl sees them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cgroups {
    /// `v2`, `v1 (hybrid)` or `v1`.
    pub version: String,
    /// Controllers rl may use rootless (delegated to this user).
    pub delegated_controllers: Vec<String>,
    /// What that means for resource limits.
    pub note: String,
}

/// Store locations and sizes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    /// `$XDG_DATA_HOME/rl`.
    pub data_dir: PathBuf,
    /// `$XDG_RUNTIME_DIR/rl`.
    pub runtime_dir: PathBuf,
    /// `$XDG_CONFIG_HOME/rl`.
    pub config_dir: PathBuf,
    /// Images: blobs, layers, records.
    pub storage: DirUsage,
    /// Container records and writable layers.
    pub containers: DirUsage,
    /// Named volumes.
    pub volumes: DirUsage,
    /// Runtime state.
    pub runtime: DirUsage,
}

/// Disk usage of one directory tree.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirUsage {
    /// The directory.
    pub path: PathBuf,
    /// Bytes allocated on disk (hard links counted once).
    pub size: u64,
    /// Some entries could not be read (owned by a subordinate id): the size is a lower bound.
    pub partial: bool,
}

/// Gather everything. Forks probes, so call it while single-threaded.
pub fn gather(paths: &Paths) -> Result<Info> {
    let id = Identity::current()?;
    let newuidmap = userns::helper_info("newuidmap");
    let newgidmap = userns::helper_info("newgidmap");
    let probe = userns::probe_helpers(&id)?;
    let full = probe.uid_map_ok && probe.gid_map_ok;
    let (uidmap, gidmap) = if full {
        (
            userns::build_map(id.uid, &id.subuids),
            userns::build_map(id.gid, &id.subgids),
        )
    } else {
        (
            userns::build_map(id.uid, &[]),
            userns::build_map(id.gid, &[]),
        )
    };
    let mut warnings = Vec::new();
    if !full {
        warnings.push(format!(
            "single-id mapping: containers get only uid/gid 0 ({}); fix: {}",
            probe
                .error
                .as_deref()
                .unwrap_or("subordinate ids unavailable"),
            fix_for_ids(&id, &newuidmap, &newgidmap)
        ));
    }
    let overlay = rootfs::overlay_support(&paths.storage(), false)?;
    if !overlay.works {
        warnings.push(format!(
            "kernel overlay unavailable in a user namespace ({}); the FUSE overlay will be used",
            overlay.error.as_deref().unwrap_or("unknown reason")
        ));
    }
    let fuse = open_device("/dev/fuse");
    let tun = open_device("/dev/net/tun");
    for d in [&fuse, &tun] {
        if let Some(e) = &d.error {
            warnings.push(format!("{}: {e}", d.path.display()));
        }
    }
    let network = Network {
        default: match crate::network::DEFAULT_STACK {
            crate::network::spec::Stack::Slirp4netns => "slirp4netns".into(),
            crate::network::spec::Stack::Pasta => "pasta".into(),
        },
        slirp4netns: program("slirp4netns", "--version"),
        pasta: program("pasta", "--version"),
    };
    if network.slirp4netns.path.is_none() && network.pasta.path.is_none() {
        warnings.push(
            "neither slirp4netns nor pasta is installed: only --network none|host will work; \
             install slirp4netns or passt"
                .into(),
        );
    }
    let cgroups = cgroups(id.uid);
    let host = Host {
        arch: crate::version::go_arch().into(),
        os: "linux".into(),
        kernel: rootfs::kernel_release(),
        distribution: os_release(),
        hostname: nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        mem_total: mem_total(),
        rootless: id.uid != 0,
        id_mappings: IdMappings {
            user: id.user.clone(),
            uid: id.uid,
            gid: id.gid,
            subuids: id.subuids.clone(),
            subgids: id.subgids.clone(),
            newuidmap,
            newgidmap,
            mode: if full { "subuid" } else { "single-id" }.into(),
            probe,
            uidmap,
            gidmap,
        },
        overlay,
        fuse,
        tun,
        network,
        cgroups,
    };
    let store = Store {
        data_dir: paths.data.clone(),
        runtime_dir: paths.runtime.clone(),
        config_dir: paths.config.clone(),
        storage: usage(&paths.storage()),
        containers: usage(&paths.containers()),
        volumes: usage(&paths.volumes()),
        runtime: usage(&paths.runtime),
    };
    Ok(Info {
        host,
        store,
        version: crate::version::VersionInfo::current(),
        warnings,
    })
}

fn fix_for_ids(id: &Identity, uidmap: &HelperInfo, gidmap: &HelperInfo) -> String {
    if uidmap.path.is_none() || gidmap.path.is_none() {
        return "install newuidmap/newgidmap (Debian/Ubuntu: uidmap; Fedora: shadow-utils)".into();
    }
    if !uidmap.privileged || !gidmap.privileged {
        return "newuidmap/newgidmap must be setuid root or carry file capabilities \
                (reinstall the uidmap package)"
            .into();
    }
    format!(
        "as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {}",
        id.user
    )
}

fn open_device(path: &str) -> Device {
    let res = fs::OpenOptions::new().read(true).write(true).open(path);
    let error = res.err().map(|e| {
        let mode = fs::metadata(path)
            .map(|m| format!(" (mode {:o})", m.mode() & 0o777))
            .unwrap_or_default();
        match e.kind() {
            std::io::ErrorKind::PermissionDenied => {
                format!("cannot open: permission denied{mode}; fix as root: chmod 0666 {path}")
            }
            std::io::ErrorKind::NotFound => "missing: the kernel module is not loaded".to_string(),
            _ => format!("cannot open: {e}"),
        }
    });
    Device {
        path: path.into(),
        usable: error.is_none(),
        error,
    }
}

fn program(name: &str, version_flag: &str) -> Program {
    let path = userns::find_program(name);
    let version = path.as_ref().and_then(|p| {
        let out = Command::new(p).arg(version_flag).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().next().map(|l| l.trim().to_string())
    });
    Program { path, version }
}

fn os_release() -> String {
    let text = fs::read_to_string("/etc/os-release")
        .or_else(|_| fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn mem_total() -> u64 {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

const CGROUP2_MAGIC: nix::libc::__fsword_t = 0x6367_7270;

fn is_cgroup2(p: &str) -> bool {
    nix::sys::statfs::statfs(p).is_ok_and(|s| s.filesystem_type().0 == CGROUP2_MAGIC)
}

fn cgroups(uid: u32) -> Cgroups {
    let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let (version, delegated) = if is_cgroup2("/sys/fs/cgroup") {
        ("v2".to_string(), delegated_v2(&own, "/sys/fs/cgroup", uid))
    } else {
        let hybrid = is_cgroup2("/sys/fs/cgroup/unified");
        let v = if hybrid { "v1 (hybrid)" } else { "v1" };
        (v.to_string(), delegated_v1(&own, &mountinfo, uid))
    };
    let note = if version == "v2" && !delegated.is_empty() {
        "resource limits (--memory, --cpus, --pids-limit) available through the delegated subtree"
            .to_string()
    } else if version == "v2" {
        "no controllers delegated to this user: resource limits and the freezer are unavailable \
         rootless (a systemd user session delegates them)"
            .to_string()
    } else {
        "cgroup v1: rootless containers cannot use resource limits or the freezer \
         (boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2 with delegation)"
            .to_string()
    };
    Cgroups {
        version,
        delegated_controllers: delegated,
        note,
    }
}

fn writable_by(dir: &Path, uid: u32) -> bool {
    fs::metadata(dir).is_ok_and(|m| m.uid() == uid)
        && nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).is_ok()
}

/// Controllers enabled for our own cgroup when its directory is ours to write.
fn delegated_v2(own: &str, root: &str, uid: u32) -> Vec<String> {
    let Some(rel) = own.lines().find_map(|l| l.strip_prefix("0::")) else {
        return Vec::new();
    };
    let dir = Path::new(root).join(rel.trim_start_matches('/'));
    if !writable_by(&dir, uid) {
        return Vec::new();
    }
    fs::read_to_string(dir.join("cgroup.controllers"))
        .map(|c| c.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// v1 controllers whose hierarchy gives us a directory of our own.
fn delegated_v1(own: &str, mountinfo: &str, uid: u32) -> Vec<String> {
    let mut out = Vec::new();
    for line in own.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrls, rel) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or(""));
        for ctrl in ctrls
            .split(',')
            .filter(|c| !c.is_empty() && !c.starts_with("name="))
        {
            let Some(mnt) = v1_mount_point(mountinfo, ctrl) else {
                continue;
            };
            if writable_by(&mnt.join(rel.trim_start_matches('/')), uid) {
                out.push(ctrl.to_string());
            }
        }
    }
    out
}

fn v1_mount_point(mountinfo: &str, ctrl: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let mut post = post.split_whitespace();
        if post.next()? != "cgroup" {
            return None;
        }
        let opts = post.nth(1)?;
        opts.split(',')
            .any(|o| o == ctrl)
            .then(|| PathBuf::from(pre.split_whitespace().nth(4).unwrap_or("")))
    })
}

/// Disk usage of a tree, counting each inode once; unreadable parts make it partial.
pub fn usage(dir: &Path) -> DirUsage {
    let mut seen = HashSet::new();
    let mut size = 0u64;
    let mut partial = false;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => {
                partial = true;
                continue;
            }
        };
        for entry in rd.flatten() {
            let Ok(m) = entry.metadata() else {
                partial = true;
                continue;
            };
            if seen.insert((m.dev(), m.ino())) {
                size += m.blocks() * 512;
            }
            if m.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    DirUsage {
        path: dir.to_path_buf(),
        size,
        partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n\
        35 31 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";

    #[test]
    fn finds_v1_mount_points() {
        assert_eq!(
            v1_mount_point(MOUNTINFO, "cpuacct"),
            Some(PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"))
        );
        assert_eq!(
            v1_mount_point(MOUNTINFO, "memory"),
            Some(PathBuf::from("/sys/fs/cgroup/memory"))
        );
        assert_eq!(v1_mount_point(MOUNTINFO, "pids"), None);
    }

    #[test]
    fn nothing_is_delegated_without_an_own_directory() {
        assert!(delegated_v2("0::/user.slice\n", "/nonexistent", 1000).is_empty());
        assert!(delegated_v1("4:memory:/x\n", MOUNTINFO, 4_000_000).is_empty());
    }

    #[test]
    fn usage_counts_hard_links_once() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("a"), vec![1u8; 64 * 1024]).unwrap();
        let one = usage(t.path()).size;
        fs::hard_link(t.path().join("a"), t.path().join("b")).unwrap();
        assert_eq!(usage(t.path()).size, one);
        assert!(one >= 64 * 1024);
        assert_eq!(usage(&t.path().join("missing")).size, 0);
    }
}
