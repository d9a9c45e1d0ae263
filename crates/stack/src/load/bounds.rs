//! What AWS allows, as one table: `validate` checks it (so every command that loads a
//! config does), and the published JSON Schema carries the same `minimum` and `maximum`
//! ([`apply_to_schema`]). Each bound names its source.
//!
//! The minimums are checked by `validate`'s own rules (with their own wording); this
//! module reports values above the maximum, and both go into the schema.

use crate::config::StackConfig;
use crate::error::ConfigError;

/// One numeric field's range.
pub struct Bound {
    /// Where the field sits in the JSON Schema: `$defs.<def>.properties.<field>`.
    pub def: &'static str,
    pub field: &'static str,
    pub min: u32,
    pub max: u32,
    /// Why this maximum: the AWS page, or spotcover's reason where AWS sets none.
    pub source: &'static str,
    /// The field's values in a config, each with its key path.
    values: fn(&StackConfig) -> Vec<(String, u32)>,
}

/// Target capacity per EC2 Fleet or Spot Fleet: 10,000 units.
/// <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/fleet-quotas.html>
pub const FLEET_MAX_UNITS: u32 = 10_000;

/// `WeightedCapacity` of an instance type: 1 to 999.
/// <https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html>
pub const MAX_WEIGHT: u32 = 999;

/// Spot capacity pools (instance type and subnet) per Spot Fleet: 300.
/// <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/fleet-quotas.html>
pub const MAX_SPOT_INSTANCE_TYPES: usize = 300;

/// AWS sets no maximum on cooldowns; a day is far beyond any useful one and keeps every
/// sum of times a simulator or reconciler makes far from overflowing.
pub const MAX_COOLDOWN_SECONDS: u32 = 86_400;

const FLEET: &str = "target capacity per Spot Fleet, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/fleet-quotas.html";
const WEIGHT: &str = "WeightedCapacity, https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html";
const GROUP: &str = "the group covers at most a full Spot Fleet (10,000 units, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/fleet-quotas.html); Auto Scaling itself documents no maximum";
const COOLDOWN: &str = "AWS documents no maximum; spotcover takes at most a day";

fn one(path: &str, v: u32) -> Vec<(String, u32)> {
    vec![(path.to_owned(), v)]
}

/// Every bounded field.
pub const BOUNDS: &[Bound] = &[
    Bound {
        def: "SpotConfig",
        field: "target_capacity",
        min: 0,
        max: FLEET_MAX_UNITS,
        source: FLEET,
        values: |c| one("spot.target_capacity", c.spot.target_capacity),
    },
    Bound {
        def: "SpotAutoscaling",
        field: "min_capacity",
        min: 0,
        max: FLEET_MAX_UNITS,
        source: FLEET,
        values: |c| {
            one(
                "spot.autoscaling.min_capacity",
                c.spot.autoscaling.min_capacity,
            )
        },
    },
    Bound {
        def: "SpotAutoscaling",
        field: "max_capacity",
        min: 1,
        max: FLEET_MAX_UNITS,
        source: FLEET,
        values: |c| {
            one(
                "spot.autoscaling.max_capacity",
                c.spot.autoscaling.max_capacity,
            )
        },
    },
    Bound {
        def: "SpotAutoscaling",
        field: "target_percent",
        min: 1,
        max: 100,
        source: "a percentage",
        values: |_| Vec::new(), // validate's own rule says it
    },
    Bound {
        def: "SpotAutoscaling",
        field: "scale_in_cooldown_seconds",
        min: 0,
        max: MAX_COOLDOWN_SECONDS,
        source: COOLDOWN,
        values: |c| {
            one(
                "spot.autoscaling.scale_in_cooldown_seconds",
                c.spot.autoscaling.scale_in_cooldown_seconds,
            )
        },
    },
    Bound {
        def: "SpotAutoscaling",
        field: "scale_out_cooldown_seconds",
        min: 0,
        max: MAX_COOLDOWN_SECONDS,
        source: COOLDOWN,
        values: |c| {
            one(
                "spot.autoscaling.scale_out_cooldown_seconds",
                c.spot.autoscaling.scale_out_cooldown_seconds,
            )
        },
    },
    Bound {
        def: "WeightedInstanceType",
        field: "weight",
        min: 1,
        max: MAX_WEIGHT,
        source: WEIGHT,
        values: |c| {
            c.spot
                .instance_types
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("spot.instance_types[{i}].weight"), t.weight))
                .collect()
        },
    },
    Bound {
        def: "OnDemandConfig",
        field: "weight",
        min: 1,
        max: MAX_WEIGHT,
        source: WEIGHT,
        values: |c| one("on_demand.weight", c.on_demand.weight),
    },
    Bound {
        def: "OnDemandConfig",
        field: "min_size",
        min: 0,
        max: FLEET_MAX_UNITS,
        source: GROUP,
        values: |c| one("on_demand.min_size", c.on_demand.min_size),
    },
    Bound {
        def: "OnDemandConfig",
        field: "max_size",
        min: 1,
        max: FLEET_MAX_UNITS,
        source: GROUP,
        values: |c| one("on_demand.max_size", c.on_demand.max_size),
    },
    Bound {
        def: "OnDemandConfig",
        field: "desired_capacity",
        min: 0,
        max: FLEET_MAX_UNITS,
        source: GROUP,
        values: |c| {
            c.on_demand
                .desired_capacity
                .map(|d| one("on_demand.desired_capacity", d))
                .unwrap_or_default()
        },
    },
    Bound {
        def: "OnDemandConfig",
        field: "cooldown_seconds",
        min: 0,
        max: MAX_COOLDOWN_SECONDS,
        source: COOLDOWN,
        values: |c| one("on_demand.cooldown_seconds", c.on_demand.cooldown_seconds),
    },
    Bound {
        def: "ReconcilerConfig",
        field: "memory_mb",
        min: 128,
        max: 10_240,
        source: "Lambda memory, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
        values: |_| Vec::new(), // validate's own rule says it
    },
    Bound {
        def: "ReconcilerConfig",
        field: "launch_grace_seconds",
        min: 0,
        max: 3600,
        source: "an hour",
        values: |_| Vec::new(), // validate's own rule says it
    },
    Bound {
        def: "ReconcilerConfig",
        field: "hold_seconds",
        min: 60,
        max: 86_400,
        source: "a day",
        values: |_| Vec::new(), // validate's own rule says it
    },
    Bound {
        def: "ReconcilerConfig",
        field: "max_hold_seconds",
        min: 60,
        max: 86_400,
        source: "a day",
        values: |_| Vec::new(), // validate's own rule says it
    },
    Bound {
        def: "ReconcilerConfig",
        field: "quiet_period_seconds",
        min: 0,
        max: 86_400,
        source: "a day",
        values: |_| Vec::new(), // validate's own rule says it
    },
];

