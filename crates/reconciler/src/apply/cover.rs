//! One cover per interruption notice, also when two handlers of the same
//! notice overlap (EventBridge delivers at least once, and without reserved
//! concurrency two invocations can run at once).
//!
//! [`spotcover_reconciler_core::decide_interruption`] adds the instance's
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
//! A claim is not a final mark: [`is_final`] is what the core's "covered" means.

use spotcover_reconciler_core::{Action, GroupState};

use crate::api::{ApiError, ClusterApi};

/// Prefix of a claim's value.
pub const CLAIM_PREFIX: &str = "claim-";

/// The claim's value for a cover from `base`.
pub fn claim_value(base: u32) -> String {
    format!("{CLAIM_PREFIX}{base}")
}

/// The base of a claim, if `value` is one.
pub fn parse_claim(value: &str) -> Option<u32> {
    value.strip_prefix(CLAIM_PREFIX)?.parse().ok()
}

/// True iff the `spotcover.covered` value says the cover is complete.
pub fn is_final(value: Option<&str>) -> bool {
    value.is_some_and(|v| parse_claim(v).is_none())
}

/// What the second read of the container instance found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recheck {
    /// No claim, no mark.
    Free,
    /// Another handler claimed the cover from this desired capacity.
    Claimed(u32),
    /// Covered meanwhile.
    Covered,
}

/// Reads the container instance's `spotcover.covered` attribute again.
pub async fn recheck<A: ClusterApi>(
    api: &A,
    cluster: &str,
    arn: &str,
) -> Result<Recheck, ApiError> {
    let all = api
        .describe_container_instances(cluster, &[arn.to_owned()])
        .await?;
    let value = all
        .into_iter()
        .find(|c| c.arn == arn)
        .and_then(|c| c.covered);
    Ok(match value.as_deref() {
        None => Recheck::Free,
        Some(v) => parse_claim(v).map_or(Recheck::Covered, Recheck::Claimed),
    })
}

/// The group as the decision should see it: desired = the claim's base, if any.
pub fn base_group(g: &GroupState, claim: Option<u32>) -> GroupState {
    GroupState {
        desired: claim.unwrap_or(g.desired),
        ..*g
    }
}

/// Never lower the group from a notice: a raise to at most what it already
/// has is no call at all.
pub fn at_least(action: Action, current: u32) -> Action {
    match action {
        Action::SetDesired { desired, .. } if desired <= current => Action::None,
        a => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_round_trip_and_are_not_final() {
        assert_eq!(parse_claim(&claim_value(7)), Some(7));
        assert_eq!(parse_claim("1800000000"), None);
        assert!(!is_final(Some("claim-3")));
        assert!(is_final(Some("1800000000")));
        assert!(!is_final(None));
    }

    #[test]
    fn a_notice_never_lowers_the_group() {
        let set = |d| Action::SetDesired {
            desired: d,
            honor_cooldown: false,
        };
        assert_eq!(at_least(set(3), 3), Action::None);
        assert_eq!(at_least(set(3), 5), Action::None);
        assert_eq!(at_least(set(4), 3), set(4));
        assert_eq!(at_least(Action::None, 3), Action::None);
    }
}
