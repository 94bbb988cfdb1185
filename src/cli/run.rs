//! `rl run` and `rl create` options.

/// What `rl run` does, for its help (shared by the full command tree and the fast path).
pub const ABOUT: &str = "Run a command in a new container (foreground)";

use clap::Args;

/// Run a command in a new container (foreground)
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// The image to run
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Command and arguments (default: the image's entrypoint and command)
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
    /// Keep standard input open (pipe it to the container)
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Run in the background: print the container's id and leave it to its monitor
    #[arg(short, long)]
    pub detach: bool,
    /// Attach only these streams in the foreground: STDIN, STDOUT, STDERR (default: all)
    #[arg(short = 'a', long = "attach", value_name = "STREAM")]
    pub attach: Vec<String>,
    /// Where the container's output goes: k8s-file (the default; json-file is taken as it) or none
    #[arg(long, value_name = "DRIVER", default_value = "k8s-file")]
    pub log_driver: String,
    /// Health check command (run by /bin/sh -c; a JSON array runs as is)
    #[arg(long, value_name = "COMMAND")]
    pub health_cmd: Option<String>,
    /// Time between health checks (default 30s; "disable" turns them off)
    #[arg(long, value_name = "DURATION")]
    pub health_interval: Option<String>,
    /// Consecutive failures before the container is unhealthy (default 3)
    #[arg(long, value_name = "N")]
    pub health_retries: Option<u32>,
    /// A check running longer fails (default 30s)
    #[arg(long, value_name = "DURATION")]
    pub health_timeout: Option<String>,
    /// Failures in this time after the start do not count (default 0s)
    #[arg(long, value_name = "DURATION")]
    pub health_start_period: Option<String>,
    /// When unhealthy: none, kill, restart or stop
    #[arg(long, value_name = "ACTION")]
    pub health_on_failure: Option<String>,
    /// Disable the image's HEALTHCHECK
    #[arg(long)]
    pub no_healthcheck: bool,
    /// Restart policy of a detached container: no, on-failure[:N], always, unless-stopped
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,
    /// Logging options: max-size=SIZE (rotate the log past SIZE)
    #[arg(long, value_name = "KEY=VALUE")]
    pub log_opt: Vec<String>,
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Name of the container
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Set an environment variable: KEY=VALUE, or KEY to pass the host's value
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Read environment variables from a file (KEY=VALUE lines)
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<std::path::PathBuf>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User to run as: USER[:GROUP], names or numbers
    #[arg(short, long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Additional groups for the user
    #[arg(long, value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// Override the image's entrypoint ("" clears it)
    #[arg(long, value_name = "COMMAND", allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Container host name
    #[arg(short = 'h', long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Network: slirp4netns[:OPTIONS] (the default), pasta[:ARGS], none, host,
    /// container:NAME, or a network made with `rl network create` (repeatable for several)
    #[arg(long, alias = "net", value_name = "MODE")]
    pub network: Vec<String>,
    /// Publish a container port on the host: [IP:][HOSTPORT:]CPORT[/tcp|/udp], ranges allowed
    #[arg(short = 'p', long = "publish", value_name = "PORT")]
    pub publish: Vec<String>,
    /// Publish every port the image exposes on a free host port
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    /// DNS server for the container's /etc/resolv.conf (`none`: no nameserver)
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// DNS search domain ("." for none)
    #[arg(long, value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// DNS resolver option (resolv.conf `options`)
    #[arg(long, alias = "dns-opt", value_name = "OPTION")]
    pub dns_option: Vec<String>,
    /// Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the address reaching the host)
    #[arg(long, value_name = "NAME:IP")]
    pub add_host: Vec<String>,
    /// Do not generate /etc/hosts: the image's stays
    #[arg(long)]
    pub no_hosts: bool,
    /// Another name for the container on its user-defined networks
    #[arg(long, value_name = "ALIAS")]
    pub network_alias: Vec<String>,
    /// Mount the root file system read-only
    #[arg(long)]
    pub read_only: bool,
    /// With --read-only, mount tmpfs on /run, /tmp and /var/tmp
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub read_only_tmpfs: bool,
    /// Mount a tmpfs: PATH[:OPTIONS]
    #[arg(long, value_name = "PATH[:OPTIONS]")]
    pub tmpfs: Vec<String>,
    /// Bind a host path or mount a volume: [HOST-PATH|NAME:]CONTAINER[:ro|rw|U|nocopy|...]
    #[arg(short, long, value_name = "[SOURCE:]CONTAINER[:OPTIONS]")]
    pub volume: Vec<String>,
    /// Attach a mount: type=bind|volume|tmpfs,source=,target=[,readonly,...]
    #[arg(long, value_name = "type=TYPE,...")]
    pub mount: Vec<String>,
    /// Run rl's own init as pid 1: it forwards signals to the command and reaps zombies
    #[arg(long)]
    pub init: bool,
    /// User namespace: keep-id (your uid and gid inside, with a passwd entry) or host (the default)
    #[arg(long, value_name = "MODE")]
    pub userns: Option<String>,
    /// Map container uids: CONTAINER_ID:ID:SIZE (ID in rl's namespace: 0 = you, 1.. = your subuids)
    #[arg(long, value_name = "CONTAINER_ID:ID:SIZE")]
    pub uidmap: Vec<String>,
    /// Map container gids, as --uidmap (default: the --uidmap ranges)
    #[arg(long, value_name = "CONTAINER_ID:ID:SIZE")]
    pub gidmap: Vec<String>,
    /// Add capabilities (CAP_NET_RAW, net_raw, ALL)
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop capabilities
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Give the container every capability and no masked paths
    #[arg(long)]
    pub privileged: bool,
    /// Security options: no-new-privileges, seccomp=unconfined|FILE, mask=PATHS, unmask=PATHS|ALL
    #[arg(long, value_name = "OPTION")]
    pub security_opt: Vec<String>,
    /// Resource limits: NAME=SOFT[:HARD] (nofile, nproc, core, ...)
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    pub ulimit: Vec<String>,
    /// Namespaced kernel parameters: KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub sysctl: Vec<String>,
    /// Labels: KEY=VALUE
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Annotations: KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Pass signals received by rl to the container
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub sig_proxy: bool,
    /// Signal that stops the container
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// When to pull the image: missing, always, never, newer
    #[arg(long, value_name = "POLICY", default_value = "missing")]
    pub pull: String,
    /// Platform for a pulled image: OS/ARCH[/VARIANT]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Memory limit [needs a delegated cgroup v2 subtree]
    #[arg(short, long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// CPU limit [needs a delegated cgroup v2 subtree]
    #[arg(long, value_name = "N")]
    pub cpus: Option<String>,
    /// Process limit [needs a delegated cgroup v2 subtree]
    #[arg(long, value_name = "N")]
    pub pids_limit: Option<String>,
}

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::image::Ctx;
use crate::container::{self, Record};
use crate::error::{Error, Result};
use crate::image::local::{self, LocalImage};
use crate::image::manifest;
use crate::network::{self as net, spec::Mode};
use crate::specgen::{self, ImageUsers, MountKind, MountSpec, NetworkMode, RunOptions, SpecInputs};
use crate::userns::{self, Identity};

