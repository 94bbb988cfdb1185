//! Re-owned copies of extracted image layers, for containers in a nested user namespace.
//!
//! A container run with `--userns=keep-id` or `--uidmap`/`--gidmap` lives in a user namespace
//! nested in rl's own, whose map is `container id -> outer id`. A layer extracted by
//! [`crate::image::extract`] stores the image's owners as outer ids equal to the container ids
//! (outer id `o` is the image's id `o`). Idmapped mounts are not available rootless here, so,
//! like containers-storage, rl copies the layer once per map with every owner `o` replaced by
//! `m(o)`; ids the map does not cover keep their value. [`copy_remapped`] makes that copy.
//!
//! # What is copied
//!
//! Directories, regular files (data with `copy_file_range`, which copies in the kernel or
//! reflinks; `sendfile` where the kernel cannot copy between the two file systems), symlinks
//! (target verbatim), hard links (two names of one source inode become two names of one new
//! inode), fifos, sockets and device nodes (`mknodat` with the same `rdev`; the overlay
//! whiteouts, character devices 0/0, can be made in a user namespace, other devices fail with
//! `EPERM` rootless, which is an error naming the node). For every entry: owner (translated),
//! extended attributes, mode, then access and modification times with nanoseconds. A directory's
//! xattrs, mode and times are applied after its contents are written (so a read-only source
//! directory never blocks writing its children, a default ACL is not inherited by them, and the
//! time is not disturbed by creating them); `chown` comes before the mode because it clears
//! setuid/setgid, and before the xattrs because it clears `security.capability`.
//!
//! Extended attributes: every name `llistxattr` lists on the source is copied. One in the
//! `security.` or `trusted.` namespaces that the destination refuses with `EPERM` or `ENOTSUP`
//! is skipped (an unprivileged process cannot set `trusted.*`, SELinux may refuse a label);
//! any other failure is an error. `user.overlay.opaque` and `user.rl.owner` are ordinary user
//! xattrs here and are copied as they are.
//!
//! # Safety model
//!
//! The source is a layer extracted from an untrusted image; the copy never follows a symlink in
//! it. The tree is walked with directory file descriptors: every child is opened with
//! `openat(O_NOFOLLOW)` (plus `O_DIRECTORY` for directories, `O_NONBLOCK | O_NOCTTY` for files),
//! its type is checked on the opened descriptor, and symlinks, devices, fifos and sockets are
//! never opened, only `fstatat(AT_SYMLINK_NOFOLLOW)`-ed and `readlinkat`-ed. Names come from
//! `getdents`, so they contain neither `/` nor NUL. Xattrs of files and directories are read and
//! written on their descriptors; those of symlinks and nodes through
//! `/proc/self/fd/<directory fd>/<name>` with the `l*xattr` calls, which resolve the directory
//! through its open descriptor and do not follow the final name (so `/proc` must be mounted,
//! as it is wherever rl runs).
//!
//! The destination is a directory this function creates itself (`mkdir` fails if it exists);
//! everything in it is created with exclusive `*at` calls relative to descriptors of directories
//! created here.
//!
//! # Resources
//!
//! The walk is iterative: no recursion, so no stack overflow on deep trees. A tree more than
//! [`MAX_DEPTH`] directories deep is an error. Descriptors are bounded too: each directory's
//! names are read in full when it is entered, and only the innermost 32 levels (plus the roots)
//! keep their two descriptors open, so a copy needs at most about 70 descriptors however deep
//! the tree. When the walk returns to a closed level, it and the levels above it are reopened
//! one component at a time from the nearest open ancestor (`O_NOFOLLOW | O_DIRECTORY`), and
//! their device and inode numbers are checked against the ones recorded when they were first
//! opened. Buffers are reused across entries and directories; the only per-entry allocation is
//! the remembered path of the first name of a multiply-linked inode. Per regular file the copy
//! costs about ten system calls (two opens, `fstat`, the data, `fchown`, `flistxattr`,
//! `fchmod`, `futimens`, two closes).
//!
//! Nothing is synced, and on error the partial destination is left for the caller to remove
//! (the caller builds the copy under a temporary name and renames it into place).

use std::collections::HashMap;
use std::ffi::{CStr, OsStr};
use std::fmt::Display;
use std::fs::File;
use std::io::{self, Write as _};
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{
    self as fs, AtFlags, FileType, Gid, Mode, OFlags, RawDir, Timespec, Timestamps, Uid, XattrFlags,
};
use rustix::io::Errno;

use crate::userns::IdMapping;

/// The deepest directory nesting [`copy_remapped`] copies (levels below the root).
pub const MAX_DEPTH: usize = 4096;

/// Initial size of the xattr name list and value buffers (they grow as needed).
const XATTR_BUF: usize = 256;

/// Directory levels whose descriptors stay open during the walk (besides the roots).
const FD_WINDOW: usize = 32;

/// Translate one id through a container->outer map; None when not covered.
///
/// The first mapping that covers `id` wins. A mapping whose outer range would overflow `u32`
/// covers nothing beyond `u32::MAX`.
pub fn map_id(maps: &[IdMapping], id: u32) -> Option<u32> {
    maps.iter().find_map(|m| {
        let off = id.checked_sub(m.container_id)?;
        if off < m.size {
            m.host_id.checked_add(off)
        } else {
            None
        }
    })
}

/// Counters of a copy.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RemapStats {
    /// Regular files created (each inode once; further names count as hard links).
    pub files: u64,
    /// Directories created, the destination root included.
    pub dirs: u64,
    /// Symlinks created.
    pub symlinks: u64,
    /// Additional names of an inode already copied, made with `linkat`.
    pub hardlinks: u64,
    /// Fifos, sockets and device nodes (overlay whiteouts among them).
    pub others: u64,
    /// Bytes of regular file data copied.
    pub bytes: u64,
}

/// Copy the tree `src` to the new directory `dst` (must not exist; its parent must), translating every owner
/// through `uids`/`gids`. Errors carry the path: `io::Error` whose message is `"<what> <path>: <cause>"`.
///
/// Owners the maps do not cover are kept. `dst` gets the mode, translated owner, xattrs and times
/// of `src` itself. `src` must be a directory and not a symlink. See the module documentation
/// for what is copied and how. On error, `dst` may exist partially written.
pub fn copy_remapped(
    src: &Path,
    dst: &Path,
    uids: &[IdMapping],
    gids: &[IdMapping],
) -> io::Result<RemapStats> {
    copy_with_limits(src, dst, uids, gids, MAX_DEPTH, FD_WINDOW)
}

fn copy_with_limits(
    src: &Path,
    dst: &Path,
    uids: &[IdMapping],
    gids: &[IdMapping],
    max_depth: usize,
    window: usize,
) -> io::Result<RemapStats> {
    let mut c = Copier {
        src_root: src,
        dst_root: dst,
        uids,
        gids,
        max_depth,
        window: window.max(1),
        stats: RemapStats::default(),
        rel: Vec::with_capacity(256),
        links: HashMap::new(),
        pool: Vec::new(),
        dirbuf: vec![MaybeUninit::uninit(); 32 * 1024],
        link_buf: vec![0; 4096],
        cfr: true,
        x: XBufs {
            list: vec![0; XATTR_BUF],
            value: vec![0; XATTR_BUF],
            src_path: Vec::with_capacity(64),
            dst_path: Vec::with_capacity(64),
        },
    };
    let mut frames = Vec::new();
    c.run(&mut frames)?;
    Ok(c.stats)
}

