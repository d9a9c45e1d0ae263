//! Configuration from the environment (a contract with the synthesized template).

use std::collections::BTreeMap;

use spotcover_reconciler_core::{
    DEFAULT_QUIET_PERIOD_SECS, DEFAULT_STALE_AFTER_SECS, InterruptionPolicy, Policy,
};

/// Fallback fleet id; a fleet id in the event wins.
pub const ENV_FLEET_ID: &str = "SPOTCOVER_FLEET_ID";
/// Name of the on-demand Auto Scaling group (required).
pub const ENV_GROUP_NAME: &str = "SPOTCOVER_GROUP_NAME";
/// Fleet capacity units per on-demand instance, integer >= 1 (required).
pub const ENV_ON_DEMAND_WEIGHT: &str = "SPOTCOVER_ON_DEMAND_WEIGHT";
/// Quiet period in seconds (default 600).
pub const ENV_QUIET_PERIOD: &str = "SPOTCOVER_QUIET_PERIOD_SECONDS";
/// Staleness bound in seconds (default 900).
pub const ENV_STALE_AFTER: &str = "SPOTCOVER_STALE_AFTER_SECONDS";

/// ECS cluster name of the stack (required for interruption events only).
pub const ENV_CLUSTER: &str = "SPOTCOVER_CLUSTER";
/// The fleet's weights, `type=units,...` (e.g. `m6i.large=2,m6i.xlarge=4`); optional.
pub const ENV_SPOT_WEIGHTS: &str = "SPOTCOVER_SPOT_WEIGHTS";
/// `true` or `false` (default): drain and cover on rebalance recommendations too.
pub const ENV_DRAIN_ON_REBALANCE: &str = "SPOTCOVER_DRAIN_ON_REBALANCE";
/// Name of the on-demand group's `EC2_INSTANCE_TERMINATING` lifecycle hook; optional.
pub const ENV_LIFECYCLE_HOOK: &str = "SPOTCOVER_LIFECYCLE_HOOK";
/// The hook's heartbeat timeout in seconds, 30 to 7200 (default 900).
pub const ENV_HOOK_TIMEOUT: &str = "SPOTCOVER_HOOK_TIMEOUT_SECONDS";

/// A configuration value that is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} must be {want}, got {got:?}")]
    Invalid {
        name: &'static str,
        want: &'static str,
        got: String,
    },
}

/// What the reconciler acts on and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub fleet_id: Option<String>,
    pub group_name: String,
    pub policy: Policy,
    /// The stack's ECS cluster; interruption events fail without it.
    pub cluster: Option<String>,
    /// Spot weights and the rebalance switch.
    pub interruption: InterruptionPolicy,
    /// The lifecycle hook (scale-in drain of the group).
    pub drain: crate::drain::DrainSettings,
}

/// Parses `type=units,...`: types non-empty and distinct, units integers >= 1.
/// Blank entries (`a=1,,b=2`, a trailing comma) are ignored.
pub fn parse_weights(s: &str) -> Result<BTreeMap<String, u32>, ConfigError> {
    let invalid = || ConfigError::Invalid {
        name: ENV_SPOT_WEIGHTS,
        want: "instance-type=weight pairs separated by commas, weights integers >= 1",
        got: s.to_owned(),
    };
    let mut out = BTreeMap::new();
    for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (ty, w) = entry.split_once('=').ok_or_else(invalid)?;
        let (ty, w) = (ty.trim(), w.trim());
        let w: u32 = w.parse().map_err(|_| invalid())?;
        if ty.is_empty() || w == 0 || out.insert(ty.to_owned(), w).is_some() {
            return Err(invalid());
        }
    }
    Ok(out)
}

