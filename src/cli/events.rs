//! `rl events`: print the event log, filtered, and follow it until interrupted.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use serde_json::{Value, json};

use crate::config::Paths;
use crate::error::{Error, Result};
use crate::events::{Event, Follower};
use crate::format::Format;
use crate::format::time::{now_nanos, parse_since, rfc3339_nanos};
use crate::image::reference::{Parsed, Reference};

/// How often the log is looked at while following.
const POLL: Duration = Duration::from_millis(100);

/// Show rl events
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Show only matching events: event=ACTION (or status=), container=ID|NAME, image=NAME|ID,
    /// type=container|image|volume|network, volume=NAME, network=ID|NAME, label=KEY[=VALUE].
    /// The same key repeated matches any of its values; different keys must all match
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Show events from this time on: RFC 3339, Unix seconds, or a duration back from now (10m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Show events up to this time, then exit (same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Keep printing new events until interrupted (--stream=false prints the log and exits)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub stream: bool,
    /// Output format: json (one object per line) or a Go template ({{.Status}} {{.Name}})
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not truncate the output (ids are always printed whole)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub no_trunc: bool,
}

/// `rl events`.
pub fn events(a: &EventsArgs) -> Result<()> {
    let opts = Options::from_args(a, now_nanos())?;
    let paths = Paths::from_env()?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    show(&paths, &opts, &mut out, &mut |d| {
        reader_gone(io::stdout().as_fd(), d)
    })
}

/// Wait up to `d` on standard output; true when its reader has gone (a closed pipe reports an
/// error at once, so `rl events | head -1` ends without waiting for the next event).
fn reader_gone(fd: BorrowedFd<'_>, d: Duration) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::empty())];
    let timeout = PollTimeout::try_from(d).unwrap_or(PollTimeout::MAX);
    // With no events asked for, only POLLERR, POLLHUP and POLLNVAL can be reported.
    matches!(poll(&mut fds, timeout), Ok(n) if n > 0)
}

/// The parsed arguments.
#[derive(Debug)]
struct Options {
    filters: Filters,
    since: Option<i64>,
    until: Option<i64>,
    stream: bool,
    format: Format,
}

impl Options {
    fn from_args(a: &EventsArgs, now: i64) -> Result<Options> {
        let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>> {
            v.as_deref()
                .map(|s| {
                    parse_since(s, now).ok_or_else(|| {
                        Error::Usage(format!(
                            "invalid --{flag} {s:?}: want an RFC 3339 time, Unix seconds or a \
                             duration such as 10m"
                        ))
                    })
                })
                .transpose()
        };
        Ok(Options {
            filters: Filters::parse(&a.filter)?,
            since: time("since", &a.since)?,
            until: time("until", &a.until)?,
            stream: a.stream,
            format: Format::parse(a.format.as_deref())?,
        })
    }

    fn wants(&self, ev: &Event) -> bool {
        self.since.is_none_or(|s| ev.time >= s)
            && self.until.is_none_or(|u| ev.time <= u)
            && self.filters.matches(ev)
    }
}

/// Print the matching events of the log, then (when streaming) follow it until `--until`;
/// `wait` pauses between looks at the log and says whether the reader has gone.
fn show(
    paths: &Paths,
    o: &Options,
    out: &mut dyn Write,
    wait: &mut dyn FnMut(Duration) -> bool,
) -> Result<()> {
    let (past, mut follower) = Follower::open(paths);
    if !emit(o, &past, out)? || !o.stream {
        return Ok(());
    }
    loop {
        let mut pause = POLL;
        if let Some(until) = o.until {
            let left = until.saturating_sub(now_nanos());
            if left < 0 {
                return Ok(());
            }
            pause = pause.min(Duration::from_nanos(left.unsigned_abs()));
        }
        if wait(pause) {
            return Ok(());
        }
        if !emit(o, &follower.poll(), out)? {
            return Ok(());
        }
    }
}

/// Print the wanted events; false when the reader has gone (EPIPE).
fn emit(o: &Options, events: &[Event], out: &mut dyn Write) -> Result<bool> {
    for ev in events.iter().filter(|e| o.wants(e)) {
        let mut text = match &o.format {
            Format::Human => human_line(ev),
            Format::Json => serde_json::to_string(&json_value(ev))
                .map_err(|e| Error::Msg(format!("encode output: {e}")))?,
            Format::Template(t) => t.execute(&json_value(ev))?,
        };
        if !text.ends_with('\n') {
            text.push('\n');
        }
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(false),
            Err(e) => return Err(Error::io("write output", e)),
        }
    }
    Ok(true)
}

