//! The escape hatch (`overrides:`): set or delete a property of the composed template,
//! after composition, on its JSON value. Each override must name a resource the template
//! has and a property its type's registry schema has (`property_paths.txt`, generated
//! from the schemas the pinned cfn-lint ships by `tools/property_paths.py`), with a value
//! of the schema's type and bounds, `Fn::GetAtt`s of attributes the target type has, no
//! deletion of a required property, and must not touch what spotcover relies on
//! (`GUARDED`, each with its reason).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::Value;
use spotcover_reconciler_core::contract::tags;

use crate::config::{Override, StackConfig};
use crate::error::ConfigError;

/// `TYPE PATH FACTS` lines: `/`-separated property names, `*` any list item, `#` any map
/// key, a final `**` anything below (free-form JSON); FACTS are the schema's `type=`,
/// `min=`, `max=`, `minlen=`, `maxlen=`, `enum=` and `required`. `TYPE GetAtt:NAME` lines
/// name the attributes `Fn::GetAtt` can read.
pub const PROPERTY_PATHS: &str = include_str!("property_paths.txt");

/// One step of an override's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// `Properties.A.B[0].C` as segments, without the leading `Properties`.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let bad = || {
        format!(
            "{path:?} is not a property path: expected `Properties.Name`, with `.Name` and `[index]` steps after (`Properties.Tags[0].Value`)"
        )
    };
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if name.is_empty() {
            return Err(bad());
        }
        segments.push(Segment::Key(name.to_owned()));
        if !rest.is_empty() {
            rest = rest.strip_suffix(']').ok_or_else(bad)?;
            for index in rest.split("][") {
                segments.push(Segment::Index(index.parse().map_err(|_| bad())?));
            }
        }
    }
    match segments.first() {
        Some(Segment::Key(k)) if k == "Properties" && segments.len() > 1 => {
            segments.remove(0);
            Ok(segments)
        }
        _ => Err(format!(
            "{path:?}: overrides change a resource's `Properties` only; the path starts with `Properties.`"
        )),
    }
}

/// A property spotcover relies on, and why an override may not touch it (nor anything
/// above or below it).
struct Guard {
    /// A logical id, or `AWS::...` for every resource of the type.
    resource: &'static str,
    path: &'static [&'static str],
    why: &'static str,
}

