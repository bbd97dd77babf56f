//! Column types: the domain's values to and from SQLite. A value the database holds that is not one
//! of the type's identifiers is a corrupt row, reported as a conversion error (never guessed).

use crate::domain::seats::{Seat, SettingType, SettingValue, Status};
use crate::store::tokens::Scope;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

fn text_of(value: ValueRef<'_>) -> FromSqlResult<&str> {
    value.as_str()
}

fn unknown(what: &str, text: &str) -> FromSqlError {
    FromSqlError::Other(
        format!("the database holds {what} {text:?}, which this scim-seat does not know").into(),
    )
}

impl ToSql for Seat {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Seat {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Seat> {
        let text = text_of(value)?;
        Seat::ALL.iter().copied().find(|s| s.as_str() == text).ok_or_else(|| unknown("the seat", text))
    }
}

impl ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Status {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Status> {
        let text = text_of(value)?;
        Status::ALL.iter().copied().find(|s| s.as_str() == text).ok_or_else(|| unknown("the status", text))
    }
}

impl ToSql for Scope {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Scope {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Scope> {
        let text = text_of(value)?;
        Scope::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| unknown("the token scope", text))
    }
}

impl ToSql for SettingValue {
    /// Booleans as 0/1, numbers as integers, text as text, null as NULL (the settings table is
    /// STRICT with `value ANY`, so each keeps its type).
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SettingValue::Null => ToSqlOutput::from(rusqlite::types::Null),
            SettingValue::Bool(b) => ToSqlOutput::from(i64::from(*b)),
            SettingValue::Number(n) => ToSqlOutput::from(i64::try_from(*n).unwrap_or(i64::MAX)),
            SettingValue::Text(t) => ToSqlOutput::from(t.as_str()),
        })
    }
}

/// A stored setting, read as the type its key takes.
pub fn setting_value(ty: SettingType, value: ValueRef<'_>) -> FromSqlResult<SettingValue> {
    Ok(match (ty, value) {
        (SettingType::OptionalNumber | SettingType::OptionalText, ValueRef::Null) => SettingValue::Null,
        (SettingType::Bool, ValueRef::Integer(i)) => SettingValue::Bool(i != 0),
        (SettingType::Number | SettingType::OptionalNumber, ValueRef::Integer(i)) => {
            SettingValue::Number(u64::try_from(i).map_err(|_| FromSqlError::OutOfRange(i))?)
        }
        (SettingType::Choice | SettingType::OptionalText, ValueRef::Text(_)) => {
            SettingValue::Text(value.as_str()?.to_string())
        }
        _ => return Err(FromSqlError::InvalidType),
    })
}

/// A list (user ids, seqs) as the JSON array that set-based statements read with `json_each(?)`:
/// one statement for a whole list instead of one a member.
pub(super) fn json_list<T: serde::Serialize>(items: &[T]) -> crate::error::Result<String> {
    serde_json::to_string(items)
        .map_err(|e| crate::error::Error::internal(format!("a list could not be written: {e}")))
}
