//! Layer extraction: apply one OCI/Docker image layer (an already decompressed tar stream) to an
//! empty directory that becomes one overlayfs lower directory.
//!
//! The layer is applied on its own, the way containerd's and podman's overlay drivers do it: the
//! whiteout markers of the layer format become overlay whiteouts (a character device 0/0 for
//! `dir/.wh.NAME`, the xattr `user.overlay.opaque=y` for `dir/.wh..wh..opq`, read by overlay
//! mounted with `userxattr`), and an entry whose path already exists in this layer replaces it,
//! except a directory over a directory, which only updates its metadata.
//!
//! # Safety model
//!
//! A layer is untrusted input. Nothing it contains may create, change or remove anything outside
//! the destination directory, and no input may make the extractor panic.
//!
//! * The destination is opened once, as a directory file descriptor. Every path is then
//!   resolved relative to that descriptor; no absolute or `dest`-joined path is ever handed to
//!   the kernel.
//! * Entry names are normalised lexically first: leading `/`, empty and `.` components are
//!   dropped (`/etc/x` becomes `etc/x`), and `..` removes the previous component. A name
//!   whose `..` climbs above the layer root (`../../etc/x`) is **rejected** with an error, as
//!   docker and podman do; a name with a NUL byte, longer than `PATH_MAX`, or empty after
//!   normalisation (other than the root directory entry `./`, which is skipped like docker
//!   skips it) is rejected too. After normalisation no name contains `..`.
//! * The parent directory of each entry is opened with
//!   `openat2(dest, parent, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`: the
//!   kernel resolves every symlink met on the way as if `dest` were `/`, and clamps `..` in
//!   symlink targets at `dest`. So a symlink `evil -> /etc` or `evil -> ../../..` followed by
//!   `evil/passwd` is **contained**: it writes `dest/etc/passwd` or `dest/passwd` (or fails
//!   because that directory does not exist in the layer), never the host's file. Missing
//!   parents are created one component at a time with `mkdirat` relative to the already
//!   resolved ancestor (mode 0755, owned by root), a component that is a symlink is again
//!   resolved with `RESOLVE_IN_ROOT`.
//! * The final component is always created with a `*at` call relative to that parent fd and is
//!   never followed: `O_CREAT | O_EXCL | O_NOFOLLOW` for files, `mkdirat`, `symlinkat`,
//!   `mknodat`, `linkat` without `AT_SYMLINK_FOLLOW`. When the name already exists, the old
//!   entry is unlinked (a directory tree is removed with `unlinkat` relative to directory fds
//!   opened with `O_NOFOLLOW`) and the exclusive create is retried; a symlink in the final
//!   component is therefore replaced, never written through. Ownership and times are set with
//!   `fchownat`/`utimensat(AT_SYMLINK_NOFOLLOW)` or on the fd of the created file; modes with
//!   `fchmod` on that fd (for device nodes, which cannot be opened safely, with `fchmodat`
//!   after `fstatat(AT_SYMLINK_NOFOLLOW)` confirmed the node is not a symlink; only this
//!   process writes into `dest` during extraction). Symlink targets are stored verbatim and
//!   never followed while extracting.
//! * Directories are created 0700 and get their final mode (and times) only at the end, so a
//!   read-only directory in the layer never blocks writing its children, and no directory is
//!   ever more open than the layer says while the layer is being written.
//! * Hard links: the target is normalised like an entry name (so `/etc/passwd` means the
//!   layer's own `etc/passwd`, and `../../host-file` is **rejected**), its parent is resolved
//!   in root like any parent, and `linkat` links the target's final component itself (a hard
//!   link to a symlink links the symlink). A target that does not exist in this layer is an
//!   error naming the entry. A hard link takes all metadata from its target.
//! * A symlink loop in a parent (`a -> b`, `b -> a`, `a/x`) fails with `ELOOP`: an error.
//! * `user.overlay.*` xattrs and `user.rl.owner` from the archive are never applied: the first
//!   are interpreted by the overlay mount, the second by rl; only the markers above produce them.
//!   Other `user.rl.*` names are ordinary user xattrs.
//!
//! * Regular file data must be as long as the header says: a stream that ends early is an
//!   error, never a silently short file. A malformed header, a truncated header and a corrupt
//!   checksum are errors from the tar parser.
//!
//! Not defended here: resource use. GNU long names and PAX headers are read into memory by the
//! tar parser and GNU sparse files are written out in full, so a hostile layer can use memory or
//! disk in proportion to its decompressed size (or a sparse file's declared size); bounding that
//! is the caller's job (layer size limits, digest checked as the stream is read).
//!
//! Everything goes through rustix's safe wrappers, so this module has no `unsafe`.
//!
//! # Performance
//!
//! File data is streamed from the tar entry into the new file through one reusable buffer; the
//! last few parent directory fds are cached (tar entries come grouped by directory), and the
//! cache is dropped whenever anything is removed, since a removal can change what a cached
//! path resolves to. Directory modes and times are applied once at the end, deepest first, so
//! creating children neither changes a directory's mtime afterwards nor needs a mode that
//! forbids writing into it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::mem;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{
    self as fs, AtFlags, FileType, Gid, Mode, OFlags, ResolveFlags, Timespec, Timestamps, Uid,
    XattrFlags,
};
use rustix::io::Errno;

/// Options for [`extract_layer`].
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Set in-image ownership with fchownat (true when running as root inside a user namespace
    /// with the subuid mapping). When false (single-id fallback), files are owned by the caller,
    /// and the intended owner is kept recoverable in the xattr `user.rl.owner` = "UID:GID" on
    /// every entry whose owner is not 0:0 (skipped silently where xattrs aren't supported, and
    /// counted in [`ExtractStats::skipped_xattrs`]; symlinks and device nodes cannot carry
    /// `user.*` xattrs, so there it is always counted).
    pub chown: bool,
}

/// How [`extract_into`] unpacks into a directory that may already hold files (`rl cp`): `.wh.`
/// names are ordinary names (no whiteouts are made), an existing directory is never replaced by
/// a non-directory (an error instead), and owners can be translated.
#[derive(Debug, Clone, Default)]
pub struct IntoOptions {
    /// Set owners with fchownat (as [`ExtractOptions::chown`]).
    pub chown: bool,
    /// Translate the archive's owners (uid, gid) before they are applied.
    pub owners: Option<OwnerMap>,
}

/// An owner translation for [`IntoOptions::owners`]: the archive's (uid, gid) → the owner
/// given to the entry.
#[derive(Clone)]
pub struct OwnerMap(pub std::sync::Arc<dyn Fn(u32, u32) -> (u32, u32) + Send + Sync>);

impl std::fmt::Debug for OwnerMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnerMap(..)")
    }
}

/// What [`extract_layer`] did.
#[derive(Debug, Default, Clone)]
pub struct ExtractStats {
    /// Tar members processed (every header except PAX global headers, including whiteout
    /// markers and the root entry `./`).
    pub entries: u64,
    /// Bytes of regular file data written.
    pub bytes: u64,
    /// Whiteouts created (`.wh.NAME` markers).
    pub whiteouts: u64,
    /// Directories marked opaque (`.wh..wh..opq` markers).
    pub opaque_dirs: u64,
    /// Paths of device nodes and fifos that could not be created (`EPERM`, as for real devices
    /// in a user namespace).
    pub skipped_devices: Vec<String>,
    /// Xattrs not applied: archive xattrs outside `user.*` and `security.capability` (and the
    /// reserved `user.overlay.*` and `user.rl.owner`), xattrs on entries that cannot carry them, and
    /// `user.rl.owner` or archive xattrs the file system refused.
    pub skipped_xattrs: u64,
}

/// Why a layer could not be extracted. Messages are one line and name the entry.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The destination directory could not be opened.
    #[error("layer destination {}: open: {source}", path.display())]
    Destination {
        /// The destination directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The tar stream itself could not be read (truncated or corrupt archive).
    #[error("layer tar: {context}: {source}")]
    Archive {
        /// What was being read, and after which entry.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A file-system operation for one entry failed.
    #[error("layer entry {path}: {op}: {source}")]
    Entry {
        /// The entry's path inside the layer (normalised, lossy UTF-8).
        path: String,
        /// The failing operation ("create", "chown", "mkdir", ...).
        op: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// An entry the extractor refuses: a name escaping the root, a NUL in a name, a missing
    /// hard link target, an unsupported entry type, a malformed header field, ...
    #[error("layer entry {path}: {reason}")]
    Invalid {
        /// The entry's path (as in the archive, or normalised; lossy UTF-8).
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Extract one layer's (already decompressed) tar stream into `dest`, an empty directory that will
/// be used as one overlayfs lower directory. Reads `tar` to its very end (so a digest computed by
/// a wrapping reader covers every byte, including the end-of-archive padding).
///
/// On error, `dest` is left partially populated (and never anything outside it); the caller
/// removes it.
pub fn extract_layer(
    tar: impl Read,
    dest: &Path,
    opts: &ExtractOptions,
) -> Result<ExtractStats, ExtractError> {
    let root = fs::open(
        dest,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| ExtractError::Destination {
        path: dest.to_path_buf(),
        source: e.into(),
    })?;
    run(tar, Extractor::new(root, opts))
}

/// Unpack a tar stream into a directory already open as `root` (any open mode, `O_PATH`
/// included) that may hold files already, as [`IntoOptions`] says; everything is resolved
/// inside `root`, with the same defences as [`extract_layer`].
pub fn extract_into(
    tar: impl Read,
    root: OwnedFd,
    into: &IntoOptions,
) -> Result<ExtractStats, ExtractError> {
    let opts = ExtractOptions { chown: into.chown };
    let mut ex = Extractor::new(root, &opts);
    ex.plain = true;
    ex.owners = into.owners.clone();
    run(tar, ex)
}

fn run(tar: impl Read, mut ex: Extractor<'_>) -> Result<ExtractStats, ExtractError> {
    let mut archive = tar::Archive::new(tar);
    {
        let entries = archive
            .entries()
            .map_err(|e| ex.archive_error("read header", e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| ex.archive_error("read header", e))?;
            ex.entry(&mut entry)?;
        }
    }
    ex.finish()?;
    // The tar reader stops at the first zero block; read the rest of the end-of-archive marker
    // and the record padding so a digesting reader sees every byte.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| ex.archive_error("read end of archive", e))?;
    Ok(ex.stats)
}

/// Read a whole tar stream and check what [`extract_into`] would refuse before anything is
/// written: names (and hard link targets) that escape the root, contain NUL or are too long,
/// and unsupported entry types. Returns how many members it has.
pub fn check_archive(tar: impl Read) -> Result<u64, ExtractError> {
    let mut archive = tar::Archive::new(tar);
    let mut count = 0;
    let mut norm = Vec::new();
    let entries = archive.entries().map_err(|e| ExtractError::Archive {
        context: "read header".into(),
        source: e,
    })?;
    for entry in entries {
        let mut entry = entry.map_err(|e| ExtractError::Archive {
            context: format!("read header after {count} entries"),
            source: e,
        })?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        count += 1;
        let raw = entry.path_bytes().into_owned();
        let bad = |reason: String| ExtractError::Invalid {
            path: lossy(&raw),
            reason,
        };
        normalize(&raw, &mut norm).map_err(|r| bad(r.to_string()))?;
        use tar::EntryType as T;
        match kind {
            T::Regular
            | T::Continuous
            | T::GNUSparse
            | T::Directory
            | T::Symlink
            | T::Char
            | T::Block
            | T::Fifo => {}
            T::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| bad("hard link without a target".into()))?;
                normalize(&target, &mut norm)
                    .map_err(|r| bad(format!("hard link target {}: {r}", lossy(&target))))?;
            }
            other => {
                return Err(bad(format!(
                    "unsupported entry type {:?}",
                    char::from(other.as_byte())
                )));
            }
        }
        io::copy(&mut entry, &mut io::sink()).map_err(|e| ExtractError::Archive {
            context: format!("read data of {}", lossy(&raw)),
            source: e,
        })?;
    }
    Ok(count)
}

/// Linux `PATH_MAX`: longer names cannot be resolved by one system call anyway.
const MAX_PATH: usize = 4096;
/// Size of the one buffer file data is copied through.
const COPY_BUF: usize = 256 * 1024;
/// How many parent directory fds are kept open.
const CACHE_SLOTS: usize = 8;
/// How often `openat2` is retried when it reports `EAGAIN` (a concurrent rename somewhere on
/// the system while `..` was being resolved).
const OPENAT2_RETRIES: usize = 32;

const WHITEOUT_PREFIX: &[u8] = b".wh.";
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
const OPAQUE_XATTR: &std::ffi::CStr = c"user.overlay.opaque";
const OWNER_XATTR: &std::ffi::CStr = c"user.rl.owner";
const PAX_XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";

/// Resolution flags for every path resolved from the destination fd.
const IN_ROOT: ResolveFlags = ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS);

/// Metadata of one entry, from its header and PAX records.
#[derive(Debug, Clone, Copy)]
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    atime: Timespec,
    mtime: Timespec,
}

