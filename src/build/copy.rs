//! COPY and ADD: which files a step copies, the digest the layer cache keys them by, and the
//! layer's tar stream.
//!
//! Sources are looked up under a root (the build context, or a mounted stage/image for
//! `COPY --from`) and never outside it: names are cleaned lexically (`..` stops at the root, as
//! docker does) and symlinks inside the tree are copied as symlinks, not followed. Destinations
//! follow docker's rules: a directory source copies its contents; a destination ending in `/`, or
//! one that names a directory of the image, or several sources, means "into this directory".

use std::collections::BTreeSet;
use std::fs::Metadata;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::ignore::Ignore;

/// One file to put into the layer.
#[derive(Debug, Clone)]
pub struct Item {
    /// Where it comes from.
    pub src: PathBuf,
    /// Its path in the image, relative to `/`.
    pub dest: String,
    /// ADD of a local tar archive: `src` is extracted into the directory `dest`.
    pub archive: bool,
}

/// Ownership and mode applied to what is copied.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attrs {
    /// `--chown` (default 0:0).
    pub uid: u32,
    /// `--chown` group.
    pub gid: u32,
    /// `--chmod`.
    pub mode: Option<u32>,
}

/// A name relative to a root, cleaned as docker does (`filepath.Clean` of `/NAME`): no `.`, no
/// empty parts, and `..` never above the root.
pub fn clean(rel: &str) -> String {
    super::ignore::clean(&format!("/{rel}"))
        .trim_start_matches('/')
        .to_string()
}

/// Whether a source names a pattern rather than a path.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The files a source names under `root`, as (path relative to root, is the top a directory).
/// `ignore` (the build context's) leaves out excluded files.
pub fn expand_source(
    root: &Path,
    source: &str,
    ignore: Option<&Ignore>,
) -> Result<Vec<String>, String> {
    let rel = clean(source);
    if !is_glob(&rel) {
        let p = root.join(&rel);
        if std::fs::symlink_metadata(&p).is_err()
            || (!rel.is_empty() && ignore.is_some_and(|i| i.excluded(&rel, p.is_dir())))
        {
            return Err(format!(
                "file not found in build context or excluded by .dockerignore: stat {source}: file does not exist"
            ));
        }
        return Ok(vec![rel]);
    }
    // A pattern: match every path with as many components.
    let want: Vec<&str> = rel.split('/').collect();
    let mut found = Vec::new();
    let mut frontier = vec![String::new()];
    for (depth, pat) in want.iter().enumerate() {
        let mut next = Vec::new();
        for dir in &frontier {
            let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            let mut names: Vec<String> = rd
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names {
                if glob_match(pat, &n) {
                    let p = if dir.is_empty() {
                        n
                    } else {
                        format!("{dir}/{n}")
                    };
                    next.push(p);
                }
            }
        }
        frontier = next;
        if depth + 1 == want.len() {
            found = std::mem::take(&mut frontier);
        }
    }
    let found: Vec<String> = found
        .into_iter()
        .filter(|p| !ignore.is_some_and(|i| i.excluded(p, root.join(p).is_dir())))
        .collect();
    if found.is_empty() {
        return Err(format!(
            "no source files were specified (no match for {source})"
        ));
    }
    Ok(found)
}

/// Go's filepath.Match for one path component (`*`, `?`, `[...]`, `\` escapes).
pub fn glob_match(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_at(&p, &n)
}

fn match_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| match_at(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && match_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(c) = n.first() else {
                return false;
            };
            let mut i = 1;
            let negate = matches!(p.get(1), Some('^' | '!'));
            if negate {
                i += 1;
            }
            let mut hit = false;
            let mut first = true;
            while i < p.len() && (p[i] != ']' || first) {
                first = false;
                let lo = if p[i] == '\\' && i + 1 < p.len() {
                    i += 1;
                    p[i]
                } else {
                    p[i]
                };
                if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
                    let hi = p[i + 2];
                    hit |= lo <= *c && *c <= hi;
                    i += 3;
                } else {
                    hit |= lo == *c;
                    i += 1;
                }
            }
            if i >= p.len() {
                return false;
            }
            hit != negate && match_at(&p[i + 1..], &n[1..])
        }
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && match_at(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && match_at(&p[1..], &n[1..]),
    }
}

