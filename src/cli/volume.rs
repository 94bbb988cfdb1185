//! `rl volume ...`: named and anonymous volumes (see [`crate::volume`]), shown the way podman 4
//! shows them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::config::Paths;
use crate::container::Record;
use crate::error::{Error, Result};
use crate::format::time::{now_nanos, parse_since, rfc3339_nanos};
use crate::format::{self, Format};
use crate::volume::{self, Volume};

/// Manage volumes.
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a volume (prints its name)
    Create(CreateArgs),
    /// Exit 0 if a volume exists, 1 if not (prints nothing)
    Exists(ExistsArgs),
    /// Display detailed information on volumes
    Inspect(InspectArgs),
    /// List volumes
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Remove volumes no container uses
    Prune(PruneArgs),
    /// Remove volumes
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
}

/// Options of `rl volume create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name of the volume (default: 64 random hex digits)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Driver: only local
    #[arg(long, value_name = "DRIVER", default_value = volume::DRIVER)]
    pub driver: String,
    /// Set a label (KEY=VALUE; repeatable)
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Driver option (repeatable): o=uid=N,gid=N,noquota, copy, nocopy (no mounts: rootless)
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    pub opt: Vec<String>,
    /// Succeed if a volume of that name exists (it is left as it is)
    #[arg(long)]
    pub ignore: bool,
}

/// Options of `rl volume exists`.
#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// The volume
    #[arg(value_name = "VOLUME")]
    pub name: String,
}

/// Options of `rl volume inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Volumes
    #[arg(value_name = "VOLUME")]
    pub names: Vec<String>,
    /// Inspect every volume
    #[arg(short, long)]
    pub all: bool,
    /// Output format: json (default), or a Go template applied to each volume
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Options of `rl volume ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print only volume names
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format: json, or a Go template ('table {{.Name}}\t{{.Mountpoint}}')
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not print column headings
    #[arg(long)]
    pub noheading: bool,
    /// Filter: name=, label=KEY[=VALUE], label!=KEY[=VALUE], driver=, scope=, dangling=true|false,
    /// until=TIME
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
}

/// Options of `rl volume rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Volumes
    #[arg(value_name = "VOLUME")]
    pub names: Vec<String>,
    /// Remove every volume
    #[arg(short, long)]
    pub all: bool,
    /// Remove the containers using the volume first (stopping them); a missing volume is no error
    #[arg(short, long)]
    pub force: bool,
    /// With --force: seconds to wait for a container to stop before killing it (default 10)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u64>,
}

/// Options of `rl volume prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Only volumes matching: label=KEY[=VALUE], label!=KEY[=VALUE], name=, driver=, until=TIME
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// Run a volume command.
pub fn run(cmd: &VolumeCommand) -> Result<()> {
    match cmd {
        VolumeCommand::Create(a) => create(a),
        VolumeCommand::Exists(a) => exists(a),
        VolumeCommand::Inspect(a) => inspect(a),
        VolumeCommand::Ls(a) => ls(a),
        VolumeCommand::Prune(a) => prune(a),
        VolumeCommand::Rm(a) => rm(a),
    }
}

fn event(name: &str, action: &str) -> crate::events::Event {
    crate::events::Event::new("volume", action, name).name(name)
}

/// `rl volume create`.
pub fn create(a: &CreateArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let name = match &a.name {
        Some(n) => n.clone(),
        None => crate::container::new_id()?,
    };
    if a.driver != volume::DRIVER {
        return Err(Error::Msg(format!(
            "volume {name} uses volume plugin {0} but it could not be retrieved: no volume plugin with name {0} available: required plugin missing",
            a.driver
        )));
    }
    let req = volume::CreateRequest {
        name: name.clone(),
        labels: crate::network::store::parse_pairs(&a.label, "--label")?,
        options: volume::parse_options(&a.opt)?,
        created: now_nanos(),
    };
    if a.ignore && volume::exists(&paths, &name) {
        return super::print_stdout(&format!("{name}\n"));
    }
    if req.options.contains_key("UID") || req.options.contains_key("GID") {
        // The ids are the container's: chown from inside rl's user namespace.
        super::lifecycle::ensure_userns()?;
    }
    match volume::create(&paths, &req) {
        Ok(v) => crate::events::record(&paths, &event(&v.name, "create")),
        // Made by someone else in the meantime.
        Err(_) if a.ignore && volume::exists(&paths, &name) => {}
        Err(e) => return Err(e),
    }
    super::print_stdout(&format!("{name}\n"))
}