impl Meta {
    fn times(&self) -> Timestamps {
        Timestamps {
            last_access: self.atime,
            last_modification: self.mtime,
        }
    }

    fn is_root_owned(&self) -> bool {
        self.uid == 0 && self.gid == 0
    }
}

/// A directory whose mode and times are applied at the end.
#[derive(Debug)]
struct PendingDir {
    path: Vec<u8>,
    depth: usize,
    ino: u64,
    meta: Meta,
}

/// Internal failure of one entry, turned into an [`ExtractError`] naming the entry.
#[derive(Debug)]
enum Fail {
    Op(&'static str, io::Error),
    Invalid(Cow<'static, str>),
}

impl Fail {
    fn errno(&self) -> Option<i32> {
        match self {
            Fail::Op(_, e) => e.raw_os_error(),
            Fail::Invalid(_) => None,
        }
    }

    fn at(self, path: &[u8]) -> ExtractError {
        let path = lossy(path);
        match self {
            Fail::Op(op, source) => ExtractError::Entry { path, op, source },
            Fail::Invalid(reason) => ExtractError::Invalid {
                path,
                reason: reason.into_owned(),
            },
        }
    }
}

type Res<T> = Result<T, Fail>;

/// Attach the name of the failing operation to a system call result.
trait Op<T> {
    fn op(self, op: &'static str) -> Res<T>;
}

impl<T> Op<T> for Result<T, Errno> {
    fn op(self, op: &'static str) -> Res<T> {
        self.map_err(|e| Fail::Op(op, e.into()))
    }
}

impl<T> Op<T> for io::Result<T> {
    fn op(self, op: &'static str) -> Res<T> {
        self.map_err(|e| Fail::Op(op, e))
    }
}

fn invalid(reason: impl Into<Cow<'static, str>>) -> Fail {
    Fail::Invalid(reason.into())
}

/// A name for messages: lossy UTF-8, control characters escaped so messages stay one line.
fn lossy(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A few recently used parent directories (`O_PATH` fds), most recent first, keyed by their
/// normalised path. A slot is taken out while its fd is in use and put back afterwards, so
/// clearing the cache never closes an fd that is being used.
#[derive(Debug, Default)]
struct DirCache {
    slots: Vec<(Vec<u8>, OwnedFd)>,
    spare_keys: Vec<Vec<u8>>,
}

impl DirCache {
    fn take(&mut self, key: &[u8]) -> Option<(Vec<u8>, OwnedFd)> {
        let i = self.slots.iter().position(|(k, _)| k == key)?;
        Some(self.slots.remove(i))
    }

    fn key(&mut self, key: &[u8]) -> Vec<u8> {
        let mut k = self.spare_keys.pop().unwrap_or_default();
        k.clear();
        k.extend_from_slice(key);
        k
    }

    fn put(&mut self, key: Vec<u8>, fd: OwnedFd) {
        if self.slots.len() >= CACHE_SLOTS
            && let Some((k, _)) = self.slots.pop()
        {
            self.spare_keys.push(k);
        }
        self.slots.insert(0, (key, fd));
    }

    fn clear(&mut self) {
        for (k, _) in self.slots.drain(..) {
            self.spare_keys.push(k);
        }
    }
}

struct Extractor<'o> {
    /// The destination directory (`O_PATH`).
    root: OwnedFd,
    opts: &'o ExtractOptions,
    stats: ExtractStats,
    cache: DirCache,
    /// The current entry's normalised path.
    path: Vec<u8>,
    /// The current hard link's normalised target.
    link: Vec<u8>,
    /// The current entry's `SCHILY.xattr.*` records: (name, value).
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// The file data buffer (allocated on first use).
    buf: Vec<u8>,
    /// Formatting buffer for `user.rl.owner`.
    owner: String,
    dirs: Vec<PendingDir>,
    /// [`extract_into`]: no whiteouts, no directory replaced by a non-directory.
    plain: bool,
    /// [`IntoOptions::owners`].
    owners: Option<OwnerMap>,
}

impl std::fmt::Debug for Extractor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("root", &self.root)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<'o> Extractor<'o> {
    fn new(root: OwnedFd, opts: &'o ExtractOptions) -> Self {
        Extractor {
            root,
            opts,
            stats: ExtractStats::default(),
            cache: DirCache::default(),
            path: Vec::new(),
            link: Vec::new(),
            xattrs: Vec::new(),
            buf: Vec::new(),
            owner: String::new(),
            dirs: Vec::new(),
            plain: false,
            owners: None,
        }
    }

    fn archive_error(&self, what: &str, source: io::Error) -> ExtractError {
        let context = if self.stats.entries == 0 {
            what.to_string()
        } else {
            format!("{what} after entry {}", lossy(&self.path))
        };
        ExtractError::Archive { context, source }
    }

    /// Apply one tar member.
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), ExtractError> {
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            return Ok(());
        }
        self.stats.entries += 1;
        let is_dir = {
            let raw = entry.path_bytes();
            if let Err(reason) = normalize(&raw, &mut self.path) {
                return Err(ExtractError::Invalid {
                    path: lossy(&raw),
                    reason: reason.to_string(),
                });
            }
            // Old (pre-POSIX) archives mark directories as regular files with a trailing slash.
            kind.is_dir()
                || (matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous)
                    && raw.ends_with(b"/"))
        };
        let mut meta = header_meta(entry.header()).map_err(|f| f.at(&self.path))?;
        self.read_pax(entry, &mut meta)
            .map_err(|f| f.at(&self.path))?;
        if let Some(map) = &self.owners {
            (meta.uid, meta.gid) = (map.0)(meta.uid, meta.gid);
        }

        let path = mem::take(&mut self.path);
        let result = self.apply(entry, &path, kind, is_dir, meta);
        self.path = path;
        result.map_err(|f| f.at(&self.path))
    }

