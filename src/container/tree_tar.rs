//! A deterministic directory tree → tar writer: `rl export`, `rl cp` (container → host as a
//! stream, host → container) and `rl commit` (an upper directory as a layer, with its overlay
//! whiteouts turned into OCI markers).
//!
//! The same tree always gives the same bytes: names are sorted (as bytes) in each directory,
//! user and group names are left empty, and only what the tree holds goes into the headers
//! (mode, owner, mtime, device numbers, link targets, selected xattrs).
//!
//! The walk never leaves the root: every entry is opened relative to its parent directory's
//! descriptor with `O_NOFOLLOW`, and reopened for reading only after its type was checked (so a
//! fifo or device is never opened, and a symlink never followed); a reopened entry must be the
//! inode that was looked at.

use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr};
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use crate::error::{Error, Result};

/// On-disk owner ids → ids written in the headers.
pub type IdMap<'a> = &'a dyn Fn(u32, u32) -> (u32, u32);
/// Whether to leave out a relative path (and everything under it).
pub type SkipFn<'a> = &'a dyn Fn(&str, &std::fs::Metadata) -> bool;

/// Which entries of a tree to write, and how (see [`TreeTar::write`]).
pub struct TreeTar<'a> {
    /// Turn overlay whiteouts into OCI markers: a 0/0 char device NAME → empty file `.wh.NAME`; a
    /// directory with `user.overlay.opaque`/`trusted.overlay.opaque` = "y" → the directory entry
    /// then `DIR/.wh..wh..opq`.
    pub whiteouts: bool,
    /// On-disk owner ids (this namespace) → ids written in the headers (identity when None).
    pub map_ids: Option<IdMap<'a>>,
    /// Leave out a relative path (no leading `/`) and everything under it.
    pub skip: Option<SkipFn<'a>>,
    /// Name prefix in the archive ("" → `etc/passwd`; also used by cp for `dir/...`).
    pub prefix: String,
}

impl std::fmt::Debug for TreeTar<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeTar")
            .field("whiteouts", &self.whiteouts)
            .field("map_ids", &self.map_ids.is_some())
            .field("skip", &self.skip.is_some())
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// What [`TreeTar::write`] wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TarStats {
    /// Entries written (PAX and GNU long-name headers not counted; whiteout markers counted).
    pub entries: u64,
    /// Bytes of regular file data.
    pub bytes: u64,
    /// Entries left out because tar cannot hold them (sockets).
    pub skipped: u64,
}

const OPAQUE_MARKER: &str = ".wh..wh..opq";
const WHITEOUT_PREFIX: &str = ".wh.";

impl TreeTar<'_> {
    /// Write the tree at `root` (not followed if it is a symlink) as a tar stream to `out`, ending
    /// with the end-of-archive blocks. With an empty [`prefix`](Self::prefix), `root` must be a
    /// directory and its entries are named from it (`etc`, `etc/passwd`); otherwise `root` itself
    /// is the first entry, named by the prefix, and its entries follow as `PREFIX/...`.
    pub fn write(&self, root: &Path, out: impl Write) -> Result<TarStats> {
        let fd = rustix::fs::open(
            root,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::path("open", root, e.into()))?;
        self.write_fd(fd.as_fd(), out)
    }

    /// As [`write`](Self::write), for a root already opened (any open mode, `O_PATH` included).
    pub fn write_fd(&self, root: BorrowedFd<'_>, out: impl Write) -> Result<TarStats> {
        let mut w = Walk {
            opts: self,
            builder: tar::Builder::new(out),
            links: HashMap::new(),
            stats: TarStats::default(),
        };
        let fail = |e: io::Error| Error::io("write the tar archive", e);
        let dup = root.try_clone_to_owned().map_err(fail)?;
        let meta = File::from(dup).metadata().map_err(fail)?;
        let prefix = self.prefix.trim_matches('/');
        if prefix.is_empty() {
            if !meta.is_dir() {
                return Err(Error::Msg(
                    "tar writer: an unnamed root must be a directory".into(),
                ));
            }
            let dir = reopen(root, c".", &meta, true).map_err(fail)?;
            w.children(dir.as_fd(), "", "").map_err(fail)?;
        } else {
            let target = if meta.file_type().is_symlink() {
                Some(rustix::fs::readlinkat(root, c"", Vec::new()).map_err(|e| fail(e.into()))?)
            } else {
                None
            };
            let opened = if meta.is_dir() || meta.is_file() {
                Some(reopen(root, c".", &meta, meta.is_dir()).map_err(fail)?)
            } else {
                None
            };
            w.entry(prefix, "", &meta, opened, target).map_err(fail)?;
        }
        w.builder.finish().map_err(fail)?;
        Ok(w.stats)
    }
}

