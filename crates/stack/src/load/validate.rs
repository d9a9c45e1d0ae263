//! What the types cannot express: every problem of a parsed config, all at once.

use std::collections::BTreeSet;

use spotcover_reconciler_core::contract::ids::{self, is_aws_id};

use super::parse::join_path;
use crate::arch::Arch;
use crate::config::{CoverPolicy, Engine, OnDemandLaunch, ParameterValue, StackConfig};
use crate::error::ConfigError;
use spotcover_reconciler_core::contract::metrics;

/// Valid, but worth saying: choices that fail in some accounts. `prefix` as for
/// [`validate`].
pub fn warnings(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut out = Vec::new();
    if let Some(file) = c
        .instances
        .user_data
        .as_ref()
        .and_then(|u| u.file.as_deref())
        && outside_config_dir(file)
    {
        out.push(ConfigError::at(
            join_path(prefix, "instances.user_data.file"),
            format!(
                "{file} is outside the config's directory: its whole text goes into every template (and into `spotcover diff` output, such as pull request comments); keep the script beside the config, and no secrets in it"
            ),
        ));
    }
    if c.on_demand.launch == OnDemandLaunch::Configuration {
        // EC2 Auto Scaling user guide, "Launch configurations": accounts created on or
        // after 2024-10-01 cannot create launch configurations by any method.
        out.push(ConfigError::at(
            join_path(prefix, "on_demand.launch"),
            "a launch configuration cannot be created in AWS accounts created on or after 2024-10-01 (by any method, CloudFormation included), and gets no instance types newer than 2023; use `launch: template` unless this account is older",
        ));
    }
    if c.reconciler.policy == CoverPolicy::Demand
        && c.reconciler.quiet_period_seconds != DEFAULT_QUIET_PERIOD_SECS
    {
        out.push(ConfigError::at(
            join_path(prefix, "reconciler.quiet_period_seconds"),
            "the quiet period is read by the `2017` policy only; under the default `demand` policy it changes nothing (set `reconciler.policy: \"2017\"`, or leave it out)",
        ));
    }
    out
}

