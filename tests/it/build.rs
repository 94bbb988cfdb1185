//! `rl build`: Containerfiles built rootless, the layer cache, stages, ignore files, bad input.

use std::path::Path;

use crate::support::TestEnv;
use crate::support::fixtures::pushed;

fn small() -> &'static str {
    &pushed().small.reference
}

/// A build context directory the test user can read, with these files.
fn context(env: &TestEnv, name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = env.home.join(name);
    for (path, body) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
    }
    open_up(&dir);
    dir
}

fn open_up(p: &Path) {
    std::process::Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(p)
        .status()
        .unwrap();
}

fn build(env: &TestEnv, dir: &Path, extra: &[&str]) -> crate::support::Output {
    let d = dir.display().to_string();
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    args.push(&d);
    env.rl(&args)
}

#[test]
fn build_every_common_instruction_and_run_the_image() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let file = format!(
        "# a comment\n\
         ARG BASE={base}\n\
         FROM $BASE\n\
         ARG WHO=world\n\
         ENV GREETING=hello \\\n    OTHER=\"two words\"\n\
         WORKDIR /app\n\
         COPY hello.txt ./\n\
         COPY dir/ /data/\n\
         COPY *.cfg /etc/conf/\n\
         RUN echo \"$GREETING $WHO\" > /app/out.txt && rm /etc/group\n\
         LABEL stage=one \"other label\"=x\n\
         EXPOSE 8080 53/udp\n\
         USER 1000:1000\n\
         STOPSIGNAL SIGINT\n\
         ENTRYPOINT [\"/bin/sh\", \"-c\"]\n\
         CMD [\"cat /app/out.txt /app/hello.txt; id -u\"]\n",
        base = small()
    );
    let dir = context(
        &env,
        "ctx1",
        &[
            ("Containerfile", &file),
            ("hello.txt", "hi there\n"),
            ("dir/a", "A\n"),
            ("dir/sub/b", "B\n"),
            ("one.cfg", "1\n"),
            ("two.cfg", "2\n"),
        ],
    );
    let out = build(&env, &dir, &["-t", "built:1", "--build-arg", "WHO=rl"]);
    let text = out.success().stdout.clone();
    assert!(text.starts_with("STEP 1/14: FROM $BASE\n"), "{text}");
    assert!(text.contains("STEP 8/14: RUN echo"), "{text}");
    assert!(text.contains("COMMIT built:1\n"), "{text}");
    assert!(
        text.contains("Successfully tagged localhost/built:1\n"),
        "{text}"
    );
    let id = text.lines().last().unwrap().to_string();
    assert_eq!(id.len(), 64, "{text}");

    let run = env.rl(&["run", "--rm", "built:1"]);
    assert_eq!(run.success().stdout, "hello rl\nhi there\n1000\n");
    let files = env.rl(&[
        "run", "--rm", "--user", "0", "--entrypoint", "", "built:1", "sh", "-c",
        "cat /data/a /data/sub/b /etc/conf/one.cfg /etc/conf/two.cfg; test -e /etc/group || echo gone; \
         echo $OTHER; stat -c '%u:%g' /app/hello.txt",
    ]);
    assert_eq!(files.success().stdout, "A\nB\n1\n2\ngone\ntwo words\n0:0\n");

    let img = env.rl(&["image", "inspect", "built:1"]).success().json();
    let c = &img[0]["Config"];
    assert_eq!(c["User"], "1000:1000", "{c}");
    assert_eq!(c["WorkingDir"], "/app", "{c}");
    assert_eq!(c["StopSignal"], "SIGINT", "{c}");
    assert_eq!(c["Labels"]["stage"], "one", "{c}");
    assert_eq!(c["Labels"]["other label"], "x", "{c}");
    assert!(c["ExposedPorts"]["8080/tcp"].is_object(), "{c}");
    assert!(c["ExposedPorts"]["53/udp"].is_object(), "{c}");
    assert_eq!(c["Entrypoint"], serde_json::json!(["/bin/sh", "-c"]), "{c}");
    let env_list: Vec<String> = serde_json::from_value(c["Env"].clone()).unwrap();
    assert!(
        env_list.contains(&"GREETING=hello".to_string()),
        "{env_list:?}"
    );
    assert!(
        !env_list.iter().any(|e| e.starts_with("WHO=")),
        "build args are not kept: {env_list:?}"
    );
    // One history entry per instruction after FROM (ARG is not recorded, as buildah).
    let hist = env.rl(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        "built:1",
    ]);
    let lines: Vec<&str> = hist.success().out().lines().collect();
    assert!(lines[0].contains("#(nop) CMD"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("|1 WHO=rl /bin/sh -c echo")),
        "{lines:?}"
    );
    // Intermediate images are hidden from `rl images`, shown with -a.
    let plain = env.rl(&["images", "-q"]).success().out().lines().count();
    let all = env
        .rl(&["images", "-a", "-q"])
        .success()
        .out()
        .lines()
        .count();
    assert_eq!(plain, 2);
    assert!(all > plain, "{all} {plain}");
    // No build container is left behind.
    assert_eq!(env.rl(&["ps", "-a", "-q"]).success().out(), "");
}

