//! Values and intrinsic functions, serialised exactly as CloudFormation reads them.

use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A logical id: the key of a resource, parameter or output. ASCII alphanumerics only,
/// as CloudFormation requires.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogicalId(String);

impl LogicalId {
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidLogicalId> {
        let id = id.into();
        let ok = !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(LogicalId(id))
        } else {
            Err(InvalidLogicalId(id))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for LogicalId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid logical id {0:?}: CloudFormation allows 1-255 ASCII letters and digits")]
pub struct InvalidLogicalId(pub String);

/// Pseudo parameters. Templates never hard-code what these stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pseudo {
    AccountId,
    Partition,
    Region,
    StackName,
    StackId,
    UrlSuffix,
    NoValue,
}

impl Pseudo {
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// What a `Ref` points at.
#[derive(Clone, Debug, PartialEq)]
pub enum RefTarget {
    Logical(LogicalId),
    Pseudo(Pseudo),
}

impl RefTarget {
    fn name(&self) -> &str {
        match self {
            RefTarget::Logical(id) => id.as_str(),
            RefTarget::Pseudo(p) => p.name(),
        }
    }
}

/// One piece of an `Fn::Sub` string. Literal text is escaped on output, so a `${` in it
/// (say, in a shell script) can never become a substitution.
#[derive(Clone, Debug, PartialEq)]
pub enum SubPart {
    Lit(String),
    Ref(RefTarget),
    GetAtt(LogicalId, &'static str),
}

/// A CloudFormation value: a literal, a list, or an intrinsic function.
///
/// Build `Ref`/`GetAtt` through a [`crate::Handle`] or [`crate::ParamHandle`], which only
/// [`crate::Template`] hands out, so a reference names something that was added.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Expr>),
    Ref(RefTarget),
    GetAtt(LogicalId, &'static str),
    Sub(Vec<SubPart>),
    Join(String, Box<Expr>),
    Base64(Box<Expr>),
    GetAZs(Box<Expr>),
    Select(u32, Box<Expr>),
}

impl Expr {
    pub fn pseudo(p: Pseudo) -> Expr {
        Expr::Ref(RefTarget::Pseudo(p))
    }

    pub fn join(sep: impl Into<String>, list: Expr) -> Expr {
        Expr::Join(sep.into(), Box::new(list))
    }

    pub fn base64(e: Expr) -> Expr {
        Expr::Base64(Box::new(e))
    }

    pub fn select(index: u32, list: Expr) -> Expr {
        Expr::Select(index, Box::new(list))
    }

