//! Container networking with the real helpers (slirp4netns, pasta), on the loopback only:
//! published TCP and UDP ports, `-P`, the way back to the host (`host.containers.internal`),
//! /etc/hosts and /etc/resolv.conf, `--network container:|none|host`, a busy port, the helper's
//! lifetime, and bad input.
//!
//! Helpers inherit the environment of the rl process that starts them, marker included, so the
//! env's leak check also covers them; the tests below find them by parentage (the child of the
//! container's monitor) or by that marker, never by name alone, since other tests run helpers
//! of their own at the same time.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::time::Duration;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, container_record, fetch, free_port, wait_until};

fn small() -> &'static str {
    &pushed().small.reference
}

/// The `multi` fixture EXPOSEs 53/udp and 80/tcp (it runs as 1000:1000, through `sh -c`).
fn multi() -> &'static str {
    &pushed().multi.reference
}

/// A container command serving `body` with busybox httpd on `port` (in the foreground).
fn httpd(body: &str, port: u16) -> String {
    format!("mkdir -p /www && echo {body} > /www/index.html && exec httpd -f -p {port} -h /www")
}

/// A server on the host's 127.0.0.1 answering every connection with an HTTP 200 of `body`
/// (for as long as the test process lives). Returns its port.
fn host_server(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                // Read the request head, then answer.
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes());
            });
        }
    });
    port
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// One process, from `/proc/PID/stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Proc {
    pid: u32,
    ppid: u32,
    comm: String,
    state: char,
    /// Start time in clock ticks since boot: with the pid, names this process and no other.
    start: u64,
}

fn proc_stat(pid: u32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (COMM) STATE PPID ..."; COMM may hold spaces and parentheses.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    Some(Proc {
        pid,
        ppid: rest.get(1)?.parse().ok()?,
        comm,
        state: rest.first()?.chars().next()?,
        start: rest.get(19)?.parse().ok()?,
    })
}

fn all_procs() -> Vec<Proc> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(proc_stat)
        .collect()
}

fn is_helper(p: &Proc) -> bool {
    p.comm == "slirp4netns" || p.comm.starts_with("pasta") || p.comm.starts_with("passt")
}

/// Whether this process has ended (gone, a zombie, or its pid now names another process).
fn ended(p: &Proc) -> bool {
    proc_stat(p.pid).is_none_or(|now| now.start != p.start || matches!(now.state, 'Z' | 'X'))
}

/// Whether `pid`'s environment holds this env's marker.
fn has_marker(env: &TestEnv, pid: u32) -> bool {
    let marker = format!("RL_TEST_ROOT={}", env.root.display());
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|e| e.split(|b| *b == 0).any(|v| v == marker.as_bytes()))
}

/// Live helper processes that belong to this env: they carry its marker, name one of its paths
/// (slirp4netns' API socket), or descend from a process that carries the marker.
fn helpers_of(env: &TestEnv) -> Vec<Proc> {
    let procs = all_procs();
    let root = env.root.to_string_lossy().into_owned();
    let mine = |p: &Proc| {
        if has_marker(env, p.pid) {
            return true;
        }
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&root) {
            return true;
        }
        let mut ppid = p.ppid;
        for _ in 0..64 {
            if ppid <= 1 {
                break;
            }
            if has_marker(env, ppid) {
                return true;
            }
            match procs.iter().find(|q| q.pid == ppid) {
                Some(q) => ppid = q.ppid,
                None => break,
            }
        }
        false
    };
    procs
        .iter()
        .filter(|p| is_helper(p) && !matches!(p.state, 'Z' | 'X') && mine(p))
        .cloned()
        .collect()
}

/// The network helper started by the container's monitor (`program`: its name).
#[track_caller]
fn helper_of_monitor(env: &TestEnv, name: &str, program: &str) -> (Proc, Proc) {
    let rec = container_record(env, name);
    let monitor_pid = u32::try_from(rec["monitorPid"].as_i64().expect("monitorPid")).unwrap();
    let monitor = proc_stat(monitor_pid).expect("the monitor runs");
    let helper = all_procs()
        .into_iter()
        .find(|p| {
            p.ppid == monitor_pid
                && is_helper(p)
                && (p.comm == "slirp4netns") == (program == "slirp4netns")
        })
        .unwrap_or_else(|| panic!("no {program} child of the monitor {monitor_pid} of {name}"));
    (monitor, helper)
}

