//! Splits expression text into tokens.

use crate::MathError;

/// One token and the 1-based character position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) position: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A finite, non-negative number literal.
    Number(f64),
    /// A name: an id, a function name, a keyword or a word operator (`AND`).
    Word(String),
    /// A string literal, escapes resolved.
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    Bang,
}

impl Tok {
    /// How a syntax error names this token.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Number(n) => format!("number {n}"),
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(_) => "string".to_owned(),
            other => format!("'{}'", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Caret => "^",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
            Tok::Number(_) | Tok::Word(_) | Tok::Str(_) => "",
        }
    }
}

fn syntax(position: usize, detail: impl Into<String>) -> MathError {
    MathError::Syntax {
        position,
        detail: detail.into(),
    }
}

/// Splits `text` into tokens. Whitespace separates tokens and is otherwise ignored.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, MathError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let position = i + 1;
        let next = chars.get(i + 1).copied();
        let (kind, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '^' => (Tok::Caret, 1),
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '=' if next == Some('=') => (Tok::EqEq, 2),
            '=' => return Err(syntax(position, "unexpected '=' (use '==' to compare)")),
            '!' if next == Some('=') => (Tok::Ne, 2),
            '!' => (Tok::Bang, 1),
            '&' if next == Some('&') => (Tok::AndAnd, 2),
            '|' if next == Some('|') => (Tok::OrOr, 2),
            '"' | '\'' => {
                let (s, len) = string(&chars, i)?;
                (Tok::Str(s), len)
            }
            c if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let (n, len) = number(&chars, i)?;
                (Tok::Number(n), len)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .count();
                (Tok::Word(chars[i..i + len].iter().collect()), len)
            }
            other => return Err(syntax(position, format!("unexpected character '{other}'"))),
        };
        tokens.push(Token { kind, position });
        i += len;
    }
    Ok(tokens)
}

/// Reads a number starting at `start`: digits, an optional fraction, an optional exponent.
fn number(chars: &[char], start: usize) -> Result<(f64, usize), MathError> {
    let digits = |from: usize| {
        chars.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|c| c.is_ascii_digit()).count()
        })
    };
    let mut end = start + digits(start);
    if chars.get(end) == Some(&'.') {
        end += 1 + digits(end + 1);
    }
    if matches!(chars.get(end), Some('e' | 'E')) {
        let sign = usize::from(matches!(chars.get(end + 1), Some('+' | '-')));
        let exp = digits(end + 1 + sign);
        // `2e` followed by no digits is the number 2 followed by a word: leave it to the parser.
        if exp > 0 {
            end += 1 + sign + exp;
        }
    }
    let text: String = chars[start..end].iter().collect();
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((n, end - start)),
        Ok(_) => Err(syntax(start + 1, format!("number {text} is out of range"))),
        Err(_) => Err(syntax(start + 1, format!("invalid number {text}"))),
    }
}

/// Reads a string literal opened by the quote at `start` (`"` or `'`); `\` escapes the
/// next character. Returns the contents and the length including the quotes.
fn string(chars: &[char], start: usize) -> Result<(String, usize), MathError> {
    let quote = chars[start];
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(syntax(start + 1, "unterminated string")),
            Some('\\') => match chars.get(i + 1) {
                Some(c) => {
                    out.push(*c);
                    i += 2;
                }
                None => return Err(syntax(start + 1, "unterminated string")),
            },
            Some(c) if *c == quote => return Ok((out, i + 1 - start)),
            Some(c) => {
                out.push(*c);
                i += 1;
            }
        }
    }
}
