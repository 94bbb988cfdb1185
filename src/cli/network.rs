//! `rl network ...`: user-defined networks (records in [`crate::network::store`]), shown the way
//! podman 4 shows them.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::config::Paths;
use crate::container::Record;
use crate::error::{Error, Result};
use crate::format::time::{now_nanos, parse_since, rfc3339_nanos};
use crate::format::{self, Format};
use crate::network::store::{self, CreateRequest, Network};

/// Manage networks.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Connect a container to a network (a running one must have started on a user-defined network)
    Connect(ConnectArgs),
    /// Create a network (a bridge in a user namespace; prints its name)
    Create(CreateArgs),
    /// Disconnect a container from a network
    Disconnect(DisconnectArgs),
    /// Display detailed information on networks
    Inspect(InspectArgs),
    /// List networks
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Remove networks no container uses
    Prune(PruneArgs),
    /// Remove networks
    Rm(RmArgs),
}

/// Options of `rl network create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name of the network (default: the first free rl1, rl2, ...)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Driver: only bridge
    #[arg(short, long, value_name = "DRIVER", default_value = store::DRIVER)]
    pub driver: String,
    /// Subnet in CIDR form, IPv4, prefix 8 to 30 (default: the first free 10.89.N.0/24)
    #[arg(long, value_name = "CIDR")]
    pub subnet: Option<String>,
    /// Gateway (the bridge's address) in --subnet (default: the subnet's first address)
    #[arg(long, value_name = "IP")]
    pub gateway: Option<String>,
    /// No route out of the network: its containers reach only each other
    #[arg(long)]
    pub internal: bool,
    /// Enable IPv6 (not supported yet: an error)
    #[arg(long)]
    pub ipv6: bool,
    /// Containers on the network do not get each other's names
    #[arg(long)]
    pub disable_dns: bool,
    /// Set a label (KEY=VALUE; repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Driver option (KEY=VALUE; repeatable): mtu
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    pub opt: Vec<String>,
    /// Succeed if a network of that name exists (it is left as it is)
    #[arg(long)]
    pub ignore: bool,
}

/// Options of `rl network ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print only network names
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format: json, or a Go template ('table {{.ID}}\t{{.Name}}\t{{.Subnets}}')
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not truncate network ids
    #[arg(long)]
    pub no_trunc: bool,
    /// Do not print column headings
    #[arg(long)]
    pub noheading: bool,
    /// Filter: name=, id=, driver=, label=KEY[=VALUE], dangling=true|false, until=TIME
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
}

/// Options of `rl network inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Networks (names or id prefixes)
    #[arg(value_name = "NETWORK", required = true)]
    pub names: Vec<String>,
    /// Output format: json (default), or a Go template applied to each network
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Options of `rl network rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Networks (names or id prefixes)
    #[arg(value_name = "NETWORK", required = true)]
    pub names: Vec<String>,
    /// Stop and remove the containers on the network first
    #[arg(short, long)]
    pub force: bool,
    /// With --force: seconds to wait for a container to stop before killing it (default 10)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u64>,
}

/// Options of `rl network prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Only networks matching: label=KEY[=VALUE], until=TIME
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// Run a network command; None for the ones not built yet.
pub fn run(cmd: &NetworkCommand) -> Option<Result<()>> {
    Some(match cmd {
        NetworkCommand::Create(a) => create(a),
        NetworkCommand::Inspect(a) => inspect(a),
        NetworkCommand::Ls(a) => ls(a),
        NetworkCommand::Prune(a) => prune(a),
        NetworkCommand::Rm(a) => rm(a),
        NetworkCommand::Connect(a) => connect(a),
        NetworkCommand::Disconnect(a) => disconnect(a),
    })
}

/// Options of `rl network connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Another name for the container on this network
    #[arg(long, value_name = "NAME")]
    pub alias: Vec<String>,
    /// The container's IPv4 address on this network
    #[arg(long, value_name = "IP")]
    pub ip: Option<std::net::Ipv4Addr>,
    /// The container's MAC address on this network
    #[arg(long, value_name = "MAC")]
    pub mac_address: Option<String>,
    /// The network
    #[arg(value_name = "NETWORK")]
    pub network: String,
    /// The container
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