/// Interface names of a `/proc/net/dev` text.
fn interfaces(net_dev: &str) -> Vec<String> {
    let mut v: Vec<String> = net_dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim().to_string()))
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// Published ports
// ---------------------------------------------------------------------------------------------

#[test]
fn published_tcp_port_serves_the_host_slirp4netns_and_pasta() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    for (name, network) in [("web", "slirp4netns"), ("webp", "pasta")] {
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:80");
        let body = format!("hello-from-{name}");
        env.rl(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            "-p",
            &publish,
            small(),
            "sh",
            "-c",
            &httpd(&body, 80),
        ])
        .success();
        assert_eq!(fetch(port), format!("{body}\n"), "{network}");
        assert_eq!(
            env.rl(&["port", name]).success().stdout,
            format!("80/tcp -> 127.0.0.1:{port}\n")
        );
        assert_eq!(
            env.rl(&["port", name, "80"]).success().stdout,
            format!("127.0.0.1:{port}\n")
        );
        assert_eq!(
            env.rl(&[
                "ps",
                "--filter",
                &format!("name=^{name}$"),
                "--format",
                "{{.Ports}}"
            ])
            .success()
            .stdout,
            format!("127.0.0.1:{port}->80/tcp\n")
        );
        let v = env.rl(&["inspect", name]).json();
        assert_eq!(
            v[0]["NetworkSettings"]["Ports"],
            serde_json::json!({ "80/tcp": [{ "HostIp": "127.0.0.1", "HostPort": port.to_string() }] }),
            "{network}"
        );
        // The helper is the monitor's child.
        helper_of_monitor(&env, name, network);
    }
    env.rl(&["rm", "-f", "web", "webp"]).success();
    assert!(wait_until(Duration::from_secs(5), || helpers_of(&env).is_empty()));
}

#[test]
fn publish_all_publishes_the_exposed_ports() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", multi()]).success();
    // multi's entrypoint is `sh -c`; port 80 needs root in the container.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "exposed",
        "-P",
        "--user",
        "0",
        multi(),
        &httpd("published-all", 80),
    ])
    .success();
    let out = env.rl(&["port", "exposed"]);
    let lines: Vec<&str> = out.success().stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let host_port = |wanted: &str| -> u16 {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(wanted))
            .map(|p| p.parse().expect("a port number"))
            .unwrap_or_else(|| panic!("no {wanted} in {lines:?}"))
    };
    let tcp = host_port("80/tcp -> 0.0.0.0:");
    let udp = host_port("53/udp -> 0.0.0.0:");
    assert_ne!(tcp, 0);
    assert_ne!(udp, 0);
    assert_eq!(fetch(tcp), "published-all\n");
    let v = env.rl(&["inspect", "exposed"]).json();
    let ports = &v[0]["NetworkSettings"]["Ports"];
    assert_eq!(ports["80/tcp"][0]["HostPort"], tcp.to_string());
    assert_eq!(ports["53/udp"][0]["HostPort"], udp.to_string());
    env.rl(&["rm", "-f", "exposed"]).success();
}

