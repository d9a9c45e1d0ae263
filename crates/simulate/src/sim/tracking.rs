//! Application Auto Scaling's target tracking of the fleet on the cluster's
//! CPUReservation: the alarm datapoints it needs, the proportional new TargetCapacity,
//! and its cooldowns. Each constant cites its source.

use super::world::{Env, World};

/// Consecutive one-minute datapoints above the target value before target tracking
/// scales out. Source: the alarms Application Auto Scaling creates for a target tracking
/// policy ("AlarmHigh": 3 datapoints within 3 minutes; shared reference
/// aws-real-world.md, from the alarms as AWS creates them; the Application Auto Scaling
/// user guide, "How target tracking scaling for Application Auto Scaling works", says
/// only that it "creates and manages the CloudWatch alarms").
pub const SCALE_OUT_DATAPOINTS: u32 = 3;
/// Consecutive one-minute datapoints below the scale-in threshold before target
/// tracking scales in ("AlarmLow": 15 datapoints within 15 minutes; same source).
pub const SCALE_IN_DATAPOINTS: u32 = 15;
/// Target tracking scales in only below this fraction of the target value. Source:
/// Application Auto Scaling user guide, "How target tracking scaling for Application
/// Auto Scaling works": it removes capacity only when utilization is "sufficiently
/// below the target value (usually more than 10% lower)".
pub const SCALE_IN_FRACTION: f64 = 0.9;

/// Seconds from minute `from` to minute `to` (`to >= from`) are at least `secs`.
pub(super) fn elapsed(from: Option<u32>, to: u32, secs: u32) -> bool {
    from.is_none_or(|f| to >= f && u64::from(to - f) * 60 >= u64::from(secs))
}

impl World {
    /// Application Auto Scaling's target tracking on the cluster's CPUReservation,
    /// acting at the start of minute `t` on the datapoint of minute `t - 1`. Returns
    /// whether the target changed.
    ///
    /// - ECS publishes CPUReservation every minute: "Amazon ECS sends metrics to
    ///   CloudWatch at one-minute intervals" (ECS developer guide, "Amazon ECS
    ///   CloudWatch metrics"); a minute with no registered instance has no datapoint,
    ///   which breaks a run of breaching datapoints.
    /// - Scale out after [`SCALE_OUT_DATAPOINTS`] datapoints above the target value,
    ///   to `ceil(TargetCapacity * reservation / target)`: the "current capacity" of a
    ///   Spot Fleet is its TargetCapacity, and the new capacity is proportional to the
    ///   metric (user guide, "How target tracking ... works": "adds capacity in
    ///   proportion to the metric value"). The alarm stays in ALARM, so it acts again
    ///   every minute the datapoints keep breaching, once `scale_out_cooldown_seconds`
    ///   have passed since the last scale-out.
    /// - Scale in after [`SCALE_IN_DATAPOINTS`] datapoints below
    ///   [`SCALE_IN_FRACTION`] of the target value, to the same proportion, once
    ///   `scale_in_cooldown_seconds` have passed since the last change of either kind.
    /// - Cooldowns count from the change: Spot Fleet applies a new TargetCapacity at
    ///   once ("after a scale-out activity completes", `ScaleOutCooldown` in the
    ///   Application Auto Scaling API reference).
    pub(super) fn track(&mut self, env: &Env, t: u32) -> bool {
        let a = &env.config.spot.autoscaling;
        let tp = f64::from(a.target_percent.clamp(1, 100));
        match self.last_reservation {
            Some(r) if r > tp => {
                self.above = self.above.saturating_add(1);
                self.below = 0;
            }
            Some(r) if r < tp * SCALE_IN_FRACTION => {
                self.below = self.below.saturating_add(1);
                self.above = 0;
            }
            _ => {
                self.above = 0;
                self.below = 0;
            }
        }
        let Some(r) = self.last_reservation else {
            return false;
        };
        let (lo, hi) = (a.min_capacity, a.max_capacity.max(a.min_capacity));
        let proportional = (f64::from(self.target) * r / tp - 1e-9).ceil().max(0.0);
        let wanted = if proportional >= f64::from(hi) {
            hi
        } else {
            (proportional as u32).clamp(lo, hi)
        };
        if self.above >= SCALE_OUT_DATAPOINTS
            && wanted > self.target
            && elapsed(self.last_out, t, a.scale_out_cooldown_seconds)
        {
            self.target = wanted;
            self.last_out = Some(t);
            self.last_change = Some(t);
            return true;
        }
        if self.below >= SCALE_IN_DATAPOINTS
            && wanted < self.target
            && elapsed(self.last_change, t, a.scale_in_cooldown_seconds)
        {
            self.target = wanted;
            self.last_change = Some(t);
            return true;
        }
        false
    }
}
