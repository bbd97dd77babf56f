//! The HTTP side of the IdP: one keep-alive agent (ureq, synchronous) shared by the cycle's workers,
//! TLS through rustls 0.23 with the ring provider (the server's own stack, no second one), trusting
//! exactly `--cacert` when given and the system's CA store otherwise; plain `http://` for labs on
//! loopback. Every answer is read as untrusted: any status, a body of any shape (bounded in size),
//! or none. URL encoding of filters and ids lives here too.
//!
//! It knows nothing of SCIM resources: the dialects build [`Request`]s, the cycle reads [`Reply`]s.

use crate::error::{Error, Result};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// The longest a request may take, connection included: Entra's provisioning service gives a SCIM
/// endpoint 60 seconds (SPEC-idp.md 1.9).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read; a bigger one is a failure (a page of users is far smaller).
const MAX_ANSWER_BYTES: u64 = 8 * 1024 * 1024;
/// At most this many characters of an answer go into a log line.
const MAX_DETAIL_CHARS: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the request changes the target (a dry run sends only the others).
    pub fn writes(self) -> bool {
        self != Method::Get
    }
}

/// One request below the target's base URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    /// Starts with `/`, already encoded.
    pub path: String,
    pub body: Option<Value>,
}

impl Request {
    pub fn get(path: String) -> Request {
        Request { method: Method::Get, path, body: None }
    }
    pub fn with(method: Method, path: String, body: Value) -> Request {
        Request { method, path, body: Some(body) }
    }
}

/// An answer: its status, its text, and its JSON when the text is JSON.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub json: Option<Value>,
    pub elapsed: Duration,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// What a person reads about a failed answer: the SCIM error's `detail` (and `scimType`), or
    /// the start of the text.
    pub fn error_detail(&self) -> String {
        let scim = self.json.as_ref().and_then(|j| j.get("detail")).and_then(Value::as_str);
        let text = match scim {
            Some(d) => d.to_string(),
            None if self.text.trim().is_empty() => format!("HTTP {} with no body", self.status),
            None => self.text.trim().to_string(),
        };
        shorten(&text)
    }

    /// The SCIM `scimType` of an error answer, when there is one.
    pub fn scim_type(&self) -> Option<&str> {
        self.json.as_ref().and_then(|j| j.get("scimType")).and_then(Value::as_str)
    }
}

/// A request that got no HTTP answer: why, as a short reason code, and what happened.
#[derive(Debug, Clone)]
pub struct Failure {
    pub reason: &'static str,
    pub detail: String,
    pub elapsed: Duration,
}

/// The target: its base URL, the bearer token, and the dialect's headers.
pub struct Target {
    agent: ureq::Agent,
    base: String,
    authorization: String,
    headers: Vec<(&'static str, &'static str)>,
}

impl Target {
    /// A target at `base` (`http://` or `https://`); `cacert` replaces the system roots.
    pub fn new(
        base: &str,
        token: &str,
        cacert: Option<&Path>,
        headers: Vec<(&'static str, &'static str)>,
        connections: usize,
    ) -> Result<Target> {
        let base = base.trim_end_matches('/').to_string();
        let https = base.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        let http = base.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        if !https && !http {
            return Err(Error::invalid_value(format!(
                "--target {base:?} is not an http:// or https:// URL; give the SCIM base URL, e.g. \
                 https://scim.example.com/v2"
            )));
        }
        if token.is_empty() || token.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::invalid_value(
                "--token is empty or holds spaces or control characters; give the bearer token the target issued",
            ));
        }
        let roots = if https { roots(cacert)? } else { Vec::new() };
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .max_idle_connections(connections.max(1))
            .max_idle_connections_per_host(connections.max(1))
            .tls_config(tls)
            .build();
        Ok(Target {
            agent: ureq::Agent::new_with_config(config),
            base,
            authorization: format!("Bearer {token}"),
            headers,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one request and reads the whole answer.
    pub fn send(&self, req: &Request) -> std::result::Result<Reply, Failure> {
        let started = Instant::now();
        let url = format!("{}{}", self.base, req.path);
        let body = req.body.as_ref().map(Value::to_string);
        let answer = match req.method {
            Method::Get | Method::Delete => {
                let mut b =
                    if req.method == Method::Get { self.agent.get(&url) } else { self.agent.delete(&url) };
                b = b.header("Authorization", &self.authorization);
                for (k, v) in &self.headers {
                    b = b.header(*k, *v);
                }
                b.call()
            }
            Method::Post | Method::Put | Method::Patch => {
                let mut b = match req.method {
                    Method::Post => self.agent.post(&url),
                    Method::Put => self.agent.put(&url),
                    _ => self.agent.patch(&url),
                };
                b = b
                    .header("Authorization", &self.authorization)
                    .header("Content-Type", "application/scim+json; charset=utf-8");
                for (k, v) in &self.headers {
                    b = b.header(*k, *v);
                }
                b.send(body.unwrap_or_default())
            }
        };
        let failure = |e: ureq::Error| Failure {
            reason: reason_of(&e),
            detail: shorten(&e.to_string()),
            elapsed: started.elapsed(),
        };
        let mut response = answer.map_err(failure)?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| Failure {
                reason: "invalid_response",
                detail: shorten(&format!("HTTP {status}, but the body could not be read: {e}")),
                elapsed: started.elapsed(),
            })?;
        let json = serde_json::from_str(&text).ok();
        Ok(Reply { status, text, json, elapsed: started.elapsed() })
    }
}

