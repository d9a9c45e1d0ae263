//! What real AWS refuses at deploy time, found offline: sizes of what the template hands
//! to EC2 and Lambda, instance types the stack's AMI or Spot cannot run, and a root
//! volume smaller than the AMI's snapshot. Each rule cites the AWS page it comes from.

use std::collections::BTreeMap;

use super::parse::join_path;
use crate::compose::ids;
use crate::config::{ParameterValue, StackConfig};
use crate::error::ConfigError;
use crate::userdata::{Capacity, Extra, script};

/// EC2 user guide, "Work with instance user data": "User data is limited to 16 KB, in
/// raw form, before it is base64-encoded."
pub const USER_DATA_MAX_BYTES: usize = 16 * 1024;

/// Lambda developer guide, "Lambda quotas": function environment variables, 4 KB for all
/// of them in aggregate (names and values).
pub const LAMBDA_ENVIRONMENT_MAX_BYTES: usize = 4 * 1024;

/// The root volume of the ECS-optimized Amazon Linux 2023 AMI the template launches, in
/// GiB: a block device mapping may make it larger, never smaller than the snapshot (EBS
/// user guide, "Create an Amazon EBS volume": a volume from a snapshot is at least the
/// snapshot's size). AWS publishes the AMI's 30 GiB root volume in the ECS developer
/// guide's AMI storage configuration; a different AMI given through the `EcsAmi*`
/// parameters may differ, which spotcover cannot see offline.
pub const ECS_AMI_ROOT_GIB: u32 = 30;

/// Characters CloudFormation appends to a stack's generated physical names:
/// `<stack>-<LogicalId>-<13 characters>`.
const GENERATED_SUFFIX: usize = 13;

/// Every limit of this module; `prefix` locates a region's merged config.
pub fn check(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    let mut err = |path: &str, message: String| {
        errs.push(ConfigError::at(join_path(prefix, path), message));
    };
    instance_types(c, &mut err);
    user_data_size(c, &mut err);
    lambda_environment(c, &mut err);
    root_volume(c, &mut err);
    subnets_given(c, &mut err);
    errs
}

/// The name CloudFormation generates for a resource of this stack, at its longest.
/// A stack name too long for CloudFormation is reported by its own check; here it counts
/// at most CloudFormation's 128 characters.
fn generated_name(c: &StackConfig, logical_id: &str) -> String {
    let stack: String = c.stack.chars().take(128).collect();
    format!("{stack}-{logical_id}-{}", "X".repeat(GENERATED_SUFFIX))
}

/// A1 and Mac instances cannot run what the template launches.
///
/// - Amazon Linux 2023 user guide (and the AWS CDK's `EcsMachineImageType.ECS_AL2023`):
///   "Amazon Linux 2023 does not support A1 instances"; the template launches the
///   ECS-optimized AL2023 AMI.
/// - EC2 user guide, "Amazon EC2 Mac instances": Mac instances run only on Dedicated
///   Hosts, with macOS AMIs; EC2 API reference, `SpotPlacement.Tenancy`: "The host tenancy
///   is not supported for Spot Instances."
fn instance_types(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let spot = c.spot.instance_types.iter().enumerate().map(|(i, t)| {
        (
            format!("spot.instance_types[{i}].type"),
            &t.instance_type,
            true,
        )
    });
    let on_demand = c
        .on_demand
        .instance_types
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("on_demand.instance_types[{i}]"), t, false));
    for (path, t, is_spot) in spot.chain(on_demand) {
        let family = t.split('.').next().unwrap_or_default();
        if family == "a1" {
            err(
                &path,
                format!(
                    "{t} cannot run the stack's AMI: Amazon Linux 2023 (the ECS-optimized AMI spotcover launches) does not support A1 instances; use a Graviton type such as m7g.large"
                ),
            );
        } else if family.starts_with("mac") {
            let why = if is_spot {
                "Mac instances run only on Dedicated Hosts, and Spot does not support host tenancy"
            } else {
                "Mac instances run only on Dedicated Hosts with a macOS AMI, not in an Auto Scaling group on the ECS-optimized Amazon Linux AMI"
            };
            err(&path, format!("{t} cannot be used here: {why}"));
        }
    }
}