/// Options of `rl network disconnect`.
#[derive(Debug, Args)]
pub struct DisconnectArgs {
    /// Accepted for podman compatibility
    #[arg(short, long)]
    pub force: bool,
    /// The network
    #[arg(value_name = "NETWORK")]
    pub network: String,
    /// The container
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

/// Change which networks a container that is not running will join: its record, and its
/// bundle's plan (a stack for the way out unless every network is internal).
fn change_networks(
    paths: &Paths,
    container: &str,
    change: impl FnOnce(&mut Record) -> Result<()>,
) -> Result<()> {
    let found = super::run::find_container(paths, container)?;
    let _lock = crate::container::lock(paths, &found.id)?;
    let mut rec = crate::container::load(paths, &found.id)?;
    if rec.network_mode.starts_with("container:") || rec.network_mode == "host" {
        return Err(Error::Msg(format!(
            "container {} uses --network {}: it cannot join networks",
            rec.name, rec.network_mode
        )));
    }
    change(&mut rec)?;
    let dir = crate::container::dir(paths, &rec.id);
    let bundle_path = dir.join("bundle.json");
    let mut bundle: Value = match std::fs::read(&bundle_path) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| Error::Msg(format!("container {}: bundle.json: {e}", rec.name)))?,
        Err(_) => {
            return Err(Error::Msg(format!(
                "container {} cannot be started again (it was run in the foreground without a saved bundle)",
                rec.name
            )));
        }
    };
    let all_internal = rec
        .networks
        .keys()
        .all(|n| store::load(paths, n).is_ok_and(|net| net.internal));
    let mut plan: crate::network::Plan =
        serde_json::from_value(bundle["network"].clone()).unwrap_or_default();
    plan.user_networks = !rec.networks.is_empty();
    if rec.networks.is_empty() {
        rec.network_mode = if plan.stack.is_some() {
            "slirp4netns".into()
        } else {
            "none".into()
        };
    } else {
        rec.network_mode = "bridge".into();
        if plan.stack.is_none() && !all_internal {
            plan.stack = Some(crate::network::stack::StackPlan::Slirp4netns(
                crate::network::spec::SlirpOptions::default(),
            ));
        }
        if all_internal {
            plan.stack = None;
        }
    }
    bundle["network"] =
        serde_json::to_value(&plan).map_err(|e| Error::Msg(format!("encode the plan: {e}")))?;
    let bytes =
        serde_json::to_vec(&bundle).map_err(|e| Error::io("encode bundle.json", e.into()))?;
    crate::store_file::write_replace(&bundle_path, &bytes)?;
    crate::container::save(&dir, &rec)
}

/// `rl network connect`.
pub fn connect(a: &ConnectArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let net = store::load(&paths, &a.network)?;
    let mac = match &a.mac_address {
        Some(m) => Some(crate::network::spec::parse_mac(m).ok_or_else(|| {
            Error::Usage(format!("invalid --mac-address {m:?}: want six hex pairs"))
        })?),
        None => None,
    };
    if let Some(ip) = a.ip
        && (!net.contains(ip) || ip == net.gateway)
    {
        return Err(Error::Usage(format!(
            "--ip {ip} is not a host address of network {} ({})",
            net.name,
            net.cidr()
        )));
    }
    let name = net.name.clone();
    change_networks(&paths, &a.container, |rec| {
        if rec.networks.contains_key(&net.name) {
            return Err(Error::Msg(format!(
                "container {} is already connected to network {}",
                rec.name, net.name
            )));
        }
        rec.networks.insert(
            net.name.clone(),
            crate::network::Attachment {
                aliases: a.alias.clone(),
                static_ip: a.ip,
                mac,
                ..Default::default()
            },
        );
        Ok(())
    })?;
    let rec = super::run::find_container(&paths, &a.container)?;
    if rec.is_running() {
        let ident = crate::userns::Identity::current()?;
        if let Err(e) = crate::network::bridge::connect_running(&paths, &rec, &name, &ident) {
            // Not connected after all.
            let _ = change_networks(&paths, &rec.id, |r| {
                r.networks.remove(&name);
                Ok(())
            });
            return Err(e);
        }
    }
    Ok(())
}

