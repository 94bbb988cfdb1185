//! Pure parsing and formatting for container networking: `--network` values, `-p`/`-P` port
//! requests and their host-port assignment, the `rl port` / `ps` / `inspect` renderings of the
//! assigned ports, `--add-host`, and the container's `/etc/hosts` and `/etc/resolv.conf` text.
//!
//! No I/O here: [`assign_ports`] asks injected closures whether a host port is free and for an
//! OS-chosen port, and the files are returned as strings for the caller to write. Every user
//! mistake is an [`Error::Usage`] naming the bad value.
//!
//! Where the output is user-visible it follows podman 4.3, with two deliberate exceptions, both
//! docker's spelling: an IPv6 host address is bracketed (`[::1]:8080`, where podman 4.3 prints
//! `::1:8080`), and `inspect` shows an unbound host address as `0.0.0.0` (podman 4.3: empty).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::PortMapping;
use crate::error::{Error, Result};

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

// ---------------------------------------------------------------------------------------------
// --network
// ---------------------------------------------------------------------------------------------

/// A user-mode network stack: what a rootless container without a user-defined network uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stack {
    /// slirp4netns (podman 4's rootless default).
    Slirp4netns,
    /// passt's pasta (podman 5's rootless default).
    Pasta,
}

impl Stack {
    /// The stack's name as `--network` and containers.conf spell it.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Slirp4netns => "slirp4netns",
            Stack::Pasta => "pasta",
        }
    }

    /// Parse a stack name (`slirp4netns` or `pasta`, as in containers.conf's
    /// `default_rootless_network_cmd`).
    pub fn parse(name: &str) -> Result<Stack> {
        match name {
            "slirp4netns" => Ok(Stack::Slirp4netns),
            "pasta" => Ok(Stack::Pasta),
            _ => Err(usage(format!(
                "unknown network stack {name:?}: expected slirp4netns or pasta"
            ))),
        }
    }
}

/// Options of `--network slirp4netns:KEY=VALUE,...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlirpOptions {
    /// Whether the gateway (10.0.2.2 by default) reaches the host's 127.0.0.1. Podman defaults to
    /// false; rl defaults to true so that `host.containers.internal` reaches services bound to the
    /// host's loopback, which is what people running a dev server on the host expect.
    pub allow_host_loopback: bool,
    /// `cidr=`: the IPv4 network slirp4netns serves (default 10.0.2.0/24), validated, prefix at
    /// most 30, stored as its network address (`10.0.3.7/24` becomes `10.0.3.0/24`).
    pub cidr: Option<String>,
    /// `enable_ipv6=`: give the container IPv6 (fd00::/64) as well.
    pub enable_ipv6: bool,
    /// `mtu=`: the tap device's MTU (68..=65521; slirp4netns's default is 65520).
    pub mtu: Option<u32>,
    /// `outbound_addr=`: the host IPv4 address or interface outgoing connections use.
    pub outbound_addr: Option<String>,
    /// `outbound_addr6=`: the host IPv6 address or interface outgoing connections use.
    pub outbound_addr6: Option<String>,
}

impl Default for SlirpOptions {
    fn default() -> Self {
        SlirpOptions {
            allow_host_loopback: true,
            cidr: None,
            enable_ipv6: false,
            mtu: None,
            outbound_addr: None,
            outbound_addr6: None,
        }
    }
}

/// The addresses slirp4netns gives out on its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlirpAddresses {
    /// The network address (10.0.2.0).
    pub network: Ipv4Addr,
    /// The prefix length (24).
    pub prefix: u8,
    /// The gateway, which is also the host (10.0.2.2).
    pub gateway: Ipv4Addr,
    /// The built-in DNS forwarder (10.0.2.3).
    pub dns: Ipv4Addr,
    /// The address the container gets (10.0.2.100).
    pub guest: Ipv4Addr,
}

impl SlirpOptions {
    /// slirp4netns's addresses for this configuration: network + 2, + 3 and + 100 of `cidr`
    /// (10.0.2.0/24 when unset), as slirp4netns computes them.
    pub fn addresses(&self) -> SlirpAddresses {
        let (network, prefix) = self
            .cidr
            .as_deref()
            .and_then(|c| parse_ipv4_cidr(c).ok())
            .unwrap_or((Ipv4Addr::new(10, 0, 2, 0), 24));
        let base = u32::from(network);
        SlirpAddresses {
            network,
            prefix,
            gateway: Ipv4Addr::from(base | 2),
            dns: Ipv4Addr::from(base | 3),
            guest: Ipv4Addr::from(base | 100),
        }
    }
}

/// One user-defined network named by `--network NAME[:alias=a,ip=10.89.0.5,mac=...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedNetwork {
    /// The network's name.
    pub name: String,
    /// `alias=` names (repeatable), besides the container's name and short id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `ip=`: the address asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<Ipv4Addr>,
    /// `mac=`: the MAC address asked for, lowercase `aa:bb:cc:dd:ee:ff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// A container's network mode, from its `--network` flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// `none`: a network namespace with only the loopback interface.
    None,
    /// `host`: the host's network namespace.
    Host,
    /// `slirp4netns[:options]`.
    Slirp(SlirpOptions),
    /// `pasta[:args]`: the extra arguments passed to pasta.
    Pasta(Vec<String>),
    /// `container:NAME`: join another container's network namespace (name or id, unresolved).
    Container(String),
    /// One or more user-defined networks.
    Networks(Vec<NamedNetwork>),
}

impl Mode {
    /// The default mode for a user-mode stack (what no `--network` flag means).
    pub fn default_for(stack: Stack) -> Mode {
        match stack {
            Stack::Slirp4netns => Mode::Slirp(SlirpOptions::default()),
            Stack::Pasta => Mode::Pasta(Vec::new()),
        }
    }
}

/// One parsed `--network` value: a whole mode, or one user network that may be combined with
/// other user networks.
enum Single {
    Mode(Mode),
    Network(NamedNetwork),
}

/// Parse every `--network` flag given (empty slice: the default). `default_stack` is the default
/// user-mode stack.
///
/// Accepted values (podman 4's syntax): `none`, `host`, `private` and `bridge` (both the default
/// stack), `slirp4netns[:KEY=VALUE,...]`, `pasta[:ARG,...]`, `container:NAME`, and user network
/// names `NAME[:alias=A,ip=IP,mac=MAC]`. Several flags are allowed only when all of them name user
/// networks; a value is never split on commas into several networks. `container` and `ns` without
/// a value are errors rather than network names (`ns:PATH` is not supported at all).
pub fn parse_network(values: &[String], default_stack: Stack) -> Result<Mode> {
    if values.is_empty() {
        return Ok(Mode::default_for(default_stack));
    }
    let mut parsed = Vec::with_capacity(values.len());
    for v in values {
        parsed.push((v, parse_single(v, default_stack)?));
    }
    if parsed.len() == 1 {
        return Ok(match parsed.pop() {
            Some((_, Single::Mode(m))) => m,
            Some((_, Single::Network(n))) => Mode::Networks(vec![n]),
            None => Mode::default_for(default_stack),
        });
    }
    let mut nets: Vec<NamedNetwork> = Vec::with_capacity(parsed.len());
    for (v, single) in parsed {
        match single {
            Single::Mode(_) => {
                return Err(usage(format!(
                    "--network {v} cannot be combined with other networks"
                )));
            }
            Single::Network(n) => {
                if nets.iter().any(|o| o.name == n.name) {
                    return Err(usage(format!(
                        "--network {} is given more than once",
                        n.name
                    )));
                }
                nets.push(n);
            }
        }
    }
    Ok(Mode::Networks(nets))
}

fn parse_single(value: &str, default_stack: Stack) -> Result<Single> {
    if value.is_empty() {
        return Err(usage("--network needs a value"));
    }
    let (kind, opts) = match value.split_once(':') {
        Some((k, o)) => (k, Some(o)),
        None => (value, None),
    };
    let no_options = |mode: Mode| -> Result<Single> {
        if opts.is_some() {
            Err(usage(format!("--network {value}: {kind} takes no options")))
        } else {
            Ok(Single::Mode(mode))
        }
    };
    match kind {
        "none" => no_options(Mode::None),
        "host" => no_options(Mode::Host),
        "private" | "bridge" => no_options(Mode::default_for(default_stack)),
        "slirp4netns" => Ok(Single::Mode(Mode::Slirp(parse_slirp_options(
            opts.unwrap_or(""),
        )?))),
        "pasta" => Ok(Single::Mode(Mode::Pasta(parse_pasta_args(
            opts.unwrap_or(""),
        )?))),
        "container" => match opts {
            Some(name) if !name.is_empty() => Ok(Single::Mode(Mode::Container(name.to_string()))),
            _ => Err(usage(format!(
                "--network {value}: name the container: container:NAME"
            ))),
        },
        "ns" => Err(usage(format!(
            "--network {value}: joining a network namespace by path (ns:PATH) is not supported"
        ))),
        _ => Ok(Single::Network(parse_named_network(value, kind, opts)?)),
    }
}

fn parse_bool_option(value: &str, key: &str, v: &str) -> Result<bool> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(usage(format!(
            "--network {value}: {key} must be true or false, not {v:?}"
        ))),
    }
}

/// Parse `A.B.C.D/N` (N <= 30) into its network address and prefix length.
fn parse_ipv4_cidr(cidr: &str) -> Result<(Ipv4Addr, u8)> {
    let bad = || {
        usage(format!(
            "invalid IPv4 network {cidr:?}: expected A.B.C.D/N with N <= 30"
        ))
    };
    let (addr, prefix) = super::store::split_cidr(cidr)
        .filter(|&(_, prefix)| prefix <= 30)
        .ok_or_else(bad)?;
    Ok((
        Ipv4Addr::from(u32::from(addr) & super::store::mask(prefix)),
        prefix,
    ))
}

