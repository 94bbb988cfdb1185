//! rl's version, in the shape docker-driven tooling expects (`{{.Client.Version}}`,
//! `{{.Server.Version}}`).

use serde::Serialize;

/// The version of this build of rl.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The architecture in Go's spelling, which image platforms use.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// One engine's version details.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionInfo {
    /// rl's version.
    pub version: String,
    /// The CLI/engine interface version (the same: rl has no separate API server).
    #[serde(rename = "APIVersion")]
    pub api_version: String,
    /// Commit the binary was built from.
    pub git_commit: String,
    /// Compiler that built it.
    pub rust_version: String,
    /// `linux/amd64` and so on.
    pub os_arch: String,
    /// `linux`.
    pub os: String,
    /// Go-style architecture.
    pub arch: String,
}

impl VersionInfo {
    /// This build.
    pub fn current() -> Self {
        VersionInfo {
            version: VERSION.into(),
            api_version: VERSION.into(),
            git_commit: env!("RL_GIT_COMMIT").into(),
            rust_version: env!("RL_RUSTC_VERSION").into(),
            os_arch: format!("linux/{}", go_arch()),
            os: "linux".into(),
            arch: go_arch().into(),
        }
    }
}

/// `rl version` data: a Client and a Server section. There is no daemon: the "server" is the same
/// engine, reported so that tools asking for `{{.Server.Version}}` get an answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Versions {
    /// The CLI.
    pub client: VersionInfo,
    /// The engine (the same binary).
    pub server: VersionInfo,
}

impl Versions {
    /// This build, twice.
    pub fn current() -> Self {
        let v = VersionInfo::current();
        Versions {
            client: v.clone(),
            server: v,
        }
    }
}