/// The attributes as printed: the event's own, with its image and name.
fn attributes(ev: &Event) -> BTreeMap<String, String> {
    let mut a = ev.attributes.clone();
    if !ev.image.is_empty() {
        a.insert("image".into(), ev.image.clone());
    }
    if !ev.name.is_empty() {
        a.insert("name".into(), ev.name.clone());
    }
    a
}

/// One event as `--format json` prints it and templates see it: podman's keys (`ID`, `Image`,
/// `Name`, `Status`, `Time`, `Type`, `Attributes`) and docker's (`status`, `id`, `from`,
/// `Action`, `Actor`, `scope`, `time`, `timeNano`).
fn json_value(ev: &Event) -> Value {
    let attrs = attributes(ev);
    json!({
        "ID": ev.id,
        "Image": ev.image,
        "Name": ev.name,
        "Status": ev.action,
        "Time": rfc3339_nanos(ev.time),
        "Type": ev.typ,
        "Attributes": attrs,
        "status": ev.action,
        "id": ev.id,
        "from": ev.image,
        "Action": ev.action,
        "Actor": { "ID": ev.id, "Attributes": attrs },
        "scope": "local",
        "time": ev.time.div_euclid(1_000_000_000),
        "timeNano": ev.time,
    })
}

/// podman's line: `2024-11-24 02:04:08.123456789 +0000 UTC container start ID (image=..., name=...)`.
/// Image events print the id and the name, volume events the name, as podman does.
fn human_line(ev: &Event) -> String {
    let head = format!("{} {} {}", go_time(ev.time), ev.typ, ev.action);
    match ev.typ.as_str() {
        "image" => {
            let name = if ev.name.is_empty() {
                &ev.image
            } else {
                &ev.name
            };
            format!("{head} {} {name}", ev.id).trim_end().to_string()
        }
        "volume" => {
            let name = if ev.name.is_empty() { &ev.id } else { &ev.name };
            format!("{head} {name}")
        }
        _ => {
            let attrs = attributes(ev);
            if attrs.is_empty() {
                format!("{head} {}", ev.id)
            } else {
                let list: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{head} {} ({})", ev.id, list.join(", "))
            }
        }
    }
}

/// Go's `time.Time.String()` of a UTC time: `2006-01-02 15:04:05.999999999 -0700 MST`, where the
/// fraction loses its trailing zeros (and its dot when it is zero).
pub(crate) fn go_time(nanos: i64) -> String {
    let s = rfc3339_nanos(nanos);
    let s = s.trim_end_matches('Z');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    format!("{}{dot}{frac} +0000 UTC", whole.replacen('T', " ", 1))
}

