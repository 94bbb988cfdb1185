//! A tiny blocking client for the OCI distribution API (push and pull of
//! blobs and manifests), just enough to seed and inspect a test registry.
//!
//! Failures of the `push_*`/`get_blob` helpers panic with the registry's
//! answer, since they are test-harness plumbing; `get_manifest` and the
//! `try_*` variants return [`OciError`] so tests can assert on refusals.

// Shared harness: not every test binary uses every item.
#![allow(dead_code)]

use std::fmt;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

/// Media types used by the fixtures and the client.
pub mod media {
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    pub const OCTET_STREAM: &str = "application/octet-stream";

    /// Every manifest media type the fixtures use, for a permissive `Accept`.
    pub const ALL_MANIFESTS: &[&str] = &[
        OCI_MANIFEST,
        OCI_INDEX,
        DOCKER_MANIFEST,
        DOCKER_MANIFEST_LIST,
    ];
}

/// `"sha256:<hex>"` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(s, "{b:02x}").expect("writing to a String cannot fail");
    }
    s
}

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

impl Descriptor {
    pub fn new(media_type: &str, digest: &str, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest: digest.to_owned(),
            size,
        }
    }

    /// The descriptor of `bytes` with the given media type.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor::new(media_type, &sha256_digest(bytes), bytes.len() as u64)
    }

    /// The same descriptor with another media type.
    pub fn with_media_type(mut self, media_type: &str) -> Descriptor {
        media_type.clone_into(&mut self.media_type);
        self
    }

    /// `{"mediaType": .., "digest": .., "size": ..}`
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        })
    }
}

/// A manifest as served by the registry.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The `Content-Type` header.
    pub media_type: String,
    pub bytes: Vec<u8>,
    /// The `Docker-Content-Digest` header, if any.
    pub digest_header: Option<String>,
}

/// Why a registry request failed.
#[derive(Debug)]
pub enum OciError {
    /// The registry answered with an unexpected status.
    Status {
        method: String,
        url: String,
        status: u16,
        body: String,
    },
    /// The request did not complete (connection refused, timeout, ...).
    Transport {
        method: String,
        url: String,
        error: ureq::Error,
    },
}

impl OciError {
    /// The HTTP status, if the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            OciError::Status { status, .. } => Some(*status),
            OciError::Transport { .. } => None,
        }
    }
}

impl fmt::Display for OciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OciError::Status {
                method,
                url,
                status,
                body,
            } => {
                write!(f, "{method} {url}: HTTP {status}: {body}")
            }
            OciError::Transport { method, url, error } => write!(f, "{method} {url}: {error}"),
        }
    }
}

impl std::error::Error for OciError {}

/// Blocking distribution-API client for one registry.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    /// Precomputed `Authorization` header value.
    authorization: Option<String>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("auth", &self.authorization.is_some())
            .finish()
    }
}