fn reason_of(e: &ureq::Error) -> &'static str {
    match e {
        ureq::Error::Timeout(_) => "timeout",
        ureq::Error::Tls(_) | ureq::Error::Pem(_) => "tls",
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => "tls",
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => "timeout",
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => "connection",
        _ => "http_client",
    }
}

/// The certificates to trust: exactly those in `cacert`, or the system's CA store.
fn roots(cacert: Option<&Path>) -> Result<Vec<Certificate<'static>>> {
    let certs: Vec<Certificate<'static>> = match cacert {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| Error::invalid_value(format!("cannot read --cacert {}: {e}", path.display())))?;
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(&pem) {
                match item {
                    Ok(PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(Error::invalid_value(format!("--cacert {}: {e}", path.display())));
                    }
                }
            }
            let usable = certs.iter().filter(|c| is_trust_anchor(c.der())).count();
            if usable == 0 {
                return Err(Error::invalid_value(format!(
                    "--cacert {} holds no usable certificate: give the PEM of the CA that signed the target's \
                     certificate (or the target's self-signed certificate)",
                    path.display()
                )));
            }
            certs
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let certs: Vec<Certificate<'static>> =
                found.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
            if certs.is_empty() {
                let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
                return Err(Error::invalid_value(format!(
                    "no trusted CA certificates found on this system{why}: give --cacert PEM (the CA that signed \
                     the target's certificate), or set SSL_CERT_FILE"
                )));
            }
            certs
        }
    };
    Ok(certs)
}

fn is_trust_anchor(der: &[u8]) -> bool {
    rustls::RootCertStore::empty().add(rustls::pki_types::CertificateDer::from(der.to_vec())).is_ok()
}

fn shorten(text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match one_line.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// How a space is written in a query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// `+` (Entra: `filter=userName+eq+%22…%22`).
    Plus,
    /// `%20` (Okta).
    Percent,
}

/// A query-string value: every byte outside RFC 3986's unreserved set percent-encoded.
pub fn query_value(s: &str, space: Space) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b' ' if space == Space::Plus => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A path segment from an id the target chose (so a `/` or `?` in it stays inside the segment).
pub fn segment(id: &str) -> String {
    query_value(id, Space::Percent)
}

/// The id a dry run shows for a user or group it would create: readable, and the same in a path
/// as in a body (only unreserved characters).
pub fn placeholder_id(kind: &str, name: &str) -> String {
    let slug: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-._~".contains(c) { c } else { '-' }).collect();
    format!("new-{kind}-{slug}")
}

/// `attr eq "value"` with the value quoted as a SCIM filter string.
pub fn eq_filter(attr: &str, value: &str) -> String {
    format!("{attr} eq \"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_encoded_as_each_idp_writes_them() {
        let f = eq_filter("userName", "ada+x@example.com");
        assert_eq!(query_value(&f, Space::Plus), "userName+eq+%22ada%2Bx%40example.com%22");
        assert_eq!(query_value(&f, Space::Percent), "userName%20eq%20%22ada%2Bx%40example.com%22");
        assert_eq!(eq_filter("displayName", r#"a"b\c"#), r#"displayName eq "a\"b\\c""#);
        assert_eq!(segment("../x?y=1"), "..%2Fx%3Fy%3D1");
    }

    #[test]
    fn answers_are_read_as_untrusted() {
        let r = |status, text: &str| Reply {
            status,
            text: text.into(),
            json: serde_json::from_str(text).ok(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(r(403, r#"{"detail":"DI is off","scimType":null}"#).error_detail(), "DI is off");
        assert_eq!(r(500, "").error_detail(), "HTTP 500 with no body");
        assert_eq!(r(400, r#"{"scimType":"mutability","detail":"x"}"#).scim_type(), Some("mutability"));
        let long = r(502, &"x\n".repeat(1000)).error_detail();
        assert!(long.chars().count() <= MAX_DETAIL_CHARS + 1 && !long.contains('\n'));
        assert!(!r(302, "").ok() && r(204, "").ok());
    }

    #[test]
    fn a_target_needs_a_url_a_token_and_for_https_a_usable_cacert() {
        let t = |base: &str, token: &str| Target::new(base, token, None, Vec::new(), 1).map(|_| ());
        assert!(t("ftp://x/v2", "t").unwrap_err().detail.contains("http://"));
        assert!(t("http://127.0.0.1:1/v2", "a b").unwrap_err().detail.contains("--token"));
        assert!(t("http://127.0.0.1:1/v2/", "sst_x").is_ok());
        let dir = std::env::temp_dir().join(format!("scim-seat-cacert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = dir.join("bad.pem");
        std::fs::write(&pem, "not a certificate").unwrap();
        let e =
            Target::new("https://127.0.0.1:1/v2", "t", Some(&pem), Vec::new(), 1).map(|_| ()).unwrap_err();
        assert!(e.detail.contains("no usable certificate"), "{}", e.detail);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
