//! End to end with docker-driven tooling: the devcontainers CLI (`@devcontainers/cli`, from npm)
//! brings up a dev container with rl as its docker and runs a command in it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, chown_to_user, rl_binary};

const CLI_VERSION: &str = "0.80.0";

/// The devcontainers CLI, installed once from npm under the target directory (npm must exist:
/// `scripts/test` installs Node.js and npm as root).
fn devcontainer_cli() -> &'static Path {
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("devcontainers-cli-{CLI_VERSION}"));
        let bin = dir.join("node_modules/.bin/devcontainer");
        if !bin.exists() {
            fs::create_dir_all(&dir).unwrap();
            let out = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&dir)
                .arg(format!("@devcontainers/cli@{CLI_VERSION}"))
                .output()
                .expect("run npm (scripts/test installs nodejs and npm)");
            assert!(
                out.status.success(),
                "npm install failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Readable and runnable by the unprivileged test user.
        let mut stack = vec![dir.clone()];
        while let Some(p) = stack.pop() {
            let m = fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                continue;
            }
            let mode = m.permissions().mode();
            let want = if m.is_dir() || mode & 0o100 != 0 {
                mode | 0o555
            } else {
                mode | 0o444
            };
            if want != mode {
                fs::set_permissions(&p, fs::Permissions::from_mode(want)).unwrap();
            }
            if m.is_dir() {
                stack.extend(fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
            }
        }
        bin
    })
}

#[test]
fn devcontainer_up_and_exec_with_rl_as_docker() {
    let env = TestEnv::new();
    let cli = devcontainer_cli();
    env.rl(&["pull", "-q", &pushed().small.reference]).success();
    let project = env.root.join("project");
    fs::create_dir_all(project.join(".devcontainer")).unwrap();
    fs::write(
        project.join(".devcontainer/devcontainer.json"),
        format!(r#"{{ "image": "{}" }}"#, pushed().small.reference),
    )
    .unwrap();
    fs::write(project.join("marker"), "from the host\n").unwrap();
    for p in [
        project.clone(),
        project.join(".devcontainer"),
        project.join(".devcontainer/devcontainer.json"),
        project.join("marker"),
    ] {
        chown_to_user(&env, &p);
    }
    let up = env
        .command(cli)
        .arg("up")
        .arg("--docker-path")
        .arg(rl_binary())
        .arg("--workspace-folder")
        .arg(&project)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&up.stdout);
    assert!(
        up.status.success() && stdout.contains(r#""outcome":"success""#),
        "devcontainer up: {stdout}\n{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let exec = env
        .command(cli)
        .arg("exec")
        .arg("--docker-path")
        .arg(rl_binary())
        .arg("--workspace-folder")
        .arg(&project)
        .args(["sh", "-c", "cat marker; pwd"])
        .output()
        .unwrap();
    assert!(
        exec.status.success(),
        "{}",
        String::from_utf8_lossy(&exec.stderr)
    );
    let name = project.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        String::from_utf8_lossy(&exec.stdout),
        format!("from the host\n/workspaces/{name}\n")
    );
    // The container carries the CLI's labels; remove it as the CLI's users would.
    let label = format!("label=devcontainer.local_folder={}", project.display());
    let id = env
        .rl(&["ps", "-q", "--filter", &label])
        .success()
        .out()
        .to_string();
    assert_eq!(id.len(), 12, "{id}");
    env.rl(&["rm", "-f", &id]).success();
}