/// Reopen `name` in `dir` for reading (`.` with an `O_PATH` descriptor reopens the descriptor
/// itself through /proc), checking it is still the inode `meta` describes.
fn reopen(dir: BorrowedFd<'_>, name: &CStr, meta: &Metadata, is_dir: bool) -> io::Result<OwnedFd> {
    let mut flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    if is_dir {
        flags |= OFlags::DIRECTORY;
    }
    let fd = if name == c"." && !is_dir {
        // A regular file given as the root: reopen its descriptor (no path lookup happens).
        let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&dir));
        rustix::fs::open(
            proc.as_str(),
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )?
    } else {
        rustix::fs::openat(dir, name, flags, Mode::empty())?
    };
    let st = rustix::fs::fstat(&fd)?;
    #[allow(clippy::useless_conversion)] // st_dev/st_ino are not u64 on every target
    let same = u64::from(st.st_dev) == meta.dev() && u64::from(st.st_ino) == meta.ino();
    if !same {
        return Err(io::Error::other(
            "the file changed while it was being archived",
        ));
    }
    Ok(fd)
}

struct Walk<'t, 'a, W: Write> {
    opts: &'t TreeTar<'a>,
    builder: tar::Builder<W>,
    /// (dev, ino) → the archive name it was first written as.
    links: HashMap<(u64, u64), Vec<u8>>,
    stats: TarStats,
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

impl<W: Write> Walk<'_, '_, W> {
    /// Write the entries of the open directory `dir` (archive name `name`, relative path `rel`),
    /// sorted.
    fn children(&mut self, dir: BorrowedFd<'_>, name: &str, rel: &str) -> io::Result<()> {
        let mut names: Vec<CString> = Vec::new();
        let mut rd = rustix::fs::Dir::read_from(dir)?;
        while let Some(e) = rd.read() {
            let e = e?;
            let n = e.file_name();
            if n != c"." && n != c".." {
                names.push(n.to_owned());
            }
        }
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for n in names {
            let path_fd = match rustix::fs::openat(
                dir,
                n.as_c_str(),
                OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(fd) => fd,
                // Gone meanwhile (a running container): nothing to write.
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(e.into()),
            };
            let meta = File::from(path_fd).metadata()?;
            let text = String::from_utf8_lossy(n.as_bytes()).into_owned();
            let child_rel = join(rel, &text);
            if let Some(skip) = self.opts.skip
                && skip(&child_rel, &meta)
            {
                continue;
            }
            let target = if meta.file_type().is_symlink() {
                Some(rustix::fs::readlinkat(dir, n.as_c_str(), Vec::new())?)
            } else {
                None
            };
            let opened = if meta.is_dir() || meta.is_file() {
                Some(reopen(dir, n.as_c_str(), &meta, meta.is_dir())?)
            } else {
                None
            };
            let child_name = join(name, &text);
            self.entry(&child_name, &child_rel, &meta, opened, target)?;
        }
        Ok(())
    }

    fn header(&self, meta: &Metadata, kind: tar::EntryType) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(meta.mode() & 0o7777);
        let (uid, gid) = match self.opts.map_ids {
            Some(f) => f(meta.uid(), meta.gid()),
            None => (meta.uid(), meta.gid()),
        };
        h.set_uid(uid.into());
        h.set_gid(gid.into());
        h.set_mtime(u64::try_from(meta.mtime()).unwrap_or(0));
        h.set_size(0);
        h
    }