/// `rl network disconnect`.
pub fn disconnect(a: &DisconnectArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let net = store::load(&paths, &a.network)?;
    let rec = super::run::find_container(&paths, &a.container)?;
    let running = rec.is_running() && rec.networks.contains_key(&net.name);
    if running {
        let ident = crate::userns::Identity::current()?;
        crate::network::bridge::disconnect_running(&paths, &rec, &net.name, &ident)?;
    }
    change_networks(&paths, &a.container, |rec| {
        if rec.networks.remove(&net.name).is_none() {
            return Err(Error::Msg(format!(
                "container {} is not connected to network {}",
                rec.name, net.name
            )));
        }
        Ok(())
    })?;
    if running {
        let _lock = store::lock(&paths)?;
        crate::network::bridge::refresh_hosts_and(
            &paths,
            std::slice::from_ref(&net.name),
            Some(&rec.id),
        );
    }
    Ok(())
}

fn event(net: &Network, action: &str) -> crate::events::Event {
    crate::events::Event::new("network", action, &net.id).name(&net.name)
}

/// `rl network create`.
pub fn create(a: &CreateArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let req = CreateRequest {
        name: a.name.clone(),
        driver: Some(a.driver.clone()),
        subnet: a.subnet.clone(),
        gateway: a.gateway.clone(),
        internal: a.internal,
        ipv6: a.ipv6,
        disable_dns: a.disable_dns,
        ignore: a.ignore,
        labels: store::parse_pairs(&a.label, "--label")?,
        options: store::parse_pairs(&a.opt, "--opt")?,
    };
    let existed = a.name.as_deref().is_some_and(|n| store::exists(&paths, n));
    let net = store::create(&paths, &req)?;
    if !existed {
        crate::events::record(&paths, &event(&net, "create"));
    }
    super::print_stdout(&format!("{}\n", net.name))
}

/// The `containers` of a network's inspect object: each user by id, with its interface on the
/// network while it runs (podman 5's shape).
fn containers_value(net: &Network, users: &[Record]) -> Value {
    let mut m = serde_json::Map::new();
    for r in users {
        let mut interfaces = serde_json::Map::new();
        if let Some(att) = r.networks.get(&net.name)
            && r.is_running()
            && let (Some(ip), Some(iface)) = (att.ip, &att.interface)
        {
            let mut i = json!({
                "subnets": [{
                    "ipnet": format!("{ip}/{}", net.prefix),
                    "gateway": net.gateway.to_string(),
                }],
            });
            if let (Some(mac), Value::Object(o)) = (&att.mac, &mut i) {
                o.insert("mac_address".into(), Value::String(mac.clone()));
            }
            interfaces.insert(iface.clone(), i);
        }
        m.insert(
            r.id.clone(),
            json!({ "name": r.name, "interfaces": interfaces }),
        );
    }
    Value::Object(m)
}

/// A network as podman 4.3 prints it (`network inspect`, `network ls --format json`); with
/// `users`, also the containers on it.
pub(crate) fn inspect_value(net: &Network, users: Option<&[Record]>) -> Value {
    let mut v = json!({
        "name": net.name,
        "id": net.id,
        "driver": net.driver,
        "network_interface": store::INTERFACE,
        "created": rfc3339_nanos(i64::try_from(net.created).unwrap_or(i64::MAX)),
        "subnets": [{ "subnet": net.cidr(), "gateway": net.gateway.to_string() }],
        "ipv6_enabled": false,
        "internal": net.internal,
        "dns_enabled": net.dns_enabled(),
    });
    let Value::Object(m) = &mut v else {
        return v;
    };
    if !net.labels.is_empty() {
        m.insert("labels".into(), json!(net.labels));
    }
    let options = shown_options(net);
    if !options.is_empty() {
        m.insert("options".into(), json!(options));
    }
    m.insert("ipam_options".into(), json!({ "driver": "host-local" }));
    if let Some(u) = users {
        m.insert("containers".into(), containers_value(net, u));
    }
    v
}

