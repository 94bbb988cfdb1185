//! The container's file system, built in the child after it has entered its namespaces:
//! overlay root, the spec's mounts (destinations resolved inside the root with
//! `openat2(RESOLVE_IN_ROOT)`, so a symlink in the image cannot redirect a mount onto the host),
//! extra file binds, pivot_root, the spec's sysctls, masked and read-only paths.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use oci_spec::runtime::{Mount, Spec};
use rustix::fs::{Mode, OFlags, ResolveFlags};

use super::{Bundle, SetupError};

type Res<T> = std::result::Result<T, SetupError>;

fn fail(what: impl std::fmt::Display, e: impl std::fmt::Display) -> SetupError {
    SetupError::rl(format!("{what}: {e}"))
}

/// Make every mount of the calling (new) mount namespace private, so nothing mounted in it
/// propagates back to the host's mounts.
pub fn make_root_private() -> nix::Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
}

/// Mount everything and pivot into the new root.
pub fn prepare_root(spec: &Spec, bundle: &Bundle, console: Option<&OwnedFd>) -> Res<()> {
    make_root_private().map_err(|e| fail("make / private", e.desc()))?;
    let sources = Sources::open(spec, bundle)?;
    let mut rootfs = bundle.dir.join("rootfs");
    let mut _held = None;
    match &bundle.nested_userns {
        None => mount_overlay(bundle, &rootfs)?,
        Some(maps) => {
            let dirs = OverlayDirs::open(bundle)?;
            super::become_nested_root(maps)?;
            rootfs = dirs.mount(bundle)?;
            _held = Some(dirs);
        }
    }
    crate::timing::mark("container: overlay mounted");
    let root_fd = rustix::fs::open(
        &rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| fail("open the root file system", e))?;
    for (volume, dest) in &bundle.copy_up {
        copy_up(&root_fd, &sources.path(volume), dest)?;
    }
    for m in spec.mounts().iter().flatten() {
        mount_one(&root_fd, m, &sources)?;
    }
    for (src, dest) in &bundle.binds {
        let target = resolve(&root_fd, dest, Create::File)?;
        bind(&sources.path(src), &target, MsFlags::empty(), dest)?;
    }
    dev_links(&root_fd)?;
    if let Some(tty) = console {
        // The terminal lives in rl's devpts, which the container cannot see: bind it on
        // /dev/console (as crun does), so `tty` and ttyname() find it.
        // Bind it by its name (the descriptor's mount belongs to the namespace it was opened in).
        let target = resolve(&root_fd, "/dev/console", Create::File)?;
        let src = std::fs::read_link(format!("/proc/self/fd/{}", tty.as_raw_fd()))
            .map_err(|e| fail("find the terminal's name", e))?;
        bind(&src, &target, MsFlags::empty(), "/dev/console")?;
    }
    crate::timing::mark("container: mounts done");
    pivot(&rootfs)?;
    crate::timing::mark("container: pivoted");
    if let Some(linux) = spec.linux() {
        // Before /proc/sys becomes read-only below (a read-only path, as in podman).
        for (k, v) in linux.sysctl().iter().flatten() {
            let path = format!("/proc/sys/{}", k.replace('.', "/"));
            std::fs::write(&path, v).map_err(|e| fail(format!("set sysctl {k}"), e))?;
        }
        for p in linux.masked_paths().iter().flatten() {
            mask(p)?;
        }
        for p in linux.readonly_paths().iter().flatten() {
            readonly(p)?;
        }
    }
    if spec
        .root()
        .as_ref()
        .is_some_and(|r| r.readonly() == Some(true))
    {
        remount("/", MsFlags::MS_RDONLY, "/")?;
    }
    Ok(())
}

/// Host paths the container's mounts come from, opened (O_PATH) while the process still has
/// the user's own identity. In a nested user namespace (`--userns=keep-id`, `--uidmap`) the
/// container's root may be an id that cannot search the user's private directories (a 0700
/// home, rl's store), so the mounts go through `/proc/self/fd/N`, which reaches the file
/// without walking its parents. Without a nested namespace the paths are used as they are.
struct Sources(Vec<(PathBuf, OwnedFd)>);

impl Sources {
    fn open(spec: &Spec, bundle: &Bundle) -> Res<Sources> {
        let mut out = Vec::new();
        if bundle.nested_userns.is_none() {
            return Ok(Sources(out));
        }
        let paths: Vec<PathBuf> = bundle.host_sources(spec).flatten().collect();
        for p in paths {
            let fd = rustix::fs::open(&p, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
                .map_err(|e| fail(format!("open {}", p.display()), e))?;
            out.push((p, fd));
        }
        Ok(Sources(out))
    }

    /// The path to use for `p`: its descriptor's when one was opened.
    fn path(&self, p: &Path) -> PathBuf {
        self.0.iter().find(|(q, _)| q == p).map_or_else(
            || p.to_path_buf(),
            |(_, fd)| PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())),
        )
    }
}