/// `rl volume exists`: the answer is the exit status.
pub fn exists(a: &ExistsArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    if volume::exists(&paths, &a.name) {
        Ok(())
    } else {
        Err(Error::AlreadyReported(1))
    }
}

/// A time as Go's RFC3339Nano writes it (trailing zeros of the fraction dropped), UTC.
fn go_rfc3339_nano(nanos: i64) -> String {
    let s = rfc3339_nanos(nanos);
    let s = s.trim_end_matches('Z');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    format!("{whole}{dot}{frac}Z")
}

/// Whether a directory has nothing in it (false when it cannot be read).
fn is_empty_dir(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
}

/// A volume as podman 4.3's `volume inspect` prints it.
///
/// `NeedsCopyUp`: the volume is still empty and will be filled from the image by the next
/// container that mounts it (podman clears it after the first copy); `NeedsChown`: empty and
/// no `o=uid=`/`o=gid=` given. `MountCount` is 0: local volumes are never mounted by rl.
pub(crate) fn inspect_value(v: &Volume) -> Value {
    let empty = is_empty_dir(&v.data());
    let mut m = serde_json::Map::new();
    m.insert("Name".into(), json!(v.name));
    m.insert("Driver".into(), json!(v.driver));
    m.insert("Mountpoint".into(), json!(v.data().display().to_string()));
    m.insert("CreatedAt".into(), json!(go_rfc3339_nano(v.created)));
    m.insert("Labels".into(), json!(v.labels));
    m.insert("Scope".into(), json!("local"));
    m.insert("Options".into(), json!(v.options));
    if let Some(uid) = v.uid().filter(|&u| u != 0) {
        m.insert("UID".into(), json!(uid));
    }
    if let Some(gid) = v.gid().filter(|&g| g != 0) {
        m.insert("GID".into(), json!(gid));
    }
    if v.anonymous() {
        m.insert("Anonymous".into(), json!(true));
    }
    m.insert("MountCount".into(), json!(0));
    if empty && v.copy_up() {
        m.insert("NeedsCopyUp".into(), json!(true));
    }
    if empty && v.uid().is_none() && v.gid().is_none() {
        m.insert("NeedsChown".into(), json!(true));
    }
    Value::Object(m)
}

/// podman's error for a volume `inspect` does not find.
pub(crate) fn inspect_not_found(name: &str) -> Error {
    Error::Msg(format!("inspecting object: no such volume {name}"))
}

/// `rl volume inspect`: every volume found is printed; each missing one is an error.
pub fn inspect(a: &InspectArgs) -> Result<()> {
    // Either names or --all, not both.
    if a.all != a.names.is_empty() {
        return Err(Error::Usage(
            "provide one or more volume names or use --all".into(),
        ));
    }
    let paths = Paths::from_env()?;
    let format = Format::parse(a.format.as_deref())?;
    let mut values = Vec::new();
    let mut errors = Vec::new();
    if a.all {
        values = volume::list(&paths).iter().map(inspect_value).collect();
    }
    for name in &a.names {
        match volume::load(&paths, name) {
            Ok(v) => values.push(inspect_value(&v)),
            Err(_) => errors.push(inspect_not_found(name)),
        }
    }
    let text = format.render_inspect(&values)?;
    super::print_stdout(&text)?;
    report_errors(errors)
}

/// Report every error but the last, which is returned (podman: the last decides the status).
fn report_errors(errors: Vec<Error>) -> Result<()> {
    let mut it = errors.into_iter().peekable();
    while let Some(e) = it.next() {
        if it.peek().is_none() {
            return Err(e);
        }
        super::report(&e.one_line());
    }
    Ok(())
}

/// One row of `rl volume ls` for the table and templates (podman's field names).
fn ls_row(v: &Volume) -> Value {
    let mut row = inspect_value(v);
    row["CreatedAt"] = json!(super::events::go_time(v.created));
    row
}

/// podman's column names for `ls` template fields.
fn header(field: &str) -> String {
    match field {
        "Name" => "VOLUME NAME".into(),
        other => format::default_header(other),
    }
}

