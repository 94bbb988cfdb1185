//! Container logs: the file a container's monitor writes (`ctr.log`, podman's k8s-file format)
//! and what `rl logs` shows of it.
//!
//! One entry per line:
//!
//! ```text
//! 2024-05-01T10:00:00.000000001Z stdout F a complete line
//! 2024-05-01T10:00:00.000000002Z stderr P the start of a line
//! 2024-05-01T10:00:00.000000003Z stderr F , and its end
//! ```
//!
//! The time is RFC 3339 in UTC with nine fraction digits. `F` means the entry ends a line (the
//! line's newline terminates the entry and is not stored), `P` that the line goes on in the next
//! entries of the same stream. The bytes are written raw: anything but a newline, so `\r` and
//! output that is not UTF-8 round-trip. Readers also take other RFC 3339 offsets (conmon writes
//! local time) and skip lines they cannot parse.
//!
//! A logical line (its entries joined) has the time of its first entry, and is ordered by it.
//! Entries carry at most 64 KiB of data, so a reader needs bounded memory per entry.
//!
//! Rotation (`--log-opt max-size=`): when an entry would make `ctr.log` exceed the limit, it is
//! renamed to `ctr.log.1` (replacing the previous one) and a new `ctr.log` begins; readers read
//! `.1` first, so at most about twice the limit is kept. A line too long for the limit is split
//! into partial entries; a piece is at least 256 bytes, so a limit under ~300 bytes is exceeded.

use std::collections::VecDeque;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::format::time::{now_nanos, parse_rfc3339_nanos, rfc3339_nanos};

/// The data of one entry is at most this long: longer lines become several entries.
const MAX_PIECE: usize = 64 << 10;
/// With a small max-size, an entry still carries this much data (so a tiny limit does not turn a
/// line into hundreds of entries, each of which would rotate the file).
const MIN_PIECE: usize = 256;
/// A line of a log file longer than this was not written by rl (nor conmon); readers skip it
/// rather than buffer it.
const MAX_RAW_LINE: usize = 1 << 20;
/// How much a reader asks for per read(2).
const READ_SIZE: usize = 64 << 10;
/// How often `follow` looks for new entries.
const POLL: Duration = Duration::from_millis(100);
/// How soon `follow` looks again after finding some (a busy log may rotate quickly).
const BUSY_POLL: Duration = Duration::from_millis(10);

/// Which pipe of the container a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    /// The stream's name in the log: `stdout` or `stderr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn index(self) -> usize {
        match self {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }

    fn parse(b: &[u8]) -> Option<Self> {
        match b {
            b"stdout" => Some(Stream::Stdout),
            b"stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Appends a container's output to its log. There must be one writer per log (the monitor).
#[derive(Debug)]
pub struct LogWriter {
    path: PathBuf,
    file: File,
    /// Bytes in the current file.
    size: u64,
    max_size: Option<u64>,
    /// The entries of the chunk being logged, written with one write(2).
    buf: Vec<u8>,
    /// A write failed part-way: start the next one on a fresh line.
    torn: bool,
}

impl LogWriter {
    /// Open (create, append; mode 0600) the log at `path`; rotate when it would grow past
    /// `max_size` bytes (None or 0: never).
    pub fn open(path: &Path, max_size: Option<u64>) -> io::Result<Self> {
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            size,
            max_size: max_size.filter(|&m| m > 0),
            buf: Vec::new(),
            torn: false,
        })
    }

    /// Log a chunk read from a stream's pipe: every complete line becomes an `F` entry; a
    /// remainder without newline becomes a `P` entry at once (the container may never finish the
    /// line). The chunk's entries share one time, `now_nanos()`, and are written with one
    /// write(2) unless the log rotates in between.
    pub fn write(&mut self, stream: Stream, chunk: &[u8]) -> io::Result<()> {
        self.write_at(now_nanos(), stream, chunk)
    }

    fn write_at(&mut self, time: i64, stream: Stream, chunk: &[u8]) -> io::Result<()> {
        let head = format!("{} {stream} ", rfc3339_nanos(time));
        let mut rest = chunk;
        while !rest.is_empty() {
            let (line, complete, next) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], true, &rest[i + 1..]),
                None => (rest, false, &rest[rest.len()..]),
            };
            self.queue_line(&head, line, complete)?;
            rest = next;
        }
        self.flush()
    }

    /// Queue the entries of one line (or of the start of one), rotating first when the next
    /// entry would not fit.
    fn queue_line(&mut self, head: &str, data: &[u8], complete: bool) -> io::Result<()> {
        let overhead = head.len() + "F \n".len();
        let cap = match self.max_size {
            Some(max) => usize::try_from(max)
                .unwrap_or(usize::MAX)
                .saturating_sub(overhead)
                .clamp(MIN_PIECE, MAX_PIECE),
            None => MAX_PIECE,
        };
        let mut data = data;
        loop {
            let (piece, rest) = data.split_at(data.len().min(cap));
            if let Some(max) = self.max_size {
                let used = self.size + self.buf.len() as u64;
                if used > 0 && used + (overhead + piece.len()) as u64 > max {
                    self.flush()?;
                    self.rotate()?;
                }
            }
            let tag: &[u8] = if rest.is_empty() && complete {
                b"F "
            } else {
                b"P "
            };
            self.buf.extend_from_slice(head.as_bytes());
            self.buf.extend_from_slice(tag);
            self.buf.extend_from_slice(piece);
            self.buf.push(b'\n');
            if rest.is_empty() {
                return Ok(());
            }
            data = rest;
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.torn {
            self.buf.insert(0, b'\n');
        }
        let len = self.buf.len() as u64;
        let result = self.file.write_all(&self.buf);
        self.buf.clear();
        self.torn = result.is_err();
        self.size = match result {
            Ok(()) => self.size + len,
            Err(_) => self.file.metadata().map_or(self.size + len, |m| m.len()),
        };
        result
    }

    /// `ctr.log` becomes `ctr.log.1` and a new `ctr.log` begins.
    fn rotate(&mut self) -> io::Result<()> {
        match fs::rename(&self.path, rotated(&self.path)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.file = open_append(&self.path)?;
        self.size = self.file.metadata()?.len();
        self.torn = false;
        Ok(())
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// `ctr.log.1` for `ctr.log`.
fn rotated(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".1");
    PathBuf::from(p)
}

/// One logical line of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Nanoseconds since the epoch of its first entry.
    pub time: i64,
    /// The stream it was written to.
    pub stream: Stream,
    /// The line's bytes, its partial entries joined; ends with `\n` when the line was complete.
    pub data: Vec<u8>,
}

/// All entries of a log, the rotated part first, the partial entries of each stream joined (a
/// trailing unfinished line is kept, without newline). A missing log has no entries.
pub fn read(path: &Path) -> io::Result<Vec<Entry>> {
    let mut c = Collector::new(Window::default(), None);
    let (old, cur) = open_parts(path)?;
    for mut source in [old, cur].into_iter().flatten() {
        source.drain(&mut c)?;
    }
    Ok(c.entries.into())
}

/// What `rl logs` shows of a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowOptions {
    /// Only lines from this time on (nanoseconds since the epoch, inclusive).
    pub since: Option<i64>,
    /// Only lines up to this time (inclusive); `follow` stops once it has passed.
    pub until: Option<i64>,
    /// Only the last N lines (of those in the time window); `follow` shows every new line.
    pub tail: Option<usize>,
    /// Prefix each line with its RFC 3339 time and a space (docker's `-t`).
    pub timestamps: bool,
    /// Prefix each line with this and a space, before the time (podman's `--names`).
    pub name: Option<String>,
}