/// The overlay's directories for a nested user namespace, opened as the user: its root may not
/// search the user's private directories, so the layers, upper and work directories are named
/// by `/proc/self/fd/N` in the mount options, and the mount point through the container's
/// directory (mode 0711, see `rl run`), whose parents are never walked.
struct OverlayDirs {
    container: OwnedFd,
    layers: Vec<OwnedFd>,
    upper: OwnedFd,
    work: OwnedFd,
}

impl OverlayDirs {
    fn open(bundle: &Bundle) -> Res<OverlayDirs> {
        let dir = |p: &Path| {
            rustix::fs::open(
                p,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| fail(format!("open {}", p.display()), e))
        };
        Ok(OverlayDirs {
            container: dir(&bundle.dir)?,
            layers: bundle.layers.iter().map(|l| dir(l)).collect::<Res<_>>()?,
            upper: dir(&bundle.dir.join("upper"))?,
            work: dir(&bundle.dir.join("work"))?,
        })
    }

    /// Mount the overlay; returns the path of its root.
    fn mount(&self, bundle: &Bundle) -> Res<PathBuf> {
        let fd = |f: &OwnedFd| format!("/proc/self/fd/{}", f.as_raw_fd());
        let lower: Vec<String> = self.layers.iter().map(fd).collect();
        let mut opts = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.join(":"),
            fd(&self.upper),
            fd(&self.work)
        );
        if !bundle.overlay_options.is_empty() {
            opts.push(',');
            opts.push_str(&bundle.overlay_options);
        }
        if opts.len() >= 4096 {
            return Err(SetupError::rl(format!(
                "the image has too many layers ({}) for one overlay mount",
                bundle.layers.len()
            )));
        }
        let rootfs = PathBuf::from(format!("{}/rootfs", fd(&self.container)));
        mount(
            Some("overlay"),
            &rootfs,
            Some("overlay"),
            MsFlags::empty(),
            Some(opts.as_str()),
        )
        .map_err(|e| fail("mount the overlay root file system", e.desc()))?;
        Ok(rootfs)
    }
}

fn mount_overlay(bundle: &Bundle, rootfs: &Path) -> Res<()> {
    // Layer directories share a parent: name them relative to it so that many layers fit in
    // the one page the kernel accepts for mount options.
    let parent = bundle
        .layers
        .first()
        .and_then(|l| l.parent())
        .ok_or_else(|| SetupError::rl("the image has no layers"))?;
    let same_parent = bundle.layers.iter().all(|l| l.parent() == Some(parent));
    let lower: Vec<String> = bundle
        .layers
        .iter()
        .map(|l| {
            if same_parent {
                l.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                l.display().to_string()
            }
        })
        .collect();
    if same_parent {
        nix::unistd::chdir(parent)
            .map_err(|e| fail(format!("chdir {}", parent.display()), e.desc()))?;
    }
    let mut opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        bundle.dir.join("upper").display(),
        bundle.dir.join("work").display()
    );
    if !bundle.overlay_options.is_empty() {
        opts.push(',');
        opts.push_str(&bundle.overlay_options);
    }
    if opts.len() >= 4096 {
        return Err(SetupError::rl(format!(
            "the image has too many layers ({}) for one overlay mount",
            bundle.layers.len()
        )));
    }
    mount(
        Some("overlay"),
        rootfs,
        Some("overlay"),
        MsFlags::empty(),
        Some(opts.as_str()),
    )
    .map_err(|e| fail("mount the overlay root file system", e.desc()))?;
    nix::unistd::chdir("/").map_err(|e| fail("chdir /", e.desc()))
}

/// Fill an empty volume with what the image has at `dest` (owners, modes, symlinks kept), as
/// docker does the first time a volume is mounted.
fn copy_up(root: &OwnedFd, volume: &Path, dest: &str) -> Res<()> {
    let empty = std::fs::read_dir(volume)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if !empty {
        return Ok(());
    }
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let rel = dest.trim_start_matches('/');
    let src = match rustix::fs::openat2(
        root.as_fd(),
        rel,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        how,
    ) {
        Ok(fd) => Target::new(fd),
        // Nothing there in the image (or not a directory): the volume starts empty.
        Err(_) => return Ok(()),
    };
    copy_tree(&src.path, volume)
        .map_err(|e| fail(format!("copy {dest} from the image into its volume"), e))?;
    copy_meta(&src.path, volume).map_err(|e| fail(format!("copy {dest}'s owner and mode"), e))
}

