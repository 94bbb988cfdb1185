//! The last steps before exec, in the order the kernel's rules require: hostname and rlimits
//! while still root in the user namespace (sysctls are set earlier, before /proc/sys becomes
//! read-only: see `mounts::prepare_root`); the working directory; then the bounding set,
//! groups and ids (with KEEPCAPS so the capabilities survive the uid change), the remaining
//! capability sets, no_new_privs, descriptors closed on exec, and exec itself. The seccomp filter
//! goes in last under no_new_privs, else just before the uid switch (see [`finish_and_exec`]).

use std::convert::Infallible;
use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;

use oci_spec::runtime::{LinuxCapabilities, Spec};

use super::SetupError;
use crate::error::{EXIT_NOT_FOUND, EXIT_NOT_INVOCABLE};

type Res<T> = std::result::Result<T, SetupError>;

fn fail(what: impl std::fmt::Display, e: impl std::fmt::Display) -> SetupError {
    SetupError::rl(format!("{what}: {e}"))
}

/// Apply the process part of the spec, install `seccomp` (a compiled filter, None: unconfined)
/// and exec (behind rl's own pid 1 with `init`, see [`super::init`]); returns only on failure.
pub fn finish_and_exec(spec: &Spec, seccomp: Option<&[u8]>, init: bool) -> Res<Infallible> {
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| SetupError::rl("the spec has no process"))?;
    if let Some(h) = spec.hostname() {
        nix::unistd::sethostname(h).map_err(|e| fail("set the hostname", e.desc()))?;
    }
    for r in process.rlimits().iter().flatten() {
        let name = serde_json::to_value(r.typ())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let resource = rlimit_resource(&name)
            .ok_or_else(|| SetupError::rl(format!("unknown rlimit {name}")))?;
        nix::sys::resource::setrlimit(resource, r.soft(), r.hard())
            .map_err(|e| fail(format!("set {name}"), e.desc()))?;
    }
    let cwd = process.cwd();
    if std::fs::metadata(cwd).map(|m| !m.is_dir()).unwrap_or(true) {
        // docker and podman create a missing working directory.
        std::fs::create_dir_all(cwd)
            .map_err(|e| fail(format!("create the working directory {}", cwd.display()), e))?;
    }
    nix::unistd::chdir(cwd.as_path()).map_err(|e| {
        fail(
            format!("change to the working directory {}", cwd.display()),
            e.desc(),
        )
    })?;
    let args = process.args().clone().unwrap_or_default();
    let env = process.env().clone().unwrap_or_default();
    let program = find_program(args.first().map(String::as_str).unwrap_or(""), &env)?;
    let user = process.user();
    if let Some(caps) = process.capabilities() {
        drop_bounding(caps)?;
    }
    let switching = user.uid() != 0;
    if switching {
        caps::securebits::set_keepcaps(true).map_err(|e| fail("keep capabilities", e))?;
    }
    let groups: Vec<nix::unistd::Gid> = user
        .additional_gids()
        .iter()
        .flatten()
        .map(|g| nix::unistd::Gid::from_raw(*g))
        .collect();
    if setgroups_allowed() {
        nix::unistd::setgroups(&groups).map_err(|e| fail("set supplementary groups", e.desc()))?;
    }
    let gid = nix::unistd::Gid::from_raw(user.gid());
    nix::unistd::setresgid(gid, gid, gid)
        .map_err(|e| fail(format!("set gid {}", user.gid()), e.desc()))?;
    // seccomp(2) accepts a filter only under no_new_privs or from a process with CAP_SYS_ADMIN in
    // its user namespace. Without no_new_privs (the default, as in docker and podman) install it
    // here, while the process still holds every capability: the uid switch below clears the
    // effective set and set_caps narrows it. runc and crun order it the same way; the filter then
    // also governs the few steps left (setresuid, capset, prctl, close_range, execve), which any
    // usable profile allows. With no_new_privs it goes last, just before execve.
    let nnp = process.no_new_privileges() == Some(true);
    if !nnp && let Some(bpf) = seccomp {
        install_seccomp(bpf)?;
    }
    let uid = nix::unistd::Uid::from_raw(user.uid());
    nix::unistd::setresuid(uid, uid, uid)
        .map_err(|e| fail(format!("set uid {}", user.uid()), e.desc()))?;
    if let Some(caps) = process.capabilities() {
        set_caps(caps)?;
    }
    if process.no_new_privileges() == Some(true) {
        nix::sys::prctl::set_no_new_privs().map_err(|e| fail("set no_new_privs", e.desc()))?;
    }
    super::sys::cloexec_from(3).map_err(|e| fail("close inherited descriptors", e))?;
    crate::timing::mark("container: exec");
    let c = |s: &str| {
        CString::new(s).map_err(|_| SetupError::rl(format!("argument contains a NUL byte: {s:?}")))
    };
    let argv: Vec<CString> = args.iter().map(|a| c(a)).collect::<Res<_>>()?;
    let envp: Vec<CString> = env.iter().map(|a| c(a)).collect::<Res<_>>()?;
    let path = c(&program)?;
    if nnp && let Some(bpf) = seccomp {
        install_seccomp(bpf)?;
    }
    if init {
        super::init::split()?;
    }
    let e = nix::unistd::execve(&path, &argv, &envp)
        .err()
        .unwrap_or(nix::errno::Errno::EINVAL);
    let name = args.first().cloned().unwrap_or_default();
    Err(match e {
        nix::errno::Errno::ENOENT => SetupError {
            code: EXIT_NOT_FOUND,
            message: format!("{name}: no such file or directory (or its interpreter is missing)"),
        },
        nix::errno::Errno::EACCES | nix::errno::Errno::ENOEXEC | nix::errno::Errno::EISDIR => {
            SetupError {
                code: EXIT_NOT_INVOCABLE,
                message: format!("{name}: cannot execute: {}", e.desc()),
            }
        }
        other => fail(format!("exec {name}"), other.desc()),
    })
}

