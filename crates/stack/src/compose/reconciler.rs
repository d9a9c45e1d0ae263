//! The reconciler Lambda: its code bucket, log group, role and function, and the
//! [`Settings`] its environment carries. Features that invoke it or widen its rights
//! plug in as [`Feature`]s (`feature.rs`).

use std::collections::BTreeMap;

use spotcover_cfn::aws::iam::{self, PolicyDocument, RoleAttr, Statement};
use spotcover_cfn::aws::lambda;
use spotcover_cfn::aws::logs::{self, LogGroupAttr};
use spotcover_cfn::{
    Expr, Handle, Metadata, Options, ParamHandle, Parameter, Template, TemplateError,
};
use spotcover_reconciler_core::contract::settings::{
    DemandSettings, FUNCTION_TIMEOUT_SECS, Settings,
};

use super::cluster::service_role;
use super::feature::{Feature, group_arn};
use super::{Asset, draining, ids, interruptions, tags};
use crate::config::{CoverPolicy, StackConfig};

/// What the template tells the reconciler, from the config and the handles of the
/// fleet, the group and the cluster (expressions in the template; placeholder names in
/// the simulator, which reads only the policies).
pub fn settings<V: From<String>>(c: &StackConfig, fleet: V, group: V, cluster: V) -> Settings<V> {
    let mut s = Settings {
        fleet_id: Some(fleet),
        group_name: group,
        on_demand_weight: c.on_demand.weight,
        quiet_period_secs: Some(u64::from(c.reconciler.quiet_period_seconds)),
        stale_after_secs: None,
        cluster: None,
        spot_weights: Vec::new(),
        drain_on_rebalance: None,
        lifecycle_hook: None,
        hook_timeout_secs: None,
        demand: demand_settings(c),
        stack: None,
    };
    draining::settings(c, cluster, &mut s);
    interruptions::settings(c, &mut s);
    s
}

/// Seconds of the 15 one-minute datapoints target tracking waits for before it scales
/// in (the "AlarmLow" alarm Application Auto Scaling creates; shared reference
/// aws-real-world.md).
const FLEET_SCALE_IN_DATAPOINTS_SECS: u64 = 15 * 60;

/// The `demand` policy's values from the config; `None` under the `2017` policy. The
/// fleet's bounds and headroom are `spot.autoscaling`'s, which the `2017` policy gives
/// to Application Auto Scaling instead.
fn demand_settings(c: &StackConfig) -> Option<DemandSettings> {
    let a = &c.spot.autoscaling;
    let r = &c.reconciler;
    (r.policy == CoverPolicy::Demand).then(|| DemandSettings {
        target_percent: a.target_percent,
        fleet_min: a.min_capacity,
        fleet_max: a.max_capacity.max(a.min_capacity),
        // No sooner than target tracking would give spot back: 15 minutes of lower
        // demand (its scale-in alarm's datapoints), then the scale-in cooldown.
        fleet_hold_secs: FLEET_SCALE_IN_DATAPOINTS_SECS + u64::from(a.scale_in_cooldown_seconds),
        launch_grace_secs: u64::from(r.launch_grace_seconds),
        hold_secs: u64::from(r.hold_seconds),
        max_hold_secs: u64::from(r.max_hold_seconds.max(r.hold_seconds)),
    })
}

/// Adds the parameter naming the bucket the reconciler's code is uploaded to.
pub(crate) fn add_code_bucket(t: &mut Template) -> Result<ParamHandle, TemplateError> {
    t.parameter(
        ids::ASSET_BUCKET,
        Parameter::new(
            "String",
            "S3 bucket holding the reconciler's code (upload assets/ from the synth output)",
        )
        .pattern("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name"),
    )
}

/// What the function is built from.
pub(crate) struct Parts<'a> {
    pub asset: &'a Asset,
    pub code_bucket: &'a ParamHandle,
    /// The on-demand group's name, to scope `SetDesiredCapacity` to it.
    pub group: Expr,
    pub settings: Settings<Expr>,
}

/// Adds the log group, the role, the function, then each feature's triggers in order.
pub(crate) fn add(
    t: &mut Template,
    c: &StackConfig,
    parts: Parts<'_>,
    features: &[&dyn Feature],
) -> Result<Handle<lambda::Function>, TemplateError> {
    let variables: BTreeMap<String, Expr> = parts
        .settings
        .to_env()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    add_function(
        t,
        c,
        Function {
            asset: parts.asset,
            code_bucket: parts.code_bucket,
            variables,
            statements: own_statements(c, parts.group),
            role_description: "spotcover reconciler: reads spot fleet metrics, sizes the on-demand group",
            description: "spotcover reconciler: covers pending spot capacity with on-demand",
        },
        features,
    )
}

/// The function of either engine: its environment, and its rights beyond writing its
/// own logs.
pub(crate) struct Function<'a> {
    pub asset: &'a Asset,
    pub code_bucket: &'a ParamHandle,
    pub variables: BTreeMap<String, Expr>,
    pub statements: Vec<Statement>,
    pub role_description: &'static str,
    pub description: &'static str,
}

