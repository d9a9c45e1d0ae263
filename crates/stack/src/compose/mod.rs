//! Config to template: one module per feature of the stack, each owning its resources,
//! its IAM statements, its part of the reconciler's environment and its invoke
//! permissions; [`compose`] calls them in the order the resources appear.
//!
//! - `network`: subnets and security groups (parameters when the config leaves them open);
//! - `cluster`: the ECS cluster, AMI parameters, instance role, launch templates;
//! - `fleet`: the Spot Fleet, its role and its target tracking;
//! - `on_demand`: the on-demand Auto Scaling group and its drain hook, added after the
//!   reconciler and its triggers, which it depends on;
//! - `reconciler`: the Lambda, its role and its environment ([`reconciler_settings`]);
//! - `triggers`: the schedule and the PendingCapacity alarm;
//! - `interruptions`: EventBridge rules for interruption notices;
//! - `draining`: the group's drain hook rule, and the rights to drain in ECS, complete
//!   the hook and terminate the fleet's drained surplus;
//! - `observability`: the dashboard, the alarms and their topic, and the group's metrics
//!   collection they read.
//! - `asg`: the whole of `engine: asg` (the group, its capacity provider, the cluster's
//!   association, the reconciler's fallback rights and triggers, the teardown).

mod asg;
mod cluster;
mod demand;
mod draining;
mod feature;
mod fleet;
mod interruptions;
mod network;
mod observability;
mod on_demand;
mod reconciler;
mod tags;
mod triggers;

use spotcover_cfn::{Export, Expr, LogicalId, Output, Pseudo, Sub, Template, TemplateError};

use crate::config::{Engine, StackConfig};
use feature::Feature;

pub use asg::asg_ids;
pub use asg::settings as fallback_settings;
pub use reconciler::settings as reconciler_settings;
/// The reconciler's environment variable names: the contract between this template and
/// the Lambda, defined once in `spotcover-reconciler-core`.
pub use spotcover_reconciler_core::contract::settings::env;

/// The staged reconciler zip, as the template refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Hex SHA-256 of the zip.
    pub sha256: String,
}

/// Where the template expects the zips in the asset bucket: synth's `assets/` directory
/// synced to this prefix (`aws s3 sync spotcover.out/assets/ s3://BUCKET/spotcover/`)
/// puts each zip at its key.
pub const ASSET_PREFIX: &str = "spotcover/";

impl Asset {
    /// The zip's file name, in synth's `assets/` directory and under [`ASSET_PREFIX`].
    pub fn file_name(&self) -> String {
        format!("reconciler-{}.zip", self.sha256)
    }

    /// The object key the template expects in the asset bucket.
    pub fn s3_key(&self) -> String {
        format!("{ASSET_PREFIX}{}", self.file_name())
    }
}

/// Logical ids other tools (and users' `aws` commands) rely on. Changing one replaces
/// the resource on the next deploy.
pub mod ids {
    pub const CLUSTER: &str = "EcsCluster";
    pub const SPOT_FLEET: &str = "SpotFleet";
    pub const ON_DEMAND_GROUP: &str = "OnDemandGroup";
    pub const RECONCILER: &str = "ReconcilerFunction";
    pub const SCHEDULE: &str = "ReconcilerSchedule";
    pub const TOPIC: &str = "PendingCapacityTopic";
    pub const ALARM: &str = "PendingCapacityAlarm";
    pub const ASSET_BUCKET: &str = "AssetBucket";
    pub const SUBNETS: &str = "Subnets";
    pub const SECURITY_GROUPS: &str = "SecurityGroups";
    pub const SECURITY_GROUP: &str = "SecurityGroup";
}

