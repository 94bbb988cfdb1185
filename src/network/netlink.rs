//! A small synchronous rtnetlink client: the few link, address and route operations user-defined
//! networks need (bridges, veth pairs, addresses, routes), over a blocking `NETLINK_ROUTE`
//! socket. Messages are built and parsed with `netlink-packet-route`; the socket is
//! `netlink-sys`'s plain one (no async runtime).
//!
//! A netlink socket talks to the network namespace its creator was in when it was created:
//! every [`Netlink`] operates in the namespace of the thread that called [`Netlink::open`]. To
//! work in another namespace, open it on a thread that joined it ([`in_netns`]).

use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::error::{Error, Result};

/// Netlink message types handled by hand (the kernel's, see netlink(7)).
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// Size of `struct nlmsghdr`.
const HEADER_LEN: usize = 16;

/// A rtnetlink socket bound to the network namespace of the thread that opened it.
#[derive(Debug)]
pub struct Netlink {
    socket: Socket,
    seq: u32,
}

fn fail(op: &str, errno: nix::errno::Errno) -> Error {
    Error::Msg(format!("netlink: {op}: {}", errno.desc()))
}

fn io_fail(op: &str, e: &std::io::Error) -> Error {
    match e.raw_os_error() {
        Some(n) => fail(op, nix::errno::Errno::from_raw(n)),
        None => Error::Msg(format!("netlink: {op}: {e}")),
    }
}