/// Adds the log group, the role, the function, then each feature's triggers in order.
pub(crate) fn add_function(
    t: &mut Template,
    c: &StackConfig,
    f: Function<'_>,
    features: &[&dyn Feature],
) -> Result<Handle<lambda::Function>, TemplateError> {
    let log_group = t.add_with(
        "ReconcilerLogGroup",
        logs::LogGroup {
            retention_in_days: c.reconciler.log_retention_days,
            tags: tags::user(c),
        },
        Options {
            deletion_policy: Some("Delete"),
            update_replace_policy: Some("Delete"),
            metadata: Some(Metadata::default().skip_checkov(
                "CKV_AWS_158",
                "The reconciler logs its decisions and AWS ids, no secrets; CloudWatch Logs encrypts at rest with its own key. A customer-managed key would need a key policy for logs.<region>.amazonaws.com and costs a key per stack.",
            )),
            ..Options::default()
        },
    )?;
    let statements = std::iter::once(Statement::allow(
        "WriteOwnLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![log_group.get_att(LogGroupAttr::Arn)],
    ))
    .chain(f.statements)
    .chain(features.iter().flat_map(|f| f.statements()))
    .collect();
    let role = t.add(
        "ReconcilerRole",
        service_role(
            c,
            "lambda.amazonaws.com",
            f.role_description,
            None,
            Some(vec![iam::Policy {
                policy_name: "reconciler".into(),
                policy_document: PolicyDocument::new(statements),
            }]),
        ),
    )?;
    let function = t.add_with(
        ids::RECONCILER,
        lambda::Function {
            description: Some(f.description.into()),
            architectures: vec![c.reconciler.architecture.as_str().into()],
            code: lambda::Code {
                s3_bucket: f.code_bucket.r#ref(),
                s3_key: f.asset.s3_key().into(),
            },
            environment: Some(lambda::Environment {
                variables: f.variables,
            }),
            handler: "bootstrap".into(),
            logging_config: Some(lambda::LoggingConfig {
                log_group: log_group.r#ref(),
            }),
            memory_size: c.reconciler.memory_mb,
            // None by default: low-quota accounts refuse any reservation that leaves
            // less than their minimum unreserved, and overlapping runs are safe.
            reserved_concurrent_executions: c.reconciler.reserved_concurrency,
            role: role.get_att(RoleAttr::Arn),
            runtime: "provided.al2023".into(),
            tags: tags::user(c),
            timeout: FUNCTION_TIMEOUT_SECS,
        },
        Options {
            metadata: Some(function_checkov_skips(c)),
            ..Options::default()
        },
    )?;
    for feature in features {
        feature.triggers(t, &function)?;
    }
    Ok(function)
}

/// Why the function is exempt from checkov's checks that do not fit it.
fn function_checkov_skips(c: &StackConfig) -> Metadata {
    let skips = if c.reconciler.reserved_concurrency.is_none() {
        Metadata::default().skip_checkov(
            "CKV_AWS_115",
            "No reserved concurrency unless the config asks (reconciler.reserved_concurrency): accounts with a low concurrency quota refuse any reservation that leaves less than their minimum unreserved, and overlapping runs are safe.",
        )
    } else {
        Metadata::default()
    };
    skips
        .skip_checkov(
            "CKV_AWS_116",
            "Nothing an event carries is lost with it: every scheduled run (each minute) re-reads what the events report from AWS itself, the group's instances in Terminating:Wait for the lifecycle hook, the covered/claim marks on the cluster's container instances for interruption warnings, the fleet's metrics for its shortfall. A dead-letter queue would hold events nobody needs to replay.",
        )
        .skip_checkov(
            "CKV_AWS_117",
            "The function calls only AWS APIs; inside a VPC it would need a NAT gateway or five interface endpoints, and would fail when they do.",
        )
        .skip_checkov(
            "CKV_AWS_173",
            "The environment holds resource names and numbers, no secrets; Lambda encrypts it at rest with an AWS-managed key.",
        )
}

/// Observing the fleet and the group, and sizing the group. The fleet's CloudWatch
/// metrics are read under the `2017` policy only; the `demand` policy describes the
/// fleet itself (its rights are in `demand.rs`).
fn own_statements(c: &StackConfig, group: Expr) -> Vec<Statement> {
    let observe: &[&str] = match c.reconciler.policy {
        CoverPolicy::Design2017 => &[
            "cloudwatch:GetMetricData",
            "autoscaling:DescribeAutoScalingGroups",
        ],
        CoverPolicy::Demand => &["autoscaling:DescribeAutoScalingGroups"],
    };
    vec![
        // Neither action supports resource-level permissions.
        Statement::allow("ObserveFleetAndGroup", observe, vec!["*".into()]),
        Statement::allow(
            "SizeTheOnDemandGroup",
            &["autoscaling:SetDesiredCapacity"],
            vec![group_arn(group)],
        ),
    ]
}