    /// Write one entry named `name` (relative path `rel`); `opened` is its descriptor for
    /// directories and regular files, `target` its target for symlinks.
    fn entry(
        &mut self,
        name: &str,
        rel: &str,
        meta: &Metadata,
        opened: Option<OwnedFd>,
        target: Option<CString>,
    ) -> io::Result<()> {
        let ft = meta.file_type();
        let path = Path::new(OsStr::from_bytes(name.as_bytes()));
        if self.opts.whiteouts && ft.is_char_device() && meta.rdev() == 0 {
            let (dir, base) = match name.rsplit_once('/') {
                Some((d, b)) => (d, b),
                None => ("", name),
            };
            let marker = join(dir, &format!("{WHITEOUT_PREFIX}{base}"));
            let mut h = self.header(meta, tar::EntryType::Regular);
            h.set_mode(0);
            self.builder.append_data(&mut h, &marker, io::empty())?;
            self.stats.entries += 1;
            return Ok(());
        }
        if ft.is_socket() {
            self.stats.skipped += 1;
            return Ok(());
        }
        if !ft.is_dir() && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = self.links.get(&key) {
                let first = first.clone();
                let mut h = self.header(meta, tar::EntryType::Link);
                self.link(&mut h, path, &first)?;
                self.stats.entries += 1;
                return Ok(());
            }
            self.links.insert(key, name.as_bytes().to_vec());
        }
        if let Some(fd) = opened.as_ref() {
            let xattrs = xattrs(fd.as_fd());
            if !xattrs.is_empty() {
                self.pax(&xattrs)?;
            }
        }
        if ft.is_dir() {
            let Some(fd) = opened else {
                return Err(io::Error::other("directory not opened"));
            };
            let mut h = self.header(meta, tar::EntryType::Directory);
            self.builder.append_data(&mut h, path, io::empty())?;
            self.stats.entries += 1;
            if self.opts.whiteouts && is_opaque(fd.as_fd()) {
                let mut m = self.header(meta, tar::EntryType::Regular);
                m.set_mode(0);
                self.builder
                    .append_data(&mut m, join(name, OPAQUE_MARKER), io::empty())?;
                self.stats.entries += 1;
            }
            return self.children(fd.as_fd(), name, rel);
        }
        if ft.is_file() {
            let Some(fd) = opened else {
                return Err(io::Error::other("file not opened"));
            };
            let size = meta.len();
            let mut h = self.header(meta, tar::EntryType::Regular);
            h.set_size(size);
            // Exactly `size` bytes whatever happens to the file meanwhile (a running container
            // may change it): cut what grew, pad what shrank.
            let data = File::from(fd).take(size).chain(io::repeat(0)).take(size);
            self.builder.append_data(&mut h, path, data)?;
            self.stats.entries += 1;
            self.stats.bytes += size;
            return Ok(());
        }
        if ft.is_symlink() {
            let target = target.unwrap_or_default();
            let mut h = self.header(meta, tar::EntryType::Symlink);
            self.link(&mut h, path, target.as_bytes())?;
            self.stats.entries += 1;
            return Ok(());
        }
        let kind = if ft.is_fifo() {
            tar::EntryType::Fifo
        } else if ft.is_char_device() {
            tar::EntryType::Char
        } else {
            tar::EntryType::Block
        };
        let mut h = self.header(meta, kind);
        if kind != tar::EntryType::Fifo {
            let dev = meta.rdev();
            h.set_device_major(rustix::fs::major(dev))?;
            h.set_device_minor(rustix::fs::minor(dev))?;
        }
        self.builder.append_data(&mut h, path, io::empty())?;
        self.stats.entries += 1;
        Ok(())
    }

    /// Write a link entry with its target stored verbatim (a GNU long link name when it does not
    /// fit the header).
    fn link(&mut self, h: &mut tar::Header, path: &Path, target: &[u8]) -> io::Result<()> {
        let field = &mut h.as_old_mut().linkname;
        if target.len() > field.len() {
            let mut long = tar::Header::new_gnu();
            long.set_entry_type(tar::EntryType::GNULongLink);
            long.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
            long.set_mode(0o644);
            long.set_size(target.len() as u64 + 1);
            long.set_mtime(0);
            long.set_cksum();
            let data: Vec<u8> = target.iter().copied().chain([0]).collect();
            self.builder.append(&long, data.as_slice())?;
        }
        let n = target.len().min(field.len());
        field.fill(0);
        field[..n].copy_from_slice(&target[..n]);
        self.builder.append_data(h, path, io::empty())
    }

    /// Write a PAX extended header with `SCHILY.xattr.NAME` records.
    fn pax(&mut self, xattrs: &[(String, Vec<u8>)]) -> io::Result<()> {
        let mut data = Vec::new();
        for (name, value) in xattrs {
            let key = format!("SCHILY.xattr.{name}");
            data.extend_from_slice(&pax_record(key.as_bytes(), value));
        }
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::XHeader);
        h.set_path("PaxHeader")?;
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(0);
        h.set_cksum();
        self.builder.append(&h, data.as_slice())
    }
}

