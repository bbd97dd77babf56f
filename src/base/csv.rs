//! CSV as the reports write it and the import reads it (RFC 4180): fields separated by commas,
//! records by CRLF or LF, a field in double quotes may hold commas, quotes (doubled) and line breaks.
//! Written fields are always quoted, and a field a spreadsheet would run as a formula (a leading
//! `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`; the reader takes that `'` off
//! again, so a report reads back as it was written.

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One field, quoted, with the formula guard.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(FORMULA_STARTS) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// One record: the fields joined, CRLF-terminated.
pub fn record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields.iter().map(|f| field(f.as_ref())).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

/// A parse error: the 1-based line where the record starts, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: usize,
    pub what: String,
}

/// Reads the records of `text`, each with the line it starts on. Blank lines are skipped.
pub fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted_field = false;
        loop {
            match chars.next() {
                None => {
                    fields.push(unguard(std::mem::take(&mut field), quoted_field));
                    break;
                }
                Some('"') if field.is_empty() && !quoted_field => {
                    quoted_field = true;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(CsvError {
                                    line: start,
                                    what: "a quoted field is not closed".into(),
                                });
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    line += 1;
                                }
                                field.push(c);
                            }
                        }
                    }
                    match chars.peek() {
                        None | Some(',') | Some('\r') | Some('\n') => {}
                        Some(c) => {
                            return Err(CsvError {
                                line,
                                what: format!(
                                    "{c:?} after a closing quote: a quoted field must end at a comma"
                                ),
                            });
                        }
                    }
                }
                Some(',') => {
                    fields.push(unguard(std::mem::take(&mut field), quoted_field));
                    quoted_field = false;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some('\n') => {
                    line += 1;
                    fields.push(unguard(std::mem::take(&mut field), quoted_field));
                    break;
                }
                Some(c) => field.push(c),
            }
        }
        if !(fields.len() == 1 && fields[0].is_empty()) {
            out.push((start, fields));
        }
    }
    Ok(out)
}

/// Takes the formula guard off a quoted field the writer guarded.
fn unguard(field: String, quoted: bool) -> String {
    match field.strip_prefix('\'') {
        Some(rest) if quoted && rest.starts_with(FORMULA_STARTS) => rest.to_string(),
        _ => field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let rows = [
            vec![
                "Ada Lovelace",
                "ada@example.com",
                "=1+1",
                "say \"hi\"",
                "a,b",
                "line\nbreak",
                "",
                "\tx",
                "-5",
            ],
            vec!["x", "", "", "", "", "", "", "", ""],
        ];
        let text: String = rows.iter().map(|r| record(r)).collect();
        let back = records(&text).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].1, rows[0]);
        assert_eq!(back[1].0, 3, "the second record starts after the embedded line break");
        assert!(text.contains("\"'=1+1\""), "formulas are guarded: {text}");
    }

    #[test]
    fn unquoted_fields_blank_lines_and_errors() {
        let back = records("a,b\n\nc,\"d\"\r\n").unwrap();
        assert_eq!(
            back,
            vec![(1, vec!["a".to_string(), "b".to_string()]), (3, vec!["c".to_string(), "d".to_string()])]
        );
        assert_eq!(records("'=x,\"'=y\"").unwrap()[0].1, ["'=x", "=y"], "only a written guard is taken off");
        assert_eq!(records("a,\"b").unwrap_err().line, 1);
        assert!(records("\"a\"b").unwrap_err().what.contains("closing quote"));
    }
}
