//! Tokens to a [`Filter`] or a [`PatchPath`], by recursive descent that recurses only into `(`,
//! `not (` and `[`, checking [`MAX_FILTER_DEPTH`] before each descent; `and`/`or` chains are loops.
//! Also the grammar of names (`[urn ":"] attr ["." sub]`) and of bare values.

use super::ast::{AttrPath, CompareOp, Filter, PatchPath};
use super::lexer::{Grammar, Source, Tok, Token};
use super::{MAX_FILTER_DEPTH, MAX_FILTER_LEN};
use crate::base::text::parse_bool;
use crate::error::Result;
use crate::scim::schema;
use serde_json::{Number, Value};

/// Parses a filter; errors are 400 `invalidFilter` with a detail naming the position and problem.
pub fn parse(input: &str) -> Result<Filter> {
    let src = Source { text: input, grammar: Grammar::Filter };
    let mut parser = src.parser()?;
    let (filter, depth) = parser.or_chain(0)?;
    parser.expect_end()?;
    if depth > MAX_FILTER_DEPTH {
        return Err(src.too_deep());
    }
    Ok(filter)
}

/// Parses a PATCH path; errors are 400 `invalidPath`.
pub fn parse_path(input: &str) -> Result<PatchPath> {
    let src = Source { text: input, grammar: Grammar::Path };
    let mut parser = src.parser()?;
    let (word, at) = match parser.peek_word() {
        Some(found) => found,
        None => {
            let at = parser.peek().1;
            return Err(src.fail_at(at, "expected an attribute name such as emails or name.givenName"));
        }
    };
    parser.bump();
    let path = src.attr_path(word, at)?;
    let mut filter = None;
    let mut sub = None;
    if let (Tok::LBracket, open_at) = parser.peek() {
        parser.value_filter_allowed(&path, word, at, open_at)?;
        parser.bump();
        let (inner, depth) = parser.bracket(0, open_at)?;
        if depth + 1 > MAX_FILTER_DEPTH {
            return Err(src.too_deep());
        }
        filter = Some(inner);
        if let Some((name, sub_at)) = parser.peek_sub() {
            parser.bump();
            sub = Some(src.sub_name(name, sub_at)?);
        }
    }
    parser.expect_end()?;
    Ok(PatchPath { path, filter, sub })
}

impl<'a> Source<'a> {
    /// Length cap, then tokens, then a parser positioned on the first one.
    fn parser(self) -> Result<Parser<'a>> {
        let noun = self.noun();
        if self.text.len() > MAX_FILTER_LEN {
            return Err(self.error(format!(
                "the {noun} is {} bytes long; the longest accepted is {MAX_FILTER_LEN}",
                self.text.len()
            )));
        }
        let tokens = self.lex()?;
        if tokens.len() <= 1 {
            let example = match self.grammar {
                Grammar::Filter => "userName eq \"bjensen\"",
                Grammar::Path => "emails[type eq \"work\"].value",
            };
            return Err(self.error(format!("the {noun} is empty; write for example {example}")));
        }
        let end = Token { tok: Tok::End, at: self.text.len() };
        Ok(Parser { src: self, tokens, next: 0, end, in_brackets: false })
    }

    /// `[urn ":"] attr ["." sub]` from one word starting at byte `at`.
    fn attr_path(self, word: &str, at: usize) -> Result<AttrPath> {
        if schema::is_extension_urn(word) {
            return Ok(AttrPath { urn: None, attr: word.to_string(), sub: None });
        }
        let (urn, rest) = match word.rsplit_once(':') {
            Some((urn, rest)) => (Some(urn), rest),
            None => (None, word),
        };
        if urn == Some("") {
            return Err(self.fail_at(at, format!("'{word}' has a ':' but no schema URN before it")));
        }
        if rest.is_empty() {
            return Err(self.fail_at(
                at,
                format!("'{word}' ends with ':'; write the attribute name after the schema URN"),
            ));
        }
        let (attr, sub) = match rest.split_once('.') {
            Some((attr, sub)) => (attr, Some(sub)),
            None => (rest, None),
        };
        if sub.is_some_and(|sub| sub.contains('.')) {
            return Err(self.fail_at(
                at,
                format!("'{word}' has more than one '.'; a SCIM path has at most one sub-attribute"),
            ));
        }
        self.check_name(attr, word, at)?;
        if let Some(sub) = sub {
            self.check_name(sub, word, at)?;
        }
        Ok(AttrPath { urn: urn.map(str::to_string), attr: attr.to_string(), sub: sub.map(str::to_string) })
    }

    /// The name after `].` (the `.` already stripped).
    fn sub_name(self, name: &str, at: usize) -> Result<String> {
        self.check_name(name, name, at)?;
        Ok(name.to_string())
    }

    /// RFC 7643 ATTRNAME (a letter, then letters, digits, '-', '_'), or `$ref`-style names.
    fn check_name(self, name: &str, word: &str, at: usize) -> Result<()> {
        let bare = name.strip_prefix('$').unwrap_or(name);
        let mut chars = bare.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            return Ok(());
        }
        let problem = if name.is_empty() {
            format!("'{word}' is missing an attribute name")
        } else {
            format!(
                "'{name}' is not an attribute name: a name starts with a letter and holds only letters, \
                 digits, '-' and '_'"
            )
        };
        Err(self.fail_at(at, problem))
    }
}