const GUARDED: &[Guard] = &[
    Guard {
        resource: "ReconcilerFunction",
        path: &["Environment"],
        why: "it is the reconciler's configuration, written from the config (spotcover-reconciler-core's settings contract); change the config instead",
    },
    Guard {
        resource: "ReconcilerFunction",
        path: &["Code"],
        why: "it names the reconciler's zip by its SHA-256, as synth staged it",
    },
    Guard {
        resource: "ReconcilerFunction",
        path: &["Role"],
        why: "the reconciler's least-privilege role is part of the stack's contract",
    },
    Guard {
        resource: "ReconcilerFunction",
        path: &["Handler"],
        why: "the zip holds one executable, `bootstrap`",
    },
    Guard {
        resource: "ReconcilerFunction",
        path: &["Runtime"],
        why: "the reconciler is a static binary for provided.al2023",
    },
    Guard {
        resource: "ReconcilerRole",
        path: &["Policies"],
        why: "the reconciler's rights are exactly what its actions need; widening or narrowing them breaks it or the least-privilege promise",
    },
    Guard {
        resource: "ReconcilerRole",
        path: &["AssumeRolePolicyDocument"],
        why: "only Lambda may assume the reconciler's role",
    },
    Guard {
        resource: "OnDemandGroup",
        path: &["LifecycleHookSpecificationList"],
        why: "a hook inside the group outlives the reconciler on the stack's deletion, and each instance then waits out its heartbeat; the drain hook is the DrainHook resource",
    },
    Guard {
        resource: "DrainHook",
        path: &[],
        why: "the drain hook holds every instance the group terminates until the reconciler drained it; set on_demand.drain_timeout_seconds for its timeout",
    },
    Guard {
        resource: "OnDemandGroup",
        path: &["DesiredCapacity"],
        why: "the reconciler owns the group's desired capacity (on_demand.desired_capacity sets a starting value)",
    },
    Guard {
        resource: "SpotFleet",
        path: &[
            "SpotFleetRequestConfigData",
            "ExcessCapacityTerminationPolicy",
        ],
        why: "NoTermination lets the reconciler drain the fleet's surplus before terminating it",
    },
    Guard {
        resource: "SpotFleet",
        path: &["SpotFleetRequestConfigData", "Type"],
        why: "the reconciler covers what a `maintain` fleet leaves pending",
    },
    Guard {
        resource: "AWS::Events::Rule",
        path: &["EventPattern"],
        why: "the rules deliver exactly the events the reconciler handles",
    },
    Guard {
        resource: "AWS::Events::Rule",
        path: &["Targets"],
        why: "the rules invoke the reconciler, with the input it parses",
    },
    Guard {
        resource: "AWS::Events::Rule",
        path: &["ScheduleExpression"],
        why: "set reconciler.schedule instead",
    },
    Guard {
        resource: "PendingCapacityAlarm",
        path: &["AlarmActions"],
        why: "the alarm runs the reconciler through its topic",
    },
    Guard {
        resource: "PendingCapacityAlarm",
        path: &["Dimensions"],
        why: "the alarm watches this stack's fleet",
    },
    Guard {
        resource: "PendingCapacityTopic",
        path: &["Subscription"],
        why: "the topic invokes the reconciler",
    },
    Guard {
        resource: "AWS::Lambda::Permission",
        path: &[],
        why: "each permission lets exactly one trigger invoke the reconciler",
    },
    Guard {
        resource: "AWS::EC2::LaunchTemplate",
        path: &["LaunchTemplateData", "UserData"],
        why: "the user data joins the cluster and registers the capacity attribute the reconciler drains by; use instances.user_data and instances.ecs_config",
    },
    Guard {
        resource: "AWS::EC2::LaunchTemplate",
        path: &["LaunchTemplateData", "TagSpecifications"],
        why: "the reconciler may terminate only instances tagged spotcover:capacity and spotcover:stack; use `tags:` for more",
    },
    Guard {
        resource: "SpotFleet",
        path: &[
            "SpotFleetRequestConfigData",
            "LaunchSpecifications",
            "TagSpecifications",
        ],
        why: "the reconciler may terminate only instances tagged spotcover:capacity and spotcover:stack; use `tags:` for more",
    },
    Guard {
        resource: "AWS::EC2::LaunchTemplate",
        path: &["LaunchTemplateData", "IamInstanceProfile"],
        why: "instances need the ECS instance role to join the cluster; use instances.managed_policies",
    },
    Guard {
        resource: "SpotFleet",
        path: &[
            "SpotFleetRequestConfigData",
            "LaunchSpecifications",
            "UserData",
        ],
        why: "the user data joins the cluster and registers the capacity attribute the reconciler drains by; use instances.user_data and instances.ecs_config",
    },
    Guard {
        resource: "SpotFleet",
        path: &[
            "SpotFleetRequestConfigData",
            "LaunchSpecifications",
            "IamInstanceProfile",
        ],
        why: "instances need the ECS instance role to join the cluster; use instances.managed_policies",
    },
    Guard {
        resource: "AWS::AutoScaling::LaunchConfiguration",
        path: &["UserData"],
        why: "the user data joins the cluster and registers the capacity attribute the reconciler drains by; use instances.user_data and instances.ecs_config",
    },
    Guard {
        resource: "AWS::AutoScaling::LaunchConfiguration",
        path: &["IamInstanceProfile"],
        why: "instances need the ECS instance role to join the cluster; use instances.managed_policies",
    },
    Guard {
        resource: "ReconcilerFunction",
        path: &["Architectures"],
        why: "it must match the reconciler zip's architecture; set reconciler.architecture instead",
    },
];

