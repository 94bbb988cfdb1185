//! Runtime spec generation: an image config plus the options of `rl run` / `rl create` become an
//! OCI runtime [`Spec`] (`config.json`), following docker's and rootless podman's rules.
//!
//! This module is pure: no I/O, no system calls, no clock. Everything it needs (the image's
//! `/etc/passwd` and `/etc/group` text, the host environment, the id maps, the host's resource
//! limits, the host's device nodes) is passed in through [`SpecInputs`], so every rule is unit
//! tested here and the runtime only has to execute the result.
//!
//! What [`generate`] decides, in docker's / podman's words where they have one:
//!
//! * **Process**: ENTRYPOINT/CMD merge ([`process_args`]), environment ([`build_env`]), user and
//!   groups resolved through the image's passwd/group text ([`resolve_user`]), working directory,
//!   terminal, rlimits, capabilities, `noNewPrivileges`, umask 0022 (podman's default).
//! * **Namespaces**: user (with the given maps), mount, pid, ipc, uts, network, cgroup; with
//!   [`NetworkMode::Host`] neither network nor uts (and then no hostname).
//! * **Mounts**: podman's rootless defaults, the host's device nodes bound over an empty `/dev`
//!   (a rootless runtime cannot `mknod`), `--tmpfs`, binds and volumes, and podman's
//!   `--read-only-tmpfs` set. User mounts supersede a default on the same destination (and the
//!   defaults below it); two user mounts on one destination are an error. The final list is
//!   stably sorted by path depth, as docker and podman do, so a parent is always mounted before
//!   anything below it.
//! * **Security**: masked and read-only paths with `mask=`/`unmask=`, namespaced sysctls only.
//!
//! What it leaves to others, on purpose:
//!
//! * `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf` and `/run/.containerenv`: the runtime
//!   generates these files and binds them (append the binds after the generated mounts).
//! * `/dev/ptmx` (a symlink to `pts/ptmx`), `/dev/fd`, `/dev/stdin|stdout|stderr` symlinks, and
//!   `/dev/console` (only with a terminal): the runtime creates them inside the new `/dev`.
//! * The `--init` binary: the caller binds it at [`INIT_PATH`]; only `argv` is changed here.
//! * Image `VOLUME`s: the caller creates anonymous volumes for [`anonymous_volumes`] and passes
//!   them back as [`MountSpec`]s; creating the working directory when it is missing; copying image
//!   content into new volumes; chowning (`U`) bind sources; SELinux labels (`z`/`Z` are accepted
//!   and ignored).
//! * Seccomp: `linux.seccomp` is always `None`; the annotation [`ANNOTATION_SECCOMP`] says whether
//!   the runtime should apply its default profile (`default`) or none (`unconfined`, for
//!   `--privileged`).
//! * Capabilities the running kernel does not know (for example `CAP_CHECKPOINT_RESTORE` before
//!   5.9) may appear under `--privileged` or `--cap-add ALL`: the runtime must skip them.
//! * Locked mount flags: in a user namespace a bind mount cannot clear `nosuid`/`nodev`/`noexec`
//!   already set on its source; the runtime keeps them when remounting (podman reads them with
//!   statfs, which is I/O).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::PathBuf;

use oci_spec::runtime::{
    Capabilities, Capability, Linux, LinuxCapabilities, LinuxIdMapping, LinuxIdMappingBuilder,
    LinuxNamespace, LinuxNamespaceType, Mount, PosixRlimit, PosixRlimitBuilder, PosixRlimitType,
    Process, Root, Spec, User, VERSION,
};

use crate::image::manifest::{ContainerConfig, ImageConfig};
use crate::userns::IdMapping;

/// `PATH` when the image sets none (docker's and podman's default).
pub const DEFAULT_PATH_ENV: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// `root.path`: the runtime mounts the container's overlay here, relative to the bundle.
pub const ROOTFS_DIR: &str = "rootfs";
/// Where the caller binds the init binary for `--init`.
pub const INIT_PATH: &str = "/run/rl-init";
/// Value of the `container` environment variable and of [`ANNOTATION_MANAGER`].
pub const MANAGER: &str = "rl";
/// Annotation naming the engine that made the container (podman puts `libpod` here).
pub const ANNOTATION_MANAGER: &str = "io.container.manager";
/// Annotation holding the stop signal as a number (the key podman and CRI-O use).
pub const ANNOTATION_STOP_SIGNAL: &str = "org.opencontainers.image.stopSignal";
/// Annotation telling the runtime which seccomp profile to apply: `default` or `unconfined`.
pub const ANNOTATION_SECCOMP: &str = "io.rl.seccomp";
/// Podman's default capabilities (containers.conf), without the `CAP_` prefix.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
/// Paths masked by default: podman's list (containers/common), plus `/proc/interrupts`.
pub const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/fs/selinux",
    "/sys/dev/block",
    "/sys/devices/virtual/powercap",
    "/proc/interrupts",
];
/// Paths made read-only by default (podman's list).
pub const READONLY_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];
/// Device nodes every container gets, bound from the host.
pub const DEFAULT_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
];
/// Writable tmpfs mounts added by `--read-only` with `--read-only-tmpfs` (podman's set).
pub const READ_ONLY_TMPFS: &[&str] = &["/run", "/tmp", "/var/tmp"];
/// The process umask (podman's default `--umask`).
pub const DEFAULT_UMASK: u32 = 0o022;

/// Largest id libcontainer accepts for `-u` and `--group-add`.
const MAX_ID: i64 = i32::MAX as i64;
/// glibc's SIGRTMIN and the kernel's SIGRTMAX (podman's signal parser uses the same numbers).
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;
/// Host network: podman masks /sys/kernel when it has to bind the host's /sys.
const SYS_KERNEL: &str = "/sys/kernel";
const CGROUP_DIR: &str = "/sys/fs/cgroup";

/// Why a spec could not be generated. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Neither the image nor the command line gives a command (docker's wording).
    #[error("no command specified")]
    NoCommand,
    /// A user name with no passwd entry (libcontainer's wording, as docker and podman print it).
    #[error("unable to find user {0}: no matching entries in passwd file")]
    UserNotFound(String),
    /// A group name with no group entry (libcontainer's wording).
    #[error("unable to find group {0}: no matching entries in group file")]
    GroupNotFound(String),
    /// A numeric id outside 0..=2^31-1.
    #[error("invalid id {0}: uids and gids must be in range 0-2147483647")]
    IdRange(String),
    /// The process's uid or gid (or an explicit extra group) is outside the id map.
    #[error(
        "{what} {id} is not mapped in the container's user namespace (mapped: {mapped}); \
         widen the ranges in /etc/subuid and /etc/subgid"
    )]
    Unmapped {
        /// `uid` or `gid`.
        what: &'static str,
        /// The id.
        id: u32,
        /// The container-side ranges of the map, e.g. `0-65536`.
        mapped: String,
    },
    /// An empty or invalid id map.
    #[error("{0}")]
    IdMap(String),
    /// A relative working directory (docker's wording).
    #[error("the working directory '{0}' is invalid, it needs to be an absolute path")]
    WorkingDir(String),
    /// A malformed `-e` value or `--env-file` line.
    #[error("{0}")]
    Env(String),
    /// An unusable hostname, or one given with the host's UTS namespace.
    #[error("{0}")]
    Hostname(String),
    /// A malformed mount, tmpfs or mount option.
    #[error("{0}")]
    Mount(String),
    /// Two user mounts on the same destination.
    #[error("duplicate mount destination {0}")]
    DuplicateMount(String),
    /// A capability name the kernel does not define (docker's wording).
    #[error("unknown capability: {0:?}")]
    UnknownCapability(String),
    /// Contradictory `--cap-add` / `--cap-drop` (podman's wording).
    #[error("{0}")]
    Capability(String),
    /// A sysctl that is malformed or not namespaced.
    #[error("{0}")]
    Sysctl(String),
    /// A malformed `--ulimit` (go-units' wording).
    #[error("{0}")]
    Ulimit(String),
    /// A malformed `--security-opt mask=` path.
    #[error("{0}")]
    Mask(String),
    /// A stop signal that is neither a known name nor a number in 1..=64.
    #[error("invalid signal: {0}")]
    Signal(String),
    /// An annotation with an empty key.
    #[error("{0}")]
    Annotation(String),
    /// An oci-spec builder refused a value (not expected: every field is set).
    #[error("building the runtime spec: {0}")]
    Build(String),
    /// A NUL byte in an argument, variable or path (execve and mount cannot carry it).
    #[error("{0} contains a NUL byte")]
    Nul(String),
}

type Result<T, E = SpecError> = std::result::Result<T, E>;

/// How the container is networked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NetworkMode {
    /// A new network namespace with only loopback (`--network none`).
    None,
    /// The host's network namespace (`--network host`): no network or uts namespace.
    Host,
    /// A new network namespace that the runtime connects through its user-mode stack (default).
    #[default]
    Private,
}

/// What kind of mount a [`MountSpec`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A host path (`-v /host:/ctr`, `--mount type=bind`).
    Bind,
    /// A named or anonymous volume, already resolved to its directory on the host.
    Volume,
    /// A tmpfs (`--mount type=tmpfs`).
    Tmpfs,
}

/// One user mount, already split by the CLI: `-v SRC:DST:OPTS`, `--mount ...`.
///
/// `options` are podman's words, validated here: `ro`/`rw`, `exec`/`noexec`, `suid`/`nosuid`,
/// `dev`/`nodev`, a propagation (`private`, `rprivate`, `shared`, `rshared`, `slave`, `rslave`,
/// `unbindable`, `runbindable`; default `rprivate`, or `private` with `bind`), `bind`/`rbind`
/// (default `rbind`), atime words (`noatime`, `relatime`, ...); for tmpfs also `size=`, `mode=`,
/// `uid=`, `gid=`, `nr_inodes=`, `nr_blocks=`, `huge=`, `mpol=` and `U` (own it by the process
/// user); for volumes `copy`/`nocopy` (the caller's job, dropped). `z`/`Z` are ignored.
/// A tmpfs defaults to `noexec,nosuid,nodev` unless `exec`/`suid`/`dev` is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    /// Bind, volume or tmpfs.
    pub kind: MountKind,
    /// Absolute host path for binds and volumes; ignored for tmpfs.
    pub source: String,
    /// Absolute path inside the container.
    pub destination: String,
    /// Mount option words (see the type's docs).
    pub options: Vec<String>,
}

impl MountSpec {
    /// A bind mount of a host path.
    pub fn bind(source: &str, destination: &str, options: &[&str]) -> MountSpec {
        MountSpec::new(MountKind::Bind, source, destination, options)
    }

    /// A volume (its host directory already resolved).
    pub fn volume(source: &str, destination: &str, options: &[&str]) -> MountSpec {
        MountSpec::new(MountKind::Volume, source, destination, options)
    }

    /// A tmpfs.
    pub fn tmpfs(destination: &str, options: &[&str]) -> MountSpec {
        MountSpec::new(MountKind::Tmpfs, "", destination, options)
    }

    fn new(kind: MountKind, source: &str, destination: &str, options: &[&str]) -> MountSpec {
        MountSpec {
            kind,
            source: source.to_string(),
            destination: destination.to_string(),
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// One `--mount` flag, parsed: docker's `type=bind|volume|tmpfs,source=,target=,...` keys turned
/// into podman's option words. `source` is the host path or volume name as given (empty for
/// tmpfs and anonymous volumes); the caller resolves volumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountFlag {
    /// The mount type.
    pub kind: MountKind,
    /// `source=`/`src=`.
    pub source: String,
    /// `target=`/`destination=`/`dst=`.
    pub destination: String,
    /// Option words for [`MountSpec::options`].
    pub options: Vec<String>,
}

/// Parse one `--mount` value as docker and podman take it: comma-separated `KEY=VALUE` pairs
/// (boolean keys may stand alone), the type defaulting to `volume`.
pub fn parse_mount_flag(s: &str) -> Result<MountFlag> {
    let bad = |msg: String| SpecError::Mount(format!("invalid --mount {s:?}: {msg}"));
    let mut kind: Option<MountKind> = None;
    let (mut source, mut destination) = (String::new(), String::new());
    let mut options: Vec<String> = Vec::new();
    let truth = |k: &str, v: Option<&str>| -> Result<bool> {
        match v.map(str::to_ascii_lowercase).as_deref() {
            None | Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(other) => Err(bad(format!("{k}={other}: want true or false"))),
        }
    };
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = match part.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (part, None),
        };
        let value = || {
            v.filter(|v| !v.is_empty())
                .ok_or_else(|| bad(format!("{k} needs a value")))
        };
        match k {
            "type" => {
                kind = Some(match value()? {
                    "bind" => MountKind::Bind,
                    "volume" => MountKind::Volume,
                    "tmpfs" => MountKind::Tmpfs,
                    other => {
                        return Err(bad(format!(
                            "type {other} is not supported (want bind, volume or tmpfs)"
                        )));
                    }
                });
            }
            "source" | "src" => source = value()?.to_string(),
            "target" | "destination" | "dst" => destination = value()?.to_string(),
            "readonly" | "ro" => {
                if truth(k, v)? {
                    options.push("ro".into());
                }
            }
            "rw" => {
                if !truth(k, v)? {
                    options.push("ro".into());
                }
            }
            "bind-propagation" => options.push(value()?.to_string()),
            "bind-nonrecursive" => {
                if truth(k, v)? {
                    options.push("bind".into());
                }
            }
            "volume-nocopy" => {
                if truth(k, v)? {
                    options.push("nocopy".into());
                }
            }
            "tmpfs-size" => options.push(format!("size={}", value()?)),
            "tmpfs-mode" => options.push(format!("mode={}", value()?)),
            "U" | "chown" => {
                if truth(k, v)? {
                    options.push("U".into());
                }
            }
            "relabel" | "consistency" => {}
            "volume-driver" if value()? == "local" => {}
            "noexec" | "exec" | "nosuid" | "suid" | "nodev" | "dev" | "notmpcopyup" | "z" | "Z"
                if v.is_none() =>
            {
                options.push(k.to_string());
            }
            _ => return Err(bad(format!("unknown key {k:?}"))),
        }
    }
    let kind = kind.unwrap_or(MountKind::Volume);
    if destination.is_empty() {
        return Err(bad("target= is required".into()));
    }
    match kind {
        MountKind::Bind if source.is_empty() => {
            return Err(bad("source= is required for a bind mount".into()));
        }
        MountKind::Tmpfs if !source.is_empty() => {
            return Err(bad("a tmpfs mount takes no source".into()));
        }
        _ => {}
    }
    let tmpfs_key = options
        .iter()
        .any(|o| o.starts_with("size=") || o.starts_with("mode="));
    if tmpfs_key && kind != MountKind::Tmpfs {
        return Err(bad("tmpfs-size and tmpfs-mode need type=tmpfs".into()));
    }
    Ok(MountFlag {
        kind,
        source,
        destination,
        options,
    })
}

/// What `rl exec` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// The command and its arguments.
    pub command: Vec<String>,
    /// `-e KEY=VALUE` / `-e KEY`.
    pub env: Vec<String>,
    /// `--env-file` contents.
    pub env_files: Vec<String>,
    /// `-w`.
    pub workdir: Option<String>,
    /// `-u`.
    pub user: Option<String>,
    /// `-t`.
    pub tty: bool,
    /// `--privileged`: every capability.
    pub privileged: bool,
}

