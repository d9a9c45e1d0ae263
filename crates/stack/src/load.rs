//! Reading a config: parse (with line, column and key path on failure), expand regions,
//! then check what types alone cannot.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::arch::Arch;
use crate::config::{OnDemandLaunch, StackConfig};

/// One problem with a config, located as precisely as is known.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// 1-based line and column in the file, where known.
    pub location: Option<(u64, u64)>,
    /// Key path such as `spot.instance_types[1].weight`; empty for the whole document.
    pub path: String,
    pub message: String,
}

/// Shown after the file name: `:LINE:COL: path: message`, or `: path: message`.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, col)) => write!(f, ":{line}:{col}: ")?,
            None => f.write_str(": ")?,
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// The config as it applies to one template: the base, or one region's merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// `None` for a region-neutral template.
    pub region: Option<String>,
    pub config: StackConfig,
}

/// Parses and checks a config. Every problem found is returned, not only the first.
pub fn load(text: &str) -> Result<Vec<Resolved>, Vec<ConfigError>> {
    let base: StackConfig = parse(text).map_err(|e| vec![e])?;
    let mut errors = validate(&base, "");
    let mut out = Vec::new();

    if base.regions.is_empty() {
        out.push(Resolved {
            region: None,
            config: base,
        });
    } else {
        let mut raw: Value = serde_saphyr::from_str(text).map_err(|e| vec![saphyr_error(e, "")])?;
        if let Value::Object(m) = &mut raw {
            m.remove("regions");
        }
        for (region, overrides) in &base.regions {
            let prefix = format!("regions.{region}");
            if !is_region_name(region) {
                errors.push(issue(
                    &prefix,
                    "expected an AWS region name such as `us-east-1`",
                ));
                continue;
            }
            let mut merged = raw.clone();
            match overrides {
                Value::Object(_) => merge(&mut merged, overrides),
                Value::Null => {}
                _ => {
                    errors.push(issue(&prefix, "expected a mapping of overrides"));
                    continue;
                }
            }
            match from_value(merged, &prefix) {
                Ok(config) => {
                    errors.extend(validate(&config, &prefix));
                    out.push(Resolved {
                        region: Some(region.clone()),
                        config,
                    });
                }
                Err(e) => errors.push(e),
            }
        }
    }

    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Deserializes a YAML document strictly, reporting the line, column and key path of the
/// first problem. Shared by everything spotcover reads (configs, scenarios).
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    let path = RefCell::new(String::new());
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            *path.borrow_mut() = path_string(e.path());
            e.into_inner()
        })
    })
    .map_err(|e| saphyr_error(e, &path.borrow()))
}

fn saphyr_error(e: serde_saphyr::Error, path: &str) -> ConfigError {
    let location = e
        .location()
        .map(|l| (l.line(), l.column()))
        .filter(|(l, _)| *l > 0);
    ConfigError {
        location,
        path: path.to_owned(),
        message: bare_message(&e.to_string()),
    }
}

/// serde-saphyr appends the position to its message; we print it ourselves, in front.
fn bare_message(msg: &str) -> String {
    let msg = msg.lines().next().unwrap_or_default();
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    match msg {
        "invalid u32" => "expected a whole number from 0 to 4294967295".to_owned(),
        "invalid bool" => "expected true or false".to_owned(),
        other => other.to_owned(),
    }
}

fn from_value(v: Value, prefix: &str) -> Result<StackConfig, ConfigError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = path_string(e.path());
        ConfigError {
            location: None,
            path: join_path(prefix, &inner),
            message: e.into_inner().to_string(),
        }
    })
}

