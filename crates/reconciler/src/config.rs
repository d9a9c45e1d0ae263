//! Configuration from the environment: the [`Settings`] contract of the core, read
//! into what the handler needs.

use spotcover_reconciler_core::contract::settings::{Settings, SettingsError, env};
use spotcover_reconciler_core::drain::DEFAULT_HOOK_TIMEOUT_SECS;
use spotcover_reconciler_core::interruption::InterruptionPolicy;
use spotcover_reconciler_core::policy::demand;
use spotcover_reconciler_core::policy::rule_2017;

/// Fallback fleet id; a fleet id in the event wins.
pub const ENV_FLEET_ID: &str = env::FLEET_ID;
/// Name of the on-demand Auto Scaling group (required).
pub const ENV_GROUP_NAME: &str = env::GROUP_NAME;
/// Fleet capacity units per on-demand instance, integer >= 1 (required).
pub const ENV_ON_DEMAND_WEIGHT: &str = env::ON_DEMAND_WEIGHT;
/// Quiet period in seconds (default 600).
pub const ENV_QUIET_PERIOD: &str = env::QUIET_PERIOD_SECONDS;
/// Staleness bound in seconds (default 900).
pub const ENV_STALE_AFTER: &str = env::STALE_AFTER_SECONDS;
/// ECS cluster name of the stack (required for interruption events only).
pub const ENV_CLUSTER: &str = env::CLUSTER;
/// The fleet's weights, `type=units,...` (e.g. `m6i.large=2,m6i.xlarge=4`); optional.
pub const ENV_SPOT_WEIGHTS: &str = env::SPOT_WEIGHTS;
/// `true` or `false` (default): drain and cover on rebalance recommendations too.
pub const ENV_DRAIN_ON_REBALANCE: &str = env::DRAIN_ON_REBALANCE;
/// Name of the on-demand group's `EC2_INSTANCE_TERMINATING` lifecycle hook; optional.
pub const ENV_LIFECYCLE_HOOK: &str = env::LIFECYCLE_HOOK;
/// The hook's heartbeat timeout in seconds, 30 to 7200 (default 900).
pub const ENV_HOOK_TIMEOUT: &str = env::HOOK_TIMEOUT_SECONDS;

/// The lifecycle hook settings, as [`Config`] reads them from the core's [`Settings`]
/// (`SPOTCOVER_LIFECYCLE_HOOK`, `SPOTCOVER_HOOK_TIMEOUT_SECONDS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainSettings {
    /// The hook's name; `None`: no hook, lifecycle events are refused and the
    /// scheduled run completes nothing.
    pub lifecycle_hook: Option<String>,
    /// The hook's heartbeat timeout, seconds.
    pub hook_timeout_secs: u64,
}

impl Default for DrainSettings {
    fn default() -> Self {
        Self {
            lifecycle_hook: None,
            hook_timeout_secs: DEFAULT_HOOK_TIMEOUT_SECS,
        }
    }
}

/// A configuration value that is missing or unusable.
pub type ConfigError = SettingsError;

/// What the reconciler acts on and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub fleet_id: Option<String>,
    pub group_name: String,
    pub policy: rule_2017::Settings,
    /// The stack's ECS cluster; interruption events fail without it.
    pub cluster: Option<String>,
    /// Spot weights and the rebalance switch.
    pub interruption: InterruptionPolicy,
    /// The lifecycle hook (scale-in drain of the group).
    pub drain: DrainSettings,
    /// The demand policy, when the template chose it (it then sizes the fleet and the
    /// cover); `None`: the 2017 rule ([`Config::policy`]).
    pub need: Option<demand::Settings>,
}

impl TryFrom<Settings> for Config {
    type Error = ConfigError;

    fn try_from(s: Settings) -> Result<Self, ConfigError> {
        let policy = s.policy().map_err(|_| ConfigError::Invalid {
            name: ENV_ON_DEMAND_WEIGHT,
            want: "an integer >= 1",
            got: s.on_demand_weight.to_string(),
        })?;
        Ok(Self {
            need: s.need_policy(),
            interruption: s.interruption_policy(),
            drain: DrainSettings {
                hook_timeout_secs: s.hook_timeout(),
                lifecycle_hook: s.lifecycle_hook,
            },
            fleet_id: s.fleet_id,
            group_name: s.group_name,
            policy,
            cluster: s.cluster,
        })
    }
}

