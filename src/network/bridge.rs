//! Connecting a running container to its user-defined networks, and keeping the members'
//! /etc/hosts true.
//!
//! Each network is a bridge (`rl-br0`) in a network namespace of its own, kept by the per-user
//! netns holder ([`super::holder`]) while a container uses it. The container runs in the
//! holder's user namespace, so rl holds CAP_NET_ADMIN over both namespaces: it creates a veth
//! pair with one end on the bridge and the other (`eth0`, `eth1`, ...) in the container, with
//! the first free address of the network's subnet. A network namespace has no route to any
//! other: containers on different networks cannot reach each other, and an `--internal`
//! network has no way out. The way out of the others is the container's own user-mode stack
//! (its default route), which also publishes its ports.
//!
//! Names: every running member's /etc/hosts lists the other members of its networks (name,
//! short id, aliases), rewritten in place when one joins or leaves.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsFd;
use std::path::Path;

use super::holder::{BRIDGE, Lease};
use super::netlink::{Netlink, in_netns};
use super::store;
use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};

/// The line after which rl writes the other members of a container's networks.
const MARK: &str = "# rl: containers on the same networks\n";

/// A container's connections to its networks while it runs; dropping it (after the container
/// has exited) frees its addresses and takes it out of the other members' /etc/hosts.
#[derive(Debug)]
pub struct Joined {
    lease: Lease,
    paths: Paths,
    id: String,
    names: Vec<String>,
}

fn is_member_running(r: &Record) -> bool {
    r.is_running() && container::alive(r.pid, r.pid_start)
}

/// Connect container `id` (first process `pid`, its netns fresh) to each network its record
/// names, in order: `eth0`, `eth1`, ... Saves the addresses in its record.
pub fn join(paths: &Paths, id: &str, pid: i32, ident: &crate::userns::Identity) -> Result<Joined> {
    let lease = super::holder::lease(paths, ident)?;
    let rec = container::load(paths, id)?;
    let names: Vec<String> = rec.networks.keys().cloned().collect();
    let ctr_ns = super::open_netns(pid)?;
    // On failure midway, dropping it undoes what was done.
    let mut joined = Joined {
        lease,
        paths: paths.clone(),
        id: id.to_string(),
        names: Vec::new(),
    };
    for (i, name) in names.iter().enumerate() {
        let net = store::load(paths, name)?;
        let net_ns = joined.lease.netns(&net.name)?;
        join_one(paths, id, pid, &net, &format!("eth{i}"), &net_ns, &ctr_ns)?;
        joined.names.push(name.clone());
    }
    let _lock = store::lock(paths)?;
    refresh_hosts(paths, &joined.names);
    Ok(joined)
}