fn pairs(v: &[String], what: &str) -> Result<BTreeMap<String, String>> {
    v.iter()
        .map(|s| {
            let (k, val) = s.split_once('=').unwrap_or((s.as_str(), ""));
            if k.is_empty() {
                Err(Error::Usage(format!(
                    "invalid {what} {s:?}: want KEY=VALUE"
                )))
            } else {
                Ok((k.to_string(), val.to_string()))
            }
        })
        .collect()
}

/// Make sure the image is in the store, pulling it (in a child `rl pull`, so this process stays
/// single-threaded for the namespaces to come) as `--pull` says.
fn ensure_image(ctx: &Ctx, a: &RunArgs) -> Result<LocalImage> {
    ensure_image_named(ctx, &a.image, &a.pull, a.platform.as_deref())
}

/// The image `image`, pulled first as `pull` (missing, always, never, newer) says.
pub(crate) fn ensure_image_named(
    ctx: &Ctx,
    image: &str,
    pull: &str,
    platform: Option<&str>,
) -> Result<LocalImage> {
    let have = local::find(&ctx.store, &ctx.conf, image)?;
    let pull = match (pull, &have) {
        ("always", _) => true,
        ("missing" | "newer", None) => true,
        ("missing" | "newer", Some(_)) => false,
        ("never", None) => {
            return Err(Error::Msg(format!("{}: image not known", image)));
        }
        ("never", Some(_)) => false,
        (other, _) => {
            return Err(Error::Usage(format!(
                "invalid --pull {other:?}: want missing, always, never or newer"
            )));
        }
    };
    if !pull {
        return have.ok_or_else(|| Error::Msg(format!("{}: image not known", image)));
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("find the rl binary", e))?;
    let mut cmd = Command::new(exe);
    cmd.arg("pull").arg("-q");
    if let Some(p) = platform {
        cmd.arg("--platform").arg(p);
    }
    cmd.arg(image).stdin(Stdio::null()).stdout(Stdio::null());
    let terminal = std::io::stderr().is_terminal();
    cmd.stderr(if terminal {
        Stdio::inherit()
    } else {
        Stdio::piped()
    });
    let out = cmd.output().map_err(|e| Error::io("run rl pull", e))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        let msg = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("Error: "))
            .unwrap_or("pulling the image failed");
        return Err(Error::Msg(msg.to_string()));
    }
    local::require(&ctx.store, &ctx.conf, image)
}

/// What `-v` and the image's VOLUMEs turn into.
#[derive(Debug, Default)]
struct Volumes {
    mounts: Vec<MountSpec>,
    /// (volume directory, container path) to fill from the image when empty.
    copy_up: Vec<(PathBuf, String)>,
    /// Anonymous volumes, removed with the container under `--rm`.
    anonymous: Vec<PathBuf>,
    /// Sources to give to the container's user (the `U` option), once its ids are known.
    chown: Vec<PathBuf>,
    /// Volume directories made for this container.
    created: Vec<PathBuf>,
}

impl Volumes {
    /// A bind mount of an existing host path.
    fn bind(&mut self, src: &str, dest: &str, opts: &[&str]) -> Result<()> {
        if !src.starts_with('/') {
            return Err(Error::Usage(format!(
                "bind source {src:?} must be an absolute path"
            )));
        }
        if std::fs::symlink_metadata(src).is_err() {
            return Err(Error::Msg(format!("bind source {src} does not exist")));
        }
        if opts.contains(&"U") {
            self.chown.push(PathBuf::from(src));
        }
        let opts: Vec<&str> = opts.iter().copied().filter(|o| *o != "U").collect();
        self.mounts.push(MountSpec::bind(src, dest, &opts));
        Ok(())
    }

    /// A volume directory `<volumes>/<name>/_data`, created on first use.
    fn add(
        &mut self,
        paths: &crate::config::Paths,
        name: &str,
        dest: &str,
        opts: &[&str],
        anonymous: bool,
    ) -> Result<()> {
        let root = paths.volumes().join(name);
        let data = root.join("_data");
        if !data.is_dir() {
            crate::config::ensure_dir(&data)?;
            self.created.push(data.clone());
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| Error::path("chmod", &data, e))?;
        }
        if anonymous {
            self.anonymous.push(root);
        }
        if !opts.contains(&"nocopy") && crate::volume::copy_up(paths, name) {
            self.copy_up.push((data.clone(), dest.to_string()));
        }
        if opts.contains(&"U") {
            self.chown.push(data.clone());
        }
        let opts: Vec<&str> = opts
            .iter()
            .copied()
            .filter(|o| *o != "copy" && *o != "nocopy" && *o != "U")
            .collect();
        self.mounts
            .push(MountSpec::volume(&data.display().to_string(), dest, &opts));
        Ok(())
    }
}

fn volume_mounts(a: &RunArgs, paths: &crate::config::Paths) -> Result<Volumes> {
    let mut out = Volumes::default();
    for v in &a.volume {
        let parts: Vec<&str> = v.split(':').collect();
        let (src, dst, opts) = match parts.as_slice() {
            [d] => ("", *d, ""),
            [s, d] => (*s, *d, ""),
            [s, d, o] => (*s, *d, *o),
            _ => {
                return Err(Error::Usage(format!(
                    "invalid volume {v:?}: want [HOST-PATH|NAME:]CONTAINER-PATH[:OPTIONS]"
                )));
            }
        };
        let opts: Vec<&str> = opts.split(',').filter(|o| !o.is_empty()).collect();
        if src.is_empty() {
            // -v /path: an anonymous volume.
            out.add(paths, &container::new_id()?, dst, &opts, true)?;
        } else if src.starts_with('/') {
            out.bind(src, dst, &opts)?;
        } else if container::valid_name(src) {
            out.add(paths, src, dst, &opts, false)?;
        } else {
            return Err(Error::Usage(format!(
                "invalid volume {v:?}: {src:?} is neither an absolute host path nor a volume name"
            )));
        }
    }
    for m in &a.mount {
        let f = specgen::parse_mount_flag(m).map_err(|e| Error::Usage(e.to_string()))?;
        let opts: Vec<&str> = f.options.iter().map(String::as_str).collect();
        match f.kind {
            MountKind::Bind => out.bind(&f.source, &f.destination, &opts)?,
            MountKind::Tmpfs => out.mounts.push(MountSpec::tmpfs(&f.destination, &opts)),
            MountKind::Volume if f.source.is_empty() => {
                out.add(paths, &container::new_id()?, &f.destination, &opts, true)?;
            }
            MountKind::Volume if container::valid_name(&f.source) => {
                out.add(paths, &f.source, &f.destination, &opts, false)?;
            }
            MountKind::Volume => {
                return Err(Error::Usage(format!(
                    "invalid --mount {m:?}: volume name {:?} must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
                    f.source
                )));
            }
        }
    }
    Ok(out)
}