/// One PAX record: `LEN KEY=VALUE\n`, LEN counting the whole record, its own digits included.
fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let body = 1 + key.len() + 1 + value.len() + 1;
    let mut len = body + 1;
    loop {
        let total = body + len.to_string().len();
        if total == len {
            break;
        }
        len = total;
    }
    let mut out = format!("{len} ").into_bytes();
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}

/// Whether an xattr goes into the archive: file capabilities and user xattrs, except overlay's
/// own and rl's.
fn xattr_wanted(name: &str) -> bool {
    name == "security.capability"
        || (name.starts_with("user.")
            && !name.starts_with("user.overlay.")
            && !name.starts_with("user.rl."))
}

/// The archived xattrs of an open file or directory, sorted by name.
fn xattrs(fd: BorrowedFd<'_>) -> Vec<(String, Vec<u8>)> {
    let Ok(n) = rustix::fs::flistxattr_query(fd) else {
        return Vec::new();
    };
    if n == 0 {
        return Vec::new();
    }
    let mut list = vec![0u8; n];
    let Ok(n) = rustix::fs::flistxattr(fd, &mut list[..]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for raw in list[..n.min(list.len())].split(|&b| b == 0) {
        let Ok(name) = std::str::from_utf8(raw) else {
            continue;
        };
        if name.is_empty() || !xattr_wanted(name) {
            continue;
        }
        let Ok(len) = rustix::fs::fgetxattr_query(fd, name) else {
            continue;
        };
        let mut value = vec![0u8; len];
        if let Ok(got) = rustix::fs::fgetxattr(fd, name, &mut value[..]) {
            value.truncate(got);
            out.push((name.to_string(), value));
        }
    }
    out.sort();
    out
}

/// Whether an open directory is an opaque overlay directory.
fn is_opaque(fd: BorrowedFd<'_>) -> bool {
    ["user.overlay.opaque", "trusted.overlay.opaque"]
        .iter()
        .any(|name| {
            let mut v = [0u8; 4];
            matches!(rustix::fs::fgetxattr(fd, *name, &mut v[..]), Ok(1) if v[0] == b'y')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn members(bytes: &[u8]) -> Vec<(String, tar::EntryType, u32, String)> {
        let mut a = tar::Archive::new(bytes);
        a.entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    String::from_utf8_lossy(&e.path_bytes()).into_owned(),
                    h.entry_type(),
                    h.mode().unwrap(),
                    e.link_name_bytes()
                        .map(|l| String::from_utf8_lossy(&l).into_owned())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    fn plain<'a>() -> TreeTar<'a> {
        TreeTar {
            whiteouts: false,
            map_ids: None,
            skip: None,
            prefix: String::new(),
        }
    }

    fn sample(root: &Path) {
        fs::create_dir_all(root.join("etc/deep")).unwrap();
        fs::write(root.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        fs::set_permissions(root.join("etc/passwd"), fs::Permissions::from_mode(0o4755)).unwrap();
        fs::set_permissions(root.join("etc/deep"), fs::Permissions::from_mode(0o1777)).unwrap();
        fs::hard_link(root.join("etc/passwd"), root.join("etc/zlink")).unwrap();
        std::os::unix::fs::symlink("/", root.join("up")).unwrap();
        let long = "x".repeat(150);
        fs::write(root.join("etc/deep").join(&long), "long").unwrap();
        std::os::unix::fs::symlink("t".repeat(200), root.join("longlink")).unwrap();
        nix::unistd::mkfifo(
            &root.join("fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o640),
        )
        .unwrap();
    }

    #[test]
    fn round_trips_through_tar() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        sample(&root);
        let _ = xattr_set(&root.join("etc/passwd"), "user.note", b"hi");
        let _ = xattr_set(&root.join("etc/passwd"), "user.overlay.x", b"no");
        let mut out = Vec::new();
        let stats = plain().write(&root, &mut out).unwrap();
        let got = members(&out);
        let names: Vec<&str> = got.iter().map(|m| m.0.as_str()).collect();
        let long = format!("etc/deep/{}", "x".repeat(150));
        assert_eq!(
            names,
            vec![
                "etc",
                "etc/deep",
                long.as_str(),
                "etc/passwd",
                "etc/zlink",
                "fifo",
                "longlink",
                "up"
            ]
        );
        assert_eq!(stats.entries, 8);
        assert_eq!(got[1].1, tar::EntryType::Directory);
        assert_eq!(got[1].2, 0o1777);
        assert_eq!(got[3].2, 0o4755);
        assert_eq!(got[4].1, tar::EntryType::Link);
        assert_eq!(got[4].3, "etc/passwd");
        assert_eq!(got[5].1, tar::EntryType::Fifo);
        assert_eq!(got[6].3, "t".repeat(200));
        assert_eq!(
            (got[7].1, got[7].3.as_str()),
            (tar::EntryType::Symlink, "/")
        );
        // Same tree, same bytes.
        let mut again = Vec::new();
        plain().write(&root, &mut again).unwrap();
        assert_eq!(out, again);
        // Unpacked, it is the same tree (xattrs: user.* kept, user.overlay.* left out).
        let back = t.path().join("back");
        fs::create_dir(&back).unwrap();
        let mut a = tar::Archive::new(out.as_slice());
        a.set_unpack_xattrs(true);
        a.set_preserve_permissions(true);
        a.unpack(&back).unwrap();
        assert_eq!(
            fs::read_to_string(back.join("etc/passwd")).unwrap(),
            "root:x:0:0::/root:/bin/sh\n"
        );
        assert_eq!(fs::read_to_string(back.join(&long)).unwrap(), "long");
        if xattr_get(&root.join("etc/passwd"), "user.note").is_some() {
            assert_eq!(
                xattr_get(&back.join("etc/passwd"), "user.note").as_deref(),
                Some(&b"hi"[..])
            );
            assert!(xattr_get(&back.join("etc/passwd"), "user.overlay.x").is_none());
        }
        let m = fs::symlink_metadata(back.join("etc/zlink")).unwrap();
        assert_eq!(m.nlink(), 2);
    }

    #[test]
    fn prefix_skip_and_ids() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        sample(&root);
        let map = |u: u32, g: u32| (u + 1000, g + 2000);
        let skip = |rel: &str, _: &Metadata| rel == "etc/deep";
        let tt = TreeTar {
            whiteouts: false,
            map_ids: Some(&map),
            skip: Some(&skip),
            prefix: "dir".into(),
        };
        let mut out = Vec::new();
        tt.write(&root, &mut out).unwrap();
        let names: Vec<String> = members(&out).into_iter().map(|m| m.0).collect();
        assert_eq!(
            names,
            vec![
                "dir",
                "dir/etc",
                "dir/etc/passwd",
                "dir/etc/zlink",
                "dir/fifo",
                "dir/longlink",
                "dir/up"
            ]
        );
        let me = fs::metadata(&root).unwrap();
        let mut a = tar::Archive::new(out.as_slice());
        let first = a.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(first.header().uid().unwrap(), u64::from(me.uid() + 1000));
        assert_eq!(first.header().gid().unwrap(), u64::from(me.gid() + 2000));
        assert_eq!(first.header().username().unwrap(), Some(""));
        // A single file as the root, named by the prefix.
        let one = TreeTar {
            prefix: "copy".into(),
            ..plain()
        };
        let mut out = Vec::new();
        one.write(&root.join("etc/passwd"), &mut out).unwrap();
        let got = members(&out);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].0.as_str(), got[0].1),
            ("copy", tar::EntryType::Regular)
        );
        // A symlink as the root is archived, not followed.
        let mut out = Vec::new();
        one.write(&root.join("up"), &mut out).unwrap();
        assert_eq!(members(&out)[0].1, tar::EntryType::Symlink);
        // An unnamed root must be a directory.
        assert!(plain().write(&root.join("etc/passwd"), Vec::new()).is_err());
    }

    #[test]
    fn pax_records_count_their_own_length() {
        assert_eq!(pax_record(b"a", b"b"), b"6 a=b\n");
        let r = pax_record(b"k", &[b'v'; 5]);
        assert_eq!(r.len(), 11);
        assert!(r.starts_with(b"11 "));
        let r = pax_record(b"k", &[b'v'; 94]);
        assert!(r.starts_with(format!("{} ", r.len()).as_bytes()));
    }

    #[test]
    fn whiteouts_become_markers_that_extract_back() {
        // Char devices 0/0 need root (in a user namespace); skip where they cannot be made.
        let t = tempfile::tempdir().unwrap();
        let upper = t.path().join("upper");
        fs::create_dir_all(upper.join("opq")).unwrap();
        fs::write(upper.join("opq/kept"), "k").unwrap();
        if nix::sys::stat::mknod(
            &upper.join("gone"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::empty(),
            0,
        )
        .is_err()
            || xattr_set(&upper.join("opq"), "user.overlay.opaque", b"y").is_err()
        {
            eprintln!("skipped: cannot make whiteouts here");
            return;
        }
        let tt = TreeTar {
            whiteouts: true,
            ..plain()
        };
        let mut out = Vec::new();
        tt.write(&upper, &mut out).unwrap();
        let names: Vec<String> = members(&out).into_iter().map(|m| m.0).collect();
        assert_eq!(
            names,
            vec![".wh.gone", "opq", "opq/.wh..wh..opq", "opq/kept"]
        );
        let layer = t.path().join("layer");
        fs::create_dir(&layer).unwrap();
        let st = crate::image::extract::extract_layer(
            out.as_slice(),
            &layer,
            &crate::image::extract::ExtractOptions { chown: true },
        )
        .unwrap();
        assert_eq!((st.whiteouts, st.opaque_dirs), (1, 1));
        let m = fs::symlink_metadata(layer.join("gone")).unwrap();
        assert!(m.file_type().is_char_device() && m.rdev() == 0);
        assert_eq!(
            xattr_get(&layer.join("opq"), "user.overlay.opaque").as_deref(),
            Some(&b"y"[..])
        );
        assert_eq!(fs::read_to_string(layer.join("opq/kept")).unwrap(), "k");
    }

    fn xattr_set(p: &Path, name: &str, value: &[u8]) -> rustix::io::Result<()> {
        rustix::fs::lsetxattr(p, name, value, rustix::fs::XattrFlags::empty())
    }

    fn xattr_get(p: &Path, name: &str) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 256];
        let n = rustix::fs::lgetxattr(p, name, &mut buf[..]).ok()?;
        buf.truncate(n);
        Some(buf)
    }
}
