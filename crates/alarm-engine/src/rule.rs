//! The composite alarm's `AlarmRule` grammar (facts file section 2, "Composite AlarmRule
//! grammar"):
//!
//! ```text
//! rule    := or
//! or      := and ("OR" and)*
//! and     := not ("AND" not)*
//! not     := "NOT" not | primary
//! primary := "TRUE" | "FALSE" | "(" rule ")" | STATE "(" alarm ")"
//! STATE   := "ALARM" | "OK" | "INSUFFICIENT_DATA"
//! alarm   := a name or ARN, bare (up to the closing parenthesis, trimmed) or in double quotes
//! ```
//!
//! Keywords are case-sensitive; `NOT` binds tighter than `AND`, `AND` tighter than `OR`.
//! `AT_LEAST` (added late 2025) is not supported and reads as an unsupported token.

use crate::model::AlarmState;

/// Most alarms one rule may name (model doc).
pub(crate) const MAX_CHILDREN: usize = 100;
/// Most elements one rule may have (model doc).
pub(crate) const MAX_ELEMENTS: usize = 500;
/// Deepest nesting accepted, so that parsing never exhausts the stack.
const MAX_DEPTH: usize = 64;

/// A parsed rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    Const(bool),
    /// `STATE(alarm)`: the alarm (name or ARN as written) is in that state.
    Is(AlarmState, String),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

