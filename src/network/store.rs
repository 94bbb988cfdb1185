//! User-defined networks: one record per network, `<data>/networks/<name>.json`.
//!
//! ```text
//! <data>/networks/lock          flock held while a network is created or removed
//! <data>/networks/NAME.json     a Network record
//! ```
//!
//! A network is a bridge that rl builds in a user namespace of its own; the record holds what it
//! needs to build it (subnet, gateway, MTU, internal) and what podman shows about it. Containers
//! record the networks they are on (`Record::networks`), so [`users`] is a scan of the
//! container records.

use std::collections::BTreeMap;
use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::error::{Error, Result};

/// The only driver: a bridge in a user namespace.
pub const DRIVER: &str = "bridge";

/// The bridge's name inside the network's namespace.
pub const INTERFACE: &str = "rl-br0";

/// Names that stand for network modes (`--network none`, ...), so no network may take them.
pub const RESERVED: &[&str] = &[
    "none",
    "host",
    "bridge",
    "private",
    "slirp4netns",
    "pasta",
    "default",
    "container",
    "ns",
];

/// The option key `--disable-dns` records (shown as `dns_enabled: false`, not as an option).
pub const OPT_NO_DNS: &str = "no_dns";

/// The `-o` keys a network takes.
pub const OPTIONS: &[&str] = &["mtu"];

/// slirp4netns's network, which a container's outbound path may use: never given to a network.
const SLIRP_SUBNET: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 0, 2, 0), 24);

/// A user-defined network's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Unique name.
    pub name: String,
    /// 64 random hex digits.
    pub id: String,
    /// Always [`DRIVER`].
    pub driver: String,
    /// The network address (host bits clear).
    pub subnet: Ipv4Addr,
    /// The prefix length, 8 to 30.
    pub prefix: u8,
    /// The bridge's address, inside the subnet.
    pub gateway: Ipv4Addr,
    /// `--internal`: no route out.
    pub internal: bool,
    /// `--label`s.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `-o` options (`mtu`), and [`OPT_NO_DNS`] for `--disable-dns`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Nanoseconds since the epoch.
    pub created: u64,
}

impl Network {
    /// The subnet mask as a number.
    fn mask(&self) -> u32 {
        mask(self.prefix)
    }

    /// `10.89.0.0/24`.
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.subnet, self.prefix)
    }

    /// Whether `ip` is in the subnet (network and broadcast addresses included).
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.subnet)
    }

    /// The broadcast address.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.subnet) | !self.mask())
    }

    /// The addresses containers may have, in order: the subnet's hosts except the gateway (the
    /// network and broadcast addresses are never hosts).
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let first = u32::from(self.subnet) + 1;
        let last = u32::from(self.broadcast()) - 1;
        let gateway = self.gateway;
        (first..=last)
            .map(Ipv4Addr::from)
            .filter(move |ip| *ip != gateway)
    }

    /// Whether containers resolve each other's names on it (not `--disable-dns`).
    pub fn dns_enabled(&self) -> bool {
        !self.options.contains_key(OPT_NO_DNS)
    }

    /// `-o mtu=`, if set.
    pub fn mtu(&self) -> Option<u32> {
        self.options.get("mtu").and_then(|m| m.parse().ok())
    }

    /// The first 12 digits of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

/// What `rl network create` asks for, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// None: the first free `rl1`, `rl2`, ...
    pub name: Option<String>,
    /// `-d`: None means [`DRIVER`].
    pub driver: Option<String>,
    /// `--subnet CIDR`.
    pub subnet: Option<String>,
    /// `--gateway IP`.
    pub gateway: Option<String>,
    /// `--internal`.
    pub internal: bool,
    /// `--ipv6` (not supported yet).
    pub ipv6: bool,
    /// `--disable-dns`.
    pub disable_dns: bool,
    /// `--ignore`: an existing network of that name is the answer, not an error.
    pub ignore: bool,
    /// `--label K=V`.
    pub labels: BTreeMap<String, String>,
    /// `-o K=V`.
    pub options: BTreeMap<String, String>,
}

/// The directory of network records.
pub fn dir(paths: &Paths) -> PathBuf {
    paths.data.join("networks")
}