/// Which tree an error's path is in.
#[derive(Debug, Clone, Copy)]
enum Side {
    Src,
    Dst,
}

/// The metadata of a source entry that the copy uses.
#[derive(Debug, Clone, Copy)]
struct Meta {
    kind: FileType,
    /// Permission bits with setuid, setgid and sticky.
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    dev: u64,
    ino: u64,
    rdev: u64,
    size: u64,
    atime: Timespec,
    mtime: Timespec,
}

impl Meta {
    // The field types of `struct stat` differ between architectures.
    #[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
    fn from_stat(st: &fs::Stat) -> Meta {
        Meta {
            kind: FileType::from_raw_mode(st.st_mode),
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            nlink: u64::from(st.st_nlink),
            dev: u64::from(st.st_dev),
            ino: u64::from(st.st_ino),
            rdev: u64::from(st.st_rdev),
            size: u64::try_from(st.st_size).unwrap_or(0),
            atime: Timespec {
                tv_sec: i64::from(st.st_atime),
                tv_nsec: st.st_atime_nsec.try_into().unwrap_or(0),
            },
            mtime: Timespec {
                tv_sec: i64::from(st.st_mtime),
                tv_nsec: st.st_mtime_nsec.try_into().unwrap_or(0),
            },
        }
    }

    fn times(&self) -> Timestamps {
        Timestamps {
            last_access: self.atime,
            last_modification: self.mtime,
        }
    }
}

/// One directory being copied.
#[derive(Debug)]
struct Frame {
    /// The source directory; `None` while closed to bound descriptor use.
    src: Option<OwnedFd>,
    /// The destination directory; open exactly when `src` is.
    dst: Option<OwnedFd>,
    /// The source directory's metadata, applied to the destination when leaving it.
    meta: Meta,
    /// Device and inode of the destination directory, checked when reopening it.
    dst_id: (u64, u64),
    /// The entries: for each, one byte of file type (`S_IFMT >> 12`, 0 for unknown), the
    /// name, a NUL.
    names: Vec<u8>,
    /// Offset of the next entry in `names`.
    pos: usize,
    /// Length of this directory's path relative to the roots (a prefix of `Copier::rel`).
    rel_len: usize,
}

/// Reusable buffers for xattr copying.
#[derive(Debug, Default)]
struct XBufs {
    list: Vec<u8>,
    value: Vec<u8>,
    src_path: Vec<u8>,
    dst_path: Vec<u8>,
}

/// Where an entry's xattrs are read or written.
#[derive(Debug, Clone, Copy)]
enum At<'a> {
    /// On an open file or directory.
    Fd(BorrowedFd<'a>),
    /// The name in a directory, not followed (symlinks, nodes, unreadable empty files).
    Name(BorrowedFd<'a>, &'a CStr),
}

/// An [`At`] resolved to something the xattr calls take.
#[derive(Debug, Clone, Copy)]
enum XTarget<'a> {
    Fd(BorrowedFd<'a>),
    Path(&'a CStr),
}

impl XTarget<'_> {
    fn list(self, buf: &mut [u8]) -> Result<usize, Errno> {
        match self {
            XTarget::Fd(fd) => fs::flistxattr(fd, buf),
            XTarget::Path(p) => fs::llistxattr(p, buf),
        }
    }

    fn list_size(self) -> Result<usize, Errno> {
        match self {
            XTarget::Fd(fd) => fs::flistxattr_query(fd),
            XTarget::Path(p) => fs::llistxattr_query(p),
        }
    }

    fn get(self, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
        match self {
            XTarget::Fd(fd) => fs::fgetxattr(fd, name, buf),
            XTarget::Path(p) => fs::lgetxattr(p, name, buf),
        }
    }

    fn get_size(self, name: &CStr) -> Result<usize, Errno> {
        match self {
            XTarget::Fd(fd) => fs::fgetxattr_query(fd, name),
            XTarget::Path(p) => fs::lgetxattr_query(p, name),
        }
    }

    fn set(self, name: &CStr, value: &[u8]) -> Result<(), Errno> {
        match self {
            XTarget::Fd(fd) => fs::fsetxattr(fd, name, value, XattrFlags::empty()),
            XTarget::Path(p) => fs::lsetxattr(p, name, value, XattrFlags::empty()),
        }
    }
}

