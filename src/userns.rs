//! User namespaces: the user's subordinate id ranges (/etc/subuid, /etc/subgid), the setuid
//! helpers newuidmap/newgidmap, and the id maps rl uses (container root = the user, 1..N = the
//! subordinate range; a single-id map when there is no range or no helper).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sched::CloneFlags;
use serde::Serialize;

use crate::runtime::sys;

pub mod pause;

/// Errors about user namespaces and id maps.
#[derive(Debug, thiserror::Error)]
pub enum UsernsError {
    /// A subordinate id file has a malformed line.
    #[error("{file}:{line}: malformed entry {text:?} (want NAME:START:COUNT)")]
    Malformed {
        /// /etc/subuid or /etc/subgid.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// Forking or waiting for the probe child failed.
    #[error("user namespace probe: {0}")]
    Probe(std::io::Error),
}

/// One `NAME:START:COUNT` range from /etc/subuid or /etc/subgid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IdRange {
    /// First host id of the range.
    pub start: u32,
    /// Number of ids.
    pub count: u32,
}

/// One line of a uid_map or gid_map: `container_id host_id size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdMapping {
    /// First id inside the namespace.
    pub container_id: u32,
    /// First id outside.
    pub host_id: u32,
    /// Number of ids.
    pub size: u32,
}

/// Parse a subordinate id file, returning the ranges of the user named `user` or with id `uid`
/// (both spellings are valid in the file). Comments and blank lines are skipped; malformed lines
/// that belong to the user are errors, other users' malformed lines are ignored.
pub fn parse_subid(
    file: &str,
    content: &str,
    user: &str,
    uid: u32,
) -> Result<Vec<IdRange>, UsernsError> {
    let uid_text = uid.to_string();
    let mut out = Vec::new();
    for (i, raw) in content.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let mut parts = text.split(':');
        let owner = parts.next().unwrap_or_default();
        if owner != user && owner != uid_text {
            continue;
        }
        let start = parts.next().and_then(|s| s.trim().parse::<u32>().ok());
        let count = parts.next().and_then(|s| s.trim().parse::<u32>().ok());
        match (start, count, parts.next()) {
            (Some(start), Some(count), None) if count > 0 && start.checked_add(count).is_some() => {
                out.push(IdRange { start, count })
            }
            _ => {
                return Err(UsernsError::Malformed {
                    file: file.to_string(),
                    line: i + 1,
                    text: text.to_string(),
                });
            }
        }
    }
    Ok(out)
}

/// The maps rl uses for a user: id 0 = the user, then the subordinate ranges in order.
/// Returns a single-id map when `ranges` is empty.
pub fn build_map(own: u32, ranges: &[IdRange]) -> Vec<IdMapping> {
    let mut maps = vec![IdMapping {
        container_id: 0,
        host_id: own,
        size: 1,
    }];
    let mut next = 1u32;
    for r in ranges {
        maps.push(IdMapping {
            container_id: next,
            host_id: r.start,
            size: r.count,
        });
        next = next.saturating_add(r.count);
    }
    maps
}

/// Number of ids a map covers on the inside.
pub fn map_size(maps: &[IdMapping]) -> u32 {
    maps.iter().fold(0u32, |n, m| n.saturating_add(m.size))
}

/// podman's `--userns=keep-id` map for a user namespace nested in rl's (whose ids are
/// `0..outer_size`, 0 being the user): container ids below `own` -> 1.., `own` -> 0 (the user),
/// the rest unchanged. None when rl's namespace is too small to hold it.
pub fn keep_id_map(own: u32, outer_size: u32) -> Option<Vec<IdMapping>> {
    if own == 0 {
        return Some(vec![IdMapping {
            container_id: 0,
            host_id: 0,
            size: outer_size,
        }]);
    }
    if outer_size <= own {
        return None;
    }
    let mut maps = vec![
        IdMapping {
            container_id: 0,
            host_id: 1,
            size: own,
        },
        IdMapping {
            container_id: own,
            host_id: 0,
            size: 1,
        },
    ];
    let rest = outer_size - own - 1;
    if rest > 0 {
        maps.push(IdMapping {
            container_id: own + 1,
            host_id: own + 1,
            size: rest,
        });
    }
    Some(maps)
}

