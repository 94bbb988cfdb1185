//! The event log. There is no daemon to broadcast events: every rl command that changes a
//! container, image, volume or network appends one line to a per-user log, and `rl events`
//! reads (and follows) it.
//!
//! ```text
//! <data>/events/events.log     one compact JSON object per line, oldest first
//! <data>/events/events.log.1   the previous part, after rotation
//! <data>/events/.lock          flock held only to check the size and rename
//! ```
//!
//! Each event is appended with `O_APPEND` in one `write(2)`, so concurrent rl processes never
//! interleave within a line and appending takes no lock. When the log is over [`ROTATE_SIZE`]
//! before an append, the appender renames it to `events.log.1` (replacing the older part) under
//! the lock, and appends to a new file.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::format::time::now_nanos;

/// The size over which the log is rotated before the next append.
pub const ROTATE_SIZE: u64 = 1 << 20;

const LOG: &str = "events.log";
const ROTATED: &str = "events.log.1";
const LOCK: &str = ".lock";

/// One thing that happened to a container, image, volume or network.
///
/// Conventions: for container events `id` is the container id, `name` its name and `image` the
/// image it runs; for image events `id` is the image id and `name` the reference concerned
/// (`docker.io/library/busybox:latest`); for volumes `id` and `name` are the volume's name;
/// for networks `id` is the network id and `name` its name. `attributes` holds the rest
/// (labels, `exitCode`, `signal`, `container` for network connects, ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// When it happened, in nanoseconds since the epoch.
    pub time: i64,
    /// What it happened to: `container`, `image`, `volume` or `network`.
    #[serde(rename = "type")]
    pub typ: String,
    /// What happened: create, init, start, died, stop, kill, remove, rename, pause, unpause,
    /// exec, exec_died, health_status, pull, push, tag, untag, save, load, import, prune,
    /// mount, ...
    pub action: String,
    /// The id of the object.
    #[serde(default)]
    pub id: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The image concerned.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// Further details.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// An event that happens now, with no name, image or attributes yet.
    pub fn new(typ: &str, action: &str, id: &str) -> Event {
        Event {
            time: now_nanos(),
            typ: typ.to_string(),
            action: action.to_string(),
            id: id.to_string(),
            name: String::new(),
            image: String::new(),
            attributes: BTreeMap::new(),
        }
    }

    /// With this name.
    pub fn name(mut self, name: &str) -> Event {
        self.name = name.to_string();
        self
    }

    /// With this image.
    pub fn image(mut self, image: &str) -> Event {
        self.image = image.to_string();
        self
    }

    /// With this attribute.
    pub fn attr(mut self, key: &str, value: impl Into<String>) -> Event {
        self.attributes.insert(key.to_string(), value.into());
        self
    }
}

/// The directory of the event log.
pub fn dir(paths: &Paths) -> PathBuf {
    paths.data.join("events")
}

static WARNED: AtomicBool = AtomicBool::new(false);

/// Append one event to the user's event log. Best effort: an event that cannot be written must
/// never fail the command that caused it (return nothing; at most one warning line on stderr per
/// process).
pub fn record(paths: &Paths, ev: &Event) {
    let dir = dir(paths);
    if let Err(e) = append(&dir, ev, ROTATE_SIZE)
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        let _ = writeln!(
            io::stderr(),
            "Warning: cannot record the event in {}: {e}",
            dir.join(LOG).display()
        );
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
}

