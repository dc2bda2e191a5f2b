//! Recursive-descent parser from tokens to [`Expr`].
//!
//! Grammar, loosest-binding first (`{}` = repeated, `[]` = optional):
//!
//! ```text
//! expr    = or
//! or      = and { ("OR" | "||") and }
//! and     = not { ("AND" | "&&") not }
//! not     = ("NOT" | "!") not | eq
//! eq      = rel { ("==" | "!=") rel }
//! rel     = add { ("<" | "<=" | ">" | ">=") add }
//! add     = mul { ("+" | "-") mul }
//! mul     = unary { ("*" | "/") unary }
//! unary   = "-" unary | power
//! power   = primary [ "^" unary ]                     (so ^ is right-associative)
//! primary = number | id | call | "(" expr ")" | "[" expr { "," expr } "]"
//! call    = name "(" [ arg { "," arg } ] ")"
//! ```
//!
//! Function names, keywords (`REPEAT`, `LINEAR`, `ASC`, `DESC`, SORT's `AVG`...) and the
//! word operators `AND`/`OR` are matched ignoring case; `NOT` must start with a capital
//! (a lower-case `not` is an id). A word starting with a lower-case letter is an id unless
//! it is followed by `(` (a call) or stands alone in a keyword position of FILL or SORT
//! (so `FILL(m1, repeat)` repeats; a query with id `repeat` cannot be named there).

use crate::ast::{BinaryOp, Expr, FillWith, Function, SortOrder, SortStat, UNSUPPORTED_FUNCTIONS};
use crate::lexer::{Tok, Token, tokenize};
use crate::{MAX_EXPRESSION_CHARS, MAX_NESTING, MathError};

/// Parses metric math expression text.
///
/// Checks syntax, function names and argument counts; argument types (scalar, series,
/// array) are checked by [`crate::evaluate`], since they depend on what ids refer to.
pub fn parse(text: &str) -> Result<Expr, MathError> {
    let length = text.chars().count();
    if length > MAX_EXPRESSION_CHARS {
        return Err(MathError::TooLong { length });
    }
    if is_metrics_insights(text) {
        return Err(MathError::MetricsInsightsUnsupported);
    }
    let tokens = tokenize(text)?;
    let mut p = Parser {
        tokens,
        next: 0,
        depth: 0,
        end: length + 1,
    };
    let expr = p.expr()?;
    match p.peek() {
        None => Ok(expr),
        Some(t) => Err(syntax(
            t.position,
            format!(
                "unexpected {} after the end of the expression",
                t.kind.describe()
            ),
        )),
    }
}

/// Whether the text is a Metrics Insights query (`SELECT ...`), which shares the Expression
/// field with metric math.
fn is_metrics_insights(text: &str) -> bool {
    let t = text.trim_start();
    t.get(..6).is_some_and(|w| w.eq_ignore_ascii_case("SELECT"))
        && t[6..].chars().next().is_none_or(|c| c.is_whitespace())
}

fn syntax(position: usize, detail: impl Into<String>) -> MathError {
    MathError::Syntax {
        position,
        detail: detail.into(),
    }
}