/// Parse `--uidmap`/`--gidmap` values (`CONTAINER:HOST:SIZE`, HOST being an id in rl's user
/// namespace as in podman) and check them against that namespace's `outer_size` ids: sizes
/// non-zero, no range overlapping another on either side, at most 340 lines (the kernel's limit).
pub fn parse_id_maps(
    values: &[String],
    what: &str,
    outer_size: u32,
) -> Result<Vec<IdMapping>, String> {
    let mut maps: Vec<IdMapping> = Vec::new();
    for v in values {
        let nums: Vec<Option<u32>> = v.split(':').map(|n| n.trim().parse().ok()).collect();
        let [Some(c), Some(h), Some(n)] = nums.as_slice() else {
            return Err(format!(
                "invalid --{what} {v:?}: want CONTAINER_ID:HOST_ID:SIZE"
            ));
        };
        let (c, h, n) = (*c, *h, *n);
        if n == 0 || c.checked_add(n).is_none() || h.checked_add(n).is_none() {
            return Err(format!("invalid --{what} {v:?}: bad size"));
        }
        if u64::from(h) + u64::from(n) > u64::from(outer_size) {
            return Err(format!(
                "invalid --{what} {v:?}: ids {h}-{} are not in rl's user namespace (0-{}: your id and your subordinate range)",
                u64::from(h) + u64::from(n) - 1,
                outer_size.saturating_sub(1)
            ));
        }
        let overlaps = |a: u32, a_len: u32, b: u32| {
            u64::from(a) < u64::from(b) + u64::from(n)
                && u64::from(b) < u64::from(a) + u64::from(a_len)
        };
        for m in &maps {
            if overlaps(m.container_id, m.size, c) || overlaps(m.host_id, m.size, h) {
                return Err(format!("invalid --{what} {v:?}: overlaps another range"));
            }
        }
        maps.push(IdMapping {
            container_id: c,
            host_id: h,
            size: n,
        });
    }
    if maps.len() > 340 {
        return Err(format!("too many --{what} ranges (the kernel takes 340)"));
    }
    Ok(maps)
}

/// The host view of a nested map: `inner` maps container ids to ids of a namespace that `outer`
/// maps to the host; the result maps container ids to host ids (ranges split as needed).
pub fn compose(inner: &[IdMapping], outer: &[IdMapping]) -> Vec<IdMapping> {
    let mut out = Vec::new();
    for i in inner {
        let (lo, hi) = (
            u64::from(i.host_id),
            u64::from(i.host_id) + u64::from(i.size),
        );
        for o in outer {
            let (olo, ohi) = (
                u64::from(o.container_id),
                u64::from(o.container_id) + u64::from(o.size),
            );
            let (a, b) = (lo.max(olo), hi.min(ohi));
            if a >= b {
                continue;
            }
            let part = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
            out.push(IdMapping {
                container_id: part(u64::from(i.container_id) + (a - lo)),
                host_id: part(u64::from(o.host_id) + (a - olo)),
                size: part(b - a),
            });
        }
    }
    out.sort_by_key(|m| m.container_id);
    out
}

/// A setuid helper (newuidmap or newgidmap) and whether it looks usable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelperInfo {
    /// Where it was found, if anywhere.
    pub path: Option<PathBuf>,
    /// Setuid root, or carries file capabilities (security.capability).
    pub privileged: bool,
}

/// Look for `name` in $PATH, then in /usr/bin and /usr/sbin.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Find newuidmap or newgidmap and check that it can do its job (setuid root or file caps).
pub fn helper_info(name: &str) -> HelperInfo {
    let path = find_program(name);
    let privileged = path.as_deref().is_some_and(|p| {
        let setuid_root = fs::metadata(p)
            .map(|m| m.uid() == 0 && m.permissions().mode() & 0o4000 != 0)
            .unwrap_or(false);
        setuid_root || has_file_caps(p)
    });
    HelperInfo { path, privileged }
}

fn has_file_caps(p: &Path) -> bool {
    sys::xattr_len(p, "security.capability").is_some_and(|n| n > 0)
}

/// The user's identity and subordinate ranges, as read from the system.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// Login name (from the passwd database), or the uid as text.
    pub user: String,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Ranges from /etc/subuid.
    pub subuids: Vec<IdRange>,
    /// Ranges from /etc/subgid.
    pub subgids: Vec<IdRange>,
}

