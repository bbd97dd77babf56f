//! The one error type of scim-seat and its one mapping to HTTP.
//!
//! Every layer (protocol parsing, seat rules, storage, transport) reports failures as an [`Error`]:
//! a [`Kind`] that decides the HTTP status, an optional RFC 7644 `scimType`, an optional admin error
//! code, and a `detail` sentence a person can act on. [`Error::status`] is the only place that turns a
//! kind into a status code; [`Error::scim_body`] and [`Error::admin_body`] are the only places that
//! render error bodies. This module depends on nothing but std and serde_json.

use serde_json::{Value, json};
use std::fmt;

/// The `scimType` values of RFC 7644 §3.12 that scim-seat uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
        }
    }
}

/// What went wrong, at the granularity that decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    LengthRequired,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    HeadTooLarge,
    Internal,
    NotImplemented,
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub scim_type: Option<ScimType>,
    /// Admin API error code (`{"error": code}`); when absent one is derived from the kind.
    pub code: Option<&'static str>,
    pub detail: String,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
    /// More fields for the admin error body (e.g. the DI-enable preview a refusal is about).
    pub extra: Option<Box<Value>>,
    /// The methods a route accepts, for the `Allow` header of a 405.
    pub allow: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, detail: impl Into<String>) -> Error {
        Error {
            kind,
            scim_type: None,
            code: None,
            detail: detail.into(),
            retry_after: None,
            extra: None,
            allow: None,
        }
    }

    /// 400 with a scimType.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Error {
        Error { scim_type: Some(scim_type), ..Error::new(Kind::BadRequest, detail) }
    }
    pub fn invalid_value(detail: impl Into<String>) -> Error {
        Error::bad(ScimType::InvalidValue, detail)
    }
    pub fn invalid_syntax(detail: impl Into<String>) -> Error {
        Error::bad(ScimType::InvalidSyntax, detail)
    }
    pub fn invalid_filter(detail: impl Into<String>) -> Error {
        Error::bad(ScimType::InvalidFilter, detail)
    }
    pub fn invalid_path(detail: impl Into<String>) -> Error {
        Error::bad(ScimType::InvalidPath, detail)
    }
    pub fn no_target(detail: impl Into<String>) -> Error {
        Error::bad(ScimType::NoTarget, detail)
    }
    pub fn mutability(detail: impl Into<String>) -> Error {
        Error::bad(ScimType::Mutability, detail)
    }
    /// 409 uniqueness (duplicate userName or group displayName).
    pub fn uniqueness(detail: impl Into<String>) -> Error {
        Error { scim_type: Some(ScimType::Uniqueness), ..Error::new(Kind::Conflict, detail) }
    }
    /// 409 because a rule forbids the change; `code` names the rule for the admin API.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Error {
        Error { code: Some(code), ..Error::new(Kind::Conflict, detail) }
    }
    pub fn not_found(detail: impl Into<String>) -> Error {
        Error::new(Kind::NotFound, detail)
    }
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Error {
        Error { code: Some(code), ..Error::new(Kind::Forbidden, detail) }
    }
    pub fn unauthorized(detail: impl Into<String>) -> Error {
        Error::new(Kind::Unauthorized, detail)
    }
    pub fn too_many_requests(code: &'static str, retry_after: u64, detail: impl Into<String>) -> Error {
        Error {
            code: Some(code),
            retry_after: Some(retry_after),
            ..Error::new(Kind::TooManyRequests, detail)
        }
    }
    pub fn internal(detail: impl Into<String>) -> Error {
        Error::new(Kind::Internal, detail)
    }

    /// 405 naming the methods the route accepts (also sent as `Allow`).
    pub fn method_not_allowed(allow: String) -> Error {
        Error {
            allow: Some(allow.clone()),
            ..Error::new(Kind::MethodNotAllowed, format!("this route accepts {allow}"))
        }
    }

    /// Adds fields to the admin error body (an object's keys are merged beside error and detail).
    pub fn with_extra(mut self, extra: Value) -> Error {
        self.extra = Some(Box::new(extra));
        self
    }

    /// Sets the admin error code.
    pub fn with_code(mut self, code: &'static str) -> Error {
        self.code = Some(code);
        self
    }

    /// The HTTP status for this error: the one mapping.
    pub fn status(&self) -> u16 {
        match self.kind {
            Kind::BadRequest => 400,
            Kind::Unauthorized => 401,
            Kind::Forbidden => 403,
            Kind::NotFound => 404,
            Kind::MethodNotAllowed => 405,
            Kind::RequestTimeout => 408,
            Kind::Conflict => 409,
            Kind::LengthRequired => 411,
            Kind::PreconditionFailed => 412,
            Kind::PayloadTooLarge => 413,
            Kind::UnsupportedMediaType => 415,
            Kind::TooManyRequests => 429,
            Kind::HeadTooLarge => 431,
            Kind::Internal => 500,
            Kind::NotImplemented => 501,
            Kind::Unavailable => 503,
        }
    }

    /// The admin API's error code: the explicit one, or one derived from the kind.
    pub fn admin_code(&self) -> &'static str {
        if let Some(code) = self.code {
            return code;
        }
        match self.kind {
            Kind::BadRequest => "bad_request",
            Kind::Unauthorized => "unauthorized",
            Kind::Forbidden => "forbidden",
            Kind::NotFound => "not_found",
            Kind::MethodNotAllowed => "method_not_allowed",
            Kind::RequestTimeout => "request_timeout",
            Kind::Conflict => "conflict",
            Kind::LengthRequired => "length_required",
            Kind::PreconditionFailed => "precondition_failed",
            Kind::PayloadTooLarge => "payload_too_large",
            Kind::UnsupportedMediaType => "unsupported_media_type",
            Kind::TooManyRequests => "too_many_requests",
            Kind::HeadTooLarge => "head_too_large",
            Kind::Internal => "internal",
            Kind::NotImplemented => "not_implemented",
            Kind::Unavailable => "unavailable",
        }
    }

    /// The reason phrase for the status line.
    pub fn reason_phrase(&self) -> &'static str {
        match self.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            409 => "Conflict",
            411 => "Length Required",
            412 => "Precondition Failed",
            413 => "Payload Too Large",
            415 => "Unsupported Media Type",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    /// RFC 7644 §3.12 error body.
    pub fn scim_body(&self) -> Value {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::from(t.as_str());
        }
        body
    }

    /// Admin API error body `{"error", "detail"}`.
    pub fn admin_body(&self) -> Value {
        let mut body = json!({ "error": self.admin_code(), "detail": self.detail });
        if let (Some(extra), Some(obj)) =
            (self.extra.as_deref().and_then(Value::as_object), body.as_object_mut())
        {
            for (k, v) in extra {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        body
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.detail)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::internal(format!("I/O error: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::invalid_syntax(format!("the body is not valid JSON: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scim_body_carries_status_as_string_and_scim_type() {
        let e = Error::uniqueness("userName \"a@b\" is taken");
        assert_eq!(e.status(), 409);
        let b = e.scim_body();
        assert_eq!(b["status"], "409");
        assert_eq!(b["scimType"], "uniqueness");
        assert_eq!(b["detail"], "userName \"a@b\" is taken");
    }

    #[test]
    fn admin_code_defaults_from_kind() {
        assert_eq!(Error::not_found("x").admin_code(), "not_found");
        assert_eq!(Error::conflict("di_enabled", "x").admin_code(), "di_enabled");
    }
}
