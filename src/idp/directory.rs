//! The directory a person writes or exports: a CSV with a header row, one row per user in scope.
//!
//! Columns (named by the header, any order, names compared without case; only `userName` is
//! required): `userName`, `givenName`, `familyName`, `email`, `department`, `division`, `costCenter`,
//! `active` (true/false, empty means true), `roles` and `groups` (`;`-separated), and `deleted`
//! (true/false, empty means false): a deleted user is deleted in the target (Entra) or deactivated
//! (Okta, which never deletes users). A user who is not in the file is out of scope.
//!
//! The file is checked whole before anything is sent: every bad row is reported with its line
//! number and what is wrong. This module reads text into [`DirUser`] values and knows no HTTP.

use crate::base::csv;
use crate::base::text::{fold_case, parse_bool};
use std::collections::HashMap;

/// One column of the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    UserName,
    GivenName,
    FamilyName,
    Email,
    Department,
    Division,
    CostCenter,
    Active,
    Roles,
    Groups,
    Deleted,
}

impl Column {
    const ALL: [Column; 11] = [
        Column::UserName,
        Column::GivenName,
        Column::FamilyName,
        Column::Email,
        Column::Department,
        Column::Division,
        Column::CostCenter,
        Column::Active,
        Column::Roles,
        Column::Groups,
        Column::Deleted,
    ];

    fn name(self) -> &'static str {
        match self {
            Column::UserName => "userName",
            Column::GivenName => "givenName",
            Column::FamilyName => "familyName",
            Column::Email => "email",
            Column::Department => "department",
            Column::Division => "division",
            Column::CostCenter => "costCenter",
            Column::Active => "active",
            Column::Roles => "roles",
            Column::Groups => "groups",
            Column::Deleted => "deleted",
        }
    }

    fn parse(header: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(header.trim()))
    }
}

/// One user of the directory, as its row says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirUser {
    /// The line the row starts on (for messages).
    pub line: usize,
    pub user_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub department: String,
    pub division: String,
    pub cost_center: String,
    pub active: bool,
    pub deleted: bool,
    /// Role values (`LICENSED_USER`), trimmed, without duplicates (ignoring case), in file order.
    pub roles: Vec<String>,
    /// Group display names, trimmed, without duplicates (ignoring case), in file order.
    pub groups: Vec<String>,
}

/// A row the directory cannot be used with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: usize,
    pub why: String,
}

/// Reads the whole directory. Either every row is good, or every bad row is returned.
pub fn read(text: &str) -> Result<Vec<DirUser>, Vec<BadRow>> {
    let records = csv::records(text).map_err(|e| vec![BadRow { line: e.line, why: e.what }])?;
    let mut rows = records.into_iter();
    let Some((header_line, header)) = rows.next() else {
        return Err(vec![BadRow { line: 1, why: no_header() }]);
    };
    let columns = read_header(header_line, &header)?;
    let mut users = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, fields) in rows {
        match read_row(line, &columns, &fields) {
            Ok(u) => match seen.get(&fold_case(&u.user_name)) {
                Some(first) => bad.push(BadRow {
                    line,
                    why: format!("userName {:?} is also on line {first}: one row per user", u.user_name),
                }),
                None => {
                    seen.insert(fold_case(&u.user_name), line);
                    users.push(u);
                }
            },
            Err(why) => bad.push(BadRow { line, why }),
        }
    }
    if bad.is_empty() { Ok(users) } else { Err(bad) }
}

fn no_header() -> String {
    format!(
        "the file is empty: the first row names the columns, e.g. {}",
        Column::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(",")
    )
}

fn read_header(line: usize, header: &[String]) -> Result<Vec<Column>, Vec<BadRow>> {
    let mut columns = Vec::new();
    let mut bad = Vec::new();
    for name in header {
        match Column::parse(name) {
            Some(c) if columns.contains(&c) => {
                bad.push(BadRow { line, why: format!("column {:?} is named twice", c.name()) });
            }
            Some(c) => columns.push(c),
            None => bad.push(BadRow {
                line,
                why: format!(
                    "unknown column {:?}; the columns are {}",
                    name.trim(),
                    Column::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
                ),
            }),
        }
    }
    if bad.is_empty() && !columns.contains(&Column::UserName) {
        bad.push(BadRow { line, why: "the header has no userName column: every row needs one".into() });
    }
    if bad.is_empty() { Ok(columns) } else { Err(bad) }
}

