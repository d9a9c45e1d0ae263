//! The on-demand group as the decisions see it, what they do to it, and the one clamp
//! to its bounds and rounding of fleet units to whole instances they share.

use serde::Serialize;

/// The on-demand group as Auto Scaling describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupState {
    pub desired: u32,
    pub min: u32,
    pub max: u32,
}

/// What to do to the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Leave the group alone.
    None,
    /// Call `SetDesiredCapacity`.
    SetDesired { desired: u32, honor_cooldown: bool },
}

/// Which group bound changed the outcome, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Min,
    Max,
}

impl Action {
    /// The desired capacity the group has after this action is applied.
    pub fn resulting_desired(&self, group: &GroupState) -> u32 {
        match *self {
            Action::None => group.desired,
            Action::SetDesired { desired, .. } => desired,
        }
    }
}

/// Relative tolerance when fleet units are rounded to whole numbers: float noise such
/// as 8.000000001 units at weight 4 is 2 instances, not 3.
const ROUNDING_TOLERANCE: f64 = 1e-9;

/// `x` rounded up to a whole number, within [`ROUNDING_TOLERANCE`].
pub(crate) fn round_up(x: f64) -> f64 {
    (x - x.abs() * ROUNDING_TOLERANCE).ceil()
}

/// `x` rounded down to a whole number, within [`ROUNDING_TOLERANCE`] (2.999999999
/// units are 3).
pub(crate) fn round_down(x: f64) -> f64 {
    (x + x.abs() * ROUNDING_TOLERANCE).floor()
}

impl GroupState {
    /// `wanted` (a whole number of instances, `>= 0`) brought into `[min, max]`, with
    /// the bound that applied. The one clamp both decisions use.
    pub(crate) fn clamp(&self, wanted: f64) -> (u32, Option<Bound>) {
        if wanted > f64::from(self.max) {
            (self.max, Some(Bound::Max))
        } else if wanted < f64::from(self.min) {
            (self.min, Some(Bound::Min))
        } else {
            // In [min, max], so it fits in u32 and is a whole number.
            (wanted as u32, None)
        }
    }
}
