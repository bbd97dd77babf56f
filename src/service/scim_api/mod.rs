//! The SCIM surface: base-path handling, routing by resource (case-insensitive), authentication
//! with a `scim` token, and the handlers for discovery, Users and Groups.
//!
//! Every changing request is one write transaction: the resource, its indexes, memberships, the
//! seats they move and the audit events all commit together or not at all. Seat decisions are
//! delegated to `service::seats` (which asks the pure domain rules); protocol shapes to `scim`.

use crate::error::{Error, Kind, Result};
use crate::http::Surface;
use crate::http::server::Response;
use crate::scim::filter::{self, Filter, IndexedAttr};
use crate::scim::resource::{self, GroupRef, MemberRef, Meta, UserResource};
use crate::scim::{ListWriter, discovery, patch};
use crate::service::plan::Plan;
use crate::service::routes::{Call, Route};
use crate::service::seats::{self, Actor};
use crate::service::{App, Ctx, Worker, body_text, healthz, json_body, query_params, segments};
use crate::store::groups::{self, GroupRow};
use crate::store::tokens::Scope;
use crate::store::users::{self, UserRow};
use crate::store::{Read, WriteTx};
use crate::util;
use serde_json::Value;
use std::time::Instant;

/// Largest page a list returns (ServiceProviderConfig `filter.maxResults`).
pub const MAX_RESULTS: usize = 1000;
/// Page size when the client gives no `count`.
pub const DEFAULT_COUNT: usize = 100;

mod group_handlers;
mod user_handlers;

use group_handlers::{create_group, delete_group, get_group, patch_group, replace_group};
use user_handlers::{create_user, delete_user, get_user, patch_user, replace_user};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Users,
    Groups,
}

const SCIM: Option<Scope> = Some(Scope::Scim);

macro_rules! routes {
    ($($method:literal $pattern:literal $scope:expr => $handler:expr;)+) => {
        &[$(Route { method: $method, pattern: $pattern, scope: $scope, handler: $handler }),+]
    };
}

/// Every route of the SCIM listener under its base path (resource names match ignoring case).
/// `/healthz` is outside the base path and answered before it.
pub const ROUTES: &[Route] = routes! {
    "GET" "/ServiceProviderConfig" None => |c| Ok(ok(&discovery::service_provider_config(
        &c.app.config.base_url, MAX_RESULTS, crate::http::edge::MAX_BODY_BYTES)));
    "GET" "/ResourceTypes" None => |c| Ok(ok_text(discovery::resource_types(&c.app.config.base_url)));
    "GET" "/ResourceTypes/{name}" None => |c| discovery::resource_type(&c.app.config.base_url, c.param(0))
        .map(|v| ok(&v))
        .ok_or_else(|| Error::not_found(format!("no resource type \"{}\"", c.param(0))));
    "GET" "/Schemas" None => |c| Ok(ok_text(discovery::schemas(&c.app.config.base_url)));
    "GET" "/Schemas/{urn}" None => |c| discovery::schema(&c.app.config.base_url, c.param(0))
        .map(|v| ok(&v))
        .ok_or_else(|| Error::not_found(format!("no schema \"{}\"", c.param(0))));
    // Searching across resource types from the root (RFC 7644 §3.4.3) is not offered (501, as for
    // /Bulk); the root itself is no resource.
    "POST" "/.search" None => |_| Err(Error::new(
        Kind::NotImplemented,
        "searching from the root is not supported: query /Users or /Groups (or POST /Users/.search)",
    ));
    "*" "/" None => |_| Err(Error::new(Kind::MethodNotAllowed, "the SCIM root is not a resource: use /Users or /Groups"));
    "*" "/Bulk" None => |_| Err(Error::new(
        Kind::NotImplemented,
        "bulk operations are not supported (see /ServiceProviderConfig)",
    ));
    "GET" "/Users" SCIM => |c| list(c, Resource::Users, &ListParams::from_query(&c.ctx.req.query)?);
    "POST" "/Users" SCIM => create_user;
    "POST" "/Users/.search" SCIM => |c| list(c, Resource::Users, &ListParams::from_body(&json_body(c.ctx.req)?)?);
    "GET" "/Users/{id}" SCIM => get_user;
    "PUT" "/Users/{id}" SCIM => replace_user;
    "PATCH" "/Users/{id}" SCIM => patch_user;
    "DELETE" "/Users/{id}" SCIM => delete_user;
    "GET" "/Groups" SCIM => |c| list(c, Resource::Groups, &ListParams::from_query(&c.ctx.req.query)?);
    "POST" "/Groups" SCIM => create_group;
    "POST" "/Groups/.search" SCIM => |c| list(c, Resource::Groups, &ListParams::from_body(&json_body(c.ctx.req)?)?);
    "GET" "/Groups/{id}" SCIM => get_group;
    "PUT" "/Groups/{id}" SCIM => replace_group;
    "PATCH" "/Groups/{id}" SCIM => patch_group;
    "DELETE" "/Groups/{id}" SCIM => delete_group;
};