/// One argument of a call before the function decides what it may be.
enum Arg {
    /// A lone word (`m1`, `REPEAT`, `desc`) followed by `,` or `)`.
    Word(String),
    /// A lone string literal.
    Str(String),
    /// Anything else.
    Expr(Expr),
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
    /// The position one past the last character, for errors at the end.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn peek_kind(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.kind)
    }

    fn peek_kind_at(&self, ahead: usize) -> Option<&Tok> {
        self.tokens.get(self.next + ahead).map(|t| &t.kind)
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.position)
    }

    fn bump(&mut self) {
        self.next += 1;
    }

    /// An error for whatever comes next, which is not what `wanted` describes.
    fn unexpected(&self, wanted: &str) -> MathError {
        match self.peek() {
            Some(t) => syntax(
                t.position,
                format!("expected {wanted}, found {}", t.kind.describe()),
            ),
            None => syntax(
                self.end,
                format!("expected {wanted}, found the end of the expression"),
            ),
        }
    }

    fn expect(&mut self, tok: &Tok, wanted: &str) -> Result<(), MathError> {
        if self.peek_kind() == Some(tok) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(wanted))
        }
    }

    fn enter(&mut self, position: usize) -> Result<(), MathError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            Err(MathError::TooDeep { position })
        } else {
            Ok(())
        }
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek_kind(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expr(&mut self) -> Result<Expr, MathError> {
        self.or()
    }

    fn or(&mut self) -> Result<Expr, MathError> {
        let mut lhs = self.and()?;
        while self.peek_kind() == Some(&Tok::OrOr) || self.is_word("OR") {
            self.bump();
            let rhs = self.and()?;
            lhs = Expr::Binary(BinaryOp::Or, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Expr, MathError> {
        let mut lhs = self.not()?;
        while self.peek_kind() == Some(&Tok::AndAnd) || self.is_word("AND") {
            self.bump();
            let rhs = self.not()?;
            lhs = Expr::Binary(BinaryOp::And, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn not(&mut self) -> Result<Expr, MathError> {
        let is_not = match self.peek_kind() {
            Some(Tok::Bang) => true,
            Some(Tok::Word(w)) => {
                w.eq_ignore_ascii_case("NOT") && w.starts_with(|c: char| c.is_ascii_uppercase())
            }
            _ => false,
        };
        if !is_not {
            return self.eq();
        }
        let position = self.position();
        self.bump();
        self.enter(position)?;
        let operand = self.not();
        self.leave();
        Ok(Expr::Not(Box::new(operand?)))
    }

    fn eq(&mut self) -> Result<Expr, MathError> {
        let mut lhs = self.rel()?;
        loop {
            let op = match self.peek_kind() {
                Some(Tok::EqEq) => BinaryOp::Eq,
                Some(Tok::Ne) => BinaryOp::Ne,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.rel()?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn rel(&mut self) -> Result<Expr, MathError> {
        let mut lhs = self.add()?;
        loop {
            let op = match self.peek_kind() {
                Some(Tok::Lt) => BinaryOp::Lt,
                Some(Tok::Le) => BinaryOp::Le,
                Some(Tok::Gt) => BinaryOp::Gt,
                Some(Tok::Ge) => BinaryOp::Ge,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.add()?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn add(&mut self) -> Result<Expr, MathError> {
        let mut lhs = self.mul()?;
        loop {
            let op = match self.peek_kind() {
                Some(Tok::Plus) => BinaryOp::Add,
                Some(Tok::Minus) => BinaryOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.mul()?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn mul(&mut self) -> Result<Expr, MathError> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek_kind() {
                Some(Tok::Star) => BinaryOp::Mul,
                Some(Tok::Slash) => BinaryOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self) -> Result<Expr, MathError> {
        if self.peek_kind() != Some(&Tok::Minus) {
            return self.power();
        }
        let position = self.position();
        self.bump();
        self.enter(position)?;
        let operand = self.unary();
        self.leave();
        Ok(Expr::Neg(Box::new(operand?)))
    }

    fn power(&mut self) -> Result<Expr, MathError> {
        let base = self.primary()?;
        if self.peek_kind() != Some(&Tok::Caret) {
            return Ok(base);
        }
        let position = self.position();
        self.bump();
        self.enter(position)?;
        let exponent = self.unary();
        self.leave();
        Ok(Expr::Binary(
            BinaryOp::Pow,
            Box::new(base),
            Box::new(exponent?),
        ))
    }

    fn primary(&mut self) -> Result<Expr, MathError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected("an expression"));
        };
        match token.kind {
            Tok::Number(n) => {
                self.bump();
                Ok(Expr::Number(n))
            }
            Tok::Word(w) if self.peek_kind_at(1) == Some(&Tok::LParen) => {
                self.call(w, token.position)
            }
            Tok::Word(w) => {
                self.bump();
                word_expr(w, token.position)
            }
            Tok::Str(_) => Err(syntax(
                token.position,
                "a string is allowed only as the argument of METRICS",
            )),
            Tok::LParen => {
                self.bump();
                self.enter(token.position)?;
                let inner = self.expr();
                self.leave();
                let inner = inner?;
                self.expect(
                    &Tok::RParen,
                    &format!("')' to close the '(' at position {}", token.position),
                )?;
                Ok(inner)
            }
            Tok::LBracket => {
                self.bump();
                self.enter(token.position)?;
                let items = self.array_items(token.position);
                self.leave();
                Ok(Expr::Array(items?))
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// The members of `[a, b, ...]`, after the `[`.
    fn array_items(&mut self, open: usize) -> Result<Vec<Expr>, MathError> {
        let mut items = Vec::new();
        loop {
            items.push(self.expr()?);
            match self.peek_kind() {
                Some(Tok::Comma) => self.bump(),
                Some(Tok::RBracket) => {
                    self.bump();
                    return Ok(items);
                }
                _ => {
                    return Err(
                        self.unexpected(&format!("',' or ']' to close the '[' at position {open}"))
                    );
                }
            }
        }
    }

    /// A call: `name` is the current token and `(` the next.
    fn call(&mut self, name: String, position: usize) -> Result<Expr, MathError> {
        let upper = name.to_ascii_uppercase();
        if UNSUPPORTED_FUNCTIONS.contains(&upper.as_str()) {
            return Err(MathError::UnsupportedFunction { name: upper });
        }
        let special = matches!(upper.as_str(), "METRICS" | "PERIOD" | "FILL" | "SORT");
        let function = Function::from_name(&upper);
        if !special && function.is_none() {
            return Err(MathError::UnknownFunction { name, position });
        }
        self.bump();
        self.bump();
        self.enter(position)?;
        let args = self.args(position);
        self.leave();
        let args = args?;
        let count = |min: usize, max: usize| {
            if (min..=max).contains(&args.len()) {
                Ok(())
            } else {
                let expected = if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                };
                Err(MathError::ArgumentCount {
                    function: canonical(&upper),
                    expected,
                    found: args.len(),
                    position,
                })
            }
        };
        match (upper.as_str(), function) {
            ("METRICS", _) => {
                count(0, 1)?;
                match args.into_iter().next() {
                    None => Ok(Expr::Metrics(None)),
                    Some((Arg::Str(s), _)) => Ok(Expr::Metrics(Some(s))),
                    Some((_, at)) => Err(syntax(at, "the argument of METRICS must be a string")),
                }
            }
            ("PERIOD", _) => {
                count(1, 1)?;
                match args.into_iter().next() {
                    Some((Arg::Word(w), _)) if starts_lowercase(&w) => Ok(Expr::Period(w)),
                    Some((_, at)) => Err(syntax(
                        at,
                        "the argument of PERIOD must be the id of a metric",
                    )),
                    None => Err(syntax(
                        position,
                        "the argument of PERIOD must be the id of a metric",
                    )),
                }
            }
            ("FILL", _) => {
                count(2, 2)?;
                let mut it = args.into_iter();
                let (Some(series), Some(with)) = (it.next(), it.next()) else {
                    return Err(syntax(position, "FILL takes two arguments"));
                };
                let series = arg_expr(series)?;
                let with = match with {
                    (Arg::Word(w), _) if w.eq_ignore_ascii_case("REPEAT") => FillWith::Repeat,
                    (Arg::Word(w), _) if w.eq_ignore_ascii_case("LINEAR") => FillWith::Linear,
                    other => FillWith::Value(Box::new(arg_expr(other)?)),
                };
                Ok(Expr::Fill(Box::new(series), with))
            }
            ("SORT", _) => {
                count(3, 4)?;
                let mut it = args.into_iter();
                let (Some(array), Some(by), Some(order)) = (it.next(), it.next(), it.next()) else {
                    return Err(syntax(position, "SORT takes three or four arguments"));
                };
                let array = arg_expr(array)?;
                let by = match by {
                    (Arg::Word(w), _) if SortStat::from_word(&w).is_some() => {
                        SortStat::from_word(&w)
                    }
                    _ => None,
                }
                .ok_or_else(|| {
                    syntax(
                        by.1,
                        "the second argument of SORT must be AVG, MIN, MAX or SUM",
                    )
                })?;
                let order = match order {
                    (Arg::Word(w), _) if SortOrder::from_word(&w).is_some() => {
                        SortOrder::from_word(&w)
                    }
                    _ => None,
                }
                .ok_or_else(|| syntax(order.1, "the third argument of SORT must be ASC or DESC"))?;
                let limit = it.next().map(arg_expr).transpose()?.map(Box::new);
                Ok(Expr::Sort {
                    array: Box::new(array),
                    by,
                    order,
                    limit,
                })
            }
            (_, Some(f)) => {
                let (min, max) = f.arity();
                count(min, max)?;
                Ok(Expr::Call(
                    f,
                    args.into_iter().map(arg_expr).collect::<Result<_, _>>()?,
                ))
            }
            (_, None) => Err(MathError::UnknownFunction { name, position }),
        }
    }

    /// The arguments of a call, after the `(`, through the `)`, each with its position.
    fn args(&mut self, open: usize) -> Result<Vec<(Arg, usize)>, MathError> {
        let mut args = Vec::new();
        if self.peek_kind() == Some(&Tok::RParen) {
            self.bump();
            return Ok(args);
        }
        loop {
            let at = self.position();
            let lone = matches!(self.peek_kind_at(1), Some(Tok::Comma | Tok::RParen));
            let arg = match self.peek_kind() {
                Some(Tok::Word(w)) if lone => {
                    let w = w.clone();
                    self.bump();
                    Arg::Word(w)
                }
                Some(Tok::Str(s)) if lone => {
                    let s = s.clone();
                    self.bump();
                    Arg::Str(s)
                }
                _ => Arg::Expr(self.expr()?),
            };
            args.push((arg, at));
            match self.peek_kind() {
                Some(Tok::Comma) => self.bump(),
                Some(Tok::RParen) => {
                    self.bump();
                    return Ok(args);
                }
                _ => {
                    return Err(
                        self.unexpected(&format!("',' or ')' to close the '(' at position {open}"))
                    );
                }
            }
        }
    }
}

fn starts_lowercase(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_lowercase())
}

/// A lone word where an expression is expected: an id, or an error explaining what it is.
fn word_expr(word: String, position: usize) -> Result<Expr, MathError> {
    if starts_lowercase(&word) {
        return Ok(Expr::Id(word));
    }
    let upper = word.to_ascii_uppercase();
    let detail = if Function::from_name(&upper).is_some()
        || matches!(upper.as_str(), "METRICS" | "PERIOD" | "FILL" | "SORT")
        || UNSUPPORTED_FUNCTIONS.contains(&upper.as_str())
    {
        format!("expected '(' after the function name {word}")
    } else if matches!(upper.as_str(), "REPEAT" | "LINEAR" | "ASC" | "DESC") {
        format!("the keyword {word} is not allowed here")
    } else if matches!(upper.as_str(), "AND" | "OR" | "NOT") {
        format!("unexpected operator {word}")
    } else {
        format!("unexpected '{word}' (ids start with a lower-case letter)")
    };
    Err(syntax(position, detail))
}

/// An argument that must be an expression.
fn arg_expr((arg, at): (Arg, usize)) -> Result<Expr, MathError> {
    match arg {
        Arg::Expr(e) => Ok(e),
        Arg::Word(w) => word_expr(w, at),
        Arg::Str(_) => Err(syntax(
            at,
            "a string is allowed only as the argument of METRICS",
        )),
    }
}

/// The canonical name of a function the parser recognised.
fn canonical(upper: &str) -> &'static str {
    match upper {
        "METRICS" => "METRICS",
        "PERIOD" => "PERIOD",
        "FILL" => "FILL",
        "SORT" => "SORT",
        other => Function::from_name(other).map_or("?", Function::name),
    }
}