fn read_row(line: usize, columns: &[Column], fields: &[String]) -> Result<DirUser, String> {
    if fields.len() != columns.len() {
        return Err(format!("{} field(s), but the header names {} column(s)", fields.len(), columns.len()));
    }
    let mut u = DirUser { line, active: true, ..DirUser::default() };
    for (column, raw) in columns.iter().zip(fields) {
        let value = raw.trim();
        match column {
            Column::UserName => u.user_name = value.to_string(),
            Column::GivenName => u.given_name = value.to_string(),
            Column::FamilyName => u.family_name = value.to_string(),
            Column::Email => u.email = value.to_string(),
            Column::Department => u.department = value.to_string(),
            Column::Division => u.division = value.to_string(),
            Column::CostCenter => u.cost_center = value.to_string(),
            Column::Active => u.active = flag(value, true, "active")?,
            Column::Deleted => u.deleted = flag(value, false, "deleted")?,
            Column::Roles => u.roles = list(value),
            Column::Groups => u.groups = list(value),
        }
    }
    if u.user_name.is_empty() {
        return Err("userName is empty: every user needs its unique login name".into());
    }
    if u.user_name.chars().any(char::is_control) {
        return Err(format!("userName {:?} holds a control character", u.user_name));
    }
    if !u.email.is_empty() && !u.email.contains('@') {
        return Err(format!("email {:?} is not an address (no @)", u.email));
    }
    Ok(u)
}

fn flag(value: &str, empty: bool, column: &str) -> Result<bool, String> {
    if value.is_empty() {
        return Ok(empty);
    }
    parse_bool(value).ok_or_else(|| format!("{column} must be true or false, got {value:?}"))
}

/// A `;`-separated list: trimmed, empty entries dropped, duplicates (ignoring case) dropped.
fn list(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in value.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| fold_case(o) == fold_case(item)) {
            out.push(item.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_by_the_header_in_any_order_and_case() {
        let text = "Groups,USERNAME,roles,active,givenName,deleted\r\n\
                    \"Sales; Smartsheet Licensed User;sales\",ada@example.com,LICENSED_USER;;GROUP_ADMIN,,Ada,\r\n\
                    ,bob@example.com,,False,Bob,TRUE\r\n";
        let users = read(text).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].user_name, "ada@example.com");
        assert_eq!(users[0].groups, ["Sales", "Smartsheet Licensed User"]);
        assert_eq!(users[0].roles, ["LICENSED_USER", "GROUP_ADMIN"]);
        assert!(users[0].active && !users[0].deleted);
        assert_eq!(users[0].given_name, "Ada");
        assert_eq!(users[1].line, 3);
        assert!(!users[1].active && users[1].deleted);
        assert!(users[1].groups.is_empty());
    }

    #[test]
    fn every_bad_row_is_listed_with_its_line() {
        let text = "userName,email,active\n\
                    ok@example.com,ok@example.com,true\n\
                    ,x@example.com,true\n\
                    two@example.com,not-an-address,true\n\
                    three@example.com,,maybe\n\
                    OK@example.com,,\n\
                    short@example.com\n";
        let bad = read(text).unwrap_err();
        let lines: Vec<usize> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7], "{bad:?}");
        assert!(bad[2].why.contains("maybe"), "{bad:?}");
        assert!(bad[3].why.contains("line 2"), "{bad:?}");
        assert!(bad[4].why.contains("header names 3"), "{bad:?}");
    }

    #[test]
    fn the_header_must_name_known_columns_and_a_user_name() {
        let bad = read("userName,colour,Roles,roles\nx@example.com,red,,\n").unwrap_err();
        assert!(bad.iter().any(|b| b.why.contains("\"colour\"")), "{bad:?}");
        assert!(bad.iter().any(|b| b.why.contains("named twice")), "{bad:?}");
        let bad = read("email\nx@example.com\n").unwrap_err();
        assert!(bad[0].why.contains("no userName column"), "{bad:?}");
        assert!(read("").unwrap_err()[0].why.contains("empty"));
        assert_eq!(read("userName\n").unwrap(), vec![]);
    }
}