    /// Collect the entry's `SCHILY.xattr.*` records and PAX times.
    fn read_pax<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, meta: &mut Meta) -> Res<()> {
        self.xattrs.clear();
        let Some(records) = entry
            .pax_extensions()
            .map_err(|e| invalid(format!("malformed PAX header: {e}")))?
        else {
            return Ok(());
        };
        let mut atime = None;
        for record in records {
            let record = record.map_err(|e| invalid(format!("malformed PAX header: {e}")))?;
            let key = record.key_bytes();
            if let Some(name) = key.strip_prefix(PAX_XATTR_PREFIX) {
                self.xattrs
                    .push((name.to_vec(), record.value_bytes().to_vec()));
            } else if key == b"mtime" {
                if let Some(t) = parse_pax_time(record.value_bytes()) {
                    meta.mtime = t;
                }
            } else if key == b"atime" {
                atime = parse_pax_time(record.value_bytes());
            }
        }
        meta.atime = atime.unwrap_or(meta.mtime);
        Ok(())
    }

    fn apply<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        path: &[u8],
        kind: tar::EntryType,
        is_dir: bool,
        meta: Meta,
    ) -> Res<()> {
        if path.is_empty() {
            // The root entry `./`: docker does not apply its metadata either.
            return if is_dir {
                Ok(())
            } else {
                Err(invalid("name is empty after normalisation"))
            };
        }
        let (parent, name) = split(path);
        if !self.plain
            && let Some(target) = name.strip_prefix(WHITEOUT_PREFIX)
        {
            return self.whiteout(parent, name, target, meta);
        }
        if is_dir {
            return self.with_parent(parent, |ex, pfd| ex.dir(pfd, name, path, meta));
        }
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                self.with_parent(parent, |ex, pfd| ex.file(pfd, name, entry, meta))
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| invalid("symlink without a target"))?;
                if target.is_empty() || target.contains(&0) || target.len() >= MAX_PATH {
                    return Err(invalid("symlink target is empty, too long or contains NUL"));
                }
                self.with_parent(parent, |ex, pfd| ex.symlink(pfd, name, &target, meta))
            }
            tar::EntryType::Link => {
                let raw = entry
                    .link_name_bytes()
                    .ok_or_else(|| invalid("hard link without a target"))?;
                let mut target = mem::take(&mut self.link);
                let result = match normalize(&raw, &mut target) {
                    Ok(()) => self.hard_link(parent, name, path, &target),
                    Err(reason) => Err(invalid(format!(
                        "hard link target {}: {reason}",
                        lossy(&raw)
                    ))),
                };
                self.link = target;
                result
            }
            tar::EntryType::Char | tar::EntryType::Block => {
                let (major, minor) =
                    match (entry.header().device_major(), entry.header().device_minor()) {
                        (Ok(major), Ok(minor)) => (major.unwrap_or(0), minor.unwrap_or(0)),
                        _ => return Err(invalid("malformed device number")),
                    };
                let file_type = if kind == tar::EntryType::Char {
                    FileType::CharacterDevice
                } else {
                    FileType::BlockDevice
                };
                let dev = fs::makedev(major, minor);
                self.with_parent(parent, |ex, pfd| {
                    ex.node(pfd, name, path, file_type, dev, meta)
                })
            }
            tar::EntryType::Fifo => self.with_parent(parent, |ex, pfd| {
                ex.node(pfd, name, path, FileType::Fifo, 0, meta)
            }),
            other => Err(invalid(format!(
                "unsupported entry type {:?}",
                char::from(other.as_byte())
            ))),
        }
    }

    /// Run `f` with the fd of the directory `key` (a normalised path, empty for the root),
    /// creating missing directories.
    fn with_parent<T>(
        &mut self,
        key: &[u8],
        f: impl FnOnce(&mut Self, BorrowedFd<'_>) -> Res<T>,
    ) -> Res<T> {
        let (k, fd) = match self.cache.take(key) {
            Some(slot) => slot,
            None => {
                let fd = self
                    .open_dir(key, true)?
                    .ok_or_else(|| Fail::Op("open parent directory", Errno::NOENT.into()))?;
                (self.cache.key(key), fd)
            }
        };
        let result = f(self, fd.as_fd());
        // `f` only ever changes names inside this directory, never the directory itself, so its
        // fd still names the right directory.
        self.cache.put(k, fd);
        result
    }

    /// Open the directory `key` inside the root (`O_PATH`). `Ok(None)` if it does not exist and
    /// `create` is false.
    fn open_dir(&self, key: &[u8], create: bool) -> Res<Option<OwnedFd>> {
        let path: &[u8] = if key.is_empty() { b"." } else { key };
        match openat2_in_root(self.root.as_fd(), path) {
            Ok(fd) => Ok(Some(fd)),
            Err(Errno::NOENT) if create => self.create_dirs(key).map(Some),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e).op("open parent directory"),
        }
    }

    /// Open the directory `key`, creating missing components one by one inside the root.
    fn create_dirs(&self, key: &[u8]) -> Res<OwnedFd> {
        let mut cur = fs::openat(
            &self.root,
            c".",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .op("open destination")?;
        let mut end = 0;
        for comp in key.split(|&b| b == b'/') {
            end += comp.len();
            let prefix = &key[..end];
            end += 1;
            let next = match fs::openat(
                &cur,
                comp,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(fd) => fd,
                Err(Errno::NOENT) => match fs::mkdirat(&cur, comp, Mode::from_raw_mode(0o755)) {
                    Ok(()) => {
                        let fd = fs::openat(
                            &cur,
                            comp,
                            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                            Mode::empty(),
                        )
                        .op("open parent directory")?;
                        // Like docker: implicit parents are root's, 0755 whatever the umask.
                        if self.opts.chown {
                            fs::fchown(&fd, Some(Uid::ROOT), Some(Gid::ROOT)).op("chown")?;
                        }
                        fs::fchmod(&fd, Mode::from_raw_mode(0o755)).op("chmod")?;
                        fd
                    }
                    Err(Errno::EXIST) => {
                        openat2_in_root(self.root.as_fd(), prefix).op("open parent directory")?
                    }
                    Err(e) => return Err(e).op("create parent directory"),
                },
                // A symlink (or not a directory): resolve the whole prefix inside the root, which
                // fails unless it leads to a directory of this layer.
                Err(Errno::NOTDIR | Errno::LOOP) => {
                    openat2_in_root(self.root.as_fd(), prefix).op("open parent directory")?
                }
                Err(e) => return Err(e).op("open parent directory"),
            };
            cur = next;
        }
        Ok(cur)
    }

    /// Create `name` in `pfd` with `make`, which must fail with `EEXIST` rather than touch an
    /// existing name; if it does, remove what is there and try once more.
    fn create<T>(
        &mut self,
        pfd: BorrowedFd<'_>,
        name: &[u8],
        op: &'static str,
        mut make: impl FnMut(BorrowedFd<'_>, &[u8]) -> Result<T, Errno>,
    ) -> Res<T> {
        match make(pfd, name) {
            Err(Errno::EXIST) => {
                self.remove(pfd, name)?;
                make(pfd, name).op(op)
            }
            other => other.op(op),
        }
    }

    /// Remove whatever `name` is in `pfd` (a directory with its whole tree).
    fn remove(&mut self, pfd: BorrowedFd<'_>, name: &[u8]) -> Res<()> {
        // A removal can change what a cached path resolves to (a removed directory, a symlink
        // that led somewhere); the fd in use (`pfd`) stays valid, it is not in the cache.
        self.cache.clear();
        match fs::unlinkat(pfd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(Errno::ISDIR) if self.plain => {
                Err(invalid("cannot overwrite a directory with a non-directory"))
            }
            Err(Errno::ISDIR) => {
                let mut gone = Vec::new();
                remove_tree(pfd, name, &mut gone).op("remove existing directory")?;
                // Forget removed directories, so their inode numbers, if reused by a new
                // directory, do not receive their mode and times at the end.
                if !self.dirs.is_empty() {
                    gone.sort_unstable();
                    self.dirs.retain(|d| gone.binary_search(&d.ino).is_err());
                }
                Ok(())
            }
            Err(e) => Err(e).op("remove existing entry"),
        }
    }

    fn file<R: Read>(
        &mut self,
        pfd: BorrowedFd<'_>,
        name: &[u8],
        entry: &mut tar::Entry<'_, R>,
        meta: Meta,
    ) -> Res<()> {
        let fd = self.create(pfd, name, "create", |pfd, name| {
            fs::openat(
                pfd,
                name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
        })?;
        let mut file = File::from(fd);
        let size = entry.size();
        if size > 0 {
            if self.buf.is_empty() {
                self.buf.resize(COPY_BUF, 0);
            }
            let mut written: u64 = 0;
            loop {
                let n = match entry.read(&mut self.buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Fail::Op("read data", e)),
                };
                let chunk = self
                    .buf
                    .get(..n)
                    .ok_or_else(|| invalid("reader overran buffer"))?;
                file.write_all(chunk).op("write")?;
                written += n as u64;
            }
            if written != size {
                return Err(Fail::Op(
                    "read data",
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("layer ends after {written} of {size} bytes"),
                    ),
                ));
            }
            self.stats.bytes += written;
        }
        // chown clears setuid bits and file capabilities, so: owner, xattrs, mode, times.
        self.owner_fd(file.as_fd(), &meta)?;
        self.xattrs_fd(file.as_fd());
        fs::fchmod(&file, Mode::from_raw_mode(meta.mode)).op("chmod")?;
        fs::futimens(&file, &meta.times()).op("set times")?;
        Ok(())
    }

    fn dir(&mut self, pfd: BorrowedFd<'_>, name: &[u8], path: &[u8], meta: Meta) -> Res<()> {
        // 0700 while extracting (children must be creatable whatever the final mode); the mode
        // and times are applied at the end.
        let mode = Mode::from_raw_mode(0o700);
        match fs::mkdirat(pfd, name, mode) {
            Ok(()) => {}
            Err(Errno::EXIST) => {
                let st = fs::statat(pfd, name, AtFlags::SYMLINK_NOFOLLOW).op("stat")?;
                if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
                    self.remove(pfd, name)?;
                    fs::mkdirat(pfd, name, mode).op("mkdir")?;
                }
            }
            Err(e) => return Err(e).op("mkdir"),
        }
        let dfd = fs::openat(
            pfd,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .op("open directory")?;
        let ino = fs::fstat(&dfd).op("stat")?.st_ino;
        self.owner_fd(dfd.as_fd(), &meta)?;
        self.xattrs_fd(dfd.as_fd());
        self.dirs.push(PendingDir {
            path: path.to_vec(),
            depth: path.iter().filter(|&&b| b == b'/').count(),
            #[allow(clippy::useless_conversion)] // st_ino is not u64 on every target
            ino: u64::from(ino),
            meta,
        });
        Ok(())
    }

    fn symlink(&mut self, pfd: BorrowedFd<'_>, name: &[u8], target: &[u8], meta: Meta) -> Res<()> {
        self.create(pfd, name, "symlink", |pfd, name| {
            fs::symlinkat(target, pfd, name)
        })?;
        self.owner_at(pfd, name, &meta)?;
        // user.* xattrs are not allowed on symlinks.
        self.stats.skipped_xattrs += self.xattrs.len() as u64;
        fs::utimensat(pfd, name, &meta.times(), AtFlags::SYMLINK_NOFOLLOW).op("set times")
    }

    fn node(
        &mut self,
        pfd: BorrowedFd<'_>,
        name: &[u8],
        path: &[u8],
        file_type: FileType,
        dev: fs::Dev,
        meta: Meta,
    ) -> Res<()> {
        let perm = Mode::from_raw_mode(meta.mode & 0o777);
        match self.create(pfd, name, "mknod", |pfd, name| {
            fs::mknodat(pfd, name, file_type, perm, dev)
        }) {
            Ok(()) => {}
            Err(f) if f.errno() == Some(libc::EPERM) => {
                self.stats.skipped_devices.push(lossy(path));
                return Ok(());
            }
            Err(f) => return Err(f),
        }
        self.owner_at(pfd, name, &meta)?;
        // user.* xattrs are not allowed on device nodes and fifos.
        self.stats.skipped_xattrs += self.xattrs.len() as u64;
        // There is no fchmodat(AT_SYMLINK_NOFOLLOW) before Linux 6.6 and a node cannot be
        // opened without side effects; mknodat never follows, so the name is the node unless
        // it was swapped since, which this checks.
        let st = fs::statat(pfd, name, AtFlags::SYMLINK_NOFOLLOW).op("stat")?;
        if FileType::from_raw_mode(st.st_mode) != file_type {
            return Err(Fail::Op("chmod", Errno::NOENT.into()));
        }
        fs::chmodat(pfd, name, Mode::from_raw_mode(meta.mode), AtFlags::empty()).op("chmod")?;
        fs::utimensat(pfd, name, &meta.times(), AtFlags::SYMLINK_NOFOLLOW).op("set times")
    }

    fn hard_link(&mut self, parent: &[u8], name: &[u8], path: &[u8], target: &[u8]) -> Res<()> {
        let missing = || {
            invalid(format!(
                "hard link target {} does not exist in this layer",
                lossy(target)
            ))
        };
        if target.is_empty() {
            return Err(invalid("hard link target is empty"));
        }
        let (tparent, tname) = split(target);
        if target == path {
            // A link to itself: nothing to do if it exists.
            return self.with_parent(parent, |_, pfd| {
                fs::statat(pfd, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map(drop)
                    .map_err(|_| missing())
            });
        }
        self.with_parent(parent, |ex, pfd| {
            let opened;
            let tpfd = if tparent == parent {
                pfd
            } else {
                opened = match ex.open_dir(tparent, false) {
                    Ok(Some(fd)) => fd,
                    Ok(None) => return Err(missing()),
                    Err(f) if f.errno() == Some(libc::ENOTDIR) => return Err(missing()),
                    Err(f) => return Err(f),
                };
                opened.as_fd()
            };
            // Without AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
            match ex.create(pfd, name, "link", |pfd, name| {
                fs::linkat(tpfd, tname, pfd, name, AtFlags::empty())
            }) {
                Err(f) if f.errno() == Some(libc::ENOENT) => Err(missing()),
                other => other,
            }
        })
    }

    fn whiteout(&mut self, parent: &[u8], name: &[u8], target: &[u8], meta: Meta) -> Res<()> {
        if name == OPAQUE_MARKER {
            return self.with_parent(parent, |ex, pfd| {
                let dfd = fs::openat(
                    pfd,
                    c".",
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .op("open directory")?;
                fs::fsetxattr(&dfd, OPAQUE_XATTR, b"y", XattrFlags::empty())
                    .op("set opaque xattr")?;
                ex.stats.opaque_dirs += 1;
                Ok(())
            });
        }
        if target.starts_with(WHITEOUT_PREFIX) {
            // Other `.wh..wh.*` names (AUFS hard link bookkeeping) mean nothing here.
            return Ok(());
        }
        if target.is_empty() || target == b"." || target == b".." {
            return Err(invalid("whiteout names no file"));
        }
        self.with_parent(parent, |ex, pfd| {
            ex.create(pfd, target, "create whiteout", |pfd, name| {
                fs::mknodat(pfd, name, FileType::CharacterDevice, Mode::empty(), 0)
            })?;
            if ex.opts.chown {
                ex.chown_at(pfd, target, &meta)?;
            }
            fs::utimensat(pfd, target, &meta.times(), AtFlags::SYMLINK_NOFOLLOW).op("set times")?;
            ex.stats.whiteouts += 1;
            Ok(())
        })
    }

    fn chown_at(&self, pfd: BorrowedFd<'_>, name: &[u8], meta: &Meta) -> Res<()> {
        fs::chownat(
            pfd,
            name,
            Some(Uid::from_raw(meta.uid)),
            Some(Gid::from_raw(meta.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .op("chown")
    }

    /// Ownership of a symlink or node (which cannot carry `user.rl.owner`).
    fn owner_at(&mut self, pfd: BorrowedFd<'_>, name: &[u8], meta: &Meta) -> Res<()> {
        if self.opts.chown {
            self.chown_at(pfd, name, meta)
        } else {
            if !meta.is_root_owned() {
                self.stats.skipped_xattrs += 1;
            }
            Ok(())
        }
    }

    /// Ownership of a file or directory open as `fd`.
    fn owner_fd(&mut self, fd: BorrowedFd<'_>, meta: &Meta) -> Res<()> {
        if self.opts.chown {
            fs::fchown(
                fd,
                Some(Uid::from_raw(meta.uid)),
                Some(Gid::from_raw(meta.gid)),
            )
            .op("chown")
        } else {
            if !meta.is_root_owned() {
                self.owner.clear();
                // Writing to a String cannot fail.
                let _ = write!(self.owner, "{}:{}", meta.uid, meta.gid);
                if fs::fsetxattr(fd, OWNER_XATTR, self.owner.as_bytes(), XattrFlags::empty())
                    .is_err()
                {
                    self.stats.skipped_xattrs += 1;
                }
            }
            Ok(())
        }
    }

    /// The entry's archive xattrs, on a file or directory open as `fd`.
    fn xattrs_fd(&mut self, fd: BorrowedFd<'_>) {
        for (name, value) in &self.xattrs {
            let applied = xattr_allowed(name)
                && fs::fsetxattr(fd, name.as_slice(), value, XattrFlags::empty()).is_ok();
            if !applied {
                self.stats.skipped_xattrs += 1;
            }
        }
    }

    /// Apply the directories' modes and times, deepest first (a later entry for the same path
    /// wins).
    fn finish(&mut self) -> Result<(), ExtractError> {
        let mut dirs = mem::take(&mut self.dirs);
        dirs.sort_by(|a, b| b.depth.cmp(&a.depth).then_with(|| a.path.cmp(&b.path)));
        for (i, dir) in dirs.iter().enumerate() {
            if dirs.get(i + 1).is_some_and(|next| next.path == dir.path) {
                continue;
            }
            self.finish_dir(dir).map_err(|f| f.at(&dir.path))?;
        }
        Ok(())
    }

    fn finish_dir(&mut self, dir: &PendingDir) -> Res<()> {
        let (parent, name) = split(&dir.path);
        let (key, pfd) = match self.cache.take(parent) {
            Some(slot) => slot,
            None => match self.open_dir(parent, false) {
                Ok(Some(fd)) => (self.cache.key(parent), fd),
                // Removed or replaced by a later entry.
                Ok(None) => return Ok(()),
                Err(f) if f.errno() == Some(libc::ENOTDIR) => return Ok(()),
                Err(f) => return Err(f),
            },
        };
        let result = finish_dir_at(pfd.as_fd(), name, dir);
        self.cache.put(key, pfd);
        result
    }
}

fn finish_dir_at(pfd: BorrowedFd<'_>, name: &[u8], dir: &PendingDir) -> Res<()> {
    let dfd = match fs::openat(
        pfd,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        // Replaced by a later entry.
        Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => return Ok(()),
        Err(e) => return Err(e).op("open directory"),
    };
    #[allow(clippy::useless_conversion)] // st_ino is not u64 on every target
    let ino = u64::from(fs::fstat(&dfd).op("stat")?.st_ino);
    if ino != dir.ino {
        return Ok(());
    }
    fs::fchmod(&dfd, Mode::from_raw_mode(dir.meta.mode)).op("chmod")?;
    fs::futimens(&dfd, &dir.meta.times()).op("set times")
}

/// `openat2(root, path, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`,
/// retried on `EAGAIN`.
fn openat2_in_root(root: BorrowedFd<'_>, path: &[u8]) -> Result<OwnedFd, Errno> {
    let mut tries = 0;
    loop {
        match fs::openat2(
            root,
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            IN_ROOT,
        ) {
            Err(Errno::AGAIN) if tries < OPENAT2_RETRIES => tries += 1,
            other => return other,
        }
    }
}

/// Remove the directory `name` in `pfd` and everything below it, never following a symlink;
/// collect the inode numbers of the removed directories in `gone`.
fn remove_tree<P: rustix::path::Arg + Copy>(
    pfd: BorrowedFd<'_>,
    name: P,
    gone: &mut Vec<u64>,
) -> Result<(), Errno> {
    let dfd = fs::openat(
        pfd,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    #[allow(clippy::useless_conversion)] // st_ino is not u64 on every target
    gone.push(u64::from(fs::fstat(&dfd)?.st_ino));
    let mut dir = fs::Dir::new(dfd)?;
    let mut children = Vec::new();
    while let Some(child) = dir.read() {
        let child = child?;
        let n = child.file_name();
        if n != c"." && n != c".." {
            children.push(n.to_owned());
        }
    }
    let dfd = dir.fd()?;
    for child in &children {
        match fs::unlinkat(dfd, child.as_c_str(), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(Errno::ISDIR) => remove_tree(dfd, child.as_c_str(), gone)?,
            Err(e) => return Err(e),
        }
    }
    fs::unlinkat(pfd, name, AtFlags::REMOVEDIR)
}

/// Normalise an entry name into `out`: drop leading `/`, empty and `.` components, let `..`
/// remove the previous component. Errors for NUL bytes, overlong names, and `..` above the root.
fn normalize(raw: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    out.clear();
    if raw.len() >= MAX_PATH {
        return Err("name is too long");
    }
    if raw.contains(&0) {
        return Err("name contains a NUL byte");
    }
    for comp in raw.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                if out.is_empty() {
                    return Err("name escapes the layer root with ..");
                }
                let keep = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(keep);
            }
            _ => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(comp);
            }
        }
    }
    Ok(())
}

/// Split a normalised path into (parent, final component); the parent of a top-level name is
/// empty.
fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[], path),
    }
}

