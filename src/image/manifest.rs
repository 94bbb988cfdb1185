//! Manifests, indexes and image configs (OCI and Docker schema2), parsed defensively: size limits,
//! known media types only, digests validated. The exact bytes are what rl stores; these types are
//! only read from them, never re-serialised into the store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::digest::Digest;

/// Media types rl knows.
pub mod media {
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// OCI uncompressed layer.
    pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
    /// OCI gzip layer.
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// OCI zstd layer.
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    /// Docker schema2 manifest.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker gzip layer.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// Docker schema1 (unsupported).
    pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    /// Docker schema1, signed (unsupported).
    pub const DOCKER_SCHEMA1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";
    /// What rl asks registries for, in preference order.
    pub const ACCEPT: &[&str] = &[OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST];
}

/// Largest manifest or config rl will read (the distribution spec suggests 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// Errors in manifests and configs.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Over [`MAX_MANIFEST_BYTES`].
    #[error("manifest of {0} bytes is larger than the 4 MiB limit")]
    TooLarge(usize),
    /// Schema 1 manifests are deprecated and insecure.
    #[error(
        "schema1 manifests are not supported (the image must be re-pushed with a current tool)"
    )]
    Schema1,
    /// A media type rl does not handle.
    #[error("unsupported manifest media type {0:?}")]
    UnknownMediaType(String),
    /// A layer media type rl does not handle.
    #[error("unsupported layer media type {0:?}")]
    UnknownLayerType(String),
    /// JSON that does not describe a manifest.
    #[error("malformed {what}: {source}")]
    Json {
        /// manifest, index or config.
        what: &'static str,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A structural problem.
    #[error("invalid {0}")]
    Invalid(String),
}

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the content.
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// For index entries: the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// GOARCH spelling (amd64, arm64, ...).
    pub architecture: String,
    /// linux, windows, ...
    pub os: String,
    /// v7, v8, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// This machine's platform.
    pub fn host() -> Platform {
        let arch = crate::version::go_arch();
        Platform {
            architecture: arch.to_string(),
            os: "linux".into(),
            variant: (arch == "arm64").then(|| "v8".to_string()),
        }
    }

    /// Parse `os/arch[/variant]` as `--platform` takes it.
    pub fn parse(s: &str) -> Result<Platform, ManifestError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok =
            |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(ManifestError::Invalid(format!(
                "platform {s:?}: want os/arch[/variant], e.g. linux/arm64"
            ))),
        }
    }

    /// Whether an index entry's platform satisfies this wanted one (a wanted variant must match;
    /// arm64's variant defaults to v8 on both sides).
    pub fn matches(&self, have: &Platform) -> bool {
        let norm = |p: &Platform| match (p.architecture.as_str(), p.variant.as_deref()) {
            ("arm64", None) => Some("v8".to_string()),
            (_, v) => v.map(str::to_string),
        };
        self.os == have.os
            && self.architecture == have.architecture
            && (self.variant.is_none() || norm(self) == norm(have))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// An image manifest (OCI or Docker schema2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's own media type, when it states one.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// Layer blobs, base first.
    pub layers: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An index / manifest list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// Its media type, when stated.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Per-platform manifests.
    pub manifests: Vec<Descriptor>,
}

/// Either kind of manifest.
#[derive(Debug, Clone)]
pub enum Manifest {
    /// A single-platform image.
    Image(ImageManifest, String),
    /// A multi-platform index.
    Index(Index, String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    config: Option<serde_json::Value>,
}

/// Parse manifest bytes; `content_type` is the registry's Content-Type header, if any. The media
/// type stated inside the document wins over the header (registries sometimes send a generic one).
pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, ManifestError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge(bytes.len()));
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|source| ManifestError::Json {
        what: "manifest",
        source,
    })?;
    if probe.schema_version == Some(1) {
        return Err(ManifestError::Schema1);
    }
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty() && *c != "application/json" && *c != "text/plain");
    let media_type = match (probe.media_type.as_deref(), header) {
        (Some(m), _) => m.to_string(),
        (None, Some(h)) => h.to_string(),
        (None, None) if probe.manifests.is_some() => media::OCI_INDEX.to_string(),
        (None, None) if probe.config.is_some() => media::OCI_MANIFEST.to_string(),
        (None, None) => return Err(ManifestError::UnknownMediaType("(none)".into())),
    };
    match media_type.as_str() {
        media::OCI_MANIFEST | media::DOCKER_MANIFEST => {
            let m: ImageManifest =
                serde_json::from_slice(bytes).map_err(|source| ManifestError::Json {
                    what: "image manifest",
                    source,
                })?;
            if m.schema_version != 2 {
                return Err(ManifestError::Invalid(format!(
                    "image manifest: schemaVersion {}",
                    m.schema_version
                )));
            }
            for l in &m.layers {
                layer_compression(&l.media_type)?;
            }
            Ok(Manifest::Image(m, media_type))
        }
        media::OCI_INDEX | media::DOCKER_LIST => {
            let i: Index = serde_json::from_slice(bytes).map_err(|source| ManifestError::Json {
                what: "index",
                source,
            })?;
            Ok(Manifest::Index(i, media_type))
        }
        media::DOCKER_SCHEMA1 | media::DOCKER_SCHEMA1_SIGNED => Err(ManifestError::Schema1),
        other => Err(ManifestError::UnknownMediaType(
            other.chars().take(120).collect(),
        )),
    }
}

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip (possibly multi-member).
    Gzip,
    /// zstd.
    Zstd,
    /// bzip2 (archives only: `rl import`, `rl load`, `ADD`; never a layer media type).
    Bzip2,
    /// xz (archives only, as bzip2).
    Xz,
}