/// Connect container `id` (first process `pid`, network namespace `ctr_ns`) to network `net`
/// (namespace `net_ns`) as interface `ctr_if`, with its first free address (or the one its
/// record asks for), and save the address in its record.
fn join_one(
    paths: &Paths,
    id: &str,
    pid: i32,
    net: &store::Network,
    ctr_if: &str,
    net_ns: &std::os::fd::OwnedFd,
    ctr_ns: &std::fs::File,
) -> Result<()> {
    let name = &net.name;
    let rec = container::load(paths, id)?;
    let _lock = store::lock(paths)?;
    let taken: BTreeSet<Ipv4Addr> = container::list(paths)
        .iter()
        .filter(|r| r.id != id && is_member_running(r))
        .filter_map(|r| r.networks.get(name).and_then(|a| a.ip))
        .collect();
    let wanted = rec.networks.get(name).and_then(|a| a.static_ip);
    let ip = match wanted {
        Some(ip) if !net.contains(ip) => {
            return Err(Error::Usage(format!(
                "--network {name}:ip={ip}: the address is not in the network's subnet {}",
                net.cidr()
            )));
        }
        Some(ip) if taken.contains(&ip) || ip == net.gateway => {
            return Err(Error::Msg(format!(
                "address {ip} is already in use on network {name}"
            )));
        }
        Some(ip) => ip,
        None => net
            .hosts()
            .find(|a| !taken.contains(a))
            .ok_or_else(|| Error::Msg(format!("network {name} has no free address left")))?,
    };
    let index = ctr_if.trim_start_matches("eth");
    let host_if = format!("rl{}{index}", &id[..8.min(id.len())]);
    let mtu = net.mtu();
    let ctr_fd = ctr_ns.as_fd();
    in_netns(net_ns.as_fd(), || {
        let mut nl = Netlink::open()?;
        // A leftover of an earlier start of this container (its namespace died with it,
        // normally taking the pair along).
        nl.delete_link(&host_if)?;
        nl.create_veth(&host_if, ctr_if, ctr_fd)?;
        if let Some(m) = mtu {
            nl.set_mtu(&host_if, m)?;
        }
        nl.set_master(&host_if, BRIDGE)?;
        nl.set_up(&host_if)
    })?;
    let mac = in_netns(ctr_ns.as_fd(), || {
        let mut nl = Netlink::open()?;
        if let Some(m) = mtu {
            nl.set_mtu(ctr_if, m)?;
        }
        if let Some(mac) = rec
            .networks
            .get(name)
            .and_then(|a| a.mac.as_deref())
            .and_then(parse_mac)
        {
            nl.set_mac(ctr_if, mac)?;
        }
        nl.add_address(ctr_if, IpAddr::V4(ip), net.prefix)?;
        nl.set_up(ctr_if)?;
        nl.mac(ctr_if)
    })?;
    // Reserve the address: the record says so before the lock goes. (The container's own
    // lock may be held by the caller: the monitor starts it under that lock.)
    let mut fresh = container::load(paths, id)?;
    if let Some(a) = fresh.networks.get_mut(name) {
        a.ip = Some(ip);
        a.interface = Some(ctr_if.to_string());
        a.mac = mac.map(format_mac);
    }
    if fresh.pid.is_none() {
        // Starting: the running state is what the member scan looks for (the caller saves it
        // too).
        fresh.pid = Some(pid);
        fresh.pid_start = container::process_start(pid);
        let me = std::process::id().cast_signed();
        fresh.monitor_pid = Some(me);
        fresh.monitor_start = container::process_start(me);
        fresh.state = "running".into();
    }
    container::save(&container::dir(paths, id), &fresh)
}

/// `rl network connect` of a running container: wire it now, and have the holder keep the
/// network for as long as the container runs. The container must run in the holder's user
/// namespace: it started on a user-defined network, or in the namespace rl's pause process
/// keeps (which the holder joined too). The record already names the network.
pub fn connect_running(
    paths: &Paths,
    rec: &Record,
    name: &str,
    ident: &crate::userns::Identity,
) -> Result<()> {
    let (Some(pid), Some(monitor)) = (rec.pid, rec.monitor_pid) else {
        return Err(Error::Msg(format!("container {} is not running", rec.name)));
    };
    let mut lease = super::holder::lease(paths, ident)?;
    let theirs = crate::runtime::userns_of(Some(monitor));
    if theirs.is_none() || theirs != crate::runtime::userns_of(Some(lease.pid())) {
        return Err(Error::Msg(format!(
            "container {} runs in a user namespace of its own, not the one rl's networks are in, so it cannot join one while it runs: stop it, connect it, and start it again",
            rec.name
        )));
    }
    crate::runtime::join_userns(lease.pid())?;
    let ctr_ns = super::open_netns(pid)?;
    let used: BTreeSet<&str> = rec
        .networks
        .values()
        .filter_map(|a| a.interface.as_deref())
        .collect();
    let ctr_if = (0..)
        .map(|i| format!("eth{i}"))
        .find(|n| !used.contains(n.as_str()))
        .unwrap_or_default();
    let net = store::load(paths, name)?;
    let net_ns = lease.netns(name)?;
    join_one(paths, &rec.id, pid, &net, &ctr_if, &net_ns, &ctr_ns)?;
    lease.hold(name, pid)?;
    let _lock = store::lock(paths)?;
    refresh_hosts(paths, &[name.to_string()]);
    Ok(())
}