/// The options as the user gave them (`--disable-dns` shows as `dns_enabled`).
fn shown_options(net: &Network) -> BTreeMap<String, String> {
    net.options
        .iter()
        .filter(|(k, _)| k.as_str() != store::OPT_NO_DNS)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `rl network inspect`: every network found is printed; each missing one is an error.
pub fn inspect(a: &InspectArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let format = Format::parse(a.format.as_deref())?;
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for name in &a.names {
        match store::load(&paths, name) {
            Ok(net) => {
                let users = store::users(&paths, &net.name);
                values.push(inspect_value(&net, Some(&users)));
            }
            Err(e) => errors.push(e),
        }
    }
    let text = format.render_inspect(&values)?;
    super::print_stdout(&text)?;
    first_of(errors)
}

/// Report every error but the first, which is returned (and decides the exit status).
fn first_of(errors: Vec<Error>) -> Result<()> {
    let mut it = errors.into_iter();
    let Some(first) = it.next() else {
        return Ok(());
    };
    for e in it {
        super::report(&e.one_line());
    }
    Err(first)
}

/// `.Labels` in `ls` templates: `a=b,c=` (podman's wording).
fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// One row of `rl network ls` for the table and templates (podman's field names).
fn ls_row(net: &Network, no_trunc: bool) -> Value {
    json!({
        "ID": if no_trunc { net.id.as_str() } else { net.short_id() },
        "Name": net.name,
        "Driver": net.driver,
        "NetworkInterface": store::INTERFACE,
        "Created": super::events::go_time(i64::try_from(net.created).unwrap_or(i64::MAX)),
        "Subnets": [{ "Subnet": net.cidr(), "Gateway": net.gateway.to_string() }],
        "IPv6Enabled": false,
        "Internal": net.internal,
        "DNSEnabled": net.dns_enabled(),
        "Labels": labels_text(&net.labels),
        "Options": shown_options(net),
        "IPAMOptions": { "driver": "host-local" },
    })
}

/// podman's column names for `ls` template fields.
fn header(field: &str) -> String {
    match field {
        "ID" => "NETWORK ID".into(),
        "IPv6Enabled" => "IPV6 ENABLED".into(),
        "IPAMOptions" => "IPAM OPTIONS".into(),
        "DNSEnabled" => "DNS ENABLED".into(),
        other => format::default_header(other),
    }
}

/// The keys `network ls --filter` takes.
const FILTER_KEYS: &[&str] = &["dangling", "driver", "id", "label", "name", "until"];

/// Parsed `--filter`s: values of one key are alternatives, except `label` (all must match) and
/// `until`; different keys must all match.
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
            let bad = |why: &str| Error::Usage(format!("invalid --filter \"{arg}\": {why}"));
            let (k, v) = arg
                .split_once('=')
                .ok_or_else(|| bad("expected KEY=VALUE"))?;
            let Some(&key) = keys.iter().find(|&&x| x == k) else {
                return Err(bad(&format!("unknown key {k} ({})", keys.join(", "))));
            };
            match key {
                "until" => f
                    .until
                    .push(parse_since(v, now).ok_or_else(|| bad("bad time"))?),
                "dangling" => f.dangling.push(match v {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad("dangling is true or false")),
                }),
                _ if v.is_empty() => return Err(bad(&format!("{key} takes a value"))),
                _ => {}
            }
            f.by_key.entry(key).or_default().push(v.to_string());
        }
        Ok(f)
    }

    /// Whether a network passes every filter (`in_use`: whether a container is on it).
    fn matches(&self, n: &Network, in_use: &dyn Fn(&Network) -> bool) -> bool {
        let created = i64::try_from(n.created).unwrap_or(i64::MAX);
        self.by_key.iter().all(|(&key, values)| match key {
            "label" => values
                .iter()
                .all(|v| super::ps::label_matches(&n.labels, v)),
            "until" => self.until.iter().all(|&t| created < t),
            "dangling" => self.dangling.iter().any(|&d| d != in_use(n)),
            "name" => values.iter().any(|v| super::ps::name_matches(&n.name, v)),
            "id" => values.iter().any(|v| n.id.starts_with(v)),
            "driver" => values.iter().any(|v| &n.driver == v),
            _ => false,
        })
    }
}