/// A path, relative to the config's directory, that leaves it: absolute (a Windows drive
/// or share too), from a home directory, or climbing above it with `..`.
pub(super) fn outside_config_dir(file: &str) -> bool {
    let drive = file.as_bytes().get(1) == Some(&b':');
    if file.starts_with('/') || file.starts_with('~') || file.starts_with('\\') || drive {
        return true;
    }
    let mut depth = 0i32;
    for part in file.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// The config's default quiet period (the 2017 design's).
const DEFAULT_QUIET_PERIOD_SECS: u32 = 600;

/// Checks that the types cannot express. `prefix` locates a region's merged config.
pub fn validate(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    let mut err = |path: &str, message: String| {
        errs.push(ConfigError::at(join_path(prefix, path), message));
    };
    stack_name(c, &mut err);
    spot(c, &mut err);
    // `engine: asg` has no on-demand group (`load::engine` refuses its keys).
    if c.engine == Engine::Fleet {
        on_demand(c, &mut err);
    }
    reconciler(c, &mut err);
    network(c, &mut err);
    iam(c, &mut err);
    observability(c, &mut err);
    errs
}

/// A CloudFormation stack name.
fn stack_name(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    if !is_stack_name(&c.stack) {
        err(
            "stack",
            format!(
                "{:?} is not a stack name: expected letters, digits and hyphens, starting with a letter, at most 128 characters",
                c.stack
            ),
        );
    }
}

/// Instance types, weights, and a target inside the autoscaling range.
fn spot(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
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
}

/// Instance types of one architecture, weight, and sizes in order.
fn on_demand(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
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
    if !(30..=7200).contains(&od.drain_timeout_seconds) {
        // PutLifecycleHook (EC2 Auto Scaling API reference): HeartbeatTimeout is 30 to
        // 7200 seconds.
        err(
            "on_demand.drain_timeout_seconds",
            format!(
                "expected 30 to 7200 seconds (a lifecycle hook's timeout), found {}",
                od.drain_timeout_seconds
            ),
        );
    }
}

/// Schedule, memory, quiet period and log retention as AWS takes them.
fn reconciler(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
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
    if r.launch_grace_seconds > 3600 {
        err(
            "reconciler.launch_grace_seconds",
            format!(
                "expected 0 to 3600 (an hour), found {}",
                r.launch_grace_seconds
            ),
        );
    }
    if !(60..=86_400).contains(&r.hold_seconds) {
        err(
            "reconciler.hold_seconds",
            format!(
                "expected 60 to 86400 (a minute to a day), found {}",
                r.hold_seconds
            ),
        );
    }
    if r.max_hold_seconds > 86_400 || r.max_hold_seconds < r.hold_seconds {
        err(
            "reconciler.max_hold_seconds",
            format!(
                "expected reconciler.hold_seconds ({}) to 86400, found {}",
                r.hold_seconds, r.max_hold_seconds
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
    if r.reserved_concurrency == Some(0) {
        err(
            "reconciler.reserved_concurrency",
            "expected at least 1 (0 stops the function from ever running); leave it out to reserve none".into(),
        );
    }
}

/// Subnet and security group ids, when given.
fn network(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    for (i, s) in c.network.subnets.iter().flatten().enumerate() {
        if !is_aws_id(s, ids::SUBNET) {
            err(
                &format!("network.subnets[{i}]"),
                format!("{s:?} is not a subnet id: expected `subnet-` and 8 or 17 hex digits"),
            );
        }
    }
    if c.network.subnets.as_ref().is_some_and(Vec::is_empty) {
        err("network.subnets", "expected at least one subnet".into());
    }
    let mut seen = BTreeSet::new();
    for (i, s) in c.network.subnets.iter().flatten().enumerate() {
        if !seen.insert(s) {
            err(
                &format!("network.subnets[{i}]"),
                format!(
                    "{s} is listed twice; give each subnet once, at most one per Availability Zone"
                ),
            );
        }
    }
    subnet_count(c, err);
    for (i, s) in c.network.security_groups.iter().flatten().enumerate() {
        if !is_aws_id(s, ids::SECURITY_GROUP) {
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
}

/// With the `Subnets` parameter, the fleet needs to know how many subnets it will hold:
/// Spot Fleet's launch template overrides take one subnet each (EC2 API reference,
/// `LaunchTemplateOverrides.SubnetId`), so the template picks them by position.
fn subnet_count(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    const MAX: u32 = 16;
    // The base of a multi-region config writes no template; each region's merge says.
    if !c.regions.is_empty() {
        return;
    }
    let n = &c.network;
    let listed = match c.parameters.get("Subnets") {
        Some(ParameterValue::List(items)) => Some(items.len()),
        _ => None,
    };
    match (&n.subnets, n.subnet_count) {
        (Some(_), Some(_)) => err(
            "network.subnet_count",
            "give either `subnets` (literal ids) or `subnet_count` (the size of the Subnets parameter), not both".into(),
        ),
        (Some(_), None) => {}
        (None, Some(count)) => {
            if !(1..=MAX).contains(&count) {
                err(
                    "network.subnet_count",
                    format!("expected 1 to {MAX} subnets (one per Availability Zone), found {count}"),
                );
            }
            if let Some(len) = listed
                && u32::try_from(len).ok() != Some(count)
            {
                err(
                    "network.subnet_count",
                    format!("is {count}, but parameters.Subnets lists {len} subnets; make them agree"),
                );
            }
        }
        (None, None) => match listed {
            Some(len) if (1..=MAX as usize).contains(&len) => {}
            Some(len) => err(
                "parameters.Subnets",
                format!("expected 1 to {MAX} subnets (one per Availability Zone), found {len}"),
            ),
            // DEFAULT_SUBNET_COUNT, written in the parameter's description.
            None => {}
        },
    }
}

/// The permissions boundary is a policy ARN.
fn iam(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    if let Some(arn) = &c.iam.permissions_boundary
        && let Err(why) = check_policy_arn(arn)
    {
        err("iam.permissions_boundary", why);
    }
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

/// An EventBridge schedule expression (EventBridge user guide, "Rate expressions
/// reference" and "Using cron and rate expressions to schedule rules"): `rate(value
/// unit)`, value "a positive number" written in digits (no sign: cfn-lint's E3027 takes
/// digits only), one space, unit minute(s), hour(s) or day(s), singular for 1; or
/// `cron(...)` with six fields separated by one space each (cfn-lint splits on one
/// space), each with its values and wildcards, and `?` in exactly one of day-of-month
/// and day-of-week.
fn check_schedule(s: &str) -> Result<(), String> {
    let expected = "expected `rate(N unit)` or `cron(...)`, as EventBridge takes them";
    if let Some(inner) = s.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return check_cron(inner).map_err(|why| format!("{s:?}: {why}"));
    }
    let Some(inner) = s.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) else {
        return Err(format!("{s:?}: {expected}"));
    };
    let Some((n, unit)) = inner.split_once(' ') else {
        return Err(format!("{s:?}: {expected}"));
    };
    let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    let Some(n) = n.parse::<u32>().ok().filter(|_| digits) else {
        return Err(format!(
            "{s:?}: the rate is a whole number of minutes, hours or days, e.g. `rate(5 minutes)`"
        ));
    };
    let singular = ["minute", "hour", "day"];
    let plural = ["minutes", "hours", "days"];
    if !singular.contains(&unit) && !plural.contains(&unit) {
        return Err(format!(
            "{s:?}: EventBridge's rate unit is minute(s), hour(s) or day(s), not {unit:?} (a schedule runs at most once a minute), e.g. `rate(1 minute)`"
        ));
    }
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

/// The six fields of an EventBridge cron expression.
fn check_cron(inner: &str) -> Result<(), String> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    if inner.starts_with(' ')
        || inner.ends_with(' ')
        || inner.contains("  ")
        || inner.chars().any(|c| c.is_whitespace() && c != ' ')
    {
        return Err("separate the six fields with one space each".into());
    }
    let fields: Vec<&str> = inner.split(' ').collect();
    let [minutes, hours, dom, month, dow, year] = fields.as_slice() else {
        return Err(format!(
            "a cron expression has six fields (minutes hours day-of-month month day-of-week year), found {}",
            fields.len()
        ));
    };
    cron_field("minutes", minutes, 0, 59, &[], "")?;
    cron_field("hours", hours, 0, 23, &[], "")?;
    cron_field("day-of-month", dom, 1, 31, &[], "?LW")?;
    cron_field("month", month, 1, 12, &MONTHS, "")?;
    cron_field("day-of-week", dow, 1, 7, &DAYS, "?L#")?;
    cron_field("year", year, 1970, 2199, &[], "")?;
    match (*dom == "?", *dow == "?") {
        (true, false) | (false, true) => Ok(()),
        _ => Err(
            "give `?` in exactly one of day-of-month and day-of-week (EventBridge cannot take both, or neither), e.g. `cron(0 12 * * ? *)`"
                .into(),
        ),
    }
}

/// One cron field: `*`, `?` (where allowed), or comma-separated items `A`, `A-B`, with
/// an optional `/STEP`; day-of-month also takes `L`, `LW` and `NW`, day-of-week `L`, `NL`
/// and `N#K`. Values within `min..=max`, or `names` (1-based).
fn cron_field(
    what: &str,
    field: &str,
    min: u32,
    max: u32,
    names: &[&str],
    special: &str,
) -> Result<(), String> {
    let bad = || {
        let mut wild = String::from(", - * /");
        for ch in special.chars() {
            wild.push(' ');
            wild.push(ch);
        }
        Err(format!(
            "{field:?} is not a {what} field: expected values {min}-{max}{} with the wildcards {wild}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" or {}-{}", names[0], names[names.len() - 1])
            }
        ))
    };
    let value = |v: &str| -> Option<u32> {
        let n = match v.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                let i = names.iter().position(|name| name.eq_ignore_ascii_case(v))?;
                min + i as u32
            }
        };
        (min..=max).contains(&n).then_some(n)
    };
    if field == "?" {
        return if special.contains('?') { Ok(()) } else { bad() };
    }
    for item in field.split(',') {
        let ok = match item {
            "*" => true,
            "L" | "LW" if special.contains('L') => special.contains('W') || item == "L",
            _ => {
                let (range, step) = match item.split_once('/') {
                    Some((r, s)) => (r, Some(s)),
                    None => (item, None),
                };
                let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|n| n >= 1));
                let range_ok = if range == "*" {
                    true
                } else if let Some(n) = range.strip_suffix('W').filter(|_| special.contains('W')) {
                    value(n).is_some() && step.is_none()
                } else if let Some(n) = range.strip_suffix('L').filter(|_| special.contains('#')) {
                    value(n).is_some() && step.is_none()
                } else if let Some((d, k)) = range.split_once('#').filter(|_| special.contains('#'))
                {
                    value(d).is_some()
                        && k.parse::<u32>().is_ok_and(|k| (1..=5).contains(&k))
                        && step.is_none()
                        && !field.contains(',')
                } else {
                    match range.split_once('-') {
                        Some((a, b)) => value(a).is_some() && value(b).is_some(),
                        None => value(range).is_some(),
                    }
                };
                step_ok && range_ok
            }
        };
        if !ok {
            return bad();
        }
    }
    Ok(())
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
mod tests;

/// Where alarms notify, and the uncovered alarm's minutes.
fn observability(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let o = &c.observability;
    if let Some(m) = o.alarms.uncovered_minutes
        && !(1..=1440).contains(&m)
    {
        // CloudWatch alarms: evaluation periods times period at most one day
        // (PutMetricAlarm, EvaluationPeriods); one-minute periods.
        err(
            "observability.alarms.uncovered_minutes",
            format!("expected 1 to 1440 minutes, got {m}"),
        );
    }
    if o.alarms.uncovered_minutes.is_some()
        && !metrics::written_by(c.metrics_writer()).contains(&metrics::UNCOVERED)
    {
        // With TreatMissingData notBreaching, an alarm on a metric no run writes stays
        // OK forever.
        let (key, instead) = match c.engine {
            Engine::Asg => ("engine: asg", "its fallback does not read demand from ECS"),
            Engine::Fleet => (
                "reconciler.policy: \"2017\"",
                "the 2017 rule reads the fleet's CloudWatch metrics, not the cluster's demand",
            ),
        };
        err(
            "observability.alarms.uncovered_minutes",
            format!(
                "this alarm could never fire: with `{key}` the reconciler never writes the `uncovered` metric ({instead}); use the `demand` policy (leave out reconciler.policy), or alarm on reconciler_errors or group_at_max"
            ),
        );
    }
    if o.alarm_email.is_some() && o.alarm_topic_arn.is_some() {
        err(
            "observability.alarm_topic_arn",
            "expected at most one of alarm_email and alarm_topic_arn".into(),
        );
    }
    if (o.alarm_email.is_some() || o.alarm_topic_arn.is_some()) && !o.alarms.any() {
        let key = if o.alarm_email.is_some() {
            "observability.alarm_email"
        } else {
            "observability.alarm_topic_arn"
        };
        err(
            key,
            "no alarm to notify: ask for one under observability.alarms".into(),
        );
    }
    if let Some(e) = &o.alarm_email
        && !e.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
        })
    {
        err(
            "observability.alarm_email",
            format!("{e:?} is not an email address"),
        );
    }
    if let Some(arn) = &o.alarm_topic_arn {
        let parts: Vec<&str> = arn.split(':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "sns"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && !parts[5].is_empty();
        if !ok {
            err(
                "observability.alarm_topic_arn",
                format!("{arn:?} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"),
            );
        }
    }
}
