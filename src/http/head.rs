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
    /// An HTTP/1.0 client, which cannot take chunked transfer coding.
    pub(super) http10: bool,
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
    // Backend connections are kept for later exchanges (see `Backend::connection`), except after an
    // HTTP/1.0 request, which tiny_http answers and closes.
    if http10 {
        forward.extend_from_slice(b"Connection: close\r\n");
    }
    forward.extend_from_slice(b"X-Forwarded-For: ");
    forward.extend_from_slice(peer.ip().to_string().as_bytes());
    forward.extend_from_slice(b"\r\n\r\n");
    Ok(Head {
        len: raw.len(),
        method: method.to_string(),
        content_length: content_length.unwrap_or(0),
        keep_alive: !connection_close,
        http10,
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
    /// A streamed answer: chunked transfer coding, its end found by [`Chunked`].
    pub(super) chunked: bool,
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
        chunked: false,
    };
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                info.content_length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
                info.close = true;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                if value.eq_ignore_ascii_case("chunked") {
                    info.chunked = true;
                } else {
                    // Never sent by the workers: end the connection after it.
                    info.close = true;
                }
            }
        }
    }
    info
}

/// Follows the chunked transfer coding of a streamed backend answer (RFC 9112 section 7.1), a
/// buffer at a time: where each chunk's data lies and where the message ends. The workers send
/// neither chunk extensions nor trailers, so anything else is a broken answer.
#[derive(Debug, Default)]
pub(super) struct Chunked {
    state: ChunkState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum ChunkState {
    /// Reading a chunk-size: its value so far and how many hex digits.
    #[default]
    SizeStart,
    Size(u64, u8),
    SizeLf(u64),
    Data(u64),
    DataCr,
    DataLf,
    LastCr,
    LastLf,
    Done,
}

/// What [`Chunked::feed`] found in a buffer.
#[derive(Debug, PartialEq)]
pub(super) enum Fed {
    /// The message goes on past this buffer.
    More,
    /// The message ends this many bytes into the buffer.
    End(usize),
}

impl Chunked {
    /// Scans `buf`, the next bytes of the body, handing every run of chunk data to `data`.
    pub(super) fn feed(&mut self, buf: &[u8], mut data: impl FnMut(&[u8])) -> Result<Fed, &'static str> {
        use ChunkState::*;
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            self.state = match self.state {
                SizeStart | Size(..) => {
                    let (n, digits) = if let Size(n, d) = self.state { (n, d) } else { (0, 0) };
                    match (b as char).to_digit(16) {
                        Some(d) if digits < 15 => Size(n * 16 + u64::from(d), digits + 1),
                        Some(_) => return Err("chunk size too long"),
                        None if b == b'\r' && digits > 0 => SizeLf(n),
                        None => return Err("bad chunk size"),
                    }
                }
                SizeLf(n) if b == b'\n' => {
                    if n == 0 {
                        LastCr
                    } else {
                        Data(n)
                    }
                }
                Data(n) => {
                    let take = usize::try_from(n).unwrap_or(usize::MAX).min(buf.len() - i);
                    data(&buf[i..i + take]);
                    i += take;
                    let left = n - take as u64;
                    self.state = if left == 0 { DataCr } else { Data(left) };
                    continue;
                }
                DataCr if b == b'\r' => DataLf,
                DataLf if b == b'\n' => SizeStart,
                LastCr if b == b'\r' => LastLf,
                LastLf if b == b'\n' => Done,
                Done => return Ok(Fed::End(i)),
                _ => return Err("bad chunk framing"),
            };
            i += 1;
            if self.state == Done {
                return Ok(Fed::End(i));
            }
        }
        Ok(Fed::More)
    }
}

#[cfg(test)]
mod chunked_tests {
    use super::{Chunked, Fed};

    /// Feeds `wire` split at every `step` bytes; the data and where the message ended.
    fn run(wire: &[u8], step: usize) -> Result<(Vec<u8>, Option<usize>), &'static str> {
        let mut framing = Chunked::default();
        let mut data = Vec::new();
        for (i, piece) in wire.chunks(step).enumerate() {
            if let Fed::End(n) = framing.feed(piece, |d| data.extend_from_slice(d))? {
                return Ok((data, Some(i * step + n)));
            }
        }
        Ok((data, None))
    }

    #[test]
    fn finds_the_data_and_the_end_however_the_bytes_are_split() {
        let wire = b"5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, 64] {
            let (data, end) = run(wire, step).unwrap();
            assert_eq!(data, b"helloabcdefghijklmnopqrstuvwxyz", "step {step}");
            assert_eq!(end, Some(wire.len() - 4), "step {step}");
        }
    }

    #[test]
    fn a_cut_body_has_no_end_and_bad_framing_is_an_error() {
        let (data, end) = run(b"5\r\nhello\r\n0\r\n", 4).unwrap();
        assert_eq!((data.as_slice(), end), (&b"hello"[..], None));
        assert!(run(b"5\r\nhelloX\r\n", 64).is_err(), "data longer than its size");
        assert!(run(b"g\r\n", 64).is_err(), "not hex");
        assert!(run(b"\r\n", 64).is_err(), "no size");
        assert!(run(b"5;ext=1\r\nhello\r\n", 64).is_err(), "extensions are not sent by the workers");
        assert!(run(b"fffffffffffffffff\r\n", 64).is_err(), "size too long");
    }
}
