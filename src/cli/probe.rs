//! `klarna-mcp probe [URL]`: asks the team server whether it is up — a `GET` of its health
//! endpoint — and exits 0 when it answers 2xx, 1 otherwise. For a container's `HEALTHCHECK`
//! and other supervisors, where the image has no shell and no HTTP client but this binary.

use std::{process::ExitCode, time::Duration};

use url::Url;

/// How long the probe waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(clap::Args)]
pub struct Args {
    /// The URL to ask (default: /healthz on KLARNA_HTTP_ADDR, else http://127.0.0.1:8080/healthz;
    /// an address listening on all interfaces is asked on loopback).
    url: Option<Url>,
}

/// Asks once; says the answer on stderr.
pub async fn run(args: Args) -> ExitCode {
    let url = match args.url {
        Some(url) => url,
        None => match default_url(std::env::var("KLARNA_HTTP_ADDR").ok().as_deref()) {
            Ok(url) => url,
            Err(e) => {
                eprintln!("klarna-mcp probe: {e}");
                return ExitCode::from(2);
            }
        },
    };
    if !matches!(url.scheme(), "http" | "https") {
        eprintln!("klarna-mcp probe: {url} is not an http(s) URL");
        return ExitCode::from(2);
    }
    let client = match reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp probe: cannot build an HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shown = crate::config::redacted_url(&url);
    match client.get(url).send().await {
        Ok(answer) if answer.status().is_success() => ExitCode::SUCCESS,
        Ok(answer) => {
            eprintln!("klarna-mcp probe: {shown} answered {}", answer.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!(
                "klarna-mcp probe: {shown} did not answer ({})",
                if e.is_timeout() {
                    "timeout"
                } else {
                    "no connection"
                }
            );
            ExitCode::FAILURE
        }
    }
}

/// `/healthz` on the listen address, asked on loopback when it listens on all interfaces.
fn default_url(addr: Option<&str>) -> Result<Url, String> {
    let addr: std::net::SocketAddr = match addr.map(str::trim).filter(|a| !a.is_empty()) {
        None => return Url::parse("http://127.0.0.1:8080/healthz").map_err(|e| e.to_string()),
        Some(a) => a
            .parse()
            .map_err(|_| format!("KLARNA_HTTP_ADDR={a:?} is not an address and port"))?,
    };
    let host = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    Url::parse(&format!("http://{host}:{}/healthz", addr.port())).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_asks_the_listen_address_on_loopback() {
        let url = |a| default_url(a).unwrap().to_string();
        assert_eq!(url(None), "http://127.0.0.1:8080/healthz");
        assert_eq!(url(Some("0.0.0.0:9000")), "http://127.0.0.1:9000/healthz");
        assert_eq!(url(Some("[::]:9000")), "http://[::1]:9000/healthz");
        assert_eq!(url(Some("10.0.0.5:8080")), "http://10.0.0.5:8080/healthz");
        assert!(default_url(Some("nonsense")).is_err());
    }
}