/// Routes a request of the SCIM listener: `/healthz`, then the base path, then [`ROUTES`].
pub fn dispatch(app: &App, w: &mut Worker, ctx: &mut Ctx<'_>) -> (&'static str, Result<Response>) {
    let segs = segments(&ctx.req.path);
    if segs.len() == 1 && segs[0] == "healthz" {
        let mut call = Call { app, w, ctx, params: Vec::new() };
        return ("/healthz", healthz(&mut call, Surface::Scim));
    }
    let base = segments(&app.config.base_path);
    let in_base = segs.len() >= base.len() && segs.iter().zip(&base).all(|(a, b)| a.eq_ignore_ascii_case(b));
    if !in_base {
        return (
            "other",
            Err(Error::not_found(format!(
                "{} is outside the SCIM base path {}",
                ctx.req.path, app.config.base_path
            ))),
        );
    }
    // A read sees one state of the plan: its token, the plan, the resource and its groups are read
    // in one snapshot, which App::handle ends.
    if ctx.req.method == "GET"
        && let Err(e) = w.read.begin_snapshot()
    {
        return ("other", Err(e));
    }
    app.run(w, ctx, ROUTES, &segs[base.len()..], true)
        .unwrap_or_else(|| ("other", Err(Error::not_found(format!("no SCIM endpoint at {}", ctx.req.path)))))
}

fn ok(body: &Value) -> Response {
    Response::json(200, Surface::Scim, body)
}

fn ok_text(body: Vec<u8>) -> Response {
    Response::new(200, Surface::Scim.content_type(), body)
}

// ------------------------------------------------------------------------------------------------
// Query parameters of lists and searches.

#[derive(Debug, Default)]
struct ListParams {
    filter: Option<Filter>,
    start_index: usize,
    count: usize,
    sort_by: Option<String>,
    descending: bool,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

fn parse_int(name: &str, v: &str) -> Result<i64> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| Error::invalid_value(format!("{name} must be an integer, not \"{v}\"")))
}

impl ListParams {
    fn defaults() -> ListParams {
        ListParams { start_index: 1, count: DEFAULT_COUNT, ..ListParams::default() }
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match key.to_ascii_lowercase().as_str() {
            "filter" => self.filter = Some(filter::parse(value)?),
            // RFC 7644 §3.4.2.4: below 1 means 1; a negative count means 0.
            "startindex" => self.start_index = parse_int("startIndex", value)?.max(1) as usize,
            "count" => self.count = (parse_int("count", value)?.max(0) as usize).min(MAX_RESULTS),
            "sortby" => self.sort_by = Some(value.to_string()).filter(|s| !s.is_empty()),
            "sortorder" => {
                self.descending = match value.to_ascii_lowercase().as_str() {
                    "ascending" | "" => false,
                    "descending" => true,
                    _ => {
                        return Err(Error::invalid_value(format!(
                            "sortOrder must be \"ascending\" or \"descending\", not \"{value}\""
                        )));
                    }
                }
            }
            "attributes" => self.attributes = resource::attribute_names(value),
            "excludedattributes" => self.excluded = resource::attribute_names(value),
            _ => {}
        }
        Ok(())
    }

    fn from_query(query: &str) -> Result<ListParams> {
        let mut p = ListParams::defaults();
        for (k, v) in query_params(query) {
            p.set(&k, &v)?;
        }
        Ok(p)
    }

    /// A SearchRequest body (RFC 7644 §3.4.3).
    fn from_body(body: &Value) -> Result<ListParams> {
        let obj = body
            .as_object()
            .ok_or_else(|| Error::invalid_syntax("a search request must be a JSON object"))?;
        let mut p = ListParams::defaults();
        for (k, v) in obj {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
                Value::Null => continue,
                _ if k.eq_ignore_ascii_case("schemas") => continue,
                other => {
                    return Err(Error::invalid_value(format!("\"{k}\" has an unexpected value {other}")));
                }
            };
            if !k.eq_ignore_ascii_case("schemas") {
                p.set(k, &text)?;
            }
        }
        Ok(p)
    }

    /// Neither `attributes` nor `excludedAttributes`: the whole resource.
    fn whole(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    fn project(&self, resource: Value) -> Value {
        if self.whole() { resource } else { resource::project(&resource, &self.attributes, &self.excluded) }
    }
}

