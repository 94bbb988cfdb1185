//! Talking to registries: pull and push over the distribution API (oci-client), credentials.
//!
//! Everything here is synchronous to its callers: a current-thread tokio runtime is built for the
//! duration of one pull or push, after the process has entered its user namespace (unshare needs
//! a single-threaded process; the runtime's blocking pool starts threads).

pub mod auth;
pub mod login;
pub mod pull;
pub mod push;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;

use crate::image::reference::Reference;
use crate::image::registries::RegistriesConf;

/// Errors talking to a registry, one line each.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No credentials, or wrong ones.
    #[error(
        "{reference}: authentication required or denied by {registry}; run `rl login {registry}`"
    )]
    Unauthorized {
        /// What was being fetched.
        reference: String,
        /// The registry host.
        registry: String,
    },
    /// The image or tag does not exist.
    #[error("{0}: manifest unknown (the image or tag does not exist)")]
    NotFound(String),
    /// The registry could not be reached or the transfer broke.
    #[error("{reference}: {message}")]
    Transport {
        /// What was being fetched.
        reference: String,
        /// What went wrong.
        message: String,
    },
    /// The registry sent something wrong.
    #[error("{0}")]
    Invalid(String),
    /// The registry is blocked in registries.conf.
    #[error("registry {0} is blocked in registries.conf")]
    Blocked(String),
}

/// The current-thread runtime a pull, push or login runs on (built only on those paths).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Build an oci-client for `reference`'s registry with the transport settings of registries.conf
/// (loopback registries and `insecure = true` entries speak plain HTTP) and `tls_verify`.
pub fn client_for(
    conf: &RegistriesConf,
    reference: &Reference,
    tls_verify: Option<bool>,
) -> Result<oci_client::Client, RegistryError> {
    let t = conf.transport(reference.registry());
    if t.blocked {
        return Err(RegistryError::Blocked(reference.registry().to_string()));
    }
    let insecure = match tls_verify {
        Some(v) => !v,
        None => t.insecure,
    };
    let config = ClientConfig {
        protocol: if insecure {
            ClientProtocol::HttpsExcept(vec![reference.api_host().to_string()])
        } else {
            ClientProtocol::Https
        },
        accept_invalid_certificates: insecure,
        // Pushes stream each blob in one PUT with its size: the most widely supported upload.
        use_monolithic_push: true,
        platform_resolver: None,
        connect_timeout: Some(std::time::Duration::from_secs(30)),
        user_agent: concat!("rl/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    };
    Ok(oci_client::Client::new(config))
}

/// The oci-client reference for ours.
pub fn oci_reference(r: &Reference) -> oci_client::Reference {
    let registry = r.api_host().to_string();
    let repo = r.repository().to_string();
    match (r.tag(), r.digest()) {
        (Some(t), Some(d)) => {
            oci_client::Reference::with_tag_and_digest(registry, repo, t.to_string(), d.to_string())
        }
        (_, Some(d)) => oci_client::Reference::with_digest(registry, repo, d.to_string()),
        (t, None) => {
            oci_client::Reference::with_tag(registry, repo, t.unwrap_or("latest").to_string())
        }
    }
}

/// Credentials for `reference`'s registry from the auth files, as oci-client wants them.
pub fn registry_auth(reference: &Reference) -> Result<RegistryAuth, crate::error::Error> {
    let files = auth::auth_files(&|k| std::env::var_os(k));
    Ok(match auth::lookup(&files, reference.registry())? {
        Some(c) => RegistryAuth::Basic(c.username, c.password),
        None => RegistryAuth::Anonymous,
    })
}

/// Turn an oci-client error into one line that says what to do.
pub fn describe(reference: &Reference, e: OciDistributionError) -> RegistryError {
    use oci_client::errors::OciErrorCode as C;
    let r = reference.to_string();
    let unauthorized = || RegistryError::Unauthorized {
        reference: r.clone(),
        registry: reference.registry().to_string(),
    };
    match e {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => unauthorized(),
        OciDistributionError::ImageManifestNotFoundError(_) => RegistryError::NotFound(r),
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<&C> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes
                .iter()
                .any(|c| matches!(c, C::Unauthorized | C::Denied))
            {
                unauthorized()
            } else if codes
                .iter()
                .any(|c| matches!(c, C::ManifestUnknown | C::NameUnknown | C::NotFound))
            {
                RegistryError::NotFound(r)
            } else {
                let msg: Vec<String> = envelope.errors.iter().map(|e| e.message.clone()).collect();
                RegistryError::Transport {
                    reference: r,
                    message: format!("registry error: {}", msg.join("; ")),
                }
            }
        }
        OciDistributionError::ServerError { code, message, .. } => match code {
            401 | 403 => unauthorized(),
            404 => RegistryError::NotFound(r),
            _ => RegistryError::Transport {
                reference: r,
                message: format!(
                    "registry answered {code}: {}",
                    message
                        .lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            },
        },
        OciDistributionError::RequestError(e) if e.status().is_some() => {
            match e.status().map(|s| s.as_u16()) {
                Some(401 | 403) => unauthorized(),
                Some(404) => RegistryError::NotFound(r),
                _ => RegistryError::Transport {
                    reference: r,
                    message: error_chain(&e),
                },
            }
        }
        other => RegistryError::Transport {
            reference: r,
            message: error_chain(&other),
        },
    }
}

/// An error and its sources as one line, repeated parts dropped.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}
