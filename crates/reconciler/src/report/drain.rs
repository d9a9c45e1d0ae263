//! The drain part of the invocation's log line: per instance, what was done and why.

use serde::Serialize;
use spotcover_reconciler_core::drain::SurplusBasis;
use spotcover_reconciler_core::ecs::CapacityKind;

/// What was done (or, in a dry run, would be done) to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `UpdateContainerInstancesState` DRAINING.
    Drain,
    /// `CompleteLifecycleAction` CONTINUE.
    CompleteLifecycleAction,
    /// EC2 `TerminateInstances`.
    Terminate,
    /// `UpdateContainerInstancesState` ACTIVE and the surplus mark removed.
    Reactivate,
    /// Nothing yet: tasks still run.
    Wait,
    /// `SetDesiredCapacity` and the final `spotcover.covered` mark of a cover an
    /// interruption notice claimed and never confirmed.
    FinishCover,
    /// `PutAttributes` an adopted `spotcover.surplus` mark on a spot instance found
    /// DRAINING without any mark.
    Adopt,
}

/// Why, machine-readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The lifecycle hook holds the instance.
    LifecycleHook,
    Drained,
    Timeout,
    NotInCluster,
    /// Fleet capacity above its target.
    FleetSurplus,
    /// The surplus is gone (the target rose, or the metrics are in doubt).
    SurplusGone,
    /// An interruption notice claimed the cover and did not confirm it.
    ClaimedCover,
    /// DRAINING without the mark of whoever drained it.
    LostMark,
}

/// One line of the drain report: an instance, what happened and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceReport {
    pub instance_id: Option<String>,
    pub container_instance: String,
    /// The `spotcover.capacity` attribute (`spot`, `on-demand`, `unknown`).
    pub capacity: CapacityKind,
    pub step: Step,
    pub why: Why,
    /// Human-readable: "drained", "timeout, 2 tasks still running", "not in
    /// cluster", ...
    pub message: String,
    /// Running plus pending tasks when decided.
    pub tasks: Option<u32>,
    /// The call succeeded (false in a dry run, on error, and for `wait`).
    pub done: bool,
    /// `CompleteLifecycleAction` found no active action (another run, or the
    /// hook's timeout, completed it): done all the same.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_completed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The fleet surplus as decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurplusReport {
    pub basis: SurplusBasis,
    pub target: Option<f64>,
    pub fulfilled: Option<f64>,
    pub registered_units: u32,
    pub surplus_units: u32,
}

/// The lifecycle event, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleEventReport {
    pub instance_id: String,
    pub group: String,
    pub hook: String,
    /// Set when the event is not for this stack's group and hook (or not a
    /// termination): nothing was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<&'static str>,
}

/// The drain part of the log line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DrainReport {
    /// Set when the fleet's surplus was not planned because a read it needs failed
    /// (the fleet's metrics or the group): nothing is drained or given back then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surplus_skipped: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_event: Option<LifecycleEventReport>,
    /// Container instances seen in the cluster (scheduled runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surplus: Option<SurplusReport>,
    pub instances: Vec<InstanceReport>,
}

impl DrainReport {
    pub fn new() -> Self {
        Self::default()
    }

    /// True iff any call changed something.
    pub fn changed(&self) -> bool {
        self.instances
            .iter()
            .any(|i| i.done && i.step != Step::Wait)
    }

    /// True iff anything would change (dry run) or changed.
    pub fn acts(&self) -> bool {
        self.instances.iter().any(|i| i.step != Step::Wait)
    }
}
