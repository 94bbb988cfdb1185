//! The user-mode network stacks: slirp4netns and pasta, one process per container, started
//! with std::process while the container sets up its root, and ended with it.
//!
//! Both run as the user in rl's user namespace (which owns the container's network
//! namespace), in the host's network namespace, where they open the sockets that carry the
//! container's traffic. Lifetime: the helper is a child of the process that waits for the
//! container (`rl run` in the foreground, or the container's monitor); [`Helper`]'s drop kills
//! it when the container ends, and it dies with its parent when that is killed (`SIGKILL` via
//! `PR_SET_PDEATHSIG`; slirp4netns also exits when its `--exit-fd` closes).
//!
//! Ports are published by the helper itself (slirp4netns' `add_hostfwd` API, pasta's `-t`/`-u`),
//! not by a proxy of rl's: the container sees the client's own address.

use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::PortMapping;
use super::spec::SlirpOptions;
use crate::error::{Error, Result};

/// Which stack, with its options (saved in the container's bundle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StackPlan {
    /// slirp4netns.
    Slirp4netns(SlirpOptions),
    /// pasta, with extra arguments.
    Pasta(Vec<String>),
}

/// The addresses a stack gives the container, for its /etc/hosts and /etc/resolv.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    /// The container's own address (None when rl cannot tell).
    pub own: Option<String>,
    /// The address that reaches the host (host.containers.internal).
    pub gateway: Option<String>,
    /// The stack's DNS forwarder, if it has one.
    pub dns: Option<String>,
}

/// The interface the stacks create in the container.
const TAP: &str = "tap0";
/// Where pasta forwards DNS queries from (the container's resolv.conf points here).
pub const PASTA_DNS: &str = "169.254.1.1";
/// The MTU both stacks use by default (the largest slirp4netns allows, as podman).
const MTU: u32 = 65520;

impl StackPlan {
    /// The addresses the container will have. For pasta they are the host's own (pasta copies
    /// the address and gateway of the host's default route).
    pub fn addresses(&self) -> Addresses {
        match self {
            StackPlan::Slirp4netns(o) => {
                let a = o.addresses();
                Addresses {
                    own: Some(a.guest.to_string()),
                    gateway: o.allow_host_loopback.then(|| a.gateway.to_string()),
                    dns: Some(a.dns.to_string()),
                }
            }
            StackPlan::Pasta(args) => {
                let route = default_route();
                let no_map = args.iter().any(|a| a == "--no-map-gw");
                Addresses {
                    own: route
                        .as_ref()
                        .and_then(|r| r.address.map(|a| a.to_string())),
                    gateway: if no_map {
                        None
                    } else {
                        route.as_ref().map(|r| r.gateway.to_string())
                    },
                    dns: Some(PASTA_DNS.to_string()),
                }
            }
        }
    }

    /// The program's name.
    pub fn program(&self) -> &'static str {
        match self {
            StackPlan::Slirp4netns(_) => "slirp4netns",
            StackPlan::Pasta(_) => "pasta",
        }
    }
}

/// The host's IPv4 default route: its gateway, and the address of its interface.
#[derive(Debug, Clone)]
struct DefaultRoute {
    gateway: Ipv4Addr,
    address: Option<Ipv4Addr>,
}

fn default_route() -> Option<DefaultRoute> {
    let text = std::fs::read_to_string("/proc/net/route").ok()?;
    let (iface, gateway) = text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() > 2 && f[1] == "00000000" {
            let gw = u32::from_str_radix(f[2], 16).ok()?;
            Some((f[0].to_string(), Ipv4Addr::from(u32::from_be(gw))))
        } else {
            None
        }
    })?;
    // The address the host would use towards its gateway (connecting UDP sends nothing).
    let address = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect((gateway, 53)).and_then(|()| s.local_addr()))
        .ok()
        .and_then(|a| match a.ip() {
            std::net::IpAddr::V4(v4) => Some(v4),
            std::net::IpAddr::V6(_) => None,
        });
    let _ = iface;
    Some(DefaultRoute { gateway, address })
}