fn copy_meta(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(from)?;
    std::os::unix::fs::lchown(to, Some(m.uid()), Some(m.gid()))?;
    if !m.file_type().is_symlink() {
        std::fs::set_permissions(to, m.permissions())?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let t = e.file_type()?;
        if t.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if t.is_dir() {
            std::fs::create_dir(&dst)?;
            copy_tree(&src, &dst)?;
        } else if t.is_file() {
            std::fs::copy(&src, &dst)?;
        } else {
            // Device nodes, fifos and sockets are not copied into volumes.
            continue;
        }
        copy_meta(&src, &dst)?;
    }
    Ok(())
}

/// What to create at a mount destination that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Create {
    Dir,
    File,
}

/// Open `path` inside the root (creating it and its parents when missing) and return a
/// `/proc/self/fd/N` path for it, valid while the returned descriptor lives.
///
/// Every lookup starts at the root with RESOLVE_IN_ROOT, so a symlink in the image cannot lead
/// out of it; what is missing is created relative to a directory opened that way.
fn resolve(root: &OwnedFd, path: &str, create: Create) -> Res<Target> {
    let rel = path.trim_start_matches('/');
    let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let at = |p: &str, flags: OFlags| {
        rustix::fs::openat2(
            root.as_fd(),
            if p.is_empty() { "." } else { p },
            flags | OFlags::CLOEXEC,
            Mode::empty(),
            how,
        )
    };
    let open = |p: &str| at(p, OFlags::PATH);
    let dir = |p: &str| at(p, OFlags::DIRECTORY | OFlags::RDONLY);
    match open(rel) {
        Ok(fd) => return Ok(Target::new(fd)),
        Err(rustix::io::Errno::NOENT) => {}
        Err(e) => return Err(fail(format!("resolve {path} in the container"), e)),
    }
    let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
    let make = |parent: &OwnedFd, name: &str, last: bool| {
        let made = if last && create == Create::File {
            rustix::fs::openat(
                parent,
                name,
                OFlags::CREATE | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .map(drop)
        } else {
            rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o755))
        };
        match made {
            Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
            Err(e) => Err(fail(format!("create mount point {path}"), e)),
        }
    };
    // Mostly only the last component is missing (a device node in the new /dev, say): create
    // it in its parent, opened at once.
    let (parents, last) = comps.split_at(comps.len().saturating_sub(1));
    let made_last = match (last.first(), dir(&parents.join("/"))) {
        (Some(name), Ok(parent)) => {
            make(&parent, name, true)?;
            true
        }
        (None, _) | (_, Err(rustix::io::Errno::NOENT)) => false,
        (_, Err(e)) => return Err(fail(format!("open a parent of {path}"), e)),
    };
    if !made_last {
        // Create each missing directory on the way, then the last component.
        let mut prefix = String::new();
        for (i, c) in comps.iter().enumerate() {
            let parent = dir(&prefix).map_err(|e| fail(format!("open a parent of {path}"), e))?;
            make(&parent, c, i + 1 == comps.len())?;
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(c);
        }
    }
    open(rel)
        .map(Target::new)
        .map_err(|e| fail(format!("resolve {path} in the container"), e))
}

/// An opened mount destination.
struct Target {
    fd: OwnedFd,
    path: PathBuf,
}

impl Target {
    fn new(fd: OwnedFd) -> Target {
        let path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        Target { fd, path }
    }
}

fn split_options(opts: &[String]) -> (MsFlags, String, bool) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    let mut recursive_bind = false;
    for o in opts {
        match o.as_str() {
            "ro" => flags |= MsFlags::MS_RDONLY,
            "rw" => {}
            "nosuid" => flags |= MsFlags::MS_NOSUID,
            "nodev" => flags |= MsFlags::MS_NODEV,
            "noexec" => flags |= MsFlags::MS_NOEXEC,
            "relatime" => flags |= MsFlags::MS_RELATIME,
            "strictatime" => flags |= MsFlags::MS_STRICTATIME,
            "noatime" => flags |= MsFlags::MS_NOATIME,
            "bind" => flags |= MsFlags::MS_BIND,
            "rbind" => {
                flags |= MsFlags::MS_BIND;
                recursive_bind = true;
            }
            "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" | "z" | "Z"
            | "U" => {}
            other => data.push(other.to_string()),
        }
    }
    (flags, data.join(","), recursive_bind)
}

