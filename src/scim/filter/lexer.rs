//! Text to tokens: parentheses, brackets, JSON strings (unescaped here) and words (names, operators,
//! keywords, numbers, bare values). [`Source`] also makes the error details, which say where in the
//! text (in characters) and near what; every error is 400 `invalidFilter` or `invalidPath`.

use super::MAX_FILTER_DEPTH;
use crate::error::{Error, Result};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'a> {
    Open,
    Close,
    LBracket,
    RBracket,
    /// A quoted JSON string, unescaped.
    Str(String),
    /// A run of anything else up to whitespace, a bracket, a parenthesis or a quote: names, operators,
    /// keywords, numbers, bare values.
    Word(&'a str),
    End,
}

#[derive(Debug)]
pub(super) struct Token<'a> {
    pub(super) tok: Tok<'a>,
    /// Byte offset into the text; always on a char boundary.
    pub(super) at: usize,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '"')
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Grammar {
    Filter,
    Path,
}

/// The text being read and the error flavour that goes with it.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub(super) text: &'a str,
    pub(super) grammar: Grammar,
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

impl<'a> Source<'a> {
    pub(super) fn noun(self) -> &'static str {
        match self.grammar {
            Grammar::Filter => "filter",
            Grammar::Path => "path",
        }
    }

    pub(super) fn error(self, detail: String) -> Error {
        match self.grammar {
            Grammar::Filter => Error::invalid_filter(detail),
            Grammar::Path => Error::invalid_path(detail),
        }
    }

    /// An error about the text at byte `at`, saying where (in characters, from 1) and near what.
    pub(super) fn fail_at(self, at: usize, problem: impl fmt::Display) -> Error {
        let noun = self.noun();
        let rest = self.text.get(at..).unwrap_or("");
        if rest.is_empty() {
            return self.error(format!("{problem}, at the end of the {noun}"));
        }
        let position = self.text.get(..at).map_or(0, |before| before.chars().count()) + 1;
        let mut near: String = rest.chars().take(24).collect();
        if rest.chars().nth(24).is_some() {
            near.push('…');
        }
        self.error(format!("{problem}, at character {position} of the {noun} (near '{near}')"))
    }

    pub(super) fn too_deep(self) -> Error {
        self.error(format!(
            "the {} nests deeper than {MAX_FILTER_DEPTH} levels (each parenthesis, not, [value filter] and \
             chain of and/or counts one); simplify it",
            self.noun()
        ))
    }

    pub(super) fn lex(self) -> Result<Vec<Token<'a>>> {
        let mut tokens = Vec::new();
        let mut chars: Chars<'a> = self.text.char_indices().peekable();
        while let Some(&(at, c)) = chars.peek() {
            let tok = match c {
                c if c.is_whitespace() => {
                    chars.next();
                    continue;
                }
                '(' | ')' | '[' | ']' => {
                    chars.next();
                    match c {
                        '(' => Tok::Open,
                        ')' => Tok::Close,
                        '[' => Tok::LBracket,
                        _ => Tok::RBracket,
                    }
                }
                '"' => {
                    chars.next();
                    Tok::Str(self.lex_string(at, &mut chars)?)
                }
                _ => {
                    let mut end = self.text.len();
                    while let Some(&(i, c)) = chars.peek() {
                        if !is_word_char(c) {
                            end = i;
                            break;
                        }
                        chars.next();
                    }
                    Tok::Word(self.text.get(at..end).unwrap_or(""))
                }
            };
            tokens.push(Token { tok, at });
        }
        tokens.push(Token { tok: Tok::End, at: self.text.len() });
        Ok(tokens)
    }

    /// The rest of a JSON string whose opening quote was at `start`.
    fn lex_string(self, start: usize, chars: &mut Chars<'a>) -> Result<String> {
        let unterminated = || self.fail_at(start, "this string is never closed; add the closing '\"'");
        let mut out = String::new();
        loop {
            let Some((at, c)) = chars.next() else {
                return Err(unterminated());
            };
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some((_, escape)) = chars.next() else {
                        return Err(unterminated());
                    };
                    let unescaped = match escape {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => self.lex_unicode_escape(at, chars)?,
                        other => {
                            return Err(self.fail_at(
                                at,
                                format!(
                                    "'\\{other}' is not a JSON string escape; use \\\", \\\\, \\/, \\b, \\f, \\n, \
                                     \\r, \\t or \\uXXXX"
                                ),
                            ));
                        }
                    };
                    out.push(unescaped);
                }
                c => out.push(c),
            }
        }
    }

    /// After `\u` (whose backslash is at `at`): four hex digits, and a second `\uXXXX` when the first
    /// is a high surrogate, as JSON spells characters outside the Basic Multilingual Plane.
    fn lex_unicode_escape(self, at: usize, chars: &mut Chars<'a>) -> Result<char> {
        let first = self.hex4(at, chars)?;
        let code = match first {
            0xD800..=0xDBFF => {
                let backslash = chars.next().map(|(_, c)| c);
                let u = chars.next().map(|(_, c)| c);
                let second = if backslash == Some('\\') && u == Some('u') {
                    Some(self.hex4(at, chars)?)
                } else {
                    None
                };
                match second {
                    Some(low @ 0xDC00..=0xDFFF) => 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00),
                    _ => {
                        return Err(self.fail_at(
                            at,
                            "a high surrogate \\uD800-\\uDBFF must be followed by a low surrogate \\uDC00-\\uDFFF",
                        ));
                    }
                }
            }
            0xDC00..=0xDFFF => {
                return Err(self.fail_at(at, "a low surrogate \\uDC00-\\uDFFF must follow a high surrogate"));
            }
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.fail_at(at, "this \\u escape is not a Unicode character"))
    }

    fn hex4(self, at: usize, chars: &mut Chars<'a>) -> Result<u32> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = chars.peek().and_then(|&(_, c)| c.to_digit(16));
            let Some(digit) = digit else {
                return Err(self.fail_at(at, "\\u must be followed by four hex digits, as in \\u00e9"));
            };
            chars.next();
            code = code * 16 + digit;
        }
        Ok(code)
    }
}