/// A Linux interface name: 1 to 15 bytes, not `.` or `..`, without `/`, `:` or white space.
fn is_interface_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s != "."
        && s != ".."
        && !s
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace() || c == '\0')
}

fn parse_slirp_options(opts: &str) -> Result<SlirpOptions> {
    let value = format!("slirp4netns:{opts}");
    let mut o = SlirpOptions::default();
    for item in opts.split(',').filter(|s| !s.is_empty()) {
        let Some((key, v)) = item.split_once('=') else {
            return Err(usage(format!(
                "--network {value}: option {item:?} is not KEY=VALUE"
            )));
        };
        match key {
            "allow_host_loopback" => o.allow_host_loopback = parse_bool_option(&value, key, v)?,
            "enable_ipv6" => o.enable_ipv6 = parse_bool_option(&value, key, v)?,
            "cidr" => {
                let (net, prefix) = parse_ipv4_cidr(v)
                    .map_err(|e| usage(format!("--network {value}: cidr: {e}")))?;
                o.cidr = Some(format!("{net}/{prefix}"));
            }
            "mtu" => {
                let mtu = v
                    .parse::<u32>()
                    .ok()
                    .filter(|m| (68..=65521).contains(m))
                    .ok_or_else(|| {
                        usage(format!(
                            "--network {value}: mtu must be a number from 68 to 65521, not {v:?}"
                        ))
                    })?;
                o.mtu = Some(mtu);
            }
            "outbound_addr" => {
                let looks_like_address = v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                let ok =
                    v.parse::<Ipv4Addr>().is_ok() || (!looks_like_address && is_interface_name(v));
                if !ok {
                    return Err(usage(format!(
                        "--network {value}: outbound_addr {v:?} is neither an IPv4 address nor an interface name"
                    )));
                }
                o.outbound_addr = Some(v.to_string());
            }
            "outbound_addr6" => {
                let ok =
                    v.parse::<Ipv6Addr>().is_ok() || (!v.contains(':') && is_interface_name(v));
                if !ok {
                    return Err(usage(format!(
                        "--network {value}: outbound_addr6 {v:?} is neither an IPv6 address nor an interface name"
                    )));
                }
                o.outbound_addr6 = Some(v.to_string());
            }
            "port_handler" => match v {
                "slirp4netns" => {}
                "rootlesskit" => {
                    return Err(usage(format!(
                        "--network {value}: port_handler=rootlesskit is not supported: rl forwards \
                         published ports with slirp4netns itself, which keeps the client's address"
                    )));
                }
                _ => {
                    return Err(usage(format!(
                        "--network {value}: unknown port_handler {v:?} (rl uses slirp4netns)"
                    )));
                }
            },
            _ => {
                return Err(usage(format!(
                    "--network {value}: unknown slirp4netns option {key:?}"
                )));
            }
        }
    }
    Ok(o)
}

fn parse_pasta_args(opts: &str) -> Result<Vec<String>> {
    let mut args = Vec::new();
    for arg in opts.split(',').filter(|s| !s.is_empty()) {
        let reserved = ["--netns", "--userns", "--pid"]
            .iter()
            .any(|r| arg == *r || arg.starts_with(&format!("{r}=")))
            || arg.starts_with("-P");
        if reserved {
            return Err(usage(format!(
                "--network pasta:{opts}: pasta option {arg:?} cannot be given: rl sets it"
            )));
        }
        args.push(arg.to_string());
    }
    Ok(args)
}

/// Parse a MAC address given as six hex pairs separated by `:`; returns it in lowercase.
pub fn parse_mac(mac: &str) -> Option<String> {
    let parts: Vec<&str> = mac.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    ok.then(|| mac.to_ascii_lowercase())
}

fn parse_named_network(value: &str, name: &str, opts: Option<&str>) -> Result<NamedNetwork> {
    if !crate::network::store::valid_name(name) {
        return Err(usage(format!(
            "invalid network name {name:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
        )));
    }
    let mut net = NamedNetwork {
        name: name.to_string(),
        aliases: Vec::new(),
        ip: None,
        mac: None,
    };
    for item in opts.unwrap_or("").split(',').filter(|s| !s.is_empty()) {
        let Some((key, v)) = item.split_once('=') else {
            return Err(usage(format!(
                "--network {value}: option {item:?} is not KEY=VALUE"
            )));
        };
        match key {
            "alias" => {
                if v.is_empty() || v.chars().any(char::is_whitespace) {
                    return Err(usage(format!("--network {value}: invalid alias {v:?}")));
                }
                if !net.aliases.iter().any(|a| a == v) {
                    net.aliases.push(v.to_string());
                }
            }
            "ip" => {
                if net.ip.is_some() {
                    return Err(usage(format!("--network {value}: ip= is given twice")));
                }
                let ip = v.parse::<Ipv4Addr>().map_err(|_| {
                    usage(format!(
                        "--network {value}: ip {v:?} is not an IPv4 address"
                    ))
                })?;
                net.ip = Some(ip);
            }
            "mac" => {
                if net.mac.is_some() {
                    return Err(usage(format!("--network {value}: mac= is given twice")));
                }
                net.mac = Some(parse_mac(v).ok_or_else(|| {
                    usage(format!(
                        "--network {value}: mac {v:?} is not a MAC address (six hex pairs, aa:bb:cc:dd:ee:ff)"
                    ))
                })?);
            }
            _ => {
                return Err(usage(format!(
                    "--network {value}: unknown option {key:?} (known: alias, ip, mac)"
                )));
            }
        }
    }
    Ok(net)
}

// ---------------------------------------------------------------------------------------------
// Published ports
// ---------------------------------------------------------------------------------------------

/// The host side of a port request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPort {
    /// Any free port, chosen by the OS.
    Any,
    /// This port.
    Fixed(u16),
    /// The first free port in this inclusive range.
    AnyOf(u16, u16),
}

/// One container port to publish, before host ports are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRequest {
    /// Host address to bind; empty means every (IPv4) address.
    pub host_ip: String,
    /// Which host port.
    pub host_port: HostPort,
    /// Port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

fn parse_protocol(p: &str, what: &str) -> Result<String> {
    let lower = p.to_ascii_lowercase();
    match lower.as_str() {
        "tcp" | "udp" => Ok(lower),
        "sctp" => Err(usage(format!(
            "{what}: sctp is not supported by the user-mode stacks (slirp4netns, pasta)"
        ))),
        _ => Err(usage(format!(
            "{what}: unknown protocol {p:?} (expected tcp or udp)"
        ))),
    }
}