fn install_seccomp(bpf: &[u8]) -> Res<()> {
    super::sys::install_seccomp(bpf).map_err(|e| fail("install the seccomp filter", e))
}

fn setgroups_allowed() -> bool {
    std::fs::read_to_string("/proc/self/setgroups").is_ok_and(|s| s.trim() == "allow")
}

/// Find the program as execvp would, with the container's PATH; 127 when it is not there, 126
/// when it is there but not executable.
fn find_program(name: &str, env: &[String]) -> Res<String> {
    if name.is_empty() {
        return Err(SetupError::rl("no command specified"));
    }
    let not_invocable = |p: &str, why: &str| SetupError {
        code: EXIT_NOT_INVOCABLE,
        message: format!("{p}: {why}"),
    };
    let check = |p: &str| -> Option<Res<String>> {
        let m = std::fs::metadata(p).ok()?;
        Some(if m.is_dir() {
            Err(not_invocable(p, "is a directory"))
        } else if m.permissions().mode() & 0o111 == 0 {
            Err(not_invocable(p, "permission denied"))
        } else {
            Ok(p.to_string())
        })
    };
    if name.contains('/') {
        return check(name).unwrap_or_else(|| {
            Err(SetupError {
                code: EXIT_NOT_FOUND,
                message: format!("{name}: no such file or directory"),
            })
        });
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let mut first_error = None;
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let candidate = format!("{}/{name}", dir.trim_end_matches('/'));
        match check(&candidate) {
            Some(Ok(p)) => return Ok(p),
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            None => {}
        }
    }
    Err(first_error.unwrap_or(SetupError {
        code: EXIT_NOT_FOUND,
        message: format!("executable file `{name}` not found in $PATH"),
    }))
}

fn to_caps(set: Option<&oci_spec::runtime::Capabilities>) -> Res<caps::CapsHashSet> {
    let mut out = caps::CapsHashSet::new();
    for c in set.into_iter().flatten() {
        let name = format!("CAP_{c}");
        let cap = name
            .parse::<caps::Capability>()
            .map_err(|_| SetupError::rl(format!("unknown capability {name}")))?;
        out.insert(cap);
    }
    Ok(out)
}

fn drop_bounding(c: &LinuxCapabilities) -> Res<()> {
    let keep = to_caps(c.bounding().as_ref())?;
    for cap in caps::all() {
        if !keep.contains(&cap) {
            // Capabilities this kernel does not know cannot be dropped and need not be.
            if let Err(e) = caps::drop(None, caps::CapSet::Bounding, cap)
                && caps::runtime::thread_all_supported().contains(&cap)
            {
                return Err(fail(format!("drop {cap} from the bounding set"), e));
            }
        }
    }
    Ok(())
}

fn set_caps(c: &LinuxCapabilities) -> Res<()> {
    let effective = to_caps(c.effective().as_ref())?;
    let permitted = to_caps(c.permitted().as_ref())?;
    let inheritable = to_caps(c.inheritable().as_ref())?;
    let ambient = to_caps(c.ambient().as_ref())?;
    // The kernel wants effective ⊆ permitted after every call: narrow effective first.
    caps::set(None, caps::CapSet::Effective, &effective)
        .map_err(|e| fail("set effective capabilities", e))?;
    caps::set(None, caps::CapSet::Permitted, &permitted)
        .map_err(|e| fail("set permitted capabilities", e))?;
    caps::set(None, caps::CapSet::Inheritable, &inheritable)
        .map_err(|e| fail("set inheritable capabilities", e))?;
    caps::clear(None, caps::CapSet::Ambient).map_err(|e| fail("clear ambient capabilities", e))?;
    for cap in ambient {
        caps::raise(None, caps::CapSet::Ambient, cap)
            .map_err(|e| fail(format!("raise ambient {cap}"), e))?;
    }
    Ok(())
}

fn rlimit_resource(name: &str) -> Option<nix::sys::resource::Resource> {
    use nix::sys::resource::Resource as R;
    Some(match name {
        "RLIMIT_CPU" => R::RLIMIT_CPU,
        "RLIMIT_FSIZE" => R::RLIMIT_FSIZE,
        "RLIMIT_DATA" => R::RLIMIT_DATA,
        "RLIMIT_STACK" => R::RLIMIT_STACK,
        "RLIMIT_CORE" => R::RLIMIT_CORE,
        "RLIMIT_RSS" => R::RLIMIT_RSS,
        "RLIMIT_NPROC" => R::RLIMIT_NPROC,
        "RLIMIT_NOFILE" => R::RLIMIT_NOFILE,
        "RLIMIT_MEMLOCK" => R::RLIMIT_MEMLOCK,
        "RLIMIT_AS" => R::RLIMIT_AS,
        "RLIMIT_LOCKS" => R::RLIMIT_LOCKS,
        "RLIMIT_SIGPENDING" => R::RLIMIT_SIGPENDING,
        "RLIMIT_MSGQUEUE" => R::RLIMIT_MSGQUEUE,
        "RLIMIT_NICE" => R::RLIMIT_NICE,
        "RLIMIT_RTPRIO" => R::RLIMIT_RTPRIO,
        "RLIMIT_RTTIME" => R::RLIMIT_RTTIME,
        _ => return None,
    })
}
