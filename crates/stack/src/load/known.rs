//! Regions and instance types AWS has, as spotcover ships them ([`crate::aws`]), or as the
//! config allows them (`allow:`).

use super::parse::join_path;
use super::validate::check_instance_type;
use crate::aws;
use crate::config::StackConfig;
use crate::error::ConfigError;

/// Instance types that are well formed but not EC2's (`zz99.large`).
pub fn instance_types(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let spot = c
        .spot
        .instance_types
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("spot.instance_types[{i}].type"), &t.instance_type));
    let on_demand = c
        .on_demand
        .instance_types
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("on_demand.instance_types[{i}]"), t));
    spot.chain(on_demand)
        .filter(|(_, t)| check_instance_type(t).is_ok())
        .filter(|(_, t)| !aws::is_known_instance_type(t) && !c.allow.instance_types.contains(t))
        .map(|(path, t)| {
            ConfigError::at(
                join_path(prefix, &path),
                format!(
                    "{t:?} is not an EC2 instance type (as of {}): check the spelling; if AWS added it since, list it under `allow.instance_types`",
                    aws::source()
                ),
            )
        })
        .collect()
}

/// Region names that are well formed but not AWS's (`us-east-9`).
pub fn regions(c: &StackConfig) -> Vec<ConfigError> {
    c.regions
        .keys()
        .filter(|r| super::regions::is_region_name(r))
        .filter(|r| !aws::is_known_region(r) && !c.allow.regions.contains(r))
        .map(|r| {
            ConfigError::at(
                super::regions::prefix(r),
                format!(
                    "{r:?} is not an AWS region (as of {}): check the spelling; if AWS opened it since, list it under `allow.regions`",
                    aws::source()
                ),
            )
        })
        .collect()
}