/// A running stack helper; dropping it ends it.
#[derive(Debug)]
pub struct Helper {
    child: Child,
    program: &'static str,
    log: PathBuf,
    /// slirp4netns' exit fd: it exits when this closes.
    _exit: Option<OwnedFd>,
    /// Wait for it to be gone when dropped (see [`Helper::leave_unreaped`]).
    reap: bool,
}

impl Helper {
    /// Kill it on drop without waiting for it to be gone: its end closes the tap device, which
    /// the kernel takes tens of milliseconds over (RCU grace periods), and a process about to
    /// exit has no reason to wait for that (its own exit hands the helper to init for reaping).
    pub fn leave_unreaped(&mut self) {
        self.reap = false;
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        if self.reap {
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Where a container's helper keeps its log and API socket: `<runtime>/net/<id>.*` (short
/// enough for a unix socket path).
fn files(runtime: &Path, id: &str) -> Result<(PathBuf, PathBuf)> {
    let dir = runtime.join("net");
    crate::config::ensure_private_dir(&dir)?;
    let short = &id[..id.len().min(16)];
    Ok((
        dir.join(format!("{short}.log")),
        dir.join(format!("{short}.sock")),
    ))
}

/// Start the stack for the container whose first process is `pid` (its network namespace
/// exists; rl is in the user namespace that owns it), publish `ports`, and return once the
/// container's interface is configured.
pub fn start(
    plan: &StackPlan,
    pid: i32,
    ports: &[PortMapping],
    runtime: &Path,
    id: &str,
) -> Result<Helper> {
    let (log, sock) = files(runtime, id)?;
    let logfile = std::fs::File::create(&log).map_err(|e| Error::path("create", &log, e))?;
    let (ready_r, ready_w) = crate::runtime::pipe()?;
    let program = plan.program();
    let path = crate::userns::find_program(program).ok_or_else(|| {
        Error::Msg(format!(
            "{program} is not installed; install it (Debian: apt-get install {}) or use --network none",
            if program == "pasta" {
                "passt"
            } else {
                "slirp4netns"
            }
        ))
    })?;
    let mut cmd = Command::new(&path);
    let mut keep: Vec<i32> = vec![ready_w.as_raw_fd()];
    let mut exit_r_w = None;
    // The helper gets the namespace as an inherited descriptor: pasta isolates itself (a user
    // namespace of its own) before it opens it, and a helper in a nested user namespace
    // (keep-id) has other ids than the container's process: either may not open
    // /proc/PID/ns/net, while /proc/self/fd/N is always its own.
    let netns_fd = super::open_netns(pid)?;
    keep.push(netns_fd.as_raw_fd());
    let netns_arg = format!("/proc/self/fd/{}", netns_fd.as_raw_fd());
    match plan {
        StackPlan::Slirp4netns(o) => {
            let (exit_r, exit_w) = crate::runtime::pipe()?;
            keep.push(exit_r.as_raw_fd());
            cmd.arg("--configure")
                .arg(format!("--mtu={}", o.mtu.unwrap_or(MTU)))
                .arg(format!("--ready-fd={}", ready_w.as_raw_fd()))
                .arg(format!("--exit-fd={}", exit_r.as_raw_fd()));
            if !o.allow_host_loopback {
                cmd.arg("--disable-host-loopback");
            }
            if let Some(c) = &o.cidr {
                cmd.arg(format!("--cidr={c}"));
            }
            if o.enable_ipv6 {
                cmd.arg("--enable-ipv6");
            }
            if let Some(a) = &o.outbound_addr {
                cmd.arg(format!("--outbound-addr={a}"));
            }
            if let Some(a) = &o.outbound_addr6 {
                cmd.arg(format!("--outbound-addr6={a}"));
            }
            if !ports.is_empty() {
                let _ = std::fs::remove_file(&sock);
                cmd.arg(format!("--api-socket={}", sock.display()));
            }
            cmd.arg("--netns-type=path").arg(&netns_arg).arg(TAP);
            exit_r_w = Some((exit_r, exit_w));
        }
        StackPlan::Pasta(extra) => {
            cmd.args(["--config-net", "-q", "-f"])
                .arg("-P")
                .arg(format!("/proc/self/fd/{}", ready_w.as_raw_fd()))
                .args(["-I", TAP, "--dns-forward", PASTA_DNS]);
            // Nothing is forwarded but what is published (pasta's default forwards every port
            // bound, both ways).
            let mut tcp: Vec<String> = Vec::new();
            let mut udp: Vec<String> = Vec::new();
            for p in ports {
                let host = if p.host_ip.is_empty() {
                    String::new()
                } else {
                    format!("{}/", p.host_ip)
                };
                let spec = format!("{host}{}:{}", p.host_port, p.container_port);
                if p.protocol == "udp" {
                    udp.push(spec);
                } else {
                    tcp.push(spec);
                }
            }
            for (flag, list) in [("-t", &tcp), ("-u", &udp)] {
                if list.is_empty() {
                    cmd.args([flag, "none"]);
                }
                for s in list {
                    cmd.args([flag, s]);
                }
            }
            cmd.args(["-T", "none", "-U", "none"]);
            cmd.args(extra);
            cmd.arg("--netns").arg(&netns_arg);
        }
    }
    let err = logfile
        .try_clone()
        .map_err(|e| Error::path("open", &log, e))?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(logfile))
        .stderr(Stdio::from(err))
        .current_dir("/");
    crate::runtime::sys::inherit_fds_and_die_with_parent(&mut cmd, keep);
    let child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("start {}", path.display()), e))?;
    drop(ready_w);
    drop(netns_fd);
    let mut helper = Helper {
        child,
        program,
        log: log.clone(),
        _exit: None,
        reap: true,
    };
    if let Some((exit_r, exit_w)) = exit_r_w {
        drop(exit_r);
        helper._exit = Some(exit_w);
    }
    // Both write once the interface is up (slirp4netns "1", pasta its pid), or exit.
    let mut ready = std::fs::File::from(ready_r);
    let mut byte = [0u8; 1];
    if !matches!(ready.read(&mut byte), Ok(1)) {
        return Err(helper_failed(&mut helper, "did not start"));
    }
    crate::timing::mark("network: stack ready");
    if let StackPlan::Slirp4netns(o) = plan
        && !ports.is_empty()
    {
        let guest = plan.addresses().own.unwrap_or_default();
        let result = ports
            .iter()
            .try_for_each(|p| slirp_hostfwd(&sock, p, &guest, o));
        let _ = std::fs::remove_file(&sock);
        result?;
    }
    Ok(helper)
}