/// `rl network disconnect` of a running container: remove its interface on network `name` and
/// the address from its record (the caller removes the network from it).
pub fn disconnect_running(
    paths: &Paths,
    rec: &Record,
    name: &str,
    ident: &crate::userns::Identity,
) -> Result<()> {
    let Some(pid) = rec.pid else {
        return Ok(());
    };
    let lease = super::holder::lease(paths, ident)?;
    crate::runtime::join_userns(lease.pid())?;
    if let Some(ifname) = rec.networks.get(name).and_then(|a| a.interface.clone()) {
        let ctr_ns = super::open_netns(pid)?;
        in_netns(ctr_ns.as_fd(), || Netlink::open()?.delete_link(&ifname))?;
    }
    Ok(())
}

impl Drop for Joined {
    fn drop(&mut self) {
        let Ok(_lock) = store::lock(&self.paths) else {
            return;
        };
        let mut names = self.names.clone();
        if let Ok(_clock) = container::lock(&self.paths, &self.id)
            && let Ok(mut rec) = container::load(&self.paths, &self.id)
        {
            // Also those connected while it ran.
            names.extend(rec.networks.keys().cloned());
            for a in rec.networks.values_mut() {
                a.ip = None;
                a.interface = None;
                a.mac = None;
            }
            let _ = container::save(&container::dir(&self.paths, &self.id), &rec);
        }
        names.sort();
        names.dedup();
        refresh_hosts(&self.paths, &names);
    }
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut out {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

fn format_mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Rewrite the /etc/hosts of every running member of `networks`: its own lines, then one line
/// per other member it shares a network with. Call with the network lock held.
pub fn refresh_hosts(paths: &Paths, networks: &[String]) {
    refresh_hosts_and(paths, networks, None);
}

/// [`refresh_hosts`], also for container `also` (one that has just left a network).
pub fn refresh_hosts_and(paths: &Paths, networks: &[String], also: Option<&str>) {
    let all = container::list(paths);
    let members: Vec<&Record> = all
        .iter()
        .filter(|r| is_member_running(r))
        .filter(|r| networks.iter().any(|n| r.networks.contains_key(n)))
        .collect();
    let extra = also.and_then(|id| {
        all.iter()
            .find(|r| r.id == id && !members.iter().any(|m| m.id == id))
    });
    for me in members.iter().copied().chain(extra) {
        let mut lines = String::new();
        for other in &members {
            if other.id == me.id {
                continue;
            }
            for (net, a) in &other.networks {
                let (Some(ip), true) = (a.ip, me.networks.contains_key(net)) else {
                    continue;
                };
                let mut names = vec![other.name.clone(), other.id[..12].to_string()];
                names.extend(a.aliases.iter().cloned());
                lines.push_str(&format!("{ip}\t{}\n", names.join(" ")));
            }
        }
        let _ = rewrite_hosts(&container::dir(paths, &me.id).join("hosts"), &lines);
    }
}

/// Replace what follows [`MARK`] in a hosts file, in place (the file is bind-mounted: its inode
/// must stay).
fn rewrite_hosts(path: &Path, members: &str) -> std::io::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let base = match text.find(MARK) {
        Some(i) => &text[..i],
        None => text.as_str(),
    };
    let new = if members.is_empty() {
        base.to_string()
    } else {
        format!("{base}{MARK}{members}")
    };
    if new == text {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    f.write_all(new.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_sections_are_replaced_in_place() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("hosts");
        std::fs::write(&p, "127.0.0.1\tlocalhost\n").unwrap();
        use std::os::unix::fs::MetadataExt;
        let ino = std::fs::metadata(&p).unwrap().ino();
        rewrite_hosts(&p, "10.89.0.3\tdb abc\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("127.0.0.1\tlocalhost\n{MARK}10.89.0.3\tdb abc\n")
        );
        rewrite_hosts(&p, "10.89.0.4\tweb\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("127.0.0.1\tlocalhost\n{MARK}10.89.0.4\tweb\n")
        );
        rewrite_hosts(&p, "").unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "127.0.0.1\tlocalhost\n"
        );
        assert_eq!(std::fs::metadata(&p).unwrap().ino(), ino);
    }

    #[test]
    fn macs() {
        assert_eq!(
            parse_mac("02:42:ac:11:00:02"),
            Some([2, 0x42, 0xac, 0x11, 0, 2])
        );
        assert_eq!(parse_mac("02:42"), None);
        assert_eq!(format_mac([2, 0x42, 0xac, 0x11, 0, 2]), "02:42:ac:11:00:02");
    }
}
