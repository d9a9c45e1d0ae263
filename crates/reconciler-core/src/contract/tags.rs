//! Tags the template writes and the Lambda reads or writes: the state a policy keeps on
//! its Auto Scaling group between runs, and the tags on every instance.

/// The demand policy's state, on the on-demand group
/// (the demand policy's `State::to_tag`).
pub const STATE_TAG: &str = "spotcover:state";
/// The asg fallback's state, on the spot group (the fallback's `format_state`).
pub const FALLBACK_STATE_TAG: &str = "spotcover:fallback";
/// Which capacity an instance is, on its launch template's instances: the
/// [`super::attributes::CAPACITY`] attribute's value (`spot` or `on-demand`).
pub const CAPACITY_TAG: &str = "spotcover:capacity";
/// The stack's name, on every instance: the reconciler's `TerminateInstances` right is
/// scoped to it.
pub const STACK_TAG: &str = "spotcover:stack";
/// What every tag key spotcover relies on starts with; an override may not change one.
pub const PREFIX: &str = "spotcover:";