impl ShowOptions {
    fn window(&self) -> Window {
        Window {
            since: self.since,
            until: self.until,
        }
    }
}

/// Write the entries to `out` (stdout entries) and `err` (stderr entries) as `rl logs` shows
/// them: those in the since/until window, the last `tail` of them, prefixed as asked. A line that
/// was not finished is written without newline.
pub fn show(
    entries: &[Entry],
    opts: &ShowOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    let window = opts.window();
    let kept: Vec<&Entry> = entries.iter().filter(|e| window.contains(e.time)).collect();
    let skip = opts.tail.map_or(0, |n| kept.len().saturating_sub(n));
    let mut p = Printer::new(opts, out, err);
    for e in &kept[skip..] {
        p.entry(e)?;
    }
    p.flush()
}

/// `rl logs` without `-f`: [`show`] of the log at `path`, streamed from the file (memory is
/// bounded by the `tail` count, not by the size of the log).
pub fn print(
    path: &Path,
    opts: &ShowOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    follow(path, opts, out, err, &|| false)
}

/// `logs -f`: show what is there, then keep reading entries as they are appended (every 100 ms,
/// every 10 ms while entries keep coming), until `running()` is false and everything written
/// before has been shown, or `until` has passed. The log may not exist yet, and may rotate: up
/// to twice between two looks without loss (a third rotation deletes a file not yet read).
///
/// Partial entries are shown as they come, so a prompt without newline appears at once; the
/// prefixes (name, time) start each line only.
pub fn follow(
    path: &Path,
    opts: &ShowOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    running: &dyn Fn() -> bool,
) -> io::Result<()> {
    let mut p = Printer::new(opts, out, err);
    let (mut old, cur) = open_parts(path)?;
    let mut f = Follower { path, cur };
    match opts.tail {
        None => {
            for source in [old.as_mut(), f.cur.as_mut()].into_iter().flatten() {
                source.drain(&mut p)?;
            }
        }
        Some(n) => {
            let mut c = Collector::new(opts.window(), Some(n));
            for source in [old.as_mut(), f.cur.as_mut()].into_iter().flatten() {
                source.drain(&mut c)?;
            }
            for e in &c.entries {
                p.entry(e)?;
            }
            // Lines still going on that were left out: their continuations are left out too.
            for i in 0..2 {
                match c.open[i] {
                    Open::Dropped => p.open[i] = Some(false),
                    Open::Kept(seq) if seq < c.first => p.open[i] = Some(false),
                    _ => {}
                }
            }
        }
    }
    p.flush()?;
    loop {
        let alive = running();
        let busy = f.poll(&mut p)?;
        p.flush()?;
        if !alive || opts.until.is_some_and(|u| now_nanos() > u) {
            return Ok(());
        }
        std::thread::sleep(if busy { BUSY_POLL } else { POLL });
    }
}