/// What the schema says of one property path.
#[derive(Debug, Default)]
struct Entry {
    path: Vec<&'static str>,
    /// JSON types the value may have (`string`, `integer`, ...); empty: any.
    types: Vec<&'static str>,
    min: Option<f64>,
    max: Option<f64>,
    min_len: Option<usize>,
    max_len: Option<usize>,
    choices: Option<Vec<&'static str>>,
    /// Its parent requires it.
    required: bool,
}

/// Each type's property paths and `Fn::GetAtt` attributes.
#[derive(Debug, Default)]
struct TypeFacts {
    entries: Vec<Entry>,
    attributes: Vec<&'static str>,
}

fn property_paths() -> &'static BTreeMap<&'static str, TypeFacts> {
    static PATHS: OnceLock<BTreeMap<&'static str, TypeFacts>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut out: BTreeMap<&str, TypeFacts> = BTreeMap::new();
        for line in PROPERTY_PATHS.lines() {
            let mut words = line.split(' ');
            let (Some(kind), Some(path)) = (words.next(), words.next()) else {
                continue;
            };
            let facts = out.entry(kind).or_default();
            if let Some(attr) = path.strip_prefix("GetAtt:") {
                facts.attributes.push(attr);
                continue;
            }
            let mut e = Entry {
                path: path.split('/').collect(),
                ..Entry::default()
            };
            for word in words {
                match word.split_once('=') {
                    Some(("type", v)) => e.types = v.split('|').collect(),
                    Some(("min", v)) => e.min = v.parse().ok(),
                    Some(("max", v)) => e.max = v.parse().ok(),
                    Some(("minlen", v)) => e.min_len = v.parse().ok(),
                    Some(("maxlen", v)) => e.max_len = v.parse().ok(),
                    Some(("enum", v)) => e.choices = Some(v.split('|').collect()),
                    _ if word == "required" => e.required = true,
                    _ => {}
                }
            }
            facts.entries.push(e);
        }
        out
    })
}

/// The schema's entry for `path`: an exact one, else the free-form one above it (`None`
/// inside the entry: the path is allowed, nothing is known of its value). `None` when the
/// schema has no such property.
fn entry(kind: &str, path: &[Segment]) -> Option<Option<&'static Entry>> {
    let known = &property_paths().get(kind)?.entries;
    let fits = |p: &str, seg: &Segment| match seg {
        Segment::Index(_) => p == "*",
        Segment::Key(k) => p == "#" || p == k.as_str(),
    };
    let mut free_fit = false;
    for e in known {
        let free = e.path.last() == Some(&"**");
        let fixed = if free {
            &e.path[..e.path.len() - 1]
        } else {
            &e.path[..]
        };
        let prefix_fits = fixed.iter().zip(path).all(|(p, s)| fits(p, s));
        if free {
            free_fit |= path.len() > fixed.len() && prefix_fits;
        } else if fixed.len() == path.len() && prefix_fits {
            return Some(Some(e));
        }
    }
    free_fit.then_some(None)
}

/// Whether the type's schema has the property at `path`; `None` when the tool has no
/// schema for the type.
pub fn schema_has(kind: &str, path: &[Segment]) -> Option<bool> {
    property_paths().get(kind)?;
    Some(entry(kind, path).is_some())
}

/// Whether `v` is an intrinsic function (`{Ref: X}`, `{Fn::...: ...}`), which
/// CloudFormation resolves at deploy time.
fn is_intrinsic(v: &Value) -> bool {
    v.as_object().is_some_and(|o| {
        o.len() == 1
            && o.keys()
                .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
    })
}