fn security_opts(a: &RunArgs, opts: &mut RunOptions) -> Result<()> {
    for s in &a.security_opt {
        let (k, v) = s.split_once(['=', ':']).unwrap_or((s.as_str(), ""));
        match (k, v) {
            ("no-new-privileges", "" | "true") => opts.no_new_privileges = true,
            ("no-new-privileges", "false") => opts.no_new_privileges = false,
            ("mask", paths) => opts.masks.extend(paths.split(':').map(String::from)),
            ("unmask", paths) => opts.unmasks.extend(paths.split(':').map(String::from)),
            ("label", _) | ("apparmor", _) => {}
            // Read by `seccomp_filter` once the spec (its capabilities) is known.
            ("seccomp", _) => {}
            _ => return Err(Error::Usage(format!("invalid --security-opt {s:?}"))),
        }
    }
    Ok(())
}

/// The compiled seccomp filter for the container, None for unconfined: `--privileged` (the spec's
/// annotation says `unconfined`) wins, as in docker; otherwise the last
/// `--security-opt seccomp=unconfined|builtin|FILE`, else the built-in profile. Compiled here, in
/// the parent, or read from the cache under the store.
fn seccomp_filter(
    a: &RunArgs,
    spec: &oci_spec::runtime::Spec,
    ctx: &Ctx,
) -> Result<Option<Vec<u8>>> {
    use crate::runtime::seccomp::{self, Choice};
    let annotated = spec
        .annotations()
        .as_ref()
        .and_then(|m| m.get(specgen::ANNOTATION_SECCOMP))
        .map(String::as_str);
    let mut choice = Choice::Builtin;
    for s in &a.security_opt {
        if let Some(v) = s
            .strip_prefix("seccomp=")
            .or_else(|| s.strip_prefix("seccomp:"))
        {
            choice = Choice::parse(v)?;
        }
    }
    if annotated == Some("unconfined") {
        choice = Choice::Unconfined;
    }
    Ok(seccomp::prepare(
        &choice,
        spec,
        &ctx.paths.storage().join("seccomp"),
    )?)
}

fn rlimit(
    kind: oci_spec::runtime::PosixRlimitType,
    r: nix::sys::resource::Resource,
) -> Option<oci_spec::runtime::PosixRlimit> {
    let (soft, hard) = nix::sys::resource::getrlimit(r).ok()?;
    oci_spec::runtime::PosixRlimitBuilder::default()
        .typ(kind)
        .soft(soft)
        .hard(hard)
        .build()
        .ok()
}

fn host_devices() -> Vec<String> {
    use std::os::unix::fs::FileTypeExt;
    std::fs::read_dir("/dev")
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_char_device()))
                .map(|e| e.path().display().to_string())
                .filter(|p| !p.starts_with("/dev/tty") || p == "/dev/tty")
                .collect()
        })
        .unwrap_or_default()
}

/// `--restart`: the policy's name (empty for `no`) and its retry limit.
fn restart_policy(a: &RunArgs) -> Result<(String, u32)> {
    let Some(p) = a.restart.as_deref() else {
        return Ok((String::new(), 0));
    };
    let (name, max) = p.split_once(':').unwrap_or((p, ""));
    let bad = || {
        Error::Usage(format!(
            "invalid --restart {p:?}: want no, on-failure[:N], always or unless-stopped"
        ))
    };
    let max = match (name, max) {
        (_, "") => 0,
        ("on-failure", n) => n.parse::<u32>().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    let name = match name {
        "no" | "" => return Ok((String::new(), 0)),
        "on-failure" | "always" | "unless-stopped" => name,
        _ => return Err(bad()),
    };
    if a.rm {
        return Err(Error::Usage(
            "--restart and --rm cannot be combined (a removed container cannot be restarted)"
                .into(),
        ));
    }
    Ok((name.to_string(), max))
}

/// `--log-driver` and `--log-opt`: the driver's name and the rotation size.
fn log_options(a: &RunArgs) -> Result<(String, Option<u64>)> {
    let driver = match a.log_driver.as_str() {
        "k8s-file" | "json-file" | "" => "k8s-file",
        "none" => "none",
        other => {
            return Err(Error::Usage(format!(
                "invalid --log-driver {other:?}: rl supports k8s-file (json-file) and none"
            )));
        }
    };
    let mut max = None;
    for o in &a.log_opt {
        match o.split_once('=') {
            Some(("max-size", v)) => {
                max = Some(crate::container::logs::parse_size(v).ok_or_else(|| {
                    Error::Usage(format!("invalid --log-opt {o:?}: want a size like 10m"))
                })?);
            }
            // docker's json-file keeps max-file rotated files; rl keeps one (see `rl logs`).
            Some(("max-file", _)) | Some(("tag", _)) | Some(("path", _)) => {}
            _ => {
                return Err(Error::Usage(format!(
                    "invalid --log-opt {o:?}: rl takes max-size=SIZE"
                )));
            }
        }
    }
    Ok((driver.to_string(), max.filter(|m| *m > 0)))
}

/// The maps of the container's own user namespace for `--userns=keep-id` or `--uidmap`/`--gidmap`
/// (None: the container shares rl's). `uid_map`/`gid_map` are rl's namespace's maps; `full` says
/// whether they include the subordinate ranges.
fn nested_maps(
    a: &RunArgs,
    uid_map: &[userns::IdMapping],
    gid_map: &[userns::IdMapping],
    full: bool,
) -> Result<Option<crate::runtime::NestedMaps>> {
    let (outer_u, outer_g) = (userns::map_size(uid_map), userns::map_size(gid_map));
    let maps_given = !a.uidmap.is_empty() || !a.gidmap.is_empty();
    match a.userns.as_deref() {
        None | Some("" | "host") => {}
        Some("keep-id") => {
            if maps_given {
                return Err(Error::Usage(
                    "--userns=keep-id cannot be combined with --uidmap or --gidmap".into(),
                ));
            }
            let no_room = || {
                Error::Msg(
                    "--userns=keep-id needs a subordinate id range for your user that is larger than your uid \
                     (add one to /etc/subuid and /etc/subgid; see `rl info`)"
                        .into(),
                )
            };
            if !full {
                return Err(no_room());
            }
            let (uid, gid) = (uid_map[0].host_id, gid_map[0].host_id);
            let uids = userns::keep_id_map(uid, outer_u).ok_or_else(no_room)?;
            let gids = userns::keep_id_map(gid, outer_g).ok_or_else(no_room)?;
            return Ok(Some(crate::runtime::NestedMaps { uids, gids }));
        }
        Some(other) => {
            return Err(Error::Usage(format!(
                "invalid --userns {other:?}: rl supports host and keep-id"
            )));
        }
    }
    if !maps_given {
        return Ok(None);
    }
    let whole = |size| {
        vec![userns::IdMapping {
            container_id: 0,
            host_id: 0,
            size,
        }]
    };
    let uids = if a.uidmap.is_empty() {
        whole(outer_u)
    } else {
        userns::parse_id_maps(&a.uidmap, "uidmap", outer_u).map_err(Error::Usage)?
    };
    let gids = if a.gidmap.is_empty() {
        userns::parse_id_maps(&a.uidmap, "uidmap", outer_g).map_err(Error::Usage)?
    } else {
        userns::parse_id_maps(&a.gidmap, "gidmap", outer_g).map_err(Error::Usage)?
    };
    Ok(Some(crate::runtime::NestedMaps { uids, gids }))
}

/// keep-id: the user and their primary group get entries in the container's /etc/passwd and
/// /etc/group (named and homed as on the host) unless the image has those ids already.
fn add_keep_id_user(users: &mut ImageUsers, ident: &Identity) {
    let host = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(ident.uid))
        .ok()
        .flatten();
    let name = host
        .as_ref()
        .map(|u| u.name.clone())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| format!("user{}", ident.uid));
    let home = host
        .as_ref()
        .map(|u| u.dir.display().to_string())
        .unwrap_or_else(|| format!("/home/{name}"));
    let has_id = |text: &Option<String>, id: u32| {
        text.as_deref()
            .unwrap_or("")
            .lines()
            .any(|l| l.split(':').nth(2).and_then(|f| f.parse::<u32>().ok()) == Some(id))
    };
    let append = |text: &mut Option<String>, line: String| {
        let t = text.get_or_insert_with(String::new);
        if !t.is_empty() && !t.ends_with('\n') {
            t.push('\n');
        }
        t.push_str(&line);
        t.push('\n');
    };
    if !has_id(&users.passwd, ident.uid) {
        let line = format!("{name}:*:{}:{}:{name}:{home}:/bin/sh", ident.uid, ident.gid);
        append(&mut users.passwd, line);
    }
    if !has_id(&users.group, ident.gid) {
        let group = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(ident.gid))
            .ok()
            .flatten()
            .map_or_else(|| name.clone(), |g| g.name);
        append(&mut users.group, format!("{group}:x:{}:", ident.gid));
    }
}

