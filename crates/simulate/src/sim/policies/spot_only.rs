//! Spot only: no on-demand group at all (the world's group has no room), no driver.

use super::{Driver, Minute};

/// Does nothing: the group stays empty.
pub(in crate::sim) struct SpotOnly;

impl Driver for SpotOnly {
    fn step(&mut self, _: &mut Minute<'_, '_>) {}
}
