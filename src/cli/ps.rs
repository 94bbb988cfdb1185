//! `rl ps` (`rl container ls`, `list`, `ps`): list containers the way podman does.
//!
//! Everything but reading the records (and, for `--size`, the upper directories) is pure: the
//! selection, the filters, the status wording and the rows are functions of the records, the
//! arguments and the current time, and are tested as such.

use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::{Value, json};

use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};
use crate::format::time::{human_duration, now_nanos, rfc3339};
use crate::format::{self, Format};

/// List containers
#[derive(Debug, clap::Args)]
pub struct PsArgs {
    /// Show all containers (default: only running and paused ones)
    #[arg(short, long)]
    pub all: bool,
    /// Print only container ids
    #[arg(short, long)]
    pub quiet: bool,
    /// Show only the container created last, whatever its state
    #[arg(short, long, conflicts_with = "last")]
    pub latest: bool,
    /// Show only the N containers created last, whatever their state (0: all)
    #[arg(short = 'n', long, value_name = "N")]
    pub last: Option<usize>,
    /// Do not truncate ids and commands
    #[arg(long)]
    pub no_trunc: bool,
    /// Show the size of each container's changes to its image (its upper directory)
    #[arg(short, long, conflicts_with = "quiet")]
    pub size: bool,
    /// Filter: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE, health=,
    /// before=CONTAINER, since=CONTAINER (shows containers of every state)
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Output format: json, or a Go template ('table {{.ID}}\t{{.Names}}\t{{.Status}}')
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Sort by: command, created (newest first), id, image, names or status
    #[arg(
        long,
        value_name = "KEY",
        default_value = "created",
        value_parser = ["command", "created", "id", "image", "names", "status"]
    )]
    pub sort: String,
    /// Do not print column headings
    #[arg(long)]
    pub noheading: bool,
}

/// `rl ps`.
pub fn ps(a: &PsArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let format = Format::parse(a.format.as_deref())?;
    let all = container::list_live(&paths);
    let filters = Filters::parse(&a.filter, &all)?;
    let selected = select(&all, a, &filters);
    if a.quiet && a.format.is_none() {
        return super::print_stdout(&quiet_lines(&selected, a.no_trunc));
    }
    // docker's rule: a template that shows the size computes it without --size.
    let want_size = a.size || a.format.as_deref().is_some_and(|f| f.contains(".Size"));
    let sizes: Vec<Option<u64>> = if want_size && !selected.is_empty() {
        // The upper directories hold files of the container's users (subordinate ids), some of
        // them private: read them from rl's user namespace, where rl may.
        super::image::enter_userns()?;
        selected
            .iter()
            .map(|r| Some(upper_size(&container::dir(&paths, &r.id).join("upper"))))
            .collect()
    } else {
        vec![None; selected.len()]
    };
    let now = now_nanos();
    let rows: Vec<Value> = selected
        .iter()
        .zip(&sizes)
        .map(|(r, s)| row(r, a.no_trunc, now, *s))
        .collect();
    let json_rows: Vec<Value> = if matches!(format, Format::Json) {
        selected
            .iter()
            .zip(&sizes)
            .map(|(r, s)| json_row(r, now, *s))
            .collect()
    } else {
        Vec::new()
    };
    let default = if a.size {
        concat!(
            "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t",
            "{{.Ports}}\t{{.Names}}\t{{.Size}}"
        )
    } else {
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
    };
    let mut text = format.render_list(&json_rows, &rows, default, &header)?;
    if a.noheading {
        text = format.without_header(text);
    }
    super::print_stdout(&text)
}

/// podman's column name for a field of a `ps` template.
fn header(field: &str) -> String {
    match field {
        "ID" | "Id" => "CONTAINER ID".into(),
        "CreatedHuman" | "RunningFor" | "Created" => "CREATED".into(),
        other => format::default_header(other),
    }
}

/// Whether a container in `state` shows without `--all`: it runs (paused and stopping ones
/// included).
fn shown_by_default(state: &str) -> bool {
    matches!(state, "running" | "paused" | "stopping")
}