/// `attributes`/`excludedAttributes` of a single-resource request.
fn projection_of(ctx: &Ctx<'_>) -> Result<ListParams> {
    let mut p = ListParams::defaults();
    for (k, v) in query_params(&ctx.req.query) {
        let lk = k.to_ascii_lowercase();
        if lk == "attributes" || lk == "excludedattributes" {
            p.set(&k, &v)?;
        }
    }
    Ok(p)
}

fn excludes_members(p: &ListParams) -> bool {
    let named = |list: &[String]| list.iter().any(|a| a.eq_ignore_ascii_case("members"));
    named(&p.excluded) || (!p.attributes.is_empty() && !named(&p.attributes))
}

// ------------------------------------------------------------------------------------------------
// Rendering.

fn version_tag(version: i64) -> String {
    format!("W/\"{version}\"")
}

fn user_location(app: &App, id: &str) -> String {
    format!("{}/Users/{id}", app.config.base_url)
}

fn group_location(app: &App, id: &str) -> String {
    format!("{}/Groups/{id}", app.config.base_url)
}

/// A user's SCIM resource, made from its row, its groups and its seat, handed to `f`.
fn with_user<T>(
    app: &App,
    conn: &impl Read,
    plan: &Plan,
    u: &UserRow,
    f: impl FnOnce(&UserResource<'_>) -> T,
) -> Result<T> {
    // A user in no group (its row says so) has no groups to read.
    let groups = if u.in_groups > 0 { groups::of_user(conn, u.seq)? } else { Vec::new() };
    let groups: Vec<GroupRef> = groups
        .into_iter()
        .map(|(id, display)| GroupRef { location: group_location(app, &id), id, display })
        .collect();
    let meta = Meta {
        created: u.created.clone(),
        last_modified: u.last_modified.clone(),
        location: user_location(app, &u.id),
        version: version_tag(u.version),
    };
    let names: Vec<&str> = groups.iter().map(|g| g.display.as_str()).collect();
    let view = seats::view(plan, u, &names);
    Ok(f(&UserResource { doc: &u.doc, id: &u.id, meta: &meta, groups: &groups, seat: Some(&view) }))
}

/// A user's SCIM resource as a value (to match a filter or take a sort key).
fn render_user(app: &App, conn: &impl Read, plan: &Plan, u: &UserRow) -> Result<Value> {
    with_user(app, conn, plan, u, |r| r.to_value())
}

/// A user's SCIM resource as JSON text, projected by `attributes`/`excludedAttributes`.
fn user_text(
    app: &App,
    conn: &impl Read,
    plan: &Plan,
    u: &UserRow,
    projection: &ListParams,
) -> Result<Vec<u8>> {
    with_user(app, conn, plan, u, |r| projected_text(r, projection))
}

/// The text of a resource, projected: the whole resource is written straight from the stored
/// document, without a value of it.
fn projected_text(r: &UserResource<'_>, projection: &ListParams) -> Vec<u8> {
    if projection.whole() {
        let mut out = Vec::with_capacity(1024);
        r.write(&mut out);
        out
    } else {
        projection.project(r.to_value()).to_string().into_bytes()
    }
}

/// A single group's JSON text: written straight from its member rows when the request asks for
/// the whole resource (no value per member: a large group costs its text), else rendered and
/// projected.
fn group_text(app: &App, conn: &impl Read, g: &GroupRow, projection: &ListParams) -> Result<Vec<u8>> {
    if !projection.whole() {
        let body = render_group(app, conn, g, !excludes_members(projection))?;
        return Ok(projection.project(body).to_string().into_bytes());
    }
    let mut out = Vec::with_capacity(1024);
    let mut w = resource::GroupWriter::start(&mut out, &g.id, &g.display_name, g.external_id.as_deref());
    groups::each_member(conn, g.seq, |id, display| w.member(id, Some(display), &user_location(app, id)))?;
    w.finish(&group_meta(app, g));
    Ok(out)
}

fn group_meta(app: &App, g: &GroupRow) -> Meta {
    Meta {
        created: g.created.clone(),
        last_modified: g.last_modified.clone(),
        location: group_location(app, &g.id),
        version: version_tag(g.version),
    }
}

fn render_group(app: &App, conn: &impl Read, g: &GroupRow, with_members: bool) -> Result<Value> {
    let members: Option<Vec<MemberRef>> = if with_members {
        let mut members = Vec::new();
        groups::each_member(conn, g.seq, |id, display| {
            members.push(MemberRef {
                value: id.to_string(),
                display: Some(display.to_string()),
                location: user_location(app, id),
            })
        })?;
        Some(members)
    } else {
        None
    };
    let meta = group_meta(app, g);
    Ok(resource::render_group(&g.id, &g.display_name, g.external_id.as_deref(), &meta, members.as_deref()))
}

/// A resource's answer from its JSON text.
fn resource_text(status: u16, body: Vec<u8>, version: i64, location: Option<String>) -> Response {
    let mut r =
        Response::new(status, Surface::Scim.content_type(), body).header("ETag", version_tag(version));
    if let Some(l) = location {
        r = r.header("Location", l);
    }
    r
}

/// `If-Match`: the request applies only to this version (or `*`); otherwise 412.
fn check_if_match(ctx: &Ctx<'_>, version: i64) -> Result<()> {
    let Some(wanted) = ctx.req.header("if-match") else { return Ok(()) };
    let current = version_tag(version);
    let strong = format!("\"{version}\"");
    let matches = wanted.split(',').map(str::trim).any(|t| t == "*" || t == current || t == strong);
    if matches {
        Ok(())
    } else {
        Err(Error::new(
            Kind::PreconditionFailed,
            format!(
                "If-Match {wanted} does not match the current version {current}: GET the resource and retry"
            ),
        ))
    }
}

fn not_modified(ctx: &Ctx<'_>, version: i64) -> bool {
    ctx.req
        .header("if-none-match")
        .is_some_and(|v| v.split(',').map(str::trim).any(|t| t == version_tag(version)))
}

// ------------------------------------------------------------------------------------------------
// Lists.

/// Rows that can match, from an index when the filter names an indexed equality.
enum Candidates<T> {
    Rows(Vec<T>),
    Scan,
}

fn user_candidates(conn: &impl Read, f: &Filter) -> Result<Candidates<UserRow>> {
    let Some(hint) = f.index_hint() else { return Ok(Candidates::Scan) };
    let visible = |u: &UserRow| !u.is_guest && !u.scim_deleted;
    Ok(Candidates::Rows(match hint.attr {
        IndexedAttr::UserName => {
            users::by_user_name(conn, &hint.value)?.into_iter().filter(visible).collect()
        }
        IndexedAttr::Id => users::get(conn, &hint.value)?.into_iter().filter(visible).collect(),
        IndexedAttr::ExternalId => users::scim_by_external_id(conn, &hint.value)?,
        IndexedAttr::DisplayName => users::scim_by_display_name(conn, &hint.value)?,
        IndexedAttr::EmailValue => users::scim_by_email(conn, &hint.value)?,
    }))
}

fn group_candidates(conn: &impl Read, f: &Filter) -> Result<Candidates<GroupRow>> {
    let Some(hint) = f.index_hint() else { return Ok(Candidates::Scan) };
    Ok(Candidates::Rows(match hint.attr {
        IndexedAttr::DisplayName => groups::by_display_name(conn, &hint.value)?,
        IndexedAttr::Id => groups::get(conn, &hint.value)?.into_iter().collect(),
        IndexedAttr::ExternalId => groups::by_external_id(conn, &hint.value)?,
        IndexedAttr::UserName | IndexedAttr::EmailValue => Vec::new(),
    }))
}

fn page_of<T>(items: Vec<T>, p: &ListParams) -> Vec<T> {
    items.into_iter().skip(p.start_index - 1).take(p.count).collect()
}

/// A list or search: never 404; stable order (creation order, or sortBy then creation order). Each
/// resource is written into the answer's text as soon as it is rendered.
fn list(c: &mut Call<'_, '_>, res: Resource, p: &ListParams) -> Result<Response> {
    let (app, w) = (c.app, &mut *c.w);
    let (conn, plan) = w.plan()?;
    let mut out = ListWriter::default();
    let total = match res {
        Resource::Users => list_users(app, conn, plan, p, &mut out)?,
        Resource::Groups => list_groups(app, conn, p, &mut out)?,
    };
    Ok(ok_text(out.finish(total, p.start_index)))
}

fn sorted(mut keyed: Vec<(Option<String>, i64, Value)>, p: &ListParams) -> Vec<Value> {
    // Missing values sort last in ascending order (RFC 7644 §3.4.2.3); creation order breaks ties.
    keyed.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    if p.descending {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, _, v)| v).collect()
}