fn record_path(paths: &Paths, name: &str) -> PathBuf {
    dir(paths).join(format!("{name}.json"))
}

/// The error for a network that does not exist (as rl words it for containers).
pub fn not_found(what: &str) -> Error {
    Error::Msg(format!("no network with name or ID \"{what}\" found"))
}

/// A network by exact name, else by exact id or unique id prefix (at least 3 digits).
pub fn load(paths: &Paths, name_or_id: &str) -> Result<Network> {
    if valid_name(name_or_id)
        && let Ok(b) = fs::read(record_path(paths, name_or_id))
        && let Ok(n) = serde_json::from_slice::<Network>(&b)
    {
        return Ok(n);
    }
    find(&list(paths), name_or_id).cloned()
}

/// [`load`]'s rule over a list.
fn find<'n>(all: &'n [Network], what: &str) -> Result<&'n Network> {
    if let Some(n) = all.iter().find(|n| n.name == what || n.id == what) {
        return Ok(n);
    }
    let hits: Vec<&Network> = all
        .iter()
        .filter(|n| !what.is_empty() && n.id.starts_with(what))
        .collect();
    match hits.as_slice() {
        [one] if what.len() >= 3 => Ok(one),
        [] | [_] => Err(not_found(what)),
        _ => Err(Error::Msg(format!(
            "\"{what}\" is ambiguous: {} networks match",
            hits.len()
        ))),
    }
}

/// Every network, sorted by name; unreadable records are skipped.
pub fn list(paths: &Paths) -> Vec<Network> {
    let Ok(rd) = fs::read_dir(dir(paths)) else {
        return Vec::new();
    };
    let mut v: Vec<Network> = rd
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".json") && !name.starts_with('.')
        })
        .filter_map(|e| fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<Network>(&b).ok())
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// A held lock on the network records (released when dropped).
#[derive(Debug)]
pub struct Lock {
    _file: fs::File,
}

/// Lock the network records against concurrent creation and removal.
pub fn lock(paths: &Paths) -> Result<Lock> {
    let d = dir(paths);
    crate::config::ensure_dir(&d)?;
    let path = d.join("lock");
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::path("open lock", &path, e))?;
    f.lock().map_err(|e| Error::path("lock", &path, e))?;
    Ok(Lock { _file: f })
}

/// Create a network (or, with `ignore`, find the existing one of that name).
pub fn create(paths: &Paths, req: &CreateRequest) -> Result<Network> {
    let _lock = lock(paths)?;
    let existing = list(paths);
    let net = plan(req, &existing, crate::container::new_id()?, now())?;
    if let Some(old) = existing.iter().find(|n| n.name == net.name) {
        // plan() only lets an existing name through with `ignore`.
        return Ok(old.clone());
    }
    let bytes = serde_json::to_vec_pretty(&net)
        .map_err(|e| Error::io("encode network record", e.into()))?;
    crate::store_file::write_atomic(&record_path(paths, &net.name), &bytes)?;
    Ok(net)
}

fn now() -> u64 {
    u64::try_from(crate::format::time::now_nanos()).unwrap_or(0)
}

/// Remove a network's record (by exact name). Whether containers use it is the caller's
/// business.
pub fn remove(paths: &Paths, name: &str) -> Result<()> {
    let _lock = lock(paths)?;
    if !valid_name(name) {
        return Err(not_found(name));
    }
    let p = record_path(paths, name);
    match fs::remove_file(&p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found(name)),
        Err(e) => Err(Error::path("remove", p, e)),
    }
}

