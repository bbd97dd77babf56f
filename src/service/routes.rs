//! Route tables. Each surface declares its routes once, as rows of method, pattern, name and
//! handler; that one declaration drives dispatch, the `Allow` list of a 405 and the route names in
//! logs and metrics. Adding a route is one row and its handler.
//!
//! A pattern is a path of literal segments and `{param}` segments (`/admin/users/{id}/seat`); the
//! first row whose pattern matches wins, so a literal (`/Users/.search`) is listed before a
//! parameter at the same place (`/Users/{id}`). The method `*` accepts every method.

use crate::error::{Error, Result};
use crate::http::server::Response;
use crate::service::{App, Ctx, Worker};
use crate::store::tokens::Scope;

/// What a handler gets: the application, its worker, the request and the pattern's parameters,
/// percent-decoded, in order.
pub struct Call<'a, 'r> {
    pub app: &'a App,
    pub w: &'a mut Worker,
    pub ctx: &'a Ctx<'r>,
    pub params: Vec<String>,
}

impl Call<'_, '_> {
    /// The `i`th `{param}` of the pattern.
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }
}

pub type Handler = fn(&mut Call<'_, '_>) -> Result<Response>;

pub struct Route {
    pub method: &'static str,
    /// The pattern, which is also the route's name in logs and metrics.
    pub pattern: &'static str,
    /// The token scope the route needs, or `None` for an open route.
    pub scope: Option<Scope>,
    pub handler: Handler,
}

/// The outcome of looking a request up in a table.
pub enum Found<'t> {
    /// A row matched path and method.
    Route(&'t Route, Vec<String>),
    /// The path matched rows that take other methods: 405 with this `Allow` list; `scope` is the
    /// rows' scope, so the client authenticates before it learns about methods.
    WrongMethod {
        pattern: &'static str,
        allow: String,
        scope: Option<Scope>,
    },
    NotFound,
}

/// Matches `segments` against `pattern`; literal segments compare ignoring ASCII case when
/// `fold` (SCIM's resource names) and exactly otherwise.
fn matches(pattern: &str, segments: &[String], fold: bool) -> Option<Vec<String>> {
    let parts = || pattern.split('/').filter(|s| !s.is_empty());
    if parts().count() != segments.len() {
        return None;
    }
    let is_param = |part: &str| part.starts_with('{') && part.ends_with('}');
    let literal_ok = |part: &str, seg: &str| if fold { part.eq_ignore_ascii_case(seg) } else { part == seg };
    if !parts().zip(segments).all(|(part, seg)| is_param(part) || literal_ok(part, seg)) {
        return None;
    }
    Some(parts().zip(segments).filter(|(part, _)| is_param(part)).map(|(_, seg)| seg.clone()).collect())
}

/// Looks a request up in a table.
pub fn find<'t>(table: &'t [Route], method: &str, segments: &[String], fold: bool) -> Found<'t> {
    let mut pattern: Option<&'static str> = None;
    let mut allow: Vec<&'static str> = Vec::new();
    let mut scope = None;
    for route in table {
        // Rows of one pattern sit together; once a pattern matched, later patterns do not count.
        if pattern.is_some_and(|p| p != route.pattern) {
            continue;
        }
        let Some(params) = matches(route.pattern, segments, fold) else { continue };
        if route.method == "*" || route.method == method {
            return Found::Route(route, params);
        }
        pattern = Some(route.pattern);
        scope = route.scope;
        allow.push(route.method);
    }
    match pattern {
        Some(pattern) => Found::WrongMethod { pattern, allow: allow.join(", "), scope },
        None => Found::NotFound,
    }
}

/// 405 for a path whose routes take other methods.
pub fn wrong_method(allow: String) -> Error {
    Error::method_not_allowed(allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<String> {
        path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    fn nothing(_: &mut Call<'_, '_>) -> Result<Response> {
        Ok(Response::empty(204))
    }

    const TABLE: &[Route] = &[
        Route { method: "POST", pattern: "/Users/.search", scope: None, handler: nothing },
        Route { method: "GET", pattern: "/Users/{id}", scope: Some(Scope::Scim), handler: nothing },
        Route { method: "DELETE", pattern: "/Users/{id}", scope: Some(Scope::Scim), handler: nothing },
        Route { method: "*", pattern: "/Bulk", scope: None, handler: nothing },
    ];

    #[test]
    fn literal_rows_win_over_parameters_and_methods_are_listed() {
        match find(TABLE, "POST", &segs("/users/.search"), true) {
            Found::Route(r, p) => assert_eq!((r.pattern, p.len()), ("/Users/.search", 0)),
            _ => panic!("no match"),
        }
        match find(TABLE, "GET", &segs("/Users/abc"), true) {
            Found::Route(r, p) => assert_eq!((r.pattern, p), ("/Users/{id}", vec!["abc".to_string()])),
            _ => panic!("no match"),
        }
        match find(TABLE, "PUT", &segs("/Users/abc"), true) {
            Found::WrongMethod { pattern, allow, scope } => {
                assert_eq!(
                    (pattern, allow.as_str(), scope),
                    ("/Users/{id}", "GET, DELETE", Some(Scope::Scim))
                )
            }
            _ => panic!("expected 405"),
        }
        assert!(matches!(find(TABLE, "PATCH", &segs("/bulk"), true), Found::Route(..)));
        assert!(matches!(find(TABLE, "PATCH", &segs("/bulk"), false), Found::NotFound));
        assert!(matches!(find(TABLE, "GET", &segs("/Users/a/b"), true), Found::NotFound));
    }
}
