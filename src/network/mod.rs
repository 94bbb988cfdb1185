//! Container networking: the user-mode stacks (slirp4netns, pasta), port publishing, user-defined
//! networks, and the files a container's resolver reads (/etc/hosts, /etc/resolv.conf).

pub mod holder;
pub mod netlink;
pub mod spec;
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