/// The keys `volume ls --filter` takes.
const LS_KEYS: &[&str] = &[
    "dangling", "driver", "label", "label!", "name", "scope", "until",
];
/// The keys `volume prune --filter` takes.
const PRUNE_KEYS: &[&str] = &["driver", "label", "label!", "name", "scope", "until"];

/// Parsed `--filter`s: values of one key are alternatives, except `label`/`label!` (all must
/// hold) and `until`; different keys must all match.
#[derive(Debug, Default)]
struct Filters {
    by_key: BTreeMap<&'static str, Vec<String>>,
    /// `until=` in nanoseconds since the epoch.
    until: Vec<i64>,
    /// `dangling=` as booleans.
    dangling: Vec<bool>,
}

impl Filters {
    fn parse(args: &[String], keys: &[&'static str]) -> Result<Filters> {
        let now = now_nanos();
        let mut f = Filters::default();
        for arg in args {
            let (k, v) = arg.split_once('=').ok_or_else(|| {
                Error::Usage(format!(
                    "filter input must be in the form of filter=value: {arg} is invalid"
                ))
            })?;
            // `label!=a` splits as ("label!", "a").
            let Some(&key) = keys.iter().find(|&&x| x == k) else {
                return Err(Error::Usage(format!("\"{k}\" is an invalid volume filter")));
            };
            match key {
                "until" => f.until.push(parse_since(v, now).ok_or_else(|| {
                    Error::Usage(format!("invalid --filter {arg:?}: bad time"))
                })?),
                "dangling" => f.dangling.push(match v {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(Error::Usage(format!(
                            "\"{v}\" is not a valid value for the \"dangling\" filter - must be true or false"
                        )));
                    }
                }),
                _ => {}
            }
            f.by_key.entry(key).or_default().push(v.to_string());
        }
        Ok(f)
    }

    /// Whether a volume passes every filter (`in_use`: whether a container mounts it).
    fn matches(&self, v: &Volume, in_use: &dyn Fn(&Volume) -> bool) -> bool {
        self.by_key.iter().all(|(&key, values)| match key {
            "label" => values
                .iter()
                .all(|x| super::ps::label_matches(&v.labels, x)),
            "label!" => values
                .iter()
                .all(|x| !super::ps::label_matches(&v.labels, x)),
            "until" => self.until.iter().all(|&t| v.created < t),
            "dangling" => self.dangling.iter().any(|&d| d != in_use(v)),
            "name" => values.iter().any(|x| super::ps::name_matches(&v.name, x)),
            "driver" => values.iter().any(|x| &v.driver == x),
            "scope" => values.iter().any(|x| x == "local"),
            _ => false,
        })
    }
}

/// `rl volume ls`.
pub fn ls(a: &LsArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let format = Format::parse(a.format.as_deref())?;
    let filters = Filters::parse(&a.filter, LS_KEYS)?;
    let used: BTreeSet<String> = if filters.dangling.is_empty() {
        BTreeSet::new()
    } else {
        volume::in_use(&paths)
    };
    let in_use = |v: &Volume| used.contains(&v.name);
    let selected: Vec<Volume> = volume::list(&paths)
        .into_iter()
        .filter(|v| filters.matches(v, &in_use))
        .collect();
    if a.quiet && a.format.is_none() {
        let text: String = selected.iter().map(|v| format!("{}\n", v.name)).collect();
        return super::print_stdout(&text);
    }
    // podman prints nothing at all, not even the header, when there is no volume.
    if selected.is_empty() && !matches!(format, Format::Json) {
        return Ok(());
    }
    let rows: Vec<Value> = selected.iter().map(ls_row).collect();
    let json_rows: Vec<Value> = if matches!(format, Format::Json) {
        selected.iter().map(inspect_value).collect()
    } else {
        Vec::new()
    };
    let mut text =
        format.render_list(&json_rows, &rows, "table {{.Driver}}\t{{.Name}}", &header)?;
    if a.noheading {
        text = format.without_header(text);
    }
    super::print_stdout(&text)
}

/// Stop (if running) and remove a container, for `volume rm --force`.
fn remove_container(paths: &Paths, r: &Record, timeout: Duration) -> Result<()> {
    if r.is_running()
        && let Err(e) = super::lifecycle::stop_one(paths, r, timeout)
        && crate::container::load(paths, &r.id).is_ok_and(|f| f.is_running())
    {
        return Err(e);
    }
    super::lifecycle::ensure_userns()?;
    super::lifecycle::remove(paths, r, false)
}