impl Netlink {
    /// Open a socket in the calling thread's network namespace.
    pub fn open() -> Result<Netlink> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(|e| io_fail("open socket", &e))?;
        socket.bind_auto().map_err(|e| io_fail("bind socket", &e))?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(|e| io_fail("connect socket", &e))?;
        Ok(Netlink { socket, seq: 0 })
    }

    /// Send one request (with NLM_F_REQUEST | NLM_F_ACK | `flags`) and collect the messages of
    /// its answer up to the acknowledgement. A negative acknowledgement is the error, described
    /// with `op`.
    fn request(
        &mut self,
        op: &str,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        self.exchange(op, msg, flags)?
            .map_err(|errno| fail(op, errno))
    }

    /// [`Netlink::request`], with the kernel's refusal (its errno) kept apart from failures to
    /// talk to it.
    fn exchange(
        &mut self,
        op: &str,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<std::result::Result<Vec<RouteNetlinkMessage>, nix::errno::Errno>> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0).map_err(|e| io_fail(op, &e))?;
        let mut answer = Vec::new();
        loop {
            let (data, _) = self.socket.recv_from_full().map_err(|e| io_fail(op, &e))?;
            let mut rest = data.as_slice();
            while rest.len() >= HEADER_LEN {
                let word = |at: usize| {
                    u32::from_ne_bytes([rest[at], rest[at + 1], rest[at + 2], rest[at + 3]])
                };
                let len = word(0) as usize;
                if len < HEADER_LEN || len > rest.len() {
                    return Err(Error::Msg(format!(
                        "netlink: {op}: malformed answer ({len}-byte message in {} bytes)",
                        rest.len()
                    )));
                }
                let kind = u16::from_ne_bytes([rest[4], rest[5]]);
                let this_seq = word(8);
                let body = &rest[..len];
                // Messages are 4-byte aligned within a datagram.
                rest = &rest[len.next_multiple_of(4).min(rest.len())..];
                if this_seq != seq {
                    continue;
                }
                match kind {
                    NLMSG_ERROR => {
                        let code = body
                            .get(HEADER_LEN..HEADER_LEN + 4)
                            .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                            .unwrap_or(-libc::EPROTO);
                        if code == 0 {
                            return Ok(Ok(answer));
                        }
                        return Ok(Err(nix::errno::Errno::from_raw(-code)));
                    }
                    NLMSG_DONE => return Ok(Ok(answer)),
                    _ => {
                        let parsed = NetlinkMessage::<RouteNetlinkMessage>::deserialize(body)
                            .map_err(|e| {
                                Error::Msg(format!("netlink: {op}: cannot parse the answer: {e}"))
                            })?;
                        if let NetlinkPayload::InnerMessage(m) = parsed.payload {
                            answer.push(m);
                        }
                    }
                }
            }
        }
    }

    /// The link named `name`, or None when there is none.
    fn get_link(&mut self, op: &str, name: &str) -> Result<Option<LinkMessage>> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        match self.exchange(op, RouteNetlinkMessage::GetLink(msg), 0)? {
            Ok(answer) => Ok(answer.into_iter().find_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l),
                _ => None,
            })),
            Err(nix::errno::Errno::ENODEV) => Ok(None),
            Err(errno) => Err(fail(op, errno)),
        }
    }

    /// The index of link `name`, failing when there is none.
    fn need_index(&mut self, op: &str, name: &str) -> Result<u32> {
        self.index(name)?
            .ok_or_else(|| Error::Msg(format!("netlink: {op}: no interface {name}")))
    }

    /// Change attributes or flags of an existing link.
    fn set_link(
        &mut self,
        op: &str,
        name: &str,
        edit: impl FnOnce(&mut LinkMessage),
    ) -> Result<()> {
        let index = self.need_index(op, name)?;
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        edit(&mut msg);
        self.request(op, RouteNetlinkMessage::SetLink(msg), 0)
            .map(drop)
    }

    /// The index of link `name` (None: no such link).
    pub fn index(&mut self, name: &str) -> Result<Option<u32>> {
        Ok(self
            .get_link(&format!("look up {name}"), name)?
            .map(|l| l.header.index))
    }

    /// Set IFF_UP on link `name`.
    pub fn set_up(&mut self, name: &str) -> Result<()> {
        self.set_link(&format!("set {name} up"), name, |m| {
            m.header.flags = LinkFlags::Up;
            m.header.change_mask = LinkFlags::Up;
        })
    }

    /// Create a bridge named `name` (down).
    pub fn create_bridge(&mut self, name: &str) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        self.request(
            &format!("create bridge {name}"),
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(drop)
    }

    /// A veth pair: `name` here, `peer` created directly in the netns `peer_netns`
    /// (IFLA_NET_NS_FD on the peer). Needs CAP_NET_ADMIN over both namespaces.
    pub fn create_veth(&mut self, name: &str, peer: &str, peer_netns: BorrowedFd) -> Result<()> {
        let mut peer_msg = LinkMessage::default();
        peer_msg
            .attributes
            .push(LinkAttribute::IfName(peer.to_string()));
        peer_msg
            .attributes
            .push(LinkAttribute::NetNsFd(peer_netns.as_raw_fd()));
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_msg))),
        ]));
        self.request(
            &format!("create veth {name}"),
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(drop)
    }

    /// Make link `master` (a bridge) the controller of link `name`.
    pub fn set_master(&mut self, name: &str, master: &str) -> Result<()> {
        let op = format!("attach {name} to {master}");
        let master = self.need_index(&op, master)?;
        self.set_link(&op, name, |m| {
            m.attributes.push(LinkAttribute::Controller(master));
        })
    }

    /// Set the hardware address of link `name`.
    pub fn set_mac(&mut self, name: &str, mac: [u8; 6]) -> Result<()> {
        self.set_link(&format!("set the address of {name}"), name, |m| {
            m.attributes.push(LinkAttribute::Address(mac.to_vec()));
        })
    }

    /// Set the MTU of link `name`.
    pub fn set_mtu(&mut self, name: &str, mtu: u32) -> Result<()> {
        self.set_link(&format!("set the mtu of {name}"), name, |m| {
            m.attributes.push(LinkAttribute::Mtu(mtu));
        })
    }

    /// Add address `addr/prefix` to link `name`.
    pub fn add_address(&mut self, name: &str, addr: IpAddr, prefix: u8) -> Result<()> {
        let op = format!("add address {addr}/{prefix} to {name}");
        let index = self.need_index(&op, name)?;
        let mut msg = AddressMessage::default();
        msg.header.family = match addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        msg.header.prefix_len = prefix;
        msg.header.scope = AddressScope::Universe;
        msg.header.index = index;
        msg.attributes.push(AddressAttribute::Local(addr));
        msg.attributes.push(AddressAttribute::Address(addr));
        if let IpAddr::V4(v4) = addr
            && prefix < 31
        {
            let host_bits = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            let broadcast = Ipv4Addr::from(u32::from(v4) | host_bits);
            msg.attributes.push(AddressAttribute::Broadcast(broadcast));
        }
        self.request(
            &op,
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(drop)
    }

    /// A route to `dest/prefix` (None: default route) via `gateway` (None: on-link) out of `dev`.
    pub fn add_route(
        &mut self,
        dest: Option<(Ipv4Addr, u8)>,
        gateway: Option<Ipv4Addr>,
        dev: &str,
    ) -> Result<()> {
        let what = match dest {
            Some((a, p)) => format!("{a}/{p}"),
            None => "default".to_string(),
        };
        let op = match gateway {
            Some(g) => format!("add route {what} via {g} dev {dev}"),
            None => format!("add route {what} dev {dev}"),
        };
        let index = self.need_index(&op, dev)?;
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.table = RouteHeader::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.kind = RouteType::Unicast;
        msg.header.scope = if gateway.is_some() {
            RouteScope::Universe
        } else {
            RouteScope::Link
        };
        if let Some((addr, prefix)) = dest {
            msg.header.destination_prefix_length = prefix;
            msg.attributes
                .push(RouteAttribute::Destination(RouteAddress::Inet(addr)));
        }
        if let Some(g) = gateway {
            msg.attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet(g)));
        }
        msg.attributes.push(RouteAttribute::Oif(index));
        self.request(
            &op,
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(drop)
    }

    /// Delete link `name` (both ends, for a veth). Ok when there is no such link.
    pub fn delete_link(&mut self, name: &str) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        let op = format!("delete {name}");
        match self.exchange(&op, RouteNetlinkMessage::DelLink(msg), 0)? {
            Ok(_) | Err(nix::errno::Errno::ENODEV) => Ok(()),
            Err(errno) => Err(fail(&op, errno)),
        }
    }

    /// The hardware address of link `name` (None: no such link, or not an Ethernet-like one).
    pub fn mac(&mut self, name: &str) -> Result<Option<[u8; 6]>> {
        let Some(link) = self.get_link(&format!("look up {name}"), name)? else {
            return Ok(None);
        };
        Ok(link.attributes.into_iter().find_map(|a| match a {
            LinkAttribute::Address(bytes) => <[u8; 6]>::try_from(bytes.as_slice()).ok(),
            _ => None,
        }))
    }
}