/// Everything a set of sources copies, destinations resolved. `dest_is_dir` says whether the
/// destination names an existing directory of the image.
pub fn plan(
    root: &Path,
    sources: &[String],
    dest: &str,
    dest_is_dir: bool,
    ignore: Option<&Ignore>,
) -> Result<Vec<Item>, String> {
    let into_dir = dest.ends_with('/') || sources.len() > 1 || dest_is_dir;
    let dest = clean(dest);
    let mut items = Vec::new();
    for rel in sources {
        // A source that is a symlink is followed (inside the root), as docker does.
        let resolved = resolve(root, rel)?;
        let src = root.join(&resolved);
        let meta = std::fs::symlink_metadata(&src).map_err(|e| format!("stat {rel}: {e}"))?;
        if meta.is_dir() {
            walk(root, &resolved, &dest, ignore, &mut items)?;
        } else {
            let base = rel.rsplit('/').next().unwrap_or(rel);
            let target = if into_dir || dest.is_empty() {
                join(&dest, base)
            } else {
                dest.clone()
            };
            items.push(Item {
                src,
                dest: target,
                archive: false,
            });
        }
    }
    Ok(items)
}

/// `rel` under `root` with every symlink on the way followed, never leaving the root (an
/// absolute link target, or `..`, is taken from the root, as in a chroot).
pub fn resolve(root: &Path, rel: &str) -> Result<String, String> {
    let mut todo: std::collections::VecDeque<String> = rel.split('/').map(str::to_string).collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = todo.pop_front() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let mut cand = done.clone();
        cand.push(c.clone());
        let path = root.join(cand.join("/"));
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                hops += 1;
                if hops > 40 {
                    return Err(format!("{rel}: too many levels of symbolic links"));
                }
                let target =
                    std::fs::read_link(&path).map_err(|e| format!("readlink {rel}: {e}"))?;
                let t = target.to_string_lossy();
                if t.starts_with('/') {
                    done.clear();
                }
                for part in t.split('/').rev() {
                    todo.push_front(part.to_string());
                }
            }
            _ => done.push(c),
        }
    }
    Ok(done.join("/"))
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// A directory's contents (not itself) into `dest`, sorted, excluded paths left out.
fn walk(
    root: &Path,
    rel: &str,
    dest: &str,
    ignore: Option<&Ignore>,
    items: &mut Vec<Item>,
) -> Result<(), String> {
    if !dest.is_empty() {
        items.push(Item {
            src: root.join(rel),
            dest: dest.to_string(),
            archive: false,
        });
    }
    let mut stack = vec![(rel.to_string(), dest.to_string())];
    while let Some((dir, to)) = stack.pop() {
        let rd = std::fs::read_dir(root.join(&dir)).map_err(|e| format!("read {dir}: {e}"))?;
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut subdirs = Vec::new();
        for n in names {
            let from = join(&dir, &n);
            let src = root.join(&from);
            let is_dir = std::fs::symlink_metadata(&src).is_ok_and(|m| m.is_dir());
            if ignore.is_some_and(|i| i.excluded(&from, is_dir))
                && !(is_dir && ignore.is_some_and(|i| i.may_include_under(&from)))
            {
                continue;
            }
            let target = join(&to, &n);
            if is_dir {
                if !ignore.is_some_and(|i| i.excluded(&from, true)) {
                    items.push(Item {
                        src,
                        dest: target.clone(),
                        archive: false,
                    });
                }
                subdirs.push((from, target));
            } else {
                items.push(Item {
                    src,
                    dest: target,
                    archive: false,
                });
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

/// The content digest of what a plan copies (names, types, modes, sizes, data, link targets):
/// what the layer cache compares for COPY and ADD.
pub fn digest(items: &[Item]) -> Result<String, String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    for it in items {
        let m = std::fs::symlink_metadata(&it.src)
            .map_err(|e| format!("stat {}: {e}", it.src.display()))?;
        h.update(it.dest.as_bytes());
        h.update(format!("\0{}\0{:o}\0{}\0", it.archive, m.mode(), m.len()).as_bytes());
        if m.is_file() {
            let mut f = std::fs::File::open(&it.src)
                .map_err(|e| format!("open {}: {e}", it.src.display()))?;
            loop {
                let n = f
                    .read(&mut buf)
                    .map_err(|e| format!("read {}: {e}", it.src.display()))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
        } else if m.file_type().is_symlink() {
            let t = std::fs::read_link(&it.src)
                .map_err(|e| format!("readlink {}: {e}", it.src.display()))?;
            h.update(t.as_os_str().as_encoded_bytes());
        }
        h.update(b"\n");
    }
    Ok(crate::image::digest::hex(&h.finalize()))
}

/// The metadata an existing directory of the image has (so that a parent directory written
/// again by the layer keeps its mode, owner and time), looked up top layer first.
pub type ImageDirLookup<'a> = &'a dyn Fn(&str) -> Option<Metadata>;

/// Write the layer: the parent directories of every destination (as the image has them, else
/// 0755 root), then each item with `attrs`. When several items land on one path, the last one
/// wins (as when docker copies them in order), except that a directory is written once.
pub fn write_tar(
    items: &[Item],
    attrs: Attrs,
    image_dir: ImageDirLookup<'_>,
    out: impl Write,
) -> std::io::Result<()> {
    let mut b = tar::Builder::new(out);
    b.follow_symlinks(false);
    let mut written: BTreeSet<String> = BTreeSet::new();
    let mut last: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        last.insert(it.dest.as_str(), i);
    }
    for (i, it) in items.iter().enumerate() {
        let is_dir = std::fs::symlink_metadata(&it.src).is_ok_and(|m| m.is_dir());
        if !it.archive && !is_dir && last.get(it.dest.as_str()) != Some(&i) {
            continue;
        }
        write_parents(&mut b, &it.dest, image_dir, &mut written)?;
        if it.archive {
            write_archive(&mut b, it, image_dir, &mut written)?;
            continue;
        }
        if is_dir && !written.insert(it.dest.clone()) {
            continue;
        }
        written.insert(it.dest.clone());
        let m = std::fs::symlink_metadata(&it.src)?;
        let mut h = tar::Header::new_gnu();
        h.set_uid(u64::from(attrs.uid));
        h.set_gid(u64::from(attrs.gid));
        h.set_mtime(u64::try_from(m.mtime()).unwrap_or(0));
        let mode = attrs.mode.unwrap_or(m.mode() & 0o7777);
        h.set_mode(mode);
        let ft = m.file_type();
        if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            b.append_data(&mut h, format!("{}/", it.dest), std::io::empty())?;
        } else if ft.is_symlink() {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            let target = std::fs::read_link(&it.src)?;
            b.append_link(&mut h, &it.dest, target)?;
        } else if ft.is_file() {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(m.len());
            let f = std::fs::File::open(&it.src)?;
            b.append_data(&mut h, &it.dest, f.take(m.len()))?;
        } else if ft.is_fifo() {
            h.set_entry_type(tar::EntryType::Fifo);
            h.set_size(0);
            b.append_data(&mut h, &it.dest, std::io::empty())?;
        }
        // Sockets and device nodes of a build context are not copied (docker skips sockets;
        // device nodes cannot be made rootless).
    }
    b.finish()
}

/// The directories above `dest` not yet written: as the image has them, else 0755 root.
fn write_parents<W: Write>(
    b: &mut tar::Builder<W>,
    dest: &str,
    image_dir: ImageDirLookup<'_>,
    written: &mut BTreeSet<String>,
) -> std::io::Result<()> {
    let mut parents = Vec::new();
    let mut p = dest;
    while let Some((parent, _)) = p.rsplit_once('/') {
        parents.push(parent.to_string());
        p = parent;
    }
    for parent in parents.into_iter().rev() {
        if written.insert(parent.clone()) {
            write_dir(b, &parent, image_dir)?;
        }
    }
    Ok(())
}

/// A directory entry for `path`: as the image has it, else 0755 root.
fn write_dir<W: Write>(
    b: &mut tar::Builder<W>,
    path: &str,
    image_dir: ImageDirLookup<'_>,
) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    match image_dir(path).filter(Metadata::is_dir) {
        Some(m) => {
            h.set_mode(m.mode() & 0o7777);
            h.set_uid(u64::from(m.uid()));
            h.set_gid(u64::from(m.gid()));
            h.set_mtime(u64::try_from(m.mtime()).unwrap_or(0));
        }
        None => {
            h.set_mode(0o755);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(0);
        }
    }
    b.append_data(&mut h, format!("{path}/"), std::io::empty())
}

/// What an ADD source file is: a tar archive to extract (plain, gzip, bzip2, xz or zstd), or a
/// file to copy.
pub fn is_archive(p: &Path) -> Result<bool, String> {
    let Ok(f) = std::fs::File::open(p) else {
        return Ok(false);
    };
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Ok(false);
    }
    let Ok(f) = std::fs::File::open(p) else {
        return Ok(false);
    };
    // Whatever is not a tar stream once decompressed is copied as it is, as docker does.
    Ok(crate::image::archive::tar_stream(f).is_ok())
}

