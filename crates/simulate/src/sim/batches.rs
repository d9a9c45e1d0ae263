//! The instances of a world as batches, and the fleet's interruption warnings: data the
//! world holds, the fleet and the group evolve, and the policies read.

/// Spot instances of one pool launched in the same minute that register in the same
/// minute. Instance `k` of the batch has id `first_id + k`.
#[derive(Debug, Clone)]
pub(super) struct SpotBatch {
    pub(super) first_id: u32,
    pub(super) pool: usize,
    pub(super) count: u32,
    /// First minute the instances are registered in ECS (tasks can be placed).
    pub(super) serve_at: u32,
}

/// A spot interruption warning for the instances of a batch.
#[derive(Debug, Clone)]
pub(super) struct Warning {
    pub(super) first_id: u32,
    pub(super) count: u32,
    pub(super) instance_type: String,
    /// Registered in the ECS cluster. An instance still launching has no container
    /// instance yet: the reconciler does not find it.
    pub(super) registered: bool,
}

/// On-demand instances launched in the same minute that run and register together.
#[derive(Debug, Clone)]
pub(super) struct OdBatch {
    pub(super) count: u32,
    /// First minute the instances are InService (the scaling activity is complete).
    pub(super) running_at: u32,
    pub(super) serve_at: u32,
}
