//! The admin console: the plan administrator's pages in a browser, served by the admin listener at
//! `/` and `/console/{file}` (README "The admin console").
//!
//! Owns the console's static files, compiled into the binary (`assets/`: one HTML page, one style
//! sheet, plain JavaScript modules, no build step), and the headers every console answer carries: a
//! strict Content-Security-Policy (only this origin, no inline script or style, no framing),
//! `nosniff`, no referrer, and revalidation by ETag so an upgraded binary's files are picked up.
//!
//! Does not own any data: these routes are open (no token), because the page holds nothing; the
//! scripts ask the token-protected admin API for everything, with the admin token the person pastes,
//! sent as `Authorization: Bearer` (never a cookie, so there is no CSRF surface).

use crate::error::Result;
use crate::http::server::Response;
use crate::service::routes::Call;

/// The console's Content-Security-Policy: scripts, styles and fetches from this origin only,
/// images from this origin or `data:` (the favicon), no plugins, no framing, no `<base>`.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
                       form-action 'self'";

/// One compiled-in file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// FNV-1a of the body, computed at compile time: the ETag.
    hash: u64,
}

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("assets/", $name)),
            hash: fnv1a(include_bytes!(concat!("assets/", $name))),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// The page itself, served at `/`.
pub const INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");

/// Every file under `/console/`: a fixed set; any other name is 404.
pub const ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("words.js", JS),
    asset!("charts.js", JS),
    asset!("overview.js", JS),
    asset!("users.js", JS),
    asset!("user.js", JS),
    asset!("settings.js", JS),
    asset!("tokens.js", JS),
    asset!("reports.js", JS),
    asset!("import.js", JS),
];

/// `GET /` (and `/console`): the page.
pub fn index(c: &mut Call<'_, '_>) -> Result<Response> {
    Ok(serve(c, &INDEX))
}

/// `GET /console/{file}`: one of [`ASSETS`], or 404.
pub fn file(c: &mut Call<'_, '_>) -> Result<Response> {
    Ok(match ASSETS.iter().find(|a| a.name == c.param(0)) {
        Some(asset) => serve(c, asset),
        None => secured(Response::new(
            404,
            "text/plain; charset=utf-8",
            b"no such console file; the console is at /\n".to_vec(),
        )),
    })
}

fn serve(c: &Call<'_, '_>, asset: &Asset) -> Response {
    let etag = format!("\"{:016x}\"", asset.hash);
    let fresh = c
        .ctx
        .req
        .header("if-none-match")
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let response = if fresh {
        Response::empty(304)
    } else {
        Response::new(200, asset.content_type, asset.body.to_vec())
    };
    secured(response).header("ETag", etag)
}

/// The headers of every console answer.
fn secured(r: Response) -> Response {
    r.header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "no-referrer")
        .header("X-Frame-Options", "DENY")
        .header("Cross-Origin-Opener-Policy", "same-origin")
        .header("Cache-Control", "no-cache")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(a: &Asset) -> &'static str {
        std::str::from_utf8(a.body).unwrap_or_default()
    }

    fn all() -> impl Iterator<Item = &'static Asset> {
        std::iter::once(&INDEX).chain(ASSETS.iter())
    }

    #[test]
    fn the_assets_stay_under_150_kb_in_all() {
        let total: usize = all().map(|a| a.body.len()).sum();
        assert!(total < 150 * 1024, "the console's files are {total} bytes; the budget is 150 KB");
    }

    #[test]
    fn nothing_is_fetched_from_another_host() {
        for a in all() {
            // The SVG namespace is a name, not a request.
            let t = text(a).replace("http://www.w3.org/2000/svg", "");
            for needle in ["http://", "https://", "//cdn", "@import", "url(", "fonts.g"] {
                assert!(!t.contains(needle), "{} contains {needle:?}", a.name);
            }
        }
    }

    #[test]
    fn no_markup_is_built_from_strings_and_nothing_inline() {
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            for needle in
                ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"]
            {
                assert!(!text(a).contains(needle), "{} uses {needle}", a.name);
            }
            assert!(!text(a).contains("setAttribute('style'"), "{} sets a style attribute", a.name);
        }
        let html = text(&INDEX);
        assert!(!html.contains("style="), "inline style in index.html");
        for (i, _) in html.match_indices(" on") {
            let rest = &html[i + 3..];
            let word = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
            assert!(!rest[word..].starts_with('='), "an inline event handler in index.html");
        }
        // The one script tag loads a module from this origin; no inline script.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains("<script type=\"module\" src=\"/console/app.js\"></script>"));
    }

    #[test]
    fn every_imported_module_is_served() {
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            for part in text(a).split("from './").skip(1) {
                let name = part.split('\'').next().unwrap_or_default();
                assert!(
                    ASSETS.iter().any(|b| b.name == name),
                    "{} imports {name}, which is not served",
                    a.name
                );
            }
        }
    }

    #[test]
    fn etags_differ_by_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        let mut hashes: Vec<u64> = all().map(|a| a.hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), ASSETS.len() + 1);
    }
}