/// The names of the networks some container is on.
fn networks_in_use(paths: &Paths) -> std::collections::BTreeSet<String> {
    crate::container::list(paths)
        .into_iter()
        .flat_map(|r| r.networks.into_keys())
        .collect()
}

/// `rl network ls`.
pub fn ls(a: &LsArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let format = Format::parse(a.format.as_deref())?;
    let filters = Filters::parse(&a.filter, FILTER_KEYS)?;
    let in_use_names = if filters.dangling.is_empty() {
        Default::default()
    } else {
        networks_in_use(&paths)
    };
    let in_use = |n: &Network| in_use_names.contains(&n.name);
    let selected: Vec<Network> = store::list(&paths)
        .into_iter()
        .filter(|n| filters.matches(n, &in_use))
        .collect();
    if a.quiet && a.format.is_none() {
        let text: String = selected.iter().map(|n| format!("{}\n", n.name)).collect();
        return super::print_stdout(&text);
    }
    let rows: Vec<Value> = selected.iter().map(|n| ls_row(n, a.no_trunc)).collect();
    let json_rows: Vec<Value> = if matches!(format, Format::Json) {
        selected.iter().map(|n| inspect_value(n, None)).collect()
    } else {
        Vec::new()
    };
    let mut text = format.render_list(
        &json_rows,
        &rows,
        "table {{.ID}}\t{{.Name}}\t{{.Driver}}",
        &header,
    )?;
    if a.noheading {
        text = format.without_header(text);
    }
    super::print_stdout(&text)
}

/// The error for a network that containers use (podman's exit status 2).
fn in_use_error(net: &Network, users: &[Record]) -> Error {
    let names: Vec<&str> = users.iter().map(|r| r.name.as_str()).collect();
    let what = if names.len() == 1 {
        "container"
    } else {
        "containers"
    };
    Error::Status(
        2,
        format!(
            "network {} is in use by {what} {} (remove it or use --force)",
            net.name,
            names.join(", ")
        ),
    )
}

/// Stop (if running) and remove a container, for `network rm --force`.
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

/// `rl network rm`: each network in turn; a missing one is exit status 1 and one in use 2 (as
/// podman), the first failure deciding.
pub fn rm(a: &RmArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let timeout = Duration::from_secs(a.time.unwrap_or(10));
    let mut errors = Vec::new();
    for name in &a.names {
        let result = (|| -> Result<()> {
            let net = store::load(&paths, name).map_err(|e| match e {
                Error::Msg(m) => Error::Status(1, m),
                other => other,
            })?;
            let users = store::users(&paths, &net.name);
            if !users.is_empty() {
                if !a.force {
                    return Err(in_use_error(&net, &users));
                }
                for r in &users {
                    remove_container(&paths, r, timeout)?;
                }
            }
            store::remove(&paths, &net.name)?;
            crate::events::record(&paths, &event(&net, "remove"));
            Ok(())
        })();
        match result {
            Ok(()) => super::print_stdout(&format!("{name}\n"))?,
            Err(e) => errors.push(e),
        }
    }
    first_of(errors)
}