/// The compression of a layer media type; non-distributable and foreign layers are refused.
pub fn layer_compression(media_type: &str) -> Result<Compression, ManifestError> {
    match media_type {
        media::OCI_LAYER | "application/vnd.docker.image.rootfs.diff.tar" => Ok(Compression::None),
        media::OCI_LAYER_GZIP | media::DOCKER_LAYER_GZIP => Ok(Compression::Gzip),
        media::OCI_LAYER_ZSTD | "application/vnd.docker.image.rootfs.diff.tar.zstd" => {
            Ok(Compression::Zstd)
        }
        other => Err(ManifestError::UnknownLayerType(
            other.chars().take(120).collect(),
        )),
    }
}

/// Pick the manifest for `want` from an index.
pub fn choose<'a>(index: &'a Index, want: &Platform) -> Option<&'a Descriptor> {
    index
        .manifests
        .iter()
        .filter(|d| {
            matches!(
                d.media_type.as_str(),
                media::OCI_MANIFEST | media::DOCKER_MANIFEST
            )
        })
        .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
}

/// The image config (the parts rl uses; the exact bytes are stored as they came).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImageConfig {
    /// GOARCH spelling.
    #[serde(default)]
    pub architecture: String,
    /// linux.
    #[serde(default)]
    pub os: String,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Comment (`rl commit -m`, `rl import --message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What a container of this image runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// Layer diff ids.
    pub rootfs: RootFs,
    /// Build history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
}

/// The run-time defaults of an image.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// user[:group].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// KEY=VALUE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// Entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Cmd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// "80/tcp": {}.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// "/data": {}.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Stop signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Docker's health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<serde_json::Value>,
    /// ONBUILD triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    /// SHELL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
}

/// rootfs section of a config.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RootFs {
    /// "layers".
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Uncompressed layer digests, base first.
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

/// One history entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct History {
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Made no layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// Parse a config blob and check it against its manifest.
pub fn parse_config(bytes: &[u8], layers: usize) -> Result<ImageConfig, ManifestError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge(bytes.len()));
    }
    let c: ImageConfig = serde_json::from_slice(bytes).map_err(|source| ManifestError::Json {
        what: "image config",
        source,
    })?;
    if c.rootfs.diff_ids.len() != layers {
        return Err(ManifestError::Invalid(format!(
            "image config: {} diff_ids for {layers} layers",
            c.rootfs.diff_ids.len()
        )));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn manifest(mt: &str, layer_mt: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{mt}","config":{{"mediaType":"x","digest":"{D}","size":2}},"layers":[{{"mediaType":"{layer_mt}","digest":"{D}","size":3}}]}}"#
        )
    }

    #[test]
    fn parses_both_kinds() {
        let m = parse(
            manifest(media::DOCKER_MANIFEST, media::DOCKER_LAYER_GZIP).as_bytes(),
            None,
        )
        .unwrap();
        assert!(
            matches!(m, Manifest::Image(ref i, ref t) if i.layers.len() == 1 && t == media::DOCKER_MANIFEST)
        );
        let idx = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{}","digest":"{D}","size":1,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}}]}}"#,
            media::OCI_MANIFEST
        );
        let Manifest::Index(i, t) = parse(idx.as_bytes(), Some(media::OCI_INDEX)).unwrap() else {
            panic!("not an index")
        };
        assert_eq!(t, media::OCI_INDEX);
        let want = Platform::parse("linux/arm64").unwrap();
        assert!(choose(&i, &want).is_some());
        assert!(choose(&i, &Platform::parse("linux/amd64").unwrap()).is_none());
        assert!(choose(&i, &Platform::parse("linux/arm64/v7").unwrap()).is_none());
    }

    #[test]
    fn refuses_hostile_or_unknown() {
        assert!(matches!(
            parse(br#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#, None),
            Err(ManifestError::Schema1)
        ));
        assert!(matches!(
            parse(manifest("application/x-evil", "x").as_bytes(), None),
            Err(ManifestError::UnknownMediaType(_))
        ));
        assert!(matches!(
            parse(
                manifest(
                    media::OCI_MANIFEST,
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
                )
                .as_bytes(),
                None
            ),
            Err(ManifestError::UnknownLayerType(_))
        ));
        let bad_digest = manifest(media::OCI_MANIFEST, media::OCI_LAYER).replace(D, "sha256:../x");
        assert!(parse(bad_digest.as_bytes(), None).is_err());
        assert!(matches!(
            parse(&vec![b' '; MAX_MANIFEST_BYTES + 1], None),
            Err(ManifestError::TooLarge(_))
        ));
        assert!(parse(b"not json", None).is_err());
    }

    #[test]
    fn config_must_match_layers() {
        let c = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{D}"]}},"config":{{"Env":["A=1"],"Cmd":null}}}}"#
        );
        let cfg = parse_config(c.as_bytes(), 1).unwrap();
        assert_eq!(cfg.config.unwrap().env.unwrap(), vec!["A=1"]);
        assert!(parse_config(c.as_bytes(), 2).is_err());
    }

    #[test]
    fn platform_strings() {
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64/v8"
        );
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux/../x").is_err());
    }
}