struct Parser<'a> {
    src: Source<'a>,
    tokens: Vec<Token<'a>>,
    next: usize,
    /// Stands in for any position past the last token, so peeking never fails.
    end: Token<'a>,
    /// Inside `[...]`, where the RFC grammar has no value paths.
    in_brackets: bool,
}

/// Every parsing function returns its filter with the nesting depth it used.
type Parsed = (Filter, usize);

impl<'a> Parser<'a> {
    fn peek(&self) -> (&Tok<'a>, usize) {
        let token = self.tokens.get(self.next).unwrap_or(&self.end);
        (&token.tok, token.at)
    }

    fn peek_word(&self) -> Option<(&'a str, usize)> {
        match self.peek() {
            (Tok::Word(word), at) => Some((*word, at)),
            _ => None,
        }
    }

    /// A word `.name` right after `]`: the sub-attribute of a value path.
    fn peek_sub(&self) -> Option<(&'a str, usize)> {
        self.peek_word().and_then(|(word, at)| word.strip_prefix('.').map(|name| (name, at)))
    }

    fn bump(&mut self) {
        if self.next < self.tokens.len() {
            self.next += 1;
        }
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_word().is_some_and(|(word, _)| word.eq_ignore_ascii_case(keyword));
        if found {
            self.bump();
        }
        found
    }

    fn or_chain(&mut self, nest: usize) -> Result<Parsed> {
        let (mut filter, mut depth) = self.and_chain(nest)?;
        let mut chained = false;
        while self.eat_keyword("or") {
            let (right, right_depth) = self.and_chain(nest)?;
            filter = Filter::Or(Box::new(filter), Box::new(right));
            depth = depth.max(right_depth);
            chained = true;
        }
        Ok((filter, depth + usize::from(chained)))
    }

    fn and_chain(&mut self, nest: usize) -> Result<Parsed> {
        let (mut filter, mut depth) = self.unary(nest)?;
        let mut chained = false;
        while self.eat_keyword("and") {
            let (right, right_depth) = self.unary(nest)?;
            filter = Filter::And(Box::new(filter), Box::new(right));
            depth = depth.max(right_depth);
            chained = true;
        }
        Ok((filter, depth + usize::from(chained)))
    }

    /// `( filter )`, `not ( filter )` or an attribute expression.
    fn unary(&mut self, nest: usize) -> Result<Parsed> {
        let (tok, at) = self.peek();
        match tok {
            Tok::Open => {
                self.bump();
                let (filter, depth) = self.group(nest, at)?;
                Ok((filter, depth + 1))
            }
            Tok::Word(word) if word.eq_ignore_ascii_case("not") => {
                self.bump();
                let (tok, open_at) = self.peek();
                if *tok != Tok::Open {
                    return Err(self.src.fail_at(open_at, "expected '(' after 'not', as in not (title pr)"));
                }
                self.bump();
                let (filter, depth) = self.group(nest, open_at)?;
                Ok((Filter::Not(Box::new(filter)), depth + 1))
            }
            Tok::Word(word) => {
                let word = *word;
                self.bump();
                self.attr_expr(nest, word, at)
            }
            _ => Err(self.src.fail_at(at, "expected an attribute name, '(' or 'not'")),
        }
    }

    /// The inside of parentheses opened at byte `open_at`, and the closing ')'.
    fn group(&mut self, nest: usize, open_at: usize) -> Result<Parsed> {
        if nest >= MAX_FILTER_DEPTH {
            return Err(self.src.too_deep());
        }
        let parsed = self.or_chain(nest + 1)?;
        match self.peek() {
            (Tok::Close, _) => {
                self.bump();
                Ok(parsed)
            }
            (Tok::End, _) => Err(self.src.fail_at(open_at, "this '(' is never closed; add a ')'")),
            (_, at) => Err(self.src.fail_at(at, "expected 'and', 'or' or ')'")),
        }
    }

    /// The inside of a value filter opened at byte `open_at`, and the closing ']'.
    fn bracket(&mut self, nest: usize, open_at: usize) -> Result<Parsed> {
        if nest >= MAX_FILTER_DEPTH {
            return Err(self.src.too_deep());
        }
        self.in_brackets = true;
        let parsed = self.or_chain(nest + 1)?;
        self.in_brackets = false;
        match self.peek() {
            (Tok::RBracket, _) => {
                self.bump();
                Ok(parsed)
            }
            (Tok::End, _) => Err(self.src.fail_at(open_at, "this '[' is never closed; add a ']'")),
            (_, at) => Err(self.src.fail_at(at, "expected 'and', 'or' or ']'")),
        }
    }

