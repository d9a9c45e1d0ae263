//! The template: parameters, resources and outputs under checked logical ids.
//!
//! One file (with its tests) on purpose: `Template`, `Handle` and the
//! reference check hold one invariant together (every reference names something the
//! template defines), and they are read together.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::Value;

use crate::expr::{Expr, InvalidLogicalId, LogicalId, Pseudo, RefTarget};

/// A CloudFormation resource type. `Attr` lists what `Fn::GetAtt` may read from it.
pub trait Resource: Serialize {
    const TYPE: &'static str;
    type Attr: Attribute;
}

pub trait Attribute: Copy {
    fn name(self) -> &'static str;
}

/// For resource types whose attributes spotcover never reads.
#[derive(Clone, Copy, Debug)]
pub enum NoAttr {}

impl Attribute for NoAttr {
    fn name(self) -> &'static str {
        match self {}
    }
}

/// Declares a resource type and its readable attributes.
#[macro_export]
macro_rules! resource_type {
    ($ty:ident, $cfn:literal) => {
        impl $crate::Resource for $ty {
            const TYPE: &'static str = $cfn;
            type Attr = $crate::NoAttr;
        }
    };
    ($ty:ident, $cfn:literal, $attr:ident { $($variant:ident),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $attr { $($variant),+ }

        impl $crate::Attribute for $attr {
            fn name(self) -> &'static str {
                match self { $($attr::$variant => stringify!($variant)),+ }
            }
        }

        impl $crate::Resource for $ty {
            const TYPE: &'static str = $cfn;
            type Attr = $attr;
        }
    };
}

/// A resource that was added to a template. Only [`Template::add`] makes one.
pub struct Handle<R> {
    id: LogicalId,
    _resource: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Handle({})", self.id)
    }
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Handle {
            id: self.id.clone(),
            _resource: PhantomData,
        }
    }
}

impl<R: Resource> Handle<R> {
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    /// `{"Ref": id}`.
    pub fn r#ref(&self) -> Expr {
        Expr::Ref(RefTarget::Logical(self.id.clone()))
    }

    /// `{"Fn::GetAtt": [id, attr]}`, limited to the attributes `R` has.
    pub fn get_att(&self, attr: R::Attr) -> Expr {
        Expr::GetAtt(self.id.clone(), attr.name())
    }
}

/// A parameter that was added to a template.
#[derive(Clone, Debug)]
pub struct ParamHandle {
    id: LogicalId,
}

impl ParamHandle {
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    pub fn r#ref(&self) -> Expr {
        Expr::Ref(RefTarget::Logical(self.id.clone()))
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub kind: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
}

impl Parameter {
    pub fn new(kind: impl Into<String>, description: impl Into<String>) -> Self {
        Parameter {
            kind: kind.into(),
            description: description.into(),
            default: None,
            allowed_pattern: None,
            constraint_description: None,
        }
    }