/// The process `rl exec` starts in a running container: the container's own process (its
/// environment, working directory, user, capabilities, rlimits, no_new_privileges) with the
/// command and what the flags change. `-u` resolves through the container's passwd and group
/// files; with another user than the container's, the capability sets follow the rules of
/// `rl run` for that user (all of the bounding set for uid 0, none otherwise).
pub fn exec_process(
    base: &Process,
    opts: &ExecOptions,
    users: &ImageUsers,
    host_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Process> {
    if opts.command.is_empty() || opts.command[0].is_empty() {
        return Err(SpecError::NoCommand);
    }
    for a in &opts.command {
        no_nul("command argument", a)?;
    }
    let mut process = base.clone();
    let mut env = EnvList::default();
    for e in base.env().iter().flatten() {
        if let Some((k, v)) = e.split_once('=') {
            env.set(k, v);
        }
    }
    for (i, content) in opts.env_files.iter().enumerate() {
        let pairs = parse_env_file(content, host_env)
            .map_err(|e| SpecError::Env(format!("env file #{}: {e}", i + 1)))?;
        for (k, v) in pairs {
            env.set(&k, &v);
        }
    }
    for e in &opts.env {
        if let Some((k, v)) = parse_env_arg(e, host_env)? {
            env.set(&k, &v);
        }
    }
    if opts.tty && !env.has("TERM") {
        env.set("TERM", "xterm");
    }
    let mut user = base.user().clone();
    if let Some(u) = opts.user.as_deref().filter(|u| !u.is_empty()) {
        let r = resolve_user(u, users)?;
        if r.home.is_some() {
            env.set("HOME", &r.home_or_default());
        }
        user.set_uid(r.uid)
            .set_gid(r.gid)
            .set_additional_gids(Some(r.supplementary.clone()));
        let mut caps = base.capabilities().clone().unwrap_or_default();
        let bounding = caps.bounding().clone().unwrap_or_default();
        let own = if r.uid == 0 {
            bounding
        } else {
            Capabilities::new()
        };
        caps.set_effective(Some(own.clone()))
            .set_permitted(Some(own))
            .set_inheritable(Some(Capabilities::new()))
            .set_ambient(Some(Capabilities::new()));
        process.set_capabilities(Some(caps));
    }
    if opts.privileged {
        let all: Capabilities = ALL_CAPS.iter().map(|(_, c)| *c).collect();
        let none = Capabilities::new();
        let mut caps = LinuxCapabilities::default();
        let own = if user.uid() == 0 {
            all.clone()
        } else {
            none.clone()
        };
        caps.set_bounding(Some(all))
            .set_effective(Some(own.clone()))
            .set_permitted(Some(own))
            .set_inheritable(Some(none.clone()))
            .set_ambient(Some(none));
        process.set_capabilities(Some(caps));
    }
    if let Some(w) = opts.workdir.as_deref().filter(|w| !w.is_empty()) {
        if !w.starts_with('/') {
            return Err(SpecError::WorkingDir(w.to_string()));
        }
        process.set_cwd(PathBuf::from(w));
    }
    let mut out = Vec::with_capacity(env.0.len());
    for (k, v) in env.0 {
        no_nul(format_args!("environment variable {k}"), &v)?;
        out.push(format!("{k}={v}"));
    }
    process
        .set_args(Some(opts.command.clone()))
        .set_env(Some(out))
        .set_user(user)
        .set_terminal(Some(opts.tty));
    Ok(process)
}

/// What the CLI parsed from `rl run` / `rl create`. Empty means "not given" throughout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Arguments after the image; empty means none were given (the image's Cmd applies).
    pub command: Vec<String>,
    /// `--entrypoint`: `Some("")` clears the image's entrypoint; a JSON array of strings is
    /// taken as the whole entrypoint (podman), anything else as one program path.
    pub entrypoint: Option<String>,
    /// `-e KEY=VALUE`, or `-e KEY` to copy KEY from the host environment (skipped if unset).
    pub env: Vec<String>,
    /// Contents of each `--env-file`, in order (docker's format).
    pub env_files: Vec<String>,
    /// `-w`.
    pub workdir: Option<String>,
    /// `-u user[:group]`, names or numbers.
    pub user: Option<String>,
    /// `--group-add`, names or numbers.
    pub group_add: Vec<String>,
    /// `--hostname`.
    pub hostname: Option<String>,
    /// `-t`.
    pub tty: bool,
    /// `-i` (the runtime's business: it keeps stdin open; nothing in the spec).
    pub interactive: bool,
    /// `--read-only`.
    pub read_only: bool,
    /// `--read-only-tmpfs` (default true, as in podman): with `--read-only`, writable tmpfs on
    /// [`READ_ONLY_TMPFS`].
    pub read_only_tmpfs: bool,
    /// `--tmpfs PATH[:OPTIONS]`.
    pub tmpfs: Vec<String>,
    /// `-v` / `--mount`, already split and with volumes resolved.
    pub mounts: Vec<MountSpec>,
    /// `--cap-add` (`NAME`, `CAP_NAME`, any case, or `ALL`).
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
    /// `--sysctl KEY=VALUE`.
    pub sysctls: Vec<String>,
    /// `--ulimit NAME=SOFT[:HARD]`.
    pub ulimits: Vec<String>,
    /// `--security-opt mask=PATH[:PATH...]` values.
    pub masks: Vec<String>,
    /// `--security-opt unmask=PATH[:PATH...]` values, globs allowed, or `ALL`.
    pub unmasks: Vec<String>,
    /// `--label`: container metadata kept by the CLI; not copied into the spec (neither docker
    /// nor podman copies labels into the OCI spec).
    pub labels: BTreeMap<String, String>,
    /// `--annotation`: copied into the spec's annotations.
    pub annotations: BTreeMap<String, String>,
    /// `--network`.
    pub network: NetworkMode,
    /// `--init`.
    pub init: bool,
    /// `--stop-signal`.
    pub stop_signal: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            command: Vec::new(),
            entrypoint: None,
            env: Vec::new(),
            env_files: Vec::new(),
            workdir: None,
            user: None,
            group_add: Vec::new(),
            hostname: None,
            tty: false,
            interactive: false,
            read_only: false,
            read_only_tmpfs: true,
            tmpfs: Vec::new(),
            mounts: Vec::new(),
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            privileged: false,
            no_new_privileges: false,
            sysctls: Vec::new(),
            ulimits: Vec::new(),
            masks: Vec::new(),
            unmasks: Vec::new(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            network: NetworkMode::Private,
            init: false,
            stop_signal: None,
        }
    }
}

/// The image's `/etc/passwd` and `/etc/group`, as read by the caller (`None`: no such file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageUsers {
    /// `/etc/passwd` text.
    pub passwd: Option<String>,
    /// `/etc/group` text.
    pub group: Option<String>,
}

/// Everything [`generate`] reads.
pub struct SpecInputs<'a> {
    /// The image's config.
    pub image: &'a ImageConfig,
    /// The parsed command line.
    pub opts: &'a RunOptions,
    /// The image's passwd and group files.
    pub users: &'a ImageUsers,
    /// Looks up a variable in the host environment (for `-e KEY` and `KEY` lines in env files).
    pub host_env: &'a dyn Fn(&str) -> Option<String>,
    /// The container's uid map (`linux.uidMappings`); must not be empty.
    pub uid_map: &'a [IdMapping],
    /// The container's gid map (`linux.gidMappings`); must not be empty.
    pub gid_map: &'a [IdMapping],
    /// The full container id (the default hostname is its first 12 characters).
    pub container_id: &'a str,
    /// The container's name (not used in the spec today; kept for annotations to come).
    pub container_name: &'a str,
    /// The limits the process starts with, before `--ulimit`: rootless podman uses the host's
    /// current `RLIMIT_NOFILE` and `RLIMIT_NPROC`, which the caller reads.
    pub default_rlimits: &'a [PosixRlimit],
    /// Device nodes under the host's `/dev` (the caller lists them); bound only with
    /// `--privileged`, podman's rootless "all devices".
    pub host_devices: &'a [String],
}

impl fmt::Debug for SpecInputs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpecInputs")
            .field("opts", &self.opts)
            .field("uid_map", &self.uid_map)
            .field("gid_map", &self.gid_map)
            .field("container_id", &self.container_id)
            .field("container_name", &self.container_name)
            .finish_non_exhaustive()
    }
}