fn parse_port_number(s: &str, what: &str) -> Result<u16> {
    let bad = || usage(format!("{what}: invalid port {s:?} (expected 1-65535)"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => u16::try_from(n).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// `A` or `A-B` (A <= B).
fn parse_port_range(s: &str, what: &str) -> Result<(u16, u16)> {
    match s.split_once('-') {
        None => {
            let p = parse_port_number(s, what)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let (a, b) = (parse_port_number(a, what)?, parse_port_number(b, what)?);
            if a > b {
                return Err(usage(format!(
                    "{what}: port range {s:?} ends before it starts"
                )));
            }
            Ok((a, b))
        }
    }
}

/// Normalise a host address: brackets stripped, canonical spelling, `0.0.0.0` (and empty) to "".
fn normalise_host_ip(ip: &str, what: &str) -> Result<String> {
    let bare = ip
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(ip);
    if bare.is_empty() {
        return Ok(String::new());
    }
    let addr: IpAddr = bare
        .parse()
        .map_err(|_| usage(format!("{what}: {ip:?} is not an IP address")))?;
    Ok(match addr {
        IpAddr::V4(v4) if v4.is_unspecified() => String::new(),
        other => other.to_string(),
    })
}

/// Parse one `-p`/`--publish` value (docker's and podman's syntax): `CPORT`, `HPORT:CPORT`,
/// `IP:HPORT:CPORT`, `IP::CPORT`, `[IPv6]:HPORT:CPORT`, each port optionally a range `A-B`, with
/// an optional `/tcp` or `/udp` suffix.
///
/// Ranges on both sides pair one to one (`8000-8010:80-90`); a host range with one container port
/// (`8000-8010:80`) takes the first free host port of the range; a container range without a host
/// port publishes each container port on a free host port.
pub fn parse_publish(spec: &str) -> Result<Vec<PortRequest>> {
    let what = format!("-p {spec}");
    let (addr, protocol) = match spec.rsplit_once('/') {
        Some((a, p)) => (a, parse_protocol(p, &what)?),
        None => (spec, "tcp".to_string()),
    };
    let (ip, host, container): (String, &str, &str) = if let Some(rest) = addr.strip_prefix('[') {
        let (ip, rest) = rest
            .split_once(']')
            .ok_or_else(|| usage(format!("{what}: missing ] after the IPv6 address")))?;
        let (host, container) = rest
            .strip_prefix(':')
            .and_then(|r| r.split_once(':'))
            .ok_or_else(|| {
                usage(format!(
                    "{what}: expected [IPv6]:HOSTPORT:CONTAINERPORT or [IPv6]::CONTAINERPORT"
                ))
            })?;
        (ip.to_string(), host, container)
    } else {
        let parts: Vec<&str> = addr.split(':').collect();
        match parts.as_slice() {
            [c] => (String::new(), "", *c),
            [h, c] => (String::new(), *h, *c),
            [ip @ .., h, c] => (ip.join(":"), *h, *c),
            [] => (String::new(), "", ""),
        }
    };
    let host_ip = normalise_host_ip(&ip, &what)?;
    if container.is_empty() {
        return Err(usage(format!("{what}: no container port")));
    }
    let (c_lo, c_hi) = parse_port_range(container, &what)?;
    let request = |host_port: HostPort, container_port: u16| PortRequest {
        host_ip: host_ip.clone(),
        host_port,
        container_port,
        protocol: protocol.clone(),
    };
    if host.is_empty() {
        return Ok((c_lo..=c_hi).map(|c| request(HostPort::Any, c)).collect());
    }
    let (h_lo, h_hi) = parse_port_range(host, &what)?;
    match (h_lo == h_hi, c_lo == c_hi) {
        (true, true) => Ok(vec![request(HostPort::Fixed(h_lo), c_lo)]),
        (false, true) => Ok(vec![request(HostPort::AnyOf(h_lo, h_hi), c_lo)]),
        (true, false) => Err(usage(format!(
            "{what}: one host port cannot publish the container port range {container}"
        ))),
        (false, false) => {
            if h_hi - h_lo != c_hi - c_lo {
                return Err(usage(format!(
                    "{what}: host and container port ranges differ in size"
                )));
            }
            Ok((c_lo..=c_hi)
                .zip(h_lo..=h_hi)
                .map(|(c, h)| request(HostPort::Fixed(h), c))
                .collect())
        }
    }
}

/// Parse an exposed-port key: `80/tcp`, `53/udp`, `8080` (tcp), or a range `8000-8010/tcp`.
fn parse_exposed(e: &str) -> Result<(u16, u16, String)> {
    let what = format!("exposed port {e}");
    let (ports, protocol) = match e.rsplit_once('/') {
        Some((p, proto)) => (p, parse_protocol(proto, &what)?),
        None => (e, "tcp".to_string()),
    };
    let (lo, hi) = parse_port_range(ports, &what)?;
    Ok((lo, hi, protocol))
}

/// `-P`: every port the image EXPOSEs ("80/tcp", "53/udp", "8080" = tcp), published to a free
/// host port. Ports listed twice are published once.
pub fn exposed_requests(exposed: &[String]) -> Result<Vec<PortRequest>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for e in exposed {
        let (lo, hi, protocol) = parse_exposed(e)?;
        for port in lo..=hi {
            if seen.insert((port, protocol.clone())) {
                out.push(PortRequest {
                    host_ip: String::new(),
                    host_port: HostPort::Any,
                    container_port: port,
                    protocol: protocol.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Whether two host addresses (normalised: "" is 0.0.0.0) can conflict on the same port: equal,
/// or one of them is the unspecified address of the other's family.
fn host_ips_overlap(a: &str, b: &str) -> bool {
    fn parse(ip: &str) -> Option<IpAddr> {
        if ip.is_empty() {
            Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        } else {
            ip.trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .ok()
        }
    }
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => {
            x == y || (x.is_ipv4() == y.is_ipv4() && (x.is_unspecified() || y.is_unspecified()))
        }
        _ => a == b,
    }
}

/// How many times an OS-chosen port may collide with one already taken before giving up.
const PICK_ATTEMPTS: usize = 32;

/// Choose host ports: `Fixed` stays; `Any` becomes `pick(protocol, host_ip)` (an OS-chosen free
/// port; asked again when it collides with a port already taken here); `AnyOf(a, b)` becomes the
/// first port of a..=b for which `is_free(protocol, host_ip, port)` holds and that no other
/// mapping here takes. Fixed ports are placed first, so ranges and random ports avoid them.
///
/// Two mappings with the same protocol, overlapping host addresses ("" overlaps every IPv4 address,
/// `::` every IPv6 one) and the same host port are a usage error. The result is sorted by
/// (container port, protocol, host port, host address).
pub fn assign_ports(
    reqs: &[PortRequest],
    is_free: &mut dyn FnMut(&str, &str, u16) -> bool,
    pick: &mut dyn FnMut(&str, &str) -> std::io::Result<u16>,
) -> Result<Vec<PortMapping>> {
    let mut taken: Vec<PortMapping> = Vec::with_capacity(reqs.len());
    let clashes = |taken: &[PortMapping], ip: &str, port: u16, proto: &str| {
        taken
            .iter()
            .any(|m| m.host_port == port && m.protocol == proto && host_ips_overlap(&m.host_ip, ip))
    };
    let mapping = |r: &PortRequest, host_port: u16| PortMapping {
        host_ip: r.host_ip.clone(),
        host_port,
        container_port: r.container_port,
        protocol: r.protocol.clone(),
    };
    for r in reqs {
        if let HostPort::Fixed(p) = r.host_port {
            if clashes(&taken, &r.host_ip, p, &r.protocol) {
                return Err(usage(format!(
                    "host port {p}/{} is published twice",
                    r.protocol
                )));
            }
            taken.push(mapping(r, p));
        }
    }
    for r in reqs {
        if let HostPort::AnyOf(lo, hi) = r.host_port {
            let port = (lo..=hi)
                .find(|&p| {
                    !clashes(&taken, &r.host_ip, p, &r.protocol)
                        && is_free(&r.protocol, &r.host_ip, p)
                })
                .ok_or_else(|| {
                    usage(format!(
                        "no free host port in {lo}-{hi} for container port {}/{}",
                        r.container_port, r.protocol
                    ))
                })?;
            taken.push(mapping(r, port));
        }
    }
    for r in reqs {
        if r.host_port == HostPort::Any {
            let mut chosen = None;
            for _ in 0..PICK_ATTEMPTS {
                let p = pick(&r.protocol, &r.host_ip)
                    .map_err(|e| Error::io("choose a free host port", e))?;
                if p != 0 && !clashes(&taken, &r.host_ip, p, &r.protocol) {
                    chosen = Some(p);
                    break;
                }
            }
            let p = chosen.ok_or_else(|| {
                usage(format!(
                    "could not find a free host port for container port {}/{}",
                    r.container_port, r.protocol
                ))
            })?;
            taken.push(mapping(r, p));
        }
    }
    taken.sort_by(|a, b| {
        (a.container_port, &a.protocol, a.host_port, &a.host_ip).cmp(&(
            b.container_port,
            &b.protocol,
            b.host_port,
            &b.host_ip,
        ))
    });
    Ok(taken)
}

// ---------------------------------------------------------------------------------------------
// Formatting the assigned ports
// ---------------------------------------------------------------------------------------------

/// A host address as shown to users: "" is `0.0.0.0`, IPv6 is bracketed.
fn display_host_ip(ip: &str) -> String {
    if ip.is_empty() {
        "0.0.0.0".to_string()
    } else if ip.contains(':') && !ip.starts_with('[') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    }
}

fn sorted_for_display(ports: &[PortMapping]) -> Vec<&PortMapping> {
    let mut v: Vec<&PortMapping> = ports.iter().collect();
    v.sort_by(|a, b| {
        (a.container_port, &a.protocol, &a.host_ip, a.host_port).cmp(&(
            b.container_port,
            &b.protocol,
            &b.host_ip,
            b.host_port,
        ))
    });
    v
}

/// `rl port CONTAINER` lines: `80/tcp -> 0.0.0.0:8080` (one per mapping, sorted by container
/// port); with `filter` `Some("80")` or `Some("80/udp")` only that container port (tcp when no
/// protocol is given), printing just `0.0.0.0:8080` lines. A filter that matches nothing is
/// podman's error `failed to find published port "80/tcp"`.
pub fn port_lines(ports: &[PortMapping], filter: Option<&str>) -> Result<Vec<String>> {
    let sorted = sorted_for_display(ports);
    let Some(filter) = filter else {
        return Ok(sorted
            .iter()
            .map(|m| {
                format!(
                    "{}/{} -> {}:{}",
                    m.container_port,
                    m.protocol,
                    display_host_ip(&m.host_ip),
                    m.host_port
                )
            })
            .collect());
    };
    let (port, protocol) = match filter.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (filter, "tcp".to_string()),
    };
    if protocol.contains('/') || protocol.is_empty() {
        return Err(usage(format!(
            "port formats are port/protocol. {filter:?} is invalid"
        )));
    }
    let port = parse_port_number(port, &format!("port {filter}"))?;
    let lines: Vec<String> = sorted
        .iter()
        .filter(|m| m.container_port == port && m.protocol == protocol)
        .map(|m| format!("{}:{}", display_host_ip(&m.host_ip), m.host_port))
        .collect();
    if lines.is_empty() {
        let wanted = format!("{port}/{protocol}");
        return Err(usage(format!("failed to find published port {wanted:?}")));
    }
    Ok(lines)
}

/// A run of consecutive mappings: host lo..=hi to container lo..=hi.
struct PortRun<'a> {
    host_ip: &'a str,
    protocol: &'a str,
    host: (u16, u16),
    container: (u16, u16),
}

/// The `ps` PORTS column: `0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9002->90-92/udp`. Mappings with
/// the same host address and protocol whose host and container ports both go up by one are
/// merged into ranges, as podman does; the entries are ordered by container port.
pub fn ps_ports(ports: &[PortMapping]) -> String {
    let mut groups: BTreeMap<(&str, &str), Vec<(u16, u16)>> = BTreeMap::new();
    for m in ports {
        groups
            .entry((m.host_ip.as_str(), m.protocol.as_str()))
            .or_default()
            .push((m.container_port, m.host_port));
    }
    let mut runs: Vec<PortRun> = Vec::new();
    for ((host_ip, protocol), mut pairs) in groups {
        pairs.sort_unstable();
        pairs.dedup();
        let mut current: Option<PortRun> = None;
        for (c, h) in pairs {
            if let Some(run) = current.as_mut()
                && u32::from(run.container.1) + 1 == u32::from(c)
                && u32::from(run.host.1) + 1 == u32::from(h)
            {
                run.container.1 = c;
                run.host.1 = h;
                continue;
            }
            if let Some(run) = current.take() {
                runs.push(run);
            }
            current = Some(PortRun {
                host_ip,
                protocol,
                host: (h, h),
                container: (c, c),
            });
        }
        if let Some(run) = current {
            runs.push(run);
        }
    }
    runs.sort_by(|a, b| {
        (a.container.0, a.protocol, a.host_ip, a.host.0).cmp(&(
            b.container.0,
            b.protocol,
            b.host_ip,
            b.host.0,
        ))
    });
    runs.iter()
        .map(|r| {
            let ip = display_host_ip(r.host_ip);
            if r.container.0 == r.container.1 {
                format!("{ip}:{}->{}/{}", r.host.0, r.container.0, r.protocol)
            } else {
                format!(
                    "{ip}:{}-{}->{}-{}/{}",
                    r.host.0, r.host.1, r.container.0, r.container.1, r.protocol
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// inspect's `NetworkSettings.Ports`: `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
/// "443/tcp": null}`. Every exposed port that is not published maps to null; keys are in Go's
/// (sorted string) order; an unbound host address is shown as `0.0.0.0`, as docker does.
/// Exposed entries that do not parse are left out.
pub fn inspect_ports(ports: &[PortMapping], exposed: &[String]) -> serde_json::Value {
    let mut map: BTreeMap<String, Option<Vec<serde_json::Value>>> = BTreeMap::new();
    let mut sorted: Vec<&PortMapping> = ports.iter().collect();
    sorted.sort_by(|a, b| (&a.host_ip, a.host_port).cmp(&(&b.host_ip, b.host_port)));
    for m in sorted {
        let key = format!("{}/{}", m.container_port, m.protocol);
        let host_ip = if m.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            m.host_ip.as_str()
        };
        map.entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(serde_json::json!({"HostIp": host_ip, "HostPort": m.host_port.to_string()}));
    }
    for e in exposed {
        if let Ok((lo, hi, protocol)) = parse_exposed(e) {
            for p in lo..=hi {
                map.entry(format!("{p}/{protocol}")).or_insert(None);
            }
        }
    }
    let obj: serde_json::Map<String, serde_json::Value> = map
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                v.map_or(serde_json::Value::Null, serde_json::Value::from),
            )
        })
        .collect();
    serde_json::Value::Object(obj)
}

// ---------------------------------------------------------------------------------------------
// --add-host, /etc/hosts, /etc/resolv.conf
// ---------------------------------------------------------------------------------------------

/// The `--add-host` value that stands for the host's address as seen from the container.
pub const HOST_GATEWAY: &str = "host-gateway";

/// Parse `--add-host NAME:IP` (also `NAME=IP`; IPv6 as `NAME:2001:db8::1` or
/// `NAME:[2001:db8::1]`). The IP may be `host-gateway`, replaced by `host_gateway` (an empty
/// `host_gateway` means the container has no way to the host, which is an error then).
/// Returns (name, ip) with the address in its canonical spelling.
pub fn parse_add_host(v: &str, host_gateway: &str) -> Result<(String, String)> {
    let split = match (v.find('='), v.find(':')) {
        (Some(e), Some(c)) if c < e => v.split_once(':'),
        (Some(_), _) => v.split_once('='),
        (None, _) => v.split_once(':'),
    };
    let Some((name, ip)) = split else {
        return Err(usage(format!("invalid --add-host {v:?}: expected NAME:IP")));
    };
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ':' | '=' | '#' | '[' | ']'))
    {
        return Err(usage(format!(
            "invalid --add-host {v:?}: {name:?} is not a host name"
        )));
    }
    if ip == HOST_GATEWAY {
        if host_gateway.is_empty() {
            return Err(usage(format!(
                "--add-host {v}: this container has no host gateway address"
            )));
        }
        return Ok((name.to_string(), host_gateway.to_string()));
    }
    let bare = ip
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(ip);
    let addr: IpAddr = bare.parse().map_err(|_| {
        usage(format!(
            "invalid --add-host {v:?}: {ip:?} is not an IP address"
        ))
    })?;
    Ok((name.to_string(), addr.to_string()))
}

/// What the container's `/etc/hosts` is made from.
#[derive(Debug, Clone, Copy)]
pub struct HostsInput<'a> {
    /// The container's host name.
    pub hostname: &'a str,
    /// The container's name.
    pub name: &'a str,
    /// The container's own address (None: 127.0.1.1, for a container without one of its own,
    /// such as with `--network none`).
    pub own_ip: Option<&'a str>,
    /// `--add-host` entries, (name, ip), in the order given.
    pub add_hosts: &'a [(String, String)],
    /// The host's address as seen from the container, for `host.containers.internal`.
    pub host_gateway: Option<&'a str>,
    /// (ip, names) of other containers on the same networks.
    pub peers: &'a [(String, Vec<String>)],
}

/// Names the host gateway entry gets.
const HOST_GATEWAY_NAMES: [&str; 2] = ["host.containers.internal", "host.docker.internal"];

/// The container's `/etc/hosts`: the two localhost lines, the `--add-host` entries (in order
/// given), `own_ip hostname name` (127.0.1.1 without an own address), the host gateway's
/// `host.containers.internal host.docker.internal` line when there is one (leaving out a name an
/// `--add-host` entry already defines), then one line per peer. Tab separated, each line ends in a
/// newline.
pub fn hosts_file(i: &HostsInput) -> String {
    let mut out = String::new();
    let mut line = |ip: &str, names: &[&str]| {
        let names: Vec<&str> = names.iter().copied().filter(|n| !n.is_empty()).collect();
        if !ip.is_empty() && !names.is_empty() {
            out.push_str(ip);
            out.push('\t');
            out.push_str(&names.join(" "));
            out.push('\n');
        }
    };
    line("127.0.0.1", &["localhost", "localhost.localdomain"]);
    line("::1", &["localhost", "localhost.localdomain"]);
    for (name, ip) in i.add_hosts {
        line(ip, &[name]);
    }
    let own: Vec<&str> = if i.hostname == i.name {
        vec![i.hostname]
    } else {
        vec![i.hostname, i.name]
    };
    line(i.own_ip.unwrap_or("127.0.1.1"), &own);
    if let Some(gw) = i.host_gateway {
        let names: Vec<&str> = HOST_GATEWAY_NAMES
            .iter()
            .copied()
            .filter(|n| !i.add_hosts.iter().any(|(a, _)| a == n))
            .collect();
        line(gw, &names);
    }
    for (ip, names) in i.peers {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        line(ip, &names);
    }
    out
}

/// What the container's `/etc/resolv.conf` is made from.
#[derive(Debug, Clone, Copy)]
pub struct DnsInput<'a> {
    /// The host's `/etc/resolv.conf` text.
    pub host_resolv: &'a str,
    /// `--dns` addresses (`none` alone: no nameserver lines).
    pub dns: &'a [String],
    /// `--dns-search` domains (a single `.`: no search line).
    pub search: &'a [String],
    /// `--dns-option` options.
    pub options: &'a [String],
    /// The user-mode stack's DNS forwarder (slirp4netns: 10.0.2.3), if any.
    pub stack_dns: Option<&'a str>,
}

/// glibc reads at most this many nameservers.
const MAX_NAMESERVERS: usize = 3;

/// What a resolv.conf says that matters here.
#[derive(Debug, Default)]
struct Resolv {
    nameservers: Vec<String>,
    search: Vec<String>,
    options: Vec<String>,
}

fn parse_resolv(text: &str) -> Resolv {
    let mut r = Resolv::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        // A comment may follow on the same line.
        let rest: Vec<String> = words
            .take_while(|w| !w.starts_with('#') && !w.starts_with(';'))
            .map(str::to_string)
            .collect();
        match keyword {
            "nameserver" => r.nameservers.extend(rest.into_iter().take(1)),
            // The last search or domain line wins, as in glibc.
            "search" | "domain" => r.search = rest,
            "options" => r.options.extend(rest),
            _ => {}
        }
    }
    r
}