/// One match of a sorted scan: where it goes in the listing (sort key, missing last when ascending,
/// then creation order; the whole order reversed when descending).
#[derive(Debug, PartialEq, Eq)]
struct Placed {
    key: Option<String>,
    seq: i64,
    id: String,
    descending: bool,
}

impl Ord for Placed {
    fn cmp(&self, other: &Placed) -> std::cmp::Ordering {
        use std::cmp::Ordering::{Greater, Less};
        let ascending = match (&self.key, &other.key) {
            (Some(x), Some(y)) => x.cmp(y).then(self.seq.cmp(&other.seq)),
            (Some(_), None) => Less,
            (None, Some(_)) => Greater,
            (None, None) => self.seq.cmp(&other.seq),
        };
        if self.descending { ascending.reverse() } else { ascending }
    }
}

impl PartialOrd for Placed {
    fn partial_cmp(&self, other: &Placed) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Users matching a filter (or sorted), page by page: the scan renders each candidate and keeps
/// only what the page needs, so memory follows the page, not the matches. Without sortBy, matches
/// arrive in creation order and only those inside the page are kept; with sortBy, only the
/// `startIndex - 1 + count` first places (key, order, id), and the page is rendered at the end. A scan
/// running past the configured bound (`--scan-timeout-ms`, default 5 s) answers 400 `tooMany` (RFC
/// 7644 §3.12: "the specified filter yields many more results than the server is willing to
/// calculate").
fn list_users(
    app: &App,
    conn: &impl Read,
    plan: &Plan,
    p: &ListParams,
    out: &mut ListWriter,
) -> Result<usize> {
    if p.filter.is_none() && p.sort_by.is_none() {
        return users::scim_page(conn, app.store.positions(), p.start_index - 1, p.count, |u| {
            out.push_text(&user_text(app, conn, plan, &u, p)?);
            Ok(())
        });
    }
    let started = Instant::now();
    let bound = app.config.scan_timeout;
    let skip = p.start_index - 1;
    let keep = skip.saturating_add(p.count);
    let mut total = 0usize;
    let mut listed = 0usize;
    let mut best: std::collections::BinaryHeap<Placed> = std::collections::BinaryHeap::new();
    let candidates = p.filter.as_ref().map(|f| user_candidates(conn, f)).transpose()?;
    // Only a scan of every user is bounded in time; an index's candidates are few.
    let scanning = !matches!(candidates, Some(Candidates::Rows(_)));
    let mut consider = |u: UserRow| -> Result<()> {
        if scanning && started.elapsed() > bound {
            return Err(Error::bad(
                crate::error::ScimType::TooMany,
                format!(
                    "the filter could not be answered within {} ms: no index serves it and the plan is large. \
                     Narrow it with an indexed attribute (userName, externalId, id, displayName or emails.value)",
                    bound.as_millis()
                ),
            ));
        }
        let Some(attr) = p.sort_by.as_deref() else {
            // The filter is evaluated on the members it reads; a match on the page is written from
            // the stored document.
            let page_text = with_user(app, conn, plan, &u, |r| {
                let matched = p.filter.as_ref().is_none_or(|f| f.matches(&r.to_value_of(|k| f.reads_key(k))));
                let on_page = matched && total >= skip && listed < p.count;
                total += usize::from(matched);
                on_page.then(|| projected_text(r, p))
            })?;
            if let Some(text) = page_text {
                out.push_text(&text);
                listed += 1;
            }
            return Ok(());
        };
        let r = render_user(app, conn, plan, &u)?;
        if !p.filter.as_ref().is_none_or(|f| f.matches(&r)) {
            return Ok(());
        }
        total += 1;
        let placed = Placed {
            key: resource::sort_key(&r, attr),
            seq: u.seq,
            id: u.id.clone(),
            descending: p.descending,
        };
        if best.len() < keep {
            best.push(placed);
        } else if best.peek().is_some_and(|worst| placed < *worst) {
            best.pop();
            best.push(placed);
        }
        Ok(())
    };
    match candidates {
        Some(Candidates::Rows(rows)) => rows.into_iter().try_for_each(&mut consider)?,
        _ => users::scim_each(conn, &mut consider)?,
    }
    if p.sort_by.is_some() {
        let placed = best.into_sorted_vec();
        for pl in placed.into_iter().skip(skip) {
            if let Some(u) = users::get(conn, &pl.id)? {
                out.push_text(&user_text(app, conn, plan, &u, p)?);
            }
        }
    }
    Ok(total)
}

fn list_groups(app: &App, conn: &impl Read, p: &ListParams, out: &mut ListWriter) -> Result<usize> {
    let with_members = !excludes_members(p);
    // A filter or sort on members needs them; otherwise reading a group never touches memberships.
    let filter_needs_members = p.filter.as_ref().is_some_and(|f| f.names_attribute("members"))
        || p.sort_by.as_deref().is_some_and(|s| {
            s.rsplit(':')
                .next()
                .and_then(|a| a.split('.').next())
                .is_some_and(|a| a.eq_ignore_ascii_case("members"))
        });
    if p.filter.is_none() && p.sort_by.is_none() {
        let (rows, total) = groups::page(conn, p.start_index - 1, p.count)?;
        for g in &rows {
            out.push(&p.project(render_group(app, conn, g, with_members)?));
        }
        return Ok(total);
    }
    let rows = match p.filter.as_ref().map(|f| group_candidates(conn, f)).transpose()? {
        Some(Candidates::Rows(rows)) => rows,
        _ => groups::all(conn)?,
    };
    let mut keyed = Vec::new();
    for g in rows {
        let r = render_group(app, conn, &g, with_members || filter_needs_members)?;
        if p.filter.as_ref().is_none_or(|f| f.matches(&r)) {
            let key = p.sort_by.as_deref().and_then(|a| resource::sort_key(&r, a));
            keyed.push((key, g.seq, r));
        }
    }
    let total = keyed.len();
    let all = if p.sort_by.is_some() { sorted(keyed, p) } else { keyed.into_iter().map(|k| k.2).collect() };
    for mut r in page_of(all, p) {
        if !with_members && let Some(o) = r.as_object_mut() {
            o.remove("members");
        }
        out.push(&p.project(r));
    }
    Ok(total)
}

// ------------------------------------------------------------------------------------------------
// Shared by the handlers.

fn actor(ctx: &Ctx<'_>) -> Actor {
    Actor {
        name: ctx.token.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "scim".into()),
        source: "scim",
        request_id: Some(ctx.request_id.clone()),
    }
}