/// Build the runtime spec for a container.
pub fn generate(inp: &SpecInputs) -> Result<Spec> {
    let opts = inp.opts;
    let no_config = ContainerConfig::default();
    let image = inp.image.config.as_ref().unwrap_or(&no_config);
    check_map("uid", inp.uid_map)?;
    check_map("gid", inp.gid_map)?;

    let user_spec = non_empty(opts.user.as_deref())
        .or(non_empty(image.user.as_deref()))
        .unwrap_or("");
    let user = resolve_user(user_spec, inp.users)?;
    check_mapped("uid", user.uid, inp.uid_map)?;
    check_mapped("gid", user.gid, inp.gid_map)?;
    let additional_gids = additional_gids(&user, &opts.group_add, inp.users, inp.gid_map)?;

    let hostname = hostname(opts, inp.container_id)?;
    let args = process_args(image, opts)?;
    let env = build_env(image, opts, inp.host_env, hostname.as_deref(), &user)?;
    let cwd = working_dir(image, opts)?;
    let capabilities = capabilities(opts, user.uid == 0)?;
    let rlimits = rlimits(inp.default_rlimits, &opts.ulimits)?;
    let sysctl = sysctls(&opts.sysctls, opts.network)?;
    let unmask = Unmask::new(&opts.unmasks);
    let (masked, readonly) = protected_paths(opts, &unmask)?;
    let mounts = mounts(inp, &user, &unmask)?;
    let annotations = annotations(image, opts)?;

    let mut puser = User::default();
    puser
        .set_uid(user.uid)
        .set_gid(user.gid)
        .set_umask(Some(DEFAULT_UMASK))
        .set_additional_gids(Some(additional_gids))
        .set_username(None);

    let mut process = Process::default();
    process
        .set_terminal(Some(opts.tty))
        .set_console_size(None)
        .set_user(puser)
        .set_args(Some(args))
        .set_command_line(None)
        .set_env(Some(env))
        .set_cwd(PathBuf::from(cwd))
        .set_capabilities(Some(capabilities))
        .set_rlimits(Some(rlimits))
        .set_no_new_privileges(Some(opts.no_new_privileges))
        .set_apparmor_profile(None)
        .set_oom_score_adj(None)
        .set_selinux_label(None)
        .set_io_priority(None)
        .set_scheduler(None)
        .set_exec_cpu_affinity(None);

    let mut root = Root::default();
    root.set_path(PathBuf::from(ROOTFS_DIR))
        .set_readonly(Some(opts.read_only));

    let mut linux = Linux::default();
    linux
        .set_net_devices(None)
        .set_uid_mappings(Some(oci_map(inp.uid_map)?))
        .set_gid_mappings(Some(oci_map(inp.gid_map)?))
        .set_sysctl((!sysctl.is_empty()).then_some(sysctl))
        .set_resources(None)
        .set_cgroups_path(None)
        .set_namespaces(Some(namespaces(opts.network)))
        .set_devices(None)
        .set_seccomp(None)
        .set_rootfs_propagation(None)
        .set_masked_paths(Some(masked))
        .set_readonly_paths(Some(readonly))
        .set_mount_label(None)
        .set_intel_rdt(None)
        .set_memory_policy(None)
        .set_personality(None)
        .set_time_offsets(None);

    let mut spec = Spec::default();
    spec.set_version(VERSION.to_string())
        .set_root(Some(root))
        .set_mounts(Some(mounts))
        .set_process(Some(process))
        .set_hostname(hostname)
        .set_domainname(None)
        .set_hooks(None)
        .set_annotations(Some(annotations))
        .set_linux(Some(linux))
        .set_solaris(None)
        .set_windows(None)
        .set_vm(None)
        .set_zos(None);
    Ok(spec)
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

fn no_nul(what: impl fmt::Display, s: &str) -> Result<()> {
    if s.contains('\0') {
        return Err(SpecError::Nul(what.to_string()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Process arguments

/// docker's ENTRYPOINT/CMD rules: the entrypoint (`--entrypoint`, else the image's) followed by
/// the command given on the command line, else the image's Cmd, which is dropped when
/// `--entrypoint` is given. `--entrypoint ""` clears the entrypoint; an empty result is "no
/// command specified". With `--init` the result runs under [`INIT_PATH`] `--`.
pub fn process_args(image: &ContainerConfig, opts: &RunOptions) -> Result<Vec<String>> {
    let (entrypoint, command) = entrypoint_and_cmd(image, opts);
    let mut args = entrypoint;
    args.extend(command);
    if args.is_empty() {
        return Err(SpecError::NoCommand);
    }
    if opts.init {
        args.splice(0..0, [INIT_PATH.to_string(), "--".to_string()]);
    }
    for a in &args {
        no_nul(format_args!("argument {a:?}"), a)?;
    }
    Ok(args)
}

/// The container's Entrypoint and Cmd under docker's rules (see [`process_args`]).
pub fn entrypoint_and_cmd(
    image: &ContainerConfig,
    opts: &RunOptions,
) -> (Vec<String>, Vec<String>) {
    let mut entrypoint = match &opts.entrypoint {
        Some(e) => parse_entrypoint(e),
        None => image.entrypoint.clone().unwrap_or_default(),
    };
    // podman: an entrypoint of [""] means none.
    if entrypoint.len() == 1 && entrypoint[0].is_empty() {
        entrypoint.clear();
    }
    let command = if !opts.command.is_empty() {
        opts.command.clone()
    } else if opts.entrypoint.is_none() {
        image.cmd.clone().unwrap_or_default()
    } else {
        Vec::new()
    };
    (entrypoint, command)
}

/// `--entrypoint`: a JSON array of strings is the whole entrypoint, anything else one path.
fn parse_entrypoint(e: &str) -> Vec<String> {
    if e.is_empty() {
        return Vec::new();
    }
    if e.trim_start().starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<String>>(e)
    {
        return list;
    }
    vec![e.to_string()]
}

// ---------------------------------------------------------------------------------------------
// Environment

/// An ordered environment: a later value replaces an earlier one in place.
#[derive(Debug, Default)]
struct EnvList(Vec<(String, String)>);

impl EnvList {
    fn set(&mut self, key: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.0.push((key.to_string(), value.to_string())),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }
}

/// The process environment, lowest precedence first: `PATH` (default) and `container=rl`, the
/// image's Env, the env files in order, then `-e`. Afterwards, unless already set: `TERM=xterm`
/// with a terminal, `HOSTNAME`, and `HOME` from the user's passwd entry (`/root` for uid 0
/// without one, `/` otherwise).
pub fn build_env(
    image: &ContainerConfig,
    opts: &RunOptions,
    host_env: &dyn Fn(&str) -> Option<String>,
    hostname: Option<&str>,
    user: &ResolvedUser,
) -> Result<Vec<String>> {
    let mut env = EnvList::default();
    env.set("PATH", DEFAULT_PATH_ENV);
    env.set("container", MANAGER);
    user_env(&mut env, image, opts, host_env)?;
    if opts.tty && !env.has("TERM") {
        env.set("TERM", "xterm");
    }
    if let Some(h) = hostname
        && !env.has("HOSTNAME")
    {
        env.set("HOSTNAME", h);
    }
    if !env.has("HOME") {
        env.set("HOME", &user.home_or_default());
    }
    let mut out = Vec::with_capacity(env.0.len());
    for (k, v) in env.0 {
        no_nul(format_args!("environment variable {k}"), &k)?;
        no_nul(format_args!("environment variable {k}"), &v)?;
        out.push(format!("{k}={v}"));
    }
    Ok(out)
}

/// The environment the image and the user give (the image's Env, the env files in order, then
/// `-e`), set into `env`.
fn user_env(
    env: &mut EnvList,
    image: &ContainerConfig,
    opts: &RunOptions,
    host_env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    // Image entries without '=' carry no value; they are skipped rather than looked up on the
    // host (an image must not pull variables out of the user's environment).
    for e in image.env.iter().flatten() {
        if let Some((k, v)) = e.split_once('=')
            && !k.is_empty()
        {
            env.set(k, v);
        }
    }
    for (i, content) in opts.env_files.iter().enumerate() {
        let pairs = parse_env_file(content, host_env)
            .map_err(|e| SpecError::Env(format!("env file #{}: {e}", i + 1)))?;
        for (k, v) in pairs {
            env.set(&k, &v);
        }
    }
    for e in &opts.env {
        if let Some((k, v)) = parse_env_arg(e, host_env)? {
            env.set(&k, &v);
        }
    }
    Ok(())
}

/// The run-time config a commit of the container starts from, as docker and podman record it:
/// the image's, with what `rl run` changed (`-u`, `-e`/`--env-file`, `-w`, `--entrypoint`, the
/// command, `--label`, `--stop-signal`); without what rl adds by itself (`container=`, `HOSTNAME`,
/// `HOME`, `TERM`) or `--init`.
pub fn container_config(
    image: &ContainerConfig,
    opts: &RunOptions,
    host_env: &dyn Fn(&str) -> Option<String>,
) -> Result<ContainerConfig> {
    let mut env = EnvList::default();
    env.set("PATH", DEFAULT_PATH_ENV);
    user_env(&mut env, image, opts, host_env)?;
    let (entrypoint, cmd) = entrypoint_and_cmd(image, opts);
    let mut labels = image.labels.clone().unwrap_or_default();
    labels.extend(opts.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(ContainerConfig {
        user: opts.user.clone().or_else(|| image.user.clone()),
        env: Some(env.0.into_iter().map(|(k, v)| format!("{k}={v}")).collect()),
        entrypoint: (!entrypoint.is_empty()).then_some(entrypoint),
        cmd: (!cmd.is_empty()).then_some(cmd),
        working_dir: opts.workdir.clone().or_else(|| image.working_dir.clone()),
        labels: (!labels.is_empty()).then_some(labels),
        stop_signal: opts
            .stop_signal
            .clone()
            .or_else(|| image.stop_signal.clone()),
        ..image.clone()
    })
}

/// One `-e` value: `KEY=VALUE` (VALUE may be empty), or `KEY` to copy from the host (None when
/// the host does not have it, as docker does).
fn parse_env_arg(
    e: &str,
    host_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(String, String)>> {
    match e.split_once('=') {
        Some(("", _)) => Err(SpecError::Env(format!("invalid environment variable: {e}"))),
        Some((k, v)) => Ok(Some((k.to_string(), v.to_string()))),
        None if e.is_empty() => Err(SpecError::Env(format!("invalid environment variable: {e}"))),
        None => Ok(host_env(e).map(|v| (e.to_string(), v))),
    }
}

/// Parse an env file in docker's format: a UTF-8 BOM is dropped, leading whitespace is trimmed,
/// empty lines and lines starting with `#` are skipped, `KEY=VALUE` is taken literally (no quote
/// handling, trailing whitespace kept), and a bare `KEY` is copied from the host when set there.
/// The error is `line N: ...`.
pub fn parse_env_file(
    content: &str,
    host_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, String> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut out = Vec::new();
    for (i, raw) in content.lines().enumerate() {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = i + 1;
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line.trim_end(), None),
        };
        if key.is_empty() {
            return Err(format!("line {n}: no variable name on line '{line}'"));
        }
        if key.chars().any(char::is_whitespace) {
            return Err(format!("line {n}: variable '{key}' contains whitespaces"));
        }
        match value {
            Some(v) => out.push((key.to_string(), v.to_string())),
            None => {
                if let Some(v) = host_env(key) {
                    out.push((key.to_string(), v));
                }
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Users and groups

/// The process user, resolved through the image's passwd and group files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    /// The uid.
    pub uid: u32,
    /// The primary gid: the explicit group, else the passwd entry's, else 0.
    pub gid: u32,
    /// The passwd entry's name, when one matched.
    pub name: Option<String>,
    /// The passwd entry's home directory, when one matched.
    pub home: Option<String>,
    /// Groups listing the user as a member (only when no group was given explicitly and a passwd
    /// entry matched, as libcontainer does), in file order.
    pub supplementary: Vec<u32>,
}

impl ResolvedUser {
    /// `HOME`: the entry's home, else `/root` for uid 0, else `/`.
    pub fn home_or_default(&self) -> String {
        match self.home.as_deref() {
            Some(h) if !h.is_empty() => h.to_string(),
            _ if self.uid == 0 => "/root".to_string(),
            _ => "/".to_string(),
        }
    }
}

#[derive(Debug)]
struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

#[derive(Debug)]
struct GroupEntry<'a> {
    name: &'a str,
    gid: u32,
    members: Vec<&'a str>,
}

fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// passwd lines `name:password:uid:gid:gecos:home:shell`; unparsable lines are skipped.
fn passwd_entries(text: &str) -> Vec<PasswdEntry<'_>> {
    data_lines(text)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(PasswdEntry {
                name: f.first().copied().filter(|n| !n.is_empty())?,
                uid: f.get(2)?.trim().parse().ok()?,
                gid: f.get(3)?.trim().parse().ok()?,
                home: f.get(5).copied().unwrap_or(""),
            })
        })
        .collect()
}

/// group lines `name:password:gid:member,member`; unparsable lines are skipped.
fn group_entries(text: &str) -> Vec<GroupEntry<'_>> {
    data_lines(text)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(GroupEntry {
                name: f.first().copied().filter(|n| !n.is_empty())?,
                gid: f.get(2)?.trim().parse().ok()?,
                members: f
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .map(str::trim)
                            .filter(|m| !m.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// `Some(id)` when `s` is numeric (an error when out of range), `None` when it is a name.
fn numeric_id(s: &str) -> Result<Option<u32>> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if (0..=MAX_ID).contains(&n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| SpecError::IdRange(s.into())),
        _ => Err(SpecError::IdRange(s.to_string())),
    }
}

/// Resolve `-u` (or the image's User) as libcontainer does: `name`, `uid`, `name:group`,
/// `uid:gid`, `uid:group`, `name:gid`. An empty spec means uid 0. A name needs an entry; a number
/// does not (then the gid is 0 unless given). Supplementary groups come from the group file when
/// no group was given and a passwd entry matched.
pub fn resolve_user(spec: &str, users: &ImageUsers) -> Result<ResolvedUser> {
    let (user_arg, group_arg) = match spec.split_once(':') {
        Some((u, g)) => (u, g),
        None => (spec, ""),
    };
    let passwd = passwd_entries(users.passwd.as_deref().unwrap_or(""));
    let groups = group_entries(users.group.as_deref().unwrap_or(""));

    let mut out = ResolvedUser {
        uid: 0,
        gid: 0,
        name: None,
        home: None,
        supplementary: Vec::new(),
    };
    let uid_arg = numeric_id(user_arg)?;
    let entry = match (user_arg, uid_arg) {
        ("", _) => passwd.iter().find(|p| p.uid == 0),
        (_, Some(uid)) => passwd.iter().find(|p| p.uid == uid),
        (name, None) => Some(
            passwd
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| SpecError::UserNotFound(name.to_string()))?,
        ),
    };
    match entry {
        Some(p) => {
            out.uid = p.uid;
            out.gid = p.gid;
            out.name = Some(p.name.to_string());
            out.home = Some(p.home.to_string());
        }
        None => out.uid = uid_arg.unwrap_or(0),
    }

    if !group_arg.is_empty() {
        out.gid = match numeric_id(group_arg)? {
            Some(gid) => gid,
            None => {
                groups
                    .iter()
                    .find(|g| g.name == group_arg)
                    .ok_or_else(|| SpecError::GroupNotFound(group_arg.to_string()))?
                    .gid
            }
        };
    } else if let Some(name) = out.name.as_deref() {
        for g in &groups {
            if g.members.contains(&name) && !out.supplementary.contains(&g.gid) {
                out.supplementary.push(g.gid);
            }
        }
    }
    Ok(out)
}

/// The process's additional gids, as podman orders them: the primary gid, `--group-add` (names
/// through the group file, numbers as they are; each must be mapped), then the user's
/// supplementary groups, skipping those outside the gid map (podman warns and skips them).
fn additional_gids(
    user: &ResolvedUser,
    group_add: &[String],
    users: &ImageUsers,
    gid_map: &[IdMapping],
) -> Result<Vec<u32>> {
    let groups = group_entries(users.group.as_deref().unwrap_or(""));
    let mut out = vec![user.gid];
    for g in group_add {
        let g = g.trim();
        if g == "keep-groups" {
            return Err(SpecError::GroupNotFound(
                "keep-groups (--group-add keep-groups is not supported by rl)".into(),
            ));
        }
        let gid = match numeric_id(g)? {
            Some(gid) => gid,
            None => {
                groups
                    .iter()
                    .find(|e| e.name == g)
                    .ok_or_else(|| SpecError::GroupNotFound(g.to_string()))?
                    .gid
            }
        };
        check_mapped("gid", gid, gid_map)?;
        if !out.contains(&gid) {
            out.push(gid);
        }
    }
    for &gid in &user.supplementary {
        if in_map(gid, gid_map) && !out.contains(&gid) {
            out.push(gid);
        }
    }
    Ok(out)
}

fn in_map(id: u32, map: &[IdMapping]) -> bool {
    map.iter().any(|m| {
        let start = u64::from(m.container_id);
        (start..start + u64::from(m.size)).contains(&u64::from(id))
    })
}

fn check_map(what: &str, map: &[IdMapping]) -> Result<()> {
    if map.is_empty() {
        return Err(SpecError::IdMap(format!(
            "the {what} map is empty: a user namespace needs at least one mapping"
        )));
    }
    if let Some(m) = map.iter().find(|m| m.size == 0) {
        return Err(SpecError::IdMap(format!(
            "invalid {what} mapping {} {} 0: the size must not be 0",
            m.container_id, m.host_id
        )));
    }
    Ok(())
}

fn check_mapped(what: &'static str, id: u32, map: &[IdMapping]) -> Result<()> {
    if in_map(id, map) {
        return Ok(());
    }
    let mapped = map
        .iter()
        .map(|m| {
            let end = u64::from(m.container_id) + u64::from(m.size) - 1;
            format!("{}-{end}", m.container_id)
        })
        .collect::<Vec<_>>()
        .join(",");
    Err(SpecError::Unmapped { what, id, mapped })
}

fn oci_map(map: &[IdMapping]) -> Result<Vec<LinuxIdMapping>> {
    map.iter()
        .map(|m| {
            LinuxIdMappingBuilder::default()
                .container_id(m.container_id)
                .host_id(m.host_id)
                .size(m.size)
                .build()
                .map_err(|e| SpecError::Build(e.to_string()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Working directory, hostname, namespaces

/// `-w`, else the image's WorkingDir, else `/`; it must be absolute.
fn working_dir(image: &ContainerConfig, opts: &RunOptions) -> Result<String> {
    let w = non_empty(opts.workdir.as_deref())
        .or(non_empty(image.working_dir.as_deref()))
        .unwrap_or("/");
    if !w.starts_with('/') {
        return Err(SpecError::WorkingDir(w.to_string()));
    }
    no_nul("working directory", w)?;
    Ok(w.to_string())
}

/// `--hostname`, else the first 12 characters of the id; none in the host's UTS namespace.
fn hostname(opts: &RunOptions, container_id: &str) -> Result<Option<String>> {
    let given = non_empty(opts.hostname.as_deref());
    if opts.network == NetworkMode::Host {
        if given.is_some() {
            return Err(SpecError::Hostname(
                "cannot set hostname when running in the host UTS namespace (--network host)"
                    .into(),
            ));
        }
        return Ok(None);
    }
    let h: String = match given {
        Some(h) => h.to_string(),
        None => container_id.chars().take(12).collect(),
    };
    if h.is_empty() {
        return Err(SpecError::Hostname(
            "no hostname: the container id is empty".into(),
        ));
    }
    // HOST_NAME_MAX; sethostname(2) refuses longer names.
    if h.len() > 64 {
        return Err(SpecError::Hostname(format!(
            "invalid hostname {h:?}: longer than 64 bytes"
        )));
    }
    if h.chars()
        .any(|c| c == '\0' || c == '/' || c.is_whitespace())
    {
        return Err(SpecError::Hostname(format!("invalid hostname {h:?}")));
    }
    Ok(Some(h))
}

fn namespaces(network: NetworkMode) -> Vec<LinuxNamespace> {
    let mut kinds = vec![
        LinuxNamespaceType::User,
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Ipc,
    ];
    if network != NetworkMode::Host {
        kinds.push(LinuxNamespaceType::Uts);
        kinds.push(LinuxNamespaceType::Network);
    }
    kinds.push(LinuxNamespaceType::Cgroup);
    kinds
        .into_iter()
        .map(|t| {
            let mut ns = LinuxNamespace::default();
            ns.set_typ(t).set_path(None);
            ns
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Capabilities

/// Every capability the kernel defines, by name without `CAP_`.
const ALL_CAPS: &[(&str, Capability)] = &[
    ("AUDIT_CONTROL", Capability::AuditControl),
    ("AUDIT_READ", Capability::AuditRead),
    ("AUDIT_WRITE", Capability::AuditWrite),
    ("BLOCK_SUSPEND", Capability::BlockSuspend),
    ("BPF", Capability::Bpf),
    ("CHECKPOINT_RESTORE", Capability::CheckpointRestore),
    ("CHOWN", Capability::Chown),
    ("DAC_OVERRIDE", Capability::DacOverride),
    ("DAC_READ_SEARCH", Capability::DacReadSearch),
    ("FOWNER", Capability::Fowner),
    ("FSETID", Capability::Fsetid),
    ("IPC_LOCK", Capability::IpcLock),
    ("IPC_OWNER", Capability::IpcOwner),
    ("KILL", Capability::Kill),
    ("LEASE", Capability::Lease),
    ("LINUX_IMMUTABLE", Capability::LinuxImmutable),
    ("MAC_ADMIN", Capability::MacAdmin),
    ("MAC_OVERRIDE", Capability::MacOverride),
    ("MKNOD", Capability::Mknod),
    ("NET_ADMIN", Capability::NetAdmin),
    ("NET_BIND_SERVICE", Capability::NetBindService),
    ("NET_BROADCAST", Capability::NetBroadcast),
    ("NET_RAW", Capability::NetRaw),
    ("PERFMON", Capability::Perfmon),
    ("SETFCAP", Capability::Setfcap),
    ("SETGID", Capability::Setgid),
    ("SETPCAP", Capability::Setpcap),
    ("SETUID", Capability::Setuid),
    ("SYSLOG", Capability::Syslog),
    ("SYS_ADMIN", Capability::SysAdmin),
    ("SYS_BOOT", Capability::SysBoot),
    ("SYS_CHROOT", Capability::SysChroot),
    ("SYS_MODULE", Capability::SysModule),
    ("SYS_NICE", Capability::SysNice),
    ("SYS_PACCT", Capability::SysPacct),
    ("SYS_PTRACE", Capability::SysPtrace),
    ("SYS_RAWIO", Capability::SysRawio),
    ("SYS_RESOURCE", Capability::SysResource),
    ("SYS_TIME", Capability::SysTime),
    ("SYS_TTY_CONFIG", Capability::SysTtyConfig),
    ("WAKE_ALARM", Capability::WakeAlarm),
];

/// A parsed capability word: an index into [`ALL_CAPS`], or `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CapWord {
    All,
    One(usize),
}

fn parse_cap(word: &str) -> Result<CapWord> {
    let upper = word.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if bare == "ALL" {
        return Ok(CapWord::All);
    }
    ALL_CAPS
        .iter()
        .position(|(n, _)| *n == bare)
        .map(CapWord::One)
        .ok_or_else(|| SpecError::UnknownCapability(format!("CAP_{bare}")))
}

/// The name of a capability without `CAP_`.
pub fn capability_name(c: Capability) -> &'static str {
    ALL_CAPS
        .iter()
        .find(|(_, cap)| *cap == c)
        .map_or("UNKNOWN", |(n, _)| n)
}

/// podman's MergeCapabilities: `--cap-drop ALL` keeps only the added ones (adding ALL as well is
/// an error); `--cap-add ALL` starts from every capability and drops the dropped ones; otherwise
/// `base` minus drops plus adds, and naming one capability in both lists is an error.
fn merge_caps(base: &BTreeSet<usize>, add: &[String], drop: &[String]) -> Result<BTreeSet<usize>> {
    let add: Vec<CapWord> = add.iter().map(|w| parse_cap(w)).collect::<Result<_>>()?;
    let drop: Vec<CapWord> = drop.iter().map(|w| parse_cap(w)).collect::<Result<_>>()?;
    let ones = |words: &[CapWord]| -> BTreeSet<usize> {
        words
            .iter()
            .filter_map(|w| match w {
                CapWord::One(i) => Some(*i),
                CapWord::All => None,
            })
            .collect()
    };
    let (add_all, drop_all) = (add.contains(&CapWord::All), drop.contains(&CapWord::All));
    let (add_set, drop_set) = (ones(&add), ones(&drop));
    if drop_all {
        if add_all {
            return Err(SpecError::Capability(
                "adding all caps and removing all caps not allowed".into(),
            ));
        }
        return Ok(add_set);
    }
    if add_all {
        return Ok((0..ALL_CAPS.len())
            .filter(|i| !drop_set.contains(i))
            .collect());
    }
    if let Some(i) = add_set.intersection(&drop_set).next() {
        return Err(SpecError::Capability(format!(
            "capability \"CAP_{}\" cannot be dropped and added",
            ALL_CAPS[*i].0
        )));
    }
    Ok(base
        .iter()
        .filter(|i| !drop_set.contains(i))
        .chain(add_set.iter())
        .copied()
        .collect())
}

/// The process's capabilities, as podman sets them. The bounding set is the default set (or all
/// with `--privileged`) with `--cap-add`/`--cap-drop` applied. Root gets it as effective and
/// permitted too; any other user gets, in effective/permitted/inheritable/ambient, only what
/// `--cap-add` names (so a non-root process has no capabilities unless asked for).
fn capabilities(opts: &RunOptions, root: bool) -> Result<LinuxCapabilities> {
    let base: BTreeSet<usize> = if opts.privileged {
        (0..ALL_CAPS.len()).collect()
    } else {
        DEFAULT_CAPABILITIES
            .iter()
            .filter_map(|n| ALL_CAPS.iter().position(|(c, _)| c == n))
            .collect()
    };
    let bounding = merge_caps(&base, &opts.cap_add, &opts.cap_drop)?;
    let to_set =
        |s: &BTreeSet<usize>| -> Capabilities { s.iter().map(|i| ALL_CAPS[*i].1).collect() };
    let (user_caps, inheritable) = if root {
        (bounding.clone(), BTreeSet::new())
    } else {
        let added = merge_caps(&BTreeSet::new(), &opts.cap_add, &[])?;
        let added: BTreeSet<usize> = added.intersection(&bounding).copied().collect();
        (added.clone(), added)
    };
    let mut caps = LinuxCapabilities::default();
    caps.set_bounding(Some(to_set(&bounding)))
        .set_effective(Some(to_set(&user_caps)))
        .set_permitted(Some(to_set(&user_caps)))
        .set_inheritable(Some(to_set(&inheritable)))
        .set_ambient(Some(to_set(&inheritable)));
    Ok(caps)
}

// ---------------------------------------------------------------------------------------------
// rlimits

const ULIMITS: &[(&str, PosixRlimitType)] = &[
    ("core", PosixRlimitType::RlimitCore),
    ("cpu", PosixRlimitType::RlimitCpu),
    ("data", PosixRlimitType::RlimitData),
    ("fsize", PosixRlimitType::RlimitFsize),
    ("locks", PosixRlimitType::RlimitLocks),
    ("memlock", PosixRlimitType::RlimitMemlock),
    ("msgqueue", PosixRlimitType::RlimitMsgqueue),
    ("nice", PosixRlimitType::RlimitNice),
    ("nofile", PosixRlimitType::RlimitNofile),
    ("nproc", PosixRlimitType::RlimitNproc),
    ("rss", PosixRlimitType::RlimitRss),
    ("rtprio", PosixRlimitType::RlimitRtprio),
    ("rttime", PosixRlimitType::RlimitRttime),
    ("sigpending", PosixRlimitType::RlimitSigpending),
    ("stack", PosixRlimitType::RlimitStack),
];

/// `-1` (or `unlimited`) as the kernel's RLIM_INFINITY.
fn rlim(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// Parse `--ulimit NAME=SOFT[:HARD]` with docker's names and rules: HARD defaults to SOFT,
/// `-1` or `unlimited` is unlimited, and SOFT must not exceed HARD.
pub fn parse_ulimit(s: &str) -> Result<PosixRlimit> {
    let Some((name, values)) = s.split_once('=') else {
        return Err(SpecError::Ulimit(format!("invalid ulimit argument: {s}")));
    };
    let typ = ULIMITS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| SpecError::Ulimit(format!("invalid ulimit type: {name}")))?;
    let value = |v: &str| -> Result<i64> {
        if v.eq_ignore_ascii_case("unlimited") {
            return Ok(-1);
        }
        match v.parse::<i64>() {
            Ok(n) if n >= -1 => Ok(n),
            _ => Err(SpecError::Ulimit(format!(
                "invalid ulimit value {v:?} in {s}: want a number, -1 or unlimited"
            ))),
        }
    };
    let parts: Vec<&str> = values.split(':').collect();
    let (soft, hard) = match parts.as_slice() {
        [soft] => {
            let soft = value(soft)?;
            (soft, soft)
        }
        [soft, hard] => (value(soft)?, value(hard)?),
        _ => {
            return Err(SpecError::Ulimit(format!(
                "too many limit value arguments - {values}, can only have up to two, `soft[:hard]`"
            )));
        }
    };
    if hard != -1 {
        if soft == -1 {
            return Err(SpecError::Ulimit(format!(
                "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: {hard}"
            )));
        }
        if soft > hard {
            return Err(SpecError::Ulimit(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            )));
        }
    }
    PosixRlimitBuilder::default()
        .typ(typ)
        .soft(rlim(soft))
        .hard(rlim(hard))
        .build()
        .map_err(|e| SpecError::Build(e.to_string()))
}

/// The caller's defaults, each replaced (in place) or extended by `--ulimit`; the last `--ulimit`
/// of a name wins.
fn rlimits(defaults: &[PosixRlimit], ulimits: &[String]) -> Result<Vec<PosixRlimit>> {
    let mut out: Vec<PosixRlimit> = Vec::new();
    let mut put = |r: PosixRlimit| match out.iter_mut().find(|o| o.typ() == r.typ()) {
        Some(o) => *o = r,
        None => out.push(r),
    };
    for r in defaults {
        put(*r);
    }
    for u in ulimits {
        if u == "host" {
            return Err(SpecError::Ulimit(
                "--ulimit host is not supported: rl starts from the host's limits already".into(),
            ));
        }
        put(parse_ulimit(u)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// sysctls

/// Only sysctls that belong to a namespace the container has of its own: IPC (`kernel.msg*`,
/// `kernel.sem`, `kernel.shm*`, `fs.mqueue.*`), UTS (`kernel.hostname`, `kernel.domainname`) and
/// network (`net.*`); the last two not with the host network. A later value for a key wins.
///
/// With a network namespace of its own, the container also gets podman's default sysctl
/// (containers.conf `default_sysctls`): `net.ipv4.ping_group_range=0 0`, so that root can
/// `ping` without CAP_NET_RAW. `--sysctl` overrides it.
fn sysctls(list: &[String], network: NetworkMode) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    if network != NetworkMode::Host {
        out.insert("net.ipv4.ping_group_range".to_string(), "0 0".to_string());
    }
    for s in list {
        let Some((key, value)) = s.split_once('=') else {
            return Err(SpecError::Sysctl(format!(
                "invalid sysctl {s:?}: want KEY=VALUE"
            )));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(SpecError::Sysctl(format!(
                "invalid sysctl {s:?}: want KEY=VALUE"
            )));
        }
        no_nul(format_args!("sysctl {key}"), value)?;
        let ipc = key.starts_with("kernel.msg")
            || key.starts_with("kernel.shm")
            || key == "kernel.sem"
            || key.starts_with("fs.mqueue.");
        let uts = key == "kernel.hostname" || key == "kernel.domainname";
        let net = key.starts_with("net.");
        let host = network == NetworkMode::Host;
        if uts && host {
            return Err(SpecError::Sysctl(format!(
                "sysctl {key}={value} can't be set since UTS Namespace set to host"
            )));
        }
        if net && host {
            return Err(SpecError::Sysctl(format!(
                "sysctl {key}={value} can't be set since Network Namespace set to host"
            )));
        }
        if !(ipc || uts || net) {
            return Err(SpecError::Sysctl(format!(
                "sysctl {key:?} is not allowed: it is not namespaced, so setting it would change \
                 the host (allowed: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, \
                 kernel.hostname, kernel.domainname, net.*)"
            )));
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Masked and read-only paths

/// `--security-opt unmask=`: `ALL`, or `:`-separated paths and globs.
#[derive(Debug, Default)]
struct Unmask {
    all: bool,
    patterns: Vec<String>,
}

impl Unmask {
    fn new(values: &[String]) -> Unmask {
        let mut u = Unmask::default();
        for v in values {
            if v.trim().eq_ignore_ascii_case("all") {
                u.all = true;
            }
            u.patterns.extend(
                v.split(':')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
        u
    }

    fn unmasks(&self, path: &str) -> bool {
        self.all || self.patterns.iter().any(|p| glob_match(p, path))
    }
}

/// Go's `path.Match` for `*` and `?` (neither matches `/`); other characters are literal.
fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => {
                let mut i = 0;
                loop {
                    if go(rest, &n[i..]) {
                        return true;
                    }
                    if i == n.len() || n[i] == b'/' {
                        return false;
                    }
                    i += 1;
                }
            }
            Some((b'?', rest)) => match n.split_first() {
                Some((c, n_rest)) if *c != b'/' => go(rest, n_rest),
                _ => false,
            },
            Some((c, rest)) => n
                .split_first()
                .is_some_and(|(d, n_rest)| c == d && go(rest, n_rest)),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// podman's masked and read-only paths: the defaults unless `--privileged`, minus `unmask=`;
/// `/sys/kernel` too when the host's /sys is bound (host network); then every `mask=` path, even
/// with `--privileged`.
fn protected_paths(opts: &RunOptions, unmask: &Unmask) -> Result<(Vec<String>, Vec<String>)> {
    let mut masked: Vec<String> = Vec::new();
    let mut readonly: Vec<String> = Vec::new();
    if !opts.privileged {
        let mut defaults: Vec<&str> = MASKED_PATHS.to_vec();
        if opts.network == NetworkMode::Host {
            defaults.push(SYS_KERNEL);
        }
        masked.extend(
            defaults
                .into_iter()
                .filter(|p| !unmask.unmasks(p))
                .map(str::to_string),
        );
        readonly.extend(
            READONLY_PATHS
                .iter()
                .filter(|p| !unmask.unmasks(p))
                .map(|p| p.to_string()),
        );
    }
    for value in &opts.masks {
        for p in value.split(':').map(str::trim).filter(|p| !p.is_empty()) {
            let Some(clean) = clean_abs(p) else {
                return Err(SpecError::Mask(format!(
                    "invalid mask path {p:?}: it must be an absolute path"
                )));
            };
            no_nul("mask path", &clean)?;
            if !masked.contains(&clean) {
                masked.push(clean);
            }
        }
    }
    Ok((masked, readonly))
}

// ---------------------------------------------------------------------------------------------
// Mounts

/// The lexically cleaned form of an absolute path (`//a/./b/../c/` → `/a/c`); None if relative.
fn clean_abs(p: &str) -> Option<String> {
    if !p.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

fn depth(p: &str) -> usize {
    p.split('/').filter(|c| !c.is_empty()).count()
}

/// Whether `path` is `dir` or below it.
fn is_under(path: &str, dir: &str) -> bool {
    dir == "/"
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn mount(destination: &str, typ: &str, source: &str, options: &[&str]) -> Mount {
    mount_owned(
        destination,
        typ,
        source,
        options.iter().map(|s| s.to_string()).collect(),
    )
}

fn mount_owned(destination: &str, typ: &str, source: &str, options: Vec<String>) -> Mount {
    let mut m = Mount::default();
    m.set_destination(PathBuf::from(destination))
        .set_typ(Some(typ.to_string()))
        .set_source(Some(PathBuf::from(source)))
        .set_options(Some(options));
    m
}

fn mount_destination(m: &Mount) -> String {
    m.destination().to_string_lossy().into_owned()
}

/// podman's rootless defaults: /proc, /dev (tmpfs), /dev/pts, /dev/mqueue, /dev/shm, /sys,
/// /sys/fs/cgroup, and the device nodes bound from the host.
fn default_mounts(inp: &SpecInputs, unmask: &Unmask) -> Result<Vec<Mount>> {
    let opts = inp.opts;
    let host_net = opts.network == NetworkMode::Host;
    let sys_mode = if opts.privileged { "rw" } else { "ro" };
    // podman: the cgroup tree is writable when privileged or when /sys/fs/cgroup is unmasked.
    let cgroup_mode = if opts.privileged
        || unmask.all
        || unmask
            .patterns
            .iter()
            .any(|p| clean_abs(p).as_deref() == Some(CGROUP_DIR))
    {
        "rw"
    } else {
        "ro"
    };
    let mut devpts = vec![
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620",
    ];
    // gid 5 (tty) may be unmapped in a rootless namespace; devpts refuses an unmapped gid.
    if in_map(5, inp.gid_map) {
        devpts.push("gid=5");
    }
    let mut out = vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        mount("/dev/pts", "devpts", "devpts", &devpts),
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        ),
    ];
    if host_net {
        // A user namespace may not mount sysfs without its own network namespace: bind the
        // host's /sys and cgroup tree instead (podman does the same).
        let bind_opts = ["rprivate", "nosuid", "noexec", "nodev", sys_mode, "rbind"];
        out.push(mount("/sys", "bind", "/sys", &bind_opts));
        let cg_opts = ["rprivate", "nosuid", "noexec", "nodev", sys_mode, "rbind"];
        out.push(mount(CGROUP_DIR, "bind", CGROUP_DIR, &cg_opts));
    } else {
        out.push(mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", sys_mode],
        ));
        out.push(mount(
            CGROUP_DIR,
            "cgroup",
            "cgroup",
            &[
                "rprivate",
                "nosuid",
                "noexec",
                "nodev",
                "relatime",
                cgroup_mode,
            ],
        ));
    }
    let mut devices: Vec<String> = DEFAULT_DEVICES.iter().map(|d| d.to_string()).collect();
    if opts.privileged {
        for d in inp.host_devices {
            let Some(clean) = clean_abs(d).filter(|c| c.starts_with("/dev/")) else {
                return Err(SpecError::Mount(format!(
                    "host device {d:?} is not a path under /dev"
                )));
            };
            // The runtime makes its own pts, shm, mqueue, console and ptmx.
            let skip = ["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd"]
                .iter()
                .any(|dir| is_under(&clean, dir))
                || clean == "/dev/console"
                || clean == "/dev/ptmx";
            if !skip && !devices.contains(&clean) {
                devices.push(clean);
            }
        }
    }
    for d in &devices {
        no_nul("device path", d)?;
        out.push(mount(d, "bind", d, &["rbind", "nosuid", "noexec"]));
    }
    Ok(out)
}

/// Validate podman's mount option words for one mount and add its defaults.
fn mount_options(
    kind: MountKind,
    dest: &str,
    words: &[String],
    user: &ResolvedUser,
) -> Result<Vec<String>> {
    let tmpfs = kind == MountKind::Tmpfs;
    let bad = |msg: String| SpecError::Mount(format!("{dest}: {msg}"));
    let mut out: Vec<String> = Vec::new();
    let mut seen: BTreeSet<&'static str> = BTreeSet::new();
    let mut once = |class: &'static str, what: &str| -> Result<()> {
        if seen.insert(class) {
            Ok(())
        } else {
            Err(bad(format!("only one of {what} can be used")))
        }
    };
    let mut recursive = true;
    for w in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        let (key, value) = match w.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (w, None),
        };
        let tmpfs_only = |what: &str| -> Result<()> {
            if tmpfs {
                Ok(())
            } else {
                Err(bad(format!(
                    "the '{what}' option is only allowed with tmpfs mounts"
                )))
            }
        };
        match (key, value) {
            ("ro" | "rw", None) => once("write", "'rw' and 'ro'")?,
            ("exec" | "noexec", None) => once("exec", "'noexec' and 'exec'")?,
            ("suid" | "nosuid", None) => once("suid", "'nosuid' and 'suid'")?,
            ("dev" | "nodev", None) => once("dev", "'nodev' and 'dev'")?,
            (
                "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" | "unbindable"
                | "runbindable",
                None,
            ) => once("propagation", "the propagation modes")?,
            ("bind" | "rbind", None) => {
                if tmpfs {
                    return Err(bad(
                        "the 'bind' and 'rbind' options are not allowed with tmpfs mounts".into(),
                    ));
                }
                once("bind", "'rbind' and 'bind'")?;
                recursive = key == "rbind";
            }
            (
                "noatime" | "atime" | "relatime" | "norelatime" | "strictatime" | "nostrictatime"
                | "nodiratime" | "diratime",
                None,
            ) => once("atime", "the atime options")?,
            ("size", Some(v)) => {
                tmpfs_only("size")?;
                once("size", "the 'size' options")?;
                if !valid_size(v) {
                    return Err(bad(format!("invalid tmpfs size {v:?}")));
                }
            }
            ("mode", Some(v)) => {
                tmpfs_only("mode")?;
                once("mode", "the 'mode' options")?;
                let octal =
                    !v.is_empty() && v.len() <= 4 && v.bytes().all(|b| (b'0'..=b'7').contains(&b));
                if !octal {
                    return Err(bad(format!(
                        "invalid tmpfs mode {v:?}: want octal, e.g. 1777"
                    )));
                }
            }
            ("uid" | "gid" | "nr_inodes" | "nr_blocks" | "huge" | "mpol", Some(v)) => {
                tmpfs_only(key)?;
                if v.is_empty() {
                    return Err(bad(format!("the '{key}' option needs a value")));
                }
            }
            ("U", None) => {
                if !tmpfs {
                    return Err(bad(
                        "the 'U' option (chown the source) must be applied by the caller before \
                         the spec is generated"
                            .into(),
                    ));
                }
                once("U", "the 'U' options")?;
                out.push(format!("uid={}", user.uid));
                out.push(format!("gid={}", user.gid));
                continue;
            }
            // rl never copies image content up into a tmpfs, so `notmpcopyup` is the default.
            ("notmpcopyup", None) => {
                tmpfs_only(key)?;
                continue;
            }
            ("tmpcopyup", None) => {
                return Err(bad("the 'tmpcopyup' option is not supported by rl".into()));
            }
            // No SELinux labelling in rl; copy-up into new volumes is the caller's job.
            ("z" | "Z", None) if !tmpfs => continue,
            ("copy" | "nocopy", None) if kind == MountKind::Volume => continue,
            // Docker ignores this macOS option, and so does podman.
            ("consistency", _) => continue,
            _ => return Err(bad(format!("unknown mount option {w:?}"))),
        }
        out.push(w.to_string());
    }
    if !seen.contains("propagation") {
        out.push(if recursive { "rprivate" } else { "private" }.to_string());
    }
    if tmpfs {
        for (class, word) in [("exec", "noexec"), ("suid", "nosuid"), ("dev", "nodev")] {
            if !seen.contains(class) {
                out.push(word.to_string());
            }
        }
    } else if !seen.contains("bind") {
        out.push("rbind".to_string());
    }
    for o in &out {
        no_nul(format_args!("mount option for {dest}"), o)?;
    }
    Ok(out)
}

/// tmpfs `size=`: a number with an optional k/m/g/t/p/e or % suffix, as the kernel takes it.
fn valid_size(v: &str) -> bool {
    let digits = v.trim_end_matches(|c: char| "kKmMgGtTpPeE%".contains(c));
    !digits.is_empty() && v.len() - digits.len() <= 1 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A validated user mount destination: absolute, cleaned, not `/`.
fn user_destination(d: &str) -> Result<String> {
    no_nul("mount destination", d)?;
    let Some(clean) = clean_abs(d) else {
        return Err(SpecError::Mount(format!(
            "invalid container path {d:?}, must be an absolute path"
        )));
    };
    if clean == "/" {
        return Err(SpecError::Mount(
            "invalid mount destination \"/\": cannot mount over the container's root".into(),
        ));
    }
    Ok(clean)
}

/// User mounts in command-line order: `--tmpfs`, then `-v`/`--mount`.
fn user_mounts(opts: &RunOptions, user: &ResolvedUser) -> Result<Vec<Mount>> {
    let mut out = Vec::new();
    for t in &opts.tmpfs {
        let (path, options) = t.split_once(':').unwrap_or((t.as_str(), ""));
        let dest = user_destination(path)?;
        let words: Vec<String> = options
            .split(',')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let options = mount_options(MountKind::Tmpfs, &dest, &words, user)?;
        out.push(mount_owned(&dest, "tmpfs", "tmpfs", options));
    }
    for m in &opts.mounts {
        let dest = user_destination(&m.destination)?;
        let options = mount_options(m.kind, &dest, &m.options, user)?;
        match m.kind {
            MountKind::Tmpfs => out.push(mount_owned(&dest, "tmpfs", "tmpfs", options)),
            MountKind::Bind | MountKind::Volume => {
                no_nul("mount source", &m.source)?;
                if !m.source.starts_with('/') {
                    let what = if m.kind == MountKind::Bind {
                        "bind"
                    } else {
                        "volume"
                    };
                    return Err(SpecError::Mount(format!(
                        "{dest}: {what} source {:?} must be an absolute path",
                        m.source
                    )));
                }
                out.push(mount_owned(&dest, "bind", &m.source, options));
            }
        }
    }
    Ok(out)
}

/// The final mount list: defaults (minus any a user mount supersedes), user mounts, the
/// read-only tmpfs set, stably sorted by depth so parents come first.
fn mounts(inp: &SpecInputs, user: &ResolvedUser, unmask: &Unmask) -> Result<Vec<Mount>> {
    let opts = inp.opts;
    let user_mounts = user_mounts(opts, user)?;
    let mut dests: BTreeSet<String> = BTreeSet::new();
    for m in &user_mounts {
        let d = mount_destination(m);
        if !dests.insert(d.clone()) {
            return Err(SpecError::DuplicateMount(d));
        }
    }
    // A user mount replaces the default on the same destination and everything below it (a user
    // /dev drops /dev/pts, /dev/shm, ... as podman does).
    let mut all: Vec<Mount> = default_mounts(inp, unmask)?
        .into_iter()
        .filter(|m| {
            let d = mount_destination(m);
            !dests.iter().any(|u| is_under(&d, u))
        })
        .collect();
    all.extend(user_mounts);
    if opts.read_only && opts.read_only_tmpfs {
        for dest in READ_ONLY_TMPFS {
            if dests.contains(*dest) {
                continue;
            }
            let mut options = vec!["rw", "rprivate", "nosuid", "nodev"];
            if *dest != "/run" {
                options.push("noexec");
            }
            all.push(mount(dest, "tmpfs", "tmpfs", &options));
        }
    }
    all.sort_by_key(|m| depth(&mount_destination(m)));
    Ok(all)
}

/// The image's VOLUME destinations that no user mount or `--tmpfs` covers: the caller creates an
/// anonymous volume for each and passes it back as a [`MountSpec`] (podman's behaviour).
pub fn anonymous_volumes(image: &ImageConfig, opts: &RunOptions) -> Vec<String> {
    let taken: BTreeSet<String> = opts
        .mounts
        .iter()
        .map(|m| m.destination.as_str())
        .chain(opts.tmpfs.iter().map(|t| t.split(':').next().unwrap_or("")))
        .filter_map(clean_abs)
        .collect();
    let mut out: Vec<String> = Vec::new();
    let volumes = image.config.as_ref().and_then(|c| c.volumes.as_ref());
    for v in volumes.into_iter().flat_map(|v| v.keys()) {
        if let Some(d) = clean_abs(v)
            && d != "/"
            && !taken.contains(&d)
            && !out.contains(&d)
        {
            out.push(d);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Signals and annotations

const SIGNALS: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("IOT", libc::SIGIOT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("POLL", libc::SIGPOLL),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// A signal by name (`TERM`, `SIGTERM`, any case, `RTMIN+3`, `SIGRTMAX-1`) or number (1..=64).
pub fn parse_signal(s: &str) -> Result<i32> {
    let t = s.trim();
    let err = || SpecError::Signal(s.to_string());
    if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
        return t
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=SIGRTMAX).contains(n))
            .ok_or_else(err);
    }
    let upper = t.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let offset = |rest: &str, sign: char| -> Option<i32> {
        if rest.is_empty() {
            return Some(0);
        }
        rest.strip_prefix(sign)?.parse::<i32>().ok()
    };
    let realtime = |n: i32| (SIGRTMIN..=SIGRTMAX).contains(&n).then_some(n);
    let n = if let Some(rest) = name.strip_prefix("RTMIN") {
        offset(rest, '+').and_then(|o| realtime(SIGRTMIN.checked_add(o)?))
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        offset(rest, '-').and_then(|o| realtime(SIGRTMAX.checked_sub(o)?))
    } else {
        SIGNALS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    };
    n.ok_or_else(err)
}

/// The spec's annotations: the user's `--annotation`s, `io.container.manager: rl` unless the user
/// set it, the stop signal (`--stop-signal`, else the image's, else SIGTERM) as a number, and the
/// seccomp profile to apply.
fn annotations(image: &ContainerConfig, opts: &RunOptions) -> Result<HashMap<String, String>> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (k, v) in &opts.annotations {
        if k.is_empty() {
            return Err(SpecError::Annotation(
                "invalid annotation: the key is empty".into(),
            ));
        }
        out.insert(k.clone(), v.clone());
    }
    out.entry(ANNOTATION_MANAGER.to_string())
        .or_insert_with(|| MANAGER.to_string());
    let signal =
        match non_empty(opts.stop_signal.as_deref()).or(non_empty(image.stop_signal.as_deref())) {
            Some(s) => parse_signal(s)?,
            None => libc::SIGTERM,
        };
    out.insert(ANNOTATION_STOP_SIGNAL.to_string(), signal.to_string());
    let seccomp = if opts.privileged {
        "unconfined"
    } else {
        "default"
    };
    out.insert(ANNOTATION_SECCOMP.to_string(), seccomp.to_string());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# a comment
broken line without fields
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:1001::/home/bob:/bin/sh
nohome:x:1002:1002:::/bin/sh
";
    const GROUP: &str = "\
root:x:0:root
daemon:x:1:
tty:x:5:
wheel:x:10:root,alice
alice:x:1000:
bob:x:1001:
video:x:44:alice
staff:x:50:alice,bob
far:x:100000:alice
";
    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn full_map() -> Vec<IdMapping> {
        vec![
            IdMapping {
                container_id: 0,
                host_id: 1000,
                size: 1,
            },
            IdMapping {
                container_id: 1,
                host_id: 100000,
                size: 65536,
            },
        ]
    }

    fn single_map() -> Vec<IdMapping> {
        vec![IdMapping {
            container_id: 0,
            host_id: 1000,
            size: 1,
        }]
    }

    /// Everything generate() reads, owned, with defaults a test can change.
    struct Fx {
        image: ImageConfig,
        opts: RunOptions,
        users: ImageUsers,
        host: BTreeMap<String, String>,
        uid_map: Vec<IdMapping>,
        gid_map: Vec<IdMapping>,
        rlimits: Vec<PosixRlimit>,
        devices: Vec<String>,
    }

    impl Fx {
        fn new() -> Fx {
            let mut host = BTreeMap::new();
            host.insert("FROM_HOST".to_string(), "host value".to_string());
            Fx {
                image: image(None, Some(&["/bin/sh"])),
                opts: RunOptions::default(),
                users: ImageUsers {
                    passwd: Some(PASSWD.into()),
                    group: Some(GROUP.into()),
                },
                host,
                uid_map: full_map(),
                gid_map: full_map(),
                rlimits: Vec::new(),
                devices: Vec::new(),
            }
        }

        fn opts(opts: RunOptions) -> Fx {
            Fx { opts, ..Fx::new() }
        }

        fn cfg(&mut self) -> &mut ContainerConfig {
            self.image
                .config
                .get_or_insert_with(ContainerConfig::default)
        }

        fn build(&self) -> Result<Spec> {
            let lookup = |k: &str| self.host.get(k).cloned();
            generate(&SpecInputs {
                image: &self.image,
                opts: &self.opts,
                users: &self.users,
                host_env: &lookup,
                uid_map: &self.uid_map,
                gid_map: &self.gid_map,
                container_id: ID,
                container_name: "test",
                default_rlimits: &self.rlimits,
                host_devices: &self.devices,
            })
        }

        fn ok(&self) -> Spec {
            match self.build() {
                Ok(s) => s,
                Err(e) => panic!("generate failed: {e}"),
            }
        }

        fn err(&self) -> String {
            match self.build() {
                Ok(_) => panic!("generate unexpectedly succeeded"),
                Err(e) => e.to_string(),
            }
        }
    }

    fn image(entrypoint: Option<&[&str]>, cmd: Option<&[&str]>) -> ImageConfig {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        ImageConfig {
            config: Some(ContainerConfig {
                entrypoint: entrypoint.map(v),
                cmd: cmd.map(v),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn strings(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    fn process(s: &Spec) -> &Process {
        s.process().as_ref().expect("process")
    }

    fn linux(s: &Spec) -> &Linux {
        s.linux().as_ref().expect("linux")
    }

    fn args(s: &Spec) -> Vec<String> {
        process(s).args().clone().expect("args")
    }

    fn env(s: &Spec) -> Vec<String> {
        process(s).env().clone().expect("env")
    }

    fn env_get(s: &Spec, key: &str) -> Option<String> {
        env(s)
            .iter()
            .find_map(|e| e.strip_prefix(&format!("{key}=")).map(str::to_string))
    }

    fn mounts_of(s: &Spec) -> Vec<&Mount> {
        s.mounts().as_ref().expect("mounts").iter().collect()
    }

    fn dests(s: &Spec) -> Vec<String> {
        mounts_of(s).iter().map(|m| mount_destination(m)).collect()
    }

    fn find_mount<'a>(s: &'a Spec, dest: &str) -> &'a Mount {
        mounts_of(s)
            .into_iter()
            .find(|m| mount_destination(m) == dest)
            .unwrap_or_else(|| panic!("no mount at {dest}"))
    }

    fn opts_of(m: &Mount) -> Vec<String> {
        m.options().clone().unwrap_or_default()
    }

    fn typ(m: &Mount) -> String {
        m.typ().clone().unwrap_or_default()
    }

    fn names(c: &Option<Capabilities>) -> BTreeSet<String> {
        c.as_ref()
            .expect("capability set")
            .iter()
            .map(|c| capability_name(*c).to_string())
            .collect()
    }

    fn name_set(l: &[&str]) -> BTreeSet<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    fn caps(s: &Spec) -> &LinuxCapabilities {
        process(s).capabilities().as_ref().expect("capabilities")
    }

    fn ns_types(s: &Spec) -> Vec<LinuxNamespaceType> {
        linux(s)
            .namespaces()
            .as_ref()
            .expect("namespaces")
            .iter()
            .map(|n| n.typ())
            .collect()
    }

    fn user_of(s: &Spec) -> (u32, u32, Vec<u32>) {
        let u = process(s).user();
        (
            u.uid(),
            u.gid(),
            u.additional_gids().clone().unwrap_or_default(),
        )
    }

    // ----- process args ------------------------------------------------------------------

    #[test]
    fn entrypoint_and_cmd_follow_docker() {
        type Row<'a> = (
            Option<&'a [&'a str]>,
            Option<&'a [&'a str]>,
            Option<&'a str>,
            &'a [&'a str],
            Option<&'a [&'a str]>,
        );
        // (image entrypoint, image cmd, --entrypoint, command, expected args; None = error)
        let table: &[Row] = &[
            (None, Some(&["sh"]), None, &[], Some(&["sh"])),
            (
                None,
                Some(&["sh"]),
                None,
                &["ls", "-l"],
                Some(&["ls", "-l"]),
            ),
            (Some(&["/ep"]), Some(&["a"]), None, &[], Some(&["/ep", "a"])),
            (
                Some(&["/ep"]),
                Some(&["a"]),
                None,
                &["b"],
                Some(&["/ep", "b"]),
            ),
            (Some(&["/ep", "-x"]), None, None, &[], Some(&["/ep", "-x"])),
            (Some(&["/ep"]), None, None, &["b"], Some(&["/ep", "b"])),
            // --entrypoint replaces the image's and drops its Cmd
            (Some(&["/ep"]), Some(&["a"]), Some("/x"), &[], Some(&["/x"])),
            (None, Some(&["a"]), Some("/x"), &[], Some(&["/x"])),
            (
                Some(&["/ep"]),
                Some(&["a"]),
                Some("/x"),
                &["b"],
                Some(&["/x", "b"]),
            ),
            // --entrypoint "" clears it; the image Cmd is still dropped
            (Some(&["/ep"]), Some(&["a"]), Some(""), &[], None),
            (
                Some(&["/ep"]),
                Some(&["a"]),
                Some(""),
                &["b", "c"],
                Some(&["b", "c"]),
            ),
            // JSON array entrypoints
            (
                None,
                Some(&["a"]),
                Some(r#"["/bin/sh","-c"]"#),
                &["echo hi"],
                Some(&["/bin/sh", "-c", "echo hi"]),
            ),
            (Some(&["/ep"]), None, Some("[]"), &["b"], Some(&["b"])),
            (None, None, Some("[not json"), &[], Some(&["[not json"])),
            // nothing at all
            (None, None, None, &[], None),
            (Some(&[]), Some(&[]), None, &[], None),
            (Some(&[""]), Some(&["a"]), None, &[], Some(&["a"])),
            (Some(&[""]), None, None, &[], None),
        ];
        for (i, (ep, cmd, flag, command, want)) in table.iter().enumerate() {
            let mut fx = Fx::new();
            fx.image = image(*ep, *cmd);
            fx.opts.entrypoint = flag.map(str::to_string);
            fx.opts.command = strings(command);
            match want {
                Some(w) => assert_eq!(args(&fx.ok()), strings(w), "row {i}"),
                None => assert_eq!(fx.err(), "no command specified", "row {i}"),
            }
        }
    }

    #[test]
    fn image_without_config_needs_a_command() {
        let mut fx = Fx::new();
        fx.image = ImageConfig::default();
        assert_eq!(fx.err(), "no command specified");
        fx.opts.command = strings(&["/bin/true"]);
        assert_eq!(args(&fx.ok()), strings(&["/bin/true"]));
    }

    #[test]
    fn init_prefixes_the_command() {
        let mut fx = Fx::new();
        fx.image = image(Some(&["/ep"]), Some(&["a"]));
        fx.opts.init = true;
        assert_eq!(args(&fx.ok()), strings(&[INIT_PATH, "--", "/ep", "a"]));
        fx.image = image(None, None);
        assert_eq!(fx.err(), "no command specified");
    }

    #[test]
    fn nul_in_an_argument_is_refused() {
        let fx = Fx::opts(RunOptions {
            command: strings(&["a\0b"]),
            ..Default::default()
        });
        assert!(fx.err().contains("NUL"));
    }

    // ----- environment -------------------------------------------------------------------

    #[test]
    fn env_defaults() {
        let s = Fx::new().ok();
        assert_eq!(
            env(&s),
            strings(&[
                &format!("PATH={DEFAULT_PATH_ENV}"),
                "container=rl",
                "HOSTNAME=0123456789ab",
                "HOME=/root",
            ])
        );
    }

    #[test]
    fn env_precedence_image_then_files_then_flags() {
        let mut fx = Fx::new();
        fx.cfg().env = Some(strings(&[
            "PATH=/image/bin",
            "A=image",
            "B=image",
            "C=image",
            "NOEQUALS",
        ]));
        fx.opts.env_files = vec!["B=file1\nC=file1\n".into(), "C=file2\nD=file2".into()];
        fx.opts.env = strings(&[
            "D=flag",
            "E=",
            "FROM_HOST",
            "NOT_ON_HOST",
            "A=flag=with=equals",
        ]);
        let s = fx.ok();
        assert_eq!(
            env(&s),
            strings(&[
                "PATH=/image/bin",
                "container=rl",
                "A=flag=with=equals",
                "B=file1",
                "C=file2",
                "D=flag",
                "E=",
                "FROM_HOST=host value",
                "HOSTNAME=0123456789ab",
                "HOME=/root",
            ])
        );
    }

    #[test]
    fn env_key_only_keeps_image_value_when_host_lacks_it() {
        let mut fx = Fx::new();
        fx.cfg().env = Some(strings(&["NOT_ON_HOST=image"]));
        fx.opts.env = strings(&["NOT_ON_HOST"]);
        assert_eq!(env_get(&fx.ok(), "NOT_ON_HOST").as_deref(), Some("image"));
    }

    #[test]
    fn env_overrides_of_generated_variables() {
        let mut fx = Fx::new();
        fx.opts.tty = true;
        assert_eq!(env_get(&fx.ok(), "TERM").as_deref(), Some("xterm"));
        fx.opts.env = strings(&[
            "TERM=vt100",
            "HOSTNAME=mine",
            "HOME=/elsewhere",
            "container=other",
        ]);
        let s = fx.ok();
        assert_eq!(env_get(&s, "TERM").as_deref(), Some("vt100"));
        assert_eq!(env_get(&s, "HOSTNAME").as_deref(), Some("mine"));
        assert_eq!(env_get(&s, "HOME").as_deref(), Some("/elsewhere"));
        assert_eq!(env_get(&s, "container").as_deref(), Some("other"));
        assert_eq!(s.hostname().as_deref(), Some("0123456789ab"));
        // No TERM without a terminal.
        assert_eq!(env_get(&Fx::new().ok(), "TERM"), None);
    }

    #[test]
    fn env_home_follows_the_user() {
        for (user, home) in [
            ("alice", "/home/alice"),
            ("1000", "/home/alice"),
            ("nohome", "/"),
            ("4242", "/"),
            ("0", "/root"),
            ("daemon", "/usr/sbin"),
        ] {
            let fx = Fx::opts(RunOptions {
                user: Some(user.into()),
                ..Default::default()
            });
            assert_eq!(env_get(&fx.ok(), "HOME").as_deref(), Some(home), "{user}");
        }
        let mut fx = Fx::new();
        fx.users = ImageUsers::default();
        assert_eq!(env_get(&fx.ok(), "HOME").as_deref(), Some("/root"));
    }

    #[test]
    fn env_flag_errors() {
        for bad in ["=x", ""] {
            let fx = Fx::opts(RunOptions {
                env: strings(&[bad]),
                ..Default::default()
            });
            assert_eq!(fx.err(), format!("invalid environment variable: {bad}"));
        }
        let fx = Fx::opts(RunOptions {
            env: strings(&["A=b\0c"]),
            ..Default::default()
        });
        assert_eq!(fx.err(), "environment variable A contains a NUL byte");
    }

    #[test]
    fn env_file_format_is_dockers() {
        let host = |k: &str| (k == "H").then(|| "from host".to_string());
        let text = "\u{feff}# comment\n\n   A=1\nB= spaced value  \r\n  # indented comment\nH\nMISSING\nC=\"quoted\"\nD==x\n";
        let got = parse_env_file(text, &host).expect("parses");
        let want: Vec<(String, String)> = [
            ("A", "1"),
            ("B", " spaced value  "),
            ("H", "from host"),
            ("C", "\"quoted\""),
            ("D", "=x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
        assert_eq!(
            parse_env_file("A=1\n=oops\n", &host).unwrap_err(),
            "line 2: no variable name on line '=oops'"
        );
        assert_eq!(
            parse_env_file("MY VAR=1", &host).unwrap_err(),
            "line 1: variable 'MY VAR' contains whitespaces"
        );
        let fx = Fx::opts(RunOptions {
            env_files: vec!["A=1".into(), "ok=1\n=bad".into()],
            ..Default::default()
        });
        assert_eq!(
            fx.err(),
            "env file #2: line 2: no variable name on line '=bad'"
        );
    }

    // ----- user and groups ---------------------------------------------------------------

    fn users() -> ImageUsers {
        ImageUsers {
            passwd: Some(PASSWD.into()),
            group: Some(GROUP.into()),
        }
    }

    #[test]
    fn user_forms_resolve_like_libcontainer() {
        // (spec, uid, gid, supplementary)
        let table: &[(&str, u32, u32, &[u32])] = &[
            ("", 0, 0, &[0, 10]),
            ("root", 0, 0, &[0, 10]),
            ("0", 0, 0, &[0, 10]),
            ("alice", 1000, 1000, &[10, 44, 50, 100000]),
            ("1000", 1000, 1000, &[10, 44, 50, 100000]),
            ("bob", 1001, 1001, &[50]),
            ("alice:staff", 1000, 50, &[]),
            ("alice:50", 1000, 50, &[]),
            ("1000:50", 1000, 50, &[]),
            ("1000:video", 1000, 44, &[]),
            ("4242", 4242, 0, &[]),
            ("4242:4343", 4242, 4343, &[]),
            ("4242:staff", 4242, 50, &[]),
            ("alice:", 1000, 1000, &[10, 44, 50, 100000]),
        ];
        for (spec, uid, gid, sup) in table {
            let u = resolve_user(spec, &users()).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(
                (u.uid, u.gid, u.supplementary.as_slice()),
                (*uid, *gid, *sup),
                "{spec}"
            );
        }
        let none = ImageUsers::default();
        let u = resolve_user("", &none).expect("root without passwd");
        assert_eq!((u.uid, u.gid, u.name), (0, 0, None));
        let u = resolve_user("1000:1000", &none).expect("numbers need no files");
        assert_eq!((u.uid, u.gid), (1000, 1000));
    }

    #[test]
    fn user_errors_use_dockers_words() {
        let cases = [
            (
                "nosuch",
                "unable to find user nosuch: no matching entries in passwd file",
            ),
            (
                "nosuch:staff",
                "unable to find user nosuch: no matching entries in passwd file",
            ),
            (
                "alice:nosuch",
                "unable to find group nosuch: no matching entries in group file",
            ),
            (
                "4242:nosuch",
                "unable to find group nosuch: no matching entries in group file",
            ),
            (
                "2147483648",
                "invalid id 2147483648: uids and gids must be in range 0-2147483647",
            ),
            (
                "-1",
                "invalid id -1: uids and gids must be in range 0-2147483647",
            ),
            (
                "alice:-5",
                "invalid id -5: uids and gids must be in range 0-2147483647",
            ),
        ];
        for (spec, msg) in cases {
            let err = resolve_user(spec, &users()).expect_err(spec);
            assert_eq!(err.to_string(), msg, "{spec}");
        }
        let err = resolve_user("root", &ImageUsers::default()).expect_err("no passwd");
        assert_eq!(
            err.to_string(),
            "unable to find user root: no matching entries in passwd file"
        );
    }

    #[test]
    fn image_user_applies_unless_overridden() {
        let mut fx = Fx::new();
        fx.cfg().user = Some("bob".into());
        assert_eq!(user_of(&fx.ok()), (1001, 1001, vec![1001, 50]));
        fx.opts.user = Some("alice:staff".into());
        assert_eq!(user_of(&fx.ok()), (1000, 50, vec![50]));
        fx.opts.user = Some(String::new());
        assert_eq!(user_of(&fx.ok()).0, 1001);
        fx.cfg().user = Some("ghost".into());
        assert_eq!(
            fx.err(),
            "unable to find user ghost: no matching entries in passwd file"
        );
    }

    #[test]
    fn additional_gids_membership_and_group_add() {
        let mut fx = Fx::opts(RunOptions {
            user: Some("alice".into()),
            ..Default::default()
        });
        // Primary first, then membership in file order; 100000 is outside the gid map: skipped.
        assert_eq!(user_of(&fx.ok()), (1000, 1000, vec![1000, 10, 44, 50]));
        fx.opts.group_add = strings(&["tty", "4242", "video", "1000"]);
        assert_eq!(
            user_of(&fx.ok()),
            (1000, 1000, vec![1000, 5, 4242, 44, 10, 50])
        );
        fx.opts.user = Some("alice:staff".into());
        fx.opts.group_add = strings(&["bob"]);
        assert_eq!(user_of(&fx.ok()), (1000, 50, vec![50, 1001]));
        fx.opts.group_add = strings(&["nosuch"]);
        assert_eq!(
            fx.err(),
            "unable to find group nosuch: no matching entries in group file"
        );
        fx.opts.group_add = strings(&["keep-groups"]);
        assert!(fx.err().contains("keep-groups"));
        fx.opts.group_add = strings(&["far"]);
        assert!(
            fx.err().starts_with("gid 100000 is not mapped"),
            "{}",
            fx.err()
        );
    }

    #[test]
    fn unmapped_user_is_a_clear_error() {
        let mut fx = Fx::opts(RunOptions {
            user: Some("alice".into()),
            ..Default::default()
        });
        fx.uid_map = single_map();
        assert_eq!(
            fx.err(),
            "uid 1000 is not mapped in the container's user namespace (mapped: 0-0); \
             widen the ranges in /etc/subuid and /etc/subgid"
        );
        fx.opts.user = Some("0:70000".into());
        fx.uid_map = full_map();
        assert!(fx.err().starts_with("gid 70000 is not mapped"));
        fx.opts.user = None;
        fx.uid_map = Vec::new();
        assert!(fx.err().contains("uid map is empty"));
    }

    // ----- working directory and hostname ------------------------------------------------

    #[test]
    fn workdir_rules() {
        let mut fx = Fx::new();
        assert_eq!(process(&fx.ok()).cwd(), &PathBuf::from("/"));
        fx.cfg().working_dir = Some("/srv".into());
        assert_eq!(process(&fx.ok()).cwd(), &PathBuf::from("/srv"));
        fx.opts.workdir = Some("/work".into());
        assert_eq!(process(&fx.ok()).cwd(), &PathBuf::from("/work"));
        fx.opts.workdir = Some("rel".into());
        assert_eq!(
            fx.err(),
            "the working directory 'rel' is invalid, it needs to be an absolute path"
        );
        fx.opts.workdir = Some(String::new());
        fx.cfg().working_dir = Some("img/rel".into());
        assert!(fx.err().contains("'img/rel'"));
        fx.cfg().working_dir = Some(String::new());
        assert_eq!(process(&fx.ok()).cwd(), &PathBuf::from("/"));
    }

    #[test]
    fn hostname_rules() {
        let mut fx = Fx::new();
        let s = fx.ok();
        assert_eq!(s.hostname().as_deref(), Some("0123456789ab"));
        assert!(ns_types(&s).contains(&LinuxNamespaceType::Uts));
        fx.opts.hostname = Some("web".into());
        let s = fx.ok();
        assert_eq!(s.hostname().as_deref(), Some("web"));
        assert_eq!(env_get(&s, "HOSTNAME").as_deref(), Some("web"));
        fx.opts.hostname = Some("x".repeat(65));
        assert!(fx.err().contains("longer than 64 bytes"));
        fx.opts.hostname = Some("a b".into());
        assert!(fx.err().starts_with("invalid hostname"));
        fx.opts.hostname = None;
        fx.opts.network = NetworkMode::Host;
        let s = fx.ok();
        assert_eq!(s.hostname(), &None);
        assert_eq!(env_get(&s, "HOSTNAME"), None);
        fx.opts.hostname = Some("web".into());
        assert!(fx.err().starts_with("cannot set hostname"));
    }

    #[test]
    fn namespaces_by_network_mode() {
        use LinuxNamespaceType::*;
        for mode in [NetworkMode::Private, NetworkMode::None] {
            let fx = Fx::opts(RunOptions {
                network: mode,
                ..Default::default()
            });
            assert_eq!(
                ns_types(&fx.ok()),
                vec![User, Mount, Pid, Ipc, Uts, Network, Cgroup]
            );
        }
        let fx = Fx::opts(RunOptions {
            network: NetworkMode::Host,
            ..Default::default()
        });
        assert_eq!(ns_types(&fx.ok()), vec![User, Mount, Pid, Ipc, Cgroup]);
    }

    #[test]
    fn id_maps_are_copied() {
        let s = Fx::new().ok();
        let l = linux(&s);
        let uid = l.uid_mappings().clone().expect("uid map");
        assert_eq!(uid.len(), 2);
        assert_eq!(
            (uid[1].container_id(), uid[1].host_id(), uid[1].size()),
            (1, 100000, 65536)
        );
        assert_eq!(l.gid_mappings().as_ref().map(Vec::len), Some(2));
    }

    // ----- mounts ------------------------------------------------------------------------

    #[test]
    fn default_mounts_are_podmans_rootless_set() {
        let s = Fx::new().ok();
        assert_eq!(
            dests(&s),
            strings(&[
                "/proc",
                "/dev",
                "/sys",
                "/dev/pts",
                "/dev/mqueue",
                "/dev/shm",
                "/dev/null",
                "/dev/zero",
                "/dev/full",
                "/dev/random",
                "/dev/urandom",
                "/dev/tty",
                "/sys/fs/cgroup",
            ])
        );
        let proc_ = find_mount(&s, "/proc");
        assert_eq!(
            (typ(proc_), opts_of(proc_)),
            ("proc".into(), strings(&["nosuid", "noexec", "nodev"]))
        );
        let dev = find_mount(&s, "/dev");
        assert_eq!(
            (typ(dev), opts_of(dev)),
            (
                "tmpfs".into(),
                strings(&["nosuid", "strictatime", "mode=755", "size=65536k"])
            )
        );
        let shm = find_mount(&s, "/dev/shm");
        assert_eq!(
            opts_of(shm),
            strings(&["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"])
        );
        assert_eq!(typ(find_mount(&s, "/dev/mqueue")), "mqueue");
        let sys = find_mount(&s, "/sys");
        assert_eq!(
            (typ(sys), opts_of(sys)),
            (
                "sysfs".into(),
                strings(&["nosuid", "noexec", "nodev", "ro"])
            )
        );
        let cg = find_mount(&s, "/sys/fs/cgroup");
        assert_eq!(typ(cg), "cgroup");
        assert!(opts_of(cg).contains(&"ro".to_string()));
        let null = find_mount(&s, "/dev/null");
        assert_eq!(
            (typ(null), null.source().clone(), opts_of(null)),
            (
                "bind".into(),
                Some(PathBuf::from("/dev/null")),
                strings(&["rbind", "nosuid", "noexec"])
            )
        );
        assert_eq!(linux(&s).devices(), &None);
        let root = s.root().as_ref().expect("root");
        assert_eq!(
            (root.path().clone(), root.readonly()),
            (PathBuf::from("rootfs"), Some(false))
        );
    }

    #[test]
    fn devpts_gid5_only_when_mapped() {
        let devpts = |fx: &Fx| opts_of(find_mount(&fx.ok(), "/dev/pts"));
        let mut fx = Fx::new();
        assert!(devpts(&fx).contains(&"gid=5".to_string()));
        fx.gid_map = single_map();
        assert_eq!(
            devpts(&fx),
            strings(&[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620"
            ])
        );
        fx.gid_map = vec![
            IdMapping {
                container_id: 0,
                host_id: 1000,
                size: 1,
            },
            IdMapping {
                container_id: 5,
                host_id: 100005,
                size: 1,
            },
        ];
        assert!(devpts(&fx).contains(&"gid=5".to_string()));
    }

    #[test]
    fn host_network_binds_sys() {
        let s = Fx::opts(RunOptions {
            network: NetworkMode::Host,
            ..Default::default()
        })
        .ok();
        let sys = find_mount(&s, "/sys");
        assert_eq!(
            (typ(sys), sys.source().clone(), opts_of(sys)),
            (
                "bind".into(),
                Some(PathBuf::from("/sys")),
                strings(&["rprivate", "nosuid", "noexec", "nodev", "ro", "rbind"])
            )
        );
        assert_eq!(typ(find_mount(&s, "/sys/fs/cgroup")), "bind");
        let masked = linux(&s).masked_paths().clone().expect("masked");
        assert!(masked.contains(&"/sys/kernel".to_string()));
    }

    #[test]
    fn exec_process_follows_the_container_and_the_flags() {
        let users = ImageUsers {
            passwd: Some(
                "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:u:/home/user:/bin/sh\n".into(),
            ),
            group: Some("root:x:0:\nuser:x:1000:\nextra:x:50:user\n".into()),
        };
        let mut base = Process::default();
        let mut caps = LinuxCapabilities::default();
        let bounding: Capabilities = [Capability::Chown, Capability::Kill].into_iter().collect();
        caps.set_bounding(Some(bounding.clone()))
            .set_effective(Some(bounding.clone()))
            .set_permitted(Some(bounding.clone()));
        base.set_env(Some(vec!["PATH=/bin".into(), "A=1".into()]))
            .set_cwd(PathBuf::from("/srv"))
            .set_capabilities(Some(caps));
        let host = |k: &str| (k == "FROMHOST").then(|| "h".to_string());
        let opts = ExecOptions {
            command: vec!["sh".into(), "-c".into(), "id".into()],
            env: vec!["A=2".into(), "B=3".into(), "FROMHOST".into()],
            tty: true,
            ..ExecOptions::default()
        };
        let p = exec_process(&base, &opts, &users, &host).unwrap();
        assert_eq!(p.args().as_ref().unwrap(), &opts.command);
        assert_eq!(
            p.env().as_ref().unwrap(),
            &vec!["PATH=/bin", "A=2", "B=3", "FROMHOST=h", "TERM=xterm"]
        );
        assert_eq!(p.cwd(), &PathBuf::from("/srv"));
        assert_eq!(p.user().uid(), 0);
        assert_eq!(
            p.capabilities()
                .as_ref()
                .unwrap()
                .effective()
                .as_ref()
                .unwrap(),
            &bounding
        );
        // -u user: its ids and groups, no capabilities; -w.
        let p = exec_process(
            &base,
            &ExecOptions {
                command: vec!["id".into()],
                user: Some("user".into()),
                workdir: Some("/tmp".into()),
                ..ExecOptions::default()
            },
            &users,
            &host,
        )
        .unwrap();
        assert_eq!((p.user().uid(), p.user().gid()), (1000, 1000));
        assert_eq!(p.user().additional_gids().as_ref().unwrap(), &vec![50]);
        assert!(
            p.env()
                .as_ref()
                .unwrap()
                .contains(&"HOME=/home/user".to_string())
        );
        assert!(
            p.capabilities()
                .as_ref()
                .unwrap()
                .effective()
                .as_ref()
                .unwrap()
                .is_empty()
        );
        assert_eq!(p.cwd(), &PathBuf::from("/tmp"));
        // --privileged: every capability for root.
        let p = exec_process(
            &base,
            &ExecOptions {
                command: vec!["id".into()],
                privileged: true,
                ..ExecOptions::default()
            },
            &users,
            &host,
        )
        .unwrap();
        assert_eq!(
            p.capabilities()
                .as_ref()
                .unwrap()
                .effective()
                .as_ref()
                .unwrap()
                .len(),
            ALL_CAPS.len()
        );
        for (bad, why) in [
            (ExecOptions::default(), "no command"),
            (
                ExecOptions {
                    command: vec!["x".into()],
                    user: Some("nobody".into()),
                    ..ExecOptions::default()
                },
                "unable to find user nobody",
            ),
            (
                ExecOptions {
                    command: vec!["x".into()],
                    workdir: Some("rel".into()),
                    ..ExecOptions::default()
                },
                "absolute path",
            ),
        ] {
            let e = exec_process(&base, &bad, &users, &host)
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn mount_flags_parse_like_docker() {
        let m = parse_mount_flag("type=bind,source=/h,target=/c,readonly,bind-propagation=rshared")
            .unwrap();
        assert_eq!(m.kind, MountKind::Bind);
        assert_eq!((m.source.as_str(), m.destination.as_str()), ("/h", "/c"));
        assert_eq!(m.options, vec!["ro", "rshared"]);
        let m = parse_mount_flag("src=data,dst=/data,volume-nocopy").unwrap();
        assert_eq!(m.kind, MountKind::Volume);
        assert_eq!(m.options, vec!["nocopy"]);
        let m =
            parse_mount_flag("type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
        assert_eq!(m.kind, MountKind::Tmpfs);
        assert_eq!(m.options, vec!["size=64m", "mode=1770"]);
        let m = parse_mount_flag("type=volume,target=/anon,readonly=false").unwrap();
        assert!(m.source.is_empty() && m.options.is_empty());
        assert_eq!(
            parse_mount_flag("type=bind,src=/a,dst=/b,bind-nonrecursive=true,U")
                .unwrap()
                .options,
            vec!["bind", "U"]
        );
        for (bad, why) in [
            ("type=bind,target=/c", "source= is required"),
            ("type=tmpfs,src=/x,target=/c", "takes no source"),
            ("type=image,target=/c", "not supported"),
            ("source=/h", "target= is required"),
            (
                "type=bind,src=/a,dst=/b,colour=red",
                "unknown key \"colour\"",
            ),
            (
                "type=bind,src=/a,dst=/b,readonly=maybe",
                "want true or false",
            ),
            ("type=bind,src=/a,dst=/b,tmpfs-size=1m", "need type=tmpfs"),
            ("type=bind,src=,dst=/b", "src needs a value"),
        ] {
            let e = parse_mount_flag(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn user_mounts_order_and_options() {
        let fx = Fx::opts(RunOptions {
            tmpfs: strings(&["/scratch:size=64m,mode=1777,exec", "/cache"]),
            mounts: vec![
                MountSpec::bind("/host/data/sub", "/data/sub/", &["ro"]),
                MountSpec::volume("/vols/v1/_data", "/data", &["nocopy", "z"]),
                MountSpec::bind("/host/x", "/x", &["bind", "shared", "nosuid"]),
                MountSpec::tmpfs("/t", &["U", "suid"]),
            ],
            user: Some("alice".into()),
            ..Default::default()
        });
        let s = fx.ok();
        let d = dests(&s);
        let pos = |p: &str| {
            d.iter()
                .position(|x| x == p)
                .unwrap_or_else(|| panic!("{p} missing"))
        };
        // Parents before children, command-line order within a depth.
        assert!(pos("/data") < pos("/data/sub"));
        assert!(pos("/scratch") < pos("/cache") && pos("/cache") < pos("/data"));
        assert!(pos("/data") < pos("/x") && pos("/x") < pos("/t"));
        assert!(
            pos("/sys") < pos("/scratch"),
            "defaults first within a depth"
        );

        let scratch = find_mount(&s, "/scratch");
        assert_eq!(
            (typ(scratch), opts_of(scratch)),
            (
                "tmpfs".into(),
                strings(&[
                    "size=64m",
                    "mode=1777",
                    "exec",
                    "rprivate",
                    "nosuid",
                    "nodev"
                ])
            )
        );
        assert_eq!(
            opts_of(find_mount(&s, "/cache")),
            strings(&["rprivate", "noexec", "nosuid", "nodev"])
        );
        let sub = find_mount(&s, "/data/sub");
        assert_eq!(
            (typ(sub), sub.source().clone(), opts_of(sub)),
            (
                "bind".into(),
                Some(PathBuf::from("/host/data/sub")),
                strings(&["ro", "rprivate", "rbind"])
            )
        );
        assert_eq!(
            opts_of(find_mount(&s, "/data")),
            strings(&["rprivate", "rbind"])
        );
        assert_eq!(
            opts_of(find_mount(&s, "/x")),
            strings(&["bind", "shared", "nosuid"])
        );
        assert_eq!(
            opts_of(find_mount(&s, "/t")),
            strings(&[
                "uid=1000", "gid=1000", "suid", "rprivate", "noexec", "nodev"
            ])
        );
        let bind_private = Fx::opts(RunOptions {
            mounts: vec![MountSpec::bind("/h", "/b", &["bind"])],
            ..Default::default()
        })
        .ok();
        assert_eq!(
            opts_of(find_mount(&bind_private, "/b")),
            strings(&["bind", "private"])
        );
    }

    #[test]
    fn duplicate_destinations_are_an_error() {
        let cases = [
            (
                vec![],
                vec![
                    MountSpec::bind("/a", "/data", &[]),
                    MountSpec::bind("/b", "/data/", &[]),
                ],
            ),
            (
                strings(&["/data"]),
                vec![MountSpec::volume("/v", "/data", &[])],
            ),
            (strings(&["/data", "/x/../data"]), vec![]),
        ];
        for (tmpfs, mounts) in cases {
            let fx = Fx::opts(RunOptions {
                tmpfs,
                mounts,
                ..Default::default()
            });
            assert_eq!(fx.err(), "duplicate mount destination /data");
        }
    }

    #[test]
    fn user_mounts_supersede_defaults() {
        let s = Fx::opts(RunOptions {
            mounts: vec![MountSpec::bind("/host/shm", "/dev/shm", &[])],
            ..Default::default()
        })
        .ok();
        let shm: Vec<&Mount> = mounts_of(&s)
            .into_iter()
            .filter(|m| mount_destination(m) == "/dev/shm")
            .collect();
        assert_eq!(shm.len(), 1);
        assert_eq!(typ(shm[0]), "bind");

        let s = Fx::opts(RunOptions {
            mounts: vec![MountSpec::bind("/dev", "/dev", &[])],
            ..Default::default()
        })
        .ok();
        let d = dests(&s);
        assert!(!d.iter().any(|p| p.starts_with("/dev/")), "{d:?}");
        assert_eq!(typ(find_mount(&s, "/dev")), "bind");
        assert!(d.contains(&"/proc".to_string()));
    }

    #[test]
    fn mount_validation_errors() {
        let cases: Vec<(RunOptions, &str)> = vec![
            (
                RunOptions {
                    tmpfs: strings(&["rel"]),
                    ..Default::default()
                },
                "invalid container path \"rel\", must be an absolute path",
            ),
            (
                RunOptions {
                    mounts: vec![MountSpec::bind("/h", "/", &[])],
                    ..Default::default()
                },
                "invalid mount destination \"/\": cannot mount over the container's root",
            ),
            (
                RunOptions {
                    mounts: vec![MountSpec::bind("rel", "/d", &[])],
                    ..Default::default()
                },
                "/d: bind source \"rel\" must be an absolute path",
            ),
            (
                RunOptions {
                    mounts: vec![MountSpec::bind("/h", "/d", &["ro", "rw"])],
                    ..Default::default()
                },
                "/d: only one of 'rw' and 'ro' can be used",
            ),
            (
                RunOptions {
                    mounts: vec![MountSpec::bind("/h", "/d", &["size=1m"])],
                    ..Default::default()
                },
                "/d: the 'size' option is only allowed with tmpfs mounts",
            ),
            (
                RunOptions {
                    mounts: vec![MountSpec::bind("/h", "/d", &["bogus"])],
                    ..Default::default()
                },
                "/d: unknown mount option \"bogus\"",
            ),
            (
                RunOptions {
                    mounts: vec![MountSpec::bind("/h", "/d", &["U"])],
                    ..Default::default()
                },
                "/d: the 'U' option (chown the source) must be applied by the caller before the spec is generated",
            ),
            (
                RunOptions {
                    tmpfs: strings(&["/t:rbind"]),
                    ..Default::default()
                },
                "/t: the 'bind' and 'rbind' options are not allowed with tmpfs mounts",
            ),
            (
                RunOptions {
                    tmpfs: strings(&["/t:size=lots"]),
                    ..Default::default()
                },
                "/t: invalid tmpfs size \"lots\"",
            ),
            (
                RunOptions {
                    tmpfs: strings(&["/t:mode=999"]),
                    ..Default::default()
                },
                "/t: invalid tmpfs mode \"999\": want octal, e.g. 1777",
            ),
            (
                RunOptions {
                    tmpfs: strings(&["/t:tmpcopyup"]),
                    ..Default::default()
                },
                "/t: the 'tmpcopyup' option is not supported by rl",
            ),
            (
                RunOptions {
                    mounts: vec![MountSpec::bind("/h", "/d", &["nocopy"])],
                    ..Default::default()
                },
                "/d: unknown mount option \"nocopy\"",
            ),
        ];
        for (opts, msg) in cases {
            assert_eq!(Fx::opts(opts).err(), msg);
        }
        for size in ["64m", "65536k", "1G", "100", "50%"] {
            assert!(valid_size(size), "{size}");
        }
        for size in ["", "m", "1mb", "-1", "1.5g"] {
            assert!(!valid_size(size), "{size}");
        }
    }

    #[test]
    fn read_only_root_and_tmpfs_set() {
        let mut fx = Fx::opts(RunOptions {
            read_only: true,
            mounts: vec![
                MountSpec::bind("/host/tmp", "/tmp", &[]),
                MountSpec::bind("/sock", "/run/app.sock", &[]),
            ],
            ..Default::default()
        });
        let s = fx.ok();
        assert_eq!(s.root().as_ref().and_then(|r| r.readonly()), Some(true));
        let run = find_mount(&s, "/run");
        assert_eq!(
            (typ(run), opts_of(run)),
            (
                "tmpfs".into(),
                strings(&["rw", "rprivate", "nosuid", "nodev"])
            )
        );
        assert_eq!(
            opts_of(find_mount(&s, "/var/tmp")),
            strings(&["rw", "rprivate", "nosuid", "nodev", "noexec"])
        );
        assert_eq!(typ(find_mount(&s, "/tmp")), "bind", "the user's /tmp wins");
        let d = dests(&s);
        let pos = |p: &str| d.iter().position(|x| x == p).unwrap_or(usize::MAX);
        assert!(
            pos("/run") < pos("/run/app.sock"),
            "the tmpfs must not hide the socket"
        );
        fx.opts.read_only_tmpfs = false;
        assert!(!dests(&fx.ok()).contains(&"/run".to_string()));
        fx.opts.read_only = false;
        fx.opts.read_only_tmpfs = true;
        assert!(!dests(&fx.ok()).contains(&"/var/tmp".to_string()));
    }

    #[test]
    fn anonymous_volumes_skip_covered_destinations() {
        let mut img = image(None, Some(&["sh"]));
        let mut vols = BTreeMap::new();
        for v in ["/data", "/logs/", "/cache", "/"] {
            vols.insert(v.to_string(), serde_json::json!({}));
        }
        if let Some(c) = img.config.as_mut() {
            c.volumes = Some(vols);
        }
        let opts = RunOptions {
            mounts: vec![MountSpec::volume("/v", "/data", &[])],
            tmpfs: strings(&["/cache:size=1m"]),
            ..Default::default()
        };
        assert_eq!(anonymous_volumes(&img, &opts), strings(&["/logs"]));
        assert!(anonymous_volumes(&ImageConfig::default(), &opts).is_empty());
    }

    // ----- capabilities ------------------------------------------------------------------

    fn cap_fx(user: Option<&str>, add: &[&str], drop: &[&str], privileged: bool) -> Fx {
        Fx::opts(RunOptions {
            user: user.map(str::to_string),
            cap_add: strings(add),
            cap_drop: strings(drop),
            privileged,
            ..Default::default()
        })
    }

    #[test]
    fn default_capabilities_for_root() {
        let s = Fx::new().ok();
        let c = caps(&s);
        let want = name_set(DEFAULT_CAPABILITIES);
        assert_eq!(names(c.bounding()), want);
        assert_eq!(names(c.effective()), want);
        assert_eq!(names(c.permitted()), want);
        assert!(names(c.inheritable()).is_empty());
        assert!(names(c.ambient()).is_empty());
    }

    #[test]
    fn non_root_gets_only_added_capabilities() {
        let s = cap_fx(Some("alice"), &[], &[], false).ok();
        let c = caps(&s);
        assert_eq!(names(c.bounding()), name_set(DEFAULT_CAPABILITIES));
        for set in [c.effective(), c.permitted(), c.inheritable(), c.ambient()] {
            assert!(names(set).is_empty());
        }
        let s = cap_fx(Some("1000"), &["net_admin"], &[], false).ok();
        let c = caps(&s);
        assert!(names(c.bounding()).contains("NET_ADMIN"));
        for set in [c.effective(), c.permitted(), c.inheritable(), c.ambient()] {
            assert_eq!(names(set), name_set(&["NET_ADMIN"]));
        }
        // uid 0 with another group is still root.
        let s = cap_fx(Some("0:50"), &[], &[], false).ok();
        assert_eq!(names(caps(&s).effective()), name_set(DEFAULT_CAPABILITIES));
    }

    #[test]
    fn capability_arithmetic() {
        let bounding = |add: &[&str], drop: &[&str], privileged: bool| -> BTreeSet<String> {
            names(caps(&cap_fx(None, add, drop, privileged).ok()).bounding())
        };
        let mut want = name_set(DEFAULT_CAPABILITIES);
        want.insert("NET_ADMIN".into());
        want.insert("SYS_PTRACE".into());
        want.remove("CHOWN");
        want.remove("KILL");
        assert_eq!(
            bounding(
                &["NET_ADMIN", "cap_sys_ptrace"],
                &["CAP_CHOWN", "kill"],
                false
            ),
            want
        );
        let all: BTreeSet<String> = ALL_CAPS.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(all.len(), 41);
        assert_eq!(bounding(&["ALL"], &[], false), all);
        let mut all_but = all.clone();
        all_but.remove("SYS_ADMIN");
        assert_eq!(bounding(&["all"], &["SYS_ADMIN"], false), all_but);
        assert_eq!(bounding(&["CHOWN"], &["ALL"], false), name_set(&["CHOWN"]));
        assert!(bounding(&[], &["ALL"], false).is_empty());
        assert_eq!(bounding(&[], &[], true), all);
        assert_eq!(bounding(&[], &["sys_admin"], true), all_but);

        assert_eq!(
            cap_fx(None, &["ALL"], &["ALL"], false).err(),
            "adding all caps and removing all caps not allowed"
        );
        assert_eq!(
            cap_fx(None, &["NET_ADMIN"], &["net_admin"], false).err(),
            "capability \"CAP_NET_ADMIN\" cannot be dropped and added"
        );
        assert_eq!(
            cap_fx(None, &["bogus"], &[], false).err(),
            "unknown capability: \"CAP_BOGUS\""
        );
        assert_eq!(
            cap_fx(None, &[], &["CAP_NOPE"], false).err(),
            "unknown capability: \"CAP_NOPE\""
        );
    }

    #[test]
    fn privileged_drops_protections() {
        let mut fx = cap_fx(None, &[], &[], true);
        fx.devices = strings(&[
            "/dev/null",
            "/dev/fuse",
            "/dev/pts/0",
            "/dev/console",
            "/dev/ptmx",
            "/dev/dri/card0",
        ]);
        let s = fx.ok();
        let l = linux(&s);
        assert_eq!(l.masked_paths(), &Some(vec![]));
        assert_eq!(l.readonly_paths(), &Some(vec![]));
        assert_eq!(l.seccomp(), &None);
        let ann = s.annotations().clone().expect("annotations");
        assert_eq!(
            ann.get(ANNOTATION_SECCOMP).map(String::as_str),
            Some("unconfined")
        );
        let d = dests(&s);
        assert!(d.contains(&"/dev/fuse".to_string()) && d.contains(&"/dev/dri/card0".to_string()));
        assert_eq!(d.iter().filter(|p| *p == "/dev/null").count(), 1);
        for skipped in ["/dev/pts/0", "/dev/console", "/dev/ptmx"] {
            assert!(!d.contains(&skipped.to_string()), "{skipped}");
        }
        assert!(opts_of(find_mount(&s, "/sys")).contains(&"rw".to_string()));
        assert!(opts_of(find_mount(&s, "/sys/fs/cgroup")).contains(&"rw".to_string()));
        // Host devices are only bound when privileged.
        let mut fx = Fx::new();
        fx.devices = strings(&["/dev/fuse"]);
        assert!(!dests(&fx.ok()).contains(&"/dev/fuse".to_string()));
        let mut fx = cap_fx(None, &[], &[], true);
        fx.devices = strings(&["/etc/passwd"]);
        assert!(fx.err().contains("not a path under /dev"));
        let ann = Fx::new().ok().annotations().clone().expect("annotations");
        assert_eq!(
            ann.get(ANNOTATION_SECCOMP).map(String::as_str),
            Some("default")
        );
    }

    // ----- masked and read-only paths ----------------------------------------------------

    fn protected(masks: &[&str], unmasks: &[&str], privileged: bool) -> (Vec<String>, Vec<String>) {
        let s = Fx::opts(RunOptions {
            masks: strings(masks),
            unmasks: strings(unmasks),
            privileged,
            ..Default::default()
        })
        .ok();
        let l = linux(&s);
        (
            l.masked_paths().clone().expect("masked"),
            l.readonly_paths().clone().expect("readonly"),
        )
    }

    #[test]
    fn masked_and_readonly_defaults() {
        let (m, r) = protected(&[], &[], false);
        assert_eq!(m, strings(MASKED_PATHS));
        assert_eq!(r, strings(READONLY_PATHS));
        for p in [
            "/proc/kcore",
            "/proc/interrupts",
            "/sys/firmware",
            "/sys/dev/block",
        ] {
            assert!(m.contains(&p.to_string()), "{p}");
        }
    }

    #[test]
    fn mask_and_unmask_adjust_the_lists() {
        let (m, r) = protected(
            &["/secret:/other/./x", "/proc/kcore"],
            &["/proc/keys:/proc/sys"],
            false,
        );
        assert!(!m.contains(&"/proc/keys".to_string()));
        assert!(!r.contains(&"/proc/sys".to_string()));
        assert!(m.ends_with(&strings(&["/secret", "/other/x"])));
        assert_eq!(m.iter().filter(|p| *p == "/proc/kcore").count(), 1);

        let (m, r) = protected(&[], &["/proc/*"], false);
        assert!(m.iter().all(|p| !p.starts_with("/proc/")));
        assert!(m.contains(&"/sys/firmware".to_string()));
        assert!(r.is_empty());

        let (m, r) = protected(&["/only"], &["ALL"], false);
        assert_eq!((m, r), (strings(&["/only"]), vec![]));
        let s = Fx::opts(RunOptions {
            unmasks: strings(&["ALL"]),
            ..Default::default()
        })
        .ok();
        assert!(opts_of(find_mount(&s, "/sys/fs/cgroup")).contains(&"rw".to_string()));
        let s = Fx::opts(RunOptions {
            unmasks: strings(&["/sys/fs/cgroup/"]),
            ..Default::default()
        })
        .ok();
        assert!(opts_of(find_mount(&s, "/sys/fs/cgroup")).contains(&"rw".to_string()));
        assert!(opts_of(find_mount(&Fx::new().ok(), "/sys/fs/cgroup")).contains(&"ro".to_string()));

        // mask= applies even when privileged.
        assert_eq!(protected(&["/x"], &[], true), (strings(&["/x"]), vec![]));
        let fx = Fx::opts(RunOptions {
            masks: strings(&["relative/path"]),
            ..Default::default()
        });
        assert_eq!(
            fx.err(),
            "invalid mask path \"relative/path\": it must be an absolute path"
        );
    }

    #[test]
    fn glob_matching_is_gos() {
        assert!(glob_match("/proc/*", "/proc/kcore"));
        assert!(!glob_match("/proc/*", "/proc/a/b"));
        assert!(glob_match("/proc/k?ys", "/proc/keys"));
        assert!(glob_match("/sys/*/block", "/sys/dev/block"));
        assert!(!glob_match("/sys/*", "/proc/x"));
        assert!(glob_match("*", "abc"));
        assert!(!glob_match("?", "/"));
    }

    // ----- sysctls -----------------------------------------------------------------------

    #[test]
    fn sysctl_allow_and_deny() {
        let ok = [
            "kernel.msgmax=65536",
            "kernel.sem=250 32000 32 128",
            "kernel.shmmax=1",
            "kernel.shm_rmid_forced=1",
            "fs.mqueue.msg_max=20",
            "kernel.hostname=box",
            "kernel.domainname=example.org",
            "net.ipv4.ip_forward=1",
            "net.ipv4.ping_group_range=0 2147483647",
        ];
        let s = Fx::opts(RunOptions {
            sysctls: strings(&ok),
            ..Default::default()
        })
        .ok();
        let got = linux(&s).sysctl().clone().expect("sysctls");
        assert_eq!(got.len(), ok.len());
        assert_eq!(
            got.get("kernel.sem").map(String::as_str),
            Some("250 32000 32 128")
        );
        // podman's default: root may ping (not with the host's network).
        assert_eq!(
            linux(&Fx::new().ok()).sysctl(),
            &Some(HashMap::from([(
                "net.ipv4.ping_group_range".to_string(),
                "0 0".to_string()
            )]))
        );
        let host_net = Fx::opts(RunOptions {
            network: NetworkMode::Host,
            ..Default::default()
        })
        .ok();
        assert_eq!(linux(&host_net).sysctl(), &None);

        let err = |list: &[&str], network: NetworkMode| {
            Fx::opts(RunOptions {
                sysctls: strings(list),
                network,
                ..Default::default()
            })
            .err()
        };
        let e = err(&["kernel.panic=1"], NetworkMode::Private);
        assert!(
            e.starts_with("sysctl \"kernel.panic\" is not allowed"),
            "{e}"
        );
        assert!(err(&["vm.swappiness=10"], NetworkMode::None).contains("not namespaced"));
        assert_eq!(
            err(&["net.ipv4.ip_forward=1"], NetworkMode::Host),
            "sysctl net.ipv4.ip_forward=1 can't be set since Network Namespace set to host"
        );
        assert_eq!(
            err(&["kernel.hostname=x"], NetworkMode::Host),
            "sysctl kernel.hostname=x can't be set since UTS Namespace set to host"
        );
        let none_net = Fx::opts(RunOptions {
            sysctls: strings(&["fs.mqueue.msg_max=20", "net.core.somaxconn=1"]),
            network: NetworkMode::None,
            ..Default::default()
        })
        .ok();
        assert_eq!(
            linux(&none_net).sysctl().as_ref().map(HashMap::len),
            Some(3)
        );
        assert_eq!(
            err(&["net.ipv4.ip_forward"], NetworkMode::Private),
            "invalid sysctl \"net.ipv4.ip_forward\": want KEY=VALUE"
        );
        assert_eq!(
            err(&["=1"], NetworkMode::Private),
            "invalid sysctl \"=1\": want KEY=VALUE"
        );
    }

    // ----- rlimits -----------------------------------------------------------------------

    fn rl(typ: PosixRlimitType, soft: u64, hard: u64) -> PosixRlimit {
        PosixRlimitBuilder::default()
            .typ(typ)
            .soft(soft)
            .hard(hard)
            .build()
            .expect("rlimit")
    }

    #[test]
    fn ulimit_parsing() {
        use PosixRlimitType::*;
        let cases = [
            ("nofile=1024", rl(RlimitNofile, 1024, 1024)),
            ("nofile=1024:2048", rl(RlimitNofile, 1024, 2048)),
            ("nproc=unlimited", rl(RlimitNproc, u64::MAX, u64::MAX)),
            ("core=-1", rl(RlimitCore, u64::MAX, u64::MAX)),
            ("core=0:-1", rl(RlimitCore, 0, u64::MAX)),
            ("memlock=-1:-1", rl(RlimitMemlock, u64::MAX, u64::MAX)),
            ("rtprio=0", rl(RlimitRtprio, 0, 0)),
            (
                "sigpending=10:UNLIMITED",
                rl(RlimitSigpending, 10, u64::MAX),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_ulimit(text).expect(text), want, "{text}");
        }
        let errors = [
            ("nofile", "invalid ulimit argument: nofile"),
            ("bogus=1", "invalid ulimit type: bogus"),
            ("NOFILE=1", "invalid ulimit type: NOFILE"),
            (
                "nofile=2:1",
                "ulimit soft limit must be less than or equal to hard limit: 2 > 1",
            ),
            (
                "nofile=-1:5",
                "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 5",
            ),
            (
                "nofile=abc",
                "invalid ulimit value \"abc\" in nofile=abc: want a number, -1 or unlimited",
            ),
            (
                "nofile=-5",
                "invalid ulimit value \"-5\" in nofile=-5: want a number, -1 or unlimited",
            ),
            (
                "nofile=1:2:3",
                "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`",
            ),
        ];
        for (text, msg) in errors {
            assert_eq!(parse_ulimit(text).expect_err(text).to_string(), msg);
        }
    }

    #[test]
    fn ulimits_override_the_callers_defaults() {
        use PosixRlimitType::*;
        let mut fx = Fx::new();
        fx.rlimits = vec![
            rl(RlimitNofile, 1048576, 1048576),
            rl(RlimitNproc, 4096, 8192),
        ];
        assert_eq!(process(&fx.ok()).rlimits(), &Some(fx.rlimits.clone()));
        fx.opts.ulimits = strings(&["nproc=100", "core=0", "nproc=200:300"]);
        assert_eq!(
            process(&fx.ok()).rlimits(),
            &Some(vec![
                rl(RlimitNofile, 1048576, 1048576),
                rl(RlimitNproc, 200, 300),
                rl(RlimitCore, 0, 0),
            ])
        );
        fx.opts.ulimits = strings(&["host"]);
        assert!(fx.err().contains("--ulimit host is not supported"));
    }

    // ----- the rest of the process, annotations, JSON ------------------------------------

    #[test]
    fn terminal_no_new_privileges_umask_oom() {
        let s = Fx::new().ok();
        let p = process(&s);
        assert_eq!(p.terminal(), Some(false));
        assert_eq!(p.no_new_privileges(), Some(false));
        assert_eq!(p.oom_score_adj(), None);
        assert_eq!(p.user().umask(), Some(0o022));
        let s = Fx::opts(RunOptions {
            tty: true,
            interactive: true,
            no_new_privileges: true,
            ..Default::default()
        })
        .ok();
        let p = process(&s);
        assert_eq!(
            (p.terminal(), p.no_new_privileges()),
            (Some(true), Some(true))
        );
    }

    #[test]
    fn annotations_and_stop_signal() {
        let ann = |fx: &Fx| fx.ok().annotations().clone().expect("annotations");
        let mut fx = Fx::new();
        let a = ann(&fx);
        assert_eq!(a.get(ANNOTATION_MANAGER).map(String::as_str), Some("rl"));
        assert_eq!(
            a.get(ANNOTATION_STOP_SIGNAL).map(String::as_str),
            Some("15")
        );
        fx.cfg().stop_signal = Some("SIGQUIT".into());
        assert_eq!(
            ann(&fx).get(ANNOTATION_STOP_SIGNAL).map(String::as_str),
            Some("3")
        );
        fx.opts.stop_signal = Some("rtmin+3".into());
        assert_eq!(
            ann(&fx).get(ANNOTATION_STOP_SIGNAL).map(String::as_str),
            Some("37")
        );
        fx.opts.stop_signal = Some("SIGNOPE".into());
        assert_eq!(fx.err(), "invalid signal: SIGNOPE");
        fx.opts.stop_signal = None;
        fx.opts
            .annotations
            .insert("org.example/key".into(), "v".into());
        fx.opts
            .annotations
            .insert(ANNOTATION_MANAGER.into(), "other".into());
        fx.opts.labels.insert("label".into(), "not copied".into());
        let a = ann(&fx);
        assert_eq!(a.get("org.example/key").map(String::as_str), Some("v"));
        assert_eq!(a.get(ANNOTATION_MANAGER).map(String::as_str), Some("other"));
        assert!(!a.contains_key("label"));
        fx.opts.annotations.insert(String::new(), "v".into());
        assert!(fx.err().contains("key is empty"));
    }

    #[test]
    fn signal_names_and_numbers() {
        for (s, n) in [
            ("TERM", 15),
            ("sigterm", 15),
            ("SIGKILL", 9),
            ("9", 9),
            ("64", 64),
            ("SIGRTMIN", 34),
            ("RTMIN+30", 64),
            ("SIGRTMAX-1", 63),
            ("cld", 17),
            ("SIGWINCH", 28),
        ] {
            assert_eq!(parse_signal(s).expect(s), n, "{s}");
        }
        for s in [
            "", "0", "65", "SIGFOO", "RTMIN+31", "RTMAX-31", "RTMIN-1", "-9", "TERM15",
        ] {
            assert!(parse_signal(s).is_err(), "{s}");
        }
    }

    #[test]
    fn spec_serialises_and_round_trips() {
        let mut fx = Fx::opts(RunOptions {
            tty: true,
            user: Some("alice".into()),
            env: strings(&["A=1"]),
            sysctls: strings(&["net.ipv4.ip_forward=1"]),
            ulimits: strings(&["nofile=1024:4096"]),
            tmpfs: strings(&["/scratch"]),
            mounts: vec![MountSpec::bind("/h", "/data", &["ro"])],
            read_only: true,
            cap_add: strings(&["NET_ADMIN"]),
            ..Default::default()
        });
        fx.opts.annotations.insert("k".into(), "v".into());
        let spec = fx.ok();
        let text = serde_json::to_string_pretty(&spec).expect("serialise");
        let back: Spec = serde_json::from_str(&text).expect("parse back");
        assert_eq!(back, spec);

        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["ociVersion"], "1.1.0");
        assert_eq!(v["root"]["path"], "rootfs");
        assert_eq!(v["root"]["readonly"], true);
        assert_eq!(v["process"]["terminal"], true);
        assert_eq!(v["process"]["user"]["uid"], 1000);
        assert_eq!(v["process"]["cwd"], "/");
        assert_eq!(v["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
        assert_eq!(v["linux"]["uidMappings"][0]["hostID"], 1000);
        assert_eq!(v["linux"]["namespaces"][0]["type"], "user");
        assert!(
            v["process"]["capabilities"]["ambient"]
                .as_array()
                .expect("ambient")
                .contains(&serde_json::json!("CAP_NET_ADMIN"))
        );
        assert!(v["linux"].get("seccomp").is_none());
        assert!(v["linux"].get("resources").is_none());
        assert!(v.get("hooks").is_none());
    }

    #[test]
    fn debug_of_inputs_does_not_need_the_closure() {
        let fx = Fx::new();
        let lookup = |_: &str| None;
        let inp = SpecInputs {
            image: &fx.image,
            opts: &fx.opts,
            users: &fx.users,
            host_env: &lookup,
            uid_map: &fx.uid_map,
            gid_map: &fx.gid_map,
            container_id: ID,
            container_name: "n",
            default_rlimits: &[],
            host_devices: &[],
        };
        assert!(format!("{inp:?}").contains("container_name"));
    }
}