#[test]
fn published_udp_port_delivers_datagrams() {
    // busybox nc has no UDP listener (Debian's build has no -u), so the container runs the
    // host's perl, chrooted into the host's /usr mounted read-only.
    let usrmerged = std::fs::read_link("/lib").is_ok_and(|t| t == Path::new("usr/lib"));
    if !usrmerged || !Path::new("/usr/bin/perl").exists() {
        eprintln!("skipped: the UDP listener needs /usr/bin/perl on a usrmerged host");
        return;
    }
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let listener = "use IO::Socket::INET; $| = 1; \
        my $s = IO::Socket::INET->new(LocalPort => 5353, Proto => q(udp)) or die qq(udp: $!); \
        print qq(listening\\n); \
        while (1) { $s->recv(my $m, 100); print qq(got: $m\\n); }";
    let script = format!(
        "mkdir -p /host/tmp && ln -s usr/lib /host/lib && ln -s usr/lib64 /host/lib64 && \
         ln -s usr/bin /host/bin && echo '{listener}' > /host/tmp/udp.pl && \
         exec chroot /host /usr/bin/perl /tmp/udp.pl"
    );
    for (name, network) in [("udp", "slirp4netns"), ("udpp", "pasta")] {
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:5353/udp");
        env.rl(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            "-p",
            &publish,
            "-v",
            "/usr:/host/usr:ro",
            small(),
            "sh",
            "-c",
            &script,
        ])
        .success();
        assert!(
            wait_until(Duration::from_secs(8), || env
                .rl(&["logs", name])
                .stdout
                .contains("listening")),
            "{network}: {:?}",
            env.rl(&["logs", name])
        );
        assert_eq!(
            env.rl(&["port", name]).success().stdout,
            format!("5353/udp -> 127.0.0.1:{port}\n")
        );
        // Datagrams may be lost: send until one arrives.
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let payload = format!("datagram-via-{network}");
        let arrived = wait_until(Duration::from_secs(8), || {
            let _ = sock.send_to(payload.as_bytes(), ("127.0.0.1", port));
            std::thread::sleep(Duration::from_millis(100));
            env.rl(&["logs", name])
                .stdout
                .contains(&format!("got: {payload}\n"))
        });
        assert!(arrived, "{network}: {:?}", env.rl(&["logs", name]));
    }
    env.rl(&["rm", "-f", "udp", "udpp"]).success();
}

// ---------------------------------------------------------------------------------------------
// The way back to the host, names and DNS
// ---------------------------------------------------------------------------------------------

#[test]
fn containers_reach_the_hosts_loopback_through_the_gateway_names() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let port = host_server("hello-from-the-host");
    for network in ["slirp4netns", "pasta"] {
        for name in ["host.containers.internal", "host.docker.internal"] {
            let url = format!("http://{name}:{port}/");
            let out = env.rl(&[
                "run",
                "--rm",
                "--network",
                network,
                small(),
                "wget",
                "-qO-",
                &url,
            ]);
            assert_eq!(
                out.success().stdout,
                "hello-from-the-host",
                "{network} {name}"
            );
        }
        // host-gateway names the same address.
        let url = format!("http://gw:{port}/");
        let out = env.rl(&[
            "run",
            "--rm",
            "--network",
            network,
            "--add-host",
            "gw:host-gateway",
            small(),
            "wget",
            "-qO-",
            &url,
        ]);
        assert_eq!(out.success().stdout, "hello-from-the-host", "{network} gw");
    }
    // Without host loopback there is no such name.
    env.rl(&[
        "run",
        "--rm",
        "--network",
        "slirp4netns:allow_host_loopback=false",
        small(),
        "grep",
        "-c",
        "host.containers.internal",
        "/etc/hosts",
    ])
    .status_is(1);
}

