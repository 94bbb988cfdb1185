//! `rl cp` and `rl export`: files in and out of a container's file system.
//!
//! Both sides of a copy are tar streams: a tree is written by [`TreeTar`] (never following a
//! symlink, never leaving its root) and unpacked by [`extract_into`] (every name resolved inside
//! the destination directory). The container's side is a directory descriptor for its `/`:
//!
//! * a running container: `/proc/PID/root` of its first process, opened inside the user
//!   namespace its files are owned in, so that its mounts (volumes included) are seen as it
//!   sees them; paths are resolved with `openat2(RESOLVE_IN_ROOT)`, so a symlink in the
//!   container (`-> /`, `-> ../..`) resolves inside it, never on the host;
//! * a stopped one: its overlay (layers, upper and work directories) mounted in a private mount
//!   namespace of rl's user namespace, under the container's lock (so it cannot start
//!   meanwhile), with its bind mounts and named volumes bound in (not tmpfs mounts: they hold
//!   nothing while it is stopped).
//!
//! Owners: files written on the host belong to the user; files written into the container
//! belong to its main user (the spec's process user; podman's `--archive=true`) or keep the
//! source's ids (`--archive=false`: the user's own files become root's). Containers in a nested
//! user namespace (`--userns=keep-id`, `--uidmap`) have their ids translated through its maps.

use std::fs::File;
use std::io::{IsTerminal, Seek, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::config::Paths;
use crate::container::tree_tar::TreeTar;
use crate::container::{self, Record};
use crate::error::{Error, Result};
use crate::image::extract::{ExtractError, IntoOptions, OwnerMap, check_archive, extract_into};
use crate::userns::IdMapping;

/// Options of `rl cp`.
#[derive(Debug, clap::Args)]
pub struct CpArgs {
    /// Give copied files to the container's main user (--archive=false: keep the source's ids)
    #[arg(
        short,
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub archive: bool,
    /// Follow a symlink at the end of the source path
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Print nothing (rl prints nothing on success anyway)
    #[arg(short, long)]
    pub quiet: bool,
    /// Source: CONTAINER:PATH, a host path, or - (a tar stream on standard input)
    #[arg(value_name = "SRC_PATH")]
    pub src: String,
    /// Destination: CONTAINER:PATH, a host path, or - (a tar stream on standard output)
    #[arg(value_name = "DEST_PATH")]
    pub dest: String,
}

/// Options of `rl export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write the tar archive to this file (default: standard output, never a terminal)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

/// One side of a copy.
#[derive(Debug, PartialEq, Eq)]
enum Side {
    /// A host path, or `-`.
    Host(String),
    /// A container and a path in it.
    Ctr(String, String),
}

/// podman's reading of a cp argument: a path that starts with `/` or `.` is the host's; else
/// `NAME:PATH` names a container.
fn parse_side(arg: &str) -> Side {
    if arg.starts_with('/') || arg.starts_with('.') {
        return Side::Host(arg.to_string());
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.is_empty() => Side::Ctr(c.to_string(), p.to_string()),
        _ => Side::Host(arg.to_string()),
    }
}

/// How a source path ends: `SRC/.` copies a directory's contents, `SRC/` must be a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// `PATH`.
    Plain,
    /// `PATH/`.
    Slash,
    /// `PATH/.`.
    Contents,
}

/// How a path ends.
fn tail_of(path: &str) -> Tail {
    if path.ends_with("/.") || path == "." {
        Tail::Contents
    } else if path.ends_with('/') && path != "/" {
        Tail::Slash
    } else {
        Tail::Plain
    }
}