/// Builds the stack's template from one resolved config. Resources come out in the
/// order they are added here, which is part of the template's bytes.
pub fn compose(c: &StackConfig, asset: &Asset) -> Result<Template, TemplateError> {
    if c.engine == Engine::Asg {
        return asg::compose(c, asset);
    }
    let mut t = Template::new(format!(
        "spotcover stack {}: ECS on EC2 Spot with an on-demand safety net",
        c.stack
    ));
    let code_bucket = reconciler::add_code_bucket(&mut t)?;
    let network = network::add(&mut t, c)?;
    let mut cluster = cluster::add(&mut t, c)?;
    let fleet_role = fleet::add_role(&mut t, c)?;
    cluster::add_launch_templates(&mut t, c, &network, &mut cluster)?;
    let fleet = fleet::add(&mut t, c, &network, &cluster, &fleet_role)?;
    let group = on_demand::add(&mut t, c, &network, &cluster)?;

    let mut settings =
        reconciler_settings(c, fleet.r#ref(), group.r#ref(), cluster.cluster.r#ref());
    // The run's metrics carry the stack's name, which the dashboard and alarms name.
    settings.stack = Some(Expr::pseudo(Pseudo::StackName));
    let features: [&dyn Feature; 5] = [
        &triggers::Schedule {
            config: c,
            fleet: &fleet,
        },
        &draining::Draining {
            config: c,
            cluster: &cluster.cluster,
            group: group.r#ref(),
        },
        &interruptions::Interruptions { config: c },
        &demand::Demand {
            config: c,
            fleet: &fleet,
            cluster: &cluster.cluster,
            group: group.r#ref(),
        },
        &triggers::PendingCapacity {
            config: c,
            fleet: &fleet,
        },
    ];
    let parts = reconciler::Parts {
        asset,
        code_bucket: &code_bucket,
        group: group.r#ref(),
        settings,
    };
    let before: Vec<LogicalId> = t.resource_types().map(|(id, _)| id.clone()).collect();
    let function = reconciler::add(&mut t, c, parts, &features)?;
    let handler = t
        .resource_types()
        .map(|(id, _)| id.clone())
        .filter(|id| !before.contains(id))
        .collect();
    on_demand::add_drain_hook(&mut t, c, &group, handler)?;
    let dashboard = observability::add(
        &mut t,
        c,
        &observability::Targets {
            fleet: &fleet,
            group: group.r#ref(),
            function: &function,
        },
    )?;

    add_outputs(
        &mut t,
        [
            ("ClusterName", "ECS cluster name", cluster.cluster.r#ref()),
            ("FleetRequestId", "Spot fleet request id", fleet.r#ref()),
            (
                "OnDemandGroupName",
                "On-demand Auto Scaling group name",
                group.r#ref(),
            ),
            (
                "ReconcilerFunctionName",
                "Reconciler Lambda function name",
                function.r#ref(),
            ),
        ],
    )?;
    if let Some(d) = dashboard {
        add_outputs(
            &mut t,
            [("DashboardName", "CloudWatch dashboard name", d.r#ref())],
        )?;
    }
    Ok(t)
}

/// Outputs, each exported as `<stack>-<id>`.
pub(crate) fn add_outputs<const N: usize>(
    t: &mut Template,
    outputs: [(&str, &str, Expr); N],
) -> Result<(), TemplateError> {
    for (id, description, value) in outputs {
        let name = Sub::new()
            .pseudo(Pseudo::StackName)
            .lit(format!("-{id}"))
            .build();
        t.output(
            id,
            Output {
                description: description.into(),
                value,
                export: Some(Export { name }),
            },
        )?;
    }
    Ok(())
}

/// `Key=Value` overrides for `aws cloudformation deploy --parameter-overrides`, from the
/// config's `parameters`, checked against the template's parameters.
pub fn parameter_overrides(
    c: &StackConfig,
    template: &serde_json::Value,
) -> Result<Vec<String>, crate::error::ConfigError> {
    let defined = template
        .get("Parameters")
        .and_then(serde_json::Value::as_object);
    let mut out = Vec::new();
    for (name, value) in &c.parameters {
        if !defined.is_some_and(|d| d.contains_key(name)) {
            let known: Vec<&String> = defined.map(|d| d.keys().collect()).unwrap_or_default();
            let known: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
            return Err(crate::error::ConfigError::at(
                format!("parameters.{name}"),
                format!(
                    "not a parameter of this template; it has {}",
                    known.join(", ")
                ),
            ));
        }
        out.push(format!("{name}={}", value.to_cfn()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