/// The containers whose record puts them on network `name`.
pub fn users(paths: &Paths, name: &str) -> Vec<crate::container::Record> {
    let mut v: Vec<_> = crate::container::list(paths)
        .into_iter()
        .filter(|r| r.networks.contains_key(name))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// Whether a name is acceptable: `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (podman's rule).
pub fn valid_name(name: &str) -> bool {
    crate::container::valid_name(name)
}

/// The netmask of a prefix length, as a number.
pub fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

/// Whether two subnets share an address.
pub fn overlaps(a: (Ipv4Addr, u8), b: (Ipv4Addr, u8)) -> bool {
    let m = mask(a.1.min(b.1));
    u32::from(a.0) & m == u32::from(b.0) & m
}

/// Parse `--subnet`: an IPv4 CIDR with a prefix of 8 to 30; host bits are cleared (as podman
/// does).
pub fn parse_subnet(s: &str) -> Result<(Ipv4Addr, u8)> {
    let bad = || Error::Usage(format!("invalid CIDR address: {s}"));
    if s.split_once('/')
        .is_some_and(|(addr, _)| addr.contains(':'))
    {
        return Err(Error::Usage(format!(
            "subnet {s}: IPv6 networks are not supported yet"
        )));
    }
    let (addr, prefix) = split_cidr(s).ok_or_else(bad)?;
    if !(8..=30).contains(&prefix) {
        return Err(Error::Usage(format!(
            "subnet {s}: the prefix length must be 8 to 30"
        )));
    }
    Ok((Ipv4Addr::from(u32::from(addr) & mask(prefix)), prefix))
}

/// `A.B.C.D/N` (N a plain number up to 32) as its address and prefix length, unmasked.
pub fn split_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, prefix) = s.split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    if prefix.is_empty() || !prefix.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    (prefix <= 32).then_some((addr, prefix))
}

fn cidr((a, p): (Ipv4Addr, u8)) -> String {
    format!("{a}/{p}")
}

/// The first free `10.89.N.0/24`.
fn default_subnet(existing: &[Network]) -> Result<(Ipv4Addr, u8)> {
    (0..=255u8)
        .map(|n| (Ipv4Addr::new(10, 89, n, 0), 24))
        .find(|&s| {
            !overlaps(s, SLIRP_SUBNET)
                && !existing.iter().any(|e| overlaps(s, (e.subnet, e.prefix)))
        })
        .ok_or_else(|| {
            Error::Msg(
                "no free subnet left in 10.89.0.0/16: remove networks or give --subnet".into(),
            )
        })
}

/// The first `rl1`, `rl2`, ... not taken.
fn default_name(existing: &[Network]) -> String {
    (1..)
        .map(|i| format!("rl{i}"))
        .find(|n| existing.iter().all(|e| &e.name != n))
        .unwrap_or_default()
}

/// Check a request against the existing networks and make the record (pure: the id and time are
/// given). With `ignore`, an existing network of the name is returned as it is.
pub fn plan(
    req: &CreateRequest,
    existing: &[Network],
    id: String,
    created: u64,
) -> Result<Network> {
    let name = match &req.name {
        Some(n) => n.clone(),
        None => default_name(existing),
    };
    if !valid_name(&name) {
        return Err(Error::Usage(format!(
            "network name {name} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
        )));
    }
    if RESERVED.contains(&name.as_str()) {
        return Err(Error::Usage(format!(
            "{name} is a reserved network name: it names a network mode"
        )));
    }
    if let Some(old) = existing.iter().find(|n| n.name == name) {
        if req.ignore {
            return Ok(old.clone());
        }
        return Err(Error::Msg(format!(
            "network name {name} already used: network already exists"
        )));
    }
    let driver = req.driver.as_deref().unwrap_or(DRIVER);
    if driver != DRIVER {
        return Err(Error::Usage(format!(
            "driver {driver} is not supported: rl networks are bridges in a user namespace"
        )));
    }
    if req.ipv6 {
        return Err(Error::Usage(
            "--ipv6: IPv6 networks are not supported yet".into(),
        ));
    }
    let mut options = BTreeMap::new();
    let unknown: Vec<&str> = req
        .options
        .keys()
        .map(String::as_str)
        .filter(|k| !OPTIONS.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Usage(format!(
            "unsupported bridge network option {} (rl takes: {})",
            unknown.join(", "),
            OPTIONS.join(", ")
        )));
    }
    if let Some(mtu) = req.options.get("mtu") {
        match mtu.parse::<u32>() {
            Ok(m) if (68..=65535).contains(&m) => {
                options.insert("mtu".to_string(), m.to_string());
            }
            _ => {
                return Err(Error::Usage(format!(
                    "invalid mtu {mtu:?}: want a number from 68 to 65535"
                )));
            }
        }
    }
    if req.disable_dns {
        options.insert(OPT_NO_DNS.to_string(), "true".to_string());
    }
    let (subnet, prefix) = match &req.subnet {
        Some(s) => {
            let sub = parse_subnet(s)?;
            if let Some(other) = existing
                .iter()
                .find(|e| overlaps(sub, (e.subnet, e.prefix)))
            {
                return Err(Error::Msg(format!(
                    "subnet {} is already used by network {}",
                    cidr(sub),
                    other.name
                )));
            }
            if overlaps(sub, SLIRP_SUBNET) {
                return Err(Error::Usage(format!(
                    "subnet {} overlaps {}, which slirp4netns uses",
                    cidr(sub),
                    cidr(SLIRP_SUBNET)
                )));
            }
            sub
        }
        None => {
            if req.gateway.is_some() {
                return Err(Error::Usage(
                    "cannot set gateway or range without subnet".into(),
                ));
            }
            default_subnet(existing)?
        }
    };
    let mut net = Network {
        name,
        id,
        driver: DRIVER.to_string(),
        subnet,
        prefix,
        gateway: Ipv4Addr::from(u32::from(subnet) + 1),
        internal: req.internal,
        labels: req.labels.clone(),
        options,
        created,
    };
    if let Some(g) = &req.gateway {
        let ip: Ipv4Addr = g
            .parse()
            .map_err(|_| Error::Usage(format!("invalid gateway {g:?}: want an IPv4 address")))?;
        if !net.contains(ip) {
            return Err(Error::Usage(format!(
                "gateway {ip} not in subnet {}",
                net.cidr()
            )));
        }
        if ip == net.subnet || ip == net.broadcast() {
            return Err(Error::Usage(format!(
                "gateway {ip} is the network or broadcast address of subnet {}",
                net.cidr()
            )));
        }
        net.gateway = ip;
    }
    Ok(net)
}

