//! A small, safe filter language for dashboards and National Action Plan formulas.
//!
//! ```text
//! sex = "F" and year >= 2023 and exploitation in ["SEX", "LAB"]
//! not (cross_border = true) or days_to_assistance <= 30
//! region_of_exploitation is known
//! ```
//!
//! Fields are the entity's variables (a multi-valued variable matches when any of its codes
//! does) plus `year`, `provider`, `provider_type`, `provider_region` and `period`. There are no
//! function calls, no arithmetic and no loops: an expression is a tree of comparisons, evaluated
//! column by column into a row mask. Parsing refuses anything else with the position.

use crate::AnalysisError;

/// A literal in an expression.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Lit {
    Bool(bool),
    Num(f64),
    Str(String),
}

impl From<&str> for Lit {
    fn from(s: &str) -> Lit {
        Lit::Str(s.to_string())
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// A filter over the records of one entity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Expr {
    True,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// The field's value (any of its values, for a multi-valued variable) is one of these.
    In {
        field: String,
        values: Vec<Lit>,
    },
    /// Ordered comparison of a number, year or date field.
    Cmp {
        field: String,
        op: CmpOp,
        value: Lit,
    },
    /// The field has a value.
    Known(String),
}

impl Expr {
    /// `field in [values]`; an empty list means no restriction (`True`), as filter forms send.
    pub fn any_of<S: AsRef<str>>(field: &str, values: &[S]) -> Expr {
        if values.is_empty() {
            Expr::True
        } else {
            Expr::In {
                field: field.to_string(),
                values: values.iter().map(|v| Lit::Str(v.as_ref().into())).collect(),
            }
        }
    }

    pub fn and(self, other: Expr) -> Expr {
        match (self, other) {
            (Expr::True, e) | (e, Expr::True) => e,
            (Expr::And(mut a), Expr::And(b)) => {
                a.extend(b);
                Expr::And(a)
            }
            (Expr::And(mut a), e) => {
                a.push(e);
                Expr::And(a)
            }
            (a, b) => Expr::And(vec![a, b]),
        }
    }

    /// Parses the filter language (see the module documentation). A condition longer than
    /// [`MAX_LEN`] bytes or nested deeper than [`MAX_DEPTH`] is refused before it can cost more
    /// than a few microseconds, so a hostile link cannot exhaust a server thread's stack.
    pub fn parse(src: &str) -> Result<Expr, AnalysisError> {
        if src.len() > MAX_LEN {
            return Err(AnalysisError::Expr(format!(
                "the condition is {} characters long; at most {MAX_LEN} are accepted",
                src.len()
            )));
        }
        let tokens = lex(src)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            src,
            depth: 0,
        };
        let e = p.or()?;
        if p.pos < p.tokens.len() {
            return Err(p.error("unexpected text after the end of the expression"));
        }
        Ok(e)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Op(CmpOp),
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, AnalysisError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, m: &str| {
        AnalysisError::Expr(format!("{m} at character {} of \"{src}\"", at + 1))
    };
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'[' => (i += 1, out.push((start, Tok::LBracket))).1,
            b']' => (i += 1, out.push((start, Tok::RBracket))).1,
            b'(' => (i += 1, out.push((start, Tok::LParen))).1,
            b')' => (i += 1, out.push((start, Tok::RParen))).1,
            b',' => (i += 1, out.push((start, Tok::Comma))).1,
            b'=' => {
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                out.push((start, Tok::Op(CmpOp::Eq)));
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                out.push((start, Tok::Op(CmpOp::Ne)));
            }
            b'<' | b'>' => {
                let eq = b.get(i + 1) == Some(&b'=');
                i += if eq { 2 } else { 1 };
                out.push((
                    start,
                    Tok::Op(match (c, eq) {
                        (b'<', false) => CmpOp::Lt,
                        (b'<', true) => CmpOp::Le,
                        (_, false) => CmpOp::Gt,
                        (_, true) => CmpOp::Ge,
                    }),
                ));
            }
            b'"' | b'\'' => {
                let end = src[i + 1..]
                    .find(c as char)
                    .ok_or_else(|| err(i, "unterminated string"))?;
                out.push((start, Tok::Str(src[i + 1..i + 1 + end].to_string())));
                i += end + 2;
            }
            b'0'..=b'9' | b'-' | b'.' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                let n: f64 = src[start..i]
                    .parse()
                    .map_err(|_| err(start, "bad number"))?;
                out.push((start, Tok::Num(n)));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push((start, Tok::Ident(src[start..i].to_ascii_lowercase())));
            }
            _ => return Err(err(i, "unexpected character")),
        }
    }
    Ok(out)
}

/// Longest condition accepted, in bytes.
pub const MAX_LEN: usize = 4_000;
/// Deepest nesting of parentheses and `not` accepted.
pub const MAX_DEPTH: usize = 32;