/// Each side's user data, as the instance receives it, fits EC2's 16 KB.
fn user_data_size(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let i = &c.instances;
    let text = i.user_data.as_ref().and_then(|u| u.text.as_deref());
    if text.is_some_and(|t| crate::userdata::render_extra(t, Capacity::Spot).is_err()) {
        return; // reported by the knobs' own check
    }
    let path = if text.is_some() {
        "instances.user_data"
    } else {
        "instances.ecs_config"
    };
    let cluster = generated_name(c, ids::CLUSTER);
    for capacity in [Capacity::Spot, Capacity::OnDemand] {
        let extra = Extra {
            ecs_config: Some(&i.ecs_config),
            script: text,
        };
        let n = script(&cluster, capacity, extra).len();
        if n > USER_DATA_MAX_BYTES {
            err(
                path,
                format!(
                    "the {} instances' user data would be {n} bytes with spotcover's own script, over EC2's limit of {USER_DATA_MAX_BYTES} bytes (16 KB, before base64); keep the script short and fetch the rest at boot (from S3 or SSM)",
                    capacity.as_str()
                ),
            );
            return;
        }
    }
}

/// The reconciler's environment (every variable of `reconciler-core`'s `Settings`, with
/// the names CloudFormation generates at their longest) fits Lambda's 4 KB.
fn lambda_environment(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let settings = crate::compose::reconciler_settings(
        c,
        // sfr- and a UUID.
        format!("sfr-{}", "0".repeat(36)),
        generated_name(c, ids::ON_DEMAND_GROUP),
        generated_name(c, ids::CLUSTER),
    );
    let env: BTreeMap<&str, String> = settings.to_env().into_iter().collect();
    let total: usize = env.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > LAMBDA_ENVIRONMENT_MAX_BYTES {
        let weights = env
            .get(crate::compose::env::SPOT_WEIGHTS)
            .map_or(0, String::len);
        err(
            "spot.instance_types",
            format!(
                "the reconciler's environment would be {total} bytes, over Lambda's limit of {LAMBDA_ENVIRONMENT_MAX_BYTES} bytes for all variables together; {} bytes of it are each spot type's weight ({}), so list fewer instance types",
                weights,
                crate::compose::env::SPOT_WEIGHTS
            ),
        );
    }
}

/// A root volume at least the AMI's snapshot.
fn root_volume(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    if let Some(size) = c.instances.root_volume.as_ref().and_then(|v| v.size_gib)
        && (1..ECS_AMI_ROOT_GIB).contains(&size)
    {
        err(
            "instances.root_volume.size_gib",
            format!(
                "{size} GiB is smaller than the {ECS_AMI_ROOT_GIB} GiB snapshot of the ECS-optimized Amazon Linux 2023 AMI, and EC2 refuses a root volume smaller than its snapshot: expected at least {ECS_AMI_ROOT_GIB}"
            ),
        );
    }
}

/// `parameters.Subnets` holds at least as many subnets as the template selects
/// (`Fn::Select` by position, one launch override per subnet): a comma-separated string
/// is counted by its items.
fn subnets_given(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    // The base of a multi-region config writes no template; each region's merge says.
    if !c.regions.is_empty() {
        return;
    }
    let Some(ParameterValue::One(text)) = c.parameters.get(ids::SUBNETS) else {
        return; // a list sets the count itself (`subnet_parameter_count`)
    };
    let Some(selected) = c.subnet_parameter_count() else {
        return;
    };
    let given = text.split(',').count();
    if u32::try_from(given).ok() != Some(selected) {
        err(
            "parameters.Subnets",
            format!(
                "holds {given} subnets, but the template selects {selected} (network.subnet_count, default 3); give exactly {selected}, or set network.subnet_count: {given}"
            ),
        );
    }
}
