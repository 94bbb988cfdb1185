//! Seccomp: which system calls a container may make.
//!
//! * [`default_profile`] is rl's built-in policy, an allow-list equivalent in effect to docker's
//!   and podman's default: anything not listed fails with `EPERM`; a few calls are allowed only
//!   with a capability in the container's bounding set (docker decides on the bounding set too, so
//!   `-u 1000` gets the same filter as root).
//! * [`load_profile`] reads a docker/podman JSON profile (`--security-opt seccomp=FILE`).
//! * [`prepare`] resolves a profile for this host (architecture, kernel, capabilities) into a
//!   [`Resolved`] rule list, compiles it with libseccomp into a classic BPF program, and caches the
//!   program under `<storage>/seccomp/<sha256>.bpf`. This happens in the parent, before any fork
//!   (crun does the same): a cache hit costs a file read, a miss a few milliseconds of libseccomp.
//!   libseccomp starts no threads, so rl stays single-threaded for the namespaces to come.
//!
//! The child installs the program with [`super::sys::install_seccomp`]; [`super::process`] says
//! when.

use std::collections::BTreeSet;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use oci_spec::runtime::Spec;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// Seccomp failures; each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    /// The profile file could not be read.
    #[error("read seccomp profile {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The profile is not a valid docker/podman seccomp profile.
    #[error("seccomp profile {origin}: {message}")]
    Invalid {
        /// The file, or "built-in".
        origin: String,
        /// What is wrong, and where.
        message: String,
    },
    /// libseccomp refused the filter.
    #[error("compile the seccomp filter: {0}")]
    Compile(String),
    /// `--security-opt seccomp=` without a value.
    #[error("invalid --security-opt seccomp={0:?}: want unconfined, builtin or a profile file")]
    Usage(String),
}

type Result<T, E = SeccompError> = std::result::Result<T, E>;

// ----- the JSON profile format -------------------------------------------------------------

/// A seccomp profile in the JSON format docker and podman read (the fields rl uses; others, such
/// as `comment`, are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// `SCMP_ACT_ERRNO`, `SCMP_ACT_ALLOW`, ...: what happens to a call no rule matches.
    #[serde(default)]
    pub default_action: String,
    /// The errno of a `SCMP_ACT_ERRNO` default action (EPERM when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// libseccomp architectures (`SCMP_ARCH_X86_64`, ...) the filter covers besides the native one.
    #[serde(default, deserialize_with = "null_as_default")]
    pub architectures: Vec<String>,
    /// Per native architecture, the architectures to cover (docker's `archMap`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub arch_map: Vec<ArchMap>,
    /// The rules, in order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub syscalls: Vec<SyscallRule>,
}

/// One `archMap` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMap {
    /// The native architecture this entry applies to.
    pub architecture: String,
    /// The architectures its processes can also run (`SCMP_ARCH_X86` and `SCMP_ARCH_X32` for
    /// x86_64).
    #[serde(default, deserialize_with = "null_as_default")]
    pub sub_architectures: Vec<String>,
}

/// One `syscalls[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyscallRule {
    /// A single name (old profiles); exclusive with `names`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The system calls this rule is about.
    #[serde(default, deserialize_with = "null_as_default")]
    pub names: Vec<String>,
    /// `SCMP_ACT_*`.
    pub action: String,
    /// The errno of `SCMP_ACT_ERRNO` (EPERM when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    /// Conditions on the arguments, all of which must hold (several on the same argument: any).
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<ArgRule>,
    /// The rule applies only when all of these hold.
    #[serde(default, deserialize_with = "null_as_default")]
    pub includes: Condition,
    /// The rule does not apply when any of these holds.
    #[serde(default, deserialize_with = "null_as_default")]
    pub excludes: Condition,
}

/// A condition on one argument.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgRule {
    /// Argument number, 0 to 5.
    pub index: u32,
    /// The value compared with (the mask for `SCMP_CMP_MASKED_EQ`).
    pub value: u64,
    /// The value the masked argument must equal (`SCMP_CMP_MASKED_EQ` only).
    #[serde(default)]
    pub value_two: u64,
    /// `SCMP_CMP_EQ`, `SCMP_CMP_NE`, `SCMP_CMP_LT`, `SCMP_CMP_LE`, `SCMP_CMP_GT`, `SCMP_CMP_GE`,
    /// `SCMP_CMP_MASKED_EQ`.
    #[serde(with = "op_name")]
    pub op: Op,
}

/// An `includes`/`excludes` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Capabilities (`CAP_SYS_ADMIN`), checked against the bounding set.
    #[serde(default, deserialize_with = "null_as_default")]
    pub caps: Vec<String>,
    /// Native architectures in docker's spelling (`amd64`, `arm64`, `s390x`, ...).
    #[serde(default, deserialize_with = "null_as_default")]
    pub arches: Vec<String>,
    /// A kernel version, `MAJOR.MINOR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<String>,
}

fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Argument comparison operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Op {
    /// `SCMP_CMP_EQ`
    #[default]
    Eq,
    /// `SCMP_CMP_NE`
    Ne,
    /// `SCMP_CMP_LT`
    Lt,
    /// `SCMP_CMP_LE`
    Le,
    /// `SCMP_CMP_GT`
    Gt,
    /// `SCMP_CMP_GE`
    Ge,
    /// `SCMP_CMP_MASKED_EQ`
    MaskedEq,
}

const OPS: &[(&str, Op)] = &[
    ("SCMP_CMP_EQ", Op::Eq),
    ("SCMP_CMP_NE", Op::Ne),
    ("SCMP_CMP_LT", Op::Lt),
    ("SCMP_CMP_LE", Op::Le),
    ("SCMP_CMP_GT", Op::Gt),
    ("SCMP_CMP_GE", Op::Ge),
    ("SCMP_CMP_MASKED_EQ", Op::MaskedEq),
];

mod op_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{OPS, Op};

    pub fn serialize<S: Serializer>(op: &Op, s: S) -> Result<S::Ok, S::Error> {
        let name = OPS.iter().find(|(_, o)| o == op).map_or("", |(n, _)| n);
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Op, D::Error> {
        let name = String::deserialize(d)?;
        OPS.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, o)| *o)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown operator {name:?}")))
    }
}