impl Rule {
    /// The alarms named, in order of appearance, without repeats.
    pub(crate) fn children(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut stack = vec![self];
        while let Some(r) = stack.pop() {
            match r {
                Rule::Const(_) => {}
                Rule::Is(_, name) => {
                    if !out.contains(&name.as_str()) {
                        out.push(name);
                    }
                }
                Rule::Not(a) => stack.push(a),
                Rule::And(a, b) | Rule::Or(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
            }
        }
        out
    }

    /// Evaluates the rule; `state_of` gives a child's state (`None`: unknown child, which
    /// matches no state).
    pub(crate) fn eval(&self, state_of: &dyn Fn(&str) -> Option<AlarmState>) -> bool {
        match self {
            Rule::Const(b) => *b,
            Rule::Is(s, name) => state_of(name) == Some(*s),
            Rule::Not(a) => !a.eval(state_of),
            Rule::And(a, b) => a.eval(state_of) && b.eval(state_of),
            Rule::Or(a, b) => a.eval(state_of) || b.eval(state_of),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Open,
    Close,
    /// A function argument: the alarm name or ARN.
    Arg(String),
}

/// `Error in AlarmRule [Unsupported token ')' at char 1]`, AWS's shape (aws-cdk #34662,
/// #13953). Character positions are 0-based here (AWS's base not known).
fn unsupported(tok: &str, at: usize, expected: Option<&str>) -> String {
    match expected {
        Some(e) => {
            format!("Error in AlarmRule [Unsupported token '{tok}' at char {at}, must be: '{e}']")
        }
        None => format!("Error in AlarmRule [Unsupported token '{tok}' at char {at}]"),
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<(Tok, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' {
            let after_state = matches!(out.last(), Some((Tok::Word(w), _)) if is_state(w));
            out.push((Tok::Open, i));
            i += 1;
            if after_state {
                // The argument: quoted, or everything up to the closing parenthesis.
                while i < chars.len() && chars[i].is_whitespace() {
                    i += 1;
                }
                let start = i;
                if i < chars.len() && chars[i] == '"' {
                    i += 1;
                    let mut name = String::new();
                    while i < chars.len() && chars[i] != '"' {
                        name.push(chars[i]);
                        i += 1;
                    }
                    if i >= chars.len() {
                        return Err(unsupported("\"", start, Some("\"")));
                    }
                    i += 1;
                    out.push((Tok::Arg(name), start));
                } else {
                    let mut name = String::new();
                    while i < chars.len() && chars[i] != ')' {
                        name.push(chars[i]);
                        i += 1;
                    }
                    out.push((Tok::Arg(name.trim().to_owned()), start));
                }
            }
            continue;
        }
        if c == ')' {
            out.push((Tok::Close, i));
            i += 1;
            continue;
        }
        let start = i;
        let mut word = String::new();
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')' {
            word.push(chars[i]);
            i += 1;
        }
        out.push((Tok::Word(word), start));
    }
    Ok(out)
}

fn is_state(w: &str) -> bool {
    matches!(w, "ALARM" | "OK" | "INSUFFICIENT_DATA")
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    len: usize,
    elements: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn err_here(&self, expected: Option<&str>) -> String {
        match self.toks.get(self.pos) {
            Some((t, at)) => unsupported(&tok_text(t), *at, expected),
            None => unsupported("<EOF>", self.len, expected),
        }
    }

    fn count(&mut self) -> Result<(), String> {
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            // AWS text not known: chosen.
            return Err(format!(
                "Error in AlarmRule [The rule has more than {MAX_ELEMENTS} elements]"
            ));
        }
        Ok(())
    }

    fn or(&mut self, depth: usize) -> Result<Rule, String> {
        let mut left = self.and(depth)?;
        while matches!(self.peek(), Some(Tok::Word(w)) if w == "OR") {
            self.pos += 1;
            let right = self.and(depth)?;
            left = Rule::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Rule, String> {
        let mut left = self.not(depth)?;
        while matches!(self.peek(), Some(Tok::Word(w)) if w == "AND") {
            self.pos += 1;
            let right = self.not(depth)?;
            left = Rule::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Rule, String> {
        if depth > MAX_DEPTH {
            // AWS text not known: chosen.
            return Err("Error in AlarmRule [The rule is nested too deeply]".to_owned());
        }
        if matches!(self.peek(), Some(Tok::Word(w)) if w == "NOT") {
            self.pos += 1;
            let inner = self.not(depth + 1)?;
            return Ok(Rule::Not(Box::new(inner)));
        }
        self.primary(depth)
    }

    fn expect(&mut self, tok: &Tok, text: &str) -> Result<(), String> {
        if self.peek() == Some(tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err_here(Some(text)))
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Rule, String> {
        let Some(tok) = self.peek().cloned() else {
            return Err(self.err_here(None));
        };
        match tok {
            Tok::Open => {
                self.count()?;
                self.pos += 1;
                let inner = self.or(depth + 1)?;
                self.expect(&Tok::Close, ")")?;
                Ok(inner)
            }
            Tok::Word(w) if w == "TRUE" || w == "FALSE" => {
                self.count()?;
                self.pos += 1;
                Ok(Rule::Const(w == "TRUE"))
            }
            Tok::Word(w) if is_state(&w) => {
                self.count()?;
                self.pos += 1;
                let state = AlarmState::parse(&w).unwrap_or(AlarmState::Alarm);
                self.expect(&Tok::Open, "(")?;
                let name = match self.peek() {
                    Some(Tok::Arg(a)) if !a.is_empty() => a.clone(),
                    _ => return Err(self.err_here(None)),
                };
                self.pos += 1;
                self.expect(&Tok::Close, ")")?;
                Ok(Rule::Is(state, name))
            }
            _ => Err(self.err_here(None)),
        }
    }
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Word(w) | Tok::Arg(w) => w.clone(),
        Tok::Open => "(".to_owned(),
        Tok::Close => ")".to_owned(),
    }
}

/// Parses `text`; the error is the ValidationError message.
pub(crate) fn parse(text: &str) -> Result<Rule, String> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        len: text.chars().count(),
        elements: 0,
    };
    let rule = p.or(0)?;
    if p.pos < p.toks.len() {
        return Err(p.err_here(None));
    }
    if rule.children().len() > MAX_CHILDREN {
        // AWS text not known: chosen.
        return Err(format!(
            "Error in AlarmRule [The rule names more than {MAX_CHILDREN} alarms]"
        ));
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, alarming: &[&str]) -> bool {
        let rule = parse(text).unwrap();
        rule.eval(&|n| {
            Some(if alarming.contains(&n) {
                AlarmState::Alarm
            } else {
                AlarmState::Ok
            })
        })
    }

    #[test]
    fn parses_and_evaluates() {
        assert!(eval("ALARM(a) OR ALARM(b)", &["b"]));
        assert!(!eval("ALARM(a) AND ALARM(b)", &["b"]));
        assert!(eval("ALARM(\"a b\") AND NOT OK(c)", &["a b", "c"]));
        assert!(eval("(ALARM( my alarm ) OR FALSE) AND TRUE", &["my alarm"]));
        assert!(eval("NOT ALARM(a) AND ALARM(b) OR ALARM(c)", &["c", "a"]));
        assert!(!eval("NOT (ALARM(a) OR ALARM(c))", &["c"]));
        assert!(eval("INSUFFICIENT_DATA(x) OR TRUE", &[]));
        let r = parse("ALARM(a) OR OK(b) AND ALARM(a)").unwrap();
        assert_eq!(r.children(), vec!["a", "b"]);
    }

    #[test]
    fn errors_name_the_token() {
        assert_eq!(
            parse(")").unwrap_err(),
            "Error in AlarmRule [Unsupported token ')' at char 0]"
        );
        assert_eq!(
            parse("(ALARM(a) Oldest").unwrap_err(),
            "Error in AlarmRule [Unsupported token 'Oldest' at char 10, must be: ')']"
        );
        assert!(parse("ALARM()").is_err());
        assert!(parse("ALARM(\"a)").is_err());
        assert!(parse("alarm(a)").is_err());
        assert!(parse("").is_err());
        assert!(parse(&"(".repeat(5000)).is_err());
        assert!(parse(&"NOT ".repeat(5000)).is_err());
    }
}