    pub fn default(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    pub fn pattern(mut self, pattern: &str, description: &str) -> Self {
        self.allowed_pattern = Some(pattern.into());
        self.constraint_description = Some(description.into());
        self
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    pub description: String,
    pub value: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Export {
    #[serde(rename = "Name")]
    pub name: Expr,
}

/// A resource's `Metadata`: why it is as it is, and the linters' and scanners' checks
/// it is exempt from, each with its reason (cfn-lint reads `cfn-lint.config.ignore_checks`,
/// checkov reads `checkov.skip[].id` and `.comment`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metadata {
    #[serde(rename = "spotcover", skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
    #[serde(rename = "cfn-lint", skip_serializing_if = "Option::is_none")]
    pub cfn_lint: Option<CfnLintConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkov: Option<CheckovSkips>,
}

impl Metadata {
    /// A checkov check this resource is exempt from, and why.
    pub fn skip_checkov(mut self, id: &'static str, comment: impl Into<String>) -> Self {
        self.checkov
            .get_or_insert_with(|| CheckovSkips { skip: Vec::new() })
            .skip
            .push(CheckovSkip {
                id,
                comment: comment.into(),
            });
        self
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Why {
    pub why: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CfnLintConfig {
    pub config: CfnLintIgnore,
}

#[derive(Clone, Debug, Serialize)]
pub struct CfnLintIgnore {
    pub ignore_checks: Vec<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckovSkips {
    pub skip: Vec<CheckovSkip>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckovSkip {
    pub id: &'static str,
    pub comment: String,
}

/// Resource attributes other than `Properties`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub depends_on: Vec<LogicalId>,
    pub metadata: Option<Metadata>,
    pub deletion_policy: Option<&'static str>,
    pub update_replace_policy: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<LogicalId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_policy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_replace_policy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
    properties: Value,
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error(transparent)]
    InvalidId(#[from] InvalidLogicalId),
    #[error("logical id {0} is defined twice")]
    Duplicate(LogicalId),
    #[error("{from} refers to {to}, which the template does not define")]
    Dangling { from: String, to: String },
    #[error("{0} refers with Fn::GetAtt to {1}, which is a parameter, not a resource")]
    GetAttOfParameter(String, String),
    #[error("resource {id} did not serialise to an object: {reason}")]
    Serialize { id: LogicalId, reason: String },
}

#[derive(Debug, Default)]
pub struct Template {
    description: Option<String>,
    parameters: IndexMap<LogicalId, Parameter>,
    /// In the order added, which is a dependency order: a handle exists only after its
    /// resource was added. Readers (and some emulators) take resources top to bottom.
    resources: IndexMap<LogicalId, Entry>,
    outputs: IndexMap<LogicalId, Output>,
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "AWSTemplateFormatVersion")]
    version: &'static str,
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    description: &'a Option<String>,
    #[serde(rename = "Parameters", skip_serializing_if = "IndexMap::is_empty")]
    parameters: &'a IndexMap<LogicalId, Parameter>,
    #[serde(rename = "Resources")]
    resources: &'a IndexMap<LogicalId, Entry>,
    #[serde(rename = "Outputs", skip_serializing_if = "IndexMap::is_empty")]
    outputs: &'a IndexMap<LogicalId, Output>,
}

impl Template {
    pub fn new(description: impl Into<String>) -> Self {
        Template {
            description: Some(description.into()),
            ..Template::default()
        }
    }

    fn claim(&self, id: &str) -> Result<LogicalId, TemplateError> {
        let id = LogicalId::new(id)?;
        if self.parameters.contains_key(&id) || self.resources.contains_key(&id) {
            return Err(TemplateError::Duplicate(id));
        }
        Ok(id)
    }

    pub fn parameter(&mut self, id: &str, p: Parameter) -> Result<ParamHandle, TemplateError> {
        let id = self.claim(id)?;
        self.parameters.insert(id.clone(), p);
        Ok(ParamHandle { id })
    }

    pub fn add<R: Resource>(&mut self, id: &str, r: R) -> Result<Handle<R>, TemplateError> {
        self.add_with(id, r, Options::default())
    }

    pub fn add_with<R: Resource>(
        &mut self,
        id: &str,
        r: R,
        options: Options,
    ) -> Result<Handle<R>, TemplateError> {
        let id = self.claim(id)?;
        let properties = serde_json::to_value(&r).map_err(|e| TemplateError::Serialize {
            id: id.clone(),
            reason: e.to_string(),
        })?;
        if !properties.is_object() {
            return Err(TemplateError::Serialize {
                id,
                reason: "properties must be a mapping".into(),
            });
        }
        self.resources.insert(
            id.clone(),
            Entry {
                kind: R::TYPE,
                depends_on: options.depends_on,
                deletion_policy: options.deletion_policy,
                update_replace_policy: options.update_replace_policy,
                metadata: options.metadata,
                properties,
            },
        );
        Ok(Handle {
            id,
            _resource: PhantomData,
        })
    }

    pub fn output(&mut self, id: &str, o: Output) -> Result<(), TemplateError> {
        let id = LogicalId::new(id)?;
        if self.outputs.contains_key(&id) {
            return Err(TemplateError::Duplicate(id));
        }
        self.outputs.insert(id, o);
        Ok(())
    }

    /// Resource types by logical id, for tests and tools that inspect the result.
    pub fn resource_types(&self) -> impl Iterator<Item = (&LogicalId, &'static str)> {
        self.resources.iter().map(|(id, e)| (id, e.kind))
    }

    /// The finished document, after checking every reference in it resolves.
    pub fn to_value(&self) -> Result<Value, TemplateError> {
        let doc = serde_json::to_value(Document {
            version: "2010-09-09",
            description: &self.description,
            parameters: &self.parameters,
            resources: &self.resources,
            outputs: &self.outputs,
        })
        .expect("a template of typed parts always serialises");
        check_references(&doc)?;
        Ok(doc)
    }
}

/// A reference to a logical id or pseudo parameter found in a template value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference {
    /// `Ref`, or a `${Name}` variable of `Fn::Sub`.
    Ref(String),
    /// `Fn::GetAtt`, or a `${Name.Attr}` variable of `Fn::Sub`: the logical id.
    GetAtt(String),
}

impl Reference {
    pub fn target(&self) -> &str {
        match self {
            Reference::Ref(t) | Reference::GetAtt(t) => t,
        }
    }
}

/// Every reference in a value, in document order.
pub fn references(v: &Value) -> Vec<Reference> {
    fn walk(v: &Value, out: &mut Vec<Reference>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(m) => {
                if m.len() == 1 {
                    let (k, arg) = m.iter().next().expect("one entry");
                    match (k.as_str(), arg) {
                        ("Ref", Value::String(to)) => {
                            out.push(Reference::Ref(to.clone()));
                            return;
                        }
                        ("Fn::GetAtt", Value::Array(a)) => {
                            if let Some(Value::String(to)) = a.first() {
                                out.push(Reference::GetAtt(to.clone()));
                            }
                        }
                        ("Fn::Sub", Value::String(s)) => {
                            for var in sub_variables(s) {
                                out.push(sub_reference(var));
                            }
                        }
                        // The long form: a variable the map defines is not a reference;
                        // the map's values are walked below.
                        ("Fn::Sub", Value::Array(a)) => {
                            if let [Value::String(s), Value::Object(names)] = a.as_slice() {
                                for var in sub_variables(s) {
                                    if !names.contains_key(var) {
                                        out.push(sub_reference(var));
                                    }
                                }
                                walk(&a[1], out);
                                return;
                            }
                        }
                        _ => {}
                    }
                }
                m.values().for_each(|i| walk(i, out));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out
}

/// Every `Ref`, `Fn::GetAtt` and `Fn::Sub` variable must name a parameter, a resource or a
/// pseudo parameter of this template; `Fn::GetAtt` only a resource.
pub fn check_references(doc: &Value) -> Result<(), TemplateError> {
    let keys = |section: &str| -> BTreeSet<String> {
        doc.get(section)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let params = keys("Parameters");
    let resources = keys("Resources");
    let pseudo = [
        Pseudo::AccountId,
        Pseudo::Partition,
        Pseudo::Region,
        Pseudo::StackName,
        Pseudo::StackId,
        Pseudo::UrlSuffix,
        Pseudo::NoValue,
    ]
    .map(Pseudo::name);

    for section in ["Resources", "Outputs"] {
        let Some(items) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (id, body) in items {
            let from = || format!("{section}.{id}");
            for r in references(body) {
                let to = r.target();
                let known = resources.contains(to)
                    || match r {
                        Reference::Ref(_) => params.contains(to) || pseudo.contains(&to),
                        Reference::GetAtt(_) if params.contains(to) => {
                            return Err(TemplateError::GetAttOfParameter(from(), to.to_owned()));
                        }
                        Reference::GetAtt(_) => false,
                    };
                if !known {
                    return Err(TemplateError::Dangling {
                        from: from(),
                        to: to.to_owned(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// `${Name}` is a `Ref`, `${Name.Attr}` an `Fn::GetAtt`.
fn sub_reference(var: &str) -> Reference {
    match var.split_once('.') {
        Some((to, _)) => Reference::GetAtt(to.to_owned()),
        None => Reference::Ref(var.to_owned()),
    }
}

/// The `${Name}` variables of an `Fn::Sub` string, skipping `${!literal}` escapes.
fn sub_variables(s: &str) -> Vec<&str> {
    let mut vars = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let var = &after[..end];
        if !var.starts_with('!') {
            vars.push(var);
        }
        rest = &after[end + 1..];
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Thing {
        name: Expr,
    }
    resource_type!(Thing, "Test::Thing", ThingAttr { Arn });

    #[test]
    fn duplicate_ids_are_refused_across_parameters_and_resources() {
        let mut t = Template::new("t");
        t.parameter("A", Parameter::new("String", "a")).unwrap();
        let err = t.add("A", Thing { name: "x".into() }).unwrap_err();
        assert_eq!(err, TemplateError::Duplicate(LogicalId::new("A").unwrap()));
    }

    #[test]
    fn handles_produce_refs_and_typed_get_att() {
        let mut t = Template::new("t");
        let a = t.add("A", Thing { name: "x".into() }).unwrap();
        t.add(
            "B",
            Thing {
                name: a.get_att(ThingAttr::Arn),
            },
        )
        .unwrap();
        let doc = t.to_value().unwrap();
        assert_eq!(
            doc["Resources"]["B"],
            json!({"Type": "Test::Thing", "Properties": {"Name": {"Fn::GetAtt": ["A", "Arn"]}}})
        );
        assert_eq!(doc["AWSTemplateFormatVersion"], json!("2010-09-09"));
    }

    #[test]
    fn a_handle_from_another_template_fails_the_reference_check() {
        let mut other = Template::new("other");
        let ghost = other.add("Ghost", Thing { name: "x".into() }).unwrap();
        let mut t = Template::new("t");
        t.add(
            "B",
            Thing {
                name: ghost.r#ref(),
            },
        )
        .unwrap();
        assert_eq!(
            t.to_value().unwrap_err(),
            TemplateError::Dangling {
                from: "Resources.B".into(),
                to: "Ghost".into()
            }
        );
    }

    #[test]
    fn sub_variables_are_checked_and_escapes_skipped() {
        let doc = json!({
            "Resources": {"A": {"Properties": {"X": {"Fn::Sub": "${!Literal} ${AWS::Region} ${A.Arn}"}}}}
        });
        check_references(&doc).unwrap();
        let bad = json!({"Resources": {"A": {"Properties": {"X": {"Fn::Sub": "${Nope}"}}}}});
        assert!(matches!(
            check_references(&bad),
            Err(TemplateError::Dangling { to, .. }) if to == "Nope"
        ));
    }

    // Fn::Sub (CloudFormation template reference): in the long form, a variable the map
    // names is the map's value; any other `${X}` or `${X.Attr}` refers to the template.
    #[test]
    fn sub_long_form_refers_to_what_its_map_does_not_define() {
        let v = json!({"Fn::Sub": ["${Topic.Arn}/${name}/${AWS::Region}/${!Lit}", {"name": {"Ref": "Group"}}]});
        assert_eq!(
            references(&v),
            vec![
                Reference::GetAtt("Topic".into()),
                Reference::Ref("AWS::Region".into()),
                Reference::Ref("Group".into()),
            ]
        );
    }

    #[test]
    fn get_att_of_a_parameter_is_refused() {
        let doc = json!({
            "Parameters": {"P": {}},
            "Resources": {"A": {"Properties": {"X": {"Fn::GetAtt": ["P", "Arn"]}}}}
        });
        assert!(matches!(
            check_references(&doc),
            Err(TemplateError::GetAttOfParameter(..))
        ));
    }
}