struct Parser<'s> {
    tokens: Vec<(usize, Tok)>,
    pos: usize,
    src: &'s str,
    /// Parentheses and `not`s open around the current token.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, m: &str) -> AnalysisError {
        let at = self
            .tokens
            .get(self.pos)
            .map(|t| t.0 + 1)
            .unwrap_or(self.src.len() + 1);
        AnalysisError::Expr(format!("{m} at character {at} of \"{}\"", self.src))
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.1)
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == k) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, AnalysisError> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, AnalysisError> {
        let mut parts = vec![self.unary()?];
        while self.keyword("and") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    /// Enters one level of nesting, refusing to pass [`MAX_DEPTH`].
    fn nest(&mut self) -> Result<(), AnalysisError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!(
                "the condition is nested more than {MAX_DEPTH} levels deep"
            )));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, AnalysisError> {
        if self.keyword("not") {
            self.nest()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.keyword("true") {
            return Ok(Expr::True);
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            self.nest()?;
            let e = self.or()?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.error("expected )"));
            }
            self.pos += 1;
            self.depth -= 1;
            return Ok(e);
        }
        let field = match self.peek() {
            Some(Tok::Ident(f)) if !matches!(f.as_str(), "and" | "or" | "in" | "is") => f.clone(),
            _ => return Err(self.error("expected a field name")),
        };
        self.pos += 1;
        if self.keyword("in") {
            if self.peek() != Some(&Tok::LBracket) {
                return Err(self.error("expected [ after in"));
            }
            self.pos += 1;
            let mut values = Vec::new();
            loop {
                values.push(self.lit()?);
                match self.peek() {
                    Some(Tok::Comma) => self.pos += 1,
                    Some(Tok::RBracket) => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected , or ]")),
                }
            }
            return Ok(Expr::In { field, values });
        }
        if self.keyword("is") {
            let negate = self.keyword("not");
            let e = if self.keyword("known") {
                Expr::Known(field)
            } else if self.keyword("missing") {
                Expr::Not(Box::new(Expr::Known(field)))
            } else {
                return Err(self.error("expected known or missing after is"));
            };
            return Ok(if negate { Expr::Not(Box::new(e)) } else { e });
        }
        let op = match self.peek() {
            Some(Tok::Op(op)) => *op,
            _ => return Err(self.error("expected =, !=, <, <=, >, >=, in or is")),
        };
        self.pos += 1;
        let value = self.lit()?;
        Ok(match (op, &value) {
            (CmpOp::Eq, Lit::Str(_) | Lit::Bool(_)) => Expr::In {
                field,
                values: vec![value],
            },
            (CmpOp::Ne, Lit::Str(_) | Lit::Bool(_)) => Expr::Not(Box::new(Expr::In {
                field,
                values: vec![value],
            })),
            _ => Expr::Cmp { field, op, value },
        })
    }

    fn lit(&mut self) -> Result<Lit, AnalysisError> {
        let l = match self.peek() {
            Some(Tok::Str(s)) => Lit::Str(s.clone()),
            Some(Tok::Num(n)) => Lit::Num(*n),
            Some(Tok::Ident(s)) if s == "true" => Lit::Bool(true),
            Some(Tok::Ident(s)) if s == "false" => Lit::Bool(false),
            _ => return Err(self.error("expected a value (\"text\", number, true or false)")),
        };
        self.pos += 1;
        Ok(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_language() {
        let e = Expr::parse("sex = 'F' and (year >= 2023 or exploitation in [\"SEX\", \"LAB\"]) and region is known and not cross_border = true").unwrap();
        let Expr::And(parts) = e else { panic!() };
        assert_eq!(parts.len(), 4);
        assert_eq!(
            parts[0],
            Expr::In {
                field: "sex".into(),
                values: vec![Lit::Str("F".into())]
            }
        );
        assert!(matches!(&parts[1], Expr::Or(v) if v.len() == 2));
        assert_eq!(parts[2], Expr::Known("region".into()));
        assert!(matches!(&parts[3], Expr::Not(_)));
        assert_eq!(
            Expr::parse("days_to_assistance <= 30").unwrap(),
            Expr::Cmp {
                field: "days_to_assistance".into(),
                op: CmpOp::Le,
                value: Lit::Num(30.0)
            }
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_it_can_overflow_the_stack() {
        // The security review's link: 2,500 parentheses around `true`.
        let hostile = format!("{}true{}", "(".repeat(2500), ")".repeat(2500));
        let err = Expr::parse(&hostile).unwrap_err().to_string();
        assert!(err.contains("characters long"), "{err}");
        let deep = format!("{}true{}", "(".repeat(1000), ")".repeat(1000));
        let err = Expr::parse(&deep).unwrap_err().to_string();
        assert!(err.contains("nested more than 32"), "{err}");
        let nots = format!("{}sex = \"F\"", "not ".repeat(MAX_DEPTH + 1));
        assert!(Expr::parse(&nots).is_err());
        // At the limit it still parses.
        let ok = format!("{}true{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(Expr::parse(&ok).unwrap(), Expr::True);
        let ok = format!("{}sex = \"F\"", "not ".repeat(MAX_DEPTH));
        assert!(Expr::parse(&ok).is_ok());
    }

    #[test]
    fn refuses_what_is_not_the_language() {
        for bad in [
            "sex = ",
            "sex == 'F' and",
            "(sex = 'F'",
            "sex ~ 'F'",
            "drop table records",
            "x in [1, 2",
            "'unterminated",
            "f(x)",
        ] {
            let err = Expr::parse(bad).unwrap_err().to_string();
            assert!(err.contains("at character"), "{bad}: {err}");
        }
    }
}