/// Values above what AWS allows, and more spot instance types than a fleet takes.
pub fn check(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    for b in BOUNDS {
        for (path, v) in (b.values)(c) {
            if v > b.max {
                errors.push(ConfigError::at(
                    super::parse::join_path(prefix, &path),
                    format!("expected at most {} ({}), found {v}", b.max, b.source),
                ));
            }
        }
    }
    if c.spot.instance_types.len() > MAX_SPOT_INSTANCE_TYPES {
        errors.push(ConfigError::at(
            super::parse::join_path(prefix, "spot.instance_types"),
            format!(
                "expected at most {MAX_SPOT_INSTANCE_TYPES} instance types (spot capacity pools per Spot Fleet, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/fleet-quotas.html), found {}",
                c.spot.instance_types.len()
            ),
        ));
    }
    errors
}

/// Writes every bound's `minimum` and `maximum` into the config's JSON Schema.
/// The range of each integer format the config's types have (`uint32` for a `u32`), as
/// `minimum`/`maximum` wherever the schema has no tighter bound: the loader refuses
/// 2^32 for a `u32`, and an editor should too.
pub fn integer_formats_to_bounds(schema: &mut serde_json::Value) {
    use serde_json::Value;
    match schema {
        Value::Object(m) => {
            let range = match m.get("format").and_then(Value::as_str) {
                Some("uint8") => Some((0.0, f64::from(u8::MAX))),
                Some("uint16") => Some((0.0, f64::from(u16::MAX))),
                Some("uint32") => Some((0.0, f64::from(u32::MAX))),
                Some("int32") => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
                _ => None,
            };
            if let Some((lo, hi)) = range {
                let bound = |key: &str| m.get(key).and_then(Value::as_f64);
                let min_tighter = bound("minimum").is_some_and(|b| b >= lo);
                let max_tighter = bound("maximum").is_some_and(|b| b <= hi);
                if !min_tighter {
                    m.insert("minimum".into(), Value::from(lo as i64));
                }
                if !max_tighter {
                    m.insert("maximum".into(), Value::from(hi as i64));
                }
            }
            m.values_mut().for_each(integer_formats_to_bounds);
        }
        Value::Array(items) => items.iter_mut().for_each(integer_formats_to_bounds),
        _ => {}
    }
}

pub fn apply_to_schema(schema: &mut serde_json::Value) {
    for b in BOUNDS {
        let Some(field) = schema
            .pointer_mut(&format!("/$defs/{}/properties/{}", b.def, b.field))
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        field.insert("minimum".into(), b.min.into());
        field.insert("maximum".into(), b.max.into());
    }
    if let Some(items) = schema
        .pointer_mut("/$defs/SpotConfig/properties/instance_types")
        .and_then(serde_json::Value::as_object_mut)
    {
        items.insert("minItems".into(), 1.into());
        items.insert("maxItems".into(), MAX_SPOT_INSTANCE_TYPES.into());
    }
    if let Some(items) = schema
        .pointer_mut("/$defs/OnDemandConfig/properties/instance_types")
        .and_then(serde_json::Value::as_object_mut)
    {
        items.insert("minItems".into(), 1.into());
    }
}