/// One open, one fstat, one write (and, when the log is over `max`, a locked rename).
fn append(dir: &Path, ev: &Event, max: u64) -> io::Result<()> {
    let mut line = serde_json::to_vec(ev)?;
    line.push(b'\n');
    let log = dir.join(LOG);
    let mut f = match open_append(&log) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
            open_append(&log)?
        }
        r => r?,
    };
    if f.metadata()?.len() > max {
        drop(f);
        rotate(dir, max)?;
        f = open_append(&log)?;
    }
    loop {
        match f.write(&line) {
            Ok(n) if n == line.len() => return Ok(()),
            // A short write (a full disk): finish the line so the next one starts cleanly.
            Ok(n) => return f.write_all(&line[n..]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Rename the log to its rotated name if it is (still) over `max`, under the lock.
fn rotate(dir: &Path, max: u64) -> io::Result<()> {
    let lock = lock_file(dir)?;
    lock.lock()?;
    let log = dir.join(LOG);
    match fs::metadata(&log) {
        Ok(m) if m.len() > max => fs::rename(&log, dir.join(ROTATED)),
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn lock_file(dir: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(dir.join(LOCK))
}

/// Read the log (rotated part first), oldest first; malformed lines skipped.
pub fn read(paths: &Paths) -> Vec<Event> {
    let (mut events, follower) = Follower::open(paths);
    // Not following: a last line without its newline is tried as it is.
    parse_line(&follower.partial, &mut events);
    events
}

/// A reader that follows the log as it grows, across rotations.
#[derive(Debug)]
pub struct Follower {
    dir: PathBuf,
    /// The log file as opened, and its (device, inode).
    file: Option<(File, (u64, u64))>,
    /// The bytes after the last newline read so far (a line being written).
    partial: Vec<u8>,
}

impl Follower {
    /// Open the log: the events already in it (rotated part first, oldest first), and a
    /// follower positioned after them.
    pub fn open(paths: &Paths) -> (Vec<Event>, Follower) {
        let dir = dir(paths);
        let mut events = Vec::new();
        let mut me = Follower {
            dir,
            file: None,
            partial: Vec::new(),
        };
        // Open both parts under the lock, so that no rotation comes between the two opens.
        let lock = lock_file(&me.dir).ok();
        let locked = lock.as_ref().is_some_and(|l| l.lock_shared().is_ok());
        let rotated = File::open(me.dir.join(ROTATED)).ok();
        me.file = open_identified(&me.dir.join(LOG));
        if locked && let Some(l) = &lock {
            let _ = l.unlock();
        }
        if let Some(mut f) = rotated {
            let mut buf = Vec::new();
            let _ = f.read_to_end(&mut buf);
            let rest = parse_lines(&buf, &mut events);
            parse_line(rest, &mut events);
        }
        events.extend(me.poll());
        (events, me)
    }

    /// The events appended since the last call.
    pub fn poll(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        self.drain(&mut events);
        let log = self.dir.join(LOG);
        let current = fs::metadata(&log).ok().map(|m| (m.dev(), m.ino()));
        let ours = self.file.as_ref().map(|(_, id)| *id);
        if current.is_some() && current != ours {
            // Rotated (or created): what is left of the old file was just drained.
            let torn = std::mem::take(&mut self.partial);
            parse_line(&torn, &mut events);
            self.file = open_identified(&log);
            self.drain(&mut events);
        }
        events
    }

    fn drain(&mut self, events: &mut Vec<Event>) {
        let Some((f, _)) = &mut self.file else {
            return;
        };
        let mut buf = std::mem::take(&mut self.partial);
        let _ = f.read_to_end(&mut buf);
        let rest = parse_lines(&buf, events).to_vec();
        self.partial = rest;
    }
}

fn open_identified(path: &Path) -> Option<(File, (u64, u64))> {
    let f = File::open(path).ok()?;
    let m = f.metadata().ok()?;
    Some((f, (m.dev(), m.ino())))
}

/// Parse the complete lines of `buf`; returns what follows the last newline.
fn parse_lines<'b>(buf: &'b [u8], events: &mut Vec<Event>) -> &'b [u8] {
    let mut rest = buf;
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        parse_line(&rest[..nl], events);
        rest = &rest[nl + 1..];
    }
    rest
}

fn parse_line(line: &[u8], events: &mut Vec<Event>) {
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    if let Ok(ev) = serde_json::from_slice::<Event>(line) {
        events.push(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(t: &tempfile::TempDir) -> Paths {
        Paths {
            data: t.path().join("data"),
            runtime: t.path().join("run"),
            config: t.path().join("config"),
        }
    }

    fn ev(action: &str, id: &str) -> Event {
        Event::new("container", action, id)
            .name("festive_bell")
            .image("docker.io/library/busybox:latest")
            .attr("maintainer", "me")
    }

    fn log(p: &Paths) -> PathBuf {
        dir(p).join(LOG)
    }

    fn rotated(p: &Paths) -> PathBuf {
        dir(p).join(ROTATED)
    }

    #[test]
    fn record_and_read_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        assert!(read(&p).is_empty());
        let a = ev("create", "aaa");
        let b = Event::new("image", "pull", "sha256:1234").name("docker.io/library/alpine:3");
        record(&p, &a);
        record(&p, &b);
        assert_eq!(read(&p), vec![a, b]);
        let text = fs::read_to_string(log(&p)).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.lines().all(|l| !l.contains(": ")), "compact: {text}");
        let mode = fs::metadata(log(&p)).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        let a = ev("start", "aaa");
        record(&p, &a);
        let mut f = open_append(&log(&p)).unwrap();
        f.write_all(b"not json\n\n{\"time\":1}\n{\"half\":\n")
            .unwrap();
        drop(f);
        let b = ev("died", "aaa");
        record(&p, &b);
        assert_eq!(read(&p), vec![a, b]);
    }

    #[test]
    fn rotation_at_the_size_boundary() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        fs::create_dir_all(dir(&p)).unwrap();
        // A malformed filler line making the log exactly ROTATE_SIZE bytes: not over, no rotation.
        let mut filler = vec![b'x'; usize::try_from(ROTATE_SIZE).unwrap() - 1];
        filler.push(b'\n');
        fs::write(log(&p), &filler).unwrap();
        let a = ev("create", "a");
        record(&p, &a);
        assert!(!rotated(&p).exists());
        assert!(fs::metadata(log(&p)).unwrap().len() > ROTATE_SIZE);
        // Now over: the next append rotates first.
        let b = ev("start", "a");
        record(&p, &b);
        assert!(rotated(&p).exists());
        assert_eq!(
            fs::read_to_string(log(&p)).unwrap(),
            format!("{}\n", serde_json::to_string(&b).unwrap())
        );
        assert_eq!(read(&p), vec![a.clone(), b.clone()]);
        // A second rotation replaces the older part.
        fs::write(log(&p), &filler).unwrap();
        record(&p, &a);
        let c = ev("stop", "a");
        record(&p, &c);
        assert_eq!(read(&p), vec![a, c]);
    }

    #[test]
    fn concurrent_appends_leave_whole_lines() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        // 20 writers x 20 events of ~2 KiB: lines straddle pages, and the total stays under
        // ROTATE_SIZE so that every event must be found.
        let big = "y".repeat(2000);
        std::thread::scope(|s| {
            for w in 0..20 {
                let (p, big) = (&p, &big);
                s.spawn(move || {
                    for i in 0..20 {
                        record(
                            p,
                            &ev("exec", &format!("{w}-{i}")).attr("pad", big.as_str()),
                        );
                    }
                });
            }
        });
        let text = fs::read(log(&p)).unwrap();
        assert!(!rotated(&p).exists());
        let lines: Vec<&[u8]> = text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), 400);
        for l in &lines {
            serde_json::from_slice::<Event>(l).expect("a whole line");
        }
        let mut ids: Vec<String> = read(&p).into_iter().map(|e| e.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 400);
    }

    #[test]
    fn concurrent_appends_across_rotations_leave_whole_lines() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        let big = "z".repeat(8000);
        std::thread::scope(|s| {
            for w in 0..20 {
                let (p, big) = (&p, &big);
                s.spawn(move || {
                    for i in 0..15 {
                        record(
                            p,
                            &ev("exec", &format!("{w}-{i}")).attr("pad", big.as_str()),
                        );
                    }
                });
            }
        });
        // 2.4 MB written: rotated at least once; both parts hold only whole lines.
        assert!(rotated(&p).exists());
        for f in [log(&p), rotated(&p)] {
            let text = fs::read(&f).unwrap();
            assert!(text.ends_with(b"\n"));
            for l in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                serde_json::from_slice::<Event>(l).expect("a whole line");
            }
        }
    }

    #[test]
    fn follower_sees_appends_and_survives_rotation() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        // Before the log exists.
        let (past, mut f) = Follower::open(&p);
        assert!(past.is_empty());
        assert!(f.poll().is_empty());
        let a = ev("create", "a");
        record(&p, &a);
        assert_eq!(f.poll(), vec![a.clone()]);
        assert!(f.poll().is_empty());
        // A half-written line is held back until its newline arrives.
        let b = ev("start", "a");
        let line = serde_json::to_string(&b).unwrap();
        let mut w = open_append(&log(&p)).unwrap();
        w.write_all(&line.as_bytes()[..10]).unwrap();
        assert!(f.poll().is_empty());
        w.write_all(&line.as_bytes()[10..]).unwrap();
        assert!(f.poll().is_empty());
        w.write_all(b"\n").unwrap();
        assert_eq!(f.poll(), vec![b.clone()]);
        // Grow past the size, append one more (no rotation yet), then one that rotates.
        let mut filler = vec![b'x'; usize::try_from(ROTATE_SIZE).unwrap()];
        filler.push(b'\n');
        w.write_all(&filler).unwrap();
        let c = ev("stop", "a");
        record(&p, &c);
        let d = ev("remove", "a");
        record(&p, &d);
        assert!(rotated(&p).exists());
        assert_eq!(f.poll(), vec![c.clone(), d.clone()]);
        let e = ev("create", "b");
        record(&p, &e);
        assert_eq!(f.poll(), vec![e.clone()]);
        // A new follower starts with the rotated part.
        let (past, _) = Follower::open(&p);
        assert_eq!(past, vec![a, b, c, d, e]);
    }

    #[test]
    fn an_unwritable_log_does_not_fail() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        // The data directory is a file: nothing can be created under it.
        fs::write(&p.data, b"").unwrap();
        record(&p, &ev("create", "a"));
        record(&p, &ev("start", "a"));
        assert!(WARNED.load(Ordering::Relaxed));
        assert!(read(&p).is_empty());
    }
}