/// The containers to list, in the order to list them: the default (running) or every state,
/// the filters, newest first, `--latest`/`--last`, then `--sort`.
fn select<'r>(all: &'r [Record], a: &PsArgs, filters: &Filters) -> Vec<&'r Record> {
    let every_state = a.all || a.latest || a.last.is_some() || !filters.is_empty();
    let mut v: Vec<&Record> = all
        .iter()
        .filter(|r| (every_state || shown_by_default(&r.state)) && filters.matches(r))
        .collect();
    v.sort_by(|x, y| y.created.cmp(&x.created).then_with(|| x.id.cmp(&y.id)));
    let limit = if a.latest {
        Some(1)
    } else {
        a.last.filter(|&n| n > 0)
    };
    if let Some(n) = limit {
        v.truncate(n);
    }
    // Stable: equal keys stay newest first.
    match a.sort.as_str() {
        "command" => v.sort_by_cached_key(|x| x.command.join(" ")),
        "id" => v.sort_by(|x, y| x.id.cmp(&y.id)),
        "image" => v.sort_by(|x, y| x.image_name.cmp(&y.image_name)),
        "names" => v.sort_by(|x, y| x.name.cmp(&y.name)),
        "status" => v.sort_by(|x, y| x.state.cmp(&y.state)),
        _ => {}
    }
    v
}

/// `--quiet`: one id per line.
fn quiet_lines(selected: &[&Record], no_trunc: bool) -> String {
    let mut out = String::new();
    for r in selected {
        out.push_str(if no_trunc { &r.id } else { r.short_id() });
        out.push('\n');
    }
    out
}

/// The COMMAND column: the command line joined by spaces, cut to 17 characters and "..." unless
/// `no_trunc` (podman's rule).
fn command_text(command: &[String], no_trunc: bool) -> String {
    let joined = command.join(" ");
    if no_trunc || joined.chars().count() <= 17 {
        return joined;
    }
    let mut cut: String = joined.chars().take(17).collect();
    cut.push_str("...");
    cut
}

/// Whole seconds from `from_nanos` to `now_nanos`.
fn secs_between(from_nanos: i64, now_nanos: i64) -> i64 {
    now_nanos
        .saturating_sub(from_nanos)
        .div_euclid(1_000_000_000)
}