impl Identity {
    /// Read the current user's identity and ranges.
    pub fn current() -> Result<Self, UsernsError> {
        let uid = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        let user = nix::unistd::User::from_uid(uid.into())
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_else(|| uid.to_string());
        let read = |file: &str| -> Result<Vec<IdRange>, UsernsError> {
            match fs::read_to_string(file) {
                Ok(text) => parse_subid(file, &text, &user, uid),
                Err(_) => Ok(Vec::new()),
            }
        };
        let subuids = read("/etc/subuid")?;
        let subgids = read("/etc/subgid")?;
        Ok(Identity {
            user,
            uid,
            gid,
            subuids,
            subgids,
        })
    }

    /// Total number of subordinate uids.
    pub fn subuid_count(&self) -> u64 {
        self.subuids.iter().map(|r| u64::from(r.count)).sum()
    }
}

/// Format maps as the argument list newuidmap/newgidmap take after the pid.
pub fn map_args(maps: &[IdMapping]) -> Vec<String> {
    maps.iter()
        .flat_map(|m| {
            [
                m.container_id.to_string(),
                m.host_id.to_string(),
                m.size.to_string(),
            ]
        })
        .collect()
}

/// Run newuidmap/newgidmap against `pid`; the error carries the helper's own words.
pub fn run_map_helper(helper: &Path, pid: u32, maps: &[IdMapping]) -> Result<(), String> {
    let out = Command::new(helper)
        .arg(pid.to_string())
        .args(map_args(maps))
        .output()
        .map_err(|e| format!("run {}: {e}", helper.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        let msg = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "{} failed ({}): {}",
            helper.display(),
            out.status,
            msg.trim().lines().next().unwrap_or("no message")
        ))
    }
}

/// Run several map helpers against `pid` concurrently; the first failure in the helpers' words.
pub fn run_map_helpers(jobs: &[(&Path, &[IdMapping])], pid: u32) -> Result<(), String> {
    let mut children = Vec::new();
    for (helper, maps) in jobs {
        let child = Command::new(helper)
            .arg(pid.to_string())
            .args(map_args(maps))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("run {}: {e}", helper.display()))?;
        children.push((helper, child));
    }
    let mut first = None;
    for (helper, child) in children {
        let out = child
            .wait_with_output()
            .map_err(|e| format!("wait for {}: {e}", helper.display()))?;
        if !out.status.success() && first.is_none() {
            let msg = String::from_utf8_lossy(&out.stderr);
            first = Some(format!(
                "{} failed ({}): {}",
                helper.display(),
                out.status,
                msg.trim().lines().next().unwrap_or("no message")
            ));
        }
    }
    first.map_or(Ok(()), Err)
}

/// Write a single-id map for the calling process, which has just entered a new user namespace
/// (own uid and gid become 0). Needs no helper: a process may map its own ids after denying
/// setgroups.
pub fn write_self_single_map(uid: u32, gid: u32) -> Result<(), String> {
    let w =
        |file: &str, text: String| fs::write(file, text).map_err(|e| format!("write {file}: {e}"));
    w("/proc/self/setgroups", "deny".into())?;
    w("/proc/self/uid_map", format!("0 {uid} 1\n"))?;
    w("/proc/self/gid_map", format!("0 {gid} 1\n"))
}

/// What a real attempt at mapping the user's full ranges through the helpers gave.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapProbe {
    /// newuidmap mapped the full uid range.
    pub uid_map_ok: bool,
    /// newgidmap mapped the full gid range.
    pub gid_map_ok: bool,
    /// Why not, in the helper's words.
    pub error: Option<String>,
}