fn mount_one(root: &OwnedFd, m: &Mount, sources: &Sources) -> Res<()> {
    let dest = m.destination().to_string_lossy().into_owned();
    let typ = m.typ().clone().unwrap_or_default();
    let opts = m.options().clone().unwrap_or_default();
    let (flags, data, rbind) = split_options(&opts);
    let source = m.source().clone().unwrap_or_default();
    if typ == "bind" || flags.contains(MsFlags::MS_BIND) {
        let source = sources.path(&source);
        let create = if source.is_dir() {
            Create::Dir
        } else {
            Create::File
        };
        let target = resolve(root, &dest, create)?;
        let rec = if rbind {
            MsFlags::MS_REC
        } else {
            MsFlags::empty()
        };
        bind(&source, &target, rec, &dest)?;
        let extra = flags
            & (MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC);
        if !extra.is_empty() {
            // The descriptor opened before the bind names what is now underneath it: open the
            // destination again to reach the new mount.
            let mounted = resolve(root, &dest, create)?;
            remount(&mounted.path, extra, &dest)?;
        }
        return Ok(());
    }
    let target = resolve(root, &dest, Create::Dir)?;
    let data = (!data.is_empty()).then_some(data.as_str());
    let res = mount(
        Some(typ.as_str()),
        &target.path,
        Some(typ.as_str()),
        flags,
        data,
    );
    match (res, typ.as_str()) {
        (Ok(()), _) => Ok(()),
        // sysfs needs a network namespace of our own; otherwise bind the host's, read-only.
        (Err(nix::errno::Errno::EPERM), "sysfs") => {
            bind(Path::new("/sys"), &target, MsFlags::MS_REC, &dest)?;
            let mounted = resolve(root, &dest, Create::Dir)?;
            remount(
                &mounted.path,
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                &dest,
            )
        }
        (Err(nix::errno::Errno::EPERM), "mqueue") => {
            bind(Path::new("/dev/mqueue"), &target, MsFlags::empty(), &dest)
        }
        // cgroup v1 hierarchies cannot be mounted in a user namespace; the container goes
        // without (as podman does rootless on cgroup v1).
        (Err(nix::errno::Errno::EPERM), "cgroup" | "cgroup2") => Ok(()),
        (Err(e), _) => Err(fail(format!("mount {typ} on {dest}"), e.desc())),
    }
}

fn bind(src: &Path, target: &Target, extra: MsFlags, dest: &str) -> Res<()> {
    let _keep = &target.fd;
    mount(
        Some(src),
        &target.path,
        None::<&str>,
        MsFlags::MS_BIND | extra,
        None::<&str>,
    )
    .map_err(|e| fail(format!("bind {} on {dest}", src.display()), e.desc()))
}

/// Remount a bind with `flags`, keeping the flags the kernel locks for an unprivileged mount
/// (nosuid, nodev, noexec, atime) that were already set, or the remount fails with EPERM.
fn remount(path: impl AsRef<Path>, flags: MsFlags, what: &str) -> Res<()> {
    let path = path.as_ref();
    let locked = nix::sys::statvfs::statvfs(path)
        .map(|s| {
            use nix::sys::statvfs::FsFlags;
            let f = s.flags();
            let mut m = MsFlags::empty();
            for (a, b) in [
                (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
                (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
                (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
                (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
                (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
                (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
            ] {
                if f.contains(a) {
                    m |= b;
                }
            }
            m
        })
        .unwrap_or(MsFlags::empty());
    mount(
        None::<&str>,
        path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | flags | locked,
        None::<&str>,
    )
    .map_err(|e| fail(format!("remount {what}"), e.desc()))
}

fn dev_links(root: &OwnedFd) -> Res<()> {
    let dev = rustix::fs::openat2(
        root.as_fd(),
        "dev",
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT,
    )
    .map_err(|e| fail("open /dev in the container", e))?;
    for (name, target) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("core", "/proc/kcore"),
    ] {
        match rustix::fs::symlinkat(target, &dev, name) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(fail(format!("create /dev/{name}"), e)),
        }
    }
    Ok(())
}

fn pivot(rootfs: &Path) -> Res<()> {
    nix::unistd::chdir(rootfs).map_err(|e| fail("chdir into the root file system", e.desc()))?;
    // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the
    // container's root (no path back to the host's file system).
    nix::unistd::pivot_root(".", ".").map_err(|e| fail("pivot_root", e.desc()))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(|e| fail("detach the old root", e.desc()))?;
    nix::unistd::chdir("/").map_err(|e| fail("chdir /", e.desc()))
}

fn mask(p: &str) -> Res<()> {
    let meta = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    let res = if meta.is_dir() {
        mount(
            Some("tmpfs"),
            p,
            Some("tmpfs"),
            MsFlags::MS_RDONLY,
            Some("size=0k,nr_inodes=1"),
        )
    } else {
        mount(
            Some("/dev/null"),
            p,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
    };
    res.map_err(|e| fail(format!("mask {p}"), e.desc()))
}

fn readonly(p: &str) -> Res<()> {
    if std::fs::symlink_metadata(p).is_err() {
        return Ok(());
    }
    mount(
        Some(p),
        p,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| fail(format!("bind {p} read-only"), e.desc()))?;
    remount(p, MsFlags::MS_RDONLY, p)
}