/// Run `f` on a new thread that has joined the network namespace `ns` (setns CLONE_NEWNET
/// affects only the calling thread); returns f's result. The calling thread's namespace is
/// untouched.
///
/// The thread is gone from /proc/self/task when this returns, so a caller that forks
/// afterwards still sees a single-threaded process.
pub fn in_netns<T: Send>(ns: BorrowedFd<'_>, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    on_thread(move || {
        nix::sched::setns(ns.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| Error::Msg(format!("join network namespace: {}", e.desc())))?;
        f()
    })
}

/// Run `f` on a short-lived thread of its own (for namespace changes that must not touch the
/// caller's thread), and wait until the thread has left the process.
pub(crate) fn on_thread<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let (tid, result) = std::thread::scope(|s| {
        s.spawn(|| (nix::unistd::gettid().as_raw(), f()))
            .join()
            .unwrap_or_else(|_| {
                (
                    0,
                    Err(Error::Msg("network namespace thread panicked".into())),
                )
            })
    });
    wait_thread_gone(tid);
    result
}

/// A joined thread signals its end before the kernel removes it from the thread group: wait
/// (briefly) until /proc/self/task no longer lists it.
fn wait_thread_gone(tid: i32) {
    if tid <= 0 {
        return;
    }
    let path = format!("/proc/self/task/{tid}");
    for _ in 0..2000 {
        if !std::path::Path::new(&path).exists() {
            return;
        }
        std::thread::yield_now();
    }
}