#[test]
fn the_cache_reuses_steps_until_a_source_changes() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let file = format!(
        "FROM {}\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCMD [\"cat\", \"/copy\"]\n",
        small()
    );
    let dir = context(
        &env,
        "ctx",
        &[("Containerfile", &file), ("a.txt", "first\n")],
    );
    let first = build(&env, &dir, &["-q", "-t", "c:1"]);
    let id1 = first.success().out().to_string();
    assert_eq!(id1.len(), 64, "-q prints only the id: {id1}");
    let again = build(&env, &dir, &["-t", "c:1"]);
    let text = again.success().stdout.clone();
    assert_eq!(text.matches("--> Using cache").count(), 4, "{text}");
    assert_eq!(text.lines().last(), Some(id1.as_str()), "{text}");
    // Edit the copied file: the first RUN is reused, COPY and what follows run again.
    std::fs::write(dir.join("a.txt"), "second\n").unwrap();
    let edited = build(&env, &dir, &["-t", "c:2"]);
    let text = edited.success().stdout.clone();
    assert_eq!(text.matches("--> Using cache").count(), 1, "{text}");
    assert_eq!(env.rl(&["run", "--rm", "c:2"]).success().stdout, "second\n");
    // --no-cache runs everything.
    let text = build(&env, &dir, &["--no-cache"]).success().stdout.clone();
    assert_eq!(text.matches("Using cache").count(), 0, "{text}");
    // The cache survives, and image prune cleans it with the images.
    env.rl(&["rmi", "c:1", "c:2"]).success();
    env.rl(&["image", "prune", "-f"]).success();
    let text = build(&env, &dir, &[]).success().stdout.clone();
    assert_eq!(text.matches("Using cache").count(), 0, "{text}");
}

#[test]
fn stages_targets_and_copy_from() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let file = format!(
        "FROM {b} AS builder\nRUN mkdir -p /out && echo built > /out/result\n\
         FROM {b} AS broken\nRUN exit 7\n\
         FROM scratch\nCOPY --from=builder /out/result /result\nCOPY --from=0 /bin/busybox /bin/busybox\n\
         CMD [\"/bin/busybox\", \"cat\", \"/result\"]\n",
        b = small()
    );
    let dir = context(&env, "ctx", &[("Containerfile", &file)]);
    // The broken stage is not needed by the last one, so it is not built.
    let out = build(&env, &dir, &["-t", "multi"]);
    let text = out.success().stdout.clone();
    assert!(!text.contains("exit 7"), "{text}");
    assert_eq!(
        env.rl(&["run", "--rm", "multi"]).success().stdout,
        "built\n"
    );
    // --target stops at a stage.
    let out = build(&env, &dir, &["--target", "builder", "-t", "first"]);
    out.success();
    let out = env.rl(&["run", "--rm", "first", "cat", "/out/result"]);
    assert_eq!(out.success().stdout, "built\n");
    // A needed stage that fails fails the build with the step's exit status, tags nothing and
    // leaves no container.
    let out = build(&env, &dir, &["--target", "broken", "-t", "never"]);
    out.status_is(7);
    assert!(out.stderr.contains("RUN exit 7"), "{}", out.stderr);
    assert_eq!(
        env.rl(&["images", "-q", "--filter", "reference=never"])
            .success()
            .out(),
        ""
    );
    assert_eq!(env.rl(&["ps", "-a", "-q"]).success().out(), "");
}