/// Parse `K=V` arguments (`--label`, `-o`); `K` alone means an empty value, as podman takes
/// labels.
pub fn parse_pairs(args: &[String], what: &str) -> Result<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    for a in args {
        let (k, v) = a.split_once('=').unwrap_or((a, ""));
        if k.is_empty() {
            return Err(Error::Usage(format!(
                "invalid {what} {a:?}: want KEY=VALUE"
            )));
        }
        m.insert(k.to_string(), v.to_string());
    }
    Ok(m)
}

/// Whether `dir` holds a record for `name` (for tests and callers holding the lock).
pub fn exists(paths: &Paths, name: &str) -> bool {
    valid_name(name) && record_path(paths, name).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(name: &str) -> CreateRequest {
        CreateRequest {
            name: Some(name.into()),
            ..CreateRequest::default()
        }
    }

    fn make(r: &CreateRequest, existing: &[Network]) -> Result<Network> {
        plan(r, existing, "ab".repeat(32), 1)
    }

    #[test]
    fn default_subnets_are_the_first_free_slash_24() {
        let a = make(&req("a"), &[]).unwrap();
        assert_eq!(a.cidr(), "10.89.0.0/24");
        assert_eq!(a.gateway, Ipv4Addr::new(10, 89, 0, 1));
        assert_eq!(a.driver, "bridge");
        let b = make(&req("b"), std::slice::from_ref(&a)).unwrap();
        assert_eq!(b.cidr(), "10.89.1.0/24");
        // A gap is reused; a wide network takes every /24 it covers.
        let mut wide = req("w");
        wide.subnet = Some("10.89.0.0/23".into());
        let w = make(&wide, &[]).unwrap();
        let c = make(&req("c"), std::slice::from_ref(&w)).unwrap();
        assert_eq!(c.cidr(), "10.89.2.0/24");
        let mut all = Vec::new();
        for n in 0..=255u8 {
            let mut r = req(&format!("n{n}"));
            r.subnet = Some(format!("10.89.{n}.0/24"));
            all.push(make(&r, &[]).unwrap());
        }
        let e = make(&req("full"), &all).unwrap_err();
        assert!(e.to_string().contains("no free subnet"), "{e}");
    }

    #[test]
    fn default_names_count_up() {
        let mut r = CreateRequest::default();
        let a = make(&r, &[]).unwrap();
        assert_eq!(a.name, "rl1");
        r.name = None;
        let b = make(&r, std::slice::from_ref(&a)).unwrap();
        assert_eq!(b.name, "rl2");
    }

    #[test]
    fn overlapping_subnets_are_refused() {
        assert!(overlaps(
            (Ipv4Addr::new(10, 89, 0, 0), 16),
            (Ipv4Addr::new(10, 89, 3, 0), 24)
        ));
        assert!(!overlaps(
            (Ipv4Addr::new(10, 89, 0, 0), 24),
            (Ipv4Addr::new(10, 89, 1, 0), 24)
        ));
        let a = make(&req("a"), &[]).unwrap();
        let mut r = req("b");
        r.subnet = Some("10.89.0.0/16".into());
        let e = make(&r, std::slice::from_ref(&a)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "subnet 10.89.0.0/16 is already used by network a"
        );
        r.subnet = Some("10.0.0.0/8".into());
        let e = make(&r, &[]).unwrap_err();
        assert!(e.to_string().contains("slirp4netns"), "{e}");
    }

    #[test]
    fn subnets_parse_like_podman() {
        assert_eq!(
            parse_subnet("10.90.0.7/24").unwrap(),
            (Ipv4Addr::new(10, 90, 0, 0), 24)
        );
        assert_eq!(
            parse_subnet("192.168.5.0/30").unwrap(),
            (Ipv4Addr::new(192, 168, 5, 0), 30)
        );
        for bad in [
            "bogus",
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0.0/x",
            "10.0.0/24",
            "1.2.3.4/33",
        ] {
            let e = parse_subnet(bad).unwrap_err();
            assert_eq!(e.to_string(), format!("invalid CIDR address: {bad}"));
        }
        for bad in ["10.0.0.0/7", "10.0.0.0/31", "10.0.0.0/32"] {
            assert!(
                parse_subnet(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("8 to 30")
            );
        }
        let e = parse_subnet("fd00::/64").unwrap_err();
        assert!(e.to_string().contains("not supported yet"), "{e}");
    }

    #[test]
    fn gateways() {
        let mut r = req("g");
        r.subnet = Some("172.30.0.0/16".into());
        r.gateway = Some("172.30.5.5".into());
        assert_eq!(make(&r, &[]).unwrap().gateway, Ipv4Addr::new(172, 30, 5, 5));
        r.gateway = Some("172.31.0.1".into());
        assert_eq!(
            make(&r, &[]).unwrap_err().to_string(),
            "gateway 172.31.0.1 not in subnet 172.30.0.0/16"
        );
        for edge in ["172.30.0.0", "172.30.255.255"] {
            r.gateway = Some(edge.into());
            assert!(make(&r, &[]).unwrap_err().to_string().contains("broadcast"));
        }
        r.gateway = Some("x".into());
        assert!(
            make(&r, &[])
                .unwrap_err()
                .to_string()
                .contains("invalid gateway")
        );
        let mut r = req("g");
        r.gateway = Some("10.89.0.1".into());
        assert_eq!(
            make(&r, &[]).unwrap_err().to_string(),
            "cannot set gateway or range without subnet"
        );
    }

    #[test]
    fn names_drivers_options() {
        for n in RESERVED {
            let e = make(&req(n), &[]).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{n} is a reserved network name: it names a network mode")
            );
        }
        for n in ["bad/name", "-x", "a b", "", ".a"] {
            let e = make(&req(n), &[]).unwrap_err();
            assert!(
                e.to_string().contains("invalid: names must match"),
                "{n}: {e}"
            );
        }
        let a = make(&req("a"), &[]).unwrap();
        let e = make(&req("a"), std::slice::from_ref(&a)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "network name a already used: network already exists"
        );
        let mut r = req("a");
        r.ignore = true;
        r.internal = true;
        assert_eq!(make(&r, std::slice::from_ref(&a)).unwrap(), a);
        let mut r = req("m");
        r.driver = Some("macvlan".into());
        assert!(make(&r, &[]).unwrap_err().to_string().starts_with(
            "driver macvlan is not supported: rl networks are bridges in a user namespace"
        ));
        let mut r = req("m");
        r.ipv6 = true;
        assert!(
            make(&r, &[])
                .unwrap_err()
                .to_string()
                .contains("not supported yet")
        );
        let mut r = req("m");
        r.options = parse_pairs(&["mtu=1400".into()], "-o").unwrap();
        r.disable_dns = true;
        r.internal = true;
        let m = make(&r, &[]).unwrap();
        assert_eq!(m.mtu(), Some(1400));
        assert!(!m.dns_enabled());
        assert!(m.internal);
        r.options = parse_pairs(&["mtu=abc".into()], "-o").unwrap();
        assert!(
            make(&r, &[])
                .unwrap_err()
                .to_string()
                .contains("invalid mtu")
        );
        r.options = parse_pairs(&["zz=1".into(), "isolate=true".into()], "-o").unwrap();
        let e = make(&r, &[]).unwrap_err().to_string();
        assert!(
            e.starts_with("unsupported bridge network option isolate, zz"),
            "{e}"
        );
        let labels = parse_pairs(&["a=b".into(), "c".into(), "d=e=f".into()], "--label").unwrap();
        assert_eq!(labels["a"], "b");
        assert_eq!(labels["c"], "");
        assert_eq!(labels["d"], "e=f");
        assert!(parse_pairs(&["=x".into()], "--label").is_err());
    }

    #[test]
    fn hosts_skip_network_gateway_and_broadcast() {
        let mut r = req("h");
        r.subnet = Some("10.1.2.0/29".into());
        let n = make(&r, &[]).unwrap();
        let hosts: Vec<String> = n.hosts().map(|h| h.to_string()).collect();
        assert_eq!(
            hosts,
            ["10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"]
        );
        r.gateway = Some("10.1.2.4".into());
        let n = make(&r, &[]).unwrap();
        assert_eq!(n.hosts().count(), 5);
        assert!(n.hosts().all(|h| h != n.gateway));
        assert!(n.contains(Ipv4Addr::new(10, 1, 2, 7)));
        assert!(!n.contains(Ipv4Addr::new(10, 1, 2, 8)));
        assert_eq!(n.broadcast(), Ipv4Addr::new(10, 1, 2, 7));
        let big = make(&req("b"), &[n]).unwrap();
        assert_eq!(big.hosts().count(), 253);
    }

    #[test]
    fn lookup_by_name_or_id_prefix() {
        let a = plan(&req("a"), &[], format!("abc{}", "0".repeat(61)), 1).unwrap();
        let b = plan(&req("b"), &[], format!("abd{}", "0".repeat(61)), 1).unwrap();
        let all = vec![a, b];
        assert_eq!(find(&all, "a").unwrap().name, "a");
        assert_eq!(find(&all, "abc").unwrap().name, "a");
        assert!(
            find(&all, "ab")
                .unwrap_err()
                .to_string()
                .contains("ambiguous")
        );
        assert_eq!(
            find(&all, "zz").unwrap_err().to_string(),
            "no network with name or ID \"zz\" found"
        );
    }

    #[test]
    fn records_round_trip_on_disk() {
        let t = tempfile::tempdir().unwrap();
        let paths = Paths {
            data: t.path().join("data"),
            runtime: t.path().join("run"),
            config: t.path().join("config"),
        };
        assert!(list(&paths).is_empty());
        let a = create(&paths, &req("a")).unwrap();
        let b = create(&paths, &CreateRequest::default()).unwrap();
        assert_eq!(b.name, "rl1");
        assert_eq!(b.cidr(), "10.89.1.0/24");
        assert_eq!(a.id.len(), 64);
        assert_eq!(load(&paths, "a").unwrap(), a);
        assert_eq!(load(&paths, &a.id[..10]).unwrap(), a);
        assert_eq!(
            list(&paths)
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "rl1"]
        );
        fs::write(dir(&paths).join("junk.json"), b"{").unwrap();
        assert_eq!(list(&paths).len(), 2);
        assert!(exists(&paths, "a"));
        remove(&paths, "a").unwrap();
        assert!(!exists(&paths, "a"));
        assert!(remove(&paths, "a").is_err());
        assert!(load(&paths, "a").is_err());
        assert!(users(&paths, "rl1").is_empty());
    }
}
