//! Keys that belong to one engine: a config for `engine: asg` that writes a key only the
//! fleet reads (or the other way round) is refused at that key, since it would silently
//! do nothing. Also the `asg:` section's own rules, and the config's weights under a
//! capacity provider.

use super::parse::{Positions, join_path};
use crate::arch::Arch;
use crate::config::{Engine, StackConfig};
use crate::error::ConfigError;

/// Keys only `engine: fleet` reads, with what `engine: asg` does instead.
const FLEET_ONLY: &[(&str, &str)] = &[
    (
        "on_demand",
        "the group's on-demand instances come from its own base (asg.on_demand_floor, asg.max_on_demand)",
    ),
    ("spot.launch", "the group launches from a launch template"),
    (
        "spot.allocation_strategy",
        "the group's spot allocation is price-capacity-optimized",
    ),
    (
        "spot.target_capacity",
        "the capacity provider's managed scaling sizes the group",
    ),
    (
        "spot.autoscaling",
        "the capacity provider's managed scaling sizes the group (asg.target_capacity_percent and the step sizes)",
    ),
    (
        "spot.max_price",
        "the group launches spot up to the on-demand price, as AWS recommends",
    ),
    (
        "interruptions",
        "the group replaces spot instances at risk (capacity rebalancing) and ECS drains them",
    ),
    (
        "reconciler.quiet_period_seconds",
        "the fallback waits asg.return_hold_seconds instead",
    ),
    (
        "observability",
        "the stack composes no dashboard or alarm (the fallback's runs still write their metrics to the reconciler's log)",
    ),
];

/// Keys only `engine: asg` reads.
const ASG_ONLY: &[&str] = &["asg"];

/// The engine's keys, checked against where they are written in `text`. `prefix` locates
/// a region's merged config (`regions.<name>`).
pub(super) fn check(text: &str, c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let Some(positions) = Positions::of(text) else {
        return Vec::new();
    };
    let written = |path: &str| positions.written(&join_path(prefix, path)).is_some();
    let mut errs = Vec::new();
    let mut err = |path: &str, message: String| {
        errs.push(ConfigError::at(join_path(prefix, path), message));
    };
    match c.engine {
        Engine::Asg => {
            for (key, instead) in FLEET_ONLY {
                if written(key) {
                    err(
                        key,
                        format!(
                            "belongs to `engine: fleet`; with `engine: asg` {instead}. Remove it, or set `engine: fleet`"
                        ),
                    );
                }
            }
            for (i, _) in c.spot.instance_types.iter().enumerate() {
                for (field, why) in [
                    (
                        "weight",
                        "a capacity provider's Auto Scaling group cannot weight instance types (ECS developer guide, \"Amazon ECS capacity providers for EC2 workloads\"); with `engine: asg` every instance counts as one, so remove `weight`",
                    ),
                    (
                        "max_price",
                        "belongs to `engine: fleet`; with `engine: asg` the group launches spot up to the on-demand price, as AWS recommends",
                    ),
                ] {
                    let path = format!("spot.instance_types[{i}].{field}");
                    if written(&path) {
                        err(&path, why.into());
                    }
                }
            }
            let arches: std::collections::BTreeSet<Arch> = c
                .spot
                .instance_types
                .iter()
                .map(|i| Arch::of(&i.instance_type))
                .collect();
            if arches.len() > 1 {
                err(
                    "spot.instance_types",
                    "expected instance types of one architecture with `engine: asg`: the group launches from one launch template".into(),
                );
            }
            asg(c, &mut err);
        }
        Engine::Fleet => {
            for key in ASG_ONLY {
                if written(key) {
                    err(
                        key,
                        "belongs to `engine: asg`; set `engine: asg` to use it, or remove it"
                            .into(),
                    );
                }
            }
            if !written("on_demand") {
                err(
                    "on_demand",
                    "required with `engine: fleet`: the on-demand group's instance types (on_demand.instance_types)".into(),
                );
            }
        }
    }
    errs
}