/// The STATUS column: "Created", "Up 5 minutes", "Exited (0) 2 seconds ago", "Paused",
/// "Stopping" (docker's wording, with podman's plain "Paused").
fn status(r: &Record, now_nanos: i64) -> String {
    let created_nanos = i64::try_from(r.created)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000_000);
    match r.state.as_str() {
        "created" => "Created".into(),
        "running" => format!(
            "Up {}{}",
            human_duration(secs_between(
                r.started_at.unwrap_or(created_nanos),
                now_nanos
            )),
            r.health_status
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        ),
        "exited" | "stopped" => format!(
            "Exited ({}) {} ago",
            r.exit_code.unwrap_or(0),
            human_duration(secs_between(
                r.finished_at.or(r.started_at).unwrap_or(created_nanos),
                now_nanos
            ))
        ),
        "paused" => "Paused".into(),
        "stopping" => "Stopping".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// Seconds since the epoch of a time in nanoseconds; Go's zero time (as podman prints a time
/// that never happened) when absent.
fn unix_secs(nanos: Option<i64>) -> i64 {
    const GO_ZERO_TIME: i64 = -62_135_596_800;
    nanos.map_or(GO_ZERO_TIME, |n| n.div_euclid(1_000_000_000))
}

fn is_exited(r: &Record) -> bool {
    matches!(r.state.as_str(), "exited" | "stopped")
}

/// One row for the table and for `--format` templates, with the fields of both the docker and
/// the podman vocabularies.
fn row(r: &Record, no_trunc: bool, now_nanos: i64, size: Option<u64>) -> Value {
    let created = i64::try_from(r.created).unwrap_or(i64::MAX);
    let since_created = format!(
        "{} ago",
        human_duration(now_nanos.div_euclid(1_000_000_000) - created)
    );
    let mut v = json!({
        "ID": if no_trunc { r.id.as_str() } else { r.short_id() },
        "Id": r.id,
        "Names": r.name,
        "Image": r.image_name,
        "ImageID": r.image_id,
        "Command": command_text(&r.command, no_trunc),
        "Created": rfc3339(created),
        "CreatedAt": rfc3339(created),
        "CreatedHuman": since_created,
        "RunningFor": since_created,
        "Status": status(r, now_nanos),
        "State": r.state,
        "Ports": crate::network::spec::ps_ports(&r.ports),
        "Mounts": "",
        "Networks": "",
        "Labels": r.labels,
        "ExitCode": r.exit_code.unwrap_or(0),
        "Exited": is_exited(r),
        "ExitedAt": unix_secs(r.finished_at),
        "StartedAt": unix_secs(r.started_at),
        "Pid": if shown_by_default(&r.state) { r.pid.unwrap_or(0) } else { 0 },
        "AutoRemove": r.rm,
        "Pod": "",
        "PodName": "",
        "IsInfra": false,
    });
    if let (Some(n), Value::Object(m)) = (size, &mut v) {
        m.insert("Size".into(), Value::String(format::human_size(n)));
    }
    v
}

/// One element of `--format json`, shaped like podman's (`Created` is a time, `CreatedAt` its
/// human wording, as podman prints them).
fn json_row(r: &Record, now_nanos: i64, size: Option<u64>) -> Value {
    let created = i64::try_from(r.created).unwrap_or(i64::MAX);
    let mut v = json!({
        "AutoRemove": r.rm,
        "Command": r.command,
        "Created": rfc3339(created),
        "CreatedAt": format!("{} ago", human_duration(now_nanos.div_euclid(1_000_000_000) - created)),
        "Exited": is_exited(r),
        "ExitedAt": unix_secs(r.finished_at),
        "ExitCode": r.exit_code.unwrap_or(0),
        "Id": r.id,
        "Image": r.image_name,
        "ImageID": r.image_id,
        "IsInfra": false,
        "Labels": r.labels,
        "Mounts": [],
        "Names": [r.name],
        "Namespaces": {},
        "Networks": [],
        "Pid": if shown_by_default(&r.state) { r.pid.unwrap_or(0) } else { 0 },
        "Pod": "",
        "PodName": "",
        "Ports": r.ports.iter().map(|p| serde_json::json!({
            "host_ip": p.host_ip, "container_port": p.container_port,
            "host_port": p.host_port, "range": 1, "protocol": p.protocol,
        })).collect::<Vec<_>>(),
        "StartedAt": unix_secs(r.started_at),
        "State": r.state,
        "Status": status(r, now_nanos),
    });
    if let (Some(n), Value::Object(m)) = (size, &mut v) {
        m.insert("Size".into(), json!({ "rwSize": n }));
    }
    v
}

/// Bytes in a directory tree: every entry but directories, hard links once, symbolic links not
/// followed; what cannot be read counts as nothing.
pub(crate) fn upper_size(dir: &Path) -> u64 {
    let mut total = 0u64;
    let mut seen = HashSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.nlink() < 2 || seen.insert((m.dev(), m.ino())) {
                total = total.saturating_add(m.len());
            }
        }
    }
    total
}

/// The keys `--filter` takes.
const FILTER_KEYS: &[&str] = &[
    "ancestor", "before", "exited", "health", "id", "label", "name", "since", "status",
];

/// The states `--filter status=` takes (docker's and podman's; some never occur in rl).
const STATUSES: &[&str] = &[
    "created",
    "running",
    "paused",
    "exited",
    "stopped",
    "stopping",
    "restarting",
    "removing",
    "dead",
    "unknown",
];

/// Parsed `--filter`s: values by key. Values of one key are alternatives (any may match), except
/// `label`, where every value must match (as docker and podman do); different keys must all
/// match.
#[derive(Debug, Default)]
struct Filters {
    by_key: BTreeMap<&'static str, Vec<String>>,
    /// `before=` as the creation times of the containers named.
    before: Vec<u64>,
    /// `since=` likewise.
    since: Vec<u64>,
}

