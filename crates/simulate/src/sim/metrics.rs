//! What CloudWatch gives the reconciler of the fleet: TargetCapacity and
//! FulfilledCapacity per metric period, published late, over the Lambda's own look-back
//! ([`metrics_lookback_secs`]).

use spotcover_reconciler_core::contract::settings::metrics_lookback_secs;
use spotcover_reconciler_core::policy::rule_2017::{self, Datapoint, Observation};

use super::clock::START_EPOCH;

/// TargetCapacity and FulfilledCapacity of every minute so far, for CloudWatch.
pub(super) struct History {
    pub(super) target: Vec<u32>,
    pub(super) fulfilled: Vec<u32>,
    /// Before minute 0 (the warm start).
    pub(super) initial: (u32, u32),
}

/// How many minutes of CloudWatch history the reconciler reads: the Lambda's own
/// look-back ([`metrics_lookback_secs`], `max(Q, S)` plus one 5-minute period).
pub(super) fn window_minutes(policy: &rule_2017::Settings) -> i64 {
    i64::try_from(metrics_lookback_secs(policy).div_ceil(60)).unwrap_or(i64::MAX)
}

/// The fleet's metrics as CloudWatch gives them to a run at the start of minute `t`:
/// one datapoint per `period` minutes (timestamped at the period's start), readable
/// `delay` minutes after the period ends, within the `window`. Values are the
/// statistics the Lambda asks for: TargetCapacity `Maximum`, FulfilledCapacity
/// `Minimum` over the period. Minutes before 0 repeat the warm start.
pub(super) fn observe(h: &History, t: u32, window: i64, period: u32, delay: u32) -> Observation {
    let mut obs = Observation::default();
    let p = i64::from(period.max(1));
    let now = i64::from(t);
    // Period k covers minutes [k p, (k + 1) p) and is readable from (k + 1) p + delay.
    let last = (now - i64::from(delay)).div_euclid(p) - 1;
    let first = -((window - now).div_euclid(p)); // ceil((now - window) / p)
    for k in first..=last {
        let (mut target, mut fulfilled) = (0u32, u32::MAX);
        for m in k * p..(k + 1) * p {
            let (tc, fc) = if m < 0 {
                h.initial
            } else {
                (h.target[m as usize], h.fulfilled[m as usize])
            };
            target = target.max(tc);
            fulfilled = fulfilled.min(fc);
        }
        let at = START_EPOCH + k * p * 60;
        obs.target.push(Datapoint::new(at, f64::from(target)));
        obs.fulfilled.push(Datapoint::new(at, f64::from(fulfilled)));
    }
    obs
}
