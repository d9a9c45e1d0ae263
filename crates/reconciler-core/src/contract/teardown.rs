//! The teardown custom resource of `engine: asg`: the properties the template gives it
//! and the Lambda reads on `Delete`, so that stack deletion finishes although the spot
//! group's instances are protected from scale-in.

/// The spot group's name.
pub const GROUP_NAME: &str = "GroupName";
/// The ECS cluster's name.
pub const CLUSTER: &str = "Cluster";
