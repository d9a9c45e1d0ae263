//! The parts of the log line about `engine: asg`: the fallback's run and the teardown
//! custom resource's request.

use serde::Serialize;
use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::policy::fallback::{Decision, Observation, format_state};

/// What the fallback saw, for the log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FallbackSeen {
    pub base: u32,
    pub desired: u32,
    pub spot: u32,
    /// Live on-demand instances: (id, tasks, draining).
    pub on_demand: Vec<(String, u32, bool)>,
    pub unknown: u32,
    pub spot_failure_at: Option<EpochSeconds>,
    pub provisioning: u32,
}

impl From<&Observation> for FallbackSeen {
    fn from(o: &Observation) -> Self {
        Self {
            base: o.base,
            desired: o.desired,
            spot: o.spot,
            on_demand: o
                .on_demand
                .iter()
                .map(|i| (i.id.clone(), i.tasks, i.draining))
                .collect(),
            unknown: o.unknown,
            spot_failure_at: o.spot_failure_at,
            provisioning: o.provisioning,
        }
    }
}

/// What the fallback decided, for the log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FallbackDecided {
    pub base: Option<u32>,
    pub drain: Vec<String>,
    pub reactivate: Vec<String>,
    pub terminate: Vec<String>,
    /// The state tag's new text.
    pub state: String,
}

impl From<&Decision> for FallbackDecided {
    fn from(d: &Decision) -> Self {
        Self {
            base: d.base,
            drain: d.drain.clone(),
            reactivate: d.reactivate.clone(),
            terminate: d.terminate.clone(),
            state: format_state(&d.state),
        }
    }
}

/// The fallback's run: what it saw, decided and wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FallbackReport {
    pub seen: Option<FallbackSeen>,
    pub decided: Option<FallbackDecided>,
    /// The decision's reason, as the metrics name it.
    pub reason: Option<&'static str>,
    /// Tasks of services that name a launch type instead of a capacity provider
    /// strategy and could not be placed: they never scale the group.
    pub waiting_without_provider: Option<u32>,
    /// The spot failure the launch-failure event told, if this run had one.
    pub event_failure_at: Option<EpochSeconds>,
    /// Writes that succeeded, in order.
    pub applied: Vec<&'static str>,
}

/// The teardown custom resource's request and answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TeardownReport {
    pub request_type: String,
    pub request_id: String,
    pub group: Option<String>,
    /// `SUCCESS` or `FAILED`.
    pub status: &'static str,
    pub reason: Option<String>,
    /// Instances whose scale-in protection was cleared.
    pub unprotected: u32,
    /// The PUT to the response URL succeeded.
    pub answered: bool,
}