#[test]
fn hosts_file_add_host_no_hosts_and_resolv_conf() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    // A name from --add-host resolves (busybox wget reads /etc/hosts) to a server in the
    // container.
    let script = format!(
        "{} & for i in $(seq 100); do wget -qO- http://myhost:8080/ && exit 0; sleep 0.05; done; exit 1",
        httpd("via-add-host", 8080).replace("exec ", "")
    );
    let out = env.rl(&[
        "run",
        "--rm",
        "--add-host",
        "myhost:127.0.0.1",
        small(),
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(out.success().stdout, "via-add-host\n");
    // The file: localhost, the added names, the container's own name, the gateway names.
    let hosts = env.rl(&[
        "run",
        "--rm",
        "--name",
        "named",
        "--hostname",
        "box",
        "--add-host",
        "myhost:127.0.0.1",
        "--add-host",
        "h:host-gateway",
        small(),
        "cat",
        "/etc/hosts",
    ]);
    let text = hosts.success().stdout.clone();
    for line in [
        "127.0.0.1\tlocalhost",
        "127.0.0.1\tmyhost\n",
        "10.0.2.2\th\n",
        "10.0.2.100\tbox named\n",
        "10.0.2.2\thost.containers.internal host.docker.internal\n",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    // --no-hosts: the image's own /etc/hosts, nothing of rl's. small has none; rl's mount point
    // layer gives every container an empty one, which stays empty and is not mounted over.
    let out = env.rl(&[
        "run",
        "--rm",
        "--no-hosts",
        small(),
        "sh",
        "-c",
        "cat /etc/hosts; grep -c ' /etc/hosts ' /proc/self/mountinfo",
    ]);
    assert_eq!(out.status, 1, "{out:?}");
    assert_eq!(out.stdout, "0\n");
    env.rl(&[
        "run",
        "--rm",
        "--no-hosts",
        "--add-host",
        "a:1.2.3.4",
        small(),
        "true",
    ])
    .fails_with(125, "--no-hosts and --add-host cannot be combined");
    env.rl(&[
        "run",
        "--rm",
        "--network",
        "slirp4netns:allow_host_loopback=false",
        "--add-host",
        "gw:host-gateway",
        small(),
        "true",
    ])
    .fails_with(125, "gw:host-gateway");
    // resolv.conf: the options replace the host's, in resolv.conf's order.
    let out = env.rl(&[
        "run",
        "--rm",
        "--dns",
        "1.2.3.4",
        "--dns-search",
        "example.com",
        "--dns-option",
        "ndots:2",
        small(),
        "cat",
        "/etc/resolv.conf",
    ]);
    assert_eq!(
        out.success().stdout,
        "search example.com\nnameserver 1.2.3.4\noptions ndots:2\n"
    );
    // By default the stack's DNS forwarder comes first.
    let first = |network: &str| {
        let out = env.rl(&[
            "run",
            "--rm",
            "--network",
            network,
            small(),
            "cat",
            "/etc/resolv.conf",
        ]);
        out.success()
            .stdout
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(first("slirp4netns"), "nameserver 10.0.2.3");
    assert_eq!(first("pasta"), "nameserver 169.254.1.1");
}

// ---------------------------------------------------------------------------------------------
// Other network modes
// ---------------------------------------------------------------------------------------------

#[test]
fn network_container_shares_another_containers_namespace() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "web",
        small(),
        "sh",
        "-c",
        &httpd("shared-netns", 80),
    ])
    .success();
    let script = "for i in $(seq 100); do wget -qO- http://127.0.0.1:80/ && exit 0; sleep 0.05; done; exit 1";
    let out = env.rl(&[
        "run",
        "--rm",
        "--network",
        "container:web",
        small(),
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(out.success().stdout, "shared-netns\n");
    // The same interfaces, and the other container's /etc/hosts.
    let dev = |args: &[&str]| {
        let out = env.rl(args);
        interfaces(&out.success().stdout)
    };
    assert_eq!(
        dev(&["exec", "web", "cat", "/proc/net/dev"]),
        dev(&[
            "run",
            "--rm",
            "--network",
            "container:web",
            small(),
            "cat",
            "/proc/net/dev"
        ])
    );
    assert_eq!(
        env.rl(&[
            "run",
            "--rm",
            "--network",
            "container:web",
            small(),
            "cat",
            "/etc/hosts"
        ])
        .success()
        .stdout,
        env.rl(&["exec", "web", "cat", "/etc/hosts"])
            .success()
            .stdout
    );
    env.rl(&[
        "run",
        "--rm",
        "--network",
        "container:web",
        "-p",
        "8080:80",
        small(),
        "true",
    ])
    .fails_with(125, "cannot publish ports with --network container:");
    env.rl(&[
        "run",
        "--rm",
        "--network",
        "container:nonexistent",
        small(),
        "true",
    ])
    .fails_with(125, "\"nonexistent\"");
    env.rl(&["rm", "-f", "web"]).success();
    assert!(wait_until(Duration::from_secs(5), || helpers_of(&env).is_empty()));
}

#[test]
fn network_none_has_only_loopback_and_host_has_the_hosts_interfaces() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let out = env.rl(&[
        "run",
        "--rm",
        "--network",
        "none",
        small(),
        "sh",
        "-c",
        "cat /proc/net/dev; echo; cat /sys/class/net/lo/flags",
    ]);
    let (dev, flags) = out.success().stdout.split_once("\n\n").unwrap();
    assert_eq!(interfaces(dev), ["lo"]);
    // IFF_UP | IFF_LOOPBACK.
    assert_eq!(flags, "0x9\n");
    // No helper for none.
    assert!(helpers_of(&env).is_empty());
    let out = env.rl(&[
        "run",
        "--rm",
        "--network",
        "host",
        small(),
        "cat",
        "/proc/net/dev",
    ]);
    let host = std::fs::read_to_string("/proc/self/net/dev").unwrap();
    assert_eq!(interfaces(&out.success().stdout), interfaces(&host));
    // Both discard published ports, with a warning.
    for network in ["none", "host"] {
        let out = env.rl(&[
            "run",
            "--rm",
            "--network",
            network,
            "-p",
            "8080:80",
            small(),
            "true",
        ]);
        out.success()
            .stderr_has("port mappings are discarded with --network none or host");
    }
}

// ---------------------------------------------------------------------------------------------
// Failures and the helper's lifetime
// ---------------------------------------------------------------------------------------------

#[test]
fn a_busy_host_port_fails_and_leaves_no_helper() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let publish = format!("127.0.0.1:{port}:80");
    let want = format!("host port 127.0.0.1:{port} is already in use");
    for network in ["slirp4netns", "pasta"] {
        for detach in [true, false] {
            let mut args = vec!["run", "--rm", "--network", network, "-p", &publish];
            if detach {
                args.push("-d");
            }
            args.extend([small(), "sleep", "100"]);
            env.rl(&args).fails_with(125, &want);
            let clean = wait_until(Duration::from_secs(5), || {
                helpers_of(&env).is_empty() && env.stray_processes().is_empty()
            });
            assert!(
                clean,
                "{network} detach={detach}: helpers {:?}, processes {:?}",
                helpers_of(&env),
                env.stray_processes()
            );
        }
    }
}

