//! `rl info` tells the truth about this machine: each field is checked against the machine here.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::support::{TestEnv, test_user};

fn subid_ranges(file: &str, user: &str, uid: u32) -> Vec<(u64, u64)> {
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() == 3 && (f[0] == user || f[0] == uid.to_string()))
                .then(|| (f[1].parse().unwrap(), f[2].parse().unwrap()))
        })
        .collect()
}

fn can_open(path: &str, env: &TestEnv) -> bool {
    // Ask the test user's own shell, so the answer is about that user's permissions.
    let mut c = env.command("sh");
    c.args(["-c", &format!("exec 3<>{path}")]);
    crate::support::run_command(c, None, "open device").status == 0
}

#[test]
fn info_json_matches_the_machine() {
    let env = TestEnv::new();
    let info = env.rl(&["info", "--format", "json"]).success().json();
    let host = &info["host"];
    let user = test_user();

    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(host["kernel"], kernel.trim());
    assert_eq!(host["os"], "linux");

    let ids = &host["idMappings"];
    assert_eq!(ids["uid"], user.uid);
    assert_eq!(ids["gid"], user.gid);
    let ranges = subid_ranges("/etc/subuid", &user.name, user.uid);
    let reported: Vec<(u64, u64)> = ids["subuids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["start"].as_u64().unwrap(), r["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(reported, ranges);
    assert!(!ranges.is_empty(), "the test user must have a subuid range");
    // newuidmap really mapped the range: the full map is reported and the mode says so.
    assert_eq!(ids["probe"]["uidMapOk"], true, "{ids}");
    assert_eq!(ids["probe"]["gidMapOk"], true, "{ids}");
    assert_eq!(ids["mode"], "subuid");
    assert_eq!(ids["uidmap"][0]["hostId"], user.uid);
    assert_eq!(ids["uidmap"][1]["hostId"], ranges[0].0);
    assert_eq!(ids["uidmap"][1]["size"], ranges[0].1);

    // Kernel 5.11+ lets a user namespace mount overlay; this machine's kernel is newer.
    assert_eq!(host["overlay"]["works"], true, "{}", host["overlay"]);

    for (key, path) in [("fuse", "/dev/fuse"), ("tun", "/dev/net/tun")] {
        let usable = can_open(path, &env);
        assert_eq!(host[key]["usable"], usable, "{key}: {}", host[key]);
        if !usable {
            assert!(
                host[key]["error"].as_str().unwrap().contains("chmod 0666"),
                "{}",
                host[key]
            );
        }
    }

    for (key, bin) in [("slirp4netns", "slirp4netns"), ("pasta", "pasta")] {
        let present = ["/usr/bin", "/usr/sbin", "/bin"]
            .iter()
            .any(|d| fs::metadata(format!("{d}/{bin}")).is_ok());
        assert_eq!(host["network"][key]["path"].is_string(), present, "{key}");
    }

    let v2 = fs::metadata("/sys/fs/cgroup/cgroup.controllers").is_ok();
    let version = host["cgroups"]["version"].as_str().unwrap();
    assert_eq!(version == "v2", v2, "cgroups: {}", host["cgroups"]);
    if !v2 {
        // Nothing is delegated to an unprivileged user under cgroup v1.
        assert_eq!(
            host["cgroups"]["delegatedControllers"],
            serde_json::json!([])
        );
        assert!(
            host["cgroups"]["note"]
                .as_str()
                .unwrap()
                .contains("resource limits")
        );
    }

    let store = &info["store"];
    assert_eq!(store["dataDir"], env.rl_data().to_str().unwrap());
    assert_eq!(
        store["runtimeDir"],
        env.runtime.join("rl").to_str().unwrap()
    );
    assert!(store["storage"]["size"].as_u64().is_some());
}

#[test]
fn overlay_probe_is_cached_in_the_store() {
    let env = TestEnv::new();
    env.rl(&["info", "--format", "json"]).success();
    let cache = env.rl_data().join("storage/overlay-probe.json");
    let first = fs::metadata(&cache).expect("probe cached in the store");
    assert_eq!(first.uid(), env.user.uid);
    env.rl(&["info", "--format", "json"]).success();
    let second = fs::metadata(&cache).unwrap();
    assert_eq!(first.mtime_nsec(), second.mtime_nsec(), "probe ran again");
    assert_eq!(first.ino(), second.ino(), "probe ran again");
    // A stale answer (another kernel) is replaced.
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&cache).unwrap()).unwrap();
    v["kernel"] = "0.0.0-other".into();
    fs::write(&cache, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = env.rl(&["info", "--format", "{{.Host.Overlay.Kernel}}"]);
    assert_eq!(
        out.success().out(),
        fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap()
            .trim()
    );
    // The probe leaves no scratch directories behind.
    let tmp = env.rl_data().join("storage/tmp");
    assert_eq!(fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);
}

#[test]
fn info_human_and_template_output() {
    let env = TestEnv::new();
    let out = env.rl(&["info"]);
    out.success()
        .stdout_has("host:\n")
        .stdout_has("  idMappings:\n")
        .stdout_has("store:\n");
    let user = env.rl(&["info", "--format", "{{.Host.IdMappings.User}}"]);
    assert_eq!(user.success().out(), test_user().name);
    let sys = env.rl(&["system", "info", "-f", "{{.Host.Os}}"]);
    assert_eq!(sys.success().out(), "linux");
}