/// A SCIM-visible user, or 404.
fn visible_user(conn: &impl Read, id: &str) -> Result<UserRow> {
    match users::get(conn, id)? {
        Some(u) if !u.is_guest && !u.scim_deleted => Ok(u),
        _ => Err(Error::not_found(format!("no user with id \"{id}\""))),
    }
}

fn visible_group(conn: &impl Read, id: &str) -> Result<GroupRow> {
    groups::get(conn, id)?.ok_or_else(|| Error::not_found(format!("no group with id \"{id}\"")))
}

/// Writes the rows that index a user's emails and role values, from its document; `before`, the
/// row an update started from, spares the rewrite of those that did not change (a displayName
/// PATCH rewrote both: pages of two random indexes in the commit for nothing). A new user's
/// (`before` is `None`) are only added: a create looked for old ones to delete, two index seeks.
fn save_indexes(conn: &WriteTx<'_>, u: &UserRow, before: Option<&UserRow>) -> Result<()> {
    let emails = resource::emails(&u.doc);
    let roles = resource::role_values(&u.doc);
    let Some(before) = before else {
        // A new user (its id is new) has no entries yet: nothing to clear.
        users::add_emails(conn, &u.id, &emails)?;
        return users::add_roles(conn, &u.id, &roles);
    };
    if resource::emails(&before.doc) != emails {
        users::set_emails(conn, &u.id, &emails)?;
    }
    if resource::role_values(&before.doc) != roles {
        users::set_roles(conn, &u.id, &roles)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_params_follow_rfc_clamping() {
        let p = ListParams::from_query("startIndex=0&count=-5").unwrap();
        assert_eq!((p.start_index, p.count), (1, 0));
        let p = ListParams::from_query("count=5000").unwrap();
        assert_eq!(p.count, MAX_RESULTS);
        assert!(ListParams::from_query("count=abc").is_err());
        assert!(ListParams::from_query("sortOrder=sideways").is_err());
        let p =
            ListParams::from_body(&json!({"startIndex": 3, "count": 2, "attributes": ["userName"]})).unwrap();
        assert_eq!((p.start_index, p.count), (3, 2));
        assert_eq!(p.attributes, vec!["userName"]);
    }
}