#[test]
fn ignore_files_stdin_and_options() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let file = format!(
        "FROM {}\nCOPY . /ctx/\nRUN ls -R /ctx | sort > /list\nCMD [\"cat\", \"/list\"]\n",
        small()
    );
    let dir = context(
        &env,
        "ctx",
        &[
            ("Containerfile", &file),
            (".dockerignore", "# comment\nsecret*\nlogs\n"),
            ("keep.txt", "k"),
            ("secret.key", "s"),
            ("logs/1.log", "l"),
        ],
    );
    let iid = env.home.join("iid");
    let out = build(
        &env,
        &dir,
        &[
            "-t",
            "ign",
            "--label",
            "built.by=test",
            "--iidfile",
            &iid.display().to_string(),
        ],
    );
    let id = out.success().out().lines().last().unwrap().to_string();
    assert_eq!(
        std::fs::read_to_string(&iid).unwrap(),
        format!("sha256:{id}")
    );
    let list = env.rl(&["run", "--rm", "ign"]).success().stdout.clone();
    assert!(list.contains("keep.txt"), "{list}");
    assert!(
        !list.contains("secret") && !list.contains("1.log"),
        "{list}"
    );
    let img = env.rl(&["image", "inspect", "ign"]).success().json();
    assert_eq!(img[0]["Config"]["Labels"]["built.by"], "test");
    // A Containerfile on stdin, no context.
    let text = format!("FROM {}\nRUN echo from-stdin > /x\n", small());
    let out = env.rl_with(&["build", "-q", "-t", "stdin", "-"], Some(text.as_bytes()));
    out.success();
    assert_eq!(
        env.rl(&["run", "--rm", "stdin", "cat", "/x"])
            .success()
            .stdout,
        "from-stdin\n"
    );
}

#[test]
fn build_bad_input() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let cases: &[(&str, &str)] = &[
        (
            "FROM x\nFROBNICATE y\n",
            "Containerfile:2: unknown instruction: FROBNICATE",
        ),
        ("RUN echo\n", "Containerfile:1:"),
        ("FROM scratch\nCOPY missing.txt /\n", "missing.txt"),
        (
            "FROM localhost:1/nothing/here:1\n",
            "STEP \"FROM localhost:1/nothing/here:1\"",
        ),
        (
            "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY --from=a /x /x\n",
            "a",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let dir = context(&env, &format!("bad{i}"), &[("Containerfile", text)]);
        let out = build(&env, &dir, &["-t", "bad"]);
        out.fails_with(125, needle);
    }
    let empty = context(&env, "empty", &[("x", "")]);
    build(&env, &empty, &[]).fails_with(125, "no Containerfile or Dockerfile");
    assert_eq!(
        env.rl(&["images", "-q", "--filter", "reference=bad"])
            .success()
            .out(),
        ""
    );
    assert_eq!(env.rl(&["ps", "-a", "-q"]).success().out(), "");
}

#[test]
fn from_platform_picks_that_image() {
    let env = TestEnv::new();
    let multi = &pushed().multiarch.reference;
    let file = format!(
        "FROM --platform=linux/arm64 {multi} AS arm\n\
         FROM {small}\n\
         COPY --from=arm /etc/rl-platform /arm-platform\n\
         CMD [\"cat\", \"/arm-platform\"]\n",
        small = small()
    );
    let dir = context(&env, "ctx", &[("Containerfile", &file)]);
    build(&env, &dir, &["-t", "plat"]).success();
    assert_eq!(env.rl(&["run", "--rm", "plat"]).success().stdout, "arm64\n");
    // A local image of another platform is not taken for the one asked for.
    env.rl(&["pull", "-q", multi]).success();
    let file = format!("FROM --platform=linux/arm64 {multi}\n");
    let dir = context(&env, "ctx2", &[("Containerfile", &file)]);
    build(&env, &dir, &["--pull=never"]).fails_with(125, "not linux/arm64");
}