/// What the filter does with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    /// Let it through.
    Allow,
    /// Fail it with this errno.
    Errno(u16),
    /// Kill the thread (`SCMP_ACT_KILL`, `SCMP_ACT_KILL_THREAD`).
    KillThread,
    /// Kill the process.
    KillProcess,
    /// Send SIGSYS.
    Trap,
    /// Notify a ptrace tracer (fails with ENOSYS without one).
    Trace(u16),
    /// Let it through and log it.
    Log,
}

impl Action {
    fn parse(name: &str, errno: Option<u32>) -> std::result::Result<Action, String> {
        let data = || {
            let v = errno.unwrap_or(libc::EPERM.unsigned_abs());
            u16::try_from(v).map_err(|_| format!("errnoRet {v} is out of range"))
        };
        Ok(match name {
            "SCMP_ACT_ALLOW" => Action::Allow,
            "SCMP_ACT_ERRNO" => Action::Errno(data()?),
            "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => Action::KillThread,
            "SCMP_ACT_KILL_PROCESS" => Action::KillProcess,
            "SCMP_ACT_TRAP" => Action::Trap,
            "SCMP_ACT_TRACE" => Action::Trace(data()?),
            "SCMP_ACT_LOG" => Action::Log,
            "SCMP_ACT_NOTIFY" => {
                return Err(
                    "SCMP_ACT_NOTIFY needs a seccomp agent, which rl does not have".to_string(),
                );
            }
            "" => return Err("the action is missing".to_string()),
            other => return Err(format!("unknown action {other:?}")),
        })
    }

    fn to_scmp(self) -> ScmpAction {
        match self {
            Action::Allow => ScmpAction::Allow,
            Action::Errno(e) => ScmpAction::Errno(i32::from(e)),
            Action::KillThread => ScmpAction::KillThread,
            Action::KillProcess => ScmpAction::KillProcess,
            Action::Trap => ScmpAction::Trap,
            Action::Trace(m) => ScmpAction::Trace(m),
            Action::Log => ScmpAction::Log,
        }
    }
}