/// Checks a value against the schema's type, bounds and choices. CloudFormation (and
/// cfn-lint outside its strict mode) takes a string of a number or boolean for a numeric
/// or boolean property, and a number or boolean for a string.
fn check_value(e: &Entry, v: &Value) -> Result<(), String> {
    if is_intrinsic(v) || e.types.is_empty() {
        return Ok(());
    }
    let number = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    let fits = |t: &str| match t {
        "string" => matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)),
        "integer" => number.is_some_and(|n| n.fract() == 0.0),
        "number" => number.is_some(),
        "boolean" => {
            matches!(v, Value::Bool(_))
                || matches!(v, Value::String(s) if s == "true" || s == "false")
        }
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    };
    if !e.types.iter().any(|t| fits(t)) {
        return Err(format!(
            "expected {} (the property's registry schema), found {}",
            e.types.join(" or "),
            describe(v)
        ));
    }
    let numeric = e.types.iter().any(|t| *t == "integer" || *t == "number");
    if numeric && let Some(n) = number {
        if let Some(min) = e.min.filter(|m| n < *m) {
            return Err(format!("expected at least {min}, found {n}"));
        }
        if let Some(max) = e.max.filter(|m| n > *m) {
            return Err(format!("expected at most {max}, found {n}"));
        }
    }
    if let Value::String(s) = v {
        let len = s.chars().count();
        if let Some(min) = e.min_len.filter(|m| len < *m) {
            return Err(format!(
                "expected a string of at least {min} characters, found {len}"
            ));
        }
        if let Some(max) = e.max_len.filter(|m| len > *m) {
            return Err(format!(
                "expected a string of at most {max} characters, found {len}"
            ));
        }
        if let Some(choices) = &e.choices
            && !choices.contains(&s.as_str())
        {
            return Err(format!(
                "expected one of {}, found {s:?}",
                choices.join(", ")
            ));
        }
    }
    Ok(())
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null): give a value, or `delete: true` to remove it".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// Every `Fn::GetAtt` in `v` names a resource of the template and an attribute its type
/// has (CloudFormation template reference, `Fn::GetAtt`: the attributes are the type's
/// read-only properties).
fn check_get_atts(v: &Value, doc: &Value) -> Result<(), String> {
    match v {
        Value::Object(o) => {
            if let Some(arg) = o.get("Fn::GetAtt") {
                let (id, attr) = match arg {
                    Value::String(s) => match s.split_once('.') {
                        Some((id, attr)) => (id.to_owned(), attr.to_owned()),
                        None => {
                            return Err(format!("Fn::GetAtt {s:?}: expected `Resource.Attribute`"));
                        }
                    },
                    Value::Array(a) if a.len() == 2 => match (a[0].as_str(), a[1].as_str()) {
                        (Some(id), Some(attr)) => (id.to_owned(), attr.to_owned()),
                        // An attribute given by an intrinsic is resolved at deploy time.
                        (Some(_), None) => return Ok(()),
                        _ => return Err("Fn::GetAtt: expected [Resource, Attribute]".into()),
                    },
                    _ => {
                        return Err(
                            "Fn::GetAtt: expected [Resource, Attribute] or `Resource.Attribute`"
                                .into(),
                        );
                    }
                };
                let Some(kind) = doc["Resources"][id.as_str()]["Type"].as_str() else {
                    return Err(format!(
                        "Fn::GetAtt names {id:?}, which the template does not have"
                    ));
                };
                if let Some(facts) = property_paths().get(kind)
                    && !facts.attributes.contains(&attr.as_str())
                {
                    return Err(format!(
                        "Fn::GetAtt {id}.{attr}: {kind} has no attribute {attr:?}; it has {}",
                        facts.attributes.join(", ")
                    ));
                }
                return Ok(());
            }
            o.values().try_for_each(|x| check_get_atts(x, doc))
        }
        Value::Array(a) => a.iter().try_for_each(|x| check_get_atts(x, doc)),
        _ => Ok(()),
    }
}