/// Docker's sizes: `10k`, `10kb`, `10KiB`, `5m`, `1.5g`, `512` (bytes); units k, m, g, t, p,
/// case-insensitive and 1024-based (go-units RAMInBytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(end);
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |d: &str| d.bytes().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (frac.is_empty() && num.contains('.'))
    {
        return None;
    }
    let mut u = unit.strip_prefix(' ').unwrap_or(unit).as_bytes();
    let shift = match u.first().map(u8::to_ascii_lowercase) {
        Some(b'k') => 10,
        Some(b'm') => 20,
        Some(b'g') => 30,
        Some(b't') => 40,
        Some(b'p') => 50,
        _ => 0,
    };
    if shift > 0 {
        u = &u[1..];
        if let [b'i' | b'I', rest @ ..] = u {
            u = rest;
        }
    }
    if let [b'b' | b'B', rest @ ..] = u {
        u = rest;
    }
    if !u.is_empty() {
        return None;
    }
    let mult = 1u128 << shift;
    let mut total = whole.parse::<u128>().ok()?.checked_mul(mult)?;
    let frac = &frac[..frac.len().min(18)];
    if !frac.is_empty() {
        let f: u128 = frac.parse().ok()?;
        total += f * mult / 10u128.pow(u32::try_from(frac.len()).ok()?);
    }
    u64::try_from(total).ok()
}

/// One entry of a log file, parsed.
#[derive(Debug, Clone, Copy)]
struct Piece<'a> {
    time: i64,
    stream: Stream,
    data: &'a [u8],
    /// `F`: the entry ends its line.
    complete: bool,
}

/// An entry line (without its newline); None when malformed.
fn parse_line(line: &[u8]) -> Option<Piece<'_>> {
    let mut fields = line.splitn(4, |&b| b == b' ');
    let time = parse_rfc3339_nanos(std::str::from_utf8(fields.next()?).ok()?)?;
    let stream = Stream::parse(fields.next()?)?;
    // CRI allows more tags after the first, separated by ':'.
    let complete = match fields.next()?.split(|&b| b == b':').next()? {
        b"F" => true,
        b"P" => false,
        _ => return None,
    };
    let data = fields.next().unwrap_or_default();
    Some(Piece {
        time,
        stream,
        data,
        complete,
    })
}

/// Where parsed entries go.
trait Sink {
    fn piece(&mut self, p: Piece<'_>) -> io::Result<()>;
}

/// The since/until filter (inclusive).
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    since: Option<i64>,
    until: Option<i64>,
}

impl Window {
    fn contains(self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }
}

/// The state of a stream's unfinished line while collecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// No line is going on.
    No,
    /// The line was collected, with this sequence number (it may have been pushed out since).
    Kept(usize),
    /// The line is outside the window.
    Dropped,
}

/// Joins entries into logical lines, keeping those in a window, at most the last `cap`.
#[derive(Debug)]
struct Collector {
    entries: VecDeque<Entry>,
    /// The sequence number of `entries[0]`.
    first: usize,
    open: [Open; 2],
    window: Window,
    cap: Option<usize>,
}

impl Collector {
    fn new(window: Window, cap: Option<usize>) -> Self {
        Collector {
            entries: VecDeque::new(),
            first: 0,
            open: [Open::No; 2],
            window,
            cap,
        }
    }
}

impl Sink for Collector {
    fn piece(&mut self, p: Piece<'_>) -> io::Result<()> {
        let i = p.stream.index();
        let state = match self.open[i] {
            Open::No if self.window.contains(p.time) && self.cap != Some(0) => {
                self.entries.push_back(Entry {
                    time: p.time,
                    stream: p.stream,
                    data: Vec::new(),
                });
                let seq = self.first + self.entries.len() - 1;
                if self.cap.is_some_and(|c| self.entries.len() > c) {
                    self.entries.pop_front();
                    self.first += 1;
                }
                Open::Kept(seq)
            }
            Open::No => Open::Dropped,
            going_on => going_on,
        };
        if let Open::Kept(seq) = state
            && let Some(e) = seq
                .checked_sub(self.first)
                .and_then(|k| self.entries.get_mut(k))
        {
            e.data.extend_from_slice(p.data);
            if p.complete {
                e.data.push(b'\n');
            }
        }
        self.open[i] = if p.complete { Open::No } else { state };
        Ok(())
    }
}

/// Writes lines as `rl logs` shows them.
struct Printer<'a> {
    opts: &'a ShowOptions,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// Per stream: a line has begun and not ended, and whether it is shown.
    open: [Option<bool>; 2],
    /// The stream written last: the other writer is flushed before it is used, so that stdout
    /// and stderr keep their order on a shared terminal.
    last: Option<Stream>,
}

