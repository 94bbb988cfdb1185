//! `rl attach`: the attach socket a detached container's monitor ([`crate::monitor`]) listens
//! on, and the small framed protocol it speaks with `rl attach` clients.
//!
//! # The socket
//!
//! `<runtime>/attach/<id>.sock` (the runtime directory is `$XDG_RUNTIME_DIR/rl`, the `attach`
//! directory is mode 0700): a unix stream socket the monitor creates before it reports the
//! container started and removes when the container has ended for good. A socket's path is
//! limited to 108 bytes, which a long runtime directory and a 64-digit id can exceed, so both
//! sides open the directory and name the socket through `/proc/self/fd/N/<id>.sock` (as
//! conmon's users do). Any number of clients may be connected at once.
//!
//! # Frames
//!
//! Every frame, both ways, is one kind byte, the payload's length as a big-endian `u32`, and
//! the payload (at most [`MAX_PAYLOAD`] bytes; a longer one ends the connection).
//!
//! Monitor to client:
//!
//! | kind | name | payload |
//! |------|------|---------|
//! | `H` | hello | 1 byte of flags: [`HELLO_TTY`] (the container has a pty), [`HELLO_STDIN`] (its stdin takes input: `-i`); always the first frame |
//! | `1` | stdout | bytes the container wrote to stdout (or to its pty) |
//! | `2` | stderr | bytes it wrote to stderr |
//! | `X` | exit | the container's exit code, big-endian `i32`: it has ended and its end is recorded; the monitor closes the connection after it |
//!
//! While a client is connected it gets every byte the container writes as it happens (the log
//! gets them too). The monitor never blocks on a client: it writes without blocking, keeps at
//! most [`CLIENT_BUFFER`] bytes a client has not read yet, and drops a client that falls
//! further behind. A restart (the restart policy) keeps the clients connected: they see the
//! next run's output; they get `X` only after the last run.
//!
//! Client to monitor:
//!
//! | kind | name | payload |
//! |------|------|---------|
//! | `i` | stdin | bytes for the container's stdin (ignored unless the container has `-i`) |
//! | `e` | stdin EOF | none: closes the container's stdin (not for a pty, as in docker) |
//! | `r` | resize | rows and columns, two big-endian `u16`: the pty's new window size |
//! | `s` | signal | a signal number, big-endian `i32`, for the monitor to send to the container (`--sig-proxy`) |
//!
//! A client detaches by closing its connection; the container does not notice.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

use crate::config::Paths;
use crate::error::{Error, Result};

/// The hello frame's kind.
pub const HELLO: u8 = b'H';
/// Output the container wrote to stdout (or its pty).
pub const STDOUT: u8 = b'1';
/// Output the container wrote to stderr.
pub const STDERR: u8 = b'2';
/// The container ended: its exit code.
pub const EXIT: u8 = b'X';
/// Bytes for the container's stdin.
pub const STDIN: u8 = b'i';
/// The client's stdin ended.
pub const STDIN_EOF: u8 = b'e';
/// A new window size.
pub const RESIZE: u8 = b'r';
/// A signal to send to the container.
pub const SIGNAL: u8 = b's';

/// Hello flag: the container runs on a pty.
pub const HELLO_TTY: u8 = 1;
/// Hello flag: the container's stdin takes input.
pub const HELLO_STDIN: u8 = 2;

/// The longest payload a frame may carry.
pub const MAX_PAYLOAD: usize = 1 << 20;
/// What the monitor keeps for a client that has not read it yet before dropping it.
pub const CLIENT_BUFFER: usize = 1 << 20;

/// The directory that holds the attach sockets.
pub fn socket_dir(paths: &Paths) -> PathBuf {
    paths.runtime.join("attach")
}

/// The socket's file name in [`socket_dir`].
pub fn socket_name(id: &str) -> String {
    format!("{id}.sock")
}