fn boolean(name: &'static str, v: Option<String>) -> Result<bool, ConfigError> {
    match non_empty(v) {
        None => Ok(false),
        Some(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(s) => Err(ConfigError::Invalid {
            name,
            want: "true or false",
            got: s,
        }),
    }
}

/// A fleet id as EC2 writes it: `sfr-` then letters, digits and dashes.
pub fn valid_fleet_id(id: &str) -> bool {
    id.strip_prefix("sfr-").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn number<T: std::str::FromStr>(
    name: &'static str,
    want: &'static str,
    v: Option<String>,
    default: Option<T>,
) -> Result<T, ConfigError> {
    match (non_empty(v), default) {
        (None, Some(d)) => Ok(d),
        (None, None) => Err(ConfigError::Missing(name)),
        (Some(s), _) => s
            .parse()
            .map_err(|_| ConfigError::Invalid { name, want, got: s }),
    }
}

impl Config {
    /// Reads the `SPOTCOVER_*` variables through `get` (e.g. `std::env::var`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let fleet_id = non_empty(get(ENV_FLEET_ID));
        if let Some(id) = &fleet_id
            && !valid_fleet_id(id)
        {
            return Err(ConfigError::Invalid {
                name: ENV_FLEET_ID,
                want: "a Spot Fleet request id (sfr-...)",
                got: id.clone(),
            });
        }
        let group_name =
            non_empty(get(ENV_GROUP_NAME)).ok_or(ConfigError::Missing(ENV_GROUP_NAME))?;
        let weight: u32 = number(
            ENV_ON_DEMAND_WEIGHT,
            "an integer >= 1",
            get(ENV_ON_DEMAND_WEIGHT),
            None,
        )?;
        let quiet = number(
            ENV_QUIET_PERIOD,
            "a whole number of seconds",
            get(ENV_QUIET_PERIOD),
            Some(DEFAULT_QUIET_PERIOD_SECS),
        )?;
        let stale = number(
            ENV_STALE_AFTER,
            "a whole number of seconds",
            get(ENV_STALE_AFTER),
            Some(DEFAULT_STALE_AFTER_SECS),
        )?;
        let policy = Policy::with(weight, quiet, stale).map_err(|_| ConfigError::Invalid {
            name: ENV_ON_DEMAND_WEIGHT,
            want: "an integer >= 1",
            got: weight.to_string(),
        })?;
        let interruption = InterruptionPolicy {
            spot_weights: parse_weights(&get(ENV_SPOT_WEIGHTS).unwrap_or_default())?,
            drain_on_rebalance: boolean(ENV_DRAIN_ON_REBALANCE, get(ENV_DRAIN_ON_REBALANCE))?,
        };
        Ok(Self {
            fleet_id,
            group_name,
            policy,
            cluster: non_empty(get(ENV_CLUSTER)),
            interruption,
            drain: crate::drain::DrainSettings::from_lookup(&get)?,
        })
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_overrides() {
        let c = cfg(&[(ENV_GROUP_NAME, "g"), (ENV_ON_DEMAND_WEIGHT, "4")]).unwrap();
        assert_eq!(c.fleet_id, None);
        assert_eq!(c.group_name, "g");
        assert_eq!(c.policy, Policy::with(4, 600, 900).unwrap());
        let c = cfg(&[
            (ENV_FLEET_ID, "sfr-abc-123"),
            (ENV_GROUP_NAME, "g"),
            (ENV_ON_DEMAND_WEIGHT, " 2 "),
            (ENV_QUIET_PERIOD, "60"),
            (ENV_STALE_AFTER, "300"),
        ])
        .unwrap();
        assert_eq!(c.fleet_id.as_deref(), Some("sfr-abc-123"));
        assert_eq!(c.policy, Policy::with(2, 60, 300).unwrap());
    }

    #[test]
    fn interruption_settings() {
        let base = [(ENV_GROUP_NAME, "g"), (ENV_ON_DEMAND_WEIGHT, "2")];
        let c = cfg(&base).unwrap();
        assert_eq!(c.cluster, None);
        assert_eq!(c.interruption, InterruptionPolicy::default());
        let mut v = base.to_vec();
        v.extend([
            (ENV_CLUSTER, "spotcover-quickstart"),
            (ENV_SPOT_WEIGHTS, "m6i.large=2, m5.large=2,m6i.xlarge=4,"),
            (ENV_DRAIN_ON_REBALANCE, "true"),
        ]);
        let c = cfg(&v).unwrap();
        assert_eq!(c.cluster.as_deref(), Some("spotcover-quickstart"));
        assert!(c.interruption.drain_on_rebalance);
        assert_eq!(
            c.interruption.spot_weights,
            [("m5.large", 2), ("m6i.large", 2), ("m6i.xlarge", 4)]
                .into_iter()
                .map(|(t, w)| (t.to_owned(), w))
                .collect()
        );
        for (var, bad) in [
            (ENV_SPOT_WEIGHTS, "m6i.large"),
            (ENV_SPOT_WEIGHTS, "m6i.large=0"),
            (ENV_SPOT_WEIGHTS, "m6i.large=1.5"),
            (ENV_SPOT_WEIGHTS, "=2"),
            (ENV_SPOT_WEIGHTS, "a=1,a=2"),
            (ENV_DRAIN_ON_REBALANCE, "yes"),
        ] {
            let mut v = base.to_vec();
            v.push((var, bad));
            let e = cfg(&v).unwrap_err();
            assert!(e.to_string().starts_with(var), "{e}");
        }
        let mut v = base.to_vec();
        v.push((ENV_DRAIN_ON_REBALANCE, "False"));
        assert!(!cfg(&v).unwrap().interruption.drain_on_rebalance);
    }

    #[test]
    fn errors_name_the_variable() {
        let e = cfg(&[(ENV_ON_DEMAND_WEIGHT, "4")]).unwrap_err();
        assert_eq!(e.to_string(), "SPOTCOVER_GROUP_NAME is not set");
        let e = cfg(&[(ENV_GROUP_NAME, "g")]).unwrap_err();
        assert_eq!(e.to_string(), "SPOTCOVER_ON_DEMAND_WEIGHT is not set");
        for bad in ["0", "-1", "x", "1.5"] {
            let e = cfg(&[(ENV_GROUP_NAME, "g"), (ENV_ON_DEMAND_WEIGHT, bad)]).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("SPOTCOVER_ON_DEMAND_WEIGHT must be an integer >= 1"),
                "{e}"
            );
        }
        let e = cfg(&[
            (ENV_GROUP_NAME, "g"),
            (ENV_ON_DEMAND_WEIGHT, "1"),
            (ENV_QUIET_PERIOD, "10m"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains(ENV_QUIET_PERIOD));
        let e = cfg(&[
            (ENV_FLEET_ID, "fleet"),
            (ENV_GROUP_NAME, "g"),
            (ENV_ON_DEMAND_WEIGHT, "1"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains(ENV_FLEET_ID));
    }
}