/// The last name of a path (`/a/b/` → `b`); None for `/` and paths ending in `..`.
fn base_name(path: &str) -> Option<String> {
    let p = Path::new(path.trim_end_matches('/'));
    p.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Id translation between a container's ids and the ids its files have on disk (in rl's user
/// namespace): identity unless it runs in a nested user namespace.
#[derive(Debug, Clone, Default)]
struct Ids {
    /// uid_map lines (container id → id on disk); empty: identity.
    uids: Vec<IdMapping>,
    /// gid_map lines.
    gids: Vec<IdMapping>,
}

/// The overflow id the kernel shows for an unmapped one.
const NOBODY: u32 = 65534;

/// Translate one id through `maps` (container → disk, or back when `to_disk` is false).
fn map_one(maps: &[IdMapping], id: u32, to_disk: bool) -> u32 {
    if maps.is_empty() {
        return id;
    }
    for m in maps {
        let (from, to) = if to_disk {
            (m.container_id, m.host_id)
        } else {
            (m.host_id, m.container_id)
        };
        if id >= from && id - from < m.size {
            return to + (id - from);
        }
    }
    NOBODY
}

impl Ids {
    /// Container ids → the ids files have on disk.
    fn on_disk(&self, uid: u32, gid: u32) -> (u32, u32) {
        (
            map_one(&self.uids, uid, true),
            map_one(&self.gids, gid, true),
        )
    }
    /// On-disk ids → the ids the container sees.
    fn inside(&self, uid: u32, gid: u32) -> (u32, u32) {
        (
            map_one(&self.uids, uid, false),
            map_one(&self.gids, gid, false),
        )
    }
}

/// What rl knows of a container on disk.
struct Saved {
    /// Its record.
    rec: Record,
    /// Its directory.
    dir: PathBuf,
    /// `bundle.json` (absent for a container run in the foreground).
    bundle: Option<crate::runtime::Bundle>,
    /// `config.json`.
    spec: Option<oci_spec::runtime::Spec>,
    /// Its id translation.
    ids: Ids,
}

/// Find a container and read what rl saved of it.
fn load_saved(paths: &Paths, name: &str) -> Result<Saved> {
    let rec = super::run::find_container(paths, name)?;
    let dir = container::dir(paths, &rec.id);
    let bundle = std::fs::read(dir.join("bundle.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<super::run::Created>(&b).ok())
        .map(|c| c.bundle);
    let spec = oci_spec::runtime::Spec::load(dir.join("config.json")).ok();
    let ids = bundle
        .as_ref()
        .and_then(|b| b.nested_userns.as_ref())
        .map(|m| Ids {
            uids: m.uids.clone(),
            gids: m.gids.clone(),
        })
        .unwrap_or_default();
    Ok(Saved {
        rec,
        dir,
        bundle,
        spec,
        ids,
    })
}

/// The error for a stopped container whose bundle rl did not keep.
fn no_bundle(rec: &Record) -> Error {
    Error::Msg(format!(
        "container {} has no saved bundle (it was run in the foreground): rl cannot assemble its file system while it is stopped",
        rec.name
    ))
}

/// Enter rl's user namespace (unless in one) and a private mount namespace.
fn private_mounts() -> Result<()> {
    super::lifecycle::ensure_userns()?;
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
        .map_err(|e| Error::Msg(format!("unshare the mount namespace: {}", e.desc())))?;
    crate::runtime::mounts::make_root_private()
        .map_err(|e| Error::Msg(format!("make / private: {}", e.desc())))
}

/// Mount the container's overlay at `<dir>/rootfs` (in a private mount namespace): writable
/// with its upper and work directories, or read-only with the upper directory as the top lower
/// one (legal while the container runs and uses it). Returns the mount point.
fn mount_overlay(dir: &Path, bundle: &crate::runtime::Bundle, writable: bool) -> Result<PathBuf> {
    let parent = bundle
        .layers
        .first()
        .and_then(|l| l.parent())
        .ok_or_else(|| Error::Msg("the image has no layers".into()))?;
    let same_parent = bundle.layers.iter().all(|l| l.parent() == Some(parent));
    let lower: Vec<String> = bundle
        .layers
        .iter()
        .map(|l| match (same_parent, l.file_name()) {
            (true, Some(n)) => n.to_string_lossy().into_owned(),
            _ => l.display().to_string(),
        })
        .collect();
    let upper = dir.join("upper");
    let mut opts = if writable {
        format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.join(":"),
            upper.display(),
            dir.join("work").display()
        )
    } else {
        format!("lowerdir={}:{}", upper.display(), lower.join(":"))
    };
    if !bundle.overlay_options.is_empty() {
        opts.push(',');
        opts.push_str(&bundle.overlay_options);
    }
    if opts.len() >= 4096 {
        return Err(Error::Msg(format!(
            "the image has too many layers ({}) for one overlay mount",
            bundle.layers.len()
        )));
    }
    let rootfs = dir.join("rootfs");
    if !rootfs.is_dir() {
        std::fs::create_dir(&rootfs).map_err(|e| Error::path("create", &rootfs, e))?;
    }
    let cwd = std::env::current_dir().ok();
    if same_parent {
        std::env::set_current_dir(parent).map_err(|e| Error::path("chdir", parent, e))?;
    }
    let flags = if writable {
        nix::mount::MsFlags::empty()
    } else {
        nix::mount::MsFlags::MS_RDONLY
    };
    let mounted = nix::mount::mount(
        Some("overlay"),
        &rootfs,
        Some("overlay"),
        flags,
        Some(opts.as_str()),
    );
    if let Some(c) = cwd {
        let _ = std::env::set_current_dir(c);
    }
    mounted.map_err(|e| Error::Msg(format!("mount the container's file system: {}", e.desc())))?;
    Ok(rootfs)
}

/// Bind a stopped container's bind mounts and volumes (from its spec) into its mounted root.
/// Mounts of the host's /dev, /sys and /proc are left out. A missing mount point is made, as
/// the runtime makes it when the container starts, when the root is `writable`; otherwise that
/// mount is left out.
fn bind_volumes(
    root: BorrowedFd<'_>,
    spec: &oci_spec::runtime::Spec,
    dir: &Path,
    writable: bool,
) -> Result<()> {
    use nix::mount::MsFlags;
    for m in spec.mounts().iter().flatten() {
        let opts = m.options().clone().unwrap_or_default();
        let is_bind =
            m.typ().as_deref() == Some("bind") || opts.iter().any(|o| o == "bind" || o == "rbind");
        let Some(src) = m.source() else { continue };
        let dest = m.destination().to_string_lossy().into_owned();
        let system = |p: &str| {
            ["/dev", "/sys", "/proc"]
                .iter()
                .any(|s| p == *s || p.starts_with(&format!("{s}/")))
        };
        if !is_bind || system(&src.to_string_lossy()) || system(&dest) || src.starts_with(dir) {
            continue;
        }
        let target = match resolve(root, &dest, true) {
            Ok(fd) => fd,
            Err(Errno::NOENT) if writable => match make_mount_point(root, &dest, src.is_dir()) {
                Ok(fd) => fd,
                Err(_) => continue,
            },
            Err(_) => continue,
        };
        let at = format!("/proc/self/fd/{}", target.as_raw_fd());
        let fail =
            |e: nix::Error| Error::Msg(format!("bind {} at {dest}: {}", src.display(), e.desc()));
        nix::mount::mount(
            Some(src.as_path()),
            at.as_str(),
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(fail)?;
        if opts.iter().any(|o| o == "ro") {
            nix::mount::mount(
                None::<&str>,
                at.as_str(),
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(fail)?;
        }
    }
    Ok(())
}

/// Make a missing mount point inside `root`, one component at a time, each resolved inside it:
/// directories (0755), and an empty file last unless `is_dir`.
fn make_mount_point(
    root: BorrowedFd<'_>,
    dest: &str,
    is_dir: bool,
) -> std::result::Result<OwnedFd, Errno> {
    let comps: Vec<&str> = dest.split('/').filter(|c| !c.is_empty()).collect();
    let mut here = String::from("/");
    for (i, c) in comps.iter().enumerate() {
        let parent = resolve(root, &here, true)?;
        let last = i + 1 == comps.len();
        let made = if last && !is_dir {
            rustix::fs::openat(
                &parent,
                *c,
                OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .map(drop)
        } else {
            rustix::fs::mkdirat(&parent, *c, Mode::from_raw_mode(0o755))
        };
        match made {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(e),
        }
        if !here.ends_with('/') {
            here.push('/');
        }
        here.push_str(c);
    }
    resolve(root, dest, true)
}

/// Resolve `path` inside `root` (as if it were `/`), following a final symlink when `follow`.
fn resolve(root: BorrowedFd<'_>, path: &str, follow: bool) -> std::result::Result<OwnedFd, Errno> {
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    let mut flags = OFlags::PATH | OFlags::CLOEXEC;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    for _ in 0..32 {
        match rustix::fs::openat2(root, rel, flags, Mode::empty(), how) {
            Err(Errno::AGAIN) => continue,
            other => return other,
        }
    }
    Err(Errno::AGAIN)
}

/// A container's `/`, ready to be read or written.
struct Access {
    /// What rl knows of it.
    saved: Saved,
    /// Its `/` (`O_PATH`).
    root: OwnedFd,
    /// A stopped container's mounted file system, unmounted (after `root` is closed) before
    /// the lock goes.
    _mounted: Option<Unmount>,
    /// Held while a stopped container's file system is mounted.
    _lock: Option<container::Lock>,
}

/// Unmounts a mount point when dropped, so that the overlay is gone (its upper directory free
/// for the container to use) before the container's lock is released.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
    }
}

/// The user namespace its files are owned in: the container's, or for a container in a nested
/// user namespace, that namespace's parent (rl's).
fn join_file_userns(pid: i32, nested: bool) -> Result<()> {
    if !nested {
        return crate::runtime::join_userns(pid);
    }
    let ns = File::open(format!("/proc/{pid}/ns/user"))
        .map_err(|e| Error::io("open the container's user namespace", e))?;
    let parent = crate::runtime::sys::userns_parent(ns.as_fd())
        .map_err(|e| Error::io("find the parent of the container's user namespace", e))?;
    let ours = crate::runtime::userns_of(None);
    let st = rustix::fs::fstat(&parent).map_err(|e| Error::io("stat", e.into()))?;
    #[allow(clippy::useless_conversion)] // st_dev/st_ino are not u64 on every target
    if ours == Some((u64::from(st.st_dev), u64::from(st.st_ino))) {
        return Ok(());
    }
    nix::sched::setns(parent, nix::sched::CloneFlags::CLONE_NEWUSER)
        .map_err(|e| Error::Msg(format!("join the container's user namespace: {}", e.desc())))
}

/// Open a container's `/` (see the module documentation). `writable`: for a stopped container,
/// mount its overlay writable.
fn access(paths: &Paths, name: &str, writable: bool) -> Result<Access> {
    let saved = load_saved(paths, name)?;
    let lock = container::lock(paths, &saved.rec.id)?;
    let rec = container::load(paths, &saved.rec.id)?;
    if rec.is_running()
        && container::alive(rec.pid, rec.pid_start)
        && let Some(pid) = rec.pid
    {
        drop(lock);
        join_file_userns(
            pid,
            saved
                .bundle
                .as_ref()
                .is_some_and(|b| b.nested_userns.is_some()),
        )?;
        let proc_root = format!("/proc/{pid}/root");
        let root = rustix::fs::open(
            proc_root.as_str(),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io("open the container's root", e.into()))?;
        return Ok(Access {
            saved: Saved { rec, ..saved },
            root,
            _mounted: None,
            _lock: None,
        });
    }
    let bundle = saved.bundle.as_ref().ok_or_else(|| no_bundle(&rec))?;
    private_mounts()?;
    let rootfs = mount_overlay(&saved.dir, bundle, writable)?;
    let root = rustix::fs::open(
        &rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::path("open", &rootfs, e.into()))?;
    if let Some(spec) = &saved.spec {
        bind_volumes(root.as_fd(), spec, &saved.dir, writable)?;
    }
    Ok(Access {
        saved: Saved { rec, ..saved },
        root,
        _mounted: Some(Unmount(rootfs)),
        _lock: Some(lock),
    })
}

/// podman's error for a path missing in the container.
fn not_found_in(path: &str, ctr: &str) -> Error {
    Error::Msg(format!(
        "\"{path}\" could not be found on container {ctr}: no such file or directory"
    ))
}

/// podman's error for a path missing on the host.
fn not_found_on_host(path: &str) -> Error {
    Error::Msg(format!(
        "\"{path}\" could not be found on the host: no such file or directory"
    ))
}

/// podman's error for a directory copied onto a file.
fn dir_onto_file() -> Error {
    Error::Msg("destination must be a directory when copying a directory".into())
}

/// fstat, as rl's error.
fn stat_fd(fd: BorrowedFd<'_>) -> Result<rustix::fs::Stat> {
    rustix::fs::fstat(fd).map_err(|e| Error::io("stat", e.into()))
}

/// Whether a stat is a directory's.
fn is_dir(st: &rustix::fs::Stat) -> bool {
    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
}

/// Where a copy lands: the directory to unpack in, and the name of the copy in it (None: the
/// source directory's contents go straight in).
struct Landing {
    /// The directory to unpack in.
    dir: OwnedFd,
    /// The copy's name in it.
    name: Option<String>,
}

/// docker's rules for the destination, given whether the source is a directory and how its
/// path ends. `lookup(path, follow)` resolves a destination path on its side;
/// `missing(path)` is that side's "not found" error.
fn landing(
    dest: &str,
    src_is_dir: bool,
    src_tail: Tail,
    src_base: &str,
    lookup: &dyn Fn(&str) -> std::result::Result<OwnedFd, Errno>,
    missing: &dyn Fn(&str) -> Error,
) -> Result<Landing> {
    match lookup(dest) {
        Ok(fd) => {
            let st = stat_fd(fd.as_fd())?;
            if is_dir(&st) {
                let name = if src_is_dir && src_tail == Tail::Contents {
                    None
                } else {
                    Some(src_base.to_string())
                };
                return Ok(Landing { dir: fd, name });
            }
            if src_is_dir {
                return Err(dir_onto_file());
            }
            if dest.ends_with('/') {
                return Err(Error::Msg(format!("\"{dest}\" is not a directory")));
            }
        }
        Err(Errno::NOENT) => {
            if dest.ends_with('/') {
                return Err(missing(dest));
            }
        }
        Err(Errno::NOTDIR) => return Err(missing(dest)),
        Err(e) => return Err(Error::io(format!("open {dest}"), e.into())),
    }
    // A new name (or a file replaced) in the parent directory.
    let name = base_name(dest).ok_or_else(|| missing(dest))?;
    let trimmed = dest.trim_end_matches('/');
    let parent = match trimmed.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => trimmed[..i].to_string(),
        None => ".".to_string(),
    };
    let dir = lookup(&parent).map_err(|_| missing(dest))?;
    if !is_dir(&stat_fd(dir.as_fd())?) {
        return Err(missing(dest));
    }
    Ok(Landing {
        dir,
        name: Some(name),
    })
}

/// An unpacking error in cp's words (the extractor speaks of layers).
fn extract_error(e: &ExtractError) -> Error {
    Error::Msg(match e {
        ExtractError::Entry { path, op, source } => format!("copy {path}: {op}: {source}"),
        ExtractError::Invalid { path, reason } => format!("copy {path}: {reason}"),
        other => format!("copy: {other}"),
    })
}

/// Write the tree at `src` (an open descriptor) as a tar stream on one thread and unpack it
/// into `into` on this one.
fn pipe_copy(
    src: OwnedFd,
    name: Option<String>,
    tar_ids: &(dyn Fn(u32, u32) -> (u32, u32) + Sync),
    into: OwnedFd,
    opts: &IntoOptions,
) -> Result<()> {
    let (reader, writer) = std::io::pipe().map_err(|e| Error::io("pipe", e))?;
    std::thread::scope(|s| {
        let w = s.spawn(move || {
            let map = |u, g| tar_ids(u, g);
            let tt = TreeTar {
                whiteouts: false,
                map_ids: Some(&map),
                skip: None,
                prefix: name.unwrap_or_default(),
            };
            tt.write_fd(src.as_fd(), writer)
        });
        let unpacked = extract_into(reader, into, opts).map_err(|e| extract_error(&e));
        let written = w
            .join()
            .map_err(|_| Error::Msg("the archive writer failed".into()))?;
        match (written, unpacked) {
            (Ok(_), Ok(_)) => Ok(()),
            // The reader gave up first: its error says why.
            (Err(Error::Io { source, .. }), Err(u))
                if source.kind() == std::io::ErrorKind::BrokenPipe =>
            {
                Err(u)
            }
            (Err(w), _) => Err(w),
            (Ok(_), Err(u)) => Err(u),
        }
    })
}

/// `rl cp`.
pub fn cp(a: &CpArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    match (parse_side(&a.src), parse_side(&a.dest)) {
        (Side::Ctr(c, p), Side::Host(h)) => copy_out(&paths, a, &c, &p, &h),
        (Side::Host(h), Side::Ctr(c, p)) => copy_in(&paths, a, &h, &c, &p),
        (Side::Ctr(..), Side::Ctr(..)) => Err(Error::Usage(
            "copying between containers is not supported".into(),
        )),
        (Side::Host(_), Side::Host(_)) => Err(Error::Usage(format!(
            "invalid arguments {}, {}: you must use just one container",
            a.src, a.dest
        ))),
    }
}

/// Record a `copy` event.
fn copy_event(paths: &Paths, rec: &Record) {
    crate::events::record(paths, &container::event(rec, "copy"));
}

/// Container → host (or a tar stream on standard output).
fn copy_out(paths: &Paths, a: &CpArgs, ctr: &str, path: &str, dest: &str) -> Result<()> {
    let acc = access(paths, ctr, false)?;
    let path = if path.is_empty() { "/" } else { path };
    let mut tail = tail_of(path);
    if path.trim_end_matches('/').is_empty() {
        tail = Tail::Contents;
    }
    let follow = a.follow_link || tail != Tail::Plain;
    let src = resolve(acc.root.as_fd(), path, follow).map_err(|e| match e {
        Errno::NOENT | Errno::NOTDIR => not_found_in(path, ctr),
        e => Error::io(format!("open {path} in the container"), e.into()),
    })?;
    let src_dir = is_dir(&stat_fd(src.as_fd())?);
    if tail == Tail::Slash && !src_dir {
        return Err(Error::Msg(format!("\"{path}\" is not a directory")));
    }
    let base = base_name(path).unwrap_or_else(|| "/".into());
    let ids = acc.saved.ids.clone();
    if dest == "-" {
        let prefix = if tail == Tail::Contents && src_dir {
            String::new()
        } else {
            base
        };
        let map = |u, g| ids.inside(u, g);
        let tt = TreeTar {
            whiteouts: false,
            map_ids: Some(&map),
            skip: None,
            prefix,
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = tt.write_fd(src.as_fd(), &mut out).and_then(|_| {
            out.flush()
                .map_err(|e| Error::io("write the tar archive", e))
        });
        match written {
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => {
                other?;
            }
        }
        copy_event(paths, &acc.saved.rec);
        return Ok(());
    }
    let lookup = |p: &str| rustix::fs::open(p, OFlags::PATH | OFlags::CLOEXEC, Mode::empty());
    let to = landing(dest, src_dir, tail, &base, &lookup, &|p| {
        not_found_on_host(p)
    })?;
    // Files on the host belong to the user: root of rl's user namespace.
    let opts = IntoOptions {
        chown: true,
        owners: None,
    };
    pipe_copy(src, to.name, &|_, _| (0, 0), to.dir, &opts)?;
    copy_event(paths, &acc.saved.rec);
    Ok(())
}

/// The container's main user (the spec's process user), as container ids.
fn main_user(spec: Option<&oci_spec::runtime::Spec>) -> (u32, u32) {
    spec.and_then(|s| s.process().as_ref())
        .map(|p| (p.user().uid(), p.user().gid()))
        .unwrap_or((0, 0))
}

/// Host (or a tar stream on standard input) → container.
fn copy_in(paths: &Paths, a: &CpArgs, src: &str, ctr: &str, path: &str) -> Result<()> {
    let path = if path.is_empty() { "/" } else { path };
    // The source first: a missing host path is an error before the container is touched.
    let stdin = src == "-";
    let mut spool = None;
    if stdin {
        spool = Some(spool_stdin()?);
    } else {
        let exists = if a.follow_link {
            std::fs::metadata(src).is_ok()
        } else {
            std::fs::symlink_metadata(src).is_ok()
        };
        if !exists {
            return Err(not_found_on_host(src));
        }
    }
    let acc = access(paths, ctr, true)?;
    let ids = acc.saved.ids.clone();
    let user = main_user(acc.saved.spec.as_ref());
    let archive = a.archive;
    let owners = OwnerMap(std::sync::Arc::new(move |u, g| {
        if archive {
            ids.on_disk(user.0, user.1)
        } else {
            ids.on_disk(u, g)
        }
    }));
    let opts = IntoOptions {
        chown: true,
        owners: Some(owners),
    };
    let lookup = |p: &str| resolve(acc.root.as_fd(), p, true);
    if let Some(file) = spool {
        let dir = lookup(path).map_err(|_| not_found_in(path, ctr))?;
        if !is_dir(&stat_fd(dir.as_fd())?) {
            return Err(Error::Msg(format!(
                "destination \"{path}\" must be a directory when copying from stdin"
            )));
        }
        extract_into(file, dir, &opts).map_err(|e| extract_error(&e))?;
        copy_event(paths, &acc.saved.rec);
        return Ok(());
    }
    let tail = tail_of(src);
    let follow = a.follow_link || tail != Tail::Plain;
    let open_flags = if follow {
        OFlags::PATH | OFlags::CLOEXEC
    } else {
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC
    };
    let src_fd =
        rustix::fs::open(src, open_flags, Mode::empty()).map_err(|_| not_found_on_host(src))?;
    let src_dir = is_dir(&stat_fd(src_fd.as_fd())?);
    if tail == Tail::Slash && !src_dir {
        return Err(Error::Msg(format!("\"{src}\" is not a directory")));
    }
    let base = match base_name(src) {
        Some(b) if b != ".." => b,
        _ => std::fs::canonicalize(src)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "root".into()),
    };
    let to = landing(path, src_dir, tail, &base, &lookup, &|p| {
        not_found_in(p, ctr)
    })?;
    pipe_copy(src_fd, to.name, &|u, g| (u, g), to.dir, &opts)?;
    copy_event(paths, &acc.saved.rec);
    Ok(())
}

/// Read a tar stream (plain, gzip, bzip2, xz or zstd) from standard input into an unnamed temporary file,
/// decompressed, and check it (hostile names are refused before anything is written into the
/// container).
fn spool_stdin() -> Result<File> {
    let tmp = std::env::temp_dir();
    let fd = rustix::fs::open(
        &tmp,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| Error::path("create a temporary file in", &tmp, e.into()))?;
    let mut file = File::from(fd);
    let mut input = crate::image::archive::decompressed(std::io::stdin().lock())?;
    std::io::copy(&mut input, &mut file).map_err(|e| Error::io("read standard input", e))?;
    file.rewind().map_err(|e| Error::io("rewind", e))?;
    let not_tar =
        || Error::Msg("source must be a (compressed) tar archive when copying from stdin".into());
    match check_archive(&mut file) {
        Ok(0) | Err(ExtractError::Archive { .. }) => return Err(not_tar()),
        Ok(_) => {}
        Err(e) => return Err(extract_error(&e)),
    }
    file.rewind().map_err(|e| Error::io("rewind", e))?;
    Ok(file)
}

/// Paths whose contents `export` leaves out (the container's /proc, /sys, /dev mounts).
fn export_skip(rel: &str) -> bool {
    ["proc/", "sys/", "dev/"].iter().any(|p| rel.starts_with(p))
}

/// `rl export`.
pub fn export(a: &ExportArgs) -> Result<()> {
    if a.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::Msg(
            "refusing to export to terminal. Use -o flag or redirect".into(),
        ));
    }
    let paths = Paths::from_env()?;
    let saved = load_saved(&paths, &a.container)?;
    let bundle = saved.bundle.as_ref().ok_or_else(|| no_bundle(&saved.rec))?;
    let mut out: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(File::create(p).map_err(|e| Error::path("create", p, e))?),
        None => Box::new(std::io::stdout().lock()),
    };
    private_mounts()?;
    let rootfs = mount_overlay(&saved.dir, bundle, false)?;
    let ids = saved.ids.clone();
    let map = |u, g| ids.inside(u, g);
    let skip = |rel: &str, _: &std::fs::Metadata| export_skip(rel);
    let tt = TreeTar {
        whiteouts: false,
        map_ids: Some(&map),
        skip: Some(&skip),
        prefix: String::new(),
    };
    let mut buffered = std::io::BufWriter::with_capacity(256 * 1024, &mut out);
    tt.write(&rootfs, &mut buffered)?;
    buffered
        .flush()
        .map_err(|e| Error::io("write the tar archive", e))?;
    crate::events::record(&paths, &container::event(&saved.rec, "export"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_as_podman_reads_them() {
        assert_eq!(
            parse_side("web:/etc/passwd"),
            Side::Ctr("web".into(), "/etc/passwd".into())
        );
        assert_eq!(parse_side("./a:b"), Side::Host("./a:b".into()));
        assert_eq!(parse_side("/tmp/x"), Side::Host("/tmp/x".into()));
        assert_eq!(parse_side("-"), Side::Host("-".into()));
        assert_eq!(parse_side("file"), Side::Host("file".into()));
    }

    #[test]
    fn archive_takes_a_value_only_with_equals() {
        use clap::Parser;
        let parse = |args: &[&str]| match crate::cli::Cli::try_parse_from(args).unwrap().command {
            Some(crate::cli::Command::Cp(a)) => (a.archive, a.src, a.dest),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            parse(&["rl", "cp", "-a", "/x", "c:/y"]),
            (true, "/x".into(), "c:/y".into())
        );
        assert!(!parse(&["rl", "cp", "--archive=false", "-", "c:/y"]).0);
        assert!(!parse(&["rl", "cp", "-a=false", "c:/y", "-"]).0);
        assert!(parse(&["rl", "cp", "c:/y", "/z"]).0);
    }

    #[test]
    fn tails_and_names() {
        assert_eq!(tail_of("/etc/."), Tail::Contents);
        assert_eq!(tail_of("/etc/"), Tail::Slash);
        assert_eq!(tail_of("/etc"), Tail::Plain);
        assert_eq!(tail_of("/"), Tail::Plain);
        assert_eq!(base_name("/a/b/").as_deref(), Some("b"));
        assert_eq!(base_name("/"), None);
        assert_eq!(base_name("x"), Some("x".into()));
    }

    #[test]
    fn nested_ids_translate_both_ways() {
        let ids = Ids {
            uids: vec![
                IdMapping {
                    container_id: 0,
                    host_id: 1,
                    size: 1000,
                },
                IdMapping {
                    container_id: 1000,
                    host_id: 0,
                    size: 1,
                },
            ],
            gids: vec![IdMapping {
                container_id: 0,
                host_id: 0,
                size: 65536,
            }],
        };
        assert_eq!(ids.on_disk(1000, 5), (0, 5));
        assert_eq!(ids.on_disk(0, 0), (1, 0));
        assert_eq!(ids.inside(0, 7), (1000, 7));
        assert_eq!(ids.inside(1, 0), (0, 0));
        assert_eq!(ids.on_disk(5000, 70000), (NOBODY, NOBODY));
        assert_eq!(Ids::default().on_disk(42, 43), (42, 43));
    }

    #[test]
    fn export_leaves_out_mount_contents_only() {
        assert!(export_skip("proc/1"));
        assert!(export_skip("dev/null"));
        assert!(!export_skip("proc"));
        assert!(!export_skip("devices"));
        assert!(!export_skip("etc/passwd"));
    }

    #[test]
    fn landing_follows_docker_rules() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("d")).unwrap();
        std::fs::write(t.path().join("f"), "x").unwrap();
        let base = t.path().to_string_lossy().into_owned();
        let lookup = |p: &str| rustix::fs::open(p, OFlags::PATH | OFlags::CLOEXEC, Mode::empty());
        let missing = |p: &str| not_found_on_host(p);
        let at = |d: &str, src_dir: bool, tail: Tail| {
            landing(
                &format!("{base}/{d}"),
                src_dir,
                tail,
                "src",
                &lookup,
                &missing,
            )
        };
        // Into an existing directory, under the source's name; its contents with SRC/. .
        assert_eq!(
            at("d", false, Tail::Plain).unwrap().name.as_deref(),
            Some("src")
        );
        assert_eq!(at("d", true, Tail::Contents).unwrap().name, None);
        // A new name, or a file replaced.
        assert_eq!(
            at("new", true, Tail::Plain).unwrap().name.as_deref(),
            Some("new")
        );
        assert_eq!(
            at("f", false, Tail::Plain).unwrap().name.as_deref(),
            Some("f")
        );
        // A directory onto a file; a missing parent; a missing directory named with a slash.
        let e = |r: Result<Landing>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e(at("f", true, Tail::Plain)).contains("must be a directory"));
        assert!(e(at("nope/x", false, Tail::Plain)).contains("could not be found on the host"));
        assert!(e(at("nope/", false, Tail::Plain)).contains("could not be found on the host"));
    }
}