/// What an `engine: asg` config that validates may still need to work, as far as it can
/// be known offline (the services run in the cluster are not in the config):
/// - always: services reach the group only through a capacity provider strategy
///   (the cluster's default, by naming none and no launch type); "Tasks without a
///   capacity provider strategy are ignored by capacity providers" (ECS developer
///   guide, managed scaling behaviour), so a `launchType: EC2` service never scales it;
/// - an override of the cluster's default strategy (`ClusterCapacityProviders`): then
///   no service that names no strategy uses the provider;
/// - a schedule slower than every minute: the backstop for lost launch-failure events.
pub(super) fn warnings(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    if c.engine != Engine::Asg {
        return Vec::new();
    }
    let mut out = vec![ConfigError::at(
        join_path(prefix, "engine"),
        "with `engine: asg` only tasks placed through a capacity provider strategy scale the group: a service with `launchType: EC2` never does (\"Tasks without a capacity provider strategy are ignored by capacity providers\", ECS developer guide). Create services with neither `launchType` nor `capacityProviderStrategy` (they take the cluster's default, this stack's capacity provider), or name the provider (the `CapacityProviderName` output); see docs/engine-asg-notes.md",
    )];
    for (path, o) in c.overrides.entries() {
        if o.resource == crate::compose::asg_ids::ASSOCIATIONS
            && o.path.contains("DefaultCapacityProviderStrategy")
        {
            out.push(ConfigError::at(
                join_path(prefix, &path),
                "changes the cluster's default capacity provider strategy: services that name no strategy then may not use this stack's capacity provider, and nothing scales the group for them",
            ));
        }
    }
    if c.reconciler.schedule != "rate(1 minute)" {
        out.push(ConfigError::at(
            join_path(prefix, "reconciler.schedule"),
            "the scheduled run is the fallback's backstop for lost launch-failure events (EventBridge delivers them on a best-effort basis): slower than `rate(1 minute)`, on-demand cover comes later when an event is lost",
        ));
    }
    out
}

/// The group's sizes, managed scaling's ranges (ECS API reference, `ManagedScaling`:
/// targetCapacity 1 to 100, step sizes 1 to 10000, instanceWarmupPeriod 0 to 10000) and
/// the fallback's bounds.
fn asg(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let a = &c.asg;
    if a.max_size == 0 {
        err(
            "asg.max_size",
            "expected at least 1: a capacity provider cannot scale out a group of at most 0 instances".into(),
        );
    }
    if a.min_size > a.max_size {
        err(
            "asg.min_size",
            format!("min_size {} is above max_size {}", a.min_size, a.max_size),
        );
    }
    if a.max_on_demand > a.max_size {
        err(
            "asg.max_on_demand",
            format!(
                "max_on_demand {} is above max_size {}: the group cannot hold them",
                a.max_on_demand, a.max_size
            ),
        );
    }
    if a.on_demand_floor > a.max_on_demand {
        err(
            "asg.on_demand_floor",
            format!(
                "on_demand_floor {} is above max_on_demand {}",
                a.on_demand_floor, a.max_on_demand
            ),
        );
    }
    if !(1..=100).contains(&a.target_capacity_percent) {
        err(
            "asg.target_capacity_percent",
            format!(
                "expected a percentage from 1 to 100, found {}",
                a.target_capacity_percent
            ),
        );
    }
    for (key, v) in [
        ("asg.minimum_scaling_step_size", a.minimum_scaling_step_size),
        ("asg.maximum_scaling_step_size", a.maximum_scaling_step_size),
    ] {
        if !(1..=10_000).contains(&v) {
            err(key, format!("expected 1 to 10000 instances, found {v}"));
        }
    }
    if a.minimum_scaling_step_size > a.maximum_scaling_step_size {
        err(
            "asg.minimum_scaling_step_size",
            format!(
                "minimum_scaling_step_size {} is above maximum_scaling_step_size {}",
                a.minimum_scaling_step_size, a.maximum_scaling_step_size
            ),
        );
    }
    if a.instance_warmup_seconds > 10_000 {
        err(
            "asg.instance_warmup_seconds",
            format!(
                "expected 0 to 10000 seconds, found {}",
                a.instance_warmup_seconds
            ),
        );
    }
    if a.return_hold_seconds == 0 || a.return_hold_seconds > 86_400 {
        err(
            "asg.return_hold_seconds",
            format!(
                "expected 1 to 86400 seconds (a day), found {}",
                a.return_hold_seconds
            ),
        );
    }
    if a.max_hold_seconds < a.return_hold_seconds || a.max_hold_seconds > 86_400 {
        err(
            "asg.max_hold_seconds",
            format!(
                "expected return_hold_seconds ({}) to 86400 seconds, found {}",
                a.return_hold_seconds, a.max_hold_seconds
            ),
        );
    }
}