/// `spot.instance_types.1.weight` as `spot.instance_types[1].weight`.
fn path_string(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in p.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

fn join_path(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if rest.starts_with('[') => format!("{prefix}{rest}"),
        (false, false) => format!("{prefix}.{rest}"),
    }
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn issue(path: &str, message: &str) -> ConfigError {
    ConfigError {
        location: None,
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

/// Checks that the types cannot express. `prefix` locates a region's merged config.
pub fn validate(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    let mut err = |path: &str, message: String| {
        errs.push(ConfigError {
            location: None,
            path: join_path(prefix, path),
            message,
        })
    };

    if !is_stack_name(&c.stack) {
        err(
            "stack",
            format!(
                "{:?} is not a stack name: expected letters, digits and hyphens, starting with a letter, at most 128 characters",
                c.stack
            ),
        );
    }

    let spot = &c.spot;
    if spot.instance_types.is_empty() {
        err(
            "spot.instance_types",
            "expected at least one instance type".into(),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, t) in spot.instance_types.iter().enumerate() {
        let path = format!("spot.instance_types[{i}]");
        if let Err(why) = check_instance_type(&t.instance_type) {
            err(&format!("{path}.type"), why);
        }
        if t.weight == 0 {
            err(
                &format!("{path}.weight"),
                "expected a weight of at least 1 capacity unit, found 0".into(),
            );
        }
        if !seen.insert(t.instance_type.as_str()) {
            err(
                &format!("{path}.type"),
                format!("{} is listed twice", t.instance_type),
            );
        }
    }
    let a = &spot.autoscaling;
    if a.min_capacity > a.max_capacity {
        err(
            "spot.autoscaling.min_capacity",
            format!(
                "min_capacity {} is above max_capacity {}",
                a.min_capacity, a.max_capacity
            ),
        );
    }
    if a.max_capacity == 0 {
        err(
            "spot.autoscaling.max_capacity",
            "expected at least 1".into(),
        );
    }
    if a.min_capacity <= a.max_capacity
        && (spot.target_capacity < a.min_capacity || spot.target_capacity > a.max_capacity)
    {
        err(
            "spot.target_capacity",
            format!(
                "{} is outside autoscaling's range {}..={}",
                spot.target_capacity, a.min_capacity, a.max_capacity
            ),
        );
    }
    if !(1..=100).contains(&a.target_percent) {
        err(
            "spot.autoscaling.target_percent",
            format!(
                "expected a percentage from 1 to 100, found {}",
                a.target_percent
            ),
        );
    }

    let od = &c.on_demand;
    if od.instance_types.is_empty() {
        err(
            "on_demand.instance_types",
            "expected at least one instance type".into(),
        );
    }
    let mut arches = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (i, t) in od.instance_types.iter().enumerate() {
        match check_instance_type(t) {
            Ok(()) => {
                arches.insert(Arch::of(t));
            }
            Err(why) => err(&format!("on_demand.instance_types[{i}]"), why),
        }
        if !seen.insert(t.as_str()) {
            err(
                &format!("on_demand.instance_types[{i}]"),
                format!("{t} is listed twice"),
            );
        }
    }
    if arches.len() > 1 {
        err(
            "on_demand.instance_types",
            "expected instance types of one architecture: the group has one launch template".into(),
        );
    }
    if od.launch == OnDemandLaunch::Configuration && od.instance_types.len() > 1 {
        err(
            "on_demand.instance_types",
            "a launch configuration takes exactly one instance type; use `launch: template` for several"
                .into(),
        );
    }
    if od.weight == 0 {
        err(
            "on_demand.weight",
            "expected a weight of at least 1 capacity unit, found 0".into(),
        );
    }
    if od.min_size > od.max_size {
        err(
            "on_demand.min_size",
            format!("min_size {} is above max_size {}", od.min_size, od.max_size),
        );
    }
    if od.max_size == 0 {
        err(
            "on_demand.max_size",
            "expected at least 1: a group of at most 0 cannot cover anything".into(),
        );
    }
    if let Some(d) = od.desired_capacity
        && (d < od.min_size || d > od.max_size)
    {
        err(
            "on_demand.desired_capacity",
            format!("{d} is outside {}..={}", od.min_size, od.max_size),
        );
    }

    let r = &c.reconciler;
    if let Err(why) = check_schedule(&r.schedule) {
        err("reconciler.schedule", why);
    }
    if !(128..=10240).contains(&r.memory_mb) {
        err(
            "reconciler.memory_mb",
            format!("expected 128 to 10240 MB, found {}", r.memory_mb),
        );
    }
    if r.quiet_period_seconds > 86_400 {
        err(
            "reconciler.quiet_period_seconds",
            format!(
                "expected at most 86400 (a day), found {}",
                r.quiet_period_seconds
            ),
        );
    }
    if !LOG_RETENTION_DAYS.contains(&r.log_retention_days) {
        err(
            "reconciler.log_retention_days",
            format!(
                "expected one of CloudWatch Logs' retention periods {LOG_RETENTION_DAYS:?}, found {}",
                r.log_retention_days
            ),
        );
    }

    for (i, s) in c.network.subnets.iter().flatten().enumerate() {
        if !is_aws_id(s, "subnet-") {
            err(
                &format!("network.subnets[{i}]"),
                format!("{s:?} is not a subnet id: expected `subnet-` and 8 or 17 hex digits"),
            );
        }
    }
    if c.network.subnets.as_ref().is_some_and(Vec::is_empty) {
        err("network.subnets", "expected at least one subnet".into());
    }
    for (i, s) in c.network.security_groups.iter().flatten().enumerate() {
        if !is_aws_id(s, "sg-") {
            err(
                &format!("network.security_groups[{i}]"),
                format!("{s:?} is not a security group id: expected `sg-` and 8 or 17 hex digits"),
            );
        }
    }
    if c.network
        .security_groups
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        err(
            "network.security_groups",
            "expected at least one security group".into(),
        );
    }

    if let Some(arn) = &c.iam.permissions_boundary
        && let Err(why) = check_policy_arn(arn)
    {
        err("iam.permissions_boundary", why);
    }
    errs
}

const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

fn is_stack_name(s: &str) -> bool {
    s.len() <= 128
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn is_aws_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// `m6i.large`, `c7gn.16xlarge`, `m7i-flex.xlarge`, `x2iedn.metal`: a family with a
/// generation digit, then a known size.
pub fn check_instance_type(t: &str) -> Result<(), String> {
    let expected = "expected an EC2 instance type such as `m6i.large`";
    let Some((family, size)) = t.split_once('.') else {
        return Err(format!("{t:?} is not an instance type: {expected}"));
    };
    let family_ok = family.starts_with(|c: char| c.is_ascii_lowercase())
        && family.chars().any(|c| c.is_ascii_digit())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let size_ok = match size.trim_start_matches(|c: char| c.is_ascii_digit()) {
        "nano" | "micro" | "small" | "medium" | "large" | "xlarge" => true,
        rest => {
            rest == "metal"
                || rest
                    .strip_prefix("metal-")
                    .is_some_and(|n| n.ends_with("xl"))
        }
    };
    if family_ok && size_ok {
        Ok(())
    } else {
        Err(format!("{t:?} is not an instance type: {expected}"))
    }
}

fn check_schedule(s: &str) -> Result<(), String> {
    let expected = "expected `rate(N unit)` or `cron(...)`, as EventBridge takes them";
    if let Some(inner) = s.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return if inner.split_whitespace().count() == 6 {
            Ok(())
        } else {
            Err(format!(
                "{s:?}: a cron expression has six fields; {expected}"
            ))
        };
    }
    let Some(inner) = s.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) else {
        return Err(format!("{s:?}: {expected}"));
    };
    let Some((n, unit)) = inner.split_once(' ') else {
        return Err(format!("{s:?}: {expected}"));
    };
    let Ok(n) = n.parse::<u32>() else {
        return Err(format!("{s:?}: {expected}"));
    };
    let singular = ["minute", "hour", "day"];
    let plural = ["minutes", "hours", "days"];
    match n {
        0 => Err(format!("{s:?}: the rate must be at least 1")),
        1 if singular.contains(&unit) => Ok(()),
        1 => Err(format!(
            "{s:?}: EventBridge wants the singular for 1, e.g. `rate(1 minute)`"
        )),
        _ if plural.contains(&unit) => Ok(()),
        _ => Err(format!(
            "{s:?}: EventBridge wants a plural unit, e.g. `rate(5 minutes)`"
        )),
    }
}

/// `arn:<partition>:iam::<account or aws>:policy/<path/name>`.
fn check_policy_arn(arn: &str) -> Result<(), String> {
    let expected = "expected an IAM policy ARN such as `arn:aws:iam::123456789012:policy/Boundary`";
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && (parts[4] == "aws"
            || (parts[4].len() == 12 && parts[4].chars().all(|c| c.is_ascii_digit())))
        && parts[5]
            .strip_prefix("policy/")
            .is_some_and(|name| !name.is_empty() && !name.ends_with('/'));
    if ok {
        Ok(())
    } else {
        Err(format!("{arn:?} is not a policy ARN: {expected}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_types() {
        for ok in [
            "m5.large",
            "c7gn.16xlarge",
            "m7i-flex.xlarge",
            "x2iedn.metal",
            "t4g.nano",
            "c7i.metal-24xl",
        ] {
            assert_eq!(check_instance_type(ok), Ok(()), "{ok}");
        }
        for bad in [
            "m5",
            "m5.lrage",
            "M5.large",
            "large.m5",
            "mm.large",
            "m5.large ",
        ] {
            assert!(check_instance_type(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schedules() {
        assert!(check_schedule("rate(1 minute)").is_ok());
        assert!(check_schedule("rate(5 minutes)").is_ok());
        assert!(check_schedule("cron(0/5 * * * ? *)").is_ok());
        assert!(check_schedule("rate(1 minutes)").is_err());
        assert!(check_schedule("rate(0 minutes)").is_err());
        assert!(check_schedule("every minute").is_err());
    }

    #[test]
    fn policy_arns() {
        assert!(check_policy_arn("arn:aws:iam::123456789012:policy/Boundary").is_ok());
        assert!(check_policy_arn("arn:aws-cn:iam::aws:policy/a/b").is_ok());
        assert!(check_policy_arn("arn:aws:iam::12345:policy/x").is_err());
        assert!(check_policy_arn("arn:aws:s3:::bucket").is_err());
        assert!(check_policy_arn("Boundary").is_err());
    }

    #[test]
    fn region_names() {
        assert!(is_region_name("us-east-1"));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("useast1"));
        assert!(!is_region_name("us-east"));
    }

    #[test]
    fn merge_replaces_lists_and_merges_maps() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": 1});
        merge(&mut base, &serde_json::json!({"a": {"c": [3]}, "e": 2}));
        assert_eq!(
            base,
            serde_json::json!({"a": {"b": 1, "c": [3]}, "d": 1, "e": 2})
        );
    }
}