/// The error for a volume that containers use (podman's exit status 2).
fn in_use_error(name: &str, users: &[Record]) -> Error {
    let ids: Vec<&str> = users.iter().map(|r| r.id.as_str()).collect();
    Error::Status(
        2,
        format!(
            "volume {name} is being used by the following container(s): {}: volume is being used",
            ids.join(", ")
        ),
    )
}

/// `rl volume rm`: each volume in turn; a missing one is exit status 1 and one in use 2 (as
/// podman, the last failure deciding). Prints the names removed.
pub fn rm(a: &RmArgs) -> Result<()> {
    // Either names or --all, not both.
    if a.all != a.names.is_empty() {
        return Err(Error::Usage(
            "choose either one or more volumes or all".into(),
        ));
    }
    let paths = Paths::from_env()?;
    let timeout = Duration::from_secs(a.time.unwrap_or(10));
    let names: Vec<String> = if a.all {
        volume::list(&paths).into_iter().map(|v| v.name).collect()
    } else {
        a.names.clone()
    };
    let mut errors = Vec::new();
    for name in &names {
        let result = (|| -> Result<bool> {
            if !volume::exists(&paths, name) {
                if a.force {
                    return Ok(false);
                }
                return Err(Error::Status(1, volume::not_found(name).to_string()));
            }
            let users = volume::users(&paths, name);
            if !users.is_empty() {
                if !a.force {
                    return Err(in_use_error(name, &users));
                }
                for r in &users {
                    remove_container(&paths, r, timeout)?;
                }
            }
            // Files a container wrote may belong to subordinate ids.
            super::lifecycle::ensure_userns()?;
            volume::remove(&paths, name)?;
            crate::events::record(&paths, &event(name, "remove"));
            Ok(true)
        })();
        match result {
            Ok(true) => super::print_stdout(&format!("{name}\n"))?,
            Ok(false) => {}
            Err(e) => errors.push(e),
        }
    }
    report_errors(errors)
}

/// `rl volume prune`: every volume no container mounts (and matching `--filter`).
pub fn prune(a: &PruneArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let filters = Filters::parse(&a.filter, PRUNE_KEYS)?;
    let used = volume::in_use(&paths);
    let unused: Vec<Volume> = volume::list(&paths)
        .into_iter()
        .filter(|v| !used.contains(&v.name) && filters.matches(v, &|_| false))
        .collect();
    if !a.force {
        const WARNING: &str = "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:";
        if unused.is_empty() {
            eprintln!("{WARNING}\nNo dangling volumes found");
            return Ok(());
        }
        let names: Vec<&str> = unused.iter().map(|v| v.name.as_str()).collect();
        if !super::image::confirm(&format!(
            "{WARNING}\n{}\nAre you sure you want to continue?",
            names.join("\n")
        )) {
            return Ok(());
        }
    }
    prune_volumes(&paths, &unused)
}