/// A detached container that exits when `/tmp/go` appears (with code 3) and otherwise stops on
/// SIGTERM.
const WAITER: &str = "trap 'exit 0' TERM; while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3";

#[test]
fn the_helper_ends_with_the_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let start = |name: &str, network: &str| -> (Proc, Proc) {
        env.rl(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            small(),
            "sh",
            "-c",
            WAITER,
        ])
        .success();
        helper_of_monitor(&env, name, network)
    };
    let gone = |what: &str, helper: &Proc| {
        assert!(
            wait_until(Duration::from_secs(5), || ended(helper)),
            "{what}: the helper {helper:?} outlived the container"
        );
    };
    for network in ["slirp4netns", "pasta"] {
        // rl stop.
        let (_, helper) = start("stopped", network);
        env.rl(&["stop", "stopped"]).success();
        gone(&format!("{network}: stop"), &helper);
        assert_eq!(env.rl(&["wait", "stopped"]).success().out(), "0");
        // rl rm -f.
        let (_, helper) = start("removed", network);
        env.rl(&["rm", "-f", "removed"]).success();
        gone(&format!("{network}: rm -f"), &helper);
        // The command exits by itself, with an error.
        let (_, helper) = start("crashed", network);
        env.rl(&["exec", "crashed", "touch", "/tmp/go"]).success();
        assert_eq!(env.rl(&["wait", "crashed"]).success().out(), "3");
        gone(&format!("{network}: exit 3"), &helper);
        // The monitor is killed: the helper dies with it (PR_SET_PDEATHSIG).
        let (monitor, helper) = start("orphan", network);
        env.command("kill")
            .args(["-9", &monitor.pid.to_string()])
            .status()
            .unwrap();
        gone(&format!("{network}: monitor killed"), &helper);
        assert!(wait_until(Duration::from_secs(5), || ended(&monitor)));
        env.rl(&["wait", "orphan"]).success();
        env.rl(&["rm", "stopped", "crashed", "orphan"]).success();
        assert!(
            wait_until(Duration::from_secs(5), || helpers_of(&env).is_empty()),
            "{network}: {:?}",
            helpers_of(&env)
        );
    }
}

