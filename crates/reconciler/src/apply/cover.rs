//! One cover per interruption notice, also when two handlers of the same
//! notice overlap (EventBridge delivers at least once, and without reserved
//! concurrency two invocations can run at once).
//!
//! [`spotcover_reconciler_core::interruption::decide_interruption`] adds the instance's
//! weight to the desired capacity it is given: additive. A handler that read
//! the group *after* another handler raised it, but read the container instance
//! *before* that handler marked it covered, would add the weight twice. So the
//! handler that covers first puts a **claim** on the container instance before
//! it raises the group: the `spotcover.covered` attribute with the value
//! `claim-<desired before the cover>`; the final mark (the epoch second)
//! replaces it after the raise. And every handler reads that attribute again
//! *after* its own group read:
//!
//! - no claim then: its group read came before any handler's claim, hence
//!   before any raise: it covers from the desired capacity it read, the same
//!   absolute value as the other handler;
//! - a claim with base `b`: it covers from `b` (the desired capacity before
//!   the cover), so it sets the same absolute `b + n` as the claimant (or
//!   nothing, when the group is already there), and completes a cover whose
//!   claimant failed before raising;
//! - a final mark: already covered, nothing to do.
//!
//! The values are [`CoverMark`]'s; a claim is not a final mark. The pure parts (the
//! group seen from a claim's base, never lowering the group) are the core's
//! [`claim_base_group`](spotcover_reconciler_core::interruption::claim_base_group) and
//! [`raise_only`](spotcover_reconciler_core::interruption::raise_only).

use spotcover_reconciler_core::ecs::{CoverMark, InstanceStatus};

use crate::adapters::Ecs;
use crate::error::ApiError;

/// Reads the container instance's [`CoverMark`] again.
pub(crate) async fn recheck<A: Ecs>(
    api: &A,
    cluster: &str,
    arn: &str,
) -> Result<CoverMark, ApiError> {
    let all = api
        .describe_container_instances(cluster, &[arn.to_owned()])
        .await?;
    Ok(all
        .into_iter()
        .find(|c| c.arn == arn)
        .map(|c| c.cover)
        .unwrap_or_default())
}

/// Whether ECS, read again, shows the container instance DRAINING: a drain whose write
/// was acknowledged and lost leaves it ACTIVE, and the final mark must then wait.
pub(crate) async fn draining_now<A: Ecs>(
    api: &A,
    cluster: &str,
    arn: &str,
) -> Result<bool, ApiError> {
    let all = api
        .describe_container_instances(cluster, &[arn.to_owned()])
        .await?;
    Ok(all
        .into_iter()
        .any(|c| c.arn == arn && c.status == InstanceStatus::Draining))
}