/// The directory opened for naming a socket in it through `/proc/self/fd`.
fn open_dir(dir: &std::path::Path) -> Result<OwnedFd> {
    nix::fcntl::open(
        dir,
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| Error::path("open", dir, std::io::Error::from(e)))
}

/// The monitor's side: create the container's socket (replacing a stale one), non-blocking.
pub fn listen(paths: &Paths, id: &str) -> Result<UnixListener> {
    paths
        .ensure_runtime()
        .map_err(|e| Error::Msg(e.to_string()))?;
    let dir = socket_dir(paths);
    crate::config::ensure_private_dir(&dir).map_err(|e| Error::Msg(e.to_string()))?;
    let fd = open_dir(&dir)?;
    let short = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())).join(socket_name(id));
    let _ = std::fs::remove_file(&short);
    let l = UnixListener::bind(&short)
        .map_err(|e| Error::path("create the attach socket", dir.join(socket_name(id)), e))?;
    l.set_nonblocking(true)
        .map_err(|e| Error::io("make the attach socket non-blocking", e))?;
    Ok(l)
}

/// The client's side: connect to the container's monitor (blocking).
pub fn connect(paths: &Paths, id: &str) -> std::io::Result<UnixStream> {
    let dir = socket_dir(paths);
    let fd = open_dir(&dir).map_err(|_| std::io::Error::from(std::io::ErrorKind::NotFound))?;
    let short = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())).join(socket_name(id));
    UnixStream::connect(short)
}

/// Append one frame to `out`.
pub fn encode(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    // Payloads come from reads of at most 64 KiB, far below u32::MAX.
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.push(kind);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
}

/// One frame, encoded.
pub fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(5 + payload.len());
    encode(&mut v, kind, payload);
    v
}

/// Collects bytes as they arrive and yields whole frames.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    start: usize,
}

impl Decoder {
    /// Add bytes read from the connection.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, if there is one; an error for a frame too long to accept.
    pub fn next_frame(&mut self) -> Result<Option<(u8, Vec<u8>)>> {
        let rest = &self.buf[self.start..];
        if rest.len() < 5 {
            self.compact();
            return Ok(None);
        }
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if len > MAX_PAYLOAD {
            return Err(Error::Msg(format!("attach: a frame of {len} bytes")));
        }
        if rest.len() < 5 + len {
            self.compact();
            return Ok(None);
        }
        let kind = rest[0];
        let payload = rest[5..5 + len].to_vec();
        self.start += 5 + len;
        Ok(Some((kind, payload)))
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

/// A resize frame's payload.
pub fn resize_payload(rows: u16, cols: u16) -> [u8; 4] {
    let (r, c) = (rows.to_be_bytes(), cols.to_be_bytes());
    [r[0], r[1], c[0], c[1]]
}

/// Rows and columns from a resize frame's payload.
pub fn parse_resize(p: &[u8]) -> Option<(u16, u16)> {
    match p {
        [a, b, c, d] => Some((u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d]))),
        _ => None,
    }
}

/// A big-endian `i32` payload (exit code, signal number).
pub fn parse_i32(p: &[u8]) -> Option<i32> {
    <[u8; 4]>::try_from(p).ok().map(i32::from_be_bytes)
}

/// The default detach sequence: ctrl-p, ctrl-q.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// Parse a detach sequence as docker and podman write it: comma-separated keys, each one
/// character or `ctrl-X` with X a letter or one of `@ [ \ ] ^ _`. "" disables detaching.
pub fn parse_detach_keys(keys: &str) -> Result<Vec<u8>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let bad = |k: &str| Error::Usage(format!("invalid detach keys: Unknown character: '{k}'"));
    keys.split(',')
        .map(|k| {
            if k.len() == 1 {
                return Ok(k.as_bytes()[0]);
            }
            match k.strip_prefix("ctrl-").map(str::as_bytes) {
                Some([c @ b'a'..=b'z']) => Ok(c - b'a' + 1),
                Some([c @ (b'@' | b'[' | b'\\' | b']' | b'^' | b'_')]) => Ok(c - b'@'),
                _ => Err(bad(k)),
            }
        })
        .collect()
}

