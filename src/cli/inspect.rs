//! `rl inspect` (containers, then images, volumes, networks) and `rl container inspect`:
//! docker/podman-shaped JSON.

use serde_json::{Value, json};

use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};
use crate::format::Format;

/// Display detailed information on containers, images, volumes or networks
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Containers, images, volumes or networks (names or ids)
    #[arg(value_name = "NAME", required = true)]
    pub names: Vec<String>,
    /// Output format: json (default), or a Go template applied to each object
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// What to look for: container, image, volume, network, or all (in that order)
    #[arg(short, long = "type", value_name = "TYPE", default_value = "all")]
    pub typ: String,
    /// Show the container's size (accepted; sizes are not computed)
    #[arg(short, long)]
    pub size: bool,
}

fn time_ns(ns: Option<i64>) -> String {
    ns.map_or_else(
        || "0001-01-01T00:00:00Z".to_string(),
        crate::format::time::rfc3339_nanos,
    )
}

/// The inspect object of one container.
pub fn container_value(paths: &Paths, rec: &Record) -> Value {
    let dir = container::dir(paths, &rec.id);
    let spec: Option<oci_spec::runtime::Spec> = std::fs::read(dir.join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let process = spec.as_ref().and_then(|s| s.process().clone());
    let env = process
        .as_ref()
        .and_then(|p| p.env().clone())
        .unwrap_or_default();
    let args = process
        .as_ref()
        .and_then(|p| p.args().clone())
        .unwrap_or_default();
    let user = process.as_ref().map(|p| p.user());
    let annotations = spec
        .as_ref()
        .and_then(|s| s.annotations().clone())
        .unwrap_or_default();
    let mounts: Vec<Value> = spec
        .as_ref()
        .and_then(|s| s.mounts().clone())
        .unwrap_or_default()
        .iter()
        .filter(|m| {
            let src = m.source().as_ref().map(|p| p.display().to_string()).unwrap_or_default();
            m.typ().as_deref() == Some("bind") && src.starts_with('/') && !src.starts_with("/dev")
                && !src.starts_with("/sys") && !src.starts_with("/proc")
        })
        .map(|m| {
            let opts = m.options().clone().unwrap_or_default();
            let source = m
                .source()
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let volume = source.starts_with(&paths.volumes().display().to_string());
            json!({
                "Type": if volume { "volume" } else { "bind" },
                "Name": if volume { source.trim_end_matches("/_data").rsplit('/').next().unwrap_or("").to_string() } else { String::new() },
                "Source": source,
                "Destination": m.destination().display().to_string(),
                "Driver": if volume { "local" } else { "" },
                "Mode": "",
                "Options": opts,
                "RW": !opts.iter().any(|o| o == "ro"),
                "Propagation": opts.iter().find(|o| o.contains("private") || o.contains("shared") || o.contains("slave")).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let healthcheck = rec.health.as_ref().map(|h| {
        let test: Vec<String> = std::iter::once("CMD".to_string())
            .chain(h.test.iter().cloned())
            .collect();
        json!({
            "Test": test, "Interval": h.interval, "Timeout": h.timeout,
            "Retries": h.retries, "StartPeriod": h.start_period,
        })
    });
    let health = match &rec.health {
        Some(_) => {
            serde_json::to_value(crate::container::health::load(&dir)).unwrap_or(Value::Null)
        }
        None => json!({ "Status": "", "FailingStreak": 0, "Log": [] }),
    };
    let running = rec.is_running();
    let status = match rec.state.as_str() {
        "running" if !running => "exited",
        s => s,
    };
    let name = &rec.name;
    json!({
        "Id": rec.id,
        "Created": crate::format::time::rfc3339(i64::try_from(rec.created).unwrap_or(0)),
        "Path": args.first().cloned().unwrap_or_default(),
        "Args": args.iter().skip(1).collect::<Vec<_>>(),
        "State": {
            "Status": status,
            "Running": running,
            "Paused": rec.state == "paused",
            "Restarting": rec.state == "restarting",
            "OOMKilled": false,
            "Dead": false,
            "Pid": if running { rec.pid.unwrap_or(0) } else { 0 },
            "ExitCode": rec.exit_code.unwrap_or(0),
            "Error": rec.error.clone().unwrap_or_default(),
            "StartedAt": time_ns(rec.started_at),
            "FinishedAt": time_ns(rec.finished_at),
            "Health": health,
        },
        "Image": rec.image_id,
        "ImageName": rec.image_name,
        "Rootfs": "",
        "ResolvConfPath": dir.join("resolv.conf").display().to_string(),
        "HostnamePath": dir.join("hostname").display().to_string(),
        "HostsPath": dir.join("hosts").display().to_string(),
        "LogPath": if rec.log_driver == "none" { String::new() } else { dir.join("ctr.log").display().to_string() },
        "Name": name,
        "RestartCount": rec.restart_count,
        "Driver": "overlay",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "Config": {
            "Hostname": spec.as_ref().and_then(|s| s.hostname().clone()).unwrap_or_default(),
            "Domainname": "",
            "User": user.map(|u| format!("{}:{}", u.uid(), u.gid())).unwrap_or_default(),
            "AttachStdin": false,
            "AttachStdout": false,
            "AttachStderr": false,
            "Tty": process.as_ref().and_then(|p| p.terminal()).unwrap_or(false),
            "OpenStdin": false,
            "StdinOnce": false,
            "Env": env,
            "Cmd": args,
            "Image": rec.image_name,
            "Volumes": null,
            "WorkingDir": process.as_ref().map(|p| p.cwd().display().to_string()).unwrap_or_default(),
            "Entrypoint": [],
            "OnBuild": null,
            "Labels": rec.labels,
            "Annotations": annotations,
            "Healthcheck": healthcheck,
            "StopSignal": annotations.get(crate::specgen::ANNOTATION_STOP_SIGNAL).cloned().unwrap_or_default(),
        },
        "HostConfig": {
            "Binds": mounts.iter().filter(|m| m["Type"] == "bind").map(|m| format!("{}:{}", m["Source"].as_str().unwrap_or(""), m["Destination"].as_str().unwrap_or(""))).collect::<Vec<_>>(),
            "AutoRemove": rec.rm,
            "LogConfig": { "Type": if rec.log_driver.is_empty() { "k8s-file" } else { rec.log_driver.as_str() }, "Config": null },
            "NetworkMode": if !rec.network_mode.is_empty() { rec.network_mode.as_str() } else if spec.as_ref().and_then(|s| s.linux().clone()).and_then(|l| l.namespaces().clone()).unwrap_or_default().iter().any(|n| n.typ() == oci_spec::runtime::LinuxNamespaceType::Network) { "none" } else { "host" },
            "PortBindings": crate::network::spec::inspect_ports(&rec.ports, &[]),
            "RestartPolicy": { "Name": if rec.restart_policy.is_empty() { "no" } else { rec.restart_policy.as_str() }, "MaximumRetryCount": rec.restart_max },
            "Privileged": false,
        },
        "Mounts": mounts,
        "NetworkSettings": {
            "Bridge": "", "SandboxID": "", "HairpinMode": false, "Ports": crate::network::spec::inspect_ports(&rec.ports, &[]),
            "IPAddress": rec.networks.values().find_map(|a| a.ip).map(|ip| ip.to_string()).unwrap_or_default(),
            "Gateway": "", "MacAddress": rec.networks.values().find_map(|a| a.mac.clone()).unwrap_or_default(),
            "Networks": rec.networks.iter().map(|(name, a)| {
                let net = crate::network::store::load(paths, name).ok();
                (name.clone(), serde_json::json!({
                    "NetworkID": net.as_ref().map(|n| n.id.clone()).unwrap_or_default(),
                    "IPAddress": a.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                    "IPPrefixLen": if a.ip.is_some() { net.as_ref().map_or(0, |n| n.prefix) } else { 0 },
                    "Gateway": "",
                    "MacAddress": a.mac.clone().unwrap_or_default(),
                    "Aliases": a.aliases,
                }))
            }).collect::<serde_json::Map<_, _>>(),
        },
    })
}

/// `rl inspect`.
pub fn inspect(a: &InspectArgs) -> Result<()> {
    inspect_as(a, &a.typ)
}

/// The kinds of object `rl inspect --type` takes.
const TYPES: &[&str] = &["container", "image", "volume", "network", "all"];

/// `rl inspect` looking only for `want` objects (`rl container inspect`: containers); with
/// `all`, each name is looked up as a container, then an image, a volume, a network (podman's
/// order). Every object found is printed; each name found nowhere is an error (the first decides
/// the status, the others are reported).
pub fn inspect_as(a: &InspectArgs, want: &str) -> Result<()> {
    if !TYPES.contains(&want) {
        return Err(Error::Usage(format!(
            "invalid type {want:?}: must be \"image\", \"container\", \"network\", \"volume\", or \"all\""
        )));
    }
    let paths = Paths::from_env()?;
    let format = Format::parse(a.format.as_deref())?;
    let mut finder = Finder {
        paths: &paths,
        images: None,
    };
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for name in &a.names {
        match finder.find(name, want) {
            Ok(v) => values.push(v),
            Err(e) => errors.push(e),
        }
    }
    let text = format.render_inspect(&values)?;
    super::print_stdout(&text)?;
    let mut it = errors.into_iter();
    let Some(first) = it.next() else {
        return Ok(());
    };
    for e in it {
        super::report(&e.one_line());
    }
    Err(first)
}

/// Looks names up, loading the image store only when an image is wanted.
struct Finder<'p> {
    paths: &'p Paths,
    images: Option<super::image::Ctx>,
}

impl Finder<'_> {
    /// The inspect object of `name` as a `want` (or, for `all`, the first kind that has it).
    fn find(&mut self, name: &str, want: &str) -> Result<Value> {
        let all = want == "all";
        if all || want == "container" {
            match super::run::find_container(self.paths, name) {
                Ok(mut rec) => {
                    container::reconcile(self.paths, &mut rec);
                    return Ok(container_value(self.paths, &rec));
                }
                Err(e) if !all => return Err(e),
                Err(_) => {}
            }
        }
        if all || want == "image" {
            if self.images.is_none() {
                self.images = Some(super::image::Ctx::load()?);
            }
            if let Some(c) = self.images.as_ref() {
                match crate::image::local::find(&c.store, &c.conf, name) {
                    Ok(Some(img)) => return super::image::inspect_value(c, &img),
                    Err(e) if !all => return Err(e),
                    _ if !all => {
                        return Err(Error::Msg(format!(
                            "inspecting object: {name}: image not known"
                        )));
                    }
                    _ => {}
                }
            }
        }
        if all || want == "volume" {
            match crate::volume::load(self.paths, name) {
                Ok(v) => return Ok(super::volume::inspect_value(&v)),
                Err(_) if !all => return Err(super::volume::inspect_not_found(name)),
                Err(_) => {}
            }
        }
        if all || want == "network" {
            match crate::network::store::load(self.paths, name) {
                Ok(net) => {
                    let users = crate::network::store::users(self.paths, &net.name);
                    return Ok(super::network::inspect_value(&net, Some(&users)));
                }
                Err(e) if !all => return Err(e),
                Err(_) => {}
            }
        }
        Err(Error::Msg(format!(
            "inspecting object: no such object: \"{name}\""
        )))
    }
}