impl<'a> Printer<'a> {
    fn new(opts: &'a ShowOptions, out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Printer {
            opts,
            out,
            err,
            open: [None; 2],
            last: None,
        }
    }

    fn writer(&mut self, s: Stream) -> io::Result<&mut dyn Write> {
        if self.last != Some(s) {
            if let Some(prev) = self.last {
                self.get(prev).flush()?;
            }
            self.last = Some(s);
        }
        Ok(self.get(s))
    }

    fn get(&mut self, s: Stream) -> &mut dyn Write {
        match s {
            Stream::Stdout => &mut *self.out,
            Stream::Stderr => &mut *self.err,
        }
    }

    /// A whole logical line (it starts a new line even if the last one of its stream was not
    /// finished).
    fn entry(&mut self, e: &Entry) -> io::Result<()> {
        self.open[e.stream.index()] = None;
        let (data, complete) = match e.data.strip_suffix(b"\n") {
            Some(d) => (d, true),
            None => (&e.data[..], false),
        };
        self.piece(Piece {
            time: e.time,
            stream: e.stream,
            data,
            complete,
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }
}

impl Sink for Printer<'_> {
    fn piece(&mut self, p: Piece<'_>) -> io::Result<()> {
        let opts = self.opts;
        let i = p.stream.index();
        let shown = match self.open[i] {
            Some(shown) => shown,
            None => opts.window().contains(p.time),
        };
        let starts = self.open[i].is_none();
        if shown {
            let w = self.writer(p.stream)?;
            if starts {
                if let Some(name) = &opts.name {
                    w.write_all(name.as_bytes())?;
                    w.write_all(b" ")?;
                }
                if opts.timestamps {
                    w.write_all(rfc3339_nanos(p.time).as_bytes())?;
                    w.write_all(b" ")?;
                }
            }
            w.write_all(p.data)?;
            if p.complete {
                w.write_all(b"\n")?;
            }
        }
        self.open[i] = (!p.complete).then_some(shown);
        Ok(())
    }
}

/// An open log file being read, and the start of a line not yet complete in it.
#[derive(Debug)]
struct Source {
    file: File,
    /// (device, inode): a rotation gives the path a new one.
    id: (u64, u64),
    carry: Vec<u8>,
    /// The line being read was too long: drop it up to its newline.
    skipping: bool,
}

impl Source {
    fn new(file: File) -> io::Result<Self> {
        let m = file.metadata()?;
        Ok(Source {
            file,
            id: (m.dev(), m.ino()),
            carry: Vec::new(),
            skipping: false,
        })
    }