/// Create a user namespace and map it through newuidmap/newgidmap, the way `rl run` will.
/// Needs a single-threaded process (see [`sys::spawn_in_new_ns`]).
pub fn probe_helpers(id: &Identity) -> Result<MapProbe, UsernsError> {
    let uidmap = helper_info("newuidmap");
    let gidmap = helper_info("newgidmap");
    let (Some(uid_helper), Some(gid_helper)) = (uidmap.path, gidmap.path) else {
        return Ok(MapProbe {
            uid_map_ok: false,
            gid_map_ok: false,
            error: Some("newuidmap/newgidmap not installed (package uidmap)".into()),
        });
    };
    if id.subuids.is_empty() || id.subgids.is_empty() {
        return Ok(MapProbe {
            uid_map_ok: false,
            gid_map_ok: false,
            error: Some(format!(
                "no range for {} in /etc/subuid or /etc/subgid",
                id.user
            )),
        });
    }
    let child = sys::spawn_in_new_ns(CloneFlags::CLONE_NEWUSER, || {
        fs::read_to_string("/proc/self/uid_map").map_err(|e| e.to_string())
    })
    .map_err(UsernsError::Probe)?;
    let uid_res = run_map_helper(&uid_helper, child.pid(), &build_map(id.uid, &id.subuids));
    let gid_res = run_map_helper(&gid_helper, child.pid(), &build_map(id.gid, &id.subgids));
    let seen = child.proceed().map_err(UsernsError::Probe)?;
    let error = match (&uid_res, &gid_res, &seen) {
        (Err(e), _, _) | (_, Err(e), _) => Some(e.clone()),
        (_, _, Err(e)) => Some(e.clone()),
        _ => None,
    };
    Ok(MapProbe {
        uid_map_ok: uid_res.is_ok() && seen.is_ok(),
        gid_map_ok: gid_res.is_ok(),
        error,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keep_id_and_nested_maps() {
        let m = |c, h, s| IdMapping {
            container_id: c,
            host_id: h,
            size: s,
        };
        assert_eq!(
            keep_id_map(1001, 65537).unwrap(),
            vec![m(0, 1, 1001), m(1001, 0, 1), m(1002, 1002, 64535)]
        );
        assert_eq!(keep_id_map(1001, 1), None);
        assert_eq!(map_size(&keep_id_map(1001, 65537).unwrap()), 65537);
        let outer = vec![m(0, 1001, 1), m(1, 100_000, 65536)];
        assert_eq!(
            compose(&keep_id_map(1001, 65537).unwrap(), &outer),
            vec![
                m(0, 100_000, 1001),
                m(1001, 1001, 1),
                m(1002, 101_001, 64535)
            ]
        );
        // A range that straddles two outer ranges is split.
        assert_eq!(
            compose(&[m(0, 0, 3)], &outer),
            vec![m(0, 1001, 1), m(1, 100_000, 2)]
        );
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_id_maps(&v(&["0:1:1000", "1000:0:1"]), "uidmap", 65537).unwrap(),
            vec![m(0, 1, 1000), m(1000, 0, 1)]
        );
        for (bad, why) in [
            (v(&["0:1"]), "want CONTAINER_ID:HOST_ID:SIZE"),
            (v(&["0:1:0"]), "bad size"),
            (v(&["0:65000:1000"]), "not in rl's user namespace"),
            (v(&["0:1:10", "5:100:10"]), "overlaps"),
            (v(&["0:1:10", "100:5:10"]), "overlaps"),
            (v(&["a:b:c"]), "want"),
        ] {
            let e = parse_id_maps(&bad, "uidmap", 65537).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    use super::*;

    const FILE: &str = "# comment\nalice:100000:65536\n\n1001:200000:1000\nbob:300000:65536\nalice:400000:10\ncarol:broken\n";

    #[test]
    fn parses_by_name_and_uid() {
        let a = parse_subid("/etc/subuid", FILE, "alice", 1000).unwrap();
        assert_eq!(
            a,
            vec![
                IdRange {
                    start: 100000,
                    count: 65536
                },
                IdRange {
                    start: 400000,
                    count: 10
                }
            ]
        );
        let by_uid = parse_subid("/etc/subuid", FILE, "dave", 1001).unwrap();
        assert_eq!(
            by_uid,
            vec![IdRange {
                start: 200000,
                count: 1000
            }]
        );
        assert!(
            parse_subid("/etc/subuid", FILE, "nobody", 5)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn malformed_own_line_is_an_error() {
        let e = parse_subid("/etc/subuid", FILE, "carol", 7).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/subuid:7: malformed entry \"carol:broken\" (want NAME:START:COUNT)"
        );
        assert!(parse_subid("f", "x:1:0\n", "x", 1).is_err());
        assert!(parse_subid("f", "x:4294967295:2\n", "x", 1).is_err());
        assert!(parse_subid("f", "x:1:2:3\n", "x", 1).is_err());
    }

    #[test]
    fn maps_put_the_user_at_zero() {
        let m = build_map(
            1000,
            &[
                IdRange {
                    start: 100000,
                    count: 65536,
                },
                IdRange { start: 5, count: 2 },
            ],
        );
        assert_eq!(
            map_args(&m),
            ["0", "1000", "1", "1", "100000", "65536", "65537", "5", "2"]
        );
        assert_eq!(build_map(7, &[]).len(), 1);
    }
}

/// How the current process ended up mapped after [`enter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapMode {
    /// Root = the user, 1..N = the subordinate ranges.
    Subuid,
    /// Only root = the user.
    SingleId,
}

impl MapMode {
    /// `subuid` or `single-id`, as records store it.
    pub fn as_str(self) -> &'static str {
        match self {
            MapMode::Subuid => "subuid",
            MapMode::SingleId => "single-id",
        }
    }
}

/// Move the calling process into rl's user namespace (and a new mount namespace when `mount`),
/// mapped like containers are.
///
/// - The namespace a pause process keeps ([`pause`]) is joined when its maps are the ones the
///   ranges give now.
/// - Otherwise a new one is made: newuidmap/newgidmap map the subordinate ranges from a helper
///   child forked beforehand (a process cannot map itself with more than its own id, and once in
///   the new namespace it can no longer run the setuid helpers), and a pause process is started
///   to keep it for the next rl.
/// - Without ranges or helpers, the process maps only its own ids, and a one-line warning says
///   how to fix it.
///
/// Must be called while the process is single-threaded (unshare(CLONE_NEWUSER) and setns(2)
/// into a user namespace require it).
pub fn enter(id: &Identity, mount: bool) -> Result<MapMode, UsernsError> {
    let me = std::process::id();
    let can_map = !id.subuids.is_empty() && !id.subgids.is_empty();
    let (umap, gmap) = (
        build_map(id.uid, &id.subuids),
        build_map(id.gid, &id.subgids),
    );
    let unshare = |flags: CloneFlags| {
        nix::sched::unshare(flags).map_err(|e| {
            UsernsError::Probe(std::io::Error::other(format!("unshare: {}", e.desc())))
        })
    };
    let mount_ns = || {
        if mount {
            unshare(CloneFlags::CLONE_NEWNS)
        } else {
            Ok(())
        }
    };
    // The namespace a pause process keeps, mapped as these ranges map now.
    let pause_dir = pause_enabled()
        .then(|| crate::config::Paths::from_env().ok())
        .flatten()
        .map(|p| p.runtime);
    if can_map
        && let Some(dir) = &pause_dir
        && pause::join(dir, &umap, &gmap)
    {
        mount_ns()?;
        return Ok(MapMode::Subuid);
    }
    let uidmap = helper_info("newuidmap").path;
    let gidmap = helper_info("newgidmap").path;
    let helper = match (&uidmap, &gidmap, can_map) {
        (Some(u), Some(g), true) => {
            let (u, g) = (u.clone(), g.clone());
            Some(
                sys::spawn_in_new_ns(CloneFlags::empty(), move || {
                    // Both helpers at once: each is a setuid exec of a couple of ms.
                    run_map_helpers(&[(&u, &umap), (&g, &gmap)], me)?;
                    Ok(String::new())
                })
                .map_err(UsernsError::Probe)?,
            )
        }
        _ => None,
    };
    unshare(CloneFlags::CLONE_NEWUSER)?;
    let why = match helper.map(|h| h.proceed()) {
        Some(Ok(Ok(_))) => {
            // Kept for the next rl; started before any mount namespace of this one's, so it
            // pins none.
            if let Some(dir) = &pause_dir {
                pause::start(dir);
            }
            mount_ns()?;
            return Ok(MapMode::Subuid);
        }
        Some(Ok(Err(e))) => e,
        Some(Err(e)) => e.to_string(),
        None if uidmap.is_none() || gidmap.is_none() => {
            "newuidmap/newgidmap not installed (package uidmap)".to_string()
        }
        None => format!("no range for {} in /etc/subuid or /etc/subgid", id.user),
    };
    write_self_single_map(id.uid, id.gid)
        .map_err(|e| UsernsError::Probe(std::io::Error::other(e)))?;
    mount_ns()?;
    eprintln!(
        "Warning: single-id mapping ({why}): files owned by other users in images keep their \
         owner only as an xattr; fix: as root, usermod --add-subuids 100000-165535 \
         --add-subgids 100000-165535 {}",
        id.user
    );
    Ok(MapMode::SingleId)
}

/// Whether rl keeps its user namespace in a pause process (see [`pause`]); `RL_PAUSE=0` turns
/// it off, and every rl then maps a namespace of its own.
pub fn pause_enabled() -> bool {
    std::env::var_os("RL_PAUSE").is_none_or(|v| v != "0")
}