/// Bring up `lo` in the calling thread's netns with a plain ioctl (SIOCSIFFLAGS): cheap, used
/// on every container start.
pub fn loopback_up() -> Result<()> {
    use nix::sys::socket::{AddressFamily as Af, SockFlag, SockType, socket};
    let sock = socket(Af::Inet, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| Error::Msg(format!("set lo up: socket: {}", e.desc())))?;
    crate::runtime::sys::interface_up(sock.as_fd(), "lo").map_err(|e| {
        let why = match e.raw_os_error() {
            Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
            None => e.to_string(),
        };
        Error::Msg(format!("set lo up: {why}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::OwnedFd;
    use std::os::unix::fs::MetadataExt;

    /// Give the calling (test) thread a network namespace of its own. Without the privilege
    /// (not root), run the test `name` again in a new user namespace, where the test process is
    /// root, and return false (the child did the work); false with a note when that is not
    /// possible either.
    fn own_netns(name: &str) -> bool {
        const AGAIN: &str = "RL_NETLINK_TEST_IN_USERNS";
        let e = match nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
            Ok(()) => return true,
            Err(e) => e,
        };
        let unshare = crate::userns::find_program("unshare");
        match (std::env::var_os(AGAIN), unshare, std::env::current_exe()) {
            (None, Some(unshare), Ok(me)) => {
                let out = std::process::Command::new(unshare)
                    .args(["--user", "--map-root-user", "--"])
                    .arg(me)
                    .args(["--exact", name, "--nocapture", "--test-threads=1"])
                    .env(AGAIN, "1")
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                let err = String::from_utf8_lossy(&out.stderr);
                if err.contains("unshare failed") {
                    eprintln!(
                        "skipped: unshare(CLONE_NEWNET): {}; {}",
                        e.desc(),
                        err.trim()
                    );
                } else {
                    assert!(out.status.success(), "{text}\n{err}");
                    assert!(text.contains("1 passed"), "{text}\n{err}");
                }
            }
            _ => eprintln!("skipped: unshare(CLONE_NEWNET): {} (needs root)", e.desc()),
        }
        false
    }

    fn thread_netns() -> OwnedFd {
        std::fs::File::open("/proc/thread-self/ns/net")
            .expect("open ns")
            .into()
    }

    #[test]
    fn bridge_veth_addresses_routes() {
        // The test thread is discarded afterwards: unsharing it changes nothing else.
        if !own_netns("network::netlink::tests::bridge_veth_addresses_routes") {
            return;
        }
        loopback_up().unwrap();
        let here = thread_netns();
        let mut nl = Netlink::open().unwrap();
        assert!(nl.index("lo").unwrap().is_some());
        assert_eq!(nl.index("nope0").unwrap(), None);
        assert_eq!(nl.mac("nope0").unwrap(), None);
        nl.create_bridge("rl-br0").unwrap();
        let e = nl.create_bridge("rl-br0").unwrap_err().to_string();
        assert_eq!(e, "netlink: create bridge rl-br0: File exists");
        nl.set_up("rl-br0").unwrap();
        nl.add_address("rl-br0", "10.89.0.1".parse().unwrap(), 24)
            .unwrap();

        // A second namespace, made on another thread; the veth's peer goes straight into it.
        let other = on_thread(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(|e| Error::Msg(e.desc().into()))?;
            loopback_up()?;
            Ok(thread_netns())
        })
        .unwrap();
        let ino = |fd: &OwnedFd| {
            std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .unwrap()
                .ino()
        };
        assert_ne!(ino(&here), ino(&other));
        nl.create_veth("veth-a", "eth0", other.as_fd()).unwrap();
        assert!(nl.index("veth-a").unwrap().is_some());
        assert_eq!(nl.index("eth0").unwrap(), None, "the peer is not here");
        nl.set_master("veth-a", "rl-br0").unwrap();
        nl.set_mtu("veth-a", 1400).unwrap();
        nl.set_up("veth-a").unwrap();
        let e = nl.set_master("veth-a", "nope0").unwrap_err().to_string();
        assert_eq!(e, "netlink: attach veth-a to nope0: no interface nope0");

        let mac = [0x02, 0x42, 0x0a, 0x59, 0x00, 0x02];
        let inside = in_netns(other.as_fd(), || {
            let mut nl = Netlink::open()?;
            let idx = nl.index("eth0")?;
            nl.set_mac("eth0", mac)?;
            nl.set_mtu("eth0", 1400)?;
            nl.set_up("eth0")?;
            nl.add_address("eth0", "10.89.0.2".parse().expect("ip"), 24)?;
            nl.add_route(None, Some("10.89.0.1".parse().expect("ip")), "eth0")?;
            nl.add_route(Some(("10.90.0.0".parse().expect("ip"), 16)), None, "eth0")?;
            let dup = nl
                .add_route(None, Some("10.89.0.1".parse().expect("ip")), "eth0")
                .map_err(|e| e.to_string());
            Ok((idx, nl.mac("eth0")?, nl.index("veth-a")?, dup))
        })
        .unwrap();
        assert!(inside.0.is_some());
        assert_eq!(inside.1, Some(mac));
        assert_eq!(inside.2, None);
        assert_eq!(
            inside.3,
            Err("netlink: add route default via 10.89.0.1 dev eth0: File exists".to_string())
        );
        // The calling thread's namespace is untouched.
        assert_eq!(ino(&thread_netns()), ino(&here));

        let br_mac = nl.mac("rl-br0").unwrap();
        assert!(br_mac.is_some());
        // Deleting one end removes the pair.
        nl.delete_link("veth-a").unwrap();
        nl.delete_link("veth-a").unwrap();
        assert_eq!(nl.index("veth-a").unwrap(), None);
        let gone = in_netns(other.as_fd(), || Netlink::open()?.index("eth0")).unwrap();
        assert_eq!(gone, None);
    }

    #[test]
    fn in_netns_reports_errors_and_values() {
        if nix::unistd::geteuid().is_root() {
            let ns = std::fs::File::open("/proc/self/ns/net").unwrap();
            let r: Result<u32> = in_netns(ns.as_fd(), || Err(Error::Msg("boom".into())));
            assert_eq!(r.unwrap_err().to_string(), "boom");
            // (Whether the thread is gone cannot be told from /proc/self/task here: other tests
            // run threads of their own at the same time. in_netns joins it, scoped.)
            assert_eq!(in_netns(ns.as_fd(), || Ok(7)).unwrap(), 7);
        }
        // A regular file is not a namespace.
        let f = std::fs::File::open("/proc/self/status").unwrap();
        let e = in_netns(f.as_fd(), || Ok(())).unwrap_err().to_string();
        assert!(e.starts_with("join network namespace: "), "{e}");
    }
}