    /// Read to the end of the file, passing each complete entry to `sink`; an incomplete last
    /// line waits for the next call. Whether anything was read.
    fn drain(&mut self, sink: &mut dyn Sink) -> io::Result<bool> {
        let mut any = false;
        loop {
            let start = self.carry.len();
            self.carry.resize(start + READ_SIZE, 0);
            let n = loop {
                match self.file.read(&mut self.carry[start..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    r => break r,
                }
            };
            self.carry.truncate(start + n.as_ref().map_or(0, |n| *n));
            let n = n?;
            if n == 0 {
                return Ok(any);
            }
            any = true;
            let mut line_start = 0;
            let mut from = start;
            while let Some(i) = self.carry[from..].iter().position(|&b| b == b'\n') {
                let end = from + i;
                if !std::mem::take(&mut self.skipping)
                    && let Some(p) = parse_line(&self.carry[line_start..end])
                {
                    sink.piece(p)?;
                }
                line_start = end + 1;
                from = line_start;
            }
            self.carry.drain(..line_start);
            if self.carry.len() > MAX_RAW_LINE {
                self.carry.clear();
                self.skipping = true;
            }
        }
    }
}

fn open_existing(path: &Path) -> io::Result<Option<Source>> {
    match File::open(path) {
        Ok(f) => Source::new(f).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The rotated part and the current file of the log at `path`, each None when absent. The
/// current file is opened first: when a rotation comes in between, `.1` is the file already
/// open, and is left out.
fn open_parts(path: &Path) -> io::Result<(Option<Source>, Option<Source>)> {
    let cur = open_existing(path)?;
    let old = open_existing(&rotated(path))?
        .filter(|old| cur.as_ref().is_none_or(|cur| cur.id != old.id));
    Ok((old, cur))
}

/// Reads what is appended to a log, across rotations.
#[derive(Debug)]
struct Follower<'p> {
    path: &'p Path,
    cur: Option<Source>,
}

impl Follower<'_> {
    /// Pass what was appended since the last call to `sink`. When the path names another file
    /// than the one open, the writer rotated: the open file (now `.1`) is complete once read to
    /// its end, and reading goes on with the new file from its start. When `.1` is neither, the
    /// log rotated twice: it is read whole in between. (A file made and rotated away between two
    /// looks, on a third rotation, is lost.) Whether anything was read.
    fn poll(&mut self, sink: &mut dyn Sink) -> io::Result<bool> {
        let mut any = false;
        loop {
            let Some(cur) = self.cur.as_mut() else {
                self.cur = open_existing(self.path)?;
                if self.cur.is_none() {
                    return Ok(any);
                }
                continue;
            };
            // Looked at before reading: writes to the old file all happen before the rename.
            let now = fs::metadata(self.path).ok().map(|m| (m.dev(), m.ino()));
            any |= cur.drain(sink)?;
            let Some(now) = now.filter(|&now| now != cur.id) else {
                // The same file, or none for the moment (between rename and create).
                return Ok(any);
            };
            let old_id = cur.id;
            if let Some(mut between) = open_existing(&rotated(self.path))?
                && between.id != old_id
                && between.id != now
            {
                any |= between.drain(sink)?;
            }
            self.cur = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    const T0: i64 = 1_714_557_600_000_000_000; // 2024-05-01T10:00:00Z

    fn log_in(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("ctr.log")
    }

    fn entry(time: i64, stream: Stream, data: &[u8]) -> Entry {
        Entry {
            time,
            stream,
            data: data.to_vec(),
        }
    }

    fn letters(n: usize) -> Vec<u8> {
        b"abcdefghijklmnopqrstuvwxyz"
            .iter()
            .copied()
            .cycle()
            .take(n)
            .collect()
    }

    /// `show` into two strings.
    fn shown(entries: &[Entry], opts: &ShowOptions) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        show(entries, opts, &mut out, &mut err).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn lines_round_trip_in_the_k8s_file_format() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, None).unwrap();
        w.write_at(T0 + 1, Stream::Stdout, b"hello\nworld\n")
            .unwrap();
        w.write_at(T0 + 2, Stream::Stderr, b"oops\n\n").unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "2024-05-01T10:00:00.000000001Z stdout F hello\n\
             2024-05-01T10:00:00.000000001Z stdout F world\n\
             2024-05-01T10:00:00.000000002Z stderr F oops\n\
             2024-05-01T10:00:00.000000002Z stderr F \n"
        );
        assert_eq!(
            read(&path).unwrap(),
            vec![
                entry(T0 + 1, Stream::Stdout, b"hello\n"),
                entry(T0 + 1, Stream::Stdout, b"world\n"),
                entry(T0 + 2, Stream::Stderr, b"oops\n"),
                entry(T0 + 2, Stream::Stderr, b"\n"),
            ]
        );
        // Reopening appends; the real clock is used.
        drop(w);
        let before = now_nanos();
        let mut w = LogWriter::open(&path, None).unwrap();
        w.write(Stream::Stdout, b"again\n").unwrap();
        let all = read(&path).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[4].data, b"again\n");
        assert!(all[4].time >= before && all[4].time <= now_nanos());
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn partial_lines_join_per_stream_across_chunks() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, None).unwrap();
        w.write_at(T0 + 1, Stream::Stdout, b"hel").unwrap();
        w.write_at(T0 + 2, Stream::Stderr, b"err1\nerr").unwrap();
        w.write_at(T0 + 3, Stream::Stdout, b"lo\nwor").unwrap();
        w.write_at(T0 + 4, Stream::Stderr, b"2\n").unwrap();
        w.write_at(T0 + 5, Stream::Stdout, b"ld").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let tags: Vec<&str> = text.lines().map(|l| l.split(' ').nth(2).unwrap()).collect();
        assert_eq!(tags, ["P", "F", "P", "F", "P", "F", "P"]);
        let entries = read(&path).unwrap();
        assert_eq!(
            entries,
            vec![
                entry(T0 + 1, Stream::Stdout, b"hello\n"),
                entry(T0 + 2, Stream::Stderr, b"err1\n"),
                entry(T0 + 2, Stream::Stderr, b"err2\n"),
                entry(T0 + 3, Stream::Stdout, b"world"),
            ]
        );
        // The unfinished line is shown without newline.
        let (out, err) = shown(&entries, &ShowOptions::default());
        assert_eq!(out, "hello\nworld");
        assert_eq!(err, "err1\nerr2\n");
    }

    #[test]
    fn a_chunk_of_many_lines() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, None).unwrap();
        let chunk: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        w.write_at(T0, Stream::Stdout, chunk.as_bytes()).unwrap();
        let entries = read(&path).unwrap();
        assert_eq!(entries.len(), 10_000);
        assert_eq!(entries[9_999].data, b"line 9999\n");
        let (out, _) = shown(&entries, &ShowOptions::default());
        assert_eq!(out, chunk);
    }

    #[test]
    fn long_lines_are_split_into_bounded_entries() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, None).unwrap();
        let mut line: Vec<u8> = letters(MAX_PIECE * 2 + 10);
        w.write_at(T0, Stream::Stdout, &line).unwrap();
        w.write_at(T0, Stream::Stdout, b"\n").unwrap();
        let text = fs::read(&path).unwrap();
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        assert_eq!(lines.len(), 5); // three pieces, the final F entry, and "" after the last newline
        assert!(lines.iter().all(|l| l.len() <= MAX_PIECE + 64));
        line.push(b'\n');
        assert_eq!(read(&path).unwrap(), vec![entry(T0, Stream::Stdout, &line)]);
    }

    #[test]
    fn carriage_returns_and_bytes_that_are_not_utf8_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, None).unwrap();
        w.write_at(T0, Stream::Stdout, b"a\rb\xff\xfe\0 c  \n\r\n\x1b[31mred")
            .unwrap();
        let entries = read(&path).unwrap();
        assert_eq!(
            entries,
            vec![
                entry(T0, Stream::Stdout, b"a\rb\xff\xfe\0 c  \n"),
                entry(T0, Stream::Stdout, b"\r\n"),
                entry(T0, Stream::Stdout, b"\x1b[31mred"),
            ]
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        show(&entries, &ShowOptions::default(), &mut out, &mut err).unwrap();
        assert_eq!(out, b"a\rb\xff\xfe\0 c  \n\r\n\x1b[31mred");
        assert!(err.is_empty());
    }

    #[test]
    fn rotation_keeps_the_previous_file_and_read_joins_both() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        // Each entry is 30 (time) + 8 (" stdout ") + 2 ("F ") + 7 + 1 = 48 bytes: two fit in 100.
        let mut w = LogWriter::open(&path, Some(100)).unwrap();
        for i in 0..5 {
            w.write_at(T0 + i, Stream::Stdout, format!("line-{i:02}\n").as_bytes())
                .unwrap();
        }
        assert_eq!(fs::metadata(&path).unwrap().len(), 48);
        assert_eq!(fs::metadata(rotated(&path)).unwrap().len(), 96);
        let data: Vec<Vec<u8>> = read(&path).unwrap().into_iter().map(|e| e.data).collect();
        assert_eq!(data, [b"line-02\n", b"line-03\n", b"line-04\n"]);

        // Rotation inside one chunk, and a size found on reopening.
        drop(w);
        let mut w = LogWriter::open(&path, Some(100)).unwrap();
        w.write_at(T0, Stream::Stdout, b"line-05\nline-06\nline-07\n")
            .unwrap();
        let data: Vec<Vec<u8>> = read(&path).unwrap().into_iter().map(|e| e.data).collect();
        assert_eq!(
            data,
            [b"line-04\n", b"line-05\n", b"line-06\n", b"line-07\n"]
        );
    }

    #[test]
    fn a_line_too_long_for_max_size_is_split_across_rotations() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, Some(300)).unwrap();
        // Pieces of 300 - 41 = 259 bytes, one entry per file: 259, 259, 259, 223.
        let line: Vec<u8> = letters(1000);
        let mut chunk = line.clone();
        chunk.push(b'\n');
        w.write_at(T0, Stream::Stderr, &chunk).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), 41 + 223);
        assert_eq!(fs::metadata(rotated(&path)).unwrap().len(), 300);
        let mut tail = line[518..].to_vec();
        tail.push(b'\n');
        assert_eq!(read(&path).unwrap(), vec![entry(T0, Stream::Stderr, &tail)]);
    }

    #[test]
    fn show_filters_tails_and_prefixes_exactly() {
        let s = 1_000_000_000;
        let entries = vec![
            entry(T0, Stream::Stdout, b"one\n"),
            entry(T0 + s, Stream::Stderr, b"two\n"),
            entry(T0 + 2 * s, Stream::Stdout, b"three\n"),
            entry(T0 + 3 * s + 5, Stream::Stdout, b"four\n"),
            entry(T0 + 4 * s, Stream::Stderr, b"five"),
        ];
        let all = ShowOptions::default();
        assert_eq!(
            shown(&entries, &all),
            ("one\nthree\nfour\n".into(), "two\nfive".into())
        );
        let tail = |n| ShowOptions {
            tail: Some(n),
            ..all.clone()
        };
        assert_eq!(shown(&entries, &tail(2)), ("four\n".into(), "five".into()));
        assert_eq!(shown(&entries, &tail(0)), (String::new(), String::new()));
        assert_eq!(shown(&entries, &tail(99)), shown(&entries, &all));
        let window = ShowOptions {
            since: Some(T0 + s),
            until: Some(T0 + 3 * s),
            ..all.clone()
        };
        assert_eq!(shown(&entries, &window), ("three\n".into(), "two\n".into()));
        // The tail is taken after the window.
        let both = ShowOptions {
            tail: Some(1),
            ..window
        };
        assert_eq!(shown(&entries, &both), ("three\n".into(), String::new()));
        let stamped = ShowOptions {
            timestamps: true,
            since: Some(T0 + 3 * s),
            ..all.clone()
        };
        assert_eq!(
            shown(&entries, &stamped),
            (
                "2024-05-01T10:00:03.000000005Z four\n".into(),
                "2024-05-01T10:00:04.000000000Z five".into()
            )
        );
        let named = ShowOptions {
            name: Some("web".into()),
            ..stamped
        };
        assert_eq!(
            shown(&entries, &named),
            (
                "web 2024-05-01T10:00:03.000000005Z four\n".into(),
                "web 2024-05-01T10:00:04.000000000Z five".into()
            )
        );
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut text = Vec::new();
        text.extend_from_slice(b"2024-05-01T10:00:00.000000001Z stdout F good\n");
        text.extend_from_slice(b"\n");
        text.extend_from_slice(b"garbage\n");
        text.extend_from_slice(b"2024-05-01T10:00:00Z stdout X bad tag\n");
        text.extend_from_slice(b"2024-05-01T10:00:00Z stdboth F bad stream\n");
        text.extend_from_slice(b"yesterday stdout F bad time\n");
        text.extend_from_slice(b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\xef\xee\xed\xec stdout F x\n");
        text.extend_from_slice("2024-05-01T10:00:0é stdout F x\n".as_bytes());
        text.extend_from_slice(b"2024-05-01T10:00:00Z stdout\n");
        text.extend_from_slice(b"2024-05-01T10:00:00Z\n");
        // conmon's local time and a bare F with no data (an empty line); CRI's extra tags.
        text.extend_from_slice(b"2024-05-01T12:00:00.5+02:00 stderr F\n");
        text.extend_from_slice(b"2024-05-01T10:00:01Z stdout P:x half \n");
        text.extend_from_slice(b"2024-05-01T10:00:02Z stdout F line\n");
        // Longer than any entry rl writes: skipped up to its newline.
        text.extend(std::iter::repeat_n(b'z', MAX_RAW_LINE + READ_SIZE * 2));
        text.extend_from_slice(b"\n2024-05-01T10:00:03Z stdout F after\n");
        // An entry being written (no newline yet) is not read.
        text.extend_from_slice(b"2024-05-01T10:00:04Z stdout F torn");
        fs::write(&path, &text).unwrap();
        assert_eq!(
            read(&path).unwrap(),
            vec![
                entry(T0 + 1, Stream::Stdout, b"good\n"),
                entry(T0 + 500_000_000, Stream::Stderr, b"\n"),
                entry(T0 + 1_000_000_000, Stream::Stdout, b"half line\n"),
                entry(T0 + 3_000_000_000, Stream::Stdout, b"after\n"),
            ]
        );
        assert!(read(&t.path().join("missing.log")).unwrap().is_empty());
    }

    #[test]
    fn sizes_as_docker_takes_them() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("10k"), Some(10 << 10));
        assert_eq!(parse_size("10kb"), Some(10 << 10));
        assert_eq!(parse_size("10KiB"), Some(10 << 10));
        assert_eq!(parse_size("10 K"), Some(10 << 10));
        assert_eq!(parse_size("5m"), Some(5 << 20));
        assert_eq!(parse_size("5MB"), Some(5 << 20));
        assert_eq!(parse_size("1g"), Some(1 << 30));
        assert_eq!(parse_size("2T"), Some(2 << 40));
        assert_eq!(parse_size("1p"), Some(1 << 50));
        assert_eq!(parse_size("1.5m"), Some(1_572_864));
        assert_eq!(parse_size("100b"), Some(100));
        for bad in [
            "", "k", "-1", "1.", ".5", "1.2.3", "10x", "10kk", "10 kb ", "1e3", "10  k", "99999p",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    /// A writer thread logs while `follow` reads, through rotations (about one per 100 ms: a log
    /// that rotates faster than it is read loses entries); every line is shown once.
    #[test]
    fn follow_sees_everything_a_concurrent_writer_logs() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, Some(16 << 10)).unwrap();
        w.write(Stream::Stdout, b"before\n").unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let writer = {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                for i in 0..300 {
                    w.write(Stream::Stdout, format!("out {i}\n").as_bytes())
                        .unwrap();
                    // A line in two chunks, the way a pipe may deliver it.
                    w.write(Stream::Stderr, format!("err {i} ").as_bytes())
                        .unwrap();
                    w.write(Stream::Stderr, b"end\n").unwrap();
                    std::thread::sleep(Duration::from_millis(1));
                }
                w.write(Stream::Stdout, b"last, no newline").unwrap();
                done.store(true, Ordering::SeqCst);
            })
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let opts = ShowOptions::default();
        follow(&path, &opts, &mut out, &mut err, &|| {
            !done.load(Ordering::SeqCst)
        })
        .unwrap();
        writer.join().unwrap();
        assert!(rotated(&path).exists());
        let mut want_out = String::from("before\n");
        let mut want_err = String::new();
        for i in 0..300 {
            want_out += &format!("out {i}\n");
            want_err += &format!("err {i} end\n");
        }
        want_out += "last, no newline";
        assert_eq!(String::from_utf8(out).unwrap(), want_out);
        assert_eq!(String::from_utf8(err).unwrap(), want_err);
    }

    /// A `Write` that the test can look into while `follow` holds it.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).unwrap()
        }
    }

    #[test]
    fn follow_waits_for_the_log_and_shows_partials_at_once() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let out = Shared::default();
        let step = std::cell::Cell::new(0);
        let writer = std::cell::RefCell::new(None::<LogWriter>);
        // `running` drives the writer: each call does the next step before follow looks again.
        let running = || {
            step.set(step.get() + 1);
            match step.get() {
                1 => {} // no log yet
                2 => {
                    assert_eq!(out.text(), "");
                    let mut w = LogWriter::open(&path, None).unwrap();
                    w.write_at(T0, Stream::Stdout, b"Name? ").unwrap();
                    *writer.borrow_mut() = Some(w);
                }
                3 => {
                    assert_eq!(out.text(), "2024-05-01T10:00:00.000000000Z Name? ");
                    let mut w = writer.borrow_mut();
                    let w = w.as_mut().unwrap();
                    w.write_at(T0 + 1, Stream::Stdout, b"rl\nbye\n").unwrap();
                }
                _ => return false,
            }
            true
        };
        let opts = ShowOptions {
            timestamps: true,
            ..ShowOptions::default()
        };
        let (mut sink, mut err) = (out.clone(), Vec::new());
        follow(&path, &opts, &mut sink, &mut err, &running).unwrap();
        assert_eq!(step.get(), 4);
        assert_eq!(
            out.text(),
            "2024-05-01T10:00:00.000000000Z Name? rl\n\
             2024-05-01T10:00:00.000000001Z bye\n"
        );
        assert!(err.is_empty());
    }

    #[test]
    fn follow_with_tail_leaves_out_the_rest_of_a_line_left_out() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, None).unwrap();
        w.write_at(T0, Stream::Stdout, b"old\nstarted ").unwrap();
        w.write_at(T0 + 1, Stream::Stderr, b"e1\ne2\n").unwrap();
        let calls = std::cell::Cell::new(0);
        let w = std::cell::RefCell::new(w);
        let running = || {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                let mut w = w.borrow_mut();
                w.write_at(T0 + 2, Stream::Stdout, b"finished\nnew\n")
                    .unwrap();
                w.write_at(T0 + 2, Stream::Stderr, b"e3\n").unwrap();
                return true;
            }
            false
        };
        let opts = ShowOptions {
            tail: Some(1),
            ..ShowOptions::default()
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        follow(&path, &opts, &mut out, &mut err, &running).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "new\n");
        assert_eq!(String::from_utf8(err).unwrap(), "e2\ne3\n");

        // With a tail that takes the unfinished line, its end follows it.
        let opts = ShowOptions {
            tail: Some(3),
            ..ShowOptions::default()
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let path2 = t.path().join("two.log");
        let mut w2 = LogWriter::open(&path2, None).unwrap();
        w2.write_at(T0, Stream::Stdout, b"old\nstarted ").unwrap();
        let w2 = std::cell::RefCell::new(w2);
        let calls = std::cell::Cell::new(0);
        let running = || {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                w2.borrow_mut()
                    .write_at(T0 + 2, Stream::Stdout, b"finished\n")
                    .unwrap();
                return true;
            }
            false
        };
        follow(&path2, &opts, &mut out, &mut err, &running).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "old\nstarted finished\n");
    }

    #[test]
    fn follower_survives_one_and_two_rotations_between_looks() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, Some(100)).unwrap();
        let mut f = Follower {
            path: &path,
            cur: None,
        };
        let mut c = Collector::new(Window::default(), None);
        let mut n = 0;
        let mut write = |w: &mut LogWriter, lines: usize| {
            for _ in 0..lines {
                w.write_at(T0, Stream::Stdout, format!("line-{n:02}\n").as_bytes())
                    .unwrap();
                n += 1;
            }
        };
        // Two 48-byte entries per file.
        write(&mut w, 1);
        f.poll(&mut c).unwrap();
        write(&mut w, 2); // one rotation
        f.poll(&mut c).unwrap();
        write(&mut w, 4); // two rotations
        f.poll(&mut c).unwrap();
        f.poll(&mut c).unwrap();
        let data: Vec<String> = c
            .entries
            .iter()
            .map(|e| String::from_utf8(e.data.clone()).unwrap())
            .collect();
        let want: Vec<String> = (0..7).map(|i| format!("line-{i:02}\n")).collect();
        assert_eq!(data, want);
    }

    #[test]
    fn print_streams_the_log_like_show() {
        let t = tempfile::tempdir().unwrap();
        let path = log_in(&t);
        let mut w = LogWriter::open(&path, Some(200)).unwrap();
        for i in 0..20 {
            w.write_at(T0 + i, Stream::Stdout, format!("o{i}\n").as_bytes())
                .unwrap();
            w.write_at(T0 + i, Stream::Stderr, format!("e{i}").as_bytes())
                .unwrap();
            w.write_at(T0 + i, Stream::Stderr, b"\n").unwrap();
        }
        let entries = read(&path).unwrap();
        for opts in [
            ShowOptions::default(),
            ShowOptions {
                tail: Some(3),
                timestamps: true,
                ..ShowOptions::default()
            },
            ShowOptions {
                since: Some(T0 + 18),
                name: Some("c".into()),
                ..ShowOptions::default()
            },
        ] {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            print(&path, &opts, &mut out, &mut err).unwrap();
            let (o, e) = shown(&entries, &opts);
            assert_eq!(
                (
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(err).unwrap()
                ),
                (o, e)
            );
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let opts = ShowOptions {
            tail: Some(3),
            ..ShowOptions::default()
        };
        print(&path, &opts, &mut out, &mut err).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "o19\n");
        assert_eq!(String::from_utf8(err).unwrap(), "e18\ne19\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        print(&t.path().join("none"), &opts, &mut out, &mut err).unwrap();
        assert!(out.is_empty() && err.is_empty());
    }
}