/// `--filter` conditions, grouped by key: an event must match one condition of every group.
#[derive(Debug, Default)]
struct Filters(BTreeMap<&'static str, Vec<Cond>>);

#[derive(Debug)]
enum Cond {
    Event(String),
    Container(String),
    Image(ImageFilter),
    Type(String),
    Volume(String),
    Network(String),
    Label(String, Option<String>),
}

/// An `image=` value with its normalized forms, as docker matches them: exactly, by full
/// normalized reference, by name alone when the filter has no tag, or by image id (prefix).
#[derive(Debug)]
struct ImageFilter {
    raw: String,
    full: Option<String>,
    name_only: Option<String>,
}

const TYPES: [&str; 4] = ["container", "image", "volume", "network"];

impl Filters {
    fn parse(args: &[String]) -> Result<Filters> {
        let mut f = Filters::default();
        for arg in args {
            let bad = |why: String| Error::Usage(format!("invalid --filter {arg:?}: {why}"));
            let (key, value) = arg
                .split_once('=')
                .ok_or_else(|| bad("want KEY=VALUE".into()))?;
            let key = key.trim().to_ascii_lowercase();
            if value.is_empty() {
                return Err(bad(format!("no value for {key}")));
            }
            let value = value.to_string();
            let (group, cond) = match key.as_str() {
                "event" | "status" => ("event", Cond::Event(value)),
                "container" => ("container", Cond::Container(value)),
                "image" => ("image", Cond::Image(ImageFilter::new(value))),
                "type" => {
                    if !TYPES.contains(&value.as_str()) {
                        return Err(bad(format!(
                            "unknown type {value} (want container, image, volume or network)"
                        )));
                    }
                    ("type", Cond::Type(value))
                }
                "volume" => ("volume", Cond::Volume(value)),
                "network" => ("network", Cond::Network(value)),
                "label" => {
                    let (k, v) = match value.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (value, None),
                    };
                    if k.is_empty() {
                        return Err(bad("no label key".into()));
                    }
                    ("label", Cond::Label(k, v))
                }
                _ => {
                    return Err(bad(format!(
                        "unknown key {key} (want event, container, image, type, volume, \
                         network or label)"
                    )));
                }
            };
            f.0.entry(group).or_default().push(cond);
        }
        Ok(f)
    }

    fn matches(&self, ev: &Event) -> bool {
        self.0.values().all(|any| any.iter().any(|c| c.matches(ev)))
    }
}

impl Cond {
    fn matches(&self, ev: &Event) -> bool {
        let id_or_prefix = |v: &str| ev.id == v || ev.id.starts_with(v);
        match self {
            Cond::Event(v) => {
                ev.action == *v || ev.action.split_once(':').is_some_and(|(a, _)| a == v)
            }
            Cond::Container(v) => ev.typ == "container" && (id_or_prefix(v) || ev.name == *v),
            Cond::Image(f) => f.matches(ev),
            Cond::Type(v) => ev.typ == *v,
            Cond::Volume(v) => ev.typ == "volume" && (ev.id == *v || ev.name == *v),
            Cond::Network(v) => ev.typ == "network" && (id_or_prefix(v) || ev.name == *v),
            Cond::Label(k, v) => ev
                .attributes
                .get(k)
                .is_some_and(|have| v.as_ref().is_none_or(|want| want == have)),
        }
    }
}

impl ImageFilter {
    fn new(raw: String) -> ImageFilter {
        let untagged = match Reference::parse(&raw) {
            Ok(Parsed::Qualified(r)) => r.tag().is_none() && r.digest().is_none(),
            Ok(Parsed::Short(s)) => s.tag().is_none() && s.digest().is_none(),
            Err(_) => false,
        };
        let norm = Reference::parse_normalized(&raw).ok();
        ImageFilter {
            full: norm.as_ref().map(Reference::to_string),
            name_only: norm.filter(|_| untagged).map(|r| r.name()),
            raw,
        }
    }

    fn names(&self, candidate: &str) -> bool {
        if candidate.is_empty() {
            return false;
        }
        if candidate == self.raw {
            return true;
        }
        let Ok(c) = Reference::parse_normalized(candidate) else {
            return false;
        };
        self.full.as_deref() == Some(c.to_string().as_str())
            || self.name_only.as_deref() == Some(c.name().as_str())
    }