/// Watches a client's input for the detach sequence.
#[derive(Debug)]
pub struct DetachMatcher {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachMatcher {
    /// A matcher for `keys` (empty: never detaches).
    pub fn new(keys: Vec<u8>) -> DetachMatcher {
        DetachMatcher { keys, matched: 0 }
    }

    /// Feed input: the bytes to pass on to the container, and whether the sequence is complete
    /// (then what follows it is dropped). The bytes of a partial sequence are held back until
    /// the next input shows whether it completes; if not, they are passed on.
    pub fn feed(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        if self.keys.is_empty() {
            return (input.to_vec(), false);
        }
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    self.matched = 0;
                    return (out, true);
                }
                continue;
            }
            // Not the sequence after all: what was held back goes on, then this byte (which
            // may start the sequence again).
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            if b == self.keys[0] {
                self.matched = 1;
                if self.keys.len() == 1 {
                    self.matched = 0;
                    return (out, true);
                }
            } else {
                out.push(b);
            }
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_pieces() {
        let mut bytes = frame(STDOUT, b"hello");
        encode(&mut bytes, RESIZE, &resize_payload(24, 80));
        encode(&mut bytes, STDIN_EOF, b"");
        let mut d = Decoder::default();
        let mut got = Vec::new();
        for chunk in bytes.chunks(3) {
            d.feed(chunk);
            while let Some(f) = d.next_frame().unwrap() {
                got.push(f);
            }
        }
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (STDOUT, b"hello".to_vec()));
        assert_eq!(parse_resize(&got[1].1), Some((24, 80)));
        assert_eq!(got[2], (STDIN_EOF, Vec::new()));
        assert_eq!(d.next_frame().unwrap(), None);
    }

    #[test]
    fn oversized_frames_are_refused() {
        let mut d = Decoder::default();
        let mut b = vec![STDIN];
        b.extend_from_slice(&u32::MAX.to_be_bytes());
        d.feed(&b);
        assert!(d.next_frame().is_err());
    }

    #[test]
    fn i32_payloads() {
        assert_eq!(parse_i32(&(-3i32).to_be_bytes()), Some(-3));
        assert_eq!(parse_i32(b"abc"), None);
    }

    #[test]
    fn detach_keys_parse_like_docker() {
        assert_eq!(
            parse_detach_keys(DEFAULT_DETACH_KEYS).unwrap(),
            vec![16, 17]
        );
        assert_eq!(
            parse_detach_keys("ctrl-@,ctrl-[,ctrl-_,a,ctrl-z").unwrap(),
            vec![0, 27, 31, b'a', 26]
        );
        assert_eq!(parse_detach_keys("").unwrap(), Vec::<u8>::new());
        for bad in ["foo", "ctrl-1", "ctrl-", "ctrl-A", ",", "a,,b"] {
            let e = parse_detach_keys(bad).unwrap_err().to_string();
            assert!(e.contains("Unknown character"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_sequence_detaches_and_partial_ones_pass_through() {
        let mut m = DetachMatcher::new(vec![16, 17]);
        assert_eq!(m.feed(b"ab"), (b"ab".to_vec(), false));
        assert_eq!(m.feed(&[16]), (Vec::new(), false));
        assert_eq!(m.feed(b"x"), (vec![16, b'x'], false));
        assert_eq!(m.feed(&[16, 16, 17, b'y']), (vec![16], true));
        assert_eq!(m.feed(&[b'z', 16]), (b"z".to_vec(), false));
        assert_eq!(m.feed(&[17]), (Vec::new(), true));
        let mut none = DetachMatcher::new(Vec::new());
        assert_eq!(none.feed(&[16, 17]), (vec![16, 17], false));
        let mut one = DetachMatcher::new(vec![b'q']);
        assert_eq!(one.feed(b"aqb"), (b"a".to_vec(), true));
    }
}