/// The image's layers, top first, as copies owned through the nested maps (kernel idmapped
/// mounts are not available rootless for overlay or the host's file systems, so rl makes a
/// re-owned copy once per image layer and map, as podman's storage does, and reuses it).
fn remapped_layers(
    ctx: &Ctx,
    img: &LocalImage,
    maps: &crate::runtime::NestedMaps,
) -> Result<Vec<PathBuf>> {
    use sha2::Digest as _;
    let key_src = serde_json::to_vec(maps).map_err(|e| Error::io("encode id maps", e.into()))?;
    let key: String = sha2::Sha256::digest(&key_src)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let base = ctx.store.mapped_layers_dir().join(key);
    crate::config::ensure_dir(&base)?;
    let mut out = Vec::new();
    for l in img.record.layers.iter().rev() {
        let dst = base.join(l.diff_id.hex());
        if !dst.is_dir() {
            let _lock = ctx.store.lock_content(&l.diff_id)?;
            if !dst.is_dir() {
                let staged = ctx.store.staging("mapped");
                let src = ctx.store.layer_dir(&l.diff_id);
                if let Err(e) =
                    crate::image::remap::copy_remapped(&src, &staged, &maps.uids, &maps.gids)
                {
                    crate::image::store::remove_any(&staged);
                    return Err(Error::Msg(format!(
                        "copy layer {} for the id map: {e}",
                        &l.diff_id.hex()[..12]
                    )));
                }
                std::fs::rename(&staged, &dst).map_err(|e| Error::path("store", &dst, e))?;
            }
        }
        out.push(dst);
    }
    crate::timing::mark("remapped layers ready");
    Ok(out)
}

/// The networking part of `rl run`, decided before the container is created.
struct NetPlan {
    stack: Option<net::stack::StackPlan>,
    ports_assigned: Vec<net::PortMapping>,
    networks: BTreeMap<String, net::Attachment>,
}

/// The stack and the published ports (chosen now: `-p 80` and `-P` get free host ports).
fn network_plan(
    a: &RunArgs,
    mode: &Mode,
    config: &manifest::ImageConfig,
    paths: &crate::config::Paths,
) -> Result<NetPlan> {
    let mut networks = BTreeMap::new();
    let stack = match mode {
        Mode::Slirp(o) => Some(net::stack::StackPlan::Slirp4netns(o.clone())),
        Mode::Pasta(args) => Some(net::stack::StackPlan::Pasta(args.clone())),
        Mode::Networks(list) => {
            let mut internal_only = true;
            for n in list {
                let net = net::store::load(paths, &n.name)?;
                internal_only &= net.internal;
                let mut aliases = n.aliases.clone();
                aliases.extend(a.network_alias.iter().cloned());
                networks.insert(
                    net.name.clone(),
                    net::Attachment {
                        aliases,
                        static_ip: n.ip,
                        mac: n.mac.clone(),
                        ..net::Attachment::default()
                    },
                );
            }
            if internal_only && (!a.publish.is_empty() || a.publish_all) {
                return Err(Error::Usage(
                    "cannot publish ports of a container on internal networks only: they have no way in or out"
                        .into(),
                ));
            }
            // The way out (and in, for published ports) is the container's own stack; an
            // internal network gives none.
            (!internal_only).then(|| match net::DEFAULT_STACK {
                net::spec::Stack::Slirp4netns => {
                    net::stack::StackPlan::Slirp4netns(net::spec::SlirpOptions::default())
                }
                net::spec::Stack::Pasta => net::stack::StackPlan::Pasta(Vec::new()),
            })
        }
        _ => None,
    };
    if !a.network_alias.is_empty() && networks.is_empty() {
        return Err(Error::Usage(
            "--network-alias needs a user-defined network (--network NAME)".into(),
        ));
    }
    let mut reqs = Vec::new();
    for p in &a.publish {
        reqs.extend(net::spec::parse_publish(p)?);
    }
    if a.publish_all {
        let exposed: Vec<String> = config
            .config
            .as_ref()
            .and_then(|c| c.exposed_ports.as_ref())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        reqs.extend(net::spec::exposed_requests(&exposed)?);
    }
    if reqs.is_empty() {
        return Ok(NetPlan {
            stack,
            ports_assigned: Vec::new(),
            networks,
        });
    }
    match mode {
        Mode::Container(_) => {
            return Err(Error::Usage(
                "cannot publish ports with --network container: (publish them on that container)"
                    .into(),
            ));
        }
        Mode::None | Mode::Host => {
            eprintln!(
                "Warning: port mappings are discarded with --network none or host (with host, the container's ports are the host's)"
            );
            return Ok(NetPlan {
                stack,
                ports_assigned: Vec::new(),
                networks,
            });
        }
        _ => {}
    }
    let mut is_free =
        |proto: &str, ip: &str, port: u16| net::stack::try_bind(proto, ip, port).is_ok();
    let mut pick = |proto: &str, ip: &str| net::stack::try_bind(proto, ip, 0);
    let ports = net::spec::assign_ports(&reqs, &mut is_free, &mut pick)?;
    if let Some(net::stack::StackPlan::Pasta(_)) = &stack {
        // pasta would only say it failed to bind.
        net::stack::check_ports_free(&ports)?;
    }
    Ok(NetPlan {
        stack,
        ports_assigned: ports,
        networks,
    })
}