/// Resolve `at`, writing a `/proc/self/fd/N/name` path into `buf` when needed.
fn xtarget<'a>(at: At<'a>, buf: &'a mut Vec<u8>) -> XTarget<'a> {
    match at {
        At::Fd(fd) => XTarget::Fd(fd),
        At::Name(dir, name) => {
            buf.clear();
            // Writing into a Vec cannot fail.
            let _ = write!(buf, "/proc/self/fd/{}/", dir.as_raw_fd());
            buf.extend_from_slice(name.to_bytes_with_nul());
            // A name from getdents has no NUL inside; an empty path (ENOENT) would be the
            // outcome otherwise, never another file.
            XTarget::Path(CStr::from_bytes_with_nul(buf).unwrap_or(c""))
        }
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
const FILE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

/// The state of one copy, apart from the stack of directories.
#[derive(Debug)]
struct Copier<'a> {
    src_root: &'a Path,
    dst_root: &'a Path,
    uids: &'a [IdMapping],
    gids: &'a [IdMapping],
    max_depth: usize,
    window: usize,
    stats: RemapStats,
    /// Path of the current entry relative to the roots.
    rel: Vec<u8>,
    /// Multiply-linked inodes seen: (dev, ino) -> (destination path of the first name, names
    /// still expected).
    links: HashMap<(u64, u64), (Vec<u8>, u64)>,
    /// Name buffers of finished directories, for reuse.
    pool: Vec<Vec<u8>>,
    /// getdents buffer.
    dirbuf: Vec<MaybeUninit<u8>>,
    /// readlinkat buffer.
    link_buf: Vec<u8>,
    /// Whether `copy_file_range` works between the trees (cleared at its first refusal).
    cfr: bool,
    x: XBufs,
}

impl Copier<'_> {
    /// The error for `what` failing on `rel` (relative to the root of `side`).
    fn err_at(
        &self,
        what: impl Display,
        side: Side,
        rel: &[u8],
        e: impl Into<io::Error>,
    ) -> io::Error {
        let e: io::Error = e.into();
        let root = match side {
            Side::Src => self.src_root,
            Side::Dst => self.dst_root,
        };
        let path = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(OsStr::from_bytes(rel))
        };
        io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
    }

    /// The error for `what` failing on the current entry.
    fn err(&self, what: impl Display, side: Side, e: impl Into<io::Error>) -> io::Error {
        self.err_at(what, side, &self.rel, e)
    }

    /// The translated owner of an entry.
    fn owner(&self, meta: &Meta) -> io::Result<(Uid, Gid)> {
        let uid = map_id(self.uids, meta.uid).unwrap_or(meta.uid);
        let gid = map_id(self.gids, meta.gid).unwrap_or(meta.gid);
        // To chown, -1 means "leave unchanged": never let a map produce it.
        if uid == u32::MAX || gid == u32::MAX {
            return Err(self.err(
                "chown",
                Side::Dst,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}:{} maps to the invalid id {uid}:{gid}",
                        meta.uid, meta.gid
                    ),
                ),
            ));
        }
        Ok((Uid::from_raw(uid), Gid::from_raw(gid)))
    }

    fn run(&mut self, frames: &mut Vec<Frame>) -> io::Result<()> {
        // The roots.
        let src = fs::open(self.src_root, DIR_FLAGS, Mode::empty())
            .map_err(|e| self.err("open directory", Side::Src, e))?;
        let meta = Meta::from_stat(&fs::fstat(&src).map_err(|e| self.err("stat", Side::Src, e))?);
        fs::mkdir(self.dst_root, Mode::from_raw_mode(0o700))
            .map_err(|e| self.err("mkdir", Side::Dst, e))?;
        let dst = fs::open(self.dst_root, DIR_FLAGS, Mode::empty())
            .map_err(|e| self.err("open directory", Side::Dst, e))?;
        let root = self.enter(src, meta, dst)?;
        frames.push(root);

        while let Some(top) = frames.last() {
            if top.src.is_none() {
                self.reopen(frames)?;
            }
            let Some(top) = frames.last_mut() else { break };
            if top.pos >= top.names.len() {
                if let Some(done) = frames.pop() {
                    self.leave(done)?;
                }
                continue;
            }
            // Take the next entry: a type byte, the name, a NUL.
            let start = top.pos;
            let Some(nul) = top
                .names
                .get(start + 1..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
            else {
                return Err(internal("malformed name list"));
            };
            let end = start + 1 + nul;
            top.pos = end + 1;
            let depth = frames.len();
            let (Some(root), Some(top)) = (frames.first(), frames.last()) else {
                return Err(internal("empty directory stack"));
            };
            let kind = FileType::from_raw_mode(u32::from(top.names[start]) << 12);
            let Ok(name) = CStr::from_bytes_with_nul(&top.names[start + 1..=end]) else {
                return Err(internal("malformed name list"));
            };
            self.rel.truncate(top.rel_len);
            if top.rel_len > 0 {
                self.rel.push(b'/');
            }
            self.rel.extend_from_slice(name.to_bytes());
            let (Some(root_dst), Some(src_dir), Some(dst_dir)) =
                (root.dst.as_ref(), top.src.as_ref(), top.dst.as_ref())
            else {
                return Err(internal("closed directory in the walk"));
            };
            let child = self.entry(
                root_dst.as_fd(),
                src_dir.as_fd(),
                dst_dir.as_fd(),
                name,
                kind,
                depth,
            )?;
            if let Some(child) = child {
                frames.push(child);
                // Keep only the innermost `window` levels (and the roots) open.
                if let Some(old) = frames.len().checked_sub(self.window + 1)
                    && old >= 1
                    && let Some(f) = frames.get_mut(old)
                {
                    f.src = None;
                    f.dst = None;
                }
            }
        }
        Ok(())
    }

    /// Copy one entry of a directory; a directory is created and returned to be walked.
    fn entry(
        &mut self,
        root_dst: BorrowedFd<'_>,
        src_dir: BorrowedFd<'_>,
        dst_dir: BorrowedFd<'_>,
        name: &CStr,
        kind: FileType,
        depth: usize,
    ) -> io::Result<Option<Frame>> {
        let (fd, meta) = match kind {
            FileType::RegularFile | FileType::Directory => self.open_src(src_dir, name, kind)?,
            _ => {
                let meta = self.stat_src(src_dir, name)?;
                match meta.kind {
                    FileType::RegularFile | FileType::Directory => {
                        let (fd, opened) = self.open_src(src_dir, name, meta.kind)?;
                        if opened.ino != meta.ino || opened.dev != meta.dev {
                            return Err(self.err("open", Side::Src, changed()));
                        }
                        (fd, opened)
                    }
                    _ => (None, meta),
                }
            }
        };
        let key = (meta.dev, meta.ino);
        if meta.kind != FileType::Directory
            && meta.nlink > 1
            && let Some((first, _)) = self.links.get(&key)
        {
            fs::linkat(root_dst, first.as_slice(), dst_dir, name, AtFlags::empty())
                .map_err(|e| self.err("link", Side::Dst, e))?;
            self.stats.hardlinks += 1;
            // Forget the inode once all its names are seen.
            if let Some((_, left)) = self.links.get_mut(&key) {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    self.links.remove(&key);
                }
            }
            return Ok(None);
        }
        match meta.kind {
            FileType::Directory => {
                if depth > self.max_depth {
                    return Err(self.err(
                        "copy",
                        Side::Src,
                        io::Error::other(format!(
                            "directories nested more than {} levels deep",
                            self.max_depth
                        )),
                    ));
                }
                let Some(src) = fd else {
                    return Err(self.err("open directory", Side::Src, changed()));
                };
                fs::mkdirat(dst_dir, name, Mode::from_raw_mode(0o700))
                    .map_err(|e| self.err("mkdir", Side::Dst, e))?;
                let dst = fs::openat(dst_dir, name, DIR_FLAGS, Mode::empty())
                    .map_err(|e| self.err("open directory", Side::Dst, e))?;
                return self.enter(src, meta, dst).map(Some);
            }
            FileType::RegularFile => {
                self.file(fd, &meta, src_dir, dst_dir, name)?;
                self.stats.files += 1;
            }
            FileType::Symlink => {
                self.symlink(&meta, src_dir, dst_dir, name)?;
                self.stats.symlinks += 1;
            }
            _ => {
                self.node(&meta, src_dir, dst_dir, name)?;
                self.stats.others += 1;
            }
        }
        if meta.nlink > 1 {
            self.links.insert(key, (self.rel.clone(), meta.nlink - 1));
        }
        Ok(None)
    }

    fn stat_src(&self, dir: BorrowedFd<'_>, name: &CStr) -> io::Result<Meta> {
        fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .map(|st| Meta::from_stat(&st))
            .map_err(|e| self.err("stat", Side::Src, e))
    }

    /// Open a source file or directory without following it, and stat the descriptor.
    /// An empty file that cannot be opened for reading (mode 0 without `CAP_DAC_OVERRIDE`) is
    /// returned without a descriptor.
    fn open_src(
        &self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        kind: FileType,
    ) -> io::Result<(Option<OwnedFd>, Meta)> {
        let flags = if kind == FileType::Directory {
            DIR_FLAGS
        } else {
            FILE_FLAGS
        };
        let fd = match fs::openat(dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ACCESS) if kind == FileType::RegularFile => {
                let meta = self.stat_src(dir, name)?;
                if meta.kind == FileType::RegularFile && meta.size == 0 {
                    return Ok((None, meta));
                }
                return Err(self.err("open", Side::Src, Errno::ACCESS));
            }
            Err(e) => return Err(self.err("open", Side::Src, e)),
        };
        let meta = Meta::from_stat(&fs::fstat(&fd).map_err(|e| self.err("stat", Side::Src, e))?);
        if meta.kind != kind {
            return Err(self.err("open", Side::Src, changed()));
        }
        Ok((Some(fd), meta))
    }

    /// Start a directory: own the new destination directory, read the source's names.
    fn enter(&mut self, src: OwnedFd, meta: Meta, dst: OwnedFd) -> io::Result<Frame> {
        let dst_meta =
            Meta::from_stat(&fs::fstat(&dst).map_err(|e| self.err("stat", Side::Dst, e))?);
        let (uid, gid) = self.owner(&meta)?;
        fs::fchown(&dst, Some(uid), Some(gid)).map_err(|e| self.err("chown", Side::Dst, e))?;
        let mut names = self.pool.pop().unwrap_or_default();
        names.clear();
        let mut dir = RawDir::new(src.as_fd(), &mut self.dirbuf[..]);
        let mut failed = None;
        while let Some(entry) = dir.next() {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name().to_bytes_with_nul();
                    if name == b".\0" || name == b"..\0" {
                        continue;
                    }
                    let kind = entry.file_type();
                    let code = if kind == FileType::Unknown {
                        0
                    } else {
                        u8::try_from(kind.as_raw_mode() >> 12).unwrap_or(0)
                    };
                    names.push(code);
                    names.extend_from_slice(name);
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            return Err(self.err("read directory", Side::Src, e));
        }
        self.stats.dirs += 1;
        Ok(Frame {
            src: Some(src),
            dst: Some(dst),
            meta,
            dst_id: (dst_meta.dev, dst_meta.ino),
            names,
            pos: 0,
            rel_len: self.rel.len(),
        })
    }

    /// Finish a directory whose contents are copied: xattrs, mode, times.
    fn leave(&mut self, frame: Frame) -> io::Result<()> {
        self.rel.truncate(frame.rel_len);
        let (Some(src), Some(dst)) = (frame.src.as_ref(), frame.dst.as_ref()) else {
            return Err(self.err("finish directory", Side::Dst, Errno::BADF));
        };
        self.xattrs(At::Fd(src.as_fd()), At::Fd(dst.as_fd()))?;
        fs::fchmod(dst, Mode::from_raw_mode(frame.meta.mode))
            .map_err(|e| self.err("chmod", Side::Dst, e))?;
        fs::futimens(dst, &frame.meta.times()).map_err(|e| self.err("set times", Side::Dst, e))?;
        let mut names = frame.names;
        names.clear();
        self.pool.push(names);
        Ok(())
    }

    /// Reopen the closed directories down to the top of `frames`, from the nearest open
    /// ancestor, keeping the innermost `window` levels open.
    fn reopen(&self, frames: &mut [Frame]) -> io::Result<()> {
        let Some(top) = frames.len().checked_sub(1) else {
            return Ok(());
        };
        let from = (0..top)
            .rev()
            .find(|&i| frames[i].src.is_some())
            .unwrap_or(0);
        let mut cur: Option<(OwnedFd, OwnedFd)> = None;
        for i in from + 1..=top {
            let parent_len = frames[i - 1].rel_len;
            let start = parent_len + usize::from(parent_len > 0);
            let Some(rel) = self.rel.get(..frames[i].rel_len) else {
                return Err(internal("directory path lost"));
            };
            let comp = rel.get(start..).unwrap_or_default();
            let (s, d) = {
                let (ps, pd) = match &cur {
                    Some((s, d)) => (s.as_fd(), d.as_fd()),
                    None => match (&frames[i - 1].src, &frames[i - 1].dst) {
                        (Some(s), Some(d)) => (s.as_fd(), d.as_fd()),
                        _ => return Err(self.err_at("reopen", Side::Src, rel, Errno::BADF)),
                    },
                };
                let s = fs::openat(ps, comp, DIR_FLAGS, Mode::empty())
                    .map_err(|e| self.err_at("reopen directory", Side::Src, rel, e))?;
                let d = fs::openat(pd, comp, DIR_FLAGS, Mode::empty())
                    .map_err(|e| self.err_at("reopen directory", Side::Dst, rel, e))?;
                (s, d)
            };
            let sm = Meta::from_stat(
                &fs::fstat(&s).map_err(|e| self.err_at("stat", Side::Src, rel, e))?,
            );
            let dm = Meta::from_stat(
                &fs::fstat(&d).map_err(|e| self.err_at("stat", Side::Dst, rel, e))?,
            );
            if (sm.dev, sm.ino) != (frames[i].meta.dev, frames[i].meta.ino) {
                return Err(self.err_at("reopen directory", Side::Src, rel, changed()));
            }
            if (dm.dev, dm.ino) != frames[i].dst_id {
                return Err(self.err_at("reopen directory", Side::Dst, rel, changed()));
            }
            if i + self.window > top {
                frames[i].src = Some(s);
                frames[i].dst = Some(d);
                cur = None;
            } else {
                cur = Some((s, d));
            }
        }
        Ok(())
    }

    fn file(
        &mut self,
        src: Option<OwnedFd>,
        meta: &Meta,
        src_dir: BorrowedFd<'_>,
        dst_dir: BorrowedFd<'_>,
        name: &CStr,
    ) -> io::Result<()> {
        let out = fs::openat(
            dst_dir,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| self.err("create", Side::Dst, e))?;
        let out = File::from(out);
        let src = src.map(File::from);
        if let Some(input) = src.as_ref() {
            let n = copy_data(input, &out, meta.size, &mut self.cfr)
                .map_err(|e| self.err("copy", Side::Src, e))?;
            self.stats.bytes += n;
        }
        let (uid, gid) = self.owner(meta)?;
        fs::fchown(&out, Some(uid), Some(gid)).map_err(|e| self.err("chown", Side::Dst, e))?;
        let from = match &src {
            Some(f) => At::Fd(f.as_fd()),
            None => At::Name(src_dir, name),
        };
        self.xattrs(from, At::Fd(out.as_fd()))?;
        fs::fchmod(&out, Mode::from_raw_mode(meta.mode))
            .map_err(|e| self.err("chmod", Side::Dst, e))?;
        fs::futimens(&out, &meta.times()).map_err(|e| self.err("set times", Side::Dst, e))
    }

    fn symlink(
        &mut self,
        meta: &Meta,
        src_dir: BorrowedFd<'_>,
        dst_dir: BorrowedFd<'_>,
        name: &CStr,
    ) -> io::Result<()> {
        let mut buf = mem::take(&mut self.link_buf);
        let r = self.symlink_with(&mut buf, meta, src_dir, dst_dir, name);
        self.link_buf = buf;
        r
    }

    fn symlink_with(
        &mut self,
        buf: &mut Vec<u8>,
        meta: &Meta,
        src_dir: BorrowedFd<'_>,
        dst_dir: BorrowedFd<'_>,
        name: &CStr,
    ) -> io::Result<()> {
        let len = loop {
            let room = buf.len() - 1;
            let n = fs::readlinkat_raw(src_dir, name, &mut buf[..room])
                .map_err(|e| self.err("readlink", Side::Src, e))?;
            if n < room {
                break n;
            }
            // Possibly truncated: retry with more room.
            let bigger = buf.len() * 2;
            buf.resize(bigger, 0);
        };
        buf[len] = 0;
        let target = CStr::from_bytes_with_nul(&buf[..=len])
            .map_err(|_| self.err("readlink", Side::Src, Errno::INVAL))?;
        fs::symlinkat(target, dst_dir, name).map_err(|e| self.err("symlink", Side::Dst, e))?;
        let (uid, gid) = self.owner(meta)?;
        fs::chownat(
            dst_dir,
            name,
            Some(uid),
            Some(gid),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| self.err("chown", Side::Dst, e))?;
        self.xattrs(At::Name(src_dir, name), At::Name(dst_dir, name))?;
        fs::utimensat(dst_dir, name, &meta.times(), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| self.err("set times", Side::Dst, e))
    }

    fn node(
        &mut self,
        meta: &Meta,
        src_dir: BorrowedFd<'_>,
        dst_dir: BorrowedFd<'_>,
        name: &CStr,
    ) -> io::Result<()> {
        fs::mknodat(
            dst_dir,
            name,
            meta.kind,
            Mode::from_raw_mode(meta.mode & 0o777),
            meta.rdev,
        )
        .map_err(|e| self.err("mknod", Side::Dst, e))?;
        let (uid, gid) = self.owner(meta)?;
        fs::chownat(
            dst_dir,
            name,
            Some(uid),
            Some(gid),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| self.err("chown", Side::Dst, e))?;
        self.xattrs(At::Name(src_dir, name), At::Name(dst_dir, name))?;
        // fchmodat follows a final symlink, but the name is the node just made in a directory
        // only this copy writes to.
        fs::chmodat(
            dst_dir,
            name,
            Mode::from_raw_mode(meta.mode),
            AtFlags::empty(),
        )
        .map_err(|e| self.err("chmod", Side::Dst, e))?;
        fs::utimensat(dst_dir, name, &meta.times(), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| self.err("set times", Side::Dst, e))
    }

    /// Copy every xattr of `src` to `dst`.
    fn xattrs(&mut self, src: At<'_>, dst: At<'_>) -> io::Result<()> {
        let mut x = mem::take(&mut self.x);
        let r = self.xattrs_with(&mut x, src, dst);
        self.x = x;
        r
    }

    fn xattrs_with(&self, x: &mut XBufs, src: At<'_>, dst: At<'_>) -> io::Result<()> {
        let XBufs {
            list,
            value,
            src_path,
            dst_path,
        } = x;
        let from = xtarget(src, src_path);
        let n = loop {
            match from.list(&mut list[..]) {
                Ok(n) => break n,
                Err(Errno::RANGE) => {
                    let need = from
                        .list_size()
                        .map_err(|e| self.err("list xattrs", Side::Src, e))?;
                    let bigger = need.max(list.len() * 2);
                    list.resize(bigger, 0);
                }
                // The source file system has no xattrs at all.
                Err(Errno::NOTSUP) => return Ok(()),
                Err(e) => return Err(self.err("list xattrs", Side::Src, e)),
            }
        };
        if n == 0 {
            return Ok(());
        }
        let to = xtarget(dst, dst_path);
        let names = &list[..n.min(list.len())];
        for raw in names.split_inclusive(|&b| b == 0) {
            let Ok(name) = CStr::from_bytes_with_nul(raw) else {
                continue;
            };
            let len = loop {
                match from.get(name, &mut value[..]) {
                    Ok(len) => break Some(len),
                    Err(Errno::RANGE) => {
                        let need = from.get_size(name).map_err(|e| {
                            self.err(
                                format_args!("get xattr {}", name.to_string_lossy()),
                                Side::Src,
                                e,
                            )
                        })?;
                        let bigger = need.max(value.len() * 2);
                        value.resize(bigger, 0);
                    }
                    // Removed since listed.
                    Err(Errno::NODATA) => break None,
                    Err(e) => {
                        return Err(self.err(
                            format_args!("get xattr {}", name.to_string_lossy()),
                            Side::Src,
                            e,
                        ));
                    }
                }
            };
            let Some(len) = len else { continue };
            match to.set(name, &value[..len.min(value.len())]) {
                Ok(()) => {}
                Err(e) if skippable(name, e) => {}
                Err(e) => {
                    return Err(self.err(
                        format_args!("set xattr {} on", name.to_string_lossy()),
                        Side::Dst,
                        e,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Copy the `size` bytes a file had when it was stat'ed from `input` to the new file `out`.
///
/// `copy_file_range` copies in the kernel (or reflinks where the file system can); where it
/// cannot copy between the two file systems (`EXDEV` between different types, `EINVAL`,
/// `EOPNOTSUPP`, `ENOSYS`) `*cfr` is cleared and this and later files use `sendfile`, and
/// [`io::copy`] where even that is refused. A file found shorter ends the copy at its end.
/// Knowing the size saves the final zero-length call and makes an empty file cost nothing.
fn copy_data(input: &File, out: &File, size: u64, cfr: &mut bool) -> io::Result<u64> {
    let mut done: u64 = 0;
    while done < size {
        let want = usize::try_from(size - done)
            .unwrap_or(usize::MAX)
            .min(1 << 30);
        let r = if *cfr {
            fs::copy_file_range(input, None, out, None, want)
        } else {
            rustix::fs::sendfile(out, input, None, want)
        };
        match r {
            Ok(0) => break,
            Ok(n) => done += n as u64,
            Err(Errno::INTR) => {}
            Err(Errno::XDEV | Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) if done == 0 => {
                if *cfr {
                    *cfr = false;
                } else {
                    let (mut input, mut out) = (input, out);
                    return io::copy(&mut input, &mut out);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

/// Whether a failure to set the xattr `name` is tolerated.
fn skippable(name: &CStr, e: Errno) -> bool {
    let name = name.to_bytes();
    (name.starts_with(b"security.") || name.starts_with(b"trusted."))
        && (e == Errno::PERM || e == Errno::NOTSUP || e == Errno::OPNOTSUPP)
}

/// An error for a state the walk never produces.
fn internal(what: &str) -> io::Error {
    io::Error::other(format!("remap: internal error: {what}"))
}

/// The cause for a source entry that is not what it was a moment ago.
fn changed() -> io::Error {
    io::Error::other("changed during the copy")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
    use std::path::PathBuf;

    fn m(container_id: u32, host_id: u32, size: u32) -> IdMapping {
        IdMapping {
            container_id,
            host_id,
            size,
        }
    }

    /// keep-id for uid 1001: container 1001 is the invoking user (outer 0).
    fn keep_id() -> Vec<IdMapping> {
        vec![m(0, 1, 1001), m(1001, 0, 1), m(1002, 1002, 64535)]
    }

    fn is_root() -> bool {
        nix::unistd::geteuid().is_root()
    }

    fn me() -> (u32, u32) {
        (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    }

    fn ts(sec: i64, nsec: i64) -> Timespec {
        Timespec {
            tv_sec: sec,
            tv_nsec: nsec,
        }
    }

    fn set_times(path: &Path, atime: Timespec, mtime: Timespec) {
        let t = Timestamps {
            last_access: atime,
            last_modification: mtime,
        };
        fs::utimensat(fs::CWD, path, &t, AtFlags::SYMLINK_NOFOLLOW).unwrap();
    }

    fn lchown(path: &Path, uid: u32, gid: u32) {
        fs::chownat(
            fs::CWD,
            path,
            Some(Uid::from_raw(uid)),
            Some(Gid::from_raw(gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .unwrap();
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 4096];
        let n = fs::lgetxattr(path, name, &mut buf[..]).ok()?;
        buf.truncate(n);
        Some(buf)
    }

    /// The `user.*` xattrs of a path, sorted.
    fn user_xattrs(path: &Path) -> Vec<(String, Vec<u8>)> {
        let mut buf = vec![0u8; 4096];
        let n = fs::llistxattr(path, &mut buf[..]).unwrap_or(0);
        let mut out: Vec<_> = buf[..n]
            .split(|&b| b == 0)
            .filter(|n| n.starts_with(b"user."))
            .map(|n| {
                let n = String::from_utf8(n.to_vec()).unwrap();
                let v = xattr(path, &n).unwrap();
                (n, v)
            })
            .collect();
        out.sort();
        out
    }

    /// Make every directory under `root` writable again so the temporary directory can be
    /// removed when not running as root.
    fn unlock(root: &Path) {
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
                unlock(&p);
            }
        }
    }

    /// uid, gid.
    type Owner = (u32, u32);

    /// Metadata by relative path ("" for the root).
    type Snapshot = BTreeMap<String, std::fs::Metadata>;

    fn snapshot(root: &Path, rels: &[&str]) -> Snapshot {
        rels.iter()
            .map(|r| {
                let p = if r.is_empty() {
                    root.to_path_buf()
                } else {
                    root.join(r)
                };
                (r.to_string(), std::fs::symlink_metadata(p).unwrap())
            })
            .collect()
    }

    /// Every path under `root` (relative, sorted), without following symlinks.
    fn walk(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut todo = vec![PathBuf::new()];
        while let Some(rel) = todo.pop() {
            for e in std::fs::read_dir(root.join(&rel)).unwrap() {
                let e = e.unwrap();
                let r = rel.join(e.file_name());
                if e.file_type().unwrap().is_dir() {
                    todo.push(r.clone());
                }
                out.push(r.to_string_lossy().into_owned());
            }
        }
        out.sort();
        out
    }

    #[test]
    fn map_id_table() {
        let k = keep_id();
        for (id, want) in [
            (0, Some(1)),
            (1, Some(2)),
            (1000, Some(1001)),
            (1001, Some(0)),
            (1002, Some(1002)),
            (65536, Some(65536)),
            (65537, None),
            (u32::MAX, None),
        ] {
            assert_eq!(map_id(&k, id), want, "keep-id {id}");
        }
        assert_eq!(map_id(&[], 0), None);
        // Empty ranges cover nothing; the first covering range wins.
        let maps = [m(5, 100, 0), m(5, 200, 2), m(5, 300, 10)];
        assert_eq!(map_id(&maps, 5), Some(200));
        assert_eq!(map_id(&maps, 6), Some(201));
        assert_eq!(map_id(&maps, 7), Some(302));
        assert_eq!(map_id(&maps, 4), None);
        assert_eq!(map_id(&maps, 15), None);
        // An outer range running past u32::MAX does not wrap.
        let top = [m(0, u32::MAX - 1, 10)];
        assert_eq!(map_id(&top, 1), Some(u32::MAX));
        assert_eq!(map_id(&top, 2), None);
        // Ranges up to the last id.
        assert_eq!(map_id(&[m(u32::MAX - 1, 7, 2)], u32::MAX), Some(8));
    }

    #[test]
    fn copies_tree_with_translated_owners() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        let dst = tmp.path().join("dst");
        let root = is_root();
        let p = |r: &str| src.join(r);

        std::fs::create_dir(&src).unwrap();
        for d in ["a", "a/b", "a/b/c", "sticky", "opq", "ro", "sub"] {
            std::fs::create_dir(p(d)).unwrap();
        }
        let contents: &[(&str, &[u8])] = &[
            ("file.txt", b"hello, remap\n"),
            ("empty", b""),
            // Mode 0: unreadable without CAP_DAC_OVERRIDE, so empty when not root.
            ("zero", if root { b"locked" } else { b"" }),
            ("suid", b"#!/bin/true\n"),
            ("sgid", b"sgid"),
            ("far", b"far away"),
            ("h1", b"two names"),
            ("opq/inner", b"inner"),
            ("ro/f", b"in a read-only dir"),
            ("a/b/c/deep.txt", &[7u8; 100_000]),
        ];
        for (r, data) in contents {
            std::fs::write(p(r), data).unwrap();
        }
        std::fs::hard_link(p("h1"), p("sub/h2")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", p("abs")).unwrap();
        std::os::unix::fs::symlink("does/not/exist", p("dangling")).unwrap();
        std::os::unix::fs::symlink("file.txt", p("rel")).unwrap();
        fs::mknodat(
            fs::CWD,
            p("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        fs::mknodat(
            fs::CWD,
            p("wh"),
            FileType::CharacterDevice,
            Mode::empty(),
            0,
        )
        .unwrap();
        drop(std::os::unix::net::UnixListener::bind(p("sock")).unwrap());
        fs::lsetxattr(p("file.txt"), "user.k", b"v", XattrFlags::empty()).unwrap();
        fs::lsetxattr(p("file.txt"), "user.empty", b"", XattrFlags::empty()).unwrap();
        fs::lsetxattr(p("opq"), "user.overlay.opaque", b"y", XattrFlags::empty()).unwrap();
        fs::lsetxattr(&src, "user.root", b"top", XattrFlags::empty()).unwrap();
        // Larger than the initial buffers, for names and for values.
        let big = vec![b'x'; 3000];
        fs::lsetxattr(p("a/b/c/deep.txt"), "user.big", &big, XattrFlags::empty()).unwrap();
        for i in 0..12 {
            let name = format!("user.a-rather-long-attribute-name-number-{i}");
            fs::lsetxattr(p("a/b/c/deep.txt"), name, b"1", XattrFlags::empty()).unwrap();
        }

        // Owners (as root) and the owners the copy must have.
        let owners: &[(&str, Owner, Owner)] = &[
            ("", (0, 0), (1, 1)),
            ("file.txt", (0, 0), (1, 1)),
            ("empty", (5, 7), (6, 8)),
            ("suid", (1001, 1001), (0, 0)),
            ("sgid", (2000, 7), (2000, 8)),
            ("far", (100_000, 100_001), (100_000, 100_001)),
            ("h1", (1001, 0), (0, 1)),
            ("abs", (1001, 1001), (0, 0)),
            ("dangling", (65536, 0), (65536, 1)),
            ("fifo", (3, 1001), (4, 0)),
            ("wh", (0, 0), (1, 1)),
            ("sticky", (1001, 1001), (0, 0)),
            ("a/b", (42, 43), (43, 44)),
        ];
        if root {
            for (r, (u, g), _) in owners {
                lchown(&p(r), *u, *g);
            }
        }
        let modes: &[(&str, u32)] = &[
            ("file.txt", 0o644),
            ("empty", 0o640),
            ("zero", 0o000),
            ("suid", 0o4755),
            ("sgid", 0o2750),
            ("far", 0o604),
            ("h1", 0o444),
            ("fifo", 0o620),
            ("wh", 0o000),
            ("sticky", 0o1777),
            ("a", 0o711),
            ("ro", 0o555),
        ];
        for (r, mode) in modes {
            chmod(&p(r), *mode);
        }
        // Times, directories after their contents.
        let all = [
            "file.txt",
            "empty",
            "zero",
            "suid",
            "sgid",
            "far",
            "h1",
            "opq/inner",
            "ro/f",
            "a/b/c/deep.txt",
            "abs",
            "dangling",
            "rel",
            "fifo",
            "wh",
            "sock",
            "sub/h2",
            "a/b/c",
            "a/b",
            "a",
            "sticky",
            "opq",
            "ro",
            "sub",
            "",
        ];
        for (i, r) in all.iter().enumerate() {
            let i = i64::try_from(i).unwrap();
            set_times(
                &if r.is_empty() { src.clone() } else { p(r) },
                ts(1_500_000_000 + i, 111_111_111 + i),
                ts(1_600_000_000 + i, 222_222_222 + i),
            );
        }
        let before = snapshot(&src, &all);

        let (uids, gids) = if root {
            (keep_id(), keep_id())
        } else {
            let (u, g) = me();
            (vec![m(u, u, 1)], vec![m(g, g, 1)])
        };
        let stats = copy_remapped(&src, &dst, &uids, &gids).unwrap();

        // Metadata first: nothing below reads an entry before its times are compared.
        let after = snapshot(&dst, &all);
        for r in &all {
            let (s, d) = (&before[*r], &after[*r]);
            let ft = s.file_type();
            assert_eq!(
                (ft.is_dir(), ft.is_file(), ft.is_symlink()),
                (
                    d.file_type().is_dir(),
                    d.file_type().is_file(),
                    d.file_type().is_symlink()
                ),
                "{r}: kind"
            );
            assert_eq!(
                (
                    ft.is_fifo(),
                    ft.is_socket(),
                    ft.is_char_device(),
                    ft.is_block_device()
                ),
                (
                    d.file_type().is_fifo(),
                    d.file_type().is_socket(),
                    d.file_type().is_char_device(),
                    d.file_type().is_block_device()
                ),
                "{r}: kind"
            );
            if !ft.is_symlink() {
                assert_eq!(s.mode() & 0o7777, d.mode() & 0o7777, "{r}: mode");
            }
            assert_eq!(
                (s.mtime(), s.mtime_nsec()),
                (d.mtime(), d.mtime_nsec()),
                "{r}: mtime"
            );
            assert_eq!(
                (s.atime(), s.atime_nsec()),
                (d.atime(), d.atime_nsec()),
                "{r}: atime"
            );
            assert_eq!(s.rdev(), d.rdev(), "{r}: rdev");
            if !ft.is_dir() {
                assert_eq!(s.len(), d.len(), "{r}: size");
            }
            assert_ne!(s.ino(), d.ino(), "{r}: a new inode");
        }
        // The times are the ones set above (so the snapshot comparison compares something).
        assert_eq!(after["file.txt"].mtime(), 1_600_000_000);
        assert_eq!(after["file.txt"].mtime_nsec(), 222_222_222);
        assert_eq!(after["file.txt"].atime_nsec(), 111_111_111);
        assert_eq!(after["a/b"].mtime(), 1_600_000_018);
        assert_eq!(after[""].mtime_nsec(), 222_222_246);
        assert_eq!(after["abs"].mtime_nsec(), 222_222_232);
        // Modes, literally.
        for (r, mode) in modes {
            assert_eq!(after[*r].mode() & 0o7777, *mode, "{r}: mode");
        }
        assert_eq!(after[""].mode() & 0o7777, before[""].mode() & 0o7777);
        assert!(after["wh"].file_type().is_char_device());
        assert_eq!(after["wh"].rdev(), 0);
        assert!(after["fifo"].file_type().is_fifo());
        assert!(after["sock"].file_type().is_socket());

        // Owners.
        if root {
            for (r, _, want) in owners {
                let d = &after[*r];
                assert_eq!((d.uid(), d.gid()), *want, "{r}: owner");
            }
            // Everything else was created by root (0:0) and belongs to outer 1:1 now.
            for r in [
                "opq/inner",
                "rel",
                "sock",
                "opq",
                "ro",
                "sub",
                "a/b/c/deep.txt",
            ] {
                assert_eq!((after[r].uid(), after[r].gid()), (1, 1), "{r}: owner");
            }
        } else {
            for r in &all {
                assert_eq!((after[*r].uid(), after[*r].gid()), me(), "{r}: owner");
            }
        }

        // Hard links share the new inode.
        assert_eq!(after["h1"].ino(), after["sub/h2"].ino());
        assert_eq!(after["h1"].nlink(), 2);
        assert_eq!(after["file.txt"].nlink(), 1);

        // Xattrs.
        for r in &all {
            let (s, d) = if r.is_empty() {
                (src.clone(), dst.clone())
            } else {
                (p(r), dst.join(r))
            };
            assert_eq!(user_xattrs(&s), user_xattrs(&d), "{r}: xattrs");
        }
        assert_eq!(xattr(&dst.join("file.txt"), "user.k").unwrap(), b"v");
        assert_eq!(xattr(&dst.join("file.txt"), "user.empty").unwrap(), b"");
        assert_eq!(
            xattr(&dst.join("opq"), "user.overlay.opaque").unwrap(),
            b"y"
        );
        assert_eq!(xattr(&dst, "user.root").unwrap(), b"top");
        assert_eq!(xattr(&dst.join("a/b/c/deep.txt"), "user.big").unwrap(), big);
        assert!(xattr(&dst.join("a"), "user.overlay.opaque").is_none());

        // Symlinks: targets verbatim.
        for (r, target) in [
            ("abs", "/etc/passwd"),
            ("dangling", "does/not/exist"),
            ("rel", "file.txt"),
        ] {
            assert_eq!(
                std::fs::read_link(dst.join(r)).unwrap(),
                Path::new(target),
                "{r}"
            );
        }

        // Contents.
        for (r, data) in contents {
            if *r == "zero" && !root {
                // Mode 0 cannot be opened; it is empty (its size was compared above).
                continue;
            }
            assert_eq!(std::fs::read(dst.join(r)).unwrap(), *data, "{r}: contents");
        }
        assert_eq!(std::fs::read(dst.join("sub/h2")).unwrap(), b"two names");

        // Exactly the source's entries.
        assert_eq!(walk(&dst), walk(&src));
        let bytes: usize = contents.iter().map(|(_, d)| d.len()).sum();
        assert_eq!(
            stats,
            RemapStats {
                files: 10,
                dirs: 8,
                symlinks: 3,
                hardlinks: 1,
                others: 3,
                bytes: u64::try_from(bytes).unwrap(),
            }
        );
        if !root {
            unlock(tmp.path());
        }
    }

    #[test]
    fn symlinks_pointing_outside_are_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        let src = tmp.path().join("src");
        let dst = tmp.path().join("dst");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret"), b"host data").unwrap();
        std::fs::create_dir_all(src.join("dir")).unwrap();
        std::os::unix::fs::symlink(&outside, src.join("esc")).unwrap();
        std::os::unix::fs::symlink("../outside", src.join("up")).unwrap();
        std::os::unix::fs::symlink("..", src.join("dir/loop")).unwrap();
        std::os::unix::fs::symlink("/", src.join("dir/slash")).unwrap();

        let (u, g) = me();
        let stats = copy_remapped(&src, &dst, &[m(u, u, 1)], &[m(g, g, 1)]).unwrap();
        assert_eq!(
            stats,
            RemapStats {
                files: 0,
                dirs: 2,
                symlinks: 4,
                ..RemapStats::default()
            }
        );
        for (r, target) in [
            ("esc", outside.clone()),
            ("up", PathBuf::from("../outside")),
            ("dir/loop", PathBuf::from("..")),
            ("dir/slash", PathBuf::from("/")),
        ] {
            let md = std::fs::symlink_metadata(dst.join(r)).unwrap();
            assert!(md.file_type().is_symlink(), "{r}");
            assert_eq!(std::fs::read_link(dst.join(r)).unwrap(), target, "{r}");
        }
        assert_eq!(walk(&dst), ["dir", "dir/loop", "dir/slash", "esc", "up"]);
        // The outside is untouched.
        assert_eq!(walk(&outside), ["secret"]);
        assert_eq!(std::fs::read(outside.join("secret")).unwrap(), b"host data");

        // A source root that is itself a symlink is refused before anything is created.
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&src, &link).unwrap();
        let dst2 = tmp.path().join("dst2");
        let e = copy_remapped(&link, &dst2, &[], &[]).unwrap_err();
        assert!(e.to_string().contains(&*link.to_string_lossy()), "{e}");
        assert!(!dst2.exists());
    }

    #[test]
    fn errors_name_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join("d")).unwrap();
        std::fs::write(src.join("d/f"), b"x").unwrap();

        // The destination must not exist.
        let dst = tmp.path().join("dst");
        std::fs::create_dir(&dst).unwrap();
        let e = copy_remapped(&src, &dst, &[], &[]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(
            e.to_string()
                .starts_with(&format!("mkdir {}: ", dst.display())),
            "{e}"
        );

        // Its parent must exist.
        let dst = tmp.path().join("no/dst");
        let e = copy_remapped(&src, &dst, &[], &[]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains(&*dst.to_string_lossy()), "{e}");

        // The source must exist.
        let e =
            copy_remapped(&tmp.path().join("nope"), &tmp.path().join("x"), &[], &[]).unwrap_err();
        assert!(e.to_string().starts_with("open directory "), "{e}");

        // A map that produces -1 (chown's "unchanged") is refused, naming the entry.
        let (u, g) = me();
        let dst = tmp.path().join("dst3");
        let bad = [m(u, u32::MAX, 1)];
        let e = copy_remapped(&src, &dst, &bad, &[m(g, g, 1)]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("chown {}: ", dst.display())),
            "{e}"
        );
    }

    /// A chain of `depth` directories `d/d/...`, each with a file, a symlink and a mode and
    /// mtime of its own; `d/.../h` (level 30 when deep enough) is a hard link to `top`.
    fn deep_tree(src: &Path, depth: usize) -> PathBuf {
        std::fs::create_dir(src).unwrap();
        std::fs::write(src.join("top"), b"top").unwrap();
        let mut dirs = Vec::new();
        let mut cur = src.to_path_buf();
        for level in 1..=depth {
            cur = cur.join("d");
            std::fs::create_dir(&cur).unwrap();
            std::fs::write(cur.join("f"), level.to_string()).unwrap();
            std::os::unix::fs::symlink("..", cur.join("up")).unwrap();
            if level == 30.min(depth) {
                std::fs::hard_link(src.join("top"), cur.join("h")).unwrap();
            }
            dirs.push(cur.clone());
        }
        for (i, d) in dirs.iter().enumerate().rev() {
            let i = i64::try_from(i).unwrap();
            chmod(d, if i % 2 == 0 { 0o750 } else { 0o705 });
            set_times(d, ts(1000 + i, 5), ts(2000 + i, 7));
        }
        cur
    }

    #[test]
    fn deep_trees_reopen_directories_and_stop_at_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        let depth = 40;
        deep_tree(&src, depth);
        let (u, g) = me();
        let (uids, gids) = ([m(u, u, 1)], [m(g, g, 1)]);

        // A window of 3 open levels: the walk back up reopens directories.
        let dst = tmp.path().join("dst");
        let stats = copy_with_limits(&src, &dst, &uids, &gids, depth, 3).unwrap();
        assert_eq!(stats.dirs, 41);
        assert_eq!(stats.files, 41);
        assert_eq!(stats.symlinks, 40);
        assert_eq!(stats.hardlinks, 1);
        assert_eq!(walk(&dst), walk(&src));
        let (mut s, mut d) = (src.clone(), dst.clone());
        for level in 1..=depth {
            s = s.join("d");
            d = d.join("d");
            let (sm, dm) = (
                std::fs::symlink_metadata(&s).unwrap(),
                std::fs::symlink_metadata(&d).unwrap(),
            );
            assert_eq!(sm.mode(), dm.mode(), "level {level}");
            assert_eq!(
                (dm.mtime(), dm.mtime_nsec()),
                (sm.mtime(), 7),
                "level {level}"
            );
            assert_eq!(
                std::fs::read_to_string(d.join("f")).unwrap(),
                level.to_string()
            );
        }
        let h = std::fs::metadata(dst.join(vec!["d"; 30].join("/")).join("h"));
        let top = std::fs::metadata(dst.join("top")).unwrap();
        assert_eq!(h.unwrap().ino(), top.ino());

        // The same with the default window.
        let dst = tmp.path().join("dst-default");
        copy_remapped(&src, &dst, &uids, &gids).unwrap();
        assert_eq!(walk(&dst), walk(&src));

        // One level too deep for the limit: an error naming the deepest directory.
        let dst = tmp.path().join("dst-limit");
        let e = copy_with_limits(&src, &dst, &uids, &gids, depth - 1, 3).unwrap_err();
        let deepest = format!("{}/d", "d/".repeat(depth - 1).trim_end_matches('/'));
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("copy {}: ", src.join(&deepest).display())),
            "{msg}"
        );
        assert!(msg.contains("more than 39 levels"), "{msg}");
    }
}