/// `rl network prune`.
pub fn prune(a: &PruneArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let filters = Filters::parse(&a.filter, &["label", "until"])?;
    if !a.force
        && !super::image::confirm(
            "WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue?",
        )
    {
        return Ok(());
    }
    let in_use = networks_in_use(&paths);
    let mut errors = Vec::new();
    for net in store::list(&paths) {
        if in_use.contains(&net.name) || !filters.matches(&net, &|_| true) {
            continue;
        }
        match store::remove(&paths, &net.name) {
            Ok(()) => {
                crate::events::record(&paths, &event(&net, "remove"));
                super::print_stdout(&format!("{}\n", net.name))?;
            }
            Err(e) => errors.push(e),
        }
    }
    first_of(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(name: &str, labels: &[(&str, &str)]) -> Network {
        let req = CreateRequest {
            name: Some(name.into()),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..CreateRequest::default()
        };
        store::plan(
            &req,
            &[],
            format!("{:0>64}", name),
            1_700_000_000_000_000_000,
        )
        .unwrap()
    }

    #[test]
    fn filters() {
        let a = net("alpha", &[("env", "prod"), ("team", "")]);
        let b = net("beta", &[]);
        let used = |n: &Network| n.name == "alpha";
        let f = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            Filters::parse(&args, FILTER_KEYS).unwrap()
        };
        let names = |fl: &Filters| -> Vec<String> {
            [&a, &b]
                .iter()
                .filter(|n| fl.matches(n, &used))
                .map(|n| n.name.clone())
                .collect()
        };
        assert_eq!(names(&f(&[])), ["alpha", "beta"]);
        assert_eq!(names(&f(&["name=^al"])), ["alpha"]);
        assert_eq!(names(&f(&["name=a"])), ["alpha", "beta"]);
        assert_eq!(names(&f(&["name=alpha", "name=beta"])), ["alpha", "beta"]);
        assert_eq!(names(&f(&["label=env=prod", "label=team"])), ["alpha"]);
        assert!(names(&f(&["label=env=prod", "label=x"])).is_empty());
        assert_eq!(names(&f(&["dangling=true"])), ["beta"]);
        assert_eq!(names(&f(&["dangling=false"])), ["alpha"]);
        assert_eq!(names(&f(&["driver=bridge", "id=0000"])), ["alpha", "beta"]);
        assert!(names(&f(&["driver=macvlan"])).is_empty());
        assert_eq!(names(&f(&["until=2024-01-01"])), ["alpha", "beta"]);
        assert!(names(&f(&["until=2020-01-01"])).is_empty());
        for bad in ["foo=bar", "nokey", "dangling=maybe", "until=soon", "name="] {
            assert!(
                Filters::parse(&[bad.to_string()], FILTER_KEYS).is_err(),
                "{bad}"
            );
        }
        assert!(Filters::parse(&["name=x".into()], &["label", "until"]).is_err());
    }

    #[test]
    fn rows_and_inspect_objects_like_podman() {
        let mut n = net("lab", &[("a", "b"), ("c", "")]);
        n.options.insert("mtu".into(), "1400".into());
        n.options.insert(store::OPT_NO_DNS.into(), "true".into());
        let row = ls_row(&n, false);
        assert_eq!(row["ID"], "000000000000");
        assert_eq!(row["Labels"], "a=b,c=");
        assert_eq!(row["Created"], "2023-11-14 22:13:20 +0000 UTC");
        assert_eq!(row["DNSEnabled"], false);
        assert_eq!(row["Options"], json!({"mtu": "1400"}));
        let v = inspect_value(&n, Some(&[]));
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "name",
                "id",
                "driver",
                "network_interface",
                "created",
                "subnets",
                "ipv6_enabled",
                "internal",
                "dns_enabled",
                "labels",
                "options",
                "ipam_options",
                "containers"
            ]
        );
        assert_eq!(v["created"], "2023-11-14T22:13:20.000000000Z");
        assert_eq!(
            v["subnets"],
            json!([{"subnet": "10.89.0.0/24", "gateway": "10.89.0.1"}])
        );
        let plain = inspect_value(&net("p", &[]), None);
        assert!(plain.get("labels").is_none() && plain.get("options").is_none());
        assert_eq!(plain["dns_enabled"], true);
        assert_eq!(header("ID"), "NETWORK ID");
        assert_eq!(header("NetworkInterface"), "NETWORK INTERFACE");
    }

    #[test]
    fn containers_of_a_network() {
        let n = net("front", &[]);
        let mut r = Record {
            id: "c".repeat(64),
            name: "web".into(),
            ..Record::default()
        };
        r.networks.insert(
            "front".into(),
            crate::network::Attachment {
                ip: Some(std::net::Ipv4Addr::new(10, 89, 0, 2)),
                interface: Some("eth0".into()),
                ..Default::default()
            },
        );
        // Not running: listed without interfaces.
        let v = containers_value(&n, &[r.clone()]);
        assert_eq!(v[&r.id], json!({"name": "web", "interfaces": {}}));
        let e = in_use_error(&n, &[r.clone()]);
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "network front is in use by container web (remove it or use --force)"
        );
    }
}
