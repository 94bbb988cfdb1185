//! Checking credentials against a registry the way `docker login` does: `GET /v2/` with basic
//! auth, following a bearer-token challenge to the token service when the registry sends one.

use reqwest::StatusCode;

use super::RegistryError;
use super::auth::Credentials;

/// Verify `creds` for `host` (host[:port]); `insecure` speaks plain HTTP.
pub fn verify(host: &str, creds: &Credentials, insecure: bool) -> Result<(), RegistryError> {
    let scheme = if insecure { "http" } else { "https" };
    let api = if host == "docker.io" {
        "registry-1.docker.io"
    } else {
        host
    };
    let url = format!("{scheme}://{api}/v2/");
    let transport = |e: reqwest::Error| RegistryError::Transport {
        reference: host.to_string(),
        message: super::error_chain(&e),
    };
    let rt = super::runtime().map_err(|e| RegistryError::Transport {
        reference: host.to_string(),
        message: e.to_string(),
    })?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(insecure)
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(transport)?;
        let res = client
            .get(&url)
            .basic_auth(&creds.username, Some(&creds.password))
            .send()
            .await
            .map_err(transport)?;
        let denied = || {
            RegistryError::Invalid(format!(
                "login to {host} failed: invalid username or password"
            ))
        };
        match res.status() {
            s if s.is_success() => return Ok(()),
            StatusCode::UNAUTHORIZED => {}
            s => {
                return Err(RegistryError::Invalid(format!(
                    "login to {host}: registry answered {s}"
                )));
            }
        }
        let challenge = res
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let Some(params) = challenge.strip_prefix("Bearer ") else {
            return Err(denied());
        };
        let get = |key: &str| {
            params.split(',').find_map(|kv| {
                let (k, v) = kv.trim().split_once('=')?;
                (k == key).then(|| v.trim_matches('"').to_string())
            })
        };
        let realm = get("realm").ok_or_else(denied)?;
        let mut req = client
            .get(&realm)
            .basic_auth(&creds.username, Some(&creds.password))
            .query(&[("account", creds.username.as_str())]);
        if let Some(service) = get("service") {
            req = req.query(&[("service", service.as_str())]);
        }
        let res = req.send().await.map_err(transport)?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(denied())
        }
    })
}
