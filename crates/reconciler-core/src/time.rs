//! Time as the decisions take it: whole seconds since the Unix epoch, and the one
//! conversion of a duration into an epoch offset.

/// Seconds since the Unix epoch.
pub type EpochSeconds = i64;

/// `at` moved back by `secs`, saturating: the one conversion of a duration into an
/// epoch offset, shared by the decisions and the metrics window.
pub(crate) fn seconds_before(at: EpochSeconds, secs: u64) -> EpochSeconds {
    at.saturating_sub(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// `at` moved forward by `secs`, saturating.
pub(crate) fn seconds_after(at: EpochSeconds, secs: u64) -> EpochSeconds {
    at.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))
}
