//! Container networking: the user-mode stacks (slirp4netns, pasta), port publishing, user-defined
//! networks, and the files a container's resolver reads (/etc/hosts, /etc/resolv.conf).

pub mod bridge;
pub mod holder;
pub mod netlink;
pub mod spec;
pub mod stack;
pub mod store;

use serde::{Deserialize, Serialize};

/// A published port as assigned: the host side (address, port) and the container side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortMapping {
    /// Host address the port is bound to; empty means every address (`0.0.0.0`).
    #[serde(default)]
    pub host_ip: String,
    /// Host port.
    pub host_port: u16,
    /// Port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// A container's membership of a user-defined network (kept in its record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `--network-alias` names (and `connect --alias`), besides the container's name and short id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `--network NAME:ip=...`: the address asked for; None: the first free one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_ip: Option<std::net::Ipv4Addr>,
    /// The address it has while running (None when stopped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<std::net::Ipv4Addr>,
    /// Its interface name inside the container (`eth0`, `eth1`, ...) while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Its MAC address while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// What the runtime needs to connect a container each time it starts (saved in its bundle).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The user-mode stack giving it a way out (None: `none`, `host`, `container:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<stack::StackPlan>,
    /// Ports the stack publishes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortMapping>,
    /// It is on user-defined networks (its record names them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub user_networks: bool,
}

/// What keeps a started container connected: drop it once the container has exited (the
/// stack's helper ends with it).
#[derive(Debug, Default)]
pub struct Attached {
    helper: Option<stack::Helper>,
    joined: Option<bridge::Joined>,
}

impl Plan {
    /// Whether starting the container involves more than its namespaces.
    pub fn needs_attach(&self) -> bool {
        self.stack.is_some() || self.user_networks
    }
}

/// The stack rl uses when `--network` does not say (see `scripts/bench-network`: slirp4netns
/// starts in about a sixth of pasta's time here).
pub const DEFAULT_STACK: spec::Stack = spec::Stack::Slirp4netns;

/// How a container's network is named in its record, `inspect` and `ps`: `slirp4netns`,
/// `pasta`, `none`, `host`, `container:NAME`, or `bridge` (user-defined networks).
pub fn mode_name(mode: &spec::Mode) -> String {
    match mode {
        spec::Mode::None => "none".into(),
        spec::Mode::Host => "host".into(),
        spec::Mode::Slirp(_) => "slirp4netns".into(),
        spec::Mode::Pasta(_) => "pasta".into(),
        spec::Mode::Container(c) => format!("container:{c}"),
        spec::Mode::Networks(_) => "bridge".into(),
    }
}

impl Attached {
    /// Do not wait for the stack's helper to be gone when dropped (for a process about to exit:
    /// see [`stack::Helper::leave_unreaped`]).
    pub fn leave_unreaped(&mut self) {
        if let Some(h) = self.helper.as_mut() {
            h.leave_unreaped();
        }
    }
}

/// Connect the container whose first process is `pid` (its namespaces exist, its command has
/// not started) as `plan` says. `runtime` is rl's runtime directory, `id` the container's.
pub fn attach(
    plan: &Plan,
    pid: nix::unistd::Pid,
    paths: &crate::config::Paths,
    id: &str,
) -> crate::error::Result<Attached> {
    let mut out = Attached::default();
    if plan.user_networks {
        let ident = crate::userns::Identity::current()?;
        out.joined = Some(bridge::join(paths, id, pid.as_raw(), &ident)?);
        crate::timing::mark("network: joined its networks");
    }
    if let Some(s) = &plan.stack {
        out.helper = Some(stack::start(
            s,
            pid.as_raw(),
            &plan.ports,
            &paths.runtime,
            id,
        )?);
    }
    Ok(out)
}

/// Open the network namespace of process `pid` (a container still setting itself up: a moment
/// after it changes its ids, /proc refuses; try again briefly).
pub fn open_netns(pid: i32) -> crate::error::Result<std::fs::File> {
    let path = format!("/proc/{pid}/ns/net");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match std::fs::File::open(&path) {
            Ok(f) => return Ok(f),
            Err(e)
                if e.kind() == std::io::ErrorKind::PermissionDenied
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => {
                return Err(crate::error::Error::path(
                    "open the container's network namespace",
                    path,
                    e,
                ));
            }
        }
    }
}
