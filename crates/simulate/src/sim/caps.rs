//! The fleet's maximum prices. AWS reads `SpotPrice` per unit hour, in the fleet's
//! request and in each launch template override or launch specification (EC2 API
//! reference, `SpotFleetRequestConfigData`, `LaunchTemplateOverrides`,
//! `SpotFleetLaunchSpecification`: "the maximum price per unit hour"), and spotcover
//! writes `max_price` as given. A pool whose price per unit is above its cap takes no
//! launches: the simulator's prices are constant, so such a pool is never used.

use spotcover_stack::StackConfig;
use spotcover_stack::config::WeightedInstanceType;

/// The cap per unit hour that applies to a pool: its own `max_price`, else the fleet's.
/// `None`: no cap (up to the on-demand price, which the simulator does not model).
pub(super) fn max_price_per_unit(config: &StackConfig, t: &WeightedInstanceType) -> Option<f64> {
    t.max_price
        .as_deref()
        .or(config.spot.max_price.as_deref())
        .and_then(|p| p.parse::<f64>().ok())
}

/// Whether a pool priced `price_per_hour` per instance at `weight` units stays out of the
/// fleet: its price per unit hour is above its cap.
pub(super) fn above_cap(cap: Option<f64>, price_per_hour: f64, weight: u32) -> bool {
    cap.is_some_and(|cap| price_per_hour / f64::from(weight.max(1)) > cap)
}
