//! Seccomp seen from inside the container: the built-in filter is on by default, what it denies
//! really fails, custom profiles apply in both load orders, bad profiles are rejected up front.

use std::fs;
use std::path::PathBuf;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, chown_to_user};

fn small() -> &'static str {
    &pushed().small.reference
}

fn run(env: &TestEnv, opts: &[&str], cmd: &[&str]) -> crate::support::Output {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(opts);
    args.push(small());
    args.extend_from_slice(cmd);
    env.rl(&args)
}

/// The `Seccomp:` mode the container's process reports (0 off, 2 filter).
fn mode(env: &TestEnv, opts: &[&str]) -> String {
    let out = run(env, opts, &["grep", "^Seccomp:", "/proc/self/status"]);
    out.success()
        .out()
        .replace("Seccomp:", "")
        .trim()
        .to_string()
}

fn write_profile(env: &TestEnv, name: &str, text: &str) -> PathBuf {
    let p = env.root.join(name);
    fs::write(&p, text).unwrap();
    chown_to_user(env, &p);
    p
}

#[test]
fn the_filter_is_on_by_default_and_off_when_asked() {
    let env = TestEnv::new();
    assert_eq!(mode(&env, &[]), "2");
    assert_eq!(mode(&env, &["-u", "1000"]), "2");
    assert_eq!(mode(&env, &["--security-opt", "no-new-privileges"]), "2");
    assert_eq!(mode(&env, &["--security-opt", "seccomp=unconfined"]), "0");
    assert_eq!(mode(&env, &["--privileged"]), "0");
    // --privileged wins over a profile, as in docker.
    assert_eq!(
        mode(&env, &["--privileged", "--security-opt", "seccomp=builtin"]),
        "0"
    );
    // Compiled once in the parent, then read from the store: root and -u 1000 have the same
    // bounding set, so the same filter.
    let cached: Vec<_> = fs::read_dir(env.rl_data().join("storage/seccomp"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert!(
        cached[0].ends_with(".bpf") && cached[0].len() == 64 + 4,
        "{cached:?}"
    );
}

#[test]
fn denied_calls_really_fail() {
    let env = TestEnv::new();
    // mount: EPERM for container root (busybox says "permission denied" for EPERM).
    let out = run(&env, &[], &["mount", "-t", "tmpfs", "none", "/mnt"]);
    assert_ne!(out.status, 0, "mount succeeded");
    out.stderr_has("permission denied");
    // The proof that the filter, not a missing capability, refuses: creating a user namespace
    // needs no capability at all (the kernel allows it to anyone), yet the default profile denies
    // unshare(CLONE_NEWUSER) to a container without CAP_SYS_ADMIN, as docker's does.
    let userns = ["busybox", "unshare", "-U", "true"];
    run(&env, &["--security-opt", "seccomp=unconfined"], &userns).success();
    let denied = run(&env, &[], &userns);
    assert_eq!(denied.status, 1, "{denied:?}");
    denied.stderr_has("Operation not permitted");
    // The capability opens the gate, as in docker.
    run(&env, &["--cap-add", "SYS_ADMIN"], &userns).success();
    // Ordinary work is unaffected: files, processes, pipes, sockets.
    let ok = run(
        &env,
        &[],
        &[
            "sh",
            "-c",
            "mkdir /tmp/d && echo hi > /tmp/d/f && cat /tmp/d/f | wc -c && (sleep 0 &) && wait",
        ],
    );
    assert_eq!(ok.success().out(), "3");
}

#[test]
fn a_custom_profile_applies_in_both_load_orders() {
    let env = TestEnv::new();
    // EXDEV (18): an errno mkdir never returns by itself.
    let profile = write_profile(
        &env,
        "no-mkdir.json",
        r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [
                {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18,
                 "comment": "no new directories"},
                {"names": ["no_such_syscall_anywhere"], "action": "SCMP_ACT_ERRNO"}
            ]
        }"#,
    );
    let opt = format!("seccomp={}", profile.display());
    let script = "touch /tmp/file && mkdir /tmp/x";
    // Without no_new_privs the filter is installed before the uid switch; with it, last.
    for extra in [
        &[][..],
        &["--security-opt", "no-new-privileges"],
        &["-u", "1000"],
    ] {
        let mut opts = vec!["--security-opt", opt.as_str()];
        opts.extend_from_slice(extra);
        let out = run(&env, &opts, &["sh", "-c", script]);
        assert_eq!(out.status, 1, "{extra:?}: {out:?}");
        out.stderr_has("ross-device link");
    }
    // The same run without the profile creates the directory.
    run(&env, &[], &["sh", "-c", script]).success();
}

#[test]
fn bad_profiles_are_one_line_errors_that_leave_nothing() {
    let env = TestEnv::new();
    let bad = write_profile(
        &env,
        "bad.json",
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ["#,
    );
    let opt = format!("seccomp={}", bad.display());
    run(&env, &["--security-opt", &opt], &["true"])
        .fails_with(125, &format!("seccomp profile {}: ", bad.display()));
    let wrong = write_profile(
        &env,
        "wrong.json",
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_DENY"}]}"#,
    );
    let opt = format!("seccomp={}", wrong.display());
    run(&env, &["--security-opt", &opt], &["true"])
        .fails_with(125, "syscalls[0]: unknown action \"SCMP_ACT_DENY\"");
    run(
        &env,
        &["--security-opt", "seccomp=/no/such/profile.json"],
        &["true"],
    )
    .fails_with(125, "read seccomp profile /no/such/profile.json: ");
    run(&env, &["--security-opt", "seccomp="], &["true"])
        .fails_with(125, "want unconfined, builtin or a profile file");
    let left = crate::support::container_dirs(&env);
    assert!(left.is_empty(), "a rejected run left {left:?}");
}