/// The entries of a local archive, re-rooted under `it.dest`: names cleaned so that none
/// leaves the destination (absolute names and `..` are taken from the destination), hard link
/// targets likewise, whiteout names and device nodes left out. Owners and modes are the
/// archive's.
fn write_archive<W: Write>(
    b: &mut tar::Builder<W>,
    it: &Item,
    image_dir: ImageDirLookup<'_>,
    written: &mut BTreeSet<String>,
) -> std::io::Result<()> {
    let bad = |e: crate::error::Error| std::io::Error::other(e.one_line());
    let f = std::fs::File::open(&it.src)?;
    let stream = crate::image::archive::tar_stream(f).map_err(bad)?;
    if written.insert(it.dest.clone()) && !it.dest.is_empty() {
        write_dir(b, &it.dest, image_dir)?;
    }
    let mut ar = tar::Archive::new(stream);
    for e in ar.entries()? {
        let mut e = e?;
        let raw = e.path_bytes().into_owned();
        let name = clean(&String::from_utf8_lossy(&raw));
        if name.is_empty()
            || name
                .rsplit('/')
                .next()
                .is_some_and(|b| b.starts_with(".wh."))
        {
            continue;
        }
        let path = join(&it.dest, &name);
        let kind = e.header().entry_type();
        let mut h = e.header().clone();
        // Parents the archive does not list come first.
        write_parents(b, &path, image_dir, written)?;
        match kind {
            tar::EntryType::Directory => {
                written.insert(path.clone());
                h.set_size(0);
                b.append_data(&mut h, format!("{path}/"), std::io::empty())?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                h.set_entry_type(tar::EntryType::Regular);
                let size = e.size();
                b.append_data(&mut h, &path, (&mut e).take(size))?;
            }
            tar::EntryType::Symlink => {
                let target = e
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let target = String::from_utf8_lossy(&target).into_owned();
                h.set_size(0);
                b.append_link(&mut h, &path, target)?;
            }
            tar::EntryType::Link => {
                let target = e
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let target = clean(&String::from_utf8_lossy(&target));
                if target.is_empty() {
                    continue;
                }
                h.set_size(0);
                b.append_link(&mut h, &path, join(&it.dest, &target))?;
            }
            tar::EntryType::Fifo => {
                h.set_size(0);
                b.append_data(&mut h, &path, std::io::empty())?;
            }
            // Device nodes cannot be made rootless; pax and GNU extension headers are read by
            // the tar crate itself.
            _ => {}
        }
    }
    Ok(())
}

