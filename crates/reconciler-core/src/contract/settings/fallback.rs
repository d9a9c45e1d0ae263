//! The fallback's settings as the template writes them into the Lambda's environment
//! ([`Settings::to_env`]) and the Lambda reads them back ([`Settings::from_lookup`]).

use std::fmt;

use crate::policy::fallback::Settings;

/// The environment variable names of the fallback's settings.
pub mod env {
    /// The group's name (required).
    pub const GROUP_NAME: &str = "SPOTCOVER_FALLBACK_GROUP";
    /// The ECS cluster (required).
    pub const CLUSTER: &str = "SPOTCOVER_FALLBACK_CLUSTER";
    /// The capacity provider's name (required).
    pub const CAPACITY_PROVIDER: &str = "SPOTCOVER_FALLBACK_CAPACITY_PROVIDER";
    /// The base at rest, instances (required).
    pub const FLOOR: &str = "SPOTCOVER_FALLBACK_FLOOR";
    /// The most the base is raised to, instances (required).
    pub const MAX_ON_DEMAND: &str = "SPOTCOVER_FALLBACK_MAX_ON_DEMAND";
    /// The first hold before a return to spot, seconds (required).
    pub const RETURN_HOLD_SECONDS: &str = "SPOTCOVER_FALLBACK_RETURN_HOLD_SECONDS";
    /// The longest hold, seconds (required).
    pub const MAX_HOLD_SECONDS: &str = "SPOTCOVER_FALLBACK_MAX_HOLD_SECONDS";
}

/// A fallback variable that is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsError {
    Missing(&'static str),
    Invalid { name: &'static str, got: String },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Missing(name) => write!(f, "{name} is not set"),
            SettingsError::Invalid { name, got } => {
                write!(f, "{name} must be a whole number, got {got:?}")
            }
        }
    }
}

impl std::error::Error for SettingsError {}

impl<V: Clone + From<String>> Settings<V> {
    /// The variables, in a fixed order.
    pub fn to_env(&self) -> Vec<(&'static str, V)> {
        let n = |x: u64| V::from(x.to_string());
        vec![
            (env::GROUP_NAME, self.group_name.clone()),
            (env::CLUSTER, self.cluster.clone()),
            (env::CAPACITY_PROVIDER, self.capacity_provider.clone()),
            (env::FLOOR, n(u64::from(self.floor))),
            (env::MAX_ON_DEMAND, n(u64::from(self.max_on_demand))),
            (env::RETURN_HOLD_SECONDS, n(self.return_hold_secs)),
            (env::MAX_HOLD_SECONDS, n(self.max_hold_secs)),
        ]
    }
}

impl Settings<String> {
    /// Reads what [`Settings::to_env`] wrote.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let text = |name: &'static str| get(name).ok_or(SettingsError::Missing(name));
        let number = |name: &'static str| -> Result<u64, SettingsError> {
            let got = text(name)?;
            got.trim()
                .parse()
                .map_err(|_| SettingsError::Invalid { name, got })
        };
        let small = |name: &'static str| -> Result<u32, SettingsError> {
            let v = number(name)?;
            u32::try_from(v).map_err(|_| SettingsError::Invalid {
                name,
                got: v.to_string(),
            })
        };
        Ok(Settings {
            group_name: text(env::GROUP_NAME)?,
            cluster: text(env::CLUSTER)?,
            capacity_provider: text(env::CAPACITY_PROVIDER)?,
            floor: small(env::FLOOR)?,
            max_on_demand: small(env::MAX_ON_DEMAND)?,
            return_hold_secs: number(env::RETURN_HOLD_SECONDS)?,
            max_hold_secs: number(env::MAX_HOLD_SECONDS)?,
        })
    }
}
