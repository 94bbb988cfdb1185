//! `rl login` and `rl logout`.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use crate::error::{Error, Result};
use crate::image::reference::is_loopback_registry;
use crate::image::registries::RegistriesConf;
use crate::registry::auth::{self, Credentials};

/// Options of `rl login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The registry: HOST[:PORT] (default: docker.io)
    #[arg(value_name = "REGISTRY")]
    pub registry: Option<String>,
    /// User name
    #[arg(short, long)]
    pub username: Option<String>,
    /// Password (prefer --password-stdin: a password on the command line is visible to others)
    #[arg(short, long)]
    pub password: Option<String>,
    /// Read the password from standard input
    #[arg(long)]
    pub password_stdin: bool,
    /// Print the user name logged in to REGISTRY
    #[arg(long)]
    pub get_login: bool,
    /// Where to store the credentials (default: $XDG_RUNTIME_DIR/containers/auth.json)
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<std::path::PathBuf>,
    /// Require HTTPS and verify certificates (default: true, except for loopback registries and
    /// registries marked insecure in registries.conf)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
}

fn registry_host(r: Option<&str>) -> String {
    let r = r.unwrap_or("docker.io");
    let r = r
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let host = r.split('/').next().unwrap_or(r);
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".into(),
        h => h.to_string(),
    }
}

fn files(authfile: Option<&std::path::Path>) -> Vec<std::path::PathBuf> {
    match authfile {
        Some(f) => vec![f.to_path_buf()],
        None => auth::auth_files(&|k| std::env::var_os(k)),
    }
}

fn read_line(prompt: &str, hide: bool) -> Result<String> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
    }
    let saved = if tty && hide {
        let t = nix::sys::termios::tcgetattr(&stdin).ok();
        if let Some(t) = &t {
            let mut quiet = t.clone();
            quiet
                .local_flags
                .remove(nix::sys::termios::LocalFlags::ECHO);
            let _ =
                nix::sys::termios::tcsetattr(&stdin, nix::sys::termios::SetArg::TCSANOW, &quiet);
        }
        t
    } else {
        None
    };
    let mut line = String::new();
    let res = stdin.lock().read_line(&mut line);
    if let Some(t) = saved {
        let _ = nix::sys::termios::tcsetattr(&stdin, nix::sys::termios::SetArg::TCSANOW, &t);
        eprintln!();
    }
    res.map_err(|e| Error::io("read from standard input", e))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Log in.
pub fn login(a: &LoginArgs) -> Result<()> {
    let host = registry_host(a.registry.as_deref());
    let files = files(a.authfile.as_deref());
    if a.get_login {
        return match auth::lookup(&files, &host)? {
            Some(c) => super::print_stdout(&format!("{}\n", c.username)),
            None => Err(Error::Msg(format!("not logged into {host}"))),
        };
    }
    let username = match &a.username {
        Some(u) => u.clone(),
        None if a.password_stdin => {
            return Err(Error::Usage("--password-stdin needs --username".into()));
        }
        None => read_line("Username: ", false)?,
    };
    let password = match (&a.password, a.password_stdin) {
        (Some(_), true) => {
            return Err(Error::Usage(
                "--password and --password-stdin are mutually exclusive".into(),
            ));
        }
        (Some(p), false) => p.clone(),
        (None, true) => read_line("", false)?,
        (None, false) => {
            if !std::io::stdin().is_terminal() {
                return Err(Error::Usage(
                    "no password: use --password-stdin, or run in a terminal".into(),
                ));
            }
            read_line("Password: ", true)?
        }
    };
    if username.is_empty() || password.is_empty() {
        return Err(Error::Usage(
            "user name and password must not be empty".into(),
        ));
    }
    let conf = RegistriesConf::load(|k| std::env::var_os(k))?;
    let insecure = match a.tls_verify {
        Some(v) => !v,
        None => conf.transport(&host).insecure || is_loopback_registry(&host),
    };
    let creds = Credentials { username, password };
    crate::registry::login::verify(&host, &creds, insecure)?;
    let target = files.first().ok_or_else(|| {
        Error::Msg("no place to store credentials: set XDG_RUNTIME_DIR or HOME".into())
    })?;
    auth::store(target, &host, &creds)?;
    super::print_stdout("Login Succeeded!\n")
}

/// Options of `rl logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The registry: HOST[:PORT] (default: docker.io)
    #[arg(value_name = "REGISTRY")]
    pub registry: Option<String>,
    /// Remove the credentials of every registry
    #[arg(short, long)]
    pub all: bool,
    /// The auth file to edit (default: $XDG_RUNTIME_DIR/containers/auth.json)
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<std::path::PathBuf>,
}

/// Log out.
pub fn logout(a: &LogoutArgs) -> Result<()> {
    let files = files(a.authfile.as_deref());
    let Some(target) = files.first() else {
        return Err(Error::Msg(
            "no auth file: set XDG_RUNTIME_DIR or HOME".into(),
        ));
    };
    if a.all {
        auth::remove(target, None)?;
        return super::print_stdout("Removed login credentials for all registries\n");
    }
    let host = registry_host(a.registry.as_deref());
    if auth::remove(target, Some(&host))? {
        super::print_stdout(&format!("Removed login credentials for {host}\n"))
    } else {
        Err(Error::Msg(format!("not logged into {host}")))
    }
}
