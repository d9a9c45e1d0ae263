//! The simulation's clock: minute `t` is `START_EPOCH + 60 t` epoch seconds.

use spotcover_reconciler_core::EpochSeconds;

/// Epoch second of minute 0 (2026-01-01T00:00:00Z); only differences matter.
pub const START_EPOCH: EpochSeconds = 1_767_225_600;