/// `name:group`, names looked up in the image's passwd and group texts.
pub fn parse_chown(
    spec: &str,
    passwd: Option<&str>,
    group: Option<&str>,
) -> Result<(u32, u32), String> {
    let (user, grp) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let lookup =
        |text: Option<&str>, name: &str, what: &str| -> Result<(u32, Option<u32>), String> {
            if let Ok(n) = name.parse::<u32>() {
                return Ok((n, None));
            }
            text.and_then(|t| {
                t.lines().find_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    (f.len() > 3 && f[0] == name).then(|| {
                        (
                            f[2].parse::<u32>().ok(),
                            f.get(3).and_then(|g| g.parse::<u32>().ok()),
                        )
                    })
                })
            })
            .and_then(|(id, g)| id.map(|i| (i, g)))
            .ok_or_else(|| format!("--chown {spec}: no {what} {name:?} in the image"))
        };
    let (uid, primary) = lookup(passwd, user, "user")?;
    let gid = match grp {
        Some(g) => lookup(group, g, "group")?.0,
        None => primary.unwrap_or(uid),
    };
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_stays_inside() {
        assert_eq!(clean("../../etc/passwd"), "etc/passwd");
        assert_eq!(clean("./a//b/../c/"), "a/c");
        assert_eq!(clean("/"), "");
    }

    #[test]
    fn globs_as_go() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(!glob_match("*.txt", "a.txt.bak"));
        assert!(glob_match("fi?e[0-9]", "file7"));
        assert!(!glob_match("[^a]x", "ax"));
        assert!(glob_match("\\*", "*"));
    }

    #[test]
    fn plans_follow_docker_destination_rules() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("dir/sub")).unwrap();
        std::fs::write(d.path().join("dir/sub/f"), "x").unwrap();
        std::fs::write(d.path().join("a.txt"), "a").unwrap();
        std::fs::write(d.path().join("b.txt"), "b").unwrap();
        let names = |v: Vec<Item>| v.into_iter().map(|i| i.dest).collect::<Vec<_>>();
        let one = plan(d.path(), &["a.txt".into()], "/x", false, None).unwrap();
        assert_eq!(names(one), ["x"]);
        let into = plan(d.path(), &["a.txt".into()], "/x/", false, None).unwrap();
        assert_eq!(names(into), ["x/a.txt"]);
        let existing = plan(d.path(), &["a.txt".into()], "/x", true, None).unwrap();
        assert_eq!(names(existing), ["x/a.txt"]);
        let dir = plan(d.path(), &["dir".into()], "/y", false, None).unwrap();
        assert_eq!(names(dir), ["y", "y/sub", "y/sub/f"]);
        let globbed = expand_source(d.path(), "*.txt", None).unwrap();
        assert_eq!(globbed, ["a.txt", "b.txt"]);
        assert!(expand_source(d.path(), "nope", None).is_err());
        assert!(expand_source(d.path(), "*.none", None).is_err());
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("dir")).unwrap();
        std::fs::write(d.path().join("dir/f"), "x").unwrap();
        std::os::unix::fs::symlink("/dir", d.path().join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../dir/f", d.path().join("dir/up")).unwrap();
        std::os::unix::fs::symlink("loop", d.path().join("loop")).unwrap();
        assert_eq!(resolve(d.path(), "abs/f").unwrap(), "dir/f");
        assert_eq!(resolve(d.path(), "dir/up").unwrap(), "dir/f");
        assert!(resolve(d.path(), "loop").is_err());
        let names = |v: Vec<Item>| v.into_iter().map(|i| i.dest).collect::<Vec<_>>();
        let followed = plan(d.path(), &["abs".into()], "/x", false, None).unwrap();
        assert_eq!(names(followed), ["x", "x/f", "x/up"]);
    }

    #[test]
    fn archives_are_rerooted_and_never_escape() {
        let d = tempfile::tempdir().unwrap();
        let tar_path = d.path().join("a.tar");
        {
            let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
            for (name, body) in [("ok/f", "1"), ("evil", "2"), (".wh.hidden", "3")] {
                let mut h = tar::Header::new_gnu();
                h.set_size(1);
                h.set_mode(0o640);
                h.set_entry_type(tar::EntryType::Regular);
                b.append_data(&mut h, name, body.as_bytes()).unwrap();
            }
            // A name with `..` (set raw: the tar crate refuses to write it).
            let mut h = tar::Header::new_old();
            h.as_old_mut().name[..14].copy_from_slice(b"../../../x/esc");
            h.set_size(1);
            h.set_mode(0o600);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            b.append(&h, "4".as_bytes()).unwrap();
            b.finish().unwrap();
        }
        assert_eq!(is_archive(&tar_path), Ok(true));
        std::fs::write(d.path().join("plain"), "not a tar").unwrap();
        assert_eq!(is_archive(&d.path().join("plain")), Ok(false));
        // A file that only starts like bzip2 is copied as it is.
        std::fs::write(d.path().join("b.bz2"), "BZh91AY").unwrap();
        assert_eq!(is_archive(&d.path().join("b.bz2")), Ok(false));
        // bzip2 and xz archives are extracted as gzip and zstd ones are.
        let plain = std::fs::read(&tar_path).unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&plain).unwrap();
        std::fs::write(d.path().join("t.tar.bz2"), bz.finish().unwrap()).unwrap();
        assert_eq!(is_archive(&d.path().join("t.tar.bz2")), Ok(true));
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&plain).unwrap();
        std::fs::write(d.path().join("t.tar.xz"), xz.finish().unwrap()).unwrap();
        assert_eq!(is_archive(&d.path().join("t.tar.xz")), Ok(true));
        let names_of = |src: PathBuf| -> Vec<String> {
            let items = vec![Item {
                src,
                dest: "dest".into(),
                archive: true,
            }];
            let mut out = Vec::new();
            write_tar(&items, Attrs::default(), &|_| None, &mut out).unwrap();
            tar::Archive::new(out.as_slice())
                .entries()
                .unwrap()
                .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names_of(d.path().join("t.tar.xz")),
            names_of(tar_path.clone())
        );
        assert_eq!(
            names_of(d.path().join("t.tar.bz2")),
            names_of(tar_path.clone())
        );
        let items = vec![Item {
            src: tar_path,
            dest: "dest".into(),
            archive: true,
        }];
        let mut out = Vec::new();
        write_tar(&items, Attrs::default(), &|_| None, &mut out).unwrap();
        let mut ar = tar::Archive::new(out.as_slice());
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "dest/",
                "dest/ok/",
                "dest/ok/f",
                "dest/evil",
                "dest/x/",
                "dest/x/esc"
            ]
        );
    }

    #[test]
    fn the_last_source_for_a_path_wins() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a"), "first").unwrap();
        std::fs::write(d.path().join("b"), "second").unwrap();
        let items = vec![
            Item {
                src: d.path().join("a"),
                dest: "x/f".into(),
                archive: false,
            },
            Item {
                src: d.path().join("b"),
                dest: "x/f".into(),
                archive: false,
            },
        ];
        let mut out = Vec::new();
        write_tar(&items, Attrs::default(), &|_| None, &mut out).unwrap();
        let mut ar = tar::Archive::new(out.as_slice());
        let mut files = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            files.push((e.path().unwrap().to_string_lossy().into_owned(), s));
        }
        assert_eq!(
            files,
            [
                ("x/".to_string(), String::new()),
                ("x/f".into(), "second".into())
            ]
        );
    }

    #[test]
    fn chown_names_come_from_the_image() {
        let passwd = "root:x:0:0::/root:/bin/sh\nweb:x:33:34::/var/www:/bin/sh\n";
        let group = "root:x:0:\nstaff:x:50:\n";
        assert_eq!(parse_chown("web", Some(passwd), Some(group)), Ok((33, 34)));
        assert_eq!(
            parse_chown("web:staff", Some(passwd), Some(group)),
            Ok((33, 50))
        );
        assert_eq!(parse_chown("10:20", None, None), Ok((10, 20)));
        assert_eq!(parse_chown("7", None, None), Ok((7, 7)));
        assert!(parse_chown("nobody", Some(passwd), Some(group)).is_err());
    }
}