impl Config {
    /// Reads the `SPOTCOVER_*` variables through `get` (e.g. `std::env::var`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Settings::from_lookup(get)?.try_into()
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
    fn unset_tunables_take_the_defaults() {
        let c = cfg(&[(ENV_GROUP_NAME, "g"), (ENV_ON_DEMAND_WEIGHT, "4")]).unwrap();
        assert_eq!(c.fleet_id, None);
        assert_eq!(c.group_name, "g");
        assert_eq!(c.policy, rule_2017::Settings::with(4, 600, 900).unwrap());
    }

    #[test]
    fn set_variables_override_the_defaults() {
        let c = cfg(&[
            (ENV_FLEET_ID, "sfr-abc-123"),
            (ENV_GROUP_NAME, "g"),
            (ENV_ON_DEMAND_WEIGHT, " 2 "),
            (ENV_QUIET_PERIOD, "60"),
            (ENV_STALE_AFTER, "300"),
        ])
        .unwrap();
        assert_eq!(c.fleet_id.as_deref(), Some("sfr-abc-123"));
        assert_eq!(c.policy, rule_2017::Settings::with(2, 60, 300).unwrap());
    }

    const BASE: [(&str, &str); 2] = [(ENV_GROUP_NAME, "g"), (ENV_ON_DEMAND_WEIGHT, "2")];

    fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
        let mut v = BASE.to_vec();
        v.extend_from_slice(extra);
        cfg(&v)
    }

    #[test]
    fn interruption_variables_are_optional() {
        let c = with(&[]).unwrap();
        assert_eq!(c.cluster, None);
        assert_eq!(c.interruption, InterruptionPolicy::default());
    }

    #[test]
    fn interruption_variables_are_read() {
        let c = with(&[
            (ENV_CLUSTER, "spotcover-quickstart"),
            (ENV_SPOT_WEIGHTS, "m6i.large=2, m5.large=2,m6i.xlarge=4,"),
            (ENV_DRAIN_ON_REBALANCE, "true"),
        ])
        .unwrap();
        assert_eq!(c.cluster.as_deref(), Some("spotcover-quickstart"));
        assert!(c.interruption.drain_on_rebalance);
        assert_eq!(
            c.interruption.spot_weights,
            [("m5.large", 2), ("m6i.large", 2), ("m6i.xlarge", 4)]
                .into_iter()
                .map(|(t, w)| (t.to_owned(), w))
                .collect()
        );
    }

    #[test]
    fn malformed_interruption_variables_are_errors_naming_the_variable() {
        for (var, bad) in [
            (ENV_SPOT_WEIGHTS, "m6i.large"),
            (ENV_SPOT_WEIGHTS, "m6i.large=0"),
            (ENV_SPOT_WEIGHTS, "m6i.large=1.5"),
            (ENV_SPOT_WEIGHTS, "=2"),
            (ENV_SPOT_WEIGHTS, "a=1,a=2"),
            (ENV_DRAIN_ON_REBALANCE, "yes"),
        ] {
            let e = with(&[(var, bad)]).unwrap_err();
            assert!(e.to_string().starts_with(var), "{e}");
        }
    }

    #[test]
    fn without_hook_variables_there_is_no_hook_and_the_timeout_is_900() {
        assert_eq!(with(&[]).unwrap().drain, DrainSettings::default());
        assert_eq!(DrainSettings::default().hook_timeout_secs, 900);
    }

    #[test]
    fn hook_variables_are_read_trimmed() {
        let c = with(&[(ENV_LIFECYCLE_HOOK, " drain "), (ENV_HOOK_TIMEOUT, "30")]).unwrap();
        assert_eq!(c.drain.lifecycle_hook.as_deref(), Some("drain"));
        assert_eq!(c.drain.hook_timeout_secs, 30);
    }

    #[test]
    fn drain_on_rebalance_ignores_case() {
        let c = with(&[(ENV_DRAIN_ON_REBALANCE, "False")]).unwrap();
        assert!(!c.interruption.drain_on_rebalance);
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