/// Whether a nameserver address is the host's loopback (unreachable from the container).
fn is_loopback_nameserver(ns: &str) -> bool {
    let bare = ns.split('%').next().unwrap_or(ns);
    bare.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
}

/// The container's `/etc/resolv.conf`. Nameservers: `dns` when given (each must be an IP address;
/// `none` alone means no nameserver lines), else `stack_dns` (if any) followed by the host's
/// nameservers that are not loopback addresses (unreachable from the container); duplicates are
/// dropped and at most 3 kept (glibc's limit). Search: `search` when given (a single `.` means
/// none), else the host's last `search`/`domain` line. Options: `options` when given, else the
/// host's. Output: `search a b`, the `nameserver X` lines, `options x y`, each line present only
/// when not empty.
pub fn resolv_conf(i: &DnsInput) -> Result<String> {
    let host = parse_resolv(i.host_resolv);
    let mut nameservers: Vec<String> = Vec::new();
    if i.dns.is_empty() {
        nameservers.extend(i.stack_dns.map(str::to_string));
        nameservers.extend(
            host.nameservers
                .into_iter()
                .filter(|ns| !is_loopback_nameserver(ns)),
        );
    } else if !(i.dns.len() == 1 && i.dns[0] == "none") {
        for d in i.dns {
            let bare = d.split('%').next().unwrap_or(d);
            if bare.parse::<IpAddr>().is_err() {
                return Err(usage(format!("--dns {d:?} is not an IP address")));
            }
            nameservers.push(d.clone());
        }
    }
    let mut seen = BTreeSet::new();
    nameservers.retain(|ns| seen.insert(ns.clone()));
    nameservers.truncate(MAX_NAMESERVERS);

    let search: Vec<String> = if i.search.is_empty() {
        host.search
    } else {
        i.search.iter().filter(|s| *s != ".").cloned().collect()
    };
    for s in &search {
        if s.chars().any(char::is_whitespace) {
            return Err(usage(format!("--dns-search {s:?} is not a domain")));
        }
    }
    let options: Vec<String> = if i.options.is_empty() {
        host.options
    } else {
        i.options.to_vec()
    };
    for o in &options {
        if o.is_empty() || o.chars().any(char::is_whitespace) {
            return Err(usage(format!(
                "--dns-option {o:?} is not a resolver option"
            )));
        }
    }

    let mut out = String::new();
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    for ns in &nameservers {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn net(v: &[&str]) -> Result<Mode> {
        parse_network(&s(v), Stack::Slirp4netns)
    }

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(Error::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    // --- --network ---

    #[test]
    fn network_default_follows_the_stack() {
        assert_eq!(
            parse_network(&[], Stack::Slirp4netns).unwrap(),
            Mode::Slirp(SlirpOptions::default())
        );
        assert_eq!(
            parse_network(&[], Stack::Pasta).unwrap(),
            Mode::Pasta(vec![])
        );
        for v in ["private", "bridge"] {
            assert_eq!(net(&[v]).unwrap(), Mode::Slirp(SlirpOptions::default()));
            assert_eq!(
                parse_network(&s(&[v]), Stack::Pasta).unwrap(),
                Mode::Pasta(vec![])
            );
        }
    }

    #[test]
    fn slirp_defaults_allow_host_loopback() {
        let o = SlirpOptions::default();
        assert!(o.allow_host_loopback);
        assert!(!o.enable_ipv6);
        assert_eq!(o.cidr, None);
        // Missing fields in a stored record take rl's defaults.
        let o: SlirpOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, SlirpOptions::default());
    }

    #[test]
    fn network_simple_modes() {
        assert_eq!(net(&["none"]).unwrap(), Mode::None);
        assert_eq!(net(&["host"]).unwrap(), Mode::Host);
        assert_eq!(
            net(&["container:web"]).unwrap(),
            Mode::Container("web".into())
        );
        assert_eq!(
            net(&["slirp4netns"]).unwrap(),
            Mode::Slirp(SlirpOptions::default())
        );
        assert_eq!(
            parse_network(&s(&["slirp4netns"]), Stack::Pasta).unwrap(),
            Mode::Slirp(SlirpOptions::default())
        );
        assert_eq!(net(&["pasta"]).unwrap(), Mode::Pasta(vec![]));
    }

    #[test]
    fn network_modes_without_options_reject_them() {
        for v in ["none:x", "host:x", "private:x", "bridge:ip=10.0.0.1"] {
            assert!(err(net(&[v])).contains("takes no options"), "{v}");
        }
    }

    #[test]
    fn network_container_needs_a_name() {
        assert!(err(net(&["container:"])).contains("container:NAME"));
        assert!(err(net(&["container"])).contains("container:NAME"));
    }

    #[test]
    fn network_ns_is_not_supported() {
        let m = err(net(&["ns:/run/netns/x"]));
        assert!(
            m.contains("not supported") && m.contains("ns:/run/netns/x"),
            "{m}"
        );
    }

    #[test]
    fn network_empty_value() {
        assert!(err(net(&[""])).contains("needs a value"));
    }

    #[test]
    fn slirp_options_parse() {
        let m = net(&[
            "slirp4netns:allow_host_loopback=false,cidr=10.0.3.0/24,enable_ipv6=true,mtu=1500,\
             outbound_addr=192.168.1.5,outbound_addr6=eth0,port_handler=slirp4netns",
        ])
        .unwrap();
        assert_eq!(
            m,
            Mode::Slirp(SlirpOptions {
                allow_host_loopback: false,
                cidr: Some("10.0.3.0/24".into()),
                enable_ipv6: true,
                mtu: Some(1500),
                outbound_addr: Some("192.168.1.5".into()),
                outbound_addr6: Some("eth0".into()),
            })
        );
        let Mode::Slirp(o) =
            net(&["slirp4netns:outbound_addr=eth0,outbound_addr6=fd00::1"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.outbound_addr.as_deref(), Some("eth0"));
        assert_eq!(o.outbound_addr6.as_deref(), Some("fd00::1"));
        assert!(o.allow_host_loopback);
        // Empty option lists and empty items are harmless.
        assert_eq!(
            net(&["slirp4netns:"]).unwrap(),
            Mode::Slirp(SlirpOptions::default())
        );
    }

    #[test]
    fn slirp_cidr_is_validated_and_normalised() {
        let Mode::Slirp(o) = net(&["slirp4netns:cidr=10.0.3.7/24"]).unwrap() else {
            panic!()
        };
        assert_eq!(o.cidr.as_deref(), Some("10.0.3.0/24"));
        let Mode::Slirp(o) = net(&["slirp4netns:cidr=172.16.0.0/30"]).unwrap() else {
            panic!()
        };
        assert_eq!(o.cidr.as_deref(), Some("172.16.0.0/30"));
        for bad in [
            "10.0.3.0/31",
            "10.0.3.0/32",
            "10.0.3.0",
            "10.0.3.0/",
            "10.0.3.0/x",
            "10.0.3.0/+8",
            "fd00::/64",
            "10.0.300.0/24",
        ] {
            let m = err(net(&[&format!("slirp4netns:cidr={bad}")]));
            assert!(m.contains("cidr"), "{bad}: {m}");
        }
    }

    #[test]
    fn slirp_addresses() {
        let a = SlirpOptions::default().addresses();
        assert_eq!(a.network, Ipv4Addr::new(10, 0, 2, 0));
        assert_eq!(a.prefix, 24);
        assert_eq!(a.gateway, Ipv4Addr::new(10, 0, 2, 2));
        assert_eq!(a.dns, Ipv4Addr::new(10, 0, 2, 3));
        assert_eq!(a.guest, Ipv4Addr::new(10, 0, 2, 100));
        let o = SlirpOptions {
            cidr: Some("192.168.50.0/24".into()),
            ..SlirpOptions::default()
        };
        let a = o.addresses();
        assert_eq!(a.gateway, Ipv4Addr::new(192, 168, 50, 2));
        assert_eq!(a.dns, Ipv4Addr::new(192, 168, 50, 3));
        assert_eq!(a.guest, Ipv4Addr::new(192, 168, 50, 100));
    }

    #[test]
    fn slirp_bad_options() {
        let cases = [
            ("slirp4netns:allow_host_loopback=yes", "true or false"),
            ("slirp4netns:enable_ipv6=1", "true or false"),
            ("slirp4netns:mtu=67", "68 to 65521"),
            ("slirp4netns:mtu=65522", "68 to 65521"),
            ("slirp4netns:mtu=abc", "68 to 65521"),
            ("slirp4netns:outbound_addr=10.0.0.300", "outbound_addr"),
            ("slirp4netns:outbound_addr=fd00::1", "outbound_addr"),
            (
                "slirp4netns:outbound_addr=averyveryverylongname",
                "outbound_addr",
            ),
            ("slirp4netns:outbound_addr6=fd00::zz", "outbound_addr6"),
            ("slirp4netns:outbound_addr6=a/b", "outbound_addr6"),
            ("slirp4netns:port_handler=foo", "port_handler"),
            (
                "slirp4netns:bogus=1",
                "unknown slirp4netns option \"bogus\"",
            ),
            ("slirp4netns:mtu", "not KEY=VALUE"),
        ];
        for (v, want) in cases {
            let m = err(net(&[v]));
            assert!(m.contains(want), "{v}: {m}");
        }
        assert_eq!(
            net(&["slirp4netns:mtu=68"]).unwrap(),
            Mode::Slirp(SlirpOptions {
                mtu: Some(68),
                ..SlirpOptions::default()
            })
        );
        assert!(net(&["slirp4netns:mtu=65521"]).is_ok());
    }

    #[test]
    fn slirp_rootlesskit_port_handler_is_refused_with_a_reason() {
        let m = err(net(&["slirp4netns:port_handler=rootlesskit"]));
        assert!(m.contains("rootlesskit"), "{m}");
        assert!(m.contains("slirp4netns itself"), "{m}");
        assert!(m.contains("client's address"), "{m}");
    }

    #[test]
    fn pasta_args_pass_through() {
        assert_eq!(
            net(&["pasta:-t,8080,--ipv4-only,-a,10.0.2.0"]).unwrap(),
            Mode::Pasta(s(&["-t", "8080", "--ipv4-only", "-a", "10.0.2.0"]))
        );
        assert_eq!(net(&["pasta:"]).unwrap(), Mode::Pasta(vec![]));
        // -f and --config-net are the user's business.
        assert!(net(&["pasta:-f,--config-net"]).is_ok());
    }

    #[test]
    fn pasta_reserved_args_are_refused() {
        for a in [
            "--netns",
            "--netns=/x",
            "--userns",
            "--userns=/proc/1/ns/user",
            "--pid",
            "--pid=/tmp/p",
            "-P",
            "-P/tmp/p",
        ] {
            let m = err(net(&[&format!("pasta:-4,{a}")]));
            assert!(m.contains(a) && m.contains("rl sets it"), "{a}: {m}");
        }
    }

    #[test]
    fn named_networks() {
        assert_eq!(
            net(&["mynet"]).unwrap(),
            Mode::Networks(vec![NamedNetwork {
                name: "mynet".into(),
                aliases: vec![],
                ip: None,
                mac: None,
            }])
        );
        assert_eq!(
            net(&["my_net.1-a:alias=a,alias=b,alias=a,ip=10.89.0.5,mac=AA:bb:cc:dd:ee:0F"])
                .unwrap(),
            Mode::Networks(vec![NamedNetwork {
                name: "my_net.1-a".into(),
                aliases: s(&["a", "b"]),
                ip: Some(Ipv4Addr::new(10, 89, 0, 5)),
                mac: Some("aa:bb:cc:dd:ee:0f".into()),
            }])
        );
        // Commas are not split into several networks.
        let m = err(net(&["a,b"]));
        assert!(m.contains("invalid network name \"a,b\""), "{m}");
    }

    #[test]
    fn named_network_errors() {
        let cases = [
            ("-net", "invalid network name"),
            ("_net", "invalid network name"),
            ("n\u{e9}t", "invalid network name"),
            ("net/x", "invalid network name"),
            ("net:ip=10.89.0.300", "not an IPv4 address"),
            ("net:ip=fd00::5", "not an IPv4 address"),
            ("net:ip=10.89.0.5,ip=10.89.0.6", "ip= is given twice"),
            ("net:mac=aa:bb:cc:dd:ee", "not a MAC address"),
            ("net:mac=aa:bb:cc:dd:ee:fg", "not a MAC address"),
            ("net:mac=aabb.ccdd.eeff", "not a MAC address"),
            ("net:mac=a:bb:cc:dd:ee:ff", "not a MAC address"),
            (
                "net:mac=aa:bb:cc:dd:ee:ff,mac=aa:bb:cc:dd:ee:f0",
                "mac= is given twice",
            ),
            ("net:alias=", "invalid alias"),
            (
                "net:interface_name=eth1",
                "unknown option \"interface_name\"",
            ),
            ("net:alias", "not KEY=VALUE"),
        ];
        for (v, want) in cases {
            let m = err(net(&[v]));
            assert!(m.contains(want), "{v}: {m}");
        }
    }

    #[test]
    fn several_networks() {
        let m = net(&["a", "b:alias=x"]).unwrap();
        let Mode::Networks(n) = m else { panic!() };
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].name, "a");
        assert_eq!(n[1].name, "b");
        assert_eq!(n[1].aliases, s(&["x"]));
    }

    #[test]
    fn several_networks_only_if_all_are_user_networks() {
        for other in [
            "host",
            "none",
            "private",
            "bridge",
            "slirp4netns",
            "pasta",
            "container:x",
        ] {
            let m = err(net(&["a", other]));
            assert_eq!(
                m,
                format!("--network {other} cannot be combined with other networks")
            );
            let m = err(net(&[other, "a"]));
            assert!(m.contains("cannot be combined"), "{m}");
        }
        assert!(err(net(&["host", "host"])).contains("cannot be combined"));
    }

    #[test]
    fn duplicate_networks_are_refused() {
        let m = err(net(&["a", "b", "a:alias=x"]));
        assert_eq!(m, "--network a is given more than once");
    }

    #[test]
    fn invalid_value_errors_win_over_combination_errors() {
        let m = err(net(&["a", "slirp4netns:mtu=1"]));
        assert!(m.contains("mtu"), "{m}");
    }

    #[test]
    fn mode_serde_roundtrip() {
        for m in [
            Mode::None,
            Mode::Host,
            Mode::Slirp(SlirpOptions::default()),
            Mode::Pasta(s(&["-4"])),
            Mode::Container("c".into()),
            net(&["a:ip=10.89.0.2,alias=x", "b"]).unwrap(),
        ] {
            let j = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Mode>(&j).unwrap(), m, "{j}");
        }
        assert_eq!(
            serde_json::to_string(&Stack::Slirp4netns).unwrap(),
            "\"slirp4netns\""
        );
        assert_eq!(serde_json::to_string(&Stack::Pasta).unwrap(), "\"pasta\"");
        assert_eq!(
            serde_json::from_str::<Stack>("\"pasta\"").unwrap(),
            Stack::Pasta
        );
    }

    #[test]
    fn stack_names() {
        for st in [Stack::Slirp4netns, Stack::Pasta] {
            assert_eq!(Stack::parse(st.name()).unwrap(), st);
        }
        assert!(err(Stack::parse("vpnkit")).contains("vpnkit"));
    }

    #[test]
    fn helpers() {
        assert!(crate::network::store::valid_name("a"));
        assert!(crate::network::store::valid_name("0a_b.c-d"));
        assert!(!crate::network::store::valid_name(""));
        assert!(!crate::network::store::valid_name(".a"));
        assert_eq!(
            parse_mac("00:11:22:33:44:55").as_deref(),
            Some("00:11:22:33:44:55")
        );
        assert_eq!(parse_mac("00-11-22-33-44-55"), None);
        assert_eq!(parse_mac("00:11:22:33:44:55:66"), None);
        assert!(is_interface_name("eth0"));
        assert!(is_interface_name("enp0s31f6"));
        assert!(!is_interface_name(""));
        assert!(!is_interface_name(".."));
        assert!(!is_interface_name("sixteen-chars-xx"));
    }

    // --- -p ---

    fn req(ip: &str, host: HostPort, c: u16, proto: &str) -> PortRequest {
        PortRequest {
            host_ip: ip.into(),
            host_port: host,
            container_port: c,
            protocol: proto.into(),
        }
    }

    #[test]
    fn publish_forms() {
        use HostPort::*;
        let cases: Vec<(&str, Vec<PortRequest>)> = vec![
            ("80", vec![req("", Any, 80, "tcp")]),
            ("8080:80", vec![req("", Fixed(8080), 80, "tcp")]),
            ("8080:80/udp", vec![req("", Fixed(8080), 80, "udp")]),
            ("8080:80/TCP", vec![req("", Fixed(8080), 80, "tcp")]),
            (
                "127.0.0.1:8080:80",
                vec![req("127.0.0.1", Fixed(8080), 80, "tcp")],
            ),
            ("127.0.0.1::80", vec![req("127.0.0.1", Any, 80, "tcp")]),
            ("0.0.0.0:8080:80", vec![req("", Fixed(8080), 80, "tcp")]),
            (":80", vec![req("", Any, 80, "tcp")]),
            ("::80", vec![req("", Any, 80, "tcp")]),
            ("[::1]:8080:80", vec![req("::1", Fixed(8080), 80, "tcp")]),
            ("[::1]::53/udp", vec![req("::1", Any, 53, "udp")]),
            ("[::]:8080:80", vec![req("::", Fixed(8080), 80, "tcp")]),
            (
                "[127.0.0.1]:8080:80",
                vec![req("127.0.0.1", Fixed(8080), 80, "tcp")],
            ),
            (
                "[2001:DB8:0::1]:8080:80",
                vec![req("2001:db8::1", Fixed(8080), 80, "tcp")],
            ),
            // docker also takes an unbracketed IPv6 address.
            ("::1:8080:80", vec![req("::1", Fixed(8080), 80, "tcp")]),
            ("65535:1", vec![req("", Fixed(65535), 1, "tcp")]),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_publish(spec).unwrap(), want, "{spec}");
        }
    }

    #[test]
    fn publish_ranges() {
        use HostPort::*;
        assert_eq!(
            parse_publish("8000-8002:80-82").unwrap(),
            vec![
                req("", Fixed(8000), 80, "tcp"),
                req("", Fixed(8001), 81, "tcp"),
                req("", Fixed(8002), 82, "tcp"),
            ]
        );
        assert_eq!(
            parse_publish("8000-8010:80").unwrap(),
            vec![req("", AnyOf(8000, 8010), 80, "tcp")]
        );
        assert_eq!(
            parse_publish("80-82/udp").unwrap(),
            vec![
                req("", Any, 80, "udp"),
                req("", Any, 81, "udp"),
                req("", Any, 82, "udp"),
            ]
        );
        assert_eq!(
            parse_publish("127.0.0.1::80-81").unwrap(),
            vec![
                req("127.0.0.1", Any, 80, "tcp"),
                req("127.0.0.1", Any, 81, "tcp")
            ]
        );
        assert_eq!(
            parse_publish("8080-8080:80-80").unwrap(),
            vec![req("", Fixed(8080), 80, "tcp")]
        );
        assert_eq!(
            parse_publish("8000-8001:80-80").unwrap(),
            vec![req("", AnyOf(8000, 8001), 80, "tcp")]
        );
    }

    #[test]
    fn publish_errors() {
        let cases = [
            ("8000-8010:80-85", "differ in size"),
            ("8080:80-90", "container port range 80-90"),
            ("0", "invalid port \"0\""),
            ("0:80", "invalid port \"0\""),
            ("65536:80", "invalid port \"65536\""),
            ("80:99999999999", "invalid port"),
            ("90-80", "ends before it starts"),
            ("8080:", "no container port"),
            ("", "no container port"),
            ("abc", "invalid port \"abc\""),
            ("+80", "invalid port"),
            ("80/sctp", "sctp is not supported by the user-mode stacks"),
            ("80/icmp", "unknown protocol"),
            ("80/", "unknown protocol"),
            ("1.2.3:8080:80", "\"1.2.3\" is not an IP address"),
            ("localhost:8080:80", "is not an IP address"),
            ("[::1:8080:80", "missing ]"),
            ("[::1]8080:80", "[IPv6]:HOSTPORT"),
            ("[::1]:80", "[IPv6]:HOSTPORT"),
            ("[zz]:8080:80", "is not an IP address"),
            ("80-", "invalid port"),
        ];
        for (spec, want) in cases {
            let m = err(parse_publish(spec));
            assert!(m.contains(want), "{spec}: {m}");
            assert!(m.starts_with(&format!("-p {spec}")), "{spec}: {m}");
        }
    }

    #[test]
    fn exposed_ports() {
        let r = exposed_requests(&s(&["80/tcp", "53/udp", "8080", "80", "9000-9001/tcp"])).unwrap();
        assert_eq!(
            r,
            vec![
                req("", HostPort::Any, 80, "tcp"),
                req("", HostPort::Any, 53, "udp"),
                req("", HostPort::Any, 8080, "tcp"),
                req("", HostPort::Any, 9000, "tcp"),
                req("", HostPort::Any, 9001, "tcp"),
            ]
        );
        assert!(exposed_requests(&[]).unwrap().is_empty());
        assert!(err(exposed_requests(&s(&["80/sctp"]))).contains("sctp"));
        assert!(err(exposed_requests(&s(&["x/tcp"]))).contains("invalid port"));
    }

    // --- assign_ports ---

    fn pm(ip: &str, h: u16, c: u16, proto: &str) -> PortMapping {
        PortMapping {
            host_ip: ip.into(),
            host_port: h,
            container_port: c,
            protocol: proto.into(),
        }
    }

    /// (protocol, host address, port) that `is_free` was asked about.
    type Asked = (String, String, u16);

    fn assign_with(
        reqs: &[PortRequest],
        busy: &[u16],
        picks: &[u16],
    ) -> (Result<Vec<PortMapping>>, Vec<Asked>) {
        let mut asked = Vec::new();
        let mut picks = picks.iter().copied();
        let r = assign_ports(
            reqs,
            &mut |proto, ip, p| {
                asked.push((proto.to_string(), ip.to_string(), p));
                !busy.contains(&p)
            },
            &mut |_, _| {
                picks
                    .next()
                    .ok_or_else(|| std::io::Error::other("out of ports"))
            },
        );
        (r, asked)
    }

    #[test]
    fn assign_fixed_any_and_ranges() {
        use HostPort::*;
        let reqs = vec![
            req("", Any, 443, "tcp"),
            req("", Fixed(8080), 80, "tcp"),
            req("127.0.0.1", AnyOf(9000, 9005), 90, "udp"),
        ];
        let (r, asked) = assign_with(&reqs, &[9000, 9001], &[40001]);
        assert_eq!(
            r.unwrap(),
            vec![
                pm("", 8080, 80, "tcp"),
                pm("127.0.0.1", 9002, 90, "udp"),
                pm("", 40001, 443, "tcp"),
            ]
        );
        assert_eq!(
            asked,
            vec![
                ("udp".to_string(), "127.0.0.1".to_string(), 9000),
                ("udp".to_string(), "127.0.0.1".to_string(), 9001),
                ("udp".to_string(), "127.0.0.1".to_string(), 9002),
            ]
        );
    }

    #[test]
    fn assign_ranges_skip_ports_taken_by_other_mappings() {
        use HostPort::*;
        let reqs = vec![
            req("", AnyOf(8000, 8010), 80, "tcp"),
            req("", AnyOf(8000, 8010), 81, "tcp"),
            req("", Fixed(8000), 82, "tcp"),
            // Another protocol does not collide.
            req("", AnyOf(8000, 8010), 83, "udp"),
        ];
        let (r, _) = assign_with(&reqs, &[], &[]);
        assert_eq!(
            r.unwrap(),
            vec![
                pm("", 8001, 80, "tcp"),
                pm("", 8002, 81, "tcp"),
                pm("", 8000, 82, "tcp"),
                pm("", 8000, 83, "udp"),
            ]
        );
    }

    #[test]
    fn assign_range_exhausted() {
        let reqs = vec![req("", HostPort::AnyOf(8000, 8002), 80, "tcp")];
        let m = err(assign_with(&reqs, &[8000, 8001, 8002], &[]).0);
        assert!(m.contains("no free host port in 8000-8002"), "{m}");
    }

    #[test]
    fn assign_duplicates() {
        use HostPort::*;
        let dup = |a: PortRequest, b: PortRequest| err(assign_with(&[a, b], &[], &[]).0);
        assert_eq!(
            dup(
                req("", Fixed(8080), 80, "tcp"),
                req("", Fixed(8080), 81, "tcp")
            ),
            "host port 8080/tcp is published twice"
        );
        assert_eq!(
            dup(
                req("127.0.0.1", Fixed(8080), 80, "tcp"),
                req("", Fixed(8080), 81, "tcp")
            ),
            "host port 8080/tcp is published twice"
        );
        assert_eq!(
            dup(
                req("::1", Fixed(53), 53, "udp"),
                req("::", Fixed(53), 54, "udp")
            ),
            "host port 53/udp is published twice"
        );
        // Different protocols, different addresses, different families: no clash.
        let ok = |a: PortRequest, b: PortRequest| assign_with(&[a, b], &[], &[]).0.unwrap();
        assert_eq!(
            ok(req("", Fixed(53), 53, "tcp"), req("", Fixed(53), 53, "udp")).len(),
            2
        );
        ok(
            req("127.0.0.1", Fixed(8080), 80, "tcp"),
            req("127.0.0.2", Fixed(8080), 80, "tcp"),
        );
        ok(
            req("", Fixed(8080), 80, "tcp"),
            req("::1", Fixed(8080), 80, "tcp"),
        );
        ok(
            req("::", Fixed(8080), 80, "tcp"),
            req("127.0.0.1", Fixed(8080), 80, "tcp"),
        );
        // One container port on two host ports is fine.
        ok(
            req("", Fixed(8080), 80, "tcp"),
            req("", Fixed(8081), 80, "tcp"),
        );
    }

    #[test]
    fn assign_any_retries_a_colliding_pick() {
        use HostPort::*;
        let reqs = vec![req("", Fixed(40000), 80, "tcp"), req("", Any, 81, "tcp")];
        let (r, _) = assign_with(&reqs, &[], &[40000, 0, 40002]);
        assert_eq!(
            r.unwrap(),
            vec![pm("", 40000, 80, "tcp"), pm("", 40002, 81, "tcp")]
        );
        let (r, _) = assign_with(&reqs, &[], &[40000; PICK_ATTEMPTS]);
        assert!(err(r).contains("could not find a free host port for container port 81/tcp"));
    }

    #[test]
    fn assign_pick_failure_is_an_io_error() {
        let reqs = vec![req("", HostPort::Any, 80, "tcp")];
        let (r, _) = assign_with(&reqs, &[], &[]);
        let e = r.unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
        assert!(e.to_string().contains("out of ports"));
    }

    #[test]
    fn assign_passes_protocol_and_address_to_pick() {
        let reqs = vec![req("::1", HostPort::Any, 53, "udp")];
        let mut seen = Vec::new();
        let r = assign_ports(&reqs, &mut |_, _, _| true, &mut |proto, ip| {
            seen.push((proto.to_string(), ip.to_string()));
            Ok(5353)
        })
        .unwrap();
        assert_eq!(r, vec![pm("::1", 5353, 53, "udp")]);
        assert_eq!(seen, vec![("udp".to_string(), "::1".to_string())]);
        assert!(
            assign_ports(&[], &mut |_, _, _| true, &mut |_, _| Ok(1))
                .unwrap()
                .is_empty()
        );
    }

    // --- formatting ---

    #[test]
    fn port_lines_all() {
        let ports = vec![
            pm("", 9000, 90, "udp"),
            pm("127.0.0.1", 8080, 80, "tcp"),
            pm("::1", 8443, 443, "tcp"),
            pm("", 8081, 80, "tcp"),
        ];
        assert_eq!(
            port_lines(&ports, None).unwrap(),
            s(&[
                "80/tcp -> 0.0.0.0:8081",
                "80/tcp -> 127.0.0.1:8080",
                "90/udp -> 0.0.0.0:9000",
                "443/tcp -> [::1]:8443",
            ])
        );
        assert!(port_lines(&[], None).unwrap().is_empty());
    }

    #[test]
    fn port_lines_filtered() {
        let ports = vec![
            pm("", 8080, 80, "tcp"),
            pm("", 5353, 80, "udp"),
            pm("127.0.0.1", 8081, 80, "tcp"),
        ];
        assert_eq!(
            port_lines(&ports, Some("80")).unwrap(),
            s(&["0.0.0.0:8080", "127.0.0.1:8081"])
        );
        assert_eq!(
            port_lines(&ports, Some("80/tcp")).unwrap(),
            s(&["0.0.0.0:8080", "127.0.0.1:8081"])
        );
        assert_eq!(
            port_lines(&ports, Some("80/udp")).unwrap(),
            s(&["0.0.0.0:5353"])
        );
        assert_eq!(
            err(port_lines(&ports, Some("99/tcp"))),
            "failed to find published port \"99/tcp\""
        );
        assert_eq!(
            err(port_lines(&ports, Some("99"))),
            "failed to find published port \"99/tcp\""
        );
        assert!(err(port_lines(&ports, Some("x"))).contains("invalid port"));
        assert!(err(port_lines(&ports, Some("80/tcp/x"))).contains("port/protocol"));
        assert!(err(port_lines(&ports, Some("80/"))).contains("port/protocol"));
    }

    #[test]
    fn ps_ports_single_and_ranges() {
        assert_eq!(ps_ports(&[]), "");
        assert_eq!(ps_ports(&[pm("", 8080, 80, "tcp")]), "0.0.0.0:8080->80/tcp");
        let ports = vec![
            pm("127.0.0.1", 9002, 92, "udp"),
            pm("", 8080, 80, "tcp"),
            pm("127.0.0.1", 9000, 90, "udp"),
            pm("127.0.0.1", 9001, 91, "udp"),
        ];
        assert_eq!(
            ps_ports(&ports),
            "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9002->90-92/udp"
        );
    }

    #[test]
    fn ps_ports_merges_only_when_both_sides_are_consecutive() {
        let ports = vec![
            pm("", 8080, 80, "tcp"),
            pm("", 8082, 81, "tcp"),
            pm("", 8083, 82, "tcp"),
            pm("", 8084, 83, "udp"),
            pm("::1", 8085, 84, "tcp"),
            pm("", 8086, 84, "tcp"),
        ];
        assert_eq!(
            ps_ports(&ports),
            "0.0.0.0:8080->80/tcp, 0.0.0.0:8082-8083->81-82/tcp, 0.0.0.0:8084->83/udp, \
             0.0.0.0:8086->84/tcp, [::1]:8085->84/tcp"
        );
        // 65535 does not overflow when checking for a next port.
        assert_eq!(
            ps_ports(&[pm("", 65535, 65535, "tcp"), pm("", 1, 1, "tcp")]),
            "0.0.0.0:1->1/tcp, 0.0.0.0:65535->65535/tcp"
        );
    }

    #[test]
    fn inspect_ports_map() {
        let ports = vec![
            pm("", 8080, 80, "tcp"),
            pm("127.0.0.1", 8081, 80, "tcp"),
            pm("", 5353, 53, "udp"),
        ];
        let v = inspect_ports(&ports, &s(&["443/tcp", "80/tcp", "53", "bogus"]));
        assert_eq!(
            v,
            serde_json::json!({
                "443/tcp": null,
                "53/tcp": null,
                "53/udp": [{"HostIp": "0.0.0.0", "HostPort": "5353"}],
                "80/tcp": [
                    {"HostIp": "0.0.0.0", "HostPort": "8080"},
                    {"HostIp": "127.0.0.1", "HostPort": "8081"}
                ],
            })
        );
        // Keys come out in Go's sorted order.
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["443/tcp", "53/tcp", "53/udp", "80/tcp"]);
        assert_eq!(
            serde_json::to_string(&inspect_ports(&[pm("", 1, 2, "tcp")], &[])).unwrap(),
            r#"{"2/tcp":[{"HostIp":"0.0.0.0","HostPort":"1"}]}"#
        );
        assert_eq!(inspect_ports(&[], &[]), serde_json::json!({}));
    }

    // --- --add-host ---

    #[test]
    fn add_host_forms() {
        let ok = |v: &str| parse_add_host(v, "10.0.2.2").unwrap();
        assert_eq!(ok("db:10.0.0.5"), ("db".into(), "10.0.0.5".into()));
        assert_eq!(ok("db=10.0.0.5"), ("db".into(), "10.0.0.5".into()));
        assert_eq!(ok("db:2001:db8::1"), ("db".into(), "2001:db8::1".into()));
        assert_eq!(ok("db:[2001:db8::1]"), ("db".into(), "2001:db8::1".into()));
        assert_eq!(ok("db=[2001:DB8::1]"), ("db".into(), "2001:db8::1".into()));
        assert_eq!(ok("db=::1"), ("db".into(), "::1".into()));
        assert_eq!(
            ok("h.example.com:host-gateway"),
            ("h.example.com".into(), "10.0.2.2".into())
        );
        assert_eq!(ok("h=host-gateway"), ("h".into(), "10.0.2.2".into()));
    }

    #[test]
    fn add_host_errors() {
        let cases = [
            ("db", "expected NAME:IP"),
            ("db:", "is not an IP address"),
            (":10.0.0.1", "is not a host name"),
            ("a b:10.0.0.1", "is not a host name"),
            ("db:10.0.0.256", "is not an IP address"),
            ("db:example.com", "is not an IP address"),
            ("db:[::1", "is not an IP address"),
        ];
        for (v, want) in cases {
            let m = err(parse_add_host(v, "10.0.2.2"));
            assert!(m.contains(want) && m.contains(v), "{v}: {m}");
        }
        assert!(err(parse_add_host("h:host-gateway", "")).contains("no host gateway"));
    }

    // --- /etc/hosts ---

    #[test]
    fn hosts_file_full() {
        let add = vec![
            ("db".to_string(), "10.0.0.5".to_string()),
            ("v6".to_string(), "2001:db8::1".to_string()),
        ];
        let peers = vec![
            ("10.89.0.3".to_string(), s(&["web", "abcdef123456", "www"])),
            ("10.89.0.4".to_string(), vec![]),
        ];
        let text = hosts_file(&HostsInput {
            hostname: "abcdef012345",
            name: "app",
            own_ip: Some("10.89.0.2"),
            add_hosts: &add,
            host_gateway: Some("10.89.0.1"),
            peers: &peers,
        });
        assert_eq!(
            text,
            "127.0.0.1\tlocalhost localhost.localdomain\n\
             ::1\tlocalhost localhost.localdomain\n\
             10.0.0.5\tdb\n\
             2001:db8::1\tv6\n\
             10.89.0.2\tabcdef012345 app\n\
             10.89.0.1\thost.containers.internal host.docker.internal\n\
             10.89.0.3\tweb abcdef123456 www\n"
        );
    }

    #[test]
    fn hosts_file_minimal() {
        let text = hosts_file(&HostsInput {
            hostname: "box",
            name: "box",
            own_ip: None,
            add_hosts: &[],
            host_gateway: None,
            peers: &[],
        });
        assert_eq!(
            text,
            "127.0.0.1\tlocalhost localhost.localdomain\n\
             ::1\tlocalhost localhost.localdomain\n\
             127.0.1.1\tbox\n"
        );
    }

    #[test]
    fn hosts_file_add_host_overrides_gateway_names() {
        let add = vec![(
            "host.docker.internal".to_string(),
            "192.168.1.1".to_string(),
        )];
        let text = hosts_file(&HostsInput {
            hostname: "h",
            name: "n",
            own_ip: Some("10.0.2.100"),
            add_hosts: &add,
            host_gateway: Some("10.0.2.2"),
            peers: &[],
        });
        assert!(text.contains("192.168.1.1\thost.docker.internal\n"));
        assert!(text.contains("10.0.2.2\thost.containers.internal\n"));
        assert!(text.ends_with('\n'));
        let add = vec![
            ("host.docker.internal".to_string(), "1.1.1.1".to_string()),
            (
                "host.containers.internal".to_string(),
                "1.1.1.1".to_string(),
            ),
        ];
        let text = hosts_file(&HostsInput {
            hostname: "h",
            name: "n",
            own_ip: None,
            add_hosts: &add,
            host_gateway: Some("10.0.2.2"),
            peers: &[],
        });
        assert!(!text.contains("10.0.2.2"), "{text}");
    }

    // --- /etc/resolv.conf ---

    const HOST_RESOLV: &str = "\
# Generated by NetworkManager
search corp.example.com example.com
nameserver 127.0.0.53
nameserver 192.168.1.1 # the router
nameserver ::1
nameserver 2001:4860:4860::8888
; another comment
options edns0 trust-ad
options ndots:2
";

    fn dns<'a>(
        host: &'a str,
        d: &'a [String],
        search: &'a [String],
        options: &'a [String],
        stack: Option<&'a str>,
    ) -> Result<String> {
        resolv_conf(&DnsInput {
            host_resolv: host,
            dns: d,
            search,
            options,
            stack_dns: stack,
        })
    }

    #[test]
    fn resolv_from_host_with_stack_dns() {
        assert_eq!(
            dns(HOST_RESOLV, &[], &[], &[], Some("10.0.2.3")).unwrap(),
            "search corp.example.com example.com\n\
             nameserver 10.0.2.3\n\
             nameserver 192.168.1.1\n\
             nameserver 2001:4860:4860::8888\n\
             options edns0 trust-ad ndots:2\n"
        );
    }

    #[test]
    fn resolv_drops_loopback_and_keeps_three() {
        let host = "nameserver 127.0.0.1\nnameserver 127.1.2.3\nnameserver 1.1.1.1\n\
                    nameserver 8.8.8.8\nnameserver 1.1.1.1\nnameserver 9.9.9.9\nnameserver 8.8.4.4\n";
        assert_eq!(
            dns(host, &[], &[], &[], None).unwrap(),
            "nameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\n"
        );
        assert_eq!(
            dns(host, &[], &[], &[], Some("10.0.2.3")).unwrap(),
            "nameserver 10.0.2.3\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n"
        );
        // Only a loopback resolver on the host: only the stack's forwarder.
        assert_eq!(
            dns("nameserver 127.0.0.53\n", &[], &[], &[], Some("10.0.2.3")).unwrap(),
            "nameserver 10.0.2.3\n"
        );
        assert_eq!(
            dns("nameserver 127.0.0.53\n", &[], &[], &[], None).unwrap(),
            ""
        );
        assert_eq!(dns("", &[], &[], &[], None).unwrap(), "");
    }

    #[test]
    fn resolv_user_dns_replaces_everything() {
        let d = s(&["1.1.1.1", "2606:4700:4700::1111", "fe80::1%eth0", "9.9.9.9"]);
        assert_eq!(
            dns(HOST_RESOLV, &d, &[], &[], Some("10.0.2.3")).unwrap(),
            "search corp.example.com example.com\n\
             nameserver 1.1.1.1\n\
             nameserver 2606:4700:4700::1111\n\
             nameserver fe80::1%eth0\n\
             options edns0 trust-ad ndots:2\n"
        );
        // A loopback --dns is the user's choice (with --network host it works).
        assert_eq!(
            dns("", &s(&["127.0.0.1"]), &[], &[], None).unwrap(),
            "nameserver 127.0.0.1\n"
        );
    }

    #[test]
    fn resolv_dns_none_and_errors() {
        assert_eq!(
            dns(HOST_RESOLV, &s(&["none"]), &[], &[], Some("10.0.2.3")).unwrap(),
            "search corp.example.com example.com\noptions edns0 trust-ad ndots:2\n"
        );
        assert_eq!(
            err(dns("", &s(&["8.8.8.8", "dns.google"]), &[], &[], None)),
            "--dns \"dns.google\" is not an IP address"
        );
        assert!(err(dns("", &s(&["none", "8.8.8.8"]), &[], &[], None)).contains("\"none\""));
        assert!(err(dns("", &[], &s(&["a b"]), &[], None)).contains("--dns-search"));
        assert!(err(dns("", &[], &[], &s(&[""]), None)).contains("--dns-option"));
    }

    #[test]
    fn resolv_search_and_options() {
        assert_eq!(
            dns(
                HOST_RESOLV,
                &[],
                &s(&["a.test", "b.test"]),
                &s(&["ndots:5"]),
                None
            )
            .unwrap(),
            "search a.test b.test\n\
             nameserver 192.168.1.1\n\
             nameserver 2001:4860:4860::8888\n\
             options ndots:5\n"
        );
        assert_eq!(
            dns(HOST_RESOLV, &[], &s(&["."]), &[], None).unwrap(),
            "nameserver 192.168.1.1\n\
             nameserver 2001:4860:4860::8888\n\
             options edns0 trust-ad ndots:2\n"
        );
        // domain and search: the last one wins.
        assert_eq!(
            dns(
                "search a b\ndomain c\nnameserver 1.1.1.1\n",
                &[],
                &[],
                &[],
                None
            )
            .unwrap(),
            "search c\nnameserver 1.1.1.1\n"
        );
        assert_eq!(
            dns("domain c\nsearch a b\n", &[], &[], &[], None).unwrap(),
            "search a b\n"
        );
    }
}