impl Filters {
    /// Parse and check `--filter` values; `before=`/`since=` are looked up in `all`.
    fn parse(args: &[String], all: &[Record]) -> Result<Filters> {
        let mut f = Filters::default();
        for arg in args {
            let (k, v) = arg.split_once('=').ok_or_else(|| {
                Error::Usage(format!("invalid --filter \"{arg}\": expected KEY=VALUE"))
            })?;
            let Some(&key) = FILTER_KEYS.iter().find(|&&x| x == k) else {
                return Err(Error::Usage(format!(
                    "invalid --filter \"{arg}\": unknown key {k} ({})",
                    FILTER_KEYS.join(", ")
                )));
            };
            let bad = |why: &str| Error::Usage(format!("invalid --filter \"{arg}\": {why}"));
            match key {
                "status" if !STATUSES.contains(&v) => {
                    return Err(bad(&format!("status is one of {}", STATUSES.join(", "))));
                }
                "exited" if v.parse::<i32>().is_err() => {
                    return Err(bad("exited takes an exit code"));
                }
                "health" if !matches!(v, "healthy" | "unhealthy" | "starting" | "none") => {
                    return Err(bad("health is one of healthy, unhealthy, starting, none"));
                }
                "label" | "id" | "name" | "ancestor" if v.is_empty() => {
                    return Err(bad(&format!("{key} takes a value")));
                }
                "before" => f.before.push(find(all, v)?.created),
                "since" => f.since.push(find(all, v)?.created),
                _ => {}
            }
            f.by_key.entry(key).or_default().push(v.to_string());
        }
        Ok(f)
    }

    fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether a container passes every filter.
    fn matches(&self, r: &Record) -> bool {
        self.by_key.iter().all(|(&key, values)| match key {
            "label" => values.iter().all(|v| label_matches(&r.labels, v)),
            "before" => self.before.iter().any(|&t| r.created < t),
            "since" => self.since.iter().any(|&t| r.created > t),
            _ => values.iter().any(|v| one_matches(key, v, r)),
        })
    }
}

/// One value of a filter other than `label`, `before`, `since`.
fn one_matches(key: &str, v: &str, r: &Record) -> bool {
    match key {
        "status" => r.state == if v == "stopped" { "exited" } else { v },
        "name" => name_matches(&r.name, v),
        "id" => r.id.starts_with(v),
        "ancestor" => ancestor_matches(r, v),
        "exited" => is_exited(r) && v.parse::<i32>().ok() == Some(r.exit_code.unwrap_or(0)),
        "health" => r.health_status.as_deref().unwrap_or("none") == v,
        _ => false,
    }
}

/// `name=`: the name contains the value; `^` and `$` anchor it as in the regular expressions
/// docker takes (other regular expression syntax is taken literally).
pub(crate) fn name_matches(name: &str, pat: &str) -> bool {
    let (start, rest) = match pat.strip_prefix('^') {
        Some(r) => (true, r),
        None => (false, pat),
    };
    let (end, lit) = match rest.strip_suffix('$') {
        Some(l) => (true, l),
        None => (false, rest),
    };
    match (start, end) {
        (true, true) => name == lit,
        (true, false) => name.starts_with(lit),
        (false, true) => name.ends_with(lit),
        (false, false) => name.contains(lit),
    }
}

/// `label=KEY` or `label=KEY=VALUE` against a set of labels (containers, images, volumes,
/// networks).
pub(crate) fn label_matches(labels: &std::collections::BTreeMap<String, String>, v: &str) -> bool {
    match v.split_once('=') {
        Some((k, val)) => labels.get(k).is_some_and(|x| x == val),
        None => labels.contains_key(v),
    }
}

/// An image reference split into its name, tag and digest (`docker.io/x/y:1@sha256:...`).
fn split_ref(s: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    match rest.rfind(':') {
        Some(p) if !rest[p..].contains('/') => (&rest[..p], Some(&rest[p + 1..]), digest),
        _ => (rest, None, digest),
    }
}

/// `ancestor=`: the image the container was created from, by the name it was given (one name
/// may be a shorter form of the other: `alpine`, `library/alpine`, `docker.io/library/alpine`;
/// a name without tag matches every tag, a missing tag in the record is `latest`) or by an id
/// prefix.
fn ancestor_matches(r: &Record, v: &str) -> bool {
    let hex = v.strip_prefix("sha256:").unwrap_or(v);
    if !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit()) && r.image_id.starts_with(hex)
    {
        return true;
    }
    let (fname, ftag, fdigest) = split_ref(v);
    let (rname, rtag, rdigest) = split_ref(&r.image_name);
    let same_name = fname == rname
        || rname.ends_with(&format!("/{fname}"))
        || fname.ends_with(&format!("/{rname}"));
    let tag_ok = match ftag {
        None => true,
        Some(t) => rtag.unwrap_or(if rdigest.is_some() { "" } else { "latest" }) == t,
    };
    let digest_ok = fdigest.is_none() || fdigest == rdigest;
    same_name && tag_ok && digest_ok
}