/// Every logical id and property type the template has, in its order.
fn resource_types(doc: &Value) -> Vec<(String, String)> {
    doc["Resources"]
        .as_object()
        .map(|r| {
            r.iter()
                .map(|(id, v)| (id.clone(), v["Type"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks one override against the template; returns the reason it is refused.
fn check(o: &Override, path: &[Segment], doc: &Value) -> Result<(), String> {
    let types = resource_types(doc);
    let Some((_, kind)) = types.iter().find(|(id, _)| *id == o.resource) else {
        let ids: Vec<&str> = types.iter().map(|(id, _)| id.as_str()).collect();
        return Err(format!(
            "the template has no resource {:?}; it has {}",
            o.resource,
            ids.join(", ")
        ));
    };
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    for g in GUARDED {
        let applies = g.resource == o.resource || g.resource == kind;
        let overlap = g.path.iter().zip(&keys).all(|(a, b)| a == b);
        if applies && overlap {
            let what = if g.path.is_empty() {
                format!("{} ({kind})", o.resource)
            } else {
                format!("{}.Properties.{}", o.resource, g.path.join("."))
            };
            return Err(format!("spotcover relies on {what}: {}", g.why));
        }
    }
    own_tags(o, kind, path, doc)?;
    let Some(found) = property_paths()
        .get(kind.as_str())
        .map(|_| entry(kind, path))
    else {
        return Ok(()); // no schema for the type: nothing more to check
    };
    let Some(found) = found else {
        return Err(format!(
            "{kind} has no property {} in its registry schema (as cfn-lint {} ships it)",
            o.path, "pinned in tools/requirements.txt"
        ));
    };
    if let Some(e) = found {
        if o.delete && e.required && matches!(path.last(), Some(Segment::Key(_))) {
            return Err(format!(
                "{kind} requires {} (its registry schema): it cannot be deleted; set another value instead",
                o.path
            ));
        }
        if let Some(v) = &o.value {
            check_value(e, v).map_err(|why| format!("{}: {why}", o.path))?;
        }
    }
    if let Some(v) = &o.value {
        check_get_atts(v, doc)?;
    }
    Ok(())
}

/// The group's `spotcover:*` tags (with `PropagateAtLaunch`) put `spotcover:capacity` and
/// `spotcover:stack` on its instances, which scope what the reconciler may drain and
/// terminate: an override may change the group's other tags, not these, nor the whole list.
fn own_tags(o: &Override, kind: &str, path: &[Segment], doc: &Value) -> Result<(), String> {
    if kind != "AWS::AutoScaling::AutoScalingGroup"
        || path.first() != Some(&Segment::Key("Tags".into()))
    {
        return Ok(());
    }
    let why = "the group's spotcover:capacity and spotcover:stack tags reach its instances and scope what the reconciler may drain and terminate; use `tags:` for more";
    let own = |n: usize| {
        doc["Resources"][o.resource.as_str()]["Properties"]["Tags"][n]["Key"]
            .as_str()
            .is_some_and(|k| k.starts_with(tags::PREFIX))
    };
    match path.get(1) {
        None => Err(format!(
            "spotcover relies on {}.Properties.Tags: {why}",
            o.resource
        )),
        Some(Segment::Index(n)) if own(*n) => Err(format!(
            "spotcover relies on {}.Properties.Tags[{n}]: {why}",
            o.resource
        )),
        _ => Ok(()),
    }
}

/// Applies one override to the resource's `Properties`.
fn apply_one(o: &Override, path: &[Segment], doc: &mut Value) -> Result<(), String> {
    let props = &mut doc["Resources"][o.resource.as_str()];
    if props.get("Properties").is_none() {
        props["Properties"] = Value::Object(serde_json::Map::new());
    }
    let mut here = &mut props["Properties"];
    let (last, steps) = path
        .split_last()
        .expect("parse_path gives at least one step");
    for (i, step) in steps.iter().enumerate() {
        here = match step {
            Segment::Key(k) => {
                let obj = here
                    .as_object_mut()
                    .ok_or_else(|| format!("{} is not a mapping at step {}", o.path, i + 1))?;
                let next_is_index = matches!(path[i + 1], Segment::Index(_));
                if !obj.contains_key(k) {
                    if o.delete || next_is_index {
                        return Err(format!("{}: nothing at {k}", o.path));
                    }
                    obj.insert(k.clone(), Value::Object(serde_json::Map::new()));
                }
                obj.get_mut(k).expect("just checked or inserted")
            }
            Segment::Index(n) => {
                let list = here
                    .as_array_mut()
                    .ok_or_else(|| format!("{}: not a list at step {}", o.path, i + 1))?;
                let len = list.len();
                list.get_mut(*n).ok_or_else(|| {
                    format!("{}: index {n} out of range (the list has {len})", o.path)
                })?
            }
        };
    }
    match last {
        Segment::Key(k) => {
            let obj = here
                .as_object_mut()
                .ok_or_else(|| format!("{}: not a mapping before {k}", o.path))?;
            if o.delete {
                obj.remove(k)
                    .ok_or_else(|| format!("{}: nothing to delete", o.path))?;
            } else {
                obj.insert(k.clone(), o.value.clone().unwrap_or(Value::Null));
            }
        }
        Segment::Index(n) => {
            let list = here
                .as_array_mut()
                .ok_or_else(|| format!("{}: not a list", o.path))?;
            if *n >= list.len() {
                return Err(format!(
                    "{}: index {n} out of range (the list has {})",
                    o.path,
                    list.len()
                ));
            }
            if o.delete {
                list.remove(*n);
            } else {
                list[*n] = o.value.clone().unwrap_or(Value::Null);
            }
        }
    }
    Ok(())
}

/// Applies the config's overrides to a composed template, in order; refuses (every
/// problem, located at its config key under `prefix`) an unknown logical id, a property
/// the type's schema lacks, or one spotcover relies on. The references are checked again
/// after.
pub fn apply(c: &StackConfig, doc: &mut Value, prefix: &str) -> Result<(), Vec<ConfigError>> {
    let at = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (key, o) in c.overrides.entries() {
        let result = parse_path(&o.path).and_then(|path| {
            if !seen.insert((o.resource.clone(), o.path.clone())) {
                return Err(format!("{}.{} is overridden twice", o.resource, o.path));
            }
            check(o, &path, doc)?;
            apply_one(o, &path, doc)
        });
        if let Err(e) = result {
            errors.push(ConfigError::at(at(&key), e));
        }
    }
    if errors.is_empty()
        && let Err(e) = spotcover_cfn::check_references(doc)
    {
        errors.push(ConfigError::at(at("overrides"), e.to_string()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn a_path_is_properties_then_names_and_indexes() {
        assert_eq!(
            parse_path("Properties.Tags[0].Value").unwrap(),
            vec![key("Tags"), Segment::Index(0), key("Value")]
        );
        assert!(parse_path("Metadata.X").is_err());
        assert!(parse_path("Properties").is_err());
        assert!(parse_path("Properties.Tags[x]").is_err());
        assert!(parse_path("Properties..X").is_err());
    }

    #[test]
    fn the_schema_knows_list_items_map_keys_and_free_form_json() {
        let has = |kind: &str, p: &str| schema_has(kind, &parse_path(p).unwrap());
        assert_eq!(
            has(
                "AWS::AutoScaling::AutoScalingGroup",
                "Properties.Tags[1].Key"
            ),
            Some(true)
        );
        assert_eq!(
            has("AWS::AutoScaling::AutoScalingGroup", "Properties.Tags[1]"),
            Some(true)
        );
        assert_eq!(
            has("AWS::Events::Rule", "Properties.EventPattern.detail.x"),
            Some(true)
        );
        assert_eq!(
            has(
                "AWS::AutoScaling::AutoScalingGroup",
                "Properties.NoSuchThing"
            ),
            Some(false)
        );
        assert_eq!(has("AWS::Unknown::Type", "Properties.X"), None);
    }
}