    fn matches(&self, ev: &Event) -> bool {
        if self.names(&ev.image) {
            return true;
        }
        if ev.typ != "image" {
            return false;
        }
        let hex = |s: &str| s.strip_prefix("sha256:").unwrap_or(s).to_string();
        let (id, want) = (hex(&ev.id), hex(&self.raw));
        self.names(&ev.name)
            || ev.id == self.raw
            || (!want.is_empty()
                && want.bytes().all(|b| b.is_ascii_hexdigit())
                && id.starts_with(&want))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::record;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        a: EventsArgs,
    }

    fn args(v: &[&str]) -> EventsArgs {
        Cmd::try_parse_from(std::iter::once("events").chain(v.iter().copied()))
            .unwrap()
            .a
    }

    fn opts(v: &[&str]) -> Result<Options> {
        Options::from_args(&args(v), now_nanos())
    }

    fn paths(t: &tempfile::TempDir) -> Paths {
        Paths {
            data: t.path().join("data"),
            runtime: t.path().join("run"),
            config: t.path().join("config"),
        }
    }

    const T0: i64 = 1_732_413_848_123_456_789; // 2024-11-24T02:04:08.123456789Z

    fn ctr(action: &str, id: &str, name: &str, t: i64) -> Event {
        let mut e = Event::new("container", action, id)
            .name(name)
            .image("docker.io/library/busybox:latest");
        e.time = t;
        e
    }

    fn sample() -> Vec<Event> {
        let mut img = Event::new("image", "pull", "sha256:9d5226e6ce3f")
            .name("docker.io/library/alpine:3.20");
        img.time = T0 + 1;
        let mut vol = Event::new("volume", "create", "data").name("data");
        vol.time = T0 + 2;
        let mut net = Event::new("network", "create", "4f2a9c").name("backend");
        net.time = T0 + 3;
        vec![
            ctr("create", "2f0e5c6d8a1b", "festive_bell", T0).attr("app", "web"),
            img,
            vol,
            net,
            ctr("start", "2f0e5c6d8a1b", "festive_bell", T0 + 4).attr("app", "web"),
            ctr("start", "77aa00ff", "other", T0 + 5).attr("app", "db"),
            ctr("died", "77aa00ff", "other", T0 + 6).attr("exitCode", "0"),
        ]
    }

    /// The ids (and actions) of the sample events that pass these arguments.
    fn picked(v: &[&str]) -> Vec<String> {
        let o = opts(v).unwrap();
        sample()
            .iter()
            .filter(|e| o.wants(e))
            .map(|e| format!("{}:{}", e.action, e.id))
            .collect()
    }