/// The container a `before=`/`since=` filter names: by name, full id, or unique id prefix.
fn find<'r>(all: &'r [Record], what: &str) -> Result<&'r Record> {
    if let Some(r) = all.iter().find(|r| r.name == what || r.id == what) {
        return Ok(r);
    }
    let hits: Vec<&Record> = all.iter().filter(|r| r.id.starts_with(what)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::Msg(format!(
            "no container with name or ID \"{what}\" found"
        ))),
        _ => Err(Error::Msg(format!(
            "\"{what}\" is ambiguous: {} containers match",
            hits.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        ps: PsArgs,
    }

    fn parse(args: &[&str]) -> std::result::Result<PsArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("ps").chain(args.iter().copied())).map(|c| c.ps)
    }

    const NOW: i64 = 1_700_000_000_000_000_000;
    const NOW_S: u64 = 1_700_000_000;
    const SEC: i64 = 1_000_000_000;

    fn rec(name: &str, state: &str, created_ago: u64) -> Record {
        let hex: String = name
            .bytes()
            .map(|b| format!("{:02x}", b))
            .collect::<String>();
        let id = format!("{hex:0<64}");
        Record {
            id,
            name: name.into(),
            image_id: "ab".repeat(32),
            image_name: "docker.io/library/alpine:3.19".into(),
            created: NOW_S - created_ago,
            state: state.into(),
            command: vec!["sleep".into(), "1000".into()],
            ..Record::default()
        }
    }

    fn args(list: &[&str]) -> PsArgs {
        parse(list).unwrap()
    }

    fn names(v: &[&Record]) -> Vec<String> {
        v.iter().map(|r| r.name.clone()).collect()
    }

    #[test]
    fn definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn arguments() {
        let a = args(&[]);
        assert!(!a.all && !a.quiet && !a.latest && !a.no_trunc && !a.size && !a.noheading);
        assert_eq!(a.last, None);
        assert_eq!(a.sort, "created");
        assert!(a.filter.is_empty() && a.format.is_none());
        let a = args(&[
            "-a",
            "-q",
            "--no-trunc",
            "-f",
            "status=exited",
            "--filter=name=web",
            "--format",
            "{{.ID}}",
            "--sort",
            "names",
            "--noheading",
        ]);
        assert!(a.all && a.quiet && a.no_trunc && a.noheading);
        assert_eq!(a.filter, ["status=exited", "name=web"]);
        assert_eq!(a.format.as_deref(), Some("{{.ID}}"));
        assert_eq!(a.sort, "names");
        let a = args(&["-n", "3", "-s"]);
        assert_eq!(a.last, Some(3));
        assert!(a.size);
        let a = args(&["--last=2", "--all", "--quiet"]);
        assert_eq!(a.last, Some(2));
        assert!(a.all && a.quiet);
        assert!(args(&["-l"]).latest && args(&["--latest"]).latest);
        assert!(parse(&["-l", "-n", "2"]).is_err());
        assert!(parse(&["-q", "-s"]).is_err());
        assert!(parse(&["--sort", "size"]).is_err());
        assert!(parse(&["-n", "x"]).is_err());
        assert!(parse(&["web"]).is_err());
    }

    #[test]
    fn commands_are_cut_at_17_characters() {
        let c = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(command_text(&c("sleep 1000"), false), "sleep 1000");
        assert_eq!(
            command_text(&c("abcdefgh ijklmnop"), false),
            "abcdefgh ijklmnop"
        );
        assert_eq!(
            command_text(&c("abcdefgh ijklmnopq"), false),
            "abcdefgh ijklmnop..."
        );
        assert_eq!(
            command_text(&c("abcdefgh ijklmnopq"), true),
            "abcdefgh ijklmnopq"
        );
        // Characters, not bytes: never a cut inside one.
        assert_eq!(
            command_text(&c("échoéchoéchoéchoé x"), false),
            "échoéchoéchoéchoé..."
        );
        assert_eq!(command_text(&[], false), "");
    }

    #[test]
    fn status_wording() {
        let mut r = rec("a", "created", 10);
        assert_eq!(status(&r, NOW), "Created");
        r.state = "running".into();
        r.started_at = Some(NOW - 5 * 60 * SEC - 3);
        assert_eq!(status(&r, NOW), "Up 5 minutes");
        r.started_at = Some(NOW - SEC / 2);
        assert_eq!(status(&r, NOW), "Up Less than a second");
        r.started_at = None;
        assert_eq!(status(&r, NOW), "Up 10 seconds");
        r.state = "exited".into();
        r.exit_code = Some(137);
        r.finished_at = Some(NOW - 2 * SEC);
        assert_eq!(status(&r, NOW), "Exited (137) 2 seconds ago");
        r.finished_at = Some(NOW - 3 * 3600 * SEC);
        r.exit_code = None;
        assert_eq!(status(&r, NOW), "Exited (0) 3 hours ago");
        r.state = "paused".into();
        assert_eq!(status(&r, NOW), "Paused");
        r.state = "stopping".into();
        assert_eq!(status(&r, NOW), "Stopping");
        r.state = "removing".into();
        assert_eq!(status(&r, NOW), "Removing");
    }

    #[test]
    fn rows_for_tables_and_templates() {
        let mut r = rec("web", "running", 120);
        r.command = vec![
            "sh".into(),
            "-c".into(),
            "while true; do sleep 1; done".into(),
        ];
        r.started_at = Some(NOW - 90 * SEC);
        r.pid = Some(42);
        r.labels.insert("app".into(), "x".into());
        let v = row(&r, false, NOW, None);
        assert_eq!(v["ID"], r.id[..12]);
        assert_eq!(v["Id"], r.id);
        assert_eq!(v["Names"], "web");
        assert_eq!(v["Image"], "docker.io/library/alpine:3.19");
        assert_eq!(v["Command"], "sh -c while true;...");
        assert_eq!(v["CreatedHuman"], "2 minutes ago");
        assert_eq!(v["RunningFor"], "2 minutes ago");
        assert_eq!(v["CreatedAt"], rfc3339(1_700_000_000 - 120));
        assert_eq!(v["Status"], "Up About a minute");
        assert_eq!(v["State"], "running");
        assert_eq!(v["Ports"], "");
        assert_eq!(v["Labels"]["app"], "x");
        assert_eq!(v["Pid"], 42);
        assert_eq!(v["StartedAt"], 1_700_000_000 - 90);
        assert_eq!(v["ExitedAt"], -62_135_596_800_i64);
        assert!(v.get("Size").is_none());
        let v = row(&r, true, NOW, Some(1_500));
        assert_eq!(v["ID"], r.id);
        assert_eq!(v["Command"], "sh -c while true; do sleep 1; done");
        assert_eq!(v["Size"], "1.5kB");
        // A stopped container has no pid, even if the record still holds one.
        r.state = "exited".into();
        r.exit_code = Some(3);
        r.finished_at = Some(NOW - 10 * SEC);
        let v = row(&r, false, NOW, None);
        assert_eq!(v["Pid"], 0);
        assert_eq!(v["Exited"], true);
        assert_eq!(v["ExitCode"], 3);
        assert_eq!(v["ExitedAt"], 1_700_000_000 - 10);
    }

    #[test]
    fn json_like_podman() {
        let mut r = rec("db", "exited", 7200);
        r.exit_code = Some(1);
        r.rm = true;
        let v = json_row(&r, NOW, None);
        assert_eq!(v["Id"], r.id);
        assert_eq!(v["Names"], json!(["db"]));
        assert_eq!(v["Command"], json!(["sleep", "1000"]));
        assert_eq!(v["Created"], rfc3339(1_700_000_000 - 7200));
        assert_eq!(v["CreatedAt"], "2 hours ago");
        assert_eq!(v["Exited"], true);
        assert_eq!(v["ExitCode"], 1);
        assert_eq!(v["AutoRemove"], true);
        assert_eq!(v["Ports"], json!([]));
        assert_eq!(v["Labels"], json!({}));
        assert_eq!(v["State"], "exited");
        assert!(v["Status"].as_str().unwrap().starts_with("Exited (1) "));
        assert!(v.get("Size").is_none());
        let v = json_row(&r, NOW, Some(7));
        assert_eq!(v["Size"], json!({"rwSize": 7}));
    }

    #[test]
    fn table_layout() {
        let mut r = rec("web", "running", 120);
        r.started_at = Some(NOW - 120 * SEC);
        let rows = vec![row(&r, false, NOW, None)];
        let text = Format::Human
            .render_list(
                &[],
                &rows,
                "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
                &header,
            )
            .unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "CONTAINER ID  IMAGE                          COMMAND     CREATED        STATUS        PORTS       NAMES"
        );
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "{}  docker.io/library/alpine:3.19  sleep 1000  2 minutes ago  Up 2 minutes              web",
                &r.id[..12]
            )
        );
        assert_eq!(lines.next(), None);
        assert_eq!(header("RunningFor"), "CREATED");
        assert_eq!(header("CreatedAt"), "CREATED AT");
        assert_eq!(header("Names"), "NAMES");
    }

    #[test]
    fn default_selection_and_limits() {
        let all = vec![
            rec("old", "exited", 300),
            rec("run", "running", 200),
            rec("paused", "paused", 150),
            rec("new", "created", 100),
            rec("stop", "stopping", 50),
        ];
        let none = Filters::default();
        let sel = |list: &[&str]| names(&select(&all, &args(list), &none));
        assert_eq!(sel(&[]), ["stop", "paused", "run"]);
        assert_eq!(sel(&["-a"]), ["stop", "new", "paused", "run", "old"]);
        assert_eq!(sel(&["-l"]), ["stop"]);
        assert_eq!(sel(&["-n", "2"]), ["stop", "new"]);
        assert_eq!(sel(&["-n", "0"]).len(), 5);
        assert_eq!(
            sel(&["-a", "--sort", "names"]),
            ["new", "old", "paused", "run", "stop"]
        );
        // Sorting is stable: equal keys stay newest first.
        let mut all = all;
        all[0].name = "zz".into();
        all[3].image_name = "alpine".into();
        all[1].command = vec!["a".into()];
        let sel = |list: &[&str]| names(&select(&all, &args(list), &none));
        assert_eq!(
            sel(&["-a", "--sort", "status"]),
            ["new", "zz", "paused", "run", "stop"]
        );
        assert_eq!(
            sel(&["-a", "--sort", "image"]),
            ["new", "stop", "paused", "run", "zz"]
        );
        assert_eq!(
            sel(&["-a", "--sort", "command"]),
            ["run", "stop", "new", "paused", "zz"]
        );
        assert_eq!(
            sel(&["-a", "--sort", "id"]),
            ["new", "zz", "paused", "run", "stop"]
        );
        assert_eq!(
            quiet_lines(&select(&all, &args(&["-l"]), &none), false),
            format!("{}\n", &all[4].id[..12])
        );
        assert_eq!(
            quiet_lines(&select(&all, &args(&["-l"]), &none), true),
            format!("{}\n", all[4].id)
        );
    }

    fn usage_message(r: Result<Filters>) -> String {
        match r {
            Err(Error::Usage(m)) => m,
            other => panic!("want a usage error, got {other:?}"),
        }
    }

    #[test]
    fn filters() {
        let mut all = vec![
            rec("web-1", "running", 300),
            rec("web-2", "exited", 200),
            rec("db", "created", 100),
            rec("job", "exited", 50),
        ];
        all[0].labels.insert("app".into(), "web".into());
        all[0].labels.insert("tier".into(), "front".into());
        all[1].labels.insert("app".into(), "web".into());
        all[1].exit_code = Some(0);
        all[3].exit_code = Some(2);
        all[2].image_name = "postgres".into();
        all[2].image_id = "cd".repeat(32);
        all[3].image_name = "busybox@sha256:1234".into();
        all[3].image_id = "ef".repeat(32);
        let sel = |f: &[&str]| {
            let f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
            let filters = Filters::parse(&f, &all).unwrap();
            names(&select(&all, &args(&[]), &filters))
        };
        // Any filter shows every state; one key repeated is "or", different keys "and".
        assert_eq!(sel(&["status=exited"]), ["job", "web-2"]);
        assert_eq!(sel(&["status=stopped"]), ["job", "web-2"]);
        assert_eq!(
            sel(&["status=exited", "status=created"]),
            ["job", "db", "web-2"]
        );
        assert_eq!(sel(&["status=exited", "name=web"]), ["web-2"]);
        assert!(sel(&["status=paused"]).is_empty());
        assert_eq!(sel(&["name=web"]), ["web-2", "web-1"]);
        assert_eq!(sel(&["name=^web-1$"]), ["web-1"]);
        assert_eq!(sel(&["name=^w"]), ["web-2", "web-1"]);
        assert_eq!(sel(&["name=ob$"]), ["job"]);
        assert_eq!(sel(&["name=b$"]), ["job", "db"]);
        assert_eq!(sel(&["name=^eb"]), Vec::<String>::new());
        assert_eq!(sel(&["name=db", "name=job"]), ["job", "db"]);
        assert_eq!(sel(&[&format!("id={}", &all[2].id[..6])]), ["db"]);
        assert_eq!(sel(&[&format!("id={}", all[2].id)]), ["db"]);
        assert_eq!(sel(&["label=app"]), ["web-2", "web-1"]);
        assert_eq!(sel(&["label=app=web", "label=tier"]), ["web-1"]);
        assert!(sel(&["label=app=db"]).is_empty());
        assert_eq!(sel(&["exited=0"]), ["web-2"]);
        assert_eq!(sel(&["exited=2", "exited=0"]), ["job", "web-2"]);
        assert!(sel(&["exited=1"]).is_empty());
        assert_eq!(sel(&["health=none"]).len(), 4);
        assert!(sel(&["health=healthy"]).is_empty());
        assert_eq!(sel(&["before=db"]), ["web-2", "web-1"]);
        assert_eq!(sel(&["since=web-2"]), ["job", "db"]);
        assert_eq!(sel(&["since=web-1", "before=job"]), ["db", "web-2"]);
        assert_eq!(sel(&[&format!("before={}", &all[1].id[..12])]), ["web-1"]);
        // Ancestors: by name (short or full, with or without tag) or id prefix.
        for (f, want) in [
            ("ancestor=alpine", &["web-2", "web-1"][..]),
            ("ancestor=library/alpine:3.19", &["web-2", "web-1"]),
            ("ancestor=docker.io/library/alpine", &["web-2", "web-1"]),
            ("ancestor=alpine:latest", &[]),
            ("ancestor=alp", &[]),
            ("ancestor=postgres:latest", &["db"]),
            ("ancestor=docker.io/library/postgres", &["db"]),
            ("ancestor=cdcd", &["db"]),
            ("ancestor=sha256:abab", &["web-2", "web-1"]),
            ("ancestor=busybox", &["job"]),
            ("ancestor=busybox@sha256:1234", &["job"]),
            ("ancestor=busybox@sha256:9999", &[]),
            ("ancestor=busybox:latest", &[]),
        ] {
            assert_eq!(sel(&[f]), want, "{f}");
        }
    }

    #[test]
    fn bad_filters() {
        let all = vec![rec("web", "running", 10)];
        let parse = |f: &str| Filters::parse(&[f.to_string()], &all);
        assert_eq!(
            usage_message(parse("x=y")),
            "invalid --filter \"x=y\": unknown key x (ancestor, before, exited, health, id, \
             label, name, since, status)"
        );
        assert_eq!(
            usage_message(parse("status")),
            "invalid --filter \"status\": expected KEY=VALUE"
        );
        assert!(usage_message(parse("status=up")).contains("status is one of created"));
        assert!(usage_message(parse("exited=x")).contains("exit code"));
        assert!(usage_message(parse("health=ok")).contains("health is one of"));
        assert!(usage_message(parse("name=")).contains("name takes a value"));
        match parse("before=nope") {
            Err(Error::Msg(m)) => assert!(m.contains("\"nope\""), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(parse("since=web").is_ok());
        let two = vec![rec("a1", "running", 10), rec("a2", "running", 5)];
        assert!(matches!(
            Filters::parse(&["before=6".to_string()], &two),
            Err(Error::Msg(m)) if m.contains("ambiguous")
        ));
    }

    #[test]
    fn sizes_of_upper_directories() {
        let t = tempfile::tempdir().unwrap();
        let up = t.path().join("upper");
        assert_eq!(upper_size(&up), 0);
        std::fs::create_dir_all(up.join("etc/deep")).unwrap();
        std::fs::write(up.join("etc/a"), [0u8; 100]).unwrap();
        std::fs::write(up.join("etc/deep/b"), [0u8; 1000]).unwrap();
        std::fs::hard_link(up.join("etc/deep/b"), up.join("b-again")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/target", up.join("link")).unwrap();
        let link_len = u64::try_from("/nonexistent/target".len()).unwrap();
        assert_eq!(upper_size(&up), 1100 + link_len);
    }
}
