//! The one structured log line of an invocation ([`Report`]), which is also the Lambda's
//! answer.

mod drain;
mod fallback;

pub use self::drain::*;
pub use self::fallback::*;

use serde::Serialize;
use spotcover_reconciler_core::contract::events::Notice;
use spotcover_reconciler_core::ecs::ContainerInstance;
use spotcover_reconciler_core::interruption::InterruptionDecision;
use spotcover_reconciler_core::policy::demand::units::UnitSize;
use spotcover_reconciler_core::policy::demand::{self, FleetState};
use spotcover_reconciler_core::policy::rule_2017::{Datapoint, Decision};
use spotcover_reconciler_core::{EpochSeconds, GroupState};

use crate::error::Error;

/// What was observed, for the log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    pub window: (EpochSeconds, EpochSeconds),
    pub target_latest: Option<Datapoint>,
    pub fulfilled_latest: Option<Datapoint>,
    pub target_points: usize,
    pub fulfilled_points: usize,
    pub group: Option<GroupState>,
}

/// How the invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The decision was to do nothing.
    NoAction,
    /// `SetDesiredCapacity` succeeded.
    Applied,
    /// `SetDesiredCapacity` refused inside the cooldown (expected).
    InCooldown,
    /// Dry run: the decision was not applied.
    DryRun,
    /// See [`Report::error`].
    Error,
}

/// An error in the log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    pub kind: &'static str,
    pub message: String,
}

/// The one structured log line of an invocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always `"spotcover.reconcile"`.
    pub log: &'static str,
    pub fleet_id: Option<String>,
    pub group: Option<String>,
    pub now: EpochSeconds,
    pub dry_run: bool,
    pub observed: Option<Observed>,
    pub decision: Option<Decision>,
    pub result: Outcome,
    pub error: Option<ErrorInfo>,
    /// AWS API calls made.
    pub api_calls: u32,
    /// Only for EC2 instance notices (absent from the line otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruption: Option<InterruptionReport>,
    /// Only when draining was considered: lifecycle hook events, and scheduled
    /// runs with a cluster (absent from the line otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain: Option<DrainReport>,
    /// Only under the demand policy (absent from the line otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<NeedReport>,
    /// Only under `engine: asg`: the fallback's run (absent from the line otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackReport>,
    /// Only for the teardown custom resource's requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teardown: Option<TeardownReport>,
}

/// The part of the log line about the demand policy's run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedReport {
    /// The fleet as `DescribeSpotFleetRequests` answered, when it did.
    pub fleet: Option<FleetState>,
    /// Services' tasks that exist nowhere (could not be placed).
    pub waiting_tasks: u32,
    /// Units of the on-demand group's instances registered in ECS (ACTIVE).
    pub on_demand_units: u32,
    /// The fleet unit's size used (CPU units, memory MiB).
    pub unit: Option<UnitSize>,
    pub view: Option<demand::Observation>,
    pub decision: Option<demand::Decision>,
    /// `ModifySpotFleetRequest` succeeded.
    pub fleet_modified: bool,
    /// `SetDesiredCapacity` succeeded.
    pub group_set: bool,
    /// `CreateOrUpdateTags` wrote the new state.
    pub state_written: bool,
    /// The reads that failed (`group`, `fleet`, `container_instances`, `services`): the
    /// run could not decide on what it lacked. Empty when every read answered.
    pub undecided: Vec<&'static str>,
}

/// The part of the log line about an EC2 instance notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterruptionReport {
    pub notice: Notice,
    pub instance_id: String,
    /// `instance-action` of a warning (`terminate`, `stop`, `hibernate`).
    pub instance_action: Option<String>,
    pub cluster: Option<String>,
    /// The instance's container instance in the cluster, if found.
    pub container_instance: Option<ContainerInstance>,
    /// The on-demand group before the decision, when it was needed.
    pub group_state: Option<GroupState>,
    pub decision: Option<InterruptionDecision>,
    /// `UpdateContainerInstancesState` DRAINING succeeded.
    pub drained: bool,
    /// `SetDesiredCapacity` succeeded.
    pub raised: bool,
    /// `PutAttributes` spotcover.covered succeeded.
    pub marked: bool,
}

impl Report {
    /// An empty report of a run at `now`.
    pub fn new(now: EpochSeconds, dry_run: bool) -> Self {
        Self {
            log: "spotcover.reconcile",
            fleet_id: None,
            group: None,
            now,
            dry_run,
            observed: None,
            decision: None,
            result: Outcome::NoAction,
            error: None,
            api_calls: 0,
            interruption: None,
            drain: None,
            need: None,
            fallback: None,
            teardown: None,
        }
    }

    /// The report with the error recorded.
    pub fn fail(mut self, e: &Error) -> Self {
        self.result = Outcome::Error;
        self.error = Some(ErrorInfo {
            kind: e.kind(),
            message: e.to_string(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.result == Outcome::Error
    }

    /// Folds drain work (its calls, its part of the line, its first error) in.
    pub fn absorb_drain(&mut self, calls: u32, report: DrainReport, error: Option<Error>) {
        self.api_calls += calls;
        if self.error.is_none()
            && let Some(e) = &error
        {
            *self = std::mem::replace(self, Report::new(0, false)).fail(e);
        }
        if self.result == Outcome::NoAction && report.acts() {
            self.result = if self.dry_run {
                Outcome::DryRun
            } else if report.changed() {
                Outcome::Applied
            } else {
                self.result
            };
        }
        self.drain = Some(report);
    }

    /// The report as one JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"log\":\"spotcover.reconcile\",\"result\":\"error\",\"error\":{{\"kind\":\"serialize\",\"message\":\"{e}\"}}}}"))
    }
}

/// The report of a notice's handling: its outcome from what was done, and the error.
pub(crate) fn of_notice(mut r: Report, ir: InterruptionReport, err: Option<Error>) -> Report {
    let dry_run = r.dry_run;
    r.result = match (&err, &ir.decision) {
        (Some(_), _) => Outcome::Error,
        (None, Some(d)) if d.acts() && dry_run => Outcome::DryRun,
        (None, _) if ir.drained || ir.raised || ir.marked => Outcome::Applied,
        _ => Outcome::NoAction,
    };
    r.interruption = Some(ir);
    match err {
        Some(e) => r.fail(&e),
        None => r,
    }
}