    /// Refuses a value filter where the grammar has none: inside another, or after `attr.sub`.
    fn value_filter_allowed(&self, path: &AttrPath, word: &str, at: usize, open_at: usize) -> Result<()> {
        if self.in_brackets {
            return Err(self.src.fail_at(open_at, "a value filter cannot hold another '[...]'"));
        }
        if path.sub.is_some() {
            return Err(self.src.fail_at(
                at,
                format!("'{word}' names a sub-attribute; a '[...]' value filter goes on the multi-valued attribute"),
            ));
        }
        Ok(())
    }

    /// After the attribute word: `pr`, `op value`, or a value path `[...]` (maybe Entra's
    /// `[...].sub op value`).
    fn attr_expr(&mut self, nest: usize, word: &'a str, at: usize) -> Result<Parsed> {
        let path = self.src.attr_path(word, at)?;
        let (Tok::LBracket, open_at) = self.peek() else {
            return Ok((self.operation(path, word)?, 0));
        };
        self.value_filter_allowed(&path, word, at, open_at)?;
        self.bump();
        let (inner, depth) = self.bracket(nest, open_at)?;
        if let Some((name, sub_at)) = self.peek_sub() {
            self.bump();
            let sub = self.src.sub_name(name, sub_at)?;
            let written = format!("{word}[…].{sub}");
            let leaf = self.operation(AttrPath { urn: None, attr: sub, sub: None }, &written)?;
            let filter = Filter::And(Box::new(inner), Box::new(leaf));
            // One level for the added `and`, one for the parentheses an `or` inside would need written
            // out, one for the brackets.
            return Ok((Filter::ValuePath { path, filter: Box::new(filter) }, depth + 3));
        }
        Ok((Filter::ValuePath { path, filter: Box::new(inner) }, depth + 1))
    }

    /// `pr` or `op value` for `path`, which was written as `word`.
    fn operation(&mut self, path: AttrPath, word: &str) -> Result<Filter> {
        let Some((op_word, at)) = self.peek_word() else {
            let at = self.peek().1;
            return Err(self.src.fail_at(
                at,
                format!("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '{word}'"),
            ));
        };
        self.bump();
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(op_word) else {
            return Err(self.src.fail_at(
                at,
                format!("'{op_word}' is not an operator; after '{word}' use eq, ne, co, sw, ew, gt, ge, lt, le or pr"),
            ));
        };
        let value = self.value(op)?;
        if op.is_ordering() && !(value.is_string() || value.is_number()) {
            return Err(self.src.fail_at(
                at,
                format!("'{op}' orders strings, numbers and dates; it cannot compare with {value}"),
            ));
        }
        Ok(Filter::Compare { path, op, value })
    }

    /// The comparison value after `op`.
    fn value(&mut self, op: CompareOp) -> Result<Value> {
        let expected =
            || format!("expected a value after '{op}': a \"quoted string\", a number, true, false or null");
        let at = self.peek().1;
        let token = self.tokens.get_mut(self.next);
        let value = match token.map(|t| &mut t.tok) {
            Some(Tok::Str(s)) => Value::String(std::mem::take(s)),
            Some(Tok::Word(word)) => {
                let word = *word;
                if ["and", "or", "not"].iter().any(|k| word.eq_ignore_ascii_case(k)) {
                    return Err(self.src.fail_at(
                        at,
                        format!("{}; to compare with the text '{word}', quote it", expected()),
                    ));
                }
                bare_value(word, op)
            }
            _ => return Err(self.src.fail_at(at, expected())),
        };
        self.bump();
        Ok(value)
    }

    /// The end of the text, or an error about what is left over.
    fn expect_end(&self) -> Result<()> {
        let (tok, at) = self.peek();
        let problem = match (tok, self.src.grammar) {
            (Tok::End, _) => return Ok(()),
            (Tok::Close, _) => "this ')' has no matching '('".to_string(),
            (Tok::RBracket, _) => "this ']' has no matching '['".to_string(),
            (_, Grammar::Filter) => "expected 'and', 'or' or the end of the filter".to_string(),
            (_, Grammar::Path) => {
                "unexpected text after the path; a path is attr, attr.sub, attr[filter] or attr[filter].sub"
                    .to_string()
            }
        };
        Err(self.src.fail_at(at, problem))
    }
}

/// An unquoted value: see the module comment on bare words.
fn bare_value(word: &str, op: CompareOp) -> Value {
    if op.is_substring() {
        return Value::String(word.to_string());
    }
    if let Some(b) = parse_bool(word) {
        return Value::Bool(b);
    }
    if word.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if word.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && let Ok(number) = serde_json::from_str::<Number>(word)
    {
        return Value::Number(number);
    }
    Value::String(word.to_string())
}