/// Read a docker/podman JSON profile and check it; every error is one line naming the file and,
/// where it applies, the rule (`syscalls[3]`).
pub fn load_profile(path: &Path) -> Result<Profile> {
    let text = std::fs::read(path).map_err(|source| SeccompError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_profile(&text, &path.display().to_string())
}

/// Parse and check a JSON profile; `origin` names it in errors.
pub fn parse_profile(text: &[u8], origin: &str) -> Result<Profile> {
    let invalid = |message: String| SeccompError::Invalid {
        origin: origin.to_string(),
        message,
    };
    let profile: Profile = serde_json::from_slice(text).map_err(|e| invalid(e.to_string()))?;
    profile.check().map_err(invalid)?;
    Ok(profile)
}

impl Profile {
    /// Semantic checks serde cannot make: known actions, operators and architectures, argument
    /// numbers, kernel versions, `name` xor `names`.
    fn check(&self) -> std::result::Result<(), String> {
        Action::parse(&self.default_action, self.default_errno_ret)
            .map_err(|e| format!("defaultAction: {e}"))?;
        if !self.architectures.is_empty() && !self.arch_map.is_empty() {
            return Err("give either architectures or archMap, not both".to_string());
        }
        let archs = self.architectures.iter().chain(
            self.arch_map
                .iter()
                .flat_map(|m| std::iter::once(&m.architecture).chain(&m.sub_architectures)),
        );
        for a in archs {
            ScmpArch::from_str(a).map_err(|_| format!("unknown architecture {a:?}"))?;
        }
        for (i, rule) in self.syscalls.iter().enumerate() {
            let at = |e: String| format!("syscalls[{i}]: {e}");
            if !rule.name.is_empty() && !rule.names.is_empty() {
                return Err(at("give either name or names, not both".to_string()));
            }
            if rule.name.is_empty() && rule.names.is_empty() {
                return Err(at("no system call named".to_string()));
            }
            Action::parse(&rule.action, rule.errno_ret).map_err(at)?;
            for arg in &rule.args {
                if arg.index > 5 {
                    return Err(at(format!(
                        "argument index {} (system calls have 6: 0 to 5)",
                        arg.index
                    )));
                }
            }
            for c in [&rule.includes, &rule.excludes] {
                if let Some(k) = &c.min_kernel {
                    parse_kernel(k).ok_or_else(|| at(format!("invalid minKernel {k:?}")))?;
                }
            }
        }
        Ok(())
    }
}

/// `MAJOR.MINOR[.PATCH][-anything]` as a comparable triple.
fn parse_kernel(s: &str) -> Option<(u32, u32, u32)> {
    let core = s
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut it = core.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    let patch = it.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

// ----- the built-in profile ------------------------------------------------------------------

/// Calls any ordinary program may make. What is missing is denied (EPERM) unless a group below
/// allows it: loading code into the kernel or a new kernel (`init_module`, `kexec_load`), the
/// keyring (`add_key`, `keyctl`, `request_key`: not namespaced), `bpf` and `perf_event_open`,
/// mounting and namespace changes, `open_by_handle_at` (the "shocker" escape), `userfaultfd`,
/// `io_uring_*` (a large attack surface docker stopped allowing), `ptrace` on old kernels, clock
/// and swap control, `reboot`, `acct`, `quotactl`, `uselib`, `ustat`, `sysfs`, `vm86`, `nfsservctl`.
/// Names the running libseccomp does not know (for example 32-bit variants on other
/// architectures, or calls newer than it) are skipped at compile time.
const BASE_ALLOWED: &[&str] = &[
    // Files, directories and descriptors.
    "access",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "close",
    "close_range",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "flock",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futimesat",
    "getcwd",
    "getdents",
    "getdents64",
    "lchown",
    "lchown32",
    "link",
    "linkat",
    "_llseek",
    "lseek",
    "lstat",
    "lstat64",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "name_to_handle_at",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pread64",
    "preadv",
    "preadv2",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "rename",
    "renameat",
    "renameat2",
    "rmdir",
    "sendfile",
    "sendfile64",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "tee",
    "truncate",
    "truncate64",
    "umask",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vmsplice",
    "write",
    "writev",
    "cachestat",
    "ioctl",
    "pipe",
    "pipe2",
    // Extended attributes.
    "fgetxattr",
    "flistxattr",
    "fremovexattr",
    "fsetxattr",
    "getxattr",
    "getxattrat",
    "lgetxattr",
    "listxattr",
    "listxattrat",
    "llistxattr",
    "lremovexattr",
    "lsetxattr",
    "removexattr",
    "removexattrat",
    "setxattr",
    "setxattrat",
    // Waiting for events: poll, epoll, select, inotify, fanotify marks, eventfd, signalfd, timerfd,
    // Linux AIO.
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "fanotify_mark",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "io_setup",
    "io_submit",
    "_newselect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "pselect6",
    "pselect6_time64",
    "select",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    // Memory.
    "brk",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mremap",
    "mseal",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "remap_file_pages",
    // Processes, threads and scheduling (clone is below: only without namespace flags).
    "capget",
    "capset",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "fork",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "get_robust_list",
    "get_thread_area",
    "getcpu",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getrlimit",
    "getrusage",
    "getsid",
    "gettid",
    "ioprio_get",
    "ioprio_set",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "prctl",
    "prlimit64",
    "process_mrelease",
    "restart_syscall",
    "rseq",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "set_robust_list",
    "set_thread_area",
    "set_tid_address",
    "setpgid",
    "setpriority",
    "setrlimit",
    "setsid",
    "sysinfo",
    "tgkill",
    "times",
    "tkill",
    "ugetrlimit",
    "uname",
    "uretprobe",
    "vfork",
    "wait4",
    "waitid",
    "waitpid",
    // User and group ids (the kernel checks CAP_SETUID/CAP_SETGID).
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getuid",
    "getuid32",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setuid",
    "setuid32",
    // Signals and interval timers.
    "alarm",
    "getitimer",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "setitimer",
    "sigaltstack",
    "sigprocmask",
    "sigreturn",
    // Clocks and timers (reading; adjtimex and clock_adjtime only read without CAP_SYS_TIME).
    "adjtimex",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "gettimeofday",
    "nanosleep",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    // Sockets (socket itself is below: every family but AF_VSOCK).
    "accept",
    "accept4",
    "bind",
    "connect",
    "getpeername",
    "getsockname",
    "getsockopt",
    "listen",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "send",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setsockopt",
    "shutdown",
    "socketcall",
    "socketpair",
    // System V and POSIX IPC (namespaced).
    "ipc",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
];

/// Calls allowed only with a capability in the bounding set, as docker gates them. rl runs
/// rootless and gives containers no CAP_SYS_ADMIN unless asked (`--cap-add`), so by default
/// mounting, namespaces and the rest of the first group stay denied.
const CAPABILITY_GATED: &[(&str, &[&str])] = &[
    (
        "CAP_SYS_ADMIN",
        &[
            "bpf",
            "clone",
            "clone3",
            "fanotify_init",
            "fsconfig",
            "fsmount",
            "fsopen",
            "fspick",
            "lookup_dcookie",
            "mount",
            "mount_setattr",
            "move_mount",
            "open_tree",
            "perf_event_open",
            "pivot_root",
            "quotactl",
            "quotactl_fd",
            "setdomainname",
            "sethostname",
            "setns",
            "syslog",
            "umount",
            "umount2",
            "unshare",
        ],
    ),
    ("CAP_SYS_BOOT", &["reboot"]),
    ("CAP_SYS_CHROOT", &["chroot"]),
    (
        "CAP_SYS_MODULE",
        &["delete_module", "init_module", "finit_module"],
    ),
    ("CAP_SYS_PACCT", &["acct"]),
    (
        "CAP_SYS_PTRACE",
        &[
            "kcmp",
            "pidfd_getfd",
            "process_madvise",
            "process_vm_readv",
            "process_vm_writev",
            "ptrace",
        ],
    ),
    ("CAP_SYS_RAWIO", &["iopl", "ioperm"]),
    (
        "CAP_SYS_TIME",
        &["settimeofday", "stime", "clock_settime", "clock_settime64"],
    ),
    ("CAP_SYS_TTY_CONFIG", &["vhangup"]),
    (
        "CAP_SYS_NICE",
        &[
            "get_mempolicy",
            "mbind",
            "set_mempolicy",
            "set_mempolicy_home_node",
        ],
    ),
    ("CAP_SYSLOG", &["syslog"]),
    ("CAP_BPF", &["bpf"]),
    ("CAP_PERFMON", &["perf_event_open"]),
    ("CAP_DAC_READ_SEARCH", &["open_by_handle_at"]),
];

/// Calls only some architectures have: (docker's architecture names, calls).
const ARCH_SPECIFIC: &[(&[&str], &[&str])] = &[
    (&["amd64", "x32"], &["arch_prctl"]),
    (&["amd64", "x32", "x86"], &["modify_ldt"]),
    (
        &["arm", "arm64"],
        &[
            "arm_fadvise64_64",
            "arm_sync_file_range",
            "sync_file_range2",
            "breakpoint",
            "cacheflush",
            "set_tls",
        ],
    ),
    (&["ppc64le"], &["sync_file_range2", "swapcontext"]),
    (
        &["s390", "s390x"],
        &[
            "s390_pci_mmio_read",
            "s390_pci_mmio_write",
            "s390_runtime_instr",
        ],
    ),
    (&["riscv64"], &["riscv_flush_icache"]),
];

/// For each native architecture, the others its processes may use (a 64-bit x86 process can
/// make 32-bit and x32 calls): the filter must cover them all, or a 32-bit call would get
/// around it by number.
const ARCH_FAMILIES: &[(&str, &[&str])] = &[
    ("SCMP_ARCH_X86_64", &["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
    ("SCMP_ARCH_AARCH64", &["SCMP_ARCH_ARM"]),
    ("SCMP_ARCH_S390X", &["SCMP_ARCH_S390"]),
    ("SCMP_ARCH_PPC64LE", &[]),
    ("SCMP_ARCH_RISCV64", &[]),
    ("SCMP_ARCH_LOONGARCH64", &[]),
];

/// Every CLONE_NEW* flag clone(2) takes: a clone with any of them needs CAP_SYS_ADMIN in docker's
/// profile (`CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
/// CLONE_NEWPID | CLONE_NEWNET`).
const CLONE_NAMESPACE_FLAGS: u64 = 0x7E02_0000;
/// AF_VSOCK: talking to the hypervisor or host over vsock is not namespaced.
const AF_VSOCK: u64 = 40;
/// personality(2) values allowed: PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26, and the
/// query 0xffffffff. Others (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, ...) weaken protections.
const PERSONALITIES: &[u64] = &[0x0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff];

fn rule(names: &[&str], action: &str) -> SyscallRule {
    SyscallRule {
        names: names.iter().map(|s| s.to_string()).collect(),
        action: action.to_string(),
        ..SyscallRule::default()
    }
}

fn arg(index: u32, op: Op, value: u64, value_two: u64) -> ArgRule {
    ArgRule {
        index,
        value,
        value_two,
        op,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// rl's built-in profile (see the module docs and the lists above for what it allows and why).
pub fn default_profile() -> Profile {
    let allow = "SCMP_ACT_ALLOW";
    let mut syscalls = vec![rule(BASE_ALLOWED, allow)];
    // Tracing other processes of the container: safe from 4.8 on, where seccomp is re-checked
    // after a tracer changes a call (before, ptrace could bypass the filter).
    syscalls.push(SyscallRule {
        includes: Condition {
            min_kernel: Some("4.8".into()),
            ..Condition::default()
        },
        ..rule(&["process_vm_readv", "process_vm_writev", "ptrace"], allow)
    });
    syscalls.push(SyscallRule {
        args: vec![arg(0, Op::Ne, AF_VSOCK, 0)],
        ..rule(&["socket"], allow)
    });
    // One rule per value: conditions in one rule must all hold.
    for p in PERSONALITIES {
        syscalls.push(SyscallRule {
            args: vec![arg(0, Op::Eq, *p, 0)],
            ..rule(&["personality"], allow)
        });
    }
    for (arches, names) in ARCH_SPECIFIC {
        syscalls.push(SyscallRule {
            includes: Condition {
                arches: strings(arches),
                ..Condition::default()
            },
            ..rule(names, allow)
        });
    }
    for (cap, names) in CAPABILITY_GATED {
        syscalls.push(SyscallRule {
            includes: Condition {
                caps: vec![cap.to_string()],
                ..Condition::default()
            },
            ..rule(names, allow)
        });
    }
    let without_sys_admin = Condition {
        caps: vec!["CAP_SYS_ADMIN".into()],
        ..Condition::default()
    };
    // Without CAP_SYS_ADMIN: clone only without namespace flags (fork, threads)...
    syscalls.push(SyscallRule {
        args: vec![arg(0, Op::MaskedEq, CLONE_NAMESPACE_FLAGS, 0)],
        excludes: Condition {
            arches: strings(&["s390", "s390x"]),
            ..without_sys_admin.clone()
        },
        ..rule(&["clone"], allow)
    });
    // (s390 passes the flags second.)
    syscalls.push(SyscallRule {
        args: vec![arg(1, Op::MaskedEq, CLONE_NAMESPACE_FLAGS, 0)],
        includes: Condition {
            arches: strings(&["s390", "s390x"]),
            ..Condition::default()
        },
        excludes: without_sys_admin.clone(),
        ..rule(&["clone"], allow)
    });
    // ...and clone3, whose flags sit in memory a filter cannot read, fails with ENOSYS so that
    // libc falls back to clone.
    syscalls.push(SyscallRule {
        errno_ret: Some(libc::ENOSYS.unsigned_abs()),
        excludes: without_sys_admin,
        ..rule(&["clone3"], "SCMP_ACT_ERRNO")
    });
    Profile {
        default_action: "SCMP_ACT_ERRNO".into(),
        default_errno_ret: Some(libc::EPERM.unsigned_abs()),
        architectures: Vec::new(),
        arch_map: ARCH_FAMILIES
            .iter()
            .map(|(a, subs)| ArchMap {
                architecture: a.to_string(),
                sub_architectures: strings(subs),
            })
            .collect(),
        syscalls,
    }
}

// ----- resolving a profile for this host ----------------------------------------------------

/// The facts about the host a profile's `includes`/`excludes` and `archMap` depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The native architecture as docker spells it in `includes.arches` (`amd64`, `arm64`, ...).
    pub arch: &'static str,
    /// The native architecture as libseccomp spells it (`SCMP_ARCH_X86_64`, ...).
    pub scmp_arch: &'static str,
    /// The running kernel's release (`uname -r`).
    pub kernel_release: String,
}

impl Host {
    /// This machine (the architecture rl was built for, which is the one it runs as).
    pub fn current() -> Host {
        let (arch, scmp_arch) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", "SCMP_ARCH_X86_64"),
            "x86" => ("x86", "SCMP_ARCH_X86"),
            "aarch64" => ("arm64", "SCMP_ARCH_AARCH64"),
            "arm" => ("arm", "SCMP_ARCH_ARM"),
            "riscv64" => ("riscv64", "SCMP_ARCH_RISCV64"),
            "s390x" => ("s390x", "SCMP_ARCH_S390X"),
            "powerpc64" if cfg!(target_endian = "little") => ("ppc64le", "SCMP_ARCH_PPC64LE"),
            "powerpc64" => ("ppc64", "SCMP_ARCH_PPC64"),
            "loongarch64" => ("loong64", "SCMP_ARCH_LOONGARCH64"),
            other => (other, "SCMP_ARCH_NATIVE"),
        };
        let kernel_release = nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default();
        Host {
            arch,
            scmp_arch,
            kernel_release,
        }
    }

    fn kernel_at_least(&self, min: &str) -> bool {
        match (parse_kernel(&self.kernel_release), parse_kernel(min)) {
            (Some(have), Some(want)) => have >= want,
            // An unreadable release: assume a current kernel.
            (None, Some(_)) => true,
            (_, None) => false,
        }
    }
}

/// A profile reduced to what applies on one host for one capability set: the input of the
/// compiler and, serialised, of the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The action for calls no rule matches.
    pub default_action: Action,
    /// libseccomp architectures to cover besides the native one, in profile order.
    pub arches: Vec<String>,
    /// The rules that apply, in profile order.
    pub rules: Vec<ResolvedRule>,
}

/// One applicable rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedRule {
    /// System call names.
    pub names: Vec<String>,
    /// What to do when one is called and the conditions hold.
    pub action: Action,
    /// Argument conditions.
    pub args: Vec<ArgRule>,
}

impl Resolved {
    /// Whether some rule gives `name` this action (with any conditions).
    pub fn has(&self, name: &str, action: Action) -> bool {
        self.rules
            .iter()
            .any(|r| r.action == action && r.names.iter().any(|n| n == name))
    }

    /// Whether some rule gives `name` this action without conditions.
    pub fn has_unconditional(&self, name: &str, action: Action) -> bool {
        self.rules
            .iter()
            .any(|r| r.action == action && r.args.is_empty() && r.names.iter().any(|n| n == name))
    }
}

/// Apply `includes`/`excludes` and `archMap` as docker does: capabilities against `caps` (the
/// bounding set, `CAP_` names), architectures against the native one, `minKernel` against the
/// running kernel.
pub fn resolve(profile: &Profile, caps: &BTreeSet<String>, host: &Host) -> Result<Resolved> {
    let invalid = |message: String| SeccompError::Invalid {
        origin: "profile".into(),
        message,
    };
    let default_action = Action::parse(&profile.default_action, profile.default_errno_ret)
        .map_err(|e| invalid(format!("defaultAction: {e}")))?;
    let mut arches: Vec<String> = Vec::new();
    let wanted = if profile.architectures.is_empty() {
        profile
            .arch_map
            .iter()
            .find(|m| m.architecture == host.scmp_arch)
            .map(|m| {
                std::iter::once(&m.architecture)
                    .chain(&m.sub_architectures)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    } else {
        profile.architectures.clone()
    };
    for a in wanted {
        if !arches.contains(&a) {
            arches.push(a);
        }
    }
    let mut rules = Vec::new();
    for (i, r) in profile.syscalls.iter().enumerate() {
        let ex = &r.excludes;
        let excluded = ex.arches.iter().any(|a| a == host.arch)
            || ex.caps.iter().any(|c| caps.contains(c))
            || ex
                .min_kernel
                .as_deref()
                .is_some_and(|k| host.kernel_at_least(k));
        let inc = &r.includes;
        let included = (inc.arches.is_empty() || inc.arches.iter().any(|a| a == host.arch))
            && inc.caps.iter().all(|c| caps.contains(c))
            && inc
                .min_kernel
                .as_deref()
                .is_none_or(|k| host.kernel_at_least(k));
        if excluded || !included {
            continue;
        }
        let action = Action::parse(&r.action, r.errno_ret)
            .map_err(|e| invalid(format!("syscalls[{i}]: {e}")))?;
        let names = if r.names.is_empty() {
            vec![r.name.clone()]
        } else {
            r.names.clone()
        };
        rules.push(ResolvedRule {
            names,
            action,
            args: r.args.clone(),
        });
    }
    Ok(Resolved {
        default_action,
        arches,
        rules,
    })
}

// ----- compiling -----------------------------------------------------------------------------

fn scmp_op(a: &ArgRule) -> ScmpArgCompare {
    let op = match a.op {
        Op::Eq => ScmpCompareOp::Equal,
        Op::Ne => ScmpCompareOp::NotEqual,
        Op::Lt => ScmpCompareOp::Less,
        Op::Le => ScmpCompareOp::LessOrEqual,
        Op::Gt => ScmpCompareOp::Greater,
        Op::Ge => ScmpCompareOp::GreaterEqual,
        // docker's format: `value` is the mask, `valueTwo` what the masked argument must equal.
        Op::MaskedEq => {
            return ScmpArgCompare::new(a.index, ScmpCompareOp::MaskedEqual(a.value), a.value_two);
        }
    };
    ScmpArgCompare::new(a.index, op, a.value)
}

/// Compile with libseccomp into a classic BPF program (`struct sock_filter` records, native byte
/// order), as `seccomp(2)` takes it.
pub fn compile(r: &Resolved) -> Result<Vec<u8>> {
    let lib = |what: &str, e: libseccomp::error::SeccompError| {
        SeccompError::Compile(format!("{what}: {e}"))
    };
    let mut ctx = ScmpFilterContext::new(r.default_action.to_scmp())
        .map_err(|e| lib("create the filter", e))?;
    // A binary tree of syscall numbers rather than a linear list. Besides fewer instructions per
    // call at run time, it makes loading the filter cheap: the kernel (seccomp_cache_prepare)
    // emulates the filter for every syscall number of every architecture when it is installed,
    // and with the linear default profile (~1,000 instructions) that took 1.5 ms of each
    // container start here; with the tree it walks a few dozen per call. Needs libseccomp 2.5;
    // older ones keep the linear form.
    let _ = ctx.set_ctl_optimize(2);
    for a in &r.arches {
        let arch = ScmpArch::from_str(a).map_err(|e| lib(a, e))?;
        // An architecture this libseccomp cannot handle cannot be covered; its calls then hit
        // the filter's bad-architecture action (kill), which is the safe side.
        let _ = ctx.add_arch(arch);
    }
    for rule in &r.rules {
        // libseccomp refuses a rule that repeats the default action; it would change nothing.
        if rule.action == r.default_action {
            continue;
        }
        let conds: Vec<ScmpArgCompare> = rule.args.iter().map(scmp_op).collect();
        // Conditions on different arguments must all hold; several on the same argument can only
        // be meant as alternatives (runc reads them so), one rule each.
        let mut seen = BTreeSet::new();
        let alternatives = !rule.args.iter().all(|a| seen.insert(a.index));
        for name in &rule.names {
            // Unknown to this libseccomp (another architecture's call, or newer than it): skip.
            let Ok(call) = ScmpSyscall::from_name(name) else {
                continue;
            };
            let action = rule.action.to_scmp();
            let added = if alternatives {
                conds
                    .iter()
                    .try_for_each(|c| ctx.add_rule_conditional(action, call, &[*c]).map(|_| ()))
            } else {
                ctx.add_rule_conditional(action, call, &conds).map(|_| ())
            };
            added.map_err(|e| lib(&format!("rule for {name}"), e))?;
        }
    }
    let memfd = rustix::fs::memfd_create("rl-seccomp", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|e| SeccompError::Compile(format!("memfd_create: {e}")))?;
    ctx.export_bpf(&memfd)
        .map_err(|e| lib("export the program", e))?;
    let mut f = std::fs::File::from(memfd);
    let mut out = Vec::new();
    f.rewind()
        .and_then(|()| f.read_to_end(&mut out))
        .map_err(|e| SeccompError::Compile(format!("read the exported program: {e}")))?;
    if !valid_program(&out) {
        return Err(SeccompError::Compile(format!(
            "libseccomp exported {} bytes, not a BPF program",
            out.len()
        )));
    }
    Ok(out)
}

/// The kernel's limit on a classic BPF program's length (BPF_MAXINSNS).
const MAX_INSNS: usize = 4096;

/// Whether `bpf` has the shape of a program the kernel could take (whole 8-byte instructions,
/// 1 to 4096 of them); the kernel checks the rest.
pub fn valid_program(bpf: &[u8]) -> bool {
    !bpf.is_empty() && bpf.len().is_multiple_of(8) && bpf.len() / 8 <= MAX_INSNS
}

// ----- caching -------------------------------------------------------------------------------

/// The libseccomp version, part of the cache key: another version may compile differently or
/// know more call names.
fn library_version() -> String {
    libseccomp::ScmpVersion::current()
        .map(|v| format!("{}.{}.{}", v.major, v.minor, v.micro))
        .unwrap_or_else(|_| "unknown".into())
}

/// The cache file name for a resolved profile: sha256 over the resolved rules (which already
/// reflect the capabilities, architecture and kernel version they were resolved for), the
/// architecture, the kernel release and the libseccomp version.
pub fn cache_key(r: &Resolved, host: &Host, libseccomp_version: &str) -> String {
    let mut h = Sha256::new();
    // Version 2: compiled as a binary tree (see `compile`).
    h.update(b"rl-seccomp-bpf-2\n");
    // Serialising a Resolved cannot fail (plain strings, numbers and enums).
    h.update(serde_json::to_vec(r).unwrap_or_default());
    for part in [host.scmp_arch, &host.kernel_release, libseccomp_version] {
        h.update(b"\n");
        h.update(part.as_bytes());
    }
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

/// The compiled filter for `profile` under `caps`: from `cache_dir` when it is there, else
/// compiled and stored there (atomically; a store that cannot be written only costs the cache).
pub fn filter_for(profile: &Profile, caps: &BTreeSet<String>, cache_dir: &Path) -> Result<Vec<u8>> {
    let host = Host::current();
    let resolved = resolve(profile, caps, &host)?;
    let path = cache_dir.join(format!(
        "{}.bpf",
        cache_key(&resolved, &host, &library_version())
    ));
    if let Ok(bytes) = std::fs::read(&path)
        && valid_program(&bytes)
    {
        return Ok(bytes);
    }
    let bytes = compile(&resolved)?;
    if crate::config::ensure_dir(cache_dir).is_ok() {
        let _ = crate::store_file::write_atomic(&path, &bytes);
    }
    Ok(bytes)
}

/// What `--security-opt seccomp=...` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// No filter.
    Unconfined,
    /// The built-in profile.
    Builtin,
    /// A docker/podman JSON profile.
    File(PathBuf),
}

impl Choice {
    /// `unconfined`, `builtin`, or a file path (docker's values).
    pub fn parse(value: &str) -> Result<Choice> {
        Ok(match value {
            "" => return Err(SeccompError::Usage(value.to_string())),
            "unconfined" => Choice::Unconfined,
            "builtin" => Choice::Builtin,
            path => Choice::File(PathBuf::from(path)),
        })
    }
}

/// The container's capability bounding set as `CAP_` names (what docker matches profiles
/// against).
pub fn bounding_caps(spec: &Spec) -> BTreeSet<String> {
    spec.process()
        .as_ref()
        .and_then(|p| p.capabilities().as_ref())
        .and_then(|c| c.bounding().as_ref())
        .into_iter()
        .flatten()
        .map(|c| format!("CAP_{}", crate::specgen::capability_name(*c)))
        .collect()
}

/// The compiled filter the container should get (None: unconfined), prepared in the parent.
pub fn prepare(choice: &Choice, spec: &Spec, cache_dir: &Path) -> Result<Option<Vec<u8>>> {
    let profile = match choice {
        Choice::Unconfined => return Ok(None),
        Choice::Builtin => default_profile(),
        Choice::File(path) => load_profile(path)?,
    };
    filter_for(&profile, &bounding_caps(spec), cache_dir).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(kernel: &str) -> Host {
        Host {
            arch: "amd64",
            scmp_arch: "SCMP_ARCH_X86_64",
            kernel_release: kernel.into(),
        }
    }

    fn caps(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|c| format!("CAP_{c}")).collect()
    }

    /// podman's default capability set.
    fn default_caps() -> BTreeSet<String> {
        crate::specgen::DEFAULT_CAPABILITIES
            .iter()
            .map(|c| format!("CAP_{c}"))
            .collect()
    }

    const EPERM: Action = Action::Errno(1);

    #[test]
    fn default_profile_denies_the_dangerous_calls_for_a_rootless_container() {
        let r = resolve(&default_profile(), &default_caps(), &host("6.8.0")).unwrap();
        assert_eq!(r.default_action, EPERM);
        assert_eq!(
            r.arches,
            ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        );
        for ok in [
            "read",
            "openat",
            "execve",
            "mkdir",
            "futex",
            "prctl",
            "chown",
            "arch_prctl",
        ] {
            assert!(r.has_unconditional(ok, Action::Allow), "{ok} not allowed");
        }
        let allowed: usize = r
            .rules
            .iter()
            .filter(|r| r.action == Action::Allow)
            .map(|r| r.names.len())
            .sum();
        assert!(allowed > 330, "only {allowed} calls allowed");
        for denied in [
            "kexec_load",
            "kexec_file_load",
            "open_by_handle_at",
            "bpf",
            "perf_event_open",
            "add_key",
            "keyctl",
            "request_key",
            "mount",
            "umount2",
            "pivot_root",
            "unshare",
            "setns",
            "reboot",
            "init_module",
            "userfaultfd",
            "io_uring_setup",
            "swapon",
            "settimeofday",
            "acct",
            "iopl",
            "syslog",
            "s390_runtime_instr",
            "riscv_flush_icache",
        ] {
            assert!(
                !r.rules.iter().any(|x| x.names.iter().any(|n| n == denied)),
                "{denied} has a rule"
            );
        }
        // clone only without namespace flags; clone3 fails with ENOSYS so libc uses clone.
        let clone: Vec<_> = r.rules.iter().filter(|x| x.names == ["clone"]).collect();
        assert_eq!(clone.len(), 1);
        assert_eq!(
            clone[0].args,
            [ArgRule {
                index: 0,
                value: 0x7E02_0000,
                value_two: 0,
                op: Op::MaskedEq
            }]
        );
        assert!(r.has_unconditional("clone3", Action::Errno(38)));
        assert!(!r.has_unconditional("clone", Action::Allow));
        // socket: every family but AF_VSOCK; personality: only the standard values.
        let socket = r.rules.iter().find(|x| x.names == ["socket"]).unwrap();
        assert_eq!(
            socket.args,
            [ArgRule {
                index: 0,
                value: 40,
                value_two: 0,
                op: Op::Ne
            }]
        );
        let personas: Vec<u64> = r
            .rules
            .iter()
            .filter(|x| x.names == ["personality"])
            .map(|x| x.args[0].value)
            .collect();
        assert_eq!(personas, PERSONALITIES);
        // ptrace (seccomp-safe since 4.8) and chroot (CAP_SYS_CHROOT is a default capability).
        assert!(r.has_unconditional("ptrace", Action::Allow));
        assert!(r.has_unconditional("chroot", Action::Allow));
    }

    #[test]
    fn ptrace_needs_a_new_kernel_or_cap_sys_ptrace() {
        let old = resolve(
            &default_profile(),
            &default_caps(),
            &host("4.4.0-210-generic"),
        )
        .unwrap();
        assert!(!old.has("ptrace", Action::Allow));
        let mut with = default_caps();
        with.insert("CAP_SYS_PTRACE".into());
        let traced = resolve(&default_profile(), &with, &host("4.4.0")).unwrap();
        assert!(traced.has_unconditional("ptrace", Action::Allow));
        assert!(traced.has_unconditional("kcmp", Action::Allow));
        assert!(
            resolve(&default_profile(), &default_caps(), &host("4.8"))
                .unwrap()
                .has("ptrace", Action::Allow)
        );
    }

    #[test]
    fn capabilities_open_their_groups() {
        let none = resolve(&default_profile(), &BTreeSet::new(), &host("6.1")).unwrap();
        assert!(
            !none.has("chroot", Action::Allow),
            "chroot without CAP_SYS_CHROOT"
        );
        let admin = resolve(&default_profile(), &caps(&["SYS_ADMIN"]), &host("6.1")).unwrap();
        for c in [
            "mount",
            "umount2",
            "unshare",
            "setns",
            "pivot_root",
            "clone",
            "clone3",
            "bpf",
            "perf_event_open",
        ] {
            assert!(
                admin.has_unconditional(c, Action::Allow),
                "{c} with CAP_SYS_ADMIN"
            );
        }
        assert!(!admin.has("clone3", Action::Errno(38)));
        assert!(
            !admin
                .rules
                .iter()
                .any(|r| r.names == ["clone"] && !r.args.is_empty())
        );
        for (cap, call) in [
            ("SYS_BOOT", "reboot"),
            ("SYS_MODULE", "finit_module"),
            ("SYS_TIME", "clock_settime"),
            ("SYS_RAWIO", "ioperm"),
            ("SYS_PACCT", "acct"),
            ("SYS_NICE", "mbind"),
            ("SYSLOG", "syslog"),
            ("BPF", "bpf"),
            ("PERFMON", "perf_event_open"),
            ("DAC_READ_SEARCH", "open_by_handle_at"),
            ("SYS_TTY_CONFIG", "vhangup"),
        ] {
            let r = resolve(&default_profile(), &caps(&[cap]), &host("6.1")).unwrap();
            assert!(
                r.has_unconditional(call, Action::Allow),
                "{call} with CAP_{cap}"
            );
            assert!(!none.has(call, Action::Allow), "{call} without CAP_{cap}");
        }
    }

    #[test]
    fn architectures_follow_the_native_one() {
        let arm = Host {
            arch: "arm64",
            scmp_arch: "SCMP_ARCH_AARCH64",
            kernel_release: "6.1".into(),
        };
        let r = resolve(&default_profile(), &default_caps(), &arm).unwrap();
        assert_eq!(r.arches, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
        assert!(r.has("cacheflush", Action::Allow));
        assert!(!r.has("arch_prctl", Action::Allow));
        let s390 = Host {
            arch: "s390x",
            scmp_arch: "SCMP_ARCH_S390X",
            kernel_release: "6.1".into(),
        };
        let r = resolve(&default_profile(), &default_caps(), &s390).unwrap();
        let clone = r.rules.iter().find(|x| x.names == ["clone"]).unwrap();
        assert_eq!(clone.args[0].index, 1, "s390 passes clone flags second");
    }

    #[test]
    fn default_profile_compiles_and_is_deterministic() {
        let r = resolve(&default_profile(), &default_caps(), &Host::current()).unwrap();
        let a = compile(&r).unwrap();
        assert!(valid_program(&a), "{} bytes", a.len());
        assert!(a.len() > 8 * 100, "a {}-instruction program", a.len() / 8);
        assert_eq!(compile(&r).unwrap(), a);
        let admin = resolve(&default_profile(), &caps(&["SYS_ADMIN"]), &Host::current()).unwrap();
        assert_ne!(compile(&admin).unwrap(), a);
    }

    const DOCKER_STYLE: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": null}
        ],
        "syscalls": [
            {"names": ["read", "write", "exit_group", "no_such_call_anywhere"], "action": "SCMP_ACT_ALLOW", "args": [], "comment": "", "includes": {}, "excludes": {}},
            {"name": "kill", "action": "SCMP_ACT_ALLOW", "args": null},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18, "excludes": {"arches": ["s390x"]}},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
                {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                {"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}
            ]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [
                {"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
            ]}
        ]
    }"#;

    #[test]
    fn json_profiles_parse_resolve_and_compile() {
        let p = parse_profile(DOCKER_STYLE.as_bytes(), "test.json").unwrap();
        assert_eq!(p.syscalls.len(), 7);
        assert_eq!(p.syscalls[1].name, "kill");
        let r = resolve(&p, &default_caps(), &host("6.1")).unwrap();
        assert_eq!(
            r.arches,
            ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        );
        assert!(r.has_unconditional("kill", Action::Allow));
        assert!(r.has_unconditional("ptrace", Action::Allow));
        assert!(!r.has("mount", Action::Allow));
        assert!(r.has_unconditional("mkdirat", Action::Errno(18)));
        assert_eq!(
            r.rules.last().unwrap().args,
            [ArgRule {
                index: 0,
                value: 0x7E02_0000,
                value_two: 0,
                op: Op::MaskedEq
            }]
        );
        assert!(
            !resolve(&p, &default_caps(), &host("4.4"))
                .unwrap()
                .has("ptrace", Action::Allow)
        );
        assert!(
            resolve(&p, &caps(&["SYS_ADMIN"]), &host("6.1"))
                .unwrap()
                .has("mount", Action::Allow)
        );
        // Unknown names are skipped; two conditions on one argument become alternatives.
        let native = resolve(&p, &default_caps(), &Host::current()).unwrap();
        assert!(valid_program(&compile(&native).unwrap()));
        // `architectures` instead of archMap.
        let p = parse_profile(
            br#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"syscalls":null}"#,
            "t",
        )
        .unwrap();
        let r = resolve(&p, &BTreeSet::new(), &host("6.1")).unwrap();
        assert_eq!(
            (r.default_action, r.arches.as_slice(), r.rules.len()),
            (Action::Allow, &["SCMP_ARCH_X86".to_string()][..], 0)
        );
    }

    #[test]
    fn bad_profiles_are_one_line_errors() {
        let err = |text: &str| {
            let e = parse_profile(text.as_bytes(), "/p.json")
                .unwrap_err()
                .to_string();
            assert!(!e.contains('\n'), "{e}");
            assert!(e.starts_with("seccomp profile /p.json: "), "{e}");
            e
        };
        assert!(err("{not json").contains("line 1"));
        assert!(err("").contains("EOF"));
        assert!(err(r#"{"syscalls": []}"#).contains("defaultAction: the action is missing"));
        assert!(
            err(r#"{"defaultAction": "SCMP_ACT_MAYBE"}"#)
                .contains("unknown action \"SCMP_ACT_MAYBE\"")
        );
        assert!(
            err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000}"#)
                .contains("out of range")
        );
        assert!(err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_NOTIFY"}]}"#).contains("syscalls[0]: SCMP_ACT_NOTIFY"));
        assert!(
            err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"]}]}"#)
                .contains("missing field `action`")
        );
        assert!(
            err(
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}"#
            )
            .contains("syscalls[0]: no system call named")
        );
        assert!(err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}"#).contains("either name or names"));
        assert!(err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#).contains("argument index 6"));
        assert!(err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]}"#).contains("unknown operator \"SCMP_CMP_ALMOST\""));
        assert!(err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}]}"#).contains("invalid minKernel \"four\""));
        assert!(
            err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}"#)
                .contains("unknown architecture \"SCMP_ARCH_Z80\"")
        );
        assert!(err(r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#).contains("not both"));
        let missing = load_profile(Path::new("/nonexistent/p.json"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("read seccomp profile /nonexistent/p.json: "),
            "{missing}"
        );
        assert!(Choice::parse("").is_err());
        assert_eq!(Choice::parse("unconfined").unwrap(), Choice::Unconfined);
        assert_eq!(Choice::parse("builtin").unwrap(), Choice::Builtin);
        assert_eq!(
            Choice::parse("p.json").unwrap(),
            Choice::File("p.json".into())
        );
    }

    #[test]
    fn cache_keys_are_stable_and_change_only_with_what_matters() {
        let h = host("6.1.0");
        let key = |p: &Profile, c: &BTreeSet<String>, h: &Host| {
            cache_key(&resolve(p, c, h).unwrap(), h, "2.5.4")
        };
        let d = default_profile();
        let base = key(&d, &default_caps(), &h);
        assert_eq!(base.len(), 64);
        assert_eq!(key(&d, &default_caps(), &h), base);
        // A capability no rule mentions changes nothing; one that opens a group does.
        let mut chown_less = default_caps();
        chown_less.remove("CAP_CHOWN");
        assert_eq!(key(&d, &chown_less, &h), base);
        assert_ne!(key(&d, &caps(&["SYS_ADMIN"]), &h), base);
        // The kernel, the architecture and the libseccomp version are inputs.
        assert_ne!(key(&d, &default_caps(), &host("6.2.0")), base);
        let arm = Host {
            arch: "arm64",
            scmp_arch: "SCMP_ARCH_AARCH64",
            ..h.clone()
        };
        assert_ne!(key(&d, &default_caps(), &arm), base);
        assert_ne!(
            cache_key(&resolve(&d, &default_caps(), &h).unwrap(), &h, "2.6.0"),
            base
        );
        // The same profile written differently is the same filter.
        let a = parse_profile(br#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#, "a").unwrap();
        let b = parse_profile(b"{\n  \"syscalls\": [ { \"comment\": \"no dirs\", \"errnoRet\": 1, \"action\": \"SCMP_ACT_ERRNO\", \"name\": \"mkdir\" } ],\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}", "b").unwrap();
        assert_eq!(key(&a, &BTreeSet::new(), &h), key(&b, &BTreeSet::new(), &h));
    }

    #[test]
    fn the_builtin_profile_round_trips_through_the_json_format() {
        let json = serde_json::to_vec_pretty(&default_profile()).unwrap();
        let back = parse_profile(&json, "built-in").unwrap();
        assert_eq!(back, default_profile());
        let c = default_caps();
        let h = host("6.1");
        assert_eq!(
            resolve(&back, &c, &h).unwrap(),
            resolve(&default_profile(), &c, &h).unwrap()
        );
    }

    #[test]
    fn the_cache_is_used_and_repaired() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("seccomp");
        let p = default_profile();
        let first = filter_for(&p, &default_caps(), &dir).unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "bpf");
        assert_eq!(std::fs::read(&files[0]).unwrap(), first);
        // A hit returns the file without compiling: plant a different (valid) program.
        let planted = vec![0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]; // return ALLOW
        std::fs::write(&files[0], &planted).unwrap();
        assert_eq!(filter_for(&p, &default_caps(), &dir).unwrap(), planted);
        // A damaged file is recompiled and replaced.
        std::fs::write(&files[0], b"short").unwrap();
        assert_eq!(filter_for(&p, &default_caps(), &dir).unwrap(), first);
        assert_eq!(std::fs::read(&files[0]).unwrap(), first);
        // Another capability set that changes the filter is another file.
        filter_for(&p, &caps(&["SYS_ADMIN"]), &dir).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    }
}