fn helper_failed(h: &mut Helper, what: &str) -> Error {
    let status = h.child.wait().ok();
    let text = std::fs::read_to_string(&h.log).unwrap_or_default();
    // The first line that is not chatter (slirp4netns prints its usage after the error).
    let why = text
        .lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty()
                && !l.starts_with("Failed to send")
                && !l.starts_with("WARNING")
                && !l.contains("tapfd")
        })
        .unwrap_or("")
        .to_string();
    let status = status.map(|s| format!(" ({s})")).unwrap_or_default();
    if why.is_empty() {
        Error::Msg(format!("network: {} {what}{status}", h.program))
    } else {
        Error::Msg(format!("network: {} {what}{status}: {why}", h.program))
    }
}

/// Publish one port through slirp4netns' API socket.
fn slirp_hostfwd(sock: &Path, p: &PortMapping, guest: &str, _o: &SlirpOptions) -> Result<()> {
    let host_addr = if p.host_ip.is_empty() {
        "0.0.0.0"
    } else {
        p.host_ip.as_str()
    };
    if host_addr.contains(':') {
        return Err(Error::Usage(format!(
            "-p {}:{}:{}: slirp4netns publishes on IPv4 host addresses only (use --network pasta)",
            p.host_ip, p.host_port, p.container_port
        )));
    }
    let request = serde_json::json!({
        "execute": "add_hostfwd",
        "arguments": {
            "proto": p.protocol,
            "host_addr": host_addr,
            "host_port": p.host_port,
            "guest_addr": guest,
            "guest_port": p.container_port,
        }
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut stream = loop {
        match UnixStream::connect(sock) {
            Ok(s) => break s,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(Error::path("connect to slirp4netns", sock, e)),
        }
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    stream
        .write_all(request.to_string().as_bytes())
        .and_then(|()| stream.shutdown(std::net::Shutdown::Write))
        .map_err(|e| Error::io("talk to slirp4netns", e))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| Error::io("read slirp4netns' reply", e))?;
    let v: serde_json::Value = serde_json::from_str(&reply).unwrap_or_default();
    if v.get("return").is_some() {
        return Ok(());
    }
    Err(port_error(p, v["error"]["desc"].as_str().unwrap_or(&reply)))
}

/// `ip:port` to bind on the host (`[ip]:port` for IPv6; an empty `ip` is every address).
pub fn host_addr(ip: &str, port: u16) -> String {
    let ip = if ip.is_empty() { "0.0.0.0" } else { ip };
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// Bind host port `port` of `ip` (0: one the kernel picks) for `protocol` (`udp`, else tcp)
/// and let it go again; returns the port that was bound.
pub fn try_bind(protocol: &str, ip: &str, port: u16) -> std::io::Result<u16> {
    let addr = host_addr(ip, port);
    Ok(match protocol {
        "udp" => std::net::UdpSocket::bind(addr)?.local_addr()?.port(),
        _ => std::net::TcpListener::bind(addr)?.local_addr()?.port(),
    })
}

/// Why the host side of `p` cannot be bound, when that is the user's to fix: the port is in
/// use, or privileged.
fn bind_problem(p: &PortMapping) -> Option<Error> {
    let addr = host_addr(&p.host_ip, p.host_port);
    let why = match try_bind(&p.protocol, &p.host_ip, p.host_port).err()?.kind() {
        std::io::ErrorKind::AddrInUse => "is already in use",
        std::io::ErrorKind::PermissionDenied => {
            "is privileged (below net.ipv4.ip_unprivileged_port_start)"
        }
        _ => return None,
    };
    Some(Error::Msg(format!(
        "cannot publish port {}/{}: host port {addr} {why}",
        p.container_port, p.protocol
    )))
}

/// Why a port could not be published: "already in use" when it is, else the helper's words.
fn port_error(p: &PortMapping, helper_said: &str) -> Error {
    bind_problem(p).unwrap_or_else(|| {
        Error::Msg(format!(
            "cannot publish port {}/{} on {}: {helper_said}",
            p.container_port,
            p.protocol,
            host_addr(&p.host_ip, p.host_port)
        ))
    })
}

/// Check before starting pasta (which would only say it failed to bind) that the host ports
/// are free: a clear error, and nothing started.
pub fn check_ports_free(ports: &[PortMapping]) -> Result<()> {
    match ports.iter().find_map(bind_problem) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slirp_addresses_follow_the_cidr() {
        let plan = StackPlan::Slirp4netns(SlirpOptions {
            allow_host_loopback: true,
            ..SlirpOptions::default()
        });
        let a = plan.addresses();
        assert_eq!(a.own.as_deref(), Some("10.0.2.100"));
        assert_eq!(a.gateway.as_deref(), Some("10.0.2.2"));
        assert_eq!(a.dns.as_deref(), Some("10.0.2.3"));
        let plan = StackPlan::Slirp4netns(SlirpOptions {
            cidr: Some("10.5.0.0/16".into()),
            allow_host_loopback: false,
            ..SlirpOptions::default()
        });
        let a = plan.addresses();
        assert_eq!(a.own.as_deref(), Some("10.5.0.100"));
        assert_eq!(a.gateway, None);
    }

    #[test]
    fn a_busy_port_is_named() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let p = PortMapping {
            host_ip: "127.0.0.1".into(),
            host_port: port,
            container_port: 80,
            protocol: "tcp".into(),
        };
        let e = check_ports_free(std::slice::from_ref(&p)).unwrap_err();
        assert!(e.to_string().contains("already in use"), "{e}");
        drop(l);
        check_ports_free(&[p]).unwrap();
    }
}