/// Which archive xattrs are applied.
fn xattr_allowed(name: &[u8]) -> bool {
    name == b"security.capability"
        || (name.starts_with(b"user.")
            && !name.starts_with(b"user.overlay.")
            && name != OWNER_XATTR.to_bytes())
}

fn header_meta(header: &tar::Header) -> Res<Meta> {
    let mode = header.mode().map_err(|_| invalid("malformed mode field"))? & 0o7777;
    let id = |v: io::Result<u64>, what: &'static str| -> Res<u32> {
        v.ok()
            .and_then(|v| u32::try_from(v).ok())
            // u32::MAX is -1, "leave unchanged", to chown.
            .filter(|&v| v != u32::MAX)
            .ok_or_else(|| invalid(what))
    };
    let uid = id(header.uid(), "malformed or out of range uid")?;
    let gid = id(header.gid(), "malformed or out of range gid")?;
    let mtime = header
        .mtime()
        .map_err(|_| invalid("malformed mtime field"))?;
    let mtime = Timespec {
        tv_sec: i64::try_from(mtime).unwrap_or(i64::MAX),
        tv_nsec: 0,
    };
    Ok(Meta {
        mode,
        uid,
        gid,
        atime: mtime,
        mtime,
    })
}

/// Parse a PAX time (`[-]SECONDS[.FRACTION]`); `None` if malformed.
fn parse_pax_time(v: &[u8]) -> Option<Timespec> {
    let (negative, v) = match v.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, v),
    };
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &[][..]),
    };
    if int.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let mut secs: i64 = 0;
    for &d in int {
        secs = secs.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    let mut nanos: i64 = 0;
    for i in 0..9 {
        nanos = nanos * 10 + frac.get(i).map_or(0, |&d| i64::from(d - b'0'));
    }
    if negative {
        if nanos > 0 {
            secs = -secs - 1;
            nanos = 1_000_000_000 - nanos;
        } else {
            secs = -secs;
        }
    }
    Some(Timespec {
        tv_sec: secs,
        tv_nsec: nanos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs as sfs;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
    use tar::EntryType as T;

    const MTIME: i64 = 1_600_000_000;

    fn hdr(kind: T, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(MTIME.unsigned_abs());
        h
    }

    /// A layer under construction.
    struct Layer(tar::Builder<Vec<u8>>);

    impl Layer {
        fn new() -> Self {
            Layer(tar::Builder::new(Vec::new()))
        }
        fn entry(mut self, mut h: tar::Header, path: &str, data: &[u8]) -> Self {
            self.0.append_data(&mut h, path, data).unwrap();
            self
        }
        fn file(self, path: &str, data: &[u8]) -> Self {
            self.entry(hdr(T::Regular, 0o644, data.len() as u64), path, data)
        }
        fn file_mode(self, path: &str, data: &[u8], mode: u32) -> Self {
            self.entry(hdr(T::Regular, mode, data.len() as u64), path, data)
        }
        fn dir(self, path: &str, mode: u32) -> Self {
            self.entry(hdr(T::Directory, mode, 0), path, b"")
        }
        fn link(mut self, kind: T, path: &str, target: &str) -> Self {
            let mut h = hdr(kind, 0o777, 0);
            self.0.append_link(&mut h, path, target).unwrap();
            self
        }
        fn symlink(self, path: &str, target: &str) -> Self {
            self.link(T::Symlink, path, target)
        }
        fn hardlink(self, path: &str, target: &str) -> Self {
            self.link(T::Link, path, target)
        }
        /// An entry with its name (and link name) written into the header bytes verbatim,
        /// bypassing the tar crate's checks (for `..` and absolute names).
        fn raw(mut self, kind: T, name: &[u8], link: &[u8], data: &[u8]) -> Self {
            let mut h = hdr(kind, 0o644, data.len() as u64);
            h.as_old_mut().name[..name.len()].copy_from_slice(name);
            h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
            h.set_cksum();
            self.0.append(&h, data).unwrap();
            self
        }
        fn pax(mut self, records: &[(&str, &[u8])]) -> Self {
            self.0
                .append_pax_extensions(records.iter().copied())
                .unwrap();
            self
        }
        fn build(self) -> Vec<u8> {
            self.0.into_inner().unwrap()
        }
    }

    /// `tmp/dest` to extract into, and `tmp/outside/canary` that must never change.
    struct Sandbox {
        tmp: tempfile::TempDir,
        dest: PathBuf,
        canary: sfs::Metadata,
        outside: sfs::Metadata,
    }

    impl Sandbox {
        fn new() -> Self {
            let tmp = tempfile::tempdir().unwrap();
            let dest = tmp.path().join("dest");
            sfs::create_dir(&dest).unwrap();
            let outside = tmp.path().join("outside");
            sfs::create_dir(&outside).unwrap();
            sfs::write(outside.join("canary"), b"canary").unwrap();
            sfs::set_permissions(outside.join("canary"), sfs::Permissions::from_mode(0o640))
                .unwrap();
            Sandbox {
                canary: sfs::symlink_metadata(outside.join("canary")).unwrap(),
                outside: sfs::symlink_metadata(&outside).unwrap(),
                tmp,
                dest,
            }
        }
        fn outside(&self) -> PathBuf {
            self.tmp.path().join("outside")
        }
        fn extract(&self, tar: &[u8]) -> Result<ExtractStats, ExtractError> {
            extract_layer(tar, &self.dest, &ExtractOptions::default())
        }
        fn p(&self, rel: &str) -> PathBuf {
            self.dest.join(rel)
        }
        /// Nothing outside `dest` was created, changed or removed.
        fn assert_outside_untouched(&self) {
            let mut seen: Vec<PathBuf> = Vec::new();
            for e in sfs::read_dir(self.tmp.path()).unwrap() {
                seen.push(e.unwrap().path());
            }
            for e in sfs::read_dir(self.outside()).unwrap() {
                seen.push(e.unwrap().path());
            }
            seen.sort();
            let want = vec![
                self.dest.clone(),
                self.outside(),
                self.outside().join("canary"),
            ];
            assert_eq!(seen, want, "something appeared outside dest");
            let canary = self.outside().join("canary");
            assert_eq!(sfs::read(&canary).unwrap(), b"canary");
            let now = sfs::symlink_metadata(&canary).unwrap();
            assert_eq!(now.ino(), self.canary.ino());
            assert_eq!(now.mode(), self.canary.mode());
            assert_eq!(now.uid(), self.canary.uid());
            assert_eq!(now.nlink(), 1, "canary was hard linked");
            assert_eq!(now.mtime(), self.canary.mtime());
            assert_eq!(now.ctime(), self.canary.ctime(), "canary metadata changed");
            let out = sfs::symlink_metadata(self.outside()).unwrap();
            assert_eq!(out.mtime(), self.outside.mtime());
            assert_eq!(out.ctime(), self.outside.ctime(), "outside dir changed");
            assert_eq!(out.mode(), self.outside.mode());
            assert!(xattr(&self.outside(), "user.overlay.opaque").is_none());
            assert!(!Path::new("/etc/rl-extract-test-canary").exists());
        }
    }

    fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
        let mut buf = [0u8; 256];
        let n = fs::lgetxattr(path, name, &mut buf[..]).ok()?;
        Some(buf[..n].to_vec())
    }

    fn meta(path: &Path) -> sfs::Metadata {
        sfs::symlink_metadata(path).unwrap()
    }

    /// Root, with uid/gid 1000 mapped (not a single-id user namespace).
    fn can_chown() -> bool {
        if !rustix::process::geteuid().is_root() {
            return false;
        }
        let f = tempfile::NamedTempFile::new().unwrap();
        let id = (Some(Uid::from_raw(1000)), Some(Gid::from_raw(1000)));
        fs::fchown(f.as_file(), id.0, id.1).is_ok()
    }

    #[test]
    fn extracts_files_dirs_links_and_metadata() {
        let sb = Sandbox::new();
        let tar = Layer::new()
            .dir("etc", 0o755)
            .file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .file_mode("usr/bin/su", b"#!/bin/sh\n", 0o4755)
            .dir("tmp", 0o1777)
            .file_mode("usr/bin/wall", b"w", 0o2711)
            .symlink("bin", "usr/bin")
            .symlink("abs", "/does/not/exist")
            .hardlink("etc/passwd.hard", "etc/passwd")
            .file_mode("etc/ro", b"readonly", 0o400)
            .build();
        let stats = sb.extract(&tar).unwrap();
        assert_eq!(stats.entries, 9);
        assert_eq!(stats.bytes, 26 + 10 + 1 + 8);
        assert_eq!(
            sfs::read(sb.p("etc/passwd")).unwrap(),
            b"root:x:0:0::/root:/bin/sh\n"
        );
        assert_eq!(meta(&sb.p("etc/passwd")).mode() & 0o7777, 0o644);
        assert_eq!(meta(&sb.p("usr/bin/su")).mode() & 0o7777, 0o4755);
        assert_eq!(meta(&sb.p("usr/bin/wall")).mode() & 0o7777, 0o2711);
        assert_eq!(meta(&sb.p("tmp")).mode() & 0o7777, 0o1777);
        assert_eq!(meta(&sb.p("etc/ro")).mode() & 0o7777, 0o400);
        // Implicit parents: 0755.
        assert_eq!(meta(&sb.p("usr")).mode() & 0o7777, 0o755);
        assert!(meta(&sb.p("usr")).is_dir());
        assert_eq!(sfs::read_link(sb.p("bin")).unwrap(), Path::new("usr/bin"));
        assert_eq!(
            sfs::read_link(sb.p("abs")).unwrap(),
            Path::new("/does/not/exist")
        );
        assert_eq!(
            meta(&sb.p("etc/passwd.hard")).ino(),
            meta(&sb.p("etc/passwd")).ino()
        );
        for p in ["etc/passwd", "usr/bin/su", "bin", "abs", "etc", "tmp"] {
            assert_eq!(meta(&sb.p(p)).mtime(), MTIME, "{p}");
        }
        assert!(xattr(&sb.p("etc/passwd"), "user.rl.owner").is_none());
        sb.assert_outside_untouched();
    }

    #[test]
    fn directory_times_and_modes_are_applied_after_children() {
        let sb = Sandbox::new();
        let mut h = hdr(T::Directory, 0o555, 0);
        h.set_mtime(1_000_000);
        let mut deep = hdr(T::Directory, 0o500, 0);
        deep.set_mtime(2_000_000);
        let tar = Layer::new()
            .entry(h, "a", b"")
            .entry(deep, "a/b", b"")
            .dir("a/b/c", 0o700)
            .file("a/b/c/f", b"x")
            .file("a/g", b"y")
            .build();
        sb.extract(&tar).unwrap();
        assert_eq!(meta(&sb.p("a")).mtime(), 1_000_000);
        assert_eq!(meta(&sb.p("a")).mode() & 0o7777, 0o555);
        assert_eq!(meta(&sb.p("a/b")).mtime(), 2_000_000);
        assert_eq!(meta(&sb.p("a/b")).mode() & 0o7777, 0o500);
        assert_eq!(meta(&sb.p("a/b/c")).mtime(), MTIME);
        assert_eq!(sfs::read(sb.p("a/b/c/f")).unwrap(), b"x");
        // Let TempDir clean up.
        sfs::set_permissions(sb.p("a/b"), sfs::Permissions::from_mode(0o755)).unwrap();
        sfs::set_permissions(sb.p("a"), sfs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn whiteouts_and_opaque_directories() {
        let sb = Sandbox::new();
        let tar = Layer::new()
            .dir("a", 0o755)
            .file("a/old", b"replaced by the whiteout")
            .dir("a/olddir", 0o755)
            .file("a/olddir/f", b"f")
            .file("a/.wh.old", b"")
            .file("a/.wh.olddir", b"")
            .file("a/.wh.gone", b"")
            .file("b/.wh..wh..opq", b"")
            .dir("c", 0o755)
            .file("c/.wh..wh..opq", b"")
            .file("c/.wh..wh.plnk", b"")
            .file(".wh.top", b"")
            .build();
        let stats = sb.extract(&tar).unwrap();
        assert_eq!(stats.whiteouts, 4);
        assert_eq!(stats.opaque_dirs, 2);
        for p in ["a/old", "a/olddir", "a/gone", "top"] {
            let m = meta(&sb.p(p));
            assert!(m.file_type().is_char_device(), "{p}");
            assert_eq!(m.rdev(), 0, "{p}");
        }
        assert!(meta(&sb.p("b")).is_dir());
        assert_eq!(xattr(&sb.p("b"), "user.overlay.opaque").unwrap(), b"y");
        assert_eq!(xattr(&sb.p("c"), "user.overlay.opaque").unwrap(), b"y");
        assert!(xattr(&sb.p("a"), "user.overlay.opaque").is_none());
        for p in [
            "a/.wh.old",
            "b/.wh..wh..opq",
            "c/.wh..wh..opq",
            "c/.wh..wh.plnk",
            "c/plnk",
        ] {
            assert!(sfs::symlink_metadata(sb.p(p)).is_err(), "{p}");
        }
        assert_eq!(sfs::read_dir(sb.p("c")).unwrap().count(), 0);
    }

    #[test]
    fn invalid_whiteout_names_are_errors() {
        for name in ["a/.wh.", "a/.wh..", "a/.wh.."] {
            let sb = Sandbox::new();
            let tar = Layer::new()
                .raw(T::Regular, name.as_bytes(), b"", b"")
                .build();
            assert!(sb.extract(&tar).is_err(), "{name}");
            sb.assert_outside_untouched();
        }
    }

    #[test]
    fn dotdot_names_are_rejected_for_real() {
        for name in [
            &b"../outside/canary"[..],
            b"../../outside/evil",
            b"a/../../outside/evil",
            b"./../outside/new",
            b"..",
        ] {
            let sb = Sandbox::new();
            let tar = Layer::new()
                .dir("a", 0o755)
                .raw(T::Regular, name, b"", b"pwned")
                .build();
            let err = sb.extract(&tar).unwrap_err();
            assert!(err.to_string().contains("escapes the layer root"), "{err}");
            sb.assert_outside_untouched();
        }
        // `..` that stays inside is resolved lexically.
        let sb = Sandbox::new();
        let tar = Layer::new().raw(T::Regular, b"a/../b", b"", b"ok").build();
        sb.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb.p("b")).unwrap(), b"ok");
        assert!(!sb.p("a").exists());
        sb.assert_outside_untouched();
    }

    #[test]
    fn absolute_names_are_relative_to_dest() {
        let sb = Sandbox::new();
        let outside_abs = sb.outside().join("canary");
        let tar = Layer::new()
            .raw(T::Regular, b"/x", b"", b"1")
            .raw(T::Regular, b"///y", b"", b"2")
            .raw(
                T::Regular,
                outside_abs.as_os_str().as_encoded_bytes(),
                b"",
                b"3",
            )
            .raw(T::Directory, b"./", b"", b"")
            .raw(T::Directory, b"/", b"", b"")
            .build();
        sb.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb.p("x")).unwrap(), b"1");
        assert_eq!(sfs::read(sb.p("y")).unwrap(), b"2");
        let inside = sb.dest.join(outside_abs.strip_prefix("/").unwrap());
        assert_eq!(sfs::read(inside).unwrap(), b"3");
        sb.assert_outside_untouched();
    }

    #[test]
    fn symlinked_parents_are_resolved_inside_dest() {
        // `evil -> /etc`, then `evil/...`: lands in dest/etc when the layer has one...
        let sb = Sandbox::new();
        let tar = Layer::new()
            .dir("etc", 0o755)
            .symlink("evil", "/etc")
            .file("evil/rl-extract-test-canary", b"x")
            .build();
        sb.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb.p("etc/rl-extract-test-canary")).unwrap(), b"x");
        sb.assert_outside_untouched();
        // ... and fails when it does not.
        let sb = Sandbox::new();
        let tar = Layer::new()
            .symlink("evil", "/etc")
            .file("evil/rl-extract-test-canary", b"x")
            .build();
        let err = sb.extract(&tar).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("layer entry evil/rl-extract-test-canary: "),
            "{err}"
        );
        sb.assert_outside_untouched();
        // Missing directories below a symlinked parent are created in the symlink's target.
        let sb = Sandbox::new();
        let tar = Layer::new()
            .dir("usr/lib", 0o755)
            .symlink("lib", "/usr/lib")
            .file("lib/sub/deeper/f", b"f")
            .build();
        sb.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb.p("usr/lib/sub/deeper/f")).unwrap(), b"f");
        assert!(meta(&sb.p("lib")).file_type().is_symlink());
        sb.assert_outside_untouched();
        // `..` in symlink targets is clamped at dest.
        let sb = Sandbox::new();
        let tar = Layer::new()
            .symlink("evil", "../../..")
            .file("evil/passwd", b"x")
            .symlink("up", "..")
            .file("up/up2", b"y")
            .symlink("out", "../outside")
            .dir("outside", 0o755)
            .file("out/canary", b"z")
            .build();
        sb.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb.p("passwd")).unwrap(), b"x");
        assert_eq!(sfs::read(sb.p("up2")).unwrap(), b"y");
        assert_eq!(sfs::read(sb.p("outside/canary")).unwrap(), b"z");
        sb.assert_outside_untouched();
        // An absolute symlink to the real outside directory.
        let sb = Sandbox::new();
        let target = sb.outside();
        let tar = Layer::new()
            .symlink("evil", target.to_str().unwrap())
            .file("evil/canary", b"pwned")
            .file("evil/new", b"pwned")
            .build();
        assert!(sb.extract(&tar).is_err());
        sb.assert_outside_untouched();
        // Chained symlinks through a parent that is a symlink.
        let sb = Sandbox::new();
        let tar = Layer::new()
            .symlink("a", "../outside")
            .symlink("b", "a/../../outside")
            .file("b/canary", b"pwned")
            .build();
        assert!(sb.extract(&tar).is_err());
        sb.assert_outside_untouched();
    }

    #[test]
    fn symlink_in_final_component_is_replaced_not_followed() {
        let sb = Sandbox::new();
        let canary = sb.outside().join("canary");
        let canary = canary.to_str().unwrap();
        let tar = Layer::new()
            .symlink("f", canary)
            .file("f", b"replaced")
            .symlink("d", "../outside")
            .dir("d", 0o700)
            .symlink("n", canary)
            .entry(hdr(T::Fifo, 0o600, 0), "n", b"")
            .symlink("l", canary)
            .file("target", b"t")
            .hardlink("l", "target")
            .symlink("s", canary)
            .symlink("s", "/elsewhere")
            .symlink("w", canary)
            .file(".wh.w", b"")
            .build();
        sb.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb.p("f")).unwrap(), b"replaced");
        assert!(meta(&sb.p("d")).is_dir());
        assert_eq!(meta(&sb.p("d")).mode() & 0o7777, 0o700);
        assert!(meta(&sb.p("n")).file_type().is_fifo());
        assert_eq!(meta(&sb.p("l")).ino(), meta(&sb.p("target")).ino());
        assert_eq!(sfs::read_link(sb.p("s")).unwrap(), Path::new("/elsewhere"));
        assert!(meta(&sb.p("w")).file_type().is_char_device());
        sb.assert_outside_untouched();
    }

    #[test]
    fn hostile_hard_links_are_errors() {
        let sb0 = Sandbox::new();
        let abs_canary = sb0.outside().join("canary");
        let cases: Vec<(Vec<u8>, Layer)> = vec![
            (b"/etc/passwd".to_vec(), Layer::new()),
            (b"../outside/canary".to_vec(), Layer::new()),
            (b"../../host-file".to_vec(), Layer::new()),
            (
                abs_canary.as_os_str().as_encoded_bytes().to_vec(),
                Layer::new(),
            ),
            (
                b"evil/canary".to_vec(),
                Layer::new().symlink("evil", "../outside"),
            ),
            (
                b"evil/canary".to_vec(),
                Layer::new().symlink("evil", sb0.outside().to_str().unwrap()),
            ),
            (b"missing".to_vec(), Layer::new()),
            (b"dir".to_vec(), Layer::new().dir("dir", 0o755)),
        ];
        for (target, layer) in cases {
            let sb = Sandbox::new();
            let tar = layer
                .raw(T::Link, b"h", &target, b"")
                .file("h", b"write through the link?")
                .build();
            let err = sb.extract(&tar).unwrap_err();
            assert!(err.to_string().starts_with("layer entry h: "), "{err}");
            assert!(sfs::symlink_metadata(sb.p("h")).is_err());
            sb.assert_outside_untouched();
        }
        sb0.assert_outside_untouched();
    }

    #[test]
    fn hard_link_to_a_symlink_links_the_symlink() {
        let sb = Sandbox::new();
        let canary = sb.outside().join("canary");
        let tar = Layer::new()
            .symlink("s", canary.to_str().unwrap())
            .hardlink("h", "s")
            .dir("d", 0o755)
            .hardlink("d/h2", "/s")
            .build();
        sb.extract(&tar).unwrap();
        let s = meta(&sb.p("s"));
        let h = meta(&sb.p("h"));
        assert!(h.file_type().is_symlink());
        assert_eq!(h.ino(), s.ino());
        assert_eq!(meta(&sb.p("d/h2")).ino(), s.ino());
        assert_eq!(s.nlink(), 3);
        sb.assert_outside_untouched();
    }

    #[test]
    fn symlink_loops_are_errors() {
        let sb = Sandbox::new();
        let tar = Layer::new()
            .symlink("a", "b")
            .symlink("b", "a")
            .file("a/x", b"x")
            .build();
        let err = sb.extract(&tar).unwrap_err();
        assert!(err.to_string().starts_with("layer entry a/x: "), "{err}");
        let sb2 = Sandbox::new();
        let tar = Layer::new()
            .symlink("self", "self")
            .file("self/x", b"x")
            .build();
        assert!(sb2.extract(&tar).is_err());
        let sb3 = Sandbox::new();
        let tar = Layer::new().symlink("l", "l/l").dir("l/d", 0o755).build();
        assert!(sb3.extract(&tar).is_err());
        sb.assert_outside_untouched();
        sb2.assert_outside_untouched();
        sb3.assert_outside_untouched();
    }

    #[test]
    fn very_deep_paths() {
        let sb = Sandbox::new();
        let deep = "d/".repeat(1000) + "f";
        let tar = Layer::new().file(&deep, b"deep").build();
        sb.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb.p(&deep)).unwrap(), b"deep");
        // Replacing the deep tree removes it without following anything.
        let tar = Layer::new().file(&deep, b"deep").file("d", b"flat").build();
        let sb2 = Sandbox::new();
        sb2.extract(&tar).unwrap();
        assert_eq!(sfs::read(sb2.p("d")).unwrap(), b"flat");
        // Longer than PATH_MAX: an error, not a panic.
        let sb3 = Sandbox::new();
        let too_deep = "d/".repeat(2100) + "f";
        let tar = Layer::new().file(&too_deep, b"deep").build();
        let err = sb3.extract(&tar).unwrap_err();
        assert!(err.to_string().contains("too long"), "{err}");
        for sb in [sb, sb2, sb3] {
            sb.assert_outside_untouched();
        }
    }

    #[test]
    fn entries_replace_earlier_entries() {
        let sb = Sandbox::new();
        let tar = Layer::new()
            .file("x", b"file")
            .dir("x", 0o750)
            .file("x/child", b"c")
            .dir("y", 0o755)
            .dir("y/sub", 0o755)
            .file("y/sub/deep", b"d")
            .symlink("y/link", "/")
            .file("y", b"now a file")
            .dir("z", 0o700)
            .file("z/keep", b"k")
            .dir("z", 0o751)
            .file("f", b"one")
            .file("f", b"two")
            .build();
        sb.extract(&tar).unwrap();
        assert!(meta(&sb.p("x")).is_dir());
        assert_eq!(meta(&sb.p("x")).mode() & 0o7777, 0o750);
        assert_eq!(sfs::read(sb.p("x/child")).unwrap(), b"c");
        assert!(meta(&sb.p("y")).is_file());
        assert_eq!(sfs::read(sb.p("y")).unwrap(), b"now a file");
        assert_eq!(meta(&sb.p("z")).mode() & 0o7777, 0o751);
        assert_eq!(sfs::read(sb.p("z/keep")).unwrap(), b"k");
        assert_eq!(sfs::read(sb.p("f")).unwrap(), b"two");
        sb.assert_outside_untouched();
    }

    #[test]
    fn removed_directories_do_not_get_their_metadata_back() {
        let sb = Sandbox::new();
        let mut h = hdr(T::Directory, 0o700, 0);
        h.set_mtime(1000);
        let mut tar = Layer::new();
        // Many rounds, so an inode number is likely to be reused on file systems that do.
        for _ in 0..20 {
            tar = tar
                .entry(h.clone(), "a/x", b"")
                .file("a", b"file")
                .dir("a", 0o755)
                .file("a/x/y", b"z");
        }
        sb.extract(&tar.build()).unwrap();
        let m = meta(&sb.p("a/x"));
        assert_eq!(m.mode() & 0o7777, 0o755, "implicit parent keeps 0755");
        assert_ne!(m.mtime(), 1000);
        sb.assert_outside_untouched();
    }

    #[test]
    fn truncated_and_corrupt_archives_are_errors() {
        let tar = Layer::new()
            .dir("a", 0o755)
            .file("a/big", &vec![7u8; 100_000])
            .file("a/small", b"s")
            .build();
        // Layout: header "a" at 0, header "a/big" at 512, its data at 1024..101_024 padded to
        // 101_376, header "a/small" at 101_376. Cut inside data, inside padding, inside a header.
        for cut in [50_000usize, 101_024 + 200, 101_376 + 100] {
            let sb = Sandbox::new();
            let err = sb.extract(&tar[..cut]).unwrap_err();
            assert!(!err.to_string().is_empty());
            sb.assert_outside_untouched();
        }
        let sb = Sandbox::new();
        let mut bad = tar.clone();
        bad[600] ^= 0xff; // checksum mismatch in the second header
        assert!(sb.extract(&bad[..]).is_err());
        let sb = Sandbox::new();
        assert!(sb.extract(&[1u8; 700][..]).is_err());
        // Empty input is an empty layer.
        let sb = Sandbox::new();
        assert_eq!(sb.extract(&[][..]).unwrap().entries, 0);
    }

    #[test]
    fn mutated_archives_never_panic() {
        let base = Layer::new()
            .dir("a", 0o755)
            .file("a/f", b"hello")
            .symlink("a/l", "../x")
            .hardlink("a/h", "a/f")
            .pax(&[("SCHILY.xattr.user.k", b"v"), ("mtime", b"12.5")])
            .file("a/p", b"p")
            .file("a/.wh.f", b"")
            .build();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let sb = Sandbox::new();
        for round in 0..300 {
            let mut t = base.clone();
            for _ in 0..(1 + next() % 8) {
                let i = usize::try_from(next() % t.len() as u64).unwrap();
                t[i] = next().to_le_bytes()[0];
            }
            if round % 7 == 0 {
                let len = usize::try_from(next() % t.len() as u64).unwrap();
                t.truncate(len);
            }
            let dest = sb.tmp.path().join("dest");
            let _ = sfs::remove_dir_all(&dest);
            sfs::create_dir(&dest).unwrap();
            let _ = extract_layer(&t[..], &dest, &ExtractOptions::default());
        }
        sb.assert_outside_untouched();
    }

    #[test]
    fn reads_the_stream_to_its_end() {
        struct Counting<'a>(&'a [u8], usize);
        impl Read for Counting<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.read(buf)?;
                self.1 += n;
                Ok(n)
            }
        }
        let mut tar = Layer::new().file("f", b"data").build();
        tar.resize(10240, 0); // record padding, like GNU tar
        let sb = Sandbox::new();
        let mut reader = Counting(&tar, 0);
        extract_layer(&mut reader, &sb.dest, &ExtractOptions::default()).unwrap();
        assert_eq!(reader.1, 10240);
    }

    #[test]
    fn bad_names_are_errors() {
        // NUL inside a PAX path.
        let sb = Sandbox::new();
        let tar = Layer::new()
            .pax(&[("path", b"a\0b")])
            .file("placeholder", b"")
            .build();
        let err = sb.extract(&tar).unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
        // Empty names.
        for name in [&b""[..], b".", b"a/..", b"a/b/../.."] {
            let sb = Sandbox::new();
            let tar = Layer::new().raw(T::Regular, name, b"", b"x").build();
            let err = sb.extract(&tar).unwrap_err();
            assert!(err.to_string().contains("empty"), "{err}");
        }
        // Symlink with an empty target, unsupported types.
        let sb = Sandbox::new();
        let tar = Layer::new().raw(T::Symlink, b"s", b"", b"").build();
        assert!(sb.extract(&tar).is_err());
        let sb = Sandbox::new();
        let tar = Layer::new().raw(T::new(b'V'), b"vol", b"", b"").build();
        let err = sb.extract(&tar).unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer entry vol: unsupported entry type 'V'"
        );
        sb.assert_outside_untouched();
    }

    #[test]
    fn pax_xattrs_and_times() {
        let sb = Sandbox::new();
        let tar = Layer::new()
            .pax(&[
                ("SCHILY.xattr.user.mime", &b"text/plain"[..]),
                ("SCHILY.xattr.trusted.secret", b"no"),
                ("SCHILY.xattr.user.overlay.redirect", b"/etc"),
                ("SCHILY.xattr.user.rl.owner", b"0:0"),
                ("mtime", b"1234567890.5"),
            ])
            .file("f", b"x")
            .pax(&[("SCHILY.xattr.user.d", &b"dir"[..])])
            .dir("d", 0o755)
            .pax(&[("SCHILY.xattr.user.s", &b"sym"[..])])
            .symlink("s", "f")
            .build();
        let stats = sb.extract(&tar).unwrap();
        assert_eq!(xattr(&sb.p("f"), "user.mime").unwrap(), b"text/plain");
        assert!(xattr(&sb.p("f"), "user.overlay.redirect").is_none());
        assert!(xattr(&sb.p("f"), "user.rl.owner").is_none());
        assert_eq!(xattr(&sb.p("d"), "user.d").unwrap(), b"dir");
        assert_eq!(stats.skipped_xattrs, 4);
        let m = meta(&sb.p("f"));
        assert_eq!((m.mtime(), m.mtime_nsec()), (1_234_567_890, 500_000_000));
    }

    #[test]
    fn owner_is_recorded_in_an_xattr_without_chown() {
        let sb = Sandbox::new();
        let owned = |kind: T, mode| {
            let mut h = hdr(kind, mode, 0);
            h.set_uid(1000);
            h.set_gid(1001);
            h
        };
        let mut sym = owned(T::Symlink, 0o777);
        sym.set_link_name("f").unwrap();
        let tar = Layer::new()
            .entry(owned(T::Regular, 0o4755), "f", b"")
            .entry(owned(T::Directory, 0o755), "d", b"")
            .entry(sym, "s", b"")
            .entry(owned(T::Fifo, 0o644), "p", b"")
            .file("rootfile", b"")
            .build();
        let stats = sb.extract(&tar).unwrap();
        assert_eq!(xattr(&sb.p("f"), "user.rl.owner").unwrap(), b"1000:1001");
        assert_eq!(xattr(&sb.p("d"), "user.rl.owner").unwrap(), b"1000:1001");
        assert!(xattr(&sb.p("rootfile"), "user.rl.owner").is_none());
        assert_eq!(
            stats.skipped_xattrs, 2,
            "symlink and fifo cannot carry user.* xattrs"
        );
        assert_eq!(meta(&sb.p("f")).mode() & 0o7777, 0o4755);
        assert_eq!(meta(&sb.p("p")).mode() & 0o7777, 0o644);
    }

    #[test]
    fn chown_sets_owners_before_modes() {
        if !can_chown() {
            return;
        }
        let sb = Sandbox::new();
        let owned = |kind: T, mode| {
            let mut h = hdr(kind, mode, 0);
            h.set_uid(1000);
            h.set_gid(1000);
            h
        };
        let mut sym = owned(T::Symlink, 0o777);
        sym.set_link_name("/etc/shadow").unwrap();
        let tar = Layer::new()
            .entry(owned(T::Regular, 0o6755), "usr/bin/sudo", b"")
            .entry(owned(T::Directory, 0o3770), "srv", b"")
            .entry(sym, "s", b"")
            .entry(owned(T::Fifo, 0o4640), "p", b"")
            .entry(owned(T::Regular, 0o644), ".wh.gone", b"")
            .build();
        let shadow_before = sfs::symlink_metadata("/etc/shadow").map(|m| (m.uid(), m.ctime()));
        let opts = ExtractOptions { chown: true };
        extract_layer(&tar[..], &sb.dest, &opts).unwrap();
        let m = meta(&sb.p("usr/bin/sudo"));
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (1000, 1000, 0o6755));
        let m = meta(&sb.p("srv"));
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (1000, 1000, 0o3770));
        let m = meta(&sb.p("s"));
        assert_eq!((m.uid(), m.gid()), (1000, 1000));
        let shadow_after = sfs::symlink_metadata("/etc/shadow").map(|m| (m.uid(), m.ctime()));
        assert_eq!(
            shadow_before.ok(),
            shadow_after.ok(),
            "the symlink target was chowned"
        );
        let m = meta(&sb.p("p"));
        assert_eq!((m.uid(), m.mode() & 0o7777), (1000, 0o4640));
        let m = meta(&sb.p("gone"));
        assert_eq!((m.uid(), m.gid()), (1000, 1000));
        let m = meta(&sb.p("usr"));
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (0, 0, 0o755));
        assert!(xattr(&sb.p("usr/bin/sudo"), "user.rl.owner").is_none());
        sb.assert_outside_untouched();
    }

    #[test]
    fn file_capabilities_survive_chown() {
        if !can_chown() {
            return;
        }
        // cap_net_bind_service+ep, VFS_CAP_REVISION_2.
        let cap: [u8; 20] = [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut h = hdr(T::Regular, 0o755, 2);
        h.set_uid(1000);
        h.set_gid(1000);
        let tar = Layer::new()
            .pax(&[("SCHILY.xattr.security.capability", &cap[..])])
            .entry(h, "ping", b"#!")
            .build();
        let sb = Sandbox::new();
        let stats = extract_layer(&tar[..], &sb.dest, &ExtractOptions { chown: true }).unwrap();
        assert_eq!(stats.skipped_xattrs, 0);
        assert!(xattr(&sb.p("ping"), "security.capability").is_some());
        let m = meta(&sb.p("ping"));
        assert_eq!((m.uid(), m.mode() & 0o7777), (1000, 0o755));
    }

    #[test]
    fn devices_and_fifos() {
        let sb = Sandbox::new();
        let mut null = hdr(T::Char, 0o666, 0);
        null.set_device_major(1).unwrap();
        null.set_device_minor(3).unwrap();
        let mut blk = hdr(T::Block, 0o660, 0);
        blk.set_device_major(7).unwrap();
        blk.set_device_minor(0).unwrap();
        let tar = Layer::new()
            .entry(null, "dev/null", b"")
            .entry(blk, "dev/loop0", b"")
            .entry(hdr(T::Fifo, 0o620, 0), "run/fifo", b"")
            .build();
        let stats = sb.extract(&tar).unwrap();
        let fifo = meta(&sb.p("run/fifo"));
        assert!(fifo.file_type().is_fifo());
        assert_eq!(fifo.mode() & 0o7777, 0o620);
        assert_eq!(fifo.mtime(), MTIME);
        // Real root creates them; in a user namespace (or unprivileged) they are skipped.
        for (p, dev, mode) in [
            ("dev/null", fs::makedev(1, 3), 0o666),
            ("dev/loop0", fs::makedev(7, 0), 0o660),
        ] {
            let skipped = stats.skipped_devices.iter().any(|s| s == p);
            match sfs::symlink_metadata(sb.p(p)) {
                Ok(m) => {
                    assert!(!skipped, "{p}");
                    assert_eq!((m.rdev(), m.mode() & 0o7777), (dev, mode), "{p}");
                }
                Err(_) => assert!(skipped, "{p}"),
            }
        }
        sb.assert_outside_untouched();
    }

    #[test]
    fn out_of_range_ids_are_errors_not_panics() {
        let sb = Sandbox::new();
        let mut h = hdr(T::Regular, 0o644, 0);
        h.set_uid(u64::from(u32::MAX));
        let tar = Layer::new().entry(h, "f", b"").build();
        let err = sb.extract(&tar).unwrap_err();
        assert!(err.to_string().contains("uid"), "{err}");
        let sb = Sandbox::new();
        let tar = Layer::new()
            .pax(&[("uid", &b"99999999999"[..])])
            .file("f", b"")
            .build();
        assert!(sb.extract(&tar).is_err());
    }

    #[test]
    fn opaque_and_whiteouts_through_symlinks_stay_inside() {
        let sb = Sandbox::new();
        let tar = Layer::new()
            .symlink("evil", "../outside")
            .file("evil/.wh..wh..opq", b"")
            .build();
        assert!(sb.extract(&tar).is_err());
        sb.assert_outside_untouched();
        let sb = Sandbox::new();
        let tar = Layer::new()
            .symlink("evil", "../outside")
            .file("evil/.wh.canary", b"")
            .build();
        assert!(sb.extract(&tar).is_err());
        sb.assert_outside_untouched();
        let sb = Sandbox::new();
        let tar = Layer::new()
            .symlink("root", "/")
            .file("root/.wh.canary", b"")
            .file("root/.wh..wh..opq", b"")
            .build();
        sb.extract(&tar).unwrap();
        assert!(meta(&sb.p("canary")).file_type().is_char_device());
        assert_eq!(xattr(&sb.dest, "user.overlay.opaque").unwrap(), b"y");
        sb.assert_outside_untouched();
    }

    #[test]
    fn parse_pax_times() {
        let t = |s: &str| parse_pax_time(s.as_bytes()).map(|t| (t.tv_sec, t.tv_nsec));
        assert_eq!(t("12"), Some((12, 0)));
        assert_eq!(t("12.000000001"), Some((12, 1)));
        assert_eq!(t("12.1234567899"), Some((12, 123_456_789)));
        assert_eq!(t("-1.5"), Some((-2, 500_000_000)));
        assert_eq!(t(""), None);
        assert_eq!(t("1e5"), None);
        assert_eq!(t("99999999999999999999"), None);
    }

    #[test]
    fn error_messages_name_the_entry_and_operation() {
        let sb = Sandbox::new();
        let tar = Layer::new()
            .file("etc", b"not a directory")
            .file("etc/passwd", b"x")
            .build();
        let err = sb.extract(&tar).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("layer entry etc/passwd: "), "{msg}");
        assert!(msg.contains("Not a directory"), "{msg}");
        assert!(!msg.contains('\n'));
        let tar = Layer::new()
            .raw(T::Regular, b"a\nb/../../../x", b"", b"")
            .build();
        let msg = Sandbox::new().extract(&tar).unwrap_err().to_string();
        assert_eq!(
            msg,
            "layer entry a\\nb/../../../x: name escapes the layer root with .."
        );
        let err = extract_layer(
            &[][..],
            &sb.tmp.path().join("nope"),
            &ExtractOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("layer destination "), "{err}");
    }

    /// `cargo test --release -- --ignored --nocapture extract_benchmark`
    #[test]
    #[ignore]
    fn extract_benchmark() {
        const FILES: usize = 7000;
        const TOTAL: usize = 200 << 20;
        let mut b = tar::Builder::new(Vec::with_capacity(TOTAL + FILES * 2048));
        let data: Vec<u8> = (0..2 * TOTAL / FILES)
            .map(|i| u8::try_from(i * 31 % 251).unwrap())
            .collect();
        let mut written = 0;
        for i in 0..FILES {
            let dir = format!("usr/lib/pkg{:03}", i / 50);
            if i % 50 == 0 {
                let mut h = hdr(T::Directory, 0o755, 0);
                b.append_data(&mut h, &dir, &b""[..]).unwrap();
            }
            // Sizes spread from 0 to 2x the mean.
            let size = ((i * 7919) % FILES) * data.len() / FILES;
            let mut h = hdr(T::Regular, 0o644, size as u64);
            b.append_data(&mut h, format!("{dir}/file{i}.so"), &data[..size])
                .unwrap();
            written += size;
        }
        let tar = b.into_inner().unwrap();
        if let Some(out) = std::env::var_os("RL_BENCH_SAVE_TAR") {
            sfs::write(out, &tar).unwrap();
        }
        let parent =
            std::env::var_os("RL_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
        // The first run also pays for first-touch of fresh memory/disk blocks; report it, then
        // the best and median of three more.
        for chown in [false, true] {
            let mut times = Vec::new();
            for _ in 0..4 {
                let tmp = tempfile::tempdir_in(&parent).unwrap();
                let start = std::time::Instant::now();
                let stats = extract_layer(&tar[..], tmp.path(), &ExtractOptions { chown }).unwrap();
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(stats.bytes, written as u64);
                assert_eq!(stats.entries, 7140);
            }
            let first = times.remove(0);
            times.sort_by(f64::total_cmp);
            println!(
                "extract_benchmark (chown={chown}): 7140 entries, {:.1} MiB: first {first:.0} ms, \
                 best {:.0} ms, median {:.0} ms",
                written as f64 / f64::from(1 << 20),
                times[0],
                times[1],
            );
        }
    }

    fn open_dest(sb: &Sandbox) -> OwnedFd {
        fs::open(
            &sb.dest,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap()
    }

    #[test]
    fn extract_into_keeps_existing_files_and_whiteout_names() {
        let sb = Sandbox::new();
        sfs::create_dir(sb.p("d")).unwrap();
        sfs::write(sb.p("d/old"), b"old").unwrap();
        sfs::write(sb.p("file"), b"was").unwrap();
        std::os::unix::fs::symlink("../../outside", sb.p("esc")).unwrap();
        let tar = Layer::new()
            .dir("d", 0o750)
            .file("d/.wh.old", b"literal")
            .file("d/new", b"new")
            .file("file", b"now")
            .build();
        let can = can_chown();
        let opts = IntoOptions {
            chown: can,
            owners: Some(OwnerMap(std::sync::Arc::new(|u, g| (u + 1000, g + 1000)))),
        };
        extract_into(&tar[..], open_dest(&sb), &opts).unwrap();
        assert_eq!(sfs::read(sb.p("d/old")).unwrap(), b"old");
        assert_eq!(sfs::read(sb.p("d/.wh.old")).unwrap(), b"literal");
        assert_eq!(sfs::read(sb.p("d/new")).unwrap(), b"new");
        assert_eq!(sfs::read(sb.p("file")).unwrap(), b"now");
        assert_eq!(meta(&sb.p("d")).mode() & 0o7777, 0o750);
        if can {
            assert_eq!(meta(&sb.p("d/new")).uid(), 1000);
        }
        // A symlink already there leads nowhere outside.
        let evil = Layer::new().file("esc/canary", b"evil").build();
        assert!(extract_into(&evil[..], open_dest(&sb), &opts).is_err());
        sb.assert_outside_untouched();
    }

    #[test]
    fn extract_into_never_replaces_a_directory_with_a_file() {
        let sb = Sandbox::new();
        sfs::create_dir_all(sb.p("d/sub")).unwrap();
        sfs::write(sb.p("d/sub/keep"), b"k").unwrap();
        let tar = Layer::new().file("d/sub", b"x").build();
        let err = extract_into(&tar[..], open_dest(&sb), &IntoOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("cannot overwrite a directory"),
            "{err}"
        );
        assert_eq!(sfs::read(sb.p("d/sub/keep")).unwrap(), b"k");
    }

    #[test]
    fn check_archive_refuses_escaping_names_before_anything_is_written() {
        let good = Layer::new().dir("a", 0o755).file("a/b", b"x").build();
        assert_eq!(check_archive(&good[..]).unwrap(), 2);
        let bad = Layer::new()
            .file("ok", b"x")
            .raw(T::Regular, b"../../evil", b"", b"x")
            .build();
        assert!(
            check_archive(&bad[..])
                .unwrap_err()
                .to_string()
                .contains("escapes")
        );
        let bad_link = Layer::new()
            .raw(T::Link, b"l", b"../../../etc/shadow", b"")
            .build();
        assert!(check_archive(&bad_link[..]).is_err());
    }
}