/// Remove `volumes` (unused ones), printing each name; for `volume prune` and `system prune
/// --volumes`.
pub(crate) fn prune_volumes(paths: &Paths, volumes: &[Volume]) -> Result<()> {
    if volumes.is_empty() {
        return Ok(());
    }
    super::lifecycle::ensure_userns()?;
    let mut errors = Vec::new();
    for v in volumes {
        // A container may have started to use it since the list was made.
        if !volume::users(paths, &v.name).is_empty() {
            continue;
        }
        match volume::remove(paths, &v.name) {
            Ok(()) => {
                crate::events::record(paths, &event(&v.name, "remove"));
                crate::events::record(paths, &event(&v.name, "prune"));
                super::print_stdout(&format!("{}\n", v.name))?;
            }
            Err(e) => errors.push(e),
        }
    }
    report_errors(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn vol(name: &str, labels: &[(&str, &str)], created: i64) -> Volume {
        Volume {
            name: name.into(),
            dir: PathBuf::from("/nonexistent/volumes").join(name),
            created,
            driver: "local".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            options: BTreeMap::new(),
            has_metadata: true,
        }
    }

    #[test]
    fn filters() {
        let a = vol(
            "alpha",
            &[("env", "prod"), ("team", "")],
            1_700_000_000_000_000_000,
        );
        let b = vol("beta", &[], 1_700_000_000_000_000_000);
        let used = |v: &Volume| v.name == "alpha";
        let f = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            Filters::parse(&args, LS_KEYS).unwrap()
        };
        let names = |fl: &Filters| -> Vec<String> {
            [&a, &b]
                .iter()
                .filter(|v| fl.matches(v, &used))
                .map(|v| v.name.clone())
                .collect()
        };
        assert_eq!(names(&f(&[])), ["alpha", "beta"]);
        assert_eq!(names(&f(&["name=^al"])), ["alpha"]);
        assert_eq!(names(&f(&["name=alpha", "name=beta"])), ["alpha", "beta"]);
        assert_eq!(names(&f(&["label=env=prod", "label=team"])), ["alpha"]);
        assert!(names(&f(&["label=env=prod", "label=x"])).is_empty());
        assert_eq!(names(&f(&["label!=env"])), ["beta"]);
        assert_eq!(names(&f(&["dangling=true"])), ["beta"]);
        assert_eq!(names(&f(&["dangling=false"])), ["alpha"]);
        assert_eq!(
            names(&f(&["driver=local", "scope=local"])),
            ["alpha", "beta"]
        );
        assert!(names(&f(&["driver=nfs"])).is_empty());
        assert_eq!(names(&f(&["until=2024-01-01"])), ["alpha", "beta"]);
        assert!(names(&f(&["until=2020-01-01"])).is_empty());
        let err = |s: &str, keys: &[&'static str]| {
            Filters::parse(&[s.to_string()], keys)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("bogus=1", LS_KEYS),
            "\"bogus\" is an invalid volume filter"
        );
        assert_eq!(
            err("dangling=maybe", LS_KEYS),
            "\"maybe\" is not a valid value for the \"dangling\" filter - must be true or false"
        );
        assert_eq!(
            err("foo", LS_KEYS),
            "filter input must be in the form of filter=value: foo is invalid"
        );
        assert!(err("until=soon", LS_KEYS).contains("bad time"));
        assert_eq!(
            err("dangling=true", PRUNE_KEYS),
            "\"dangling\" is an invalid volume filter"
        );
    }

    #[test]
    fn inspect_objects_like_podman() {
        let mut v = vol("data", &[("a", "b")], 1_700_000_000_653_826_890);
        let value = inspect_value(&v);
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "Name",
                "Driver",
                "Mountpoint",
                "CreatedAt",
                "Labels",
                "Scope",
                "Options",
                "MountCount"
            ]
        );
        assert_eq!(value["CreatedAt"], "2023-11-14T22:13:20.65382689Z");
        assert_eq!(value["Mountpoint"], "/nonexistent/volumes/data/_data");
        assert_eq!(value["Labels"], json!({"a": "b"}));
        v.options.insert("UID".into(), "5".into());
        v.options.insert("o".into(), "uid=5".into());
        let value = inspect_value(&v);
        assert_eq!(value["UID"], 5);
        assert!(value.get("GID").is_none());
        let row = ls_row(&v);
        assert_eq!(row["CreatedAt"], "2023-11-14 22:13:20.65382689 +0000 UTC");
        assert_eq!(header("Name"), "VOLUME NAME");
        assert_eq!(header("Mountpoint"), "MOUNTPOINT");
    }

    #[test]
    fn empty_volumes_need_copy_up_and_chown() {
        let t = tempfile::tempdir().unwrap();
        let mut v = vol("x", &[], 0);
        v.dir = t.path().to_path_buf();
        std::fs::create_dir(v.data()).unwrap();
        let value = inspect_value(&v);
        assert_eq!(value["NeedsCopyUp"], true);
        assert_eq!(value["NeedsChown"], true);
        assert_eq!(value["CreatedAt"], "1970-01-01T00:00:00Z");
        v.options.insert("nocopy".into(), String::new());
        assert!(inspect_value(&v).get("NeedsCopyUp").is_none());
        std::fs::write(v.data().join("f"), "x").unwrap();
        let value = inspect_value(&v);
        assert!(value.get("NeedsCopyUp").is_none() && value.get("NeedsChown").is_none());
    }

    #[test]
    fn in_use_errors_name_the_containers() {
        let r = Record {
            id: "c".repeat(64),
            name: "web".into(),
            ..Record::default()
        };
        let e = in_use_error("data", &[r]);
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            format!(
                "volume data is being used by the following container(s): {}: volume is being used",
                "c".repeat(64)
            )
        );
    }
}
