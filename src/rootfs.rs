//! Assembling a container's root. For now: whether the kernel overlay works inside a user
//! namespace on the store's file system, probed for real once and cached in the store.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use nix::mount::{MsFlags, mount};
use nix::sched::CloneFlags;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::runtime::sys;
use crate::userns;

/// Name of the cached probe answer inside the storage directory.
const PROBE_FILE: &str = "overlay-probe.json";

/// The answer of the overlay probe, as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverlayProbe {
    /// Kernel release the probe ran on (a new kernel means a new probe).
    pub kernel: String,
    /// statfs f_type of the storage directory (a different file system means a new probe).
    pub fs_type: String,
    /// A kernel overlay mounted, accepted a write (copy-up) and a delete (whiteout).
    pub works: bool,
    /// Mount options that worked (for example `userxattr`).
    pub options: String,
    /// Why it does not work.
    pub error: Option<String>,
}

/// The kernel release (`uname -r`).
pub fn kernel_release() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn fs_type_of(dir: &Path) -> String {
    nix::sys::statfs::statfs(dir)
        .map(|s| format!("{:#x}", s.filesystem_type().0))
        .unwrap_or_default()
}

/// The cached answer for `storage`, probing when there is none or it was made for another kernel
/// or file system. `refresh` forces a new probe. The probe forks, so the process must be
/// single-threaded.
pub fn overlay_support(storage: &Path, refresh: bool) -> Result<OverlayProbe> {
    crate::config::ensure_dir(storage)?;
    let kernel = kernel_release();
    let fs_type = fs_type_of(storage);
    let cache = storage.join(PROBE_FILE);
    if !refresh
        && let Some(p) = fs::read(&cache)
            .ok()
            .and_then(|b| serde_json::from_slice::<OverlayProbe>(&b).ok())
        && p.kernel == kernel
        && p.fs_type == fs_type
    {
        return Ok(p);
    }
    let (works, options, error) = match probe_overlay(storage) {
        Ok(options) => (true, options, None),
        Err(e) => (false, String::new(), Some(e)),
    };
    let probe = OverlayProbe {
        kernel,
        fs_type,
        works,
        options,
        error,
    };
    let bytes = serde_json::to_vec_pretty(&probe)
        .map_err(|e| Error::io("encode overlay probe", e.into()))?;
    crate::store_file::write_atomic(&cache, &bytes)?;
    Ok(probe)
}

/// Mount an overlay in a fresh user + mount namespace under `storage`, write through it and
/// delete through it. Returns the options that worked, or why it failed.
fn probe_overlay(storage: &Path) -> Result<String, String> {
    let base = storage.join(format!("tmp/overlay-probe-{}", std::process::id()));
    let result = (|| {
        let dirs = ["lower", "upper", "work", "merged"].map(|d| base.join(d));
        for d in &dirs {
            fs::create_dir_all(d).map_err(|e| format!("create {}: {e}", d.display()))?;
        }
        fs::write(dirs[0].join("gone"), b"lower").map_err(|e| format!("write probe file: {e}"))?;
        let uid = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        let [lower, upper, work, merged] = dirs;
        let child =
            sys::spawn_in_new_ns(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS, || {
                overlay_child(uid, gid, &lower, &upper, &work, &merged)
            })
            .map_err(|e| e.to_string())?;
        child.proceed().map_err(|e| e.to_string())?
    })();
    // overlay leaves a mode-000 `work/work`: remove_any opens it up first.
    crate::image::store::remove_any(&base);
    result
}

fn overlay_child(
    uid: u32,
    gid: u32,
    lower: &Path,
    upper: &Path,
    work: &Path,
    merged: &Path,
) -> Result<String, String> {
    userns::write_self_single_map(uid, gid)?;
    crate::runtime::mounts::make_root_private()
        .map_err(|e| format!("make / private: {}", e.desc()))?;
    let base = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    // userxattr (Linux 5.11+) keeps overlay's own xattrs in the user.* namespace, which a user
    // namespace may write; older kernels reject the option, so fall back to none.
    let mut last = String::new();
    let mut used = None;
    for extra in ["userxattr", ""] {
        let opts = if extra.is_empty() {
            base.clone()
        } else {
            format!("{base},{extra}")
        };
        match mount(
            Some("overlay"),
            merged,
            Some("overlay"),
            MsFlags::empty(),
            Some(opts.as_str()),
        ) {
            Ok(()) => {
                used = Some(extra);
                break;
            }
            Err(e) => last = format!("mount overlay: {}", e.desc()),
        }
    }
    let Some(used) = used else { return Err(last) };
    fs::write(merged.join("new"), b"x").map_err(|e| format!("write through overlay: {e}"))?;
    if !upper.join("new").exists() {
        return Err("a write through the overlay did not reach the upper directory".into());
    }
    fs::remove_file(merged.join("gone")).map_err(|e| format!("delete through overlay: {e}"))?;
    let whiteout = fs::symlink_metadata(upper.join("gone"))
        .map(|m| m.file_type().is_char_device())
        .unwrap_or(false);
    if !whiteout {
        return Err("a delete through the overlay left no whiteout".into());
    }
    Ok(used.to_string())
}