/// The container's /etc/hosts (None with `--no-hosts`) and /etc/resolv.conf.
fn etc_texts(
    a: &RunArgs,
    plan: &NetPlan,
    hostname: &str,
    name: &str,
) -> Result<(Option<String>, String)> {
    let addrs = plan.stack.as_ref().map(net::stack::StackPlan::addresses);
    let gateway = addrs.as_ref().and_then(|a| a.gateway.clone());
    let add_hosts = a
        .add_host
        .iter()
        .map(|h| {
            net::spec::parse_add_host(h, gateway.as_deref().unwrap_or("")).and_then(|(n, ip)| {
                if ip.is_empty() {
                    Err(Error::Usage(format!(
                        "--add-host {h}: host-gateway needs a network stack that reaches the host \
                         (slirp4netns with allow_host_loopback, or pasta)"
                    )))
                } else {
                    Ok((n, ip))
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let hosts = (!a.no_hosts).then(|| {
        net::spec::hosts_file(&net::spec::HostsInput {
            hostname,
            name,
            own_ip: addrs.as_ref().and_then(|a| a.own.as_deref()),
            add_hosts: &add_hosts,
            host_gateway: gateway.as_deref(),
            peers: &[],
        })
    });
    let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let resolv = net::spec::resolv_conf(&net::spec::DnsInput {
        host_resolv: &host_resolv,
        dns: &a.dns,
        search: &a.dns_search,
        options: &a.dns_option,
        stack_dns: addrs.as_ref().and_then(|a| a.dns.as_deref()),
    })?;
    Ok((hosts, resolv))
}

/// `--network container:NAME`: the running container whose network namespace is shared.
struct SharedNetns {
    /// A process in the user namespace that owns it (the container's monitor).
    userns_pid: i32,
    /// `/proc/PID/ns/net` of its first process.
    netns: String,
    hosts: String,
    resolv: String,
}

fn shared_netns(paths: &crate::config::Paths, target: &str) -> Result<SharedNetns> {
    let rec = find_container(paths, target)?;
    let (Some(pid), Some(monitor)) = (rec.pid, rec.monitor_pid) else {
        return Err(Error::Msg(format!(
            "--network container:{target}: container {} is not running",
            rec.name
        )));
    };
    if !rec.is_running() || !container::alive(Some(pid), rec.pid_start) {
        return Err(Error::Msg(format!(
            "--network container:{target}: container {} is not running",
            rec.name
        )));
    }
    if rec.network_mode == "host" {
        return Err(Error::Usage(format!(
            "--network container:{target}: container {} uses the host's network; use --network host",
            rec.name
        )));
    }
    let dir = container::dir(paths, &rec.id);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    Ok(SharedNetns {
        userns_pid: monitor,
        netns: format!("/proc/{pid}/ns/net"),
        hosts: read("hosts"),
        resolv: read("resolv.conf"),
    })
}

/// Before a `--network container:NAME` container starts again: point its saved spec at the
/// network namespace that container has now, and return a process in the user namespace to join
/// (None for other containers).
pub(crate) fn refresh_shared_netns(
    paths: &crate::config::Paths,
    rec: &Record,
) -> Result<Option<i32>> {
    let Some(target) = rec.network_mode.strip_prefix("container:") else {
        return Ok(None);
    };
    let shared = shared_netns(paths, target)?;
    let dir = container::dir(paths, &rec.id);
    let mut spec = read_spec(&dir, &rec.name)?;
    join_netns_in_spec(&mut spec, &shared.netns);
    let json =
        serde_json::to_vec_pretty(&spec).map_err(|e| Error::io("encode config.json", e.into()))?;
    crate::store_file::write_replace(&dir.join("config.json"), &json)?;
    Ok(Some(shared.userns_pid))
}

/// Enter the user namespace a container must start in: a `container:NAME` one's target's, the
/// netns holder's for one on user-defined networks (returning the lease to keep until it has
/// started), or a new one of rl's. Must be called before anything else entered one.
pub(crate) fn enter_userns_for(
    paths: &crate::config::Paths,
    rec: &Record,
) -> Result<Option<net::holder::Lease>> {
    if let Some(pid) = refresh_shared_netns(paths, rec)? {
        crate::runtime::join_userns(pid)?;
        return Ok(None);
    }
    let ident = Identity::current()?;
    if !rec.networks.is_empty() {
        for name in rec.networks.keys() {
            // Still there?
            net::store::load(paths, name)?;
        }
        let lease = net::holder::lease(paths, &ident)?;
        crate::runtime::join_userns(lease.pid())?;
        return Ok(Some(lease));
    }
    if !super::lifecycle::in_userns() {
        userns::enter(&ident, false)?;
    }
    Ok(None)
}

fn read_spec(dir: &std::path::Path, name: &str) -> Result<oci_spec::runtime::Spec> {
    let bytes = std::fs::read(dir.join("config.json"))
        .map_err(|e| Error::path("read", dir.join("config.json"), e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Msg(format!("container {name}: config.json: {e}")))
}

/// Point the spec's network namespace at an existing one (the runtime joins it).
fn join_netns_in_spec(spec: &mut oci_spec::runtime::Spec, path: &str) {
    use oci_spec::runtime::LinuxNamespaceType;
    let Some(mut linux) = spec.linux().clone() else {
        return;
    };
    let mut namespaces = linux.namespaces().clone().unwrap_or_default();
    for ns in &mut namespaces {
        if ns.typ() == LinuxNamespaceType::Network {
            ns.set_path(Some(PathBuf::from(path)));
        }
    }
    linux.set_namespaces(Some(namespaces));
    spec.set_linux(Some(linux));
}

/// Create a container from the options: pull if needed, generate the spec, write the container's
/// directory and record. Leaves the process in the container's user namespace.
fn create(a: &RunArgs) -> Result<Created> {
    if a.memory.is_some() || a.cpus.is_some() || a.pids_limit.is_some() {
        return Err(Error::Msg(
            "resource limits (--memory, --cpus, --pids-limit) need a cgroup v2 subtree delegated \
             to your user; rl cannot apply them here (see `rl info`: cgroups)"
                .into(),
        ));
    }
    let net_mode = net::spec::parse_network(&a.network, net::DEFAULT_STACK)?;
    let network = match &net_mode {
        Mode::None => NetworkMode::None,
        Mode::Host => NetworkMode::Host,
        _ => NetworkMode::Private,
    };
    if !a.add_host.is_empty() && a.no_hosts {
        return Err(Error::Usage(
            "--no-hosts and --add-host cannot be combined".into(),
        ));
    }
    crate::timing::mark("parsed arguments");
    let ctx = Ctx::load()?;
    let img = ensure_image(&ctx, a)?;
    crate::timing::mark("found the image");
    let config = manifest::parse_config(
        &ctx.store.read_blob(&img.record.id)?,
        img.record.layers.len(),
    )?;
    let mut netplan = network_plan(a, &net_mode, &config, &ctx.paths)?;
    let shared_netns = match &net_mode {
        Mode::Container(target) => Some(shared_netns(&ctx.paths, target)?),
        _ => None,
    };
    let layers: Vec<PathBuf> = img
        .record
        .layers
        .iter()
        .rev()
        .map(|l| ctx.store.layer_dir(&l.diff_id))
        .collect();
    let mut users = ImageUsers {
        passwd: container::read_image_file(&layers, "/etc/passwd"),
        group: container::read_image_file(&layers, "/etc/group"),
    };
    let mut opts = RunOptions {
        command: a.command.clone(),
        entrypoint: a.entrypoint.clone(),
        env: a.env.clone(),
        env_files: a
            .env_file
            .iter()
            .map(|f| std::fs::read_to_string(f).map_err(|e| Error::path("read env file", f, e)))
            .collect::<Result<_>>()?,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        group_add: a.group_add.clone(),
        hostname: a.hostname.clone(),
        tty: a.tty,
        interactive: a.interactive,
        read_only: a.read_only,
        read_only_tmpfs: a.read_only_tmpfs,
        tmpfs: a.tmpfs.clone(),
        mounts: Vec::new(),
        cap_add: a.cap_add.clone(),
        cap_drop: a.cap_drop.clone(),
        privileged: a.privileged,
        sysctls: a.sysctl.clone(),
        ulimits: a.ulimit.clone(),
        labels: pairs(&a.label, "label")?,
        annotations: pairs(&a.annotation, "annotation")?,
        network,
        stop_signal: a.stop_signal.clone(),
        ..RunOptions::default()
    };
    security_opts(a, &mut opts)?;
    let mut volumes = volume_mounts(a, &ctx.paths)?;
    opts.mounts = std::mem::take(&mut volumes.mounts);
    // The image's VOLUMEs that nothing else covers get anonymous volumes, as docker does.
    for dest in specgen::anonymous_volumes(&config, &opts) {
        volumes.add(&ctx.paths, &container::new_id()?, &dest, &[], true)?;
        opts.mounts.append(&mut volumes.mounts);
    }
    let ident = Identity::current()?;
    crate::timing::mark("read the image config and users");
    let probe = crate::rootfs::overlay_support(&ctx.paths.storage(), false)?;
    if !probe.works {
        return Err(Error::Msg(format!(
            "the kernel overlay does not work in a user namespace here ({}); the FUSE overlay is not built yet",
            probe.error.unwrap_or_default()
        )));
    }
    // Enter the user namespace first: the maps the spec describes are the ones that took. A
    // container sharing another's network namespace joins that one's user namespace (which
    // must own both).
    let mut lease = None;
    let mode = match &shared_netns {
        Some(shared) => {
            crate::runtime::join_userns(shared.userns_pid)?;
            userns::MapMode::Subuid
        }
        // On user-defined networks: in the netns holder's user namespace, which owns the
        // networks' namespaces (see network::bridge).
        None if !netplan.networks.is_empty() => {
            let l = net::holder::lease(&ctx.paths, &ident)?;
            crate::runtime::join_userns(l.pid())?;
            lease = Some(l);
            userns::MapMode::Subuid
        }
        None => userns::enter(&ident, false)?,
    };
    crate::timing::mark("entered the user namespace");
    let full = mode == userns::MapMode::Subuid;
    let uid_map = userns::build_map(ident.uid, if full { &ident.subuids } else { &[] });
    let gid_map = userns::build_map(ident.gid, if full { &ident.subgids } else { &[] });
    let nested = nested_maps(a, &uid_map, &gid_map, full)?;
    let keep_id = a.userns.as_deref() == Some("keep-id");
    if keep_id {
        add_keep_id_user(&mut users, &ident);
        if opts.user.is_none() {
            opts.user = Some(format!("{}:{}", ident.uid, ident.gid));
        }
    }
    // The spec describes the maps as the host sees them.
    let (spec_uid_map, spec_gid_map) = match &nested {
        Some(n) => (
            userns::compose(&n.uids, &uid_map),
            userns::compose(&n.gids, &gid_map),
        ),
        None => (uid_map.clone(), gid_map.clone()),
    };
    if a.init {
        opts.annotations
            .insert("io.podman.annotations.init".into(), "TRUE".into());
    }
    let rlimits: Vec<_> = [
        (
            oci_spec::runtime::PosixRlimitType::RlimitNofile,
            nix::sys::resource::Resource::RLIMIT_NOFILE,
        ),
        (
            oci_spec::runtime::PosixRlimitType::RlimitNproc,
            nix::sys::resource::Resource::RLIMIT_NPROC,
        ),
    ]
    .into_iter()
    .filter_map(|(k, r)| rlimit(k, r))
    .collect();
    let devices = if a.privileged {
        host_devices()
    } else {
        Vec::new()
    };

    let names_lock = container::lock_names(&ctx.paths)?;
    let existing = container::list(&ctx.paths);
    let id = container::new_id()?;
    let name = match &a.name {
        Some(n) if !container::valid_name(n) => {
            return Err(Error::Usage(format!(
                "invalid container name {n:?}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )));
        }
        Some(n) => {
            if let Some(other) = existing.iter().find(|r| &r.name == n) {
                return Err(Error::Msg(format!(
                    "the container name \"{n}\" is already in use by {}; remove that container to reuse the name",
                    &other.id[..12]
                )));
            }
            n.clone()
        }
        None => container::generate_name(&id, &|n| existing.iter().any(|r| r.name == n)),
    };
    let host_env = |k: &str| std::env::var(k).ok();
    let spec = specgen::generate(&SpecInputs {
        image: &config,
        opts: &opts,
        users: &users,
        host_env: &host_env,
        uid_map: &spec_uid_map,
        gid_map: &spec_gid_map,
        container_id: &id,
        container_name: &name,
        default_rlimits: &rlimits,
        host_devices: &devices,
    })?;
    let mut spec = spec;
    if let Some(shared) = &shared_netns {
        join_netns_in_spec(&mut spec, &shared.netns);
    }
    let seccomp = seccomp_filter(a, &spec, &ctx)?;
    crate::timing::mark("seccomp filter ready");
    let dir = ctx.paths.containers().join(&id);
    for d in ["rootfs", "upper", "work"] {
        crate::config::ensure_dir(&dir.join(d))?;
    }
    // The upper directory's root is the container's `/`: it must be traversable by every user,
    // and owned by the container's root.
    {
        use std::os::unix::fs::PermissionsExt;
        let upper = dir.join("upper");
        std::fs::set_permissions(&upper, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::path("chmod", &upper, e))?;
        if let Some(n) = &nested {
            // The nested namespace's root may not be the user: it owns the overlay's upper and
            // work directories and new volumes, and may search (only) the container directory.
            let owner = |m: &[userns::IdMapping]| crate::image::remap::map_id(m, 0);
            for d in [upper.clone(), dir.join("work")]
                .into_iter()
                .chain(volumes.created.iter().cloned())
            {
                std::os::unix::fs::chown(&d, owner(&n.uids), owner(&n.gids))
                    .map_err(|e| Error::path("chown", &d, e))?;
            }
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711))
                .map_err(|e| Error::path("chmod", &dir, e))?;
        }
    }
    let layers = match &nested {
        Some(n) => remapped_layers(&ctx, &img, n)?,
        None => {
            let layers_dir = ctx.store.layer_dir(&img.record.id);
            let layers_dir = layers_dir.parent().unwrap_or(&layers_dir);
            match container::mount_point_layer(layers_dir, img.record.id.hex(), &layers)? {
                Some(mp) => std::iter::once(mp).chain(layers).collect(),
                None => layers,
            }
        }
    };
    if !volumes.chown.is_empty() {
        // `U`: the sources belong to the container's user, as the namespace maps it.
        let user = spec.process().as_ref().map(|p| p.user());
        let (uid, gid) = user.map_or((0, 0), |u| (u.uid(), u.gid()));
        let (uid, gid) = match &nested {
            Some(n) => (
                crate::image::remap::map_id(&n.uids, uid).unwrap_or(uid),
                crate::image::remap::map_id(&n.gids, gid).unwrap_or(gid),
            ),
            None => (uid, gid),
        };
        for src in &volumes.chown {
            container::chown_tree(src, uid, gid)?;
        }
    }
    let spec_json =
        serde_json::to_vec_pretty(&spec).map_err(|e| Error::io("encode config.json", e.into()))?;
    crate::store_file::write_replace(&dir.join("config.json"), &spec_json)?;
    let hostname = spec.hostname().clone().unwrap_or_default();
    let (hosts, resolv) = match &shared_netns {
        // The network's files are the other container's.
        Some(shared) => (
            (!a.no_hosts).then(|| shared.hosts.clone()),
            shared.resolv.clone(),
        ),
        None => etc_texts(a, &netplan, &hostname, &name)?,
    };
    let mut binds = container::write_etc_files(
        &dir,
        &hostname,
        &id,
        &name,
        &a.image,
        hosts.as_deref(),
        &resolv,
    )?;
    if keep_id {
        for (file, text) in [("passwd", &users.passwd), ("group", &users.group)] {
            let path = dir.join(file);
            crate::store_file::write_replace(&path, text.as_deref().unwrap_or("").as_bytes())?;
            binds.push((path, format!("/etc/{file}")));
        }
    }
    let (log_driver, log_max_size) = log_options(a)?;
    let (restart_policy, restart_max) = restart_policy(a)?;
    let health = container::health::config(
        config.config.as_ref().and_then(|c| c.healthcheck.as_ref()),
        &container::health::HealthFlags {
            cmd: a.health_cmd.clone(),
            interval: a.health_interval.clone(),
            timeout: a.health_timeout.clone(),
            retries: a.health_retries,
            start_period: a.health_start_period.clone(),
            on_failure: a.health_on_failure.clone(),
            disabled: a.no_healthcheck,
        },
    )?;
    let record = Record {
        id: id.clone(),
        name,
        image_id: img.record.id.hex().to_string(),
        image_name: a.image.clone(),
        created: crate::format::time::now_secs(),
        state: "created".into(),
        command: spec
            .process()
            .as_ref()
            .and_then(|p| p.args().clone())
            .unwrap_or_default(),
        labels: opts.labels.clone(),
        network_mode: net::mode_name(&net_mode),
        networks: std::mem::take(&mut netplan.networks),
        ports: std::mem::take(&mut netplan.ports_assigned),
        rm: a.rm,
        log_driver,
        log_max_size,
        restart_policy,
        restart_max,
        health,
        config: Some(specgen::container_config(
            config.config.as_ref().unwrap_or(&Default::default()),
            &opts,
            &host_env,
        )?),
        ..Record::default()
    };
    container::save(&dir, &record)?;
    drop(names_lock);
    crate::timing::mark("created the container");

    let bundle = crate::runtime::Bundle {
        dir: dir.clone(),
        layers,
        binds,
        overlay_options: if a.rm {
            // Nothing of a --rm container outlives it: no reason to sync its upper layer.
            format!("{},volatile", probe.options)
                .trim_start_matches(',')
                .to_string()
        } else {
            probe.options
        },
        copy_up: volumes.copy_up,
        seccomp,
        init: a.init,
        nested_userns: nested,
    };
    Ok(Created {
        spec,
        bundle,
        network: net::Plan {
            stack: netplan.stack,
            ports: record.ports.clone(),
            user_networks: !record.networks.is_empty(),
        },
        lease,
        record,
        dir,
        anonymous: volumes.anonymous,
        rm: a.rm,
        tty: a.tty,
        interactive: a.interactive,
    })
}

/// A container made by [`create`], ready to start.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Created {
    /// The runtime spec (also `config.json`).
    #[serde(skip)]
    pub spec: oci_spec::runtime::Spec,
    /// Everything else the runtime needs.
    pub bundle: crate::runtime::Bundle,
    /// How to connect it each time it starts.
    #[serde(default)]
    pub network: net::Plan,
    /// On user-defined networks: the netns holder, kept until the container has started.
    #[serde(skip)]
    pub lease: Option<net::holder::Lease>,
    /// The container's record.
    #[serde(skip)]
    pub record: Record,
    /// Its directory.
    pub dir: PathBuf,
    /// Anonymous volumes (removed with `--rm`).
    pub anonymous: Vec<PathBuf>,
    /// `--rm`.
    pub rm: bool,
    /// `-t`.
    pub tty: bool,
    /// `-i`: under a monitor, the container's stdin is a pipe (or the pty) that `rl attach`
    /// clients write to.
    #[serde(default)]
    pub interactive: bool,
}

/// `rl run` in the foreground: create, then start attached.
pub fn run(a: &RunArgs) -> Result<()> {
    let (stdin, stdout, stderr) = attach_streams(a)?;
    let created = create(a)?;
    if a.detach {
        return run_detached(&created);
    }
    // A stream not attached is given /dev/null, as docker does (rl keeps its own).
    start_attached(
        created,
        a.interactive && stdin,
        a.sig_proxy,
        (!stdout, !stderr),
    )
}

/// `-a STDIN|STDOUT|STDERR` (case-insensitive; none given: all three).
fn attach_streams(a: &RunArgs) -> Result<(bool, bool, bool)> {
    if a.attach.is_empty() {
        return Ok((true, true, true));
    }
    if a.detach {
        return Err(Error::Usage(
            "--attach and --detach cannot be combined".into(),
        ));
    }
    let mut out = (false, false, false);
    for s in &a.attach {
        match s.to_ascii_lowercase().as_str() {
            "stdin" => out.0 = true,
            "stdout" => out.1 = true,
            "stderr" => out.2 = true,
            _ => {
                return Err(Error::Usage(format!(
                    "invalid --attach {s:?}: want STDIN, STDOUT or STDERR"
                )));
            }
        }
    }
    Ok(out)
}

/// `rl run -d`: save the bundle, hand the container to its monitor, print the id.
fn run_detached(c: &Created) -> Result<()> {
    let bytes = serde_json::to_vec(c).map_err(|e| Error::io("encode bundle.json", e.into()))?;
    crate::store_file::write_replace(&c.dir.join("bundle.json"), &bytes)?;
    if let Err(e) = super::lifecycle::start_monitor(&c.record.id) {
        // As a foreground run would have: a container that could not start is not kept with --rm.
        if c.rm {
            crate::image::store::remove_any(&c.dir);
            for v in &c.anonymous {
                crate::image::store::remove_any(v);
            }
        }
        return Err(e);
    }
    super::print_stdout(&format!("{}\n", c.record.id))
}

/// `rl create`: everything `run` does before starting; prints the id.
pub fn create_cmd(a: &RunArgs) -> Result<()> {
    let c = create(a)?;
    let bytes = serde_json::to_vec(&c).map_err(|e| Error::io("encode bundle.json", e.into()))?;
    crate::store_file::write_replace(&c.dir.join("bundle.json"), &bytes)?;
    super::print_stdout(&format!("{}\n", c.record.id))
}

/// Run a created container attached to rl's stdio; the process must already be in the user
/// namespace (as [`create`] leaves it).
fn start_attached(
    created: Created,
    interactive: bool,
    sig_proxy: bool,
    mute: (bool, bool),
) -> Result<()> {
    let Created {
        spec,
        bundle,
        network,
        lease: _lease,
        mut record,
        dir,
        anonymous,
        rm,
        tty,
        interactive: _,
    } = created;
    let console = if tty {
        Some(crate::runtime::console::Console::new()?)
    } else {
        None
    };
    if !interactive {
        // Without -i the container reads nothing (docker and podman give it /dev/null).
        let null = std::fs::File::open("/dev/null").map_err(|e| Error::io("open /dev/null", e))?;
        nix::unistd::dup2_stdin(&null)
            .map_err(|e| Error::Msg(format!("redirect stdin: {}", e.desc())))?;
    }
    let stdio = crate::runtime::Stdio {
        console,
        interactive,
        mute,
    };
    // This process watches the container: `rl ps` and `rl stop` find it through the record.
    let me = nix::unistd::getpid().as_raw();
    record.monitor_pid = Some(me);
    record.monitor_start = container::process_start(me);
    let paths = crate::config::Paths::from_env()?;
    let mut attached = None;
    let paths_for_attach = paths.clone();
    let user_networks = network.user_networks;
    let id = record.id.clone();
    let mut attach = |pid| {
        attached = Some(net::attach(&network, pid, &paths_for_attach, &id)?);
        Ok(())
    };
    let attach: Option<crate::runtime::Attach<'_>> = if network.needs_attach() {
        Some(&mut attach)
    } else {
        None
    };
    // With --rm, the container's mounts are released by the child that deletes its files, after
    // rl has exited (see run_with), unless a host directory is bound in.
    let mut mounts = None;
    let keep_mounts = (rm
        && crate::runtime::binds_are_rls_own(&spec, &bundle, &[&dir, &paths.volumes()]))
    .then_some(&mut mounts);
    let result = crate::runtime::run_with(
        &spec,
        &bundle,
        sig_proxy,
        stdio,
        attach,
        keep_mounts,
        |pid| {
            if user_networks && let Ok(fresh) = container::load(&paths, &record.id) {
                // The addresses its networks gave it.
                record.networks = fresh.networks;
            }
            record.state = "running".into();
            record.pid = Some(pid.as_raw());
            record.pid_start = container::process_start(pid.as_raw());
            record.started_at = Some(crate::format::time::now_nanos());
            container::save(&dir, &record)?;
            crate::events::record(&paths, &crate::container::event(&record, "start"));
            Ok(())
        },
    );
    // The stack's helper ends with the container (killed; this process exits soon, and init
    // reaps it).
    if let Some(a) = attached.as_mut() {
        a.leave_unreaped();
    }
    drop(attached);
    record.pid = None;
    record.pid_start = None;
    record.finished_at = Some(crate::format::time::now_nanos());
    if record.started_at.is_some() {
        let code = match &result {
            Ok(c) => *c,
            Err(e) => e.exit_code(),
        };
        crate::events::record(
            &paths,
            &crate::container::event(&record, "died").attr("exitCode", code.to_string()),
        );
    }
    crate::timing::mark("container exited");
    if rm {
        // Gone at once; its files are deleted after rl has exited.
        container::remove_detached(&dir, mounts.take());
        for v in &anonymous {
            crate::image::store::remove_any(v);
        }
        crate::events::record(&paths, &crate::container::event(&record, "remove"));
        crate::timing::mark("removed the container");
    } else {
        let _lock = container::lock(&paths, &record.id);
        let (started, finished) = (record.started_at, record.finished_at);
        if let Ok(fresh) = container::load(&paths, &record.id) {
            // Keep what others changed meanwhile (a rename).
            record = fresh;
        }
        record.started_at = started;
        record.finished_at = finished;
        record.pid = None;
        record.pid_start = None;
        record.state = "exited".into();
        record.exit_code = Some(match &result {
            Ok(c) => *c,
            Err(e) => e.exit_code(),
        });
        container::save(&dir, &record)?;
    }
    match result? {
        0 => Ok(()),
        code => Err(Error::ContainerExit(code)),
    }
}

/// Options of `rl start`.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Attach to the container's output and wait for it (in the foreground, without a monitor)
    #[arg(short, long)]
    pub attach: bool,
    /// Start every container that is not running (with --filter: those that match), e.g. from a
    /// systemd user unit at boot: rl start --all --filter restart-policy=always
    #[arg(long, conflicts_with = "attach")]
    pub all: bool,
    /// With --all: restart-policy=POLICY, status=STATE, name=TEXT, label=KEY[=VALUE]
    #[arg(long, value_name = "FILTER", requires = "all")]
    pub filter: Vec<String>,
    /// Pass standard input to the container
    #[arg(short, long)]
    pub interactive: bool,
    /// Pass signals received by rl to the container
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub sig_proxy: bool,
}

/// Find a container by name, full id or unambiguous id prefix.
pub fn find_container(paths: &crate::config::Paths, what: &str) -> Result<Record> {
    let all = container::list(paths);
    if let Some(r) = all.iter().find(|r| r.name == what || r.id == what) {
        return Ok(r.clone());
    }
    let hits: Vec<&Record> = all.iter().filter(|r| r.id.starts_with(what)).collect();
    match hits.as_slice() {
        [one] if what.len() >= 3 => Ok((*one).clone()),
        [] | [_] => Err(Error::Msg(format!(
            "no container with name or ID \"{what}\" found"
        ))),
        _ => Err(Error::Msg(format!(
            "\"{what}\" is ambiguous: {} containers match",
            hits.len()
        ))),
    }
}

/// `rl start -a`: run a created (or exited) container attached.
pub fn start(a: &StartArgs) -> Result<()> {
    if !a.attach {
        return Err(Error::NotImplemented(
            "start without --attach (detached containers)".into(),
        ));
    }
    if a.containers.len() != 1 {
        return Err(Error::Usage("start --attach takes one container".into()));
    }
    let paths = crate::config::Paths::from_env()?;
    let record = find_container(&paths, &a.containers[0])?;
    if record.state == "running" {
        return Err(Error::Msg(format!(
            "container {} is already running",
            record.name
        )));
    }
    let dir = paths.containers().join(&record.id);
    let read =
        |f: &str| std::fs::read(dir.join(f)).map_err(|e| Error::path("read", dir.join(f), e));
    let spec: oci_spec::runtime::Spec = serde_json::from_slice(&read("config.json")?)
        .map_err(|e| Error::Msg(format!("container {}: config.json: {e}", record.name)))?;
    let mut created: Created = serde_json::from_slice(&read("bundle.json")?)
        .map_err(|e| Error::Msg(format!("container {}: bundle.json: {e}", record.name)))?;
    created.lease = enter_userns_for(&paths, &record)?;
    // `container:NAME`: the spec now points at that container's current namespace.
    created.spec = read_spec(&dir, &record.name).unwrap_or(spec);
    created.record = record;
    start_attached(created, a.interactive, a.sig_proxy, (false, false))
}
