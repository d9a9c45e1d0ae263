//! ECS attribute names and values on the cluster's container instances: what the user
//! data sets ([`CAPACITY`]) and what the reconciler reads and writes (the marks), written
//! once for the template, the Lambda and the container-instance model (`ecs`).

/// Which capacity an instance is (set by the user data through
/// `ECS_INSTANCE_ATTRIBUTES`): [`CAPACITY_SPOT`] or [`CAPACITY_ON_DEMAND`].
pub const CAPACITY: &str = "spotcover.capacity";
/// [`CAPACITY`] of the fleet's instances.
pub const CAPACITY_SPOT: &str = "spot";
/// [`CAPACITY`] of the on-demand group's instances.
pub const CAPACITY_ON_DEMAND: &str = "on-demand";
/// ECS's own attribute with the EC2 instance type.
pub const INSTANCE_TYPE: &str = "ecs.instance-type";
/// Put on an interrupted instance: `claim-<base>` before its cover is raised, the
/// epoch second once covered; makes a repeated notice a no-op.
pub const COVERED: &str = "spotcover.covered";
/// On an on-demand instance the lifecycle hook holds: the epoch second by which the
/// reconciler completes the lifecycle action at the latest.
pub const HOOK_DEADLINE: &str = "spotcover.hook-deadline";
/// On a spot instance drained as fleet surplus: the epoch second it was marked.
pub const SURPLUS: &str = "spotcover.surplus";
