//! What `engine: asg`'s calls answer, as the fallback run reads it: the capacity
//! provider's group and the cluster's tasks. A leaf, so the SDK adapter and the
//! fallback's calls can both name these types.

use serde::Serialize;

/// The capacity provider's group as `DescribeAutoScalingGroups` answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FallbackGroup {
    pub desired: u32,
    pub min: u32,
    pub max: u32,
    /// `MixedInstancesPolicy.InstancesDistribution.OnDemandBaseCapacity` (0 when absent).
    pub base: u32,
    pub new_instances_protected: bool,
    pub instances: Vec<GroupInstance>,
    /// The fallback's state tag ([`FALLBACK_STATE_TAG`](spotcover_reconciler_core::contract::tags::FALLBACK_STATE_TAG)).
    pub state_tag: Option<String>,
}

/// One of the group's instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupInstance {
    pub id: String,
    /// `LifecycleState`: `Pending`, `InService`, `Terminating`, ...
    pub lifecycle_state: String,
    pub protected: bool,
}

impl GroupInstance {
    /// Launching or in service: not on its way out (`Terminating*`, `Terminated`,
    /// `Detaching`, `Detached`, `EnteringStandby`, `Standby`).
    pub fn is_live(&self) -> bool {
        let s = self.lifecycle_state.as_str();
        s.starts_with("Pending") || s == "InService"
    }
}

/// A task as `DescribeTasks` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskView {
    pub arn: String,
    /// `lastStatus`: `PROVISIONING`, `PENDING`, `RUNNING`, ...
    pub last_status: String,
    /// `capacityProviderName`, when the task was placed by a capacity provider strategy.
    pub capacity_provider: Option<String>,
    /// `launchType`, when the task (or its service) named one.
    pub launch_type: Option<String>,
}
