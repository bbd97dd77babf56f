//! The audit log, newest first, by user and time, with cursor paging.

use super::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::base::calendar;
use crate::error::{Error, Result};
use crate::service::views::Page;
use crate::store::Read;
use crate::store::audit::{self, Event};

pub fn events(
    db: &impl Read,
    user_id: Option<&str>,
    since: Option<&str>,
    cursor: Option<i64>,
    limit: Option<usize>,
) -> Result<Page<Event>> {
    let since = match since {
        Some(s) => Some(calendar::rfc3339_ms(
            calendar::parse_rfc3339(s).ok_or_else(|| {
                Error::invalid_value(format!(
                    "since must be a date or time like 2026-11-23T10:00:00Z, not \"{s}\""
                ))
            })? * 1000,
        )),
        None => None,
    };
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let mut events = audit::query(db, user_id, since.as_deref(), cursor, limit + 1)?;
    let next_cursor = (events.len() > limit).then(|| events[limit - 1].id.to_string());
    events.truncate(limit);
    Ok(Page { items: events, next_cursor })
}
