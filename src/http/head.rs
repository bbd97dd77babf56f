//! The request head as the edge checks it before relaying: size and field caps, framing
//! (Content-Length vs Transfer-Encoding), obsolete folding, non-ASCII, and the facts the relay needs
//! (body length, keep-alive, `Expect: 100-continue`); and the framing facts of a backend response.

use super::edge::Limits;
use crate::error::Error;
use std::net::SocketAddr;

pub(super) struct Head {
    /// Bytes of the head in the buffer, including the blank line.
    pub(super) len: usize,
    pub(super) method: String,
    pub(super) content_length: usize,
    pub(super) keep_alive: bool,
    pub(super) expect_continue: bool,
    /// The head as forwarded: request line, the client's fields minus the ones we own, our
    /// `X-Forwarded-For`, blank line.
    pub(super) forward: Vec<u8>,
}

/// Why the edge refuses a request itself.
pub(super) struct Reject {
    pub(super) error: Error,
}

impl Reject {
    pub(super) fn new(kind: crate::error::Kind, detail: impl Into<String>) -> Reject {
        Reject { error: Error::new(kind, detail) }
    }
    fn bad(detail: impl Into<String>) -> Reject {
        Reject::new(crate::error::Kind::BadRequest, detail)
    }
}

pub(super) fn too_large_head(limits: &Limits) -> Error {
    Error::new(
        crate::error::Kind::HeadTooLarge,
        format!("the request head is larger than {} bytes", limits.max_head_bytes),
    )
}

/// Index just past the blank line ending a head (CRLF CRLF, or bare LF LF), searching from `from`.
pub(super) fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.min(buf.len());
    let mut i = start;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Checks a request head (SPEC section 1) and builds the head to forward.
pub(super) fn check_head(raw: &[u8], limits: &Limits, peer: SocketAddr) -> Result<Head, Reject> {
    if let Some(b) = raw.iter().find(|b| !b.is_ascii()) {
        return Err(Reject::bad(format!("the request head contains the non-ASCII byte 0x{b:02x}")));
    }
    let text = std::str::from_utf8(raw).map_err(|_| Reject::bad("the request head is not ASCII"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Err(Reject::bad("the request line must be METHOD SP TARGET SP HTTP-VERSION")),
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(Reject::bad("the request method is not a token"));
    }
    if !target.starts_with('/') || target.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(Reject::bad("the request target must be an absolute path such as /v2/Users"));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(Reject::bad(format!("unsupported HTTP version \"{version}\""))),
    };
    let mut forward = Vec::with_capacity(raw.len() + 40);
    forward.extend_from_slice(request_line.as_bytes());
    forward.extend_from_slice(b"\r\n");
    let mut fields = 0;
    let mut content_length: Option<usize> = None;
    let mut transfer_encoding = false;
    let mut connection_close = http10;
    let mut expect_continue = false;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            return Err(Reject::bad("obsolete line folding (obs-fold) is not accepted in request heads"));
        }
        fields += 1;
        if fields > limits.max_head_fields {
            return Err(Reject::new(
                crate::error::Kind::HeadTooLarge,
                format!("the request has more than {} header fields", limits.max_head_fields),
            ));
        }
        let Some((name, value)) = line.split_once(':') else {
            // Never echoed: such a line may be a credential that lost its colon.
            return Err(Reject::bad(format!("header field {fields} has no colon")));
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(Reject::bad(format!("header field {fields} does not have a valid name")));
        }
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(Reject::bad(format!("the {name} header contains a control character")));
        }
        let lname = name.to_ascii_lowercase();
        match lname.as_str() {
            "content-length" => {
                if content_length.is_some() {
                    return Err(Reject::bad("the request has more than one Content-Length"));
                }
                if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Reject::bad("Content-Length is not a number"));
                }
                let n: u64 = value.parse().map_err(|_| Reject::bad("Content-Length is not a number"))?;
                if n > limits.max_body_bytes as u64 {
                    return Err(Reject::new(
                        crate::error::Kind::PayloadTooLarge,
                        format!("the body is larger than the limit of {} bytes", limits.max_body_bytes),
                    ));
                }
                content_length = Some(n as usize);
            }
            "transfer-encoding" => transfer_encoding = true,
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.split(',').any(|t| t.trim() == "close") {
                    connection_close = true;
                } else if v.split(',').any(|t| t.trim() == "keep-alive") {
                    connection_close = false;
                }
                continue;
            }
            "expect" => {
                if value.eq_ignore_ascii_case("100-continue") {
                    expect_continue = true;
                    continue;
                }
                return Err(Reject::new(
                    crate::error::Kind::BadRequest,
                    "the Expect header asks for something other than 100-continue, which is not supported",
                ));
            }
            // Ours to set, or hop-by-hop fields the backend must not see from the client.
            "x-forwarded-for" | "forwarded" | "x-real-ip" | "te" | "keep-alive" | "upgrade" => continue,
            _ => {}
        }
        forward.extend_from_slice(name.as_bytes());
        forward.extend_from_slice(b": ");
        forward.extend_from_slice(value.as_bytes());
        forward.extend_from_slice(b"\r\n");
    }
    if transfer_encoding {
        if content_length.is_some() {
            return Err(Reject::bad("a request must not carry both Content-Length and Transfer-Encoding"));
        }
        return Err(Reject::new(
            crate::error::Kind::LengthRequired,
            "chunked request bodies are not accepted: send Content-Length",
        ));
    }
    // One backend connection per exchange: tiny_http 0.12's task pool can queue a new connection's
    // task behind long-lived ones (a woken thread still counts as idle), so backend connections must
    // never outlive a request, or a fresh client could wait until another client disconnects.
    forward.extend_from_slice(b"Connection: close\r\n");
    forward.extend_from_slice(b"X-Forwarded-For: ");
    forward.extend_from_slice(peer.ip().to_string().as_bytes());
    forward.extend_from_slice(b"\r\n\r\n");
    Ok(Head {
        len: raw.len(),
        method: method.to_string(),
        content_length: content_length.unwrap_or(0),
        keep_alive: !connection_close,
        expect_continue,
        forward,
    })
}

/// The head check as a pure function, for fuzzing and tools: checks one raw request head (request
/// line, fields, blank line) under the default [`Limits`], as if sent from a fixed documentation
/// address, and discards the head that would be forwarded. `Err` carries the answer the edge sends.
pub fn check_request_head(raw: &[u8]) -> Result<(), Error> {
    let peer = SocketAddr::from(([192, 0, 2, 1], 1));
    check_head(raw, &Limits::default(), peer).map(|_| ()).map_err(|r| r.error)
}

pub(super) struct ResponseInfo {
    pub(super) content_length: usize,
    pub(super) close: bool,
    pub(super) no_body: bool,
}

pub(super) fn response_info(head: &[u8]) -> ResponseInfo {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status: u16 =
        lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut info = ResponseInfo {
        content_length: 0,
        close: false,
        no_body: status == 204 || status == 304 || status < 200,
    };
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                info.content_length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
                info.close = true;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                // Responses are always sent with a length; anything else ends the connection.
                info.close = true;
            }
        }
    }
    info
}