#[test]
fn bad_network_input_is_named() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let cases: &[(&[&str], &str)] = &[
        (&["-p", "99999:80"], "-p 99999:80: invalid port \"99999\""),
        (
            &["-p", "8000-8001:80-82"],
            "-p 8000-8001:80-82: host and container port ranges differ in size",
        ),
        (&["-p", "127.0.0.1:80/sctp"], "sctp"),
        (
            &["-p", "localhost:8080:80"],
            "\"localhost\" is not an IP address",
        ),
        (
            &["--network", "slirp4netns:bogus=1"],
            "--network slirp4netns:bogus=1: unknown slirp4netns option \"bogus\"",
        ),
        (&["--network", "ns:/x"], "--network ns:/x"),
        (&["--network", "none:x"], "--network none:x"),
        (
            &["--dns", "notanip"],
            "--dns \"notanip\" is not an IP address",
        ),
        (&["--add-host", "nocolon"], "nocolon"),
        (&["--add-host", "h:notanip"], "h:notanip"),
    ];
    for (args, want) in cases {
        let mut full = vec!["run", "--rm"];
        full.extend_from_slice(args);
        full.extend([small(), "true"]);
        env.rl(&full).fails_with(125, want);
    }
    // Nothing was created.
    assert_eq!(env.rl(&["ps", "-aq"]).success().out(), "");
    assert!(helpers_of(&env).is_empty());
}

/// Intermittent rl bug: now and then (about 1 run in 40 here) `rl run --userns=keep-id` fails
/// with `Error: open the container's network namespace /proc/PID/ns/net: Permission denied`;
/// seen with both stacks' start path (stack::start opens the namespace while the container's
/// first process is still setting itself up, apparently while it is not dumpable after
/// changing its ids).
#[test]
fn keep_id_containers_are_networked() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let port = host_server("hello-keep-id");
    let url = format!("http://host.containers.internal:{port}/");
    for network in ["slirp4netns", "pasta"] {
        for _ in 0..5 {
            let out = env.rl(&[
                "run",
                "--rm",
                "--userns=keep-id",
                "--network",
                network,
                small(),
                "wget",
                "-qO-",
                &url,
            ]);
            assert_eq!(out.success().stdout, "hello-keep-id", "{network}");
        }
    }
}

/// The server sees the client's address as the stack gives it, not a forwarder's of rl's:
/// pasta keeps a loopback client's 127.0.0.1; slirp4netns shows a client on the host's loopback
/// as its gateway 10.0.2.2 (libslirp's own mapping; other clients keep their address).
#[test]
fn the_server_sees_the_clients_address() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    for (name, network, seen) in [
        ("srcp", "pasta", "127.0.0.1"),
        ("srcs", "slirp4netns", "10.0.2.2"),
    ] {
        let port = free_port();
        env.rl(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            "-p",
            &format!("127.0.0.1:{port}:80"),
            small(),
            "sh",
            "-c",
            "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -vv -p 80 -h /www",
        ])
        .success();
        fetch(port);
        let mut logs = String::new();
        let logged = wait_until(Duration::from_secs(5), || {
            // httpd logs to stderr, which `rl logs` keeps as stderr.
            logs = env.rl(&["logs", name]).success().stderr.clone();
            logs.contains("url:/")
        });
        assert!(logged, "{network}: httpd logged no request: {logs}");
        let line = logs.lines().find(|l| l.contains("url:/")).unwrap_or("");
        assert!(
            line.contains(seen),
            "{network}: the server saw {line:?}, want the client as {seen}"
        );
        env.rl(&["rm", "-f", name]).success();
    }
}