struct Answer {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl Client {
    /// `base` is like `"http://127.0.0.1:5000"`; `creds` enables Basic auth.
    pub fn new(base: &str, creds: Option<(String, String)>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(5)
            .accept_encoding(ureq::config::AutoHeaderValue::None)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        Client {
            base: base.trim_end_matches('/').to_owned(),
            agent,
            authorization: creds
                .map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes()))),
        }
    }

    /// The base URL this client talks to.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else {
            format!("{}{}", self.base, path_or_url)
        }
    }

    fn request(
        &self,
        method: &str,
        path_or_url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer, OciError> {
        let url = self.url(path_or_url);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(auth) = &self.authorization {
            builder = builder.header("Authorization", auth);
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let transport = |error| OciError::Transport {
            method: method.to_owned(),
            url: url.clone(),
            error,
        };
        let request = builder
            .body(body)
            .map_err(|e| transport(ureq::Error::Http(e)))?;
        let mut response = self.agent.run(request).map_err(transport)?;
        let status = response.status().as_u16();
        let body = if method == "HEAD" {
            Vec::new()
        } else {
            response
                .body_mut()
                .with_config()
                .limit(u64::MAX)
                .read_to_vec()
                .map_err(transport)?
        };
        Ok(Answer {
            status,
            headers: response.headers().clone(),
            body,
        })
    }

    fn expect_status(
        &self,
        method: &str,
        path_or_url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        ok: &[u16],
    ) -> Result<Answer, OciError> {
        let answer = self.request(method, path_or_url, headers, body)?;
        if ok.contains(&answer.status) {
            Ok(answer)
        } else {
            Err(OciError::Status {
                method: method.to_owned(),
                url: self.url(path_or_url),
                status: answer.status,
                body: String::from_utf8_lossy(&answer.body).into_owned(),
            })
        }
    }

    /// The status of a bodiless request to `path` (e.g. `"/v2/"`).
    pub fn status_of(&self, method: &str, path: &str) -> u16 {
        self.try_status_of(method, path)
            .unwrap_or_else(|e| panic!("registry request failed: {e}"))
    }

    /// Like [`Client::status_of`], but transport failures are errors.
    pub fn try_status_of(&self, method: &str, path: &str) -> Result<u16, OciError> {
        Ok(self.request(method, path, &[], &[])?.status)
    }

    /// Whether `repo` has blob `digest` (HEAD).
    pub fn blob_exists(&self, repo: &str, digest: &str) -> bool {
        let path = format!("/v2/{repo}/blobs/{digest}");
        match self.status_of("HEAD", &path) {
            200 => true,
            404 => false,
            other => panic!("HEAD {path}: unexpected HTTP {other}"),
        }
    }

    /// Uploads `bytes` as a blob of `repo` (skipped if already there).
    /// The descriptor's media type is `application/octet-stream`.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> Descriptor {
        self.try_push_blob(repo, bytes)
            .unwrap_or_else(|e| panic!("pushing a blob to {repo} failed: {e}"))
    }

    /// Like [`Client::push_blob`], but returns refusals (e.g. 401) as errors.
    pub fn try_push_blob(&self, repo: &str, bytes: &[u8]) -> Result<Descriptor, OciError> {
        self.try_push_blob_as(repo, &sha256_digest(bytes), bytes)
    }

    /// Like [`Client::try_push_blob`] when the digest is already known (saves
    /// hashing big blobs again; the registry still verifies it).
    pub fn try_push_blob_as(
        &self,
        repo: &str,
        digest: &str,
        bytes: &[u8],
    ) -> Result<Descriptor, OciError> {
        let desc = Descriptor::new(media::OCTET_STREAM, digest, bytes.len() as u64);
        let head = self.request(
            "HEAD",
            &format!("/v2/{repo}/blobs/{}", desc.digest),
            &[],
            &[],
        )?;
        if head.status == 200 {
            return Ok(desc);
        }
        let start_path = format!("/v2/{repo}/blobs/uploads/");
        let started =
            self.expect_status("POST", &start_path, &[("Content-Length", "0")], &[], &[202])?;
        let location = started.header("Location").ok_or_else(|| OciError::Status {
            method: "POST".into(),
            url: self.url(&start_path),
            status: started.status,
            body: "no Location header in the upload answer".into(),
        })?;
        let sep = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{sep}digest={}", desc.digest);
        let put = self.expect_status(
            "PUT",
            &put_url,
            &[("Content-Type", media::OCTET_STREAM)],
            bytes,
            &[201],
        )?;
        if let Some(got) = put.header("Docker-Content-Digest") {
            assert_eq!(
                got, desc.digest,
                "registry computed another digest for the blob"
            );
        }
        Ok(desc)
    }

    /// Uploads a manifest under `reference` (tag or digest) and returns the
    /// digest the registry reports for it.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        self.try_push_manifest(repo, reference, media_type, bytes)
            .unwrap_or_else(|e| panic!("pushing manifest {repo}:{reference} failed: {e}"))
    }

    /// Like [`Client::push_manifest`], but returns refusals as errors.
    pub fn try_push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String, OciError> {
        let answer = self.expect_status(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            bytes,
            &[201],
        )?;
        let digest = sha256_digest(bytes);
        if let Some(got) = answer.header("Docker-Content-Digest") {
            assert_eq!(
                got, digest,
                "registry computed another digest for the manifest"
            );
        }
        Ok(digest)
    }

    /// GET a manifest by tag or digest, sending `accept` as the `Accept` list.
    pub fn get_manifest(
        &self,
        repo: &str,
        reference: &str,
        accept: &[&str],
    ) -> Result<Fetched, OciError> {
        let accept = accept.join(", ");
        let answer = self.expect_status(
            "GET",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", &accept)],
            &[],
            &[200],
        )?;
        Ok(Fetched {
            media_type: answer.header("Content-Type").unwrap_or_default(),
            digest_header: answer.header("Docker-Content-Digest"),
            bytes: answer.body,
        })
    }

    /// GET a blob (whole, in memory).
    pub fn get_blob(&self, repo: &str, digest: &str) -> Vec<u8> {
        self.expect_status(
            "GET",
            &format!("/v2/{repo}/blobs/{digest}"),
            &[],
            &[],
            &[200],
        )
        .unwrap_or_else(|e| panic!("fetching blob {digest} from {repo} failed: {e}"))
        .body
    }

    /// Tags of `repo` (`/v2/<repo>/tags/list`).
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let answer = self
            .expect_status("GET", &format!("/v2/{repo}/tags/list"), &[], &[], &[200])
            .unwrap_or_else(|e| panic!("listing tags of {repo} failed: {e}"));
        let v: serde_json::Value =
            serde_json::from_slice(&answer.body).expect("tags/list answer is JSON");
        v["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Standard base64 with padding (for Basic auth).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_rfc4648_vectors() {
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), encoded);
    }
}