    fn run(p: &Paths, v: &[&str]) -> String {
        let mut out = Vec::new();
        show(p, &opts(v).unwrap(), &mut out, &mut sleep).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn sleep(d: Duration) -> bool {
        std::thread::sleep(d);
        false
    }

    fn usage(v: &[&str]) -> String {
        match opts(v) {
            Err(Error::Usage(m)) => m,
            other => panic!("want a usage error, got {other:?}"),
        }
    }

    #[test]
    fn human_lines() {
        let ev = ctr("start", "2f0e5c6d8a1b", "festive_bell", T0).attr("app", "web");
        assert_eq!(
            human_line(&ev),
            "2024-11-24 02:04:08.123456789 +0000 UTC container start 2f0e5c6d8a1b \
             (app=web, image=docker.io/library/busybox:latest, name=festive_bell)"
        );
        let s = sample();
        assert_eq!(
            human_line(&s[1]),
            "2024-11-24 02:04:08.12345679 +0000 UTC image pull sha256:9d5226e6ce3f \
             docker.io/library/alpine:3.20"
        );
        assert_eq!(
            human_line(&s[2]),
            "2024-11-24 02:04:08.123456791 +0000 UTC volume create data"
        );
        assert_eq!(
            human_line(&s[3]),
            "2024-11-24 02:04:08.123456792 +0000 UTC network create 4f2a9c (name=backend)"
        );
        assert_eq!(
            go_time(1_732_413_848_000_000_000),
            "2024-11-24 02:04:08 +0000 UTC"
        );
        assert_eq!(
            go_time(1_732_413_848_100_000_000),
            "2024-11-24 02:04:08.1 +0000 UTC"
        );
    }

    #[test]
    fn json_object() {
        let ev = ctr("start", "2f0e5c6d8a1b", "festive_bell", T0).attr("app", "web");
        let v = json_value(&ev);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "ID",
                "Image",
                "Name",
                "Status",
                "Time",
                "Type",
                "Attributes",
                "status",
                "id",
                "from",
                "Action",
                "Actor",
                "scope",
                "time",
                "timeNano"
            ]
        );
        let attrs = json!({"app": "web", "image": "docker.io/library/busybox:latest", "name": "festive_bell"});
        assert_eq!(
            v,
            json!({
                "ID": "2f0e5c6d8a1b",
                "Image": "docker.io/library/busybox:latest",
                "Name": "festive_bell",
                "Status": "start",
                "Time": "2024-11-24T02:04:08.123456789Z",
                "Type": "container",
                "Attributes": attrs,
                "status": "start",
                "id": "2f0e5c6d8a1b",
                "from": "docker.io/library/busybox:latest",
                "Action": "start",
                "Actor": {"ID": "2f0e5c6d8a1b", "Attributes": attrs},
                "scope": "local",
                "time": 1_732_413_848,
                "timeNano": T0,
            })
        );
    }

    #[test]
    fn output_shapes_through_show() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        for e in sample() {
            record(&p, &e);
        }
        let human = run(&p, &["--stream=false", "--filter", "type=container"]);
        let lines: Vec<&str> = human.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1], human_line(&sample()[4]));

        let json = run(&p, &["--stream=false", "--format", "json"]);
        let lines: Vec<&str> = json.lines().collect();
        assert_eq!(lines.len(), 7, "one object per line: {json}");
        for (l, e) in lines.iter().zip(sample()) {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v, json_value(&e));
        }

        let tpl = run(
            &p,
            &[
                "--stream=false",
                "-f",
                "type=container",
                "--format",
                "{{.Status}} {{.Name}}",
            ],
        );
        assert_eq!(
            tpl,
            "create festive_bell\nstart festive_bell\nstart other\ndied other\n"
        );
        let docker = run(
            &p,
            &[
                "--stream=false",
                "-f",
                "container=other",
                "--format",
                "{{.Action}} {{.Actor.Attributes.name}} {{.time}}",
            ],
        );
        assert_eq!(docker, "start other 1732413848\ndied other 1732413848\n");
        let whole = run(
            &p,
            &[
                "--stream=false",
                "-f",
                "event=died",
                "--format",
                "{{json .}}",
            ],
        );
        assert_eq!(
            serde_json::from_str::<Value>(whole.trim_end()).unwrap(),
            json_value(&sample()[6])
        );
    }

    #[test]
    fn filters_by_every_key() {
        let all = picked(&[]);
        assert_eq!(all.len(), 7);
        assert_eq!(
            picked(&["-f", "event=start"]),
            ["start:2f0e5c6d8a1b", "start:77aa00ff"]
        );
        assert_eq!(picked(&["-f", "status=died"]), ["died:77aa00ff"]);
        // container: full id, id prefix, name; never another type's object.
        let mine = ["create:2f0e5c6d8a1b", "start:2f0e5c6d8a1b"];
        assert_eq!(picked(&["-f", "container=2f0e5c6d8a1b"]), mine);
        assert_eq!(picked(&["-f", "container=2f0e"]), mine);
        assert_eq!(picked(&["-f", "container=festive_bell"]), mine);
        assert!(picked(&["-f", "container=data"]).is_empty());
        // image: short name, full name, name without tag, image id prefix.
        let busybox = picked(&["-f", "image=busybox"]);
        assert_eq!(busybox.len(), 4);
        assert_eq!(
            picked(&["-f", "image=docker.io/library/busybox:latest"]),
            busybox
        );
        assert_eq!(picked(&["-f", "image=busybox:latest"]), busybox);
        assert!(picked(&["-f", "image=busybox:1.36"]).is_empty());
        assert_eq!(
            picked(&["-f", "image=alpine:3.20"]),
            ["pull:sha256:9d5226e6ce3f"]
        );
        assert_eq!(
            picked(&["-f", "image=alpine"]),
            ["pull:sha256:9d5226e6ce3f"]
        );
        assert_eq!(
            picked(&["-f", "image=9d5226"]),
            ["pull:sha256:9d5226e6ce3f"]
        );
        assert!(picked(&["-f", "image=alpine:3.19"]).is_empty());
        assert_eq!(picked(&["-f", "type=volume"]), ["create:data"]);
        assert_eq!(picked(&["-f", "volume=data"]), ["create:data"]);
        assert!(picked(&["-f", "volume=other"]).is_empty());
        assert_eq!(picked(&["-f", "network=backend"]), ["create:4f2a9c"]);
        assert_eq!(picked(&["-f", "network=4f2a"]), ["create:4f2a9c"]);
        assert_eq!(
            picked(&["-f", "label=app"]),
            [
                "create:2f0e5c6d8a1b",
                "start:2f0e5c6d8a1b",
                "start:77aa00ff"
            ]
        );
        assert_eq!(picked(&["-f", "label=app=db"]), ["start:77aa00ff"]);
        assert_eq!(picked(&["-f", "label=exitCode=0"]), ["died:77aa00ff"]);
    }

    #[test]
    fn same_key_is_or_different_keys_are_and() {
        assert_eq!(
            picked(&["-f", "event=create", "-f", "event=died"]),
            [
                "create:2f0e5c6d8a1b",
                "create:data",
                "create:4f2a9c",
                "died:77aa00ff"
            ]
        );
        assert_eq!(
            picked(&["-f", "event=create", "-f", "type=volume"]),
            ["create:data"]
        );
        assert_eq!(
            picked(&[
                "-f",
                "event=create",
                "-f",
                "event=start",
                "-f",
                "container=other"
            ]),
            ["start:77aa00ff"]
        );
        assert_eq!(
            picked(&["-f", "type=volume", "-f", "type=network"]),
            ["create:data", "create:4f2a9c"]
        );
        // event and status are one key.
        assert_eq!(
            picked(&["-f", "event=died", "-f", "status=pull"]),
            ["pull:sha256:9d5226e6ce3f", "died:77aa00ff"]
        );
    }

    #[test]
    fn bad_filters_and_times_are_usage_errors() {
        assert_eq!(
            usage(&["-f", "foo=bar"]),
            "invalid --filter \"foo=bar\": unknown key foo (want event, container, image, type, \
             volume, network or label)"
        );
        assert_eq!(
            usage(&["-f", "event"]),
            "invalid --filter \"event\": want KEY=VALUE"
        );
        assert_eq!(
            usage(&["-f", "container="]),
            "invalid --filter \"container=\": no value for container"
        );
        assert_eq!(
            usage(&["-f", "type=pod"]),
            "invalid --filter \"type=pod\": unknown type pod (want container, image, volume or \
             network)"
        );
        assert_eq!(
            usage(&["-f", "label==x"]),
            "invalid --filter \"label==x\": no label key"
        );
        assert_eq!(
            usage(&["--since", "yesterday"]),
            "invalid --since \"yesterday\": want an RFC 3339 time, Unix seconds or a duration \
             such as 10m"
        );
        assert!(usage(&["--until", "soon"]).starts_with("invalid --until \"soon\""));
    }

    #[test]
    fn since_and_until() {
        // T0 + 4 is ...08.123456793Z.
        assert_eq!(
            picked(&["--since", "2024-11-24T02:04:08.123456793Z"]),
            ["start:2f0e5c6d8a1b", "start:77aa00ff", "died:77aa00ff"]
        );
        assert_eq!(
            picked(&["--until", "2024-11-24T02:04:08.123456790Z"]),
            ["create:2f0e5c6d8a1b", "pull:sha256:9d5226e6ce3f"]
        );
        assert_eq!(
            picked(&[
                "--since",
                "2024-11-24T02:04:08.123456791Z",
                "--until",
                "2024-11-24T02:04:08.123456792Z"
            ]),
            ["create:data", "create:4f2a9c"]
        );
        assert_eq!(picked(&["--since", "1732413849"]), Vec::<String>::new());
        assert_eq!(picked(&["--until", "2024-11-23"]), Vec::<String>::new());
        assert_eq!(picked(&["--since", "1h"]), Vec::<String>::new());
        assert_eq!(picked(&["--since", "2024-11-24"]).len(), 7);
    }

    #[test]
    fn until_in_the_past_or_no_stream_exits() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        for e in sample() {
            record(&p, &e);
        }
        let started = std::time::Instant::now();
        // Streaming by default, but --until has passed: prints and returns.
        let out = run(&p, &["--until", "2024-11-24T02:04:08.123456790Z"]);
        assert_eq!(out.lines().count(), 2);
        // --stream=false prints what is there and returns.
        assert_eq!(run(&p, &["--stream=false"]).lines().count(), 7);
        assert_eq!(
            run(&p, &["--stream=false", "-f", "type=image"])
                .lines()
                .count(),
            1
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        // Nothing logged at all.
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(run(&paths(&empty), &["--stream=false"]), "");
    }

    #[test]
    fn follow_prints_events_appended_by_another_writer() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        record(&p, &ctr("create", "abc123", "early", now_nanos()));
        let until = rfc3339_nanos(now_nanos() + 1_500_000_000);
        let started = std::time::Instant::now();
        let out = std::thread::scope(|s| {
            let writer = s.spawn(|| {
                std::thread::sleep(Duration::from_millis(300));
                record(&p, &ctr("start", "abc123", "early", now_nanos()));
                record(&p, &Event::new("volume", "create", "v1").name("v1"));
                record(&p, &ctr("died", "abc123", "early", now_nanos()));
            });
            let out = run(
                &p,
                &[
                    "--until",
                    &until,
                    "-f",
                    "type=container",
                    "--format",
                    "{{.Status}}",
                ],
            );
            writer.join().unwrap();
            out
        });
        assert_eq!(out, "create\nstart\ndied\n");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(1200) && took < Duration::from_secs(5),
            "followed until --until: {took:?}"
        );
    }

    #[test]
    fn follow_ends_quietly_on_a_closed_pipe() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        record(&p, &ctr("create", "abc123", "x", now_nanos()));
        // Streaming with no --until: only the closed pipe can end it.
        let o = opts(&[]).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(show(&p, &o, &mut Closed, &mut sleep).is_ok());
            drop(t);
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(true));
    }

    #[test]
    fn a_closed_pipe_is_noticed_while_idle() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let started = std::time::Instant::now();
        assert!(!reader_gone(w.as_fd(), Duration::from_millis(50)));
        assert!(started.elapsed() >= Duration::from_millis(50));
        drop(r);
        let started = std::time::Instant::now();
        assert!(reader_gone(w.as_fd(), Duration::from_secs(5)));
        assert!(started.elapsed() < Duration::from_secs(1));
        // Following ends when the wait reports the reader gone, with nothing to print.
        let t = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        show(&paths(&t), &opts(&[]).unwrap(), &mut out, &mut |_| true).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn flags_parse() {
        use clap::CommandFactory;
        Cmd::command().debug_assert();
        let a = args(&[]);
        assert!(a.stream && a.no_trunc && a.filter.is_empty());
        let a = args(&["--stream=false", "--no-trunc", "-f", "a=b", "--filter=c=d"]);
        assert!(!a.stream);
        assert_eq!(a.filter, ["a=b", "c=d"]);
        assert!(matches!(
            opts(&["--format", "json"]).unwrap().format,
            Format::Json
        ));
    }
}