    /// `Fn::GetAZs` of the stack's region.
    pub fn azs() -> Expr {
        Expr::GetAZs(Box::new(Expr::Str(String::new())))
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::Str(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::Str(s)
    }
}

impl From<i64> for Expr {
    fn from(n: i64) -> Self {
        Expr::Int(n)
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

/// Builds `Fn::Sub` from typed parts, so every variable names a real target.
#[derive(Default, Clone, Debug)]
pub struct Sub(Vec<SubPart>);

impl Sub {
    pub fn new() -> Self {
        Sub(Vec::new())
    }

    pub fn lit(mut self, s: impl Into<String>) -> Self {
        self.0.push(SubPart::Lit(s.into()));
        self
    }

    pub fn pseudo(mut self, p: Pseudo) -> Self {
        self.0.push(SubPart::Ref(RefTarget::Pseudo(p)));
        self
    }

    /// Appends a `Ref` or `GetAtt` expression; panics on anything else, which is a bug in
    /// the caller, not bad input.
    pub fn expr(mut self, e: Expr) -> Self {
        match e {
            Expr::Ref(t) => self.0.push(SubPart::Ref(t)),
            Expr::GetAtt(id, attr) => self.0.push(SubPart::GetAtt(id, attr)),
            Expr::Str(s) => self.0.push(SubPart::Lit(s)),
            other => panic!("Fn::Sub takes Ref, GetAtt or literal parts, not {other:?}"),
        }
        self
    }

    pub fn build(self) -> Expr {
        Expr::Sub(self.0)
    }
}

fn sub_string(parts: &[SubPart]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            SubPart::Lit(s) => out.push_str(&s.replace("${", "${!")),
            SubPart::Ref(t) => {
                out.push_str("${");
                out.push_str(t.name());
                out.push('}');
            }
            SubPart::GetAtt(id, attr) => {
                out.push_str("${");
                out.push_str(id.as_str());
                out.push('.');
                out.push_str(attr);
                out.push('}');
            }
        }
    }
    out
}

struct One<'a, T: Serialize + ?Sized>(&'a str, &'a T);

impl<T: Serialize + ?Sized> Serialize for One<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, self.1)?;
        m.end()
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Str(v) => s.serialize_str(v),
            Expr::Int(n) => s.serialize_i64(*n),
            Expr::Bool(b) => s.serialize_bool(*b),
            Expr::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Expr::Ref(t) => One("Ref", t.name()).serialize(s),
            Expr::GetAtt(id, attr) => One("Fn::GetAtt", &[id.as_str(), attr]).serialize(s),
            Expr::Sub(parts) => {
                // A Sub without variables is just a string; keep the template plain.
                if parts.iter().all(|p| matches!(p, SubPart::Lit(_))) {
                    let text: String = parts
                        .iter()
                        .map(|p| match p {
                            SubPart::Lit(t) => t.as_str(),
                            _ => unreachable!(),
                        })
                        .collect();
                    s.serialize_str(&text)
                } else {
                    One("Fn::Sub", &sub_string(parts)).serialize(s)
                }
            }
            Expr::Join(sep, list) => One("Fn::Join", &(sep, list)).serialize(s),
            Expr::Base64(e) => One("Fn::Base64", e).serialize(s),
            Expr::GetAZs(e) => One("Fn::GetAZs", e).serialize(s),
            Expr::Select(i, list) => One("Fn::Select", &(i, list)).serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(s: &str) -> LogicalId {
        LogicalId::new(s).unwrap()
    }

    fn js(e: &Expr) -> serde_json::Value {
        serde_json::to_value(e).unwrap()
    }

    #[test]
    fn logical_ids_are_alphanumeric() {
        assert!(LogicalId::new("Fleet1").is_ok());
        assert!(LogicalId::new("spot-fleet").is_err());
        assert!(LogicalId::new("").is_err());
    }

    #[test]
    fn intrinsics_serialise_as_cloudformation_expects() {
        assert_eq!(
            js(&Expr::Ref(RefTarget::Logical(id("Fleet")))),
            json!({"Ref": "Fleet"})
        );
        assert_eq!(
            js(&Expr::pseudo(Pseudo::Region)),
            json!({"Ref": "AWS::Region"})
        );
        assert_eq!(
            js(&Expr::GetAtt(id("Role"), "Arn")),
            json!({"Fn::GetAtt": ["Role", "Arn"]})
        );
        assert_eq!(
            js(&Expr::join(
                ",",
                Expr::Ref(RefTarget::Logical(id("Subnets")))
            )),
            json!({"Fn::Join": [",", {"Ref": "Subnets"}]})
        );
        assert_eq!(
            js(&Expr::join("", Expr::List(vec!["a".into(), "b".into()]))),
            json!({"Fn::Join": ["", ["a", "b"]]})
        );
        assert_eq!(js(&Expr::base64("x".into())), json!({"Fn::Base64": "x"}));
        assert_eq!(js(&Expr::azs()), json!({"Fn::GetAZs": ""}));
        assert_eq!(
            js(&Expr::select(1, Expr::azs())),
            json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]})
        );
    }

    #[test]
    fn sub_escapes_literal_dollar_braces() {
        let e = Sub::new()
            .lit("echo ${HOME} ")
            .expr(Expr::Ref(RefTarget::Logical(id("Cluster"))))
            .lit(" ")
            .expr(Expr::GetAtt(id("Fn"), "Arn"))
            .pseudo(Pseudo::Partition)
            .build();
        assert_eq!(
            js(&e),
            json!({"Fn::Sub": "echo ${!HOME} ${Cluster} ${Fn.Arn}${AWS::Partition}"})
        );
    }

    #[test]
    fn sub_without_variables_is_a_plain_string() {
        assert_eq!(js(&Sub::new().lit("a").lit("b").build()), json!("ab"));
    }
}
