//! The Spot Fleet's EventBridge events the demand policy listens to: the contract
//! between the rule the template writes and the Lambda that reads the events.
//!
//! Source: EC2 user guide, "Spot Fleet event types" and EC2 API reference,
//! `EventInformation`. All are best effort: the scheduled run is the backstop.

/// The events' source.
pub const SOURCE: &str = "aws.ec2spotfleet";
/// The fleet cannot launch (`iamFleetRoleInvalid`, `allLaunchSpecsTemporarilyBlacklisted`:
/// "none of the configurations are valid, and several attempts to launch instances
/// have failed", `spotInstanceCountLimitExceeded`, `spotFleetRequestConfigurationInvalid`).
pub const ERROR: &str = "EC2 Spot Fleet Error";
/// About one launch specification (`launchSpecTemporarilyBlacklisted`,
/// `launchSpecUnusable`) or all of them (`fleetProgressHalted`: "the price in every
/// launch specification is not valid").
pub const INFORMATION: &str = "EC2 Spot Fleet Information";
/// An instance `launched`, `terminated` or `termination_notified`.
pub const INSTANCE_CHANGE: &str = "EC2 Spot Fleet Instance Change";
/// The detail-types the template's rule routes to the reconciler, in that order.
pub const DETAIL_TYPES: [&str; 3] = [ERROR, INFORMATION, INSTANCE_CHANGE];

/// Whether an event of `detail_type` and `sub_type` says the fleet cannot launch at
/// all: every error event, and the information event that halts the fleet. One
/// unusable or blacklisted launch specification is not enough: a diversified fleet
/// launches from its other pools.
pub fn fleet_cannot_launch(detail_type: &str, sub_type: &str) -> bool {
    detail_type == ERROR || (detail_type == INFORMATION && sub_type == "fleetProgressHalted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_event_means_the_fleet_cannot_launch() {
        for sub in [
            "iamFleetRoleInvalid",
            "allLaunchSpecsTemporarilyBlacklisted",
            "spotInstanceCountLimitExceeded",
            "spotFleetRequestConfigurationInvalid",
        ] {
            assert!(fleet_cannot_launch(ERROR, sub), "{sub}");
        }
    }

    #[test]
    fn one_unusable_launch_specification_is_not_a_fleet_failure() {
        assert!(!fleet_cannot_launch(INFORMATION, "launchSpecUnusable"));
        assert!(!fleet_cannot_launch(
            INFORMATION,
            "launchSpecTemporarilyBlacklisted"
        ));
        assert!(fleet_cannot_launch(INFORMATION, "fleetProgressHalted"));
    }

    #[test]
    fn instance_changes_are_not_failures() {
        assert!(!fleet_cannot_launch(
            INSTANCE_CHANGE,
            "termination_notified"
        ));
    }
}
