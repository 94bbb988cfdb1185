//! The command tree, the error model and exit codes, version, help and completions.

use crate::support::TestEnv;

#[test]
fn version_flag_and_command_agree() {
    let env = TestEnv::new();
    let flag = env.rl(&["--version"]);
    flag.success();
    assert_eq!(flag.out(), format!("rl {}", env!("CARGO_PKG_VERSION")));
    let cmd = env.rl(&["version"]);
    cmd.success()
        .stdout_has(&format!("Version:      {}", env!("CARGO_PKG_VERSION")))
        .stdout_has("OS/Arch:      linux/");
}

#[test]
fn version_answers_docker_tooling_templates() {
    let env = TestEnv::new();
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(
        env.rl(&["version", "--format", "{{.Server.Version}}"])
            .success()
            .out(),
        v
    );
    assert_eq!(
        env.rl(&["version", "-f", "{{.Client.Version}}"])
            .success()
            .out(),
        v
    );
    let json = env.rl(&["version", "--format", "json"]).success().json();
    assert_eq!(json["Client"]["Version"], v);
    assert_eq!(json["Server"]["APIVersion"], v);
    assert!(
        json["Client"]["GitCommit"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
}

#[test]
fn unknown_flag_is_a_one_line_error_with_125() {
    let env = TestEnv::new();
    env.rl(&["info", "--no-such-flag"])
        .fails_with(125, "unexpected argument '--no-such-flag'")
        .stderr_has("see 'rl info --help'");
    env.rl(&["no-such-command"])
        .fails_with(125, "unrecognized subcommand 'no-such-command'");
    env.rl(&["completion", "tcsh"])
        .fails_with(125, "invalid value 'tcsh'");
}

#[test]
fn missing_command_prints_help_and_fails() {
    let env = TestEnv::new();
    let out = env.rl(&[]);
    out.status_is(125)
        .stderr_has("Usage: rl")
        .stderr_has("Error: missing command 'rl COMMAND'");
    assert!(out.stdout.is_empty());
}

#[test]
fn help_goes_to_stdout_and_succeeds() {
    let env = TestEnv::new();
    let out = env.rl(&["--help"]);
    out.success()
        .stdout_has("Usage: rl")
        .stdout_has("info")
        .stdout_has("run");
    env.rl(&["image", "--help"])
        .success()
        .stdout_has("Usage: rl image");
    env.rl(&["info", "-h"]).success().stdout_has("--format");
}

#[test]
fn bad_format_template_is_a_clear_error() {
    let env = TestEnv::new();
    let out = env.rl(&["version", "--format", "{{.Client.Version"]);
    out.status_is(125);
    assert!(
        out.stderr.starts_with("Error: --format: "),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn completion_scripts_for_each_shell() {
    let env = TestEnv::new();
    env.rl(&["completion", "bash"])
        .success()
        .stdout_has("complete -F _rl");
    env.rl(&["completion", "zsh"])
        .success()
        .stdout_has("#compdef rl");
    env.rl(&["completion", "fish"])
        .success()
        .stdout_has("complete -c rl");
}

#[test]
fn closed_stdout_is_not_an_error() {
    let env = TestEnv::new();
    // `rl completion bash | head -c1`: rl's stdout closes early; rl must not panic or complain.
    let mut sh = env.command("sh");
    sh.args(["-c", "\"$0\" completion bash | head -c1 >/dev/null"])
        .arg(crate::support::rl_binary());
    let out = crate::support::run_command(sh, None, "rl completion bash | head -c1");
    out.success();
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
}
