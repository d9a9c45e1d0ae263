//! The spotcover reconciler: an imperative shell around
//! [`spotcover_reconciler_core::decide`].
//!
//! One invocation = parse the event -> observe (CloudWatch `GetMetricData`
//! and Auto Scaling `DescribeAutoScalingGroups`, concurrently) -> decide ->
//! apply (`SetDesiredCapacity`, only when the decision says so) -> one JSON
//! [`Report`] line on stdout. At most 3 AWS calls; 2 when nothing changes.
//! With `SPOTCOVER_CLUSTER` set, the run then drains before scale-in
//! ([`drain::scheduled_pass`]): 2 more reads (`ListContainerInstances` +
//! `DescribeContainerInstances`) when nothing drains.
//!
//! An EC2 spot interruption warning (or, when configured, a rebalance
//! recommendation) instead: find the instance's container instance in the
//! stack's ECS cluster (`ListContainerInstances` + `DescribeContainerInstances`),
//! then `DescribeAutoScalingGroups` -> [`spotcover_reconciler_core::decide_interruption`]
//! -> apply in order, stopping at the first error: `UpdateContainerInstancesState`
//! DRAINING, `SetDesiredCapacity` (HonorCooldown=false), `PutAttributes`
//! `spotcover.covered`. The attribute, put last, makes a repeated notice a
//! no-op, and a retry after a failed step completes what is missing (a failed
//! `PutAttributes` alone can make a retry cover twice). At most 6 AWS calls;
//! 1 for another cluster's instance, 0 for an ignored rebalance recommendation.
//!
//! One file of ~460 lines: the handler's two paths share the report line, the error
//! type and the apply steps, so they stay side by side (the drain and the cover claim
//! are in [`drain`] and [`cover`]).

pub mod api;
pub mod config;
pub mod cover;
pub mod drain;
pub mod event;
pub mod metrics;
pub mod sdk;

use serde::Serialize;
use serde_json::Value;
use spotcover_reconciler_core::{
    Action, Datapoint, Decision, EpochSeconds, GroupState, Observation, Policy, decide,
};

pub use api::{ApiError, CapacityApi, ClusterApi, ContainerInstanceInfo, DrainApi, SetOutcome};
pub use config::{Config, ConfigError};
pub use event::{EventError, InstanceNotice, Invocation};
use spotcover_reconciler_core::{
    ContainerInstance, InstanceStatus, InterruptionDecision, InterruptionReason, Notice,
    decide_interruption,
};

// The metrics window asked of CloudWatch is part of the contract with the template.
use spotcover_reconciler_core::settings::metrics_window as window;

/// Why an invocation failed. None of these leads to any action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(
        "no fleet id: the event names none and {} is not set",
        config::ENV_FLEET_ID
    )]
    NoFleetId,
    #[error(
        "an EC2 instance notice needs the stack's ECS cluster, and {} is not set",
        config::ENV_CLUSTER
    )]
    NoCluster,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl Error {
    /// A snake_case name for the log line and the Lambda error type.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Event(_) => "malformed_event",
            Error::NoFleetId => "no_fleet_id",
            Error::NoCluster => "no_cluster",
            Error::Api(e) => e.kind(),
        }
    }
}

/// What was observed, for the log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    pub window: (EpochSeconds, EpochSeconds),
    pub target_latest: Option<Datapoint>,
    pub fulfilled_latest: Option<Datapoint>,
    pub target_points: usize,
    pub fulfilled_points: usize,
    pub group: Option<GroupState>,
}

/// How the invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The decision was to do nothing.
    NoAction,
    /// `SetDesiredCapacity` succeeded.
    Applied,
    /// `SetDesiredCapacity` refused inside the cooldown (expected).
    InCooldown,
    /// Dry run: the decision was not applied.
    DryRun,
    /// See [`Report::error`].
    Error,
}

/// An error in the log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    pub kind: &'static str,
    pub message: String,
}

/// The one structured log line of an invocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always `"spotcover.reconcile"`.
    pub log: &'static str,
    pub fleet_id: Option<String>,
    pub group: Option<String>,
    pub now: EpochSeconds,
    pub dry_run: bool,
    pub observed: Option<Observed>,
    pub decision: Option<Decision>,
    pub result: Outcome,
    pub error: Option<ErrorInfo>,
    /// AWS API calls made.
    pub api_calls: u32,
    /// Only for EC2 instance notices (absent from the line otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruption: Option<InterruptionReport>,
    /// Only when draining was considered: lifecycle hook events, and scheduled
    /// runs with a cluster (absent from the line otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain: Option<drain::DrainReport>,
}

/// The part of the log line about an EC2 instance notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterruptionReport {
    pub notice: Notice,
    pub instance_id: String,
    /// `instance-action` of a warning (`terminate`, `stop`, `hibernate`).
    pub instance_action: Option<String>,
    pub cluster: Option<String>,
    /// The instance's container instance in the cluster, if found.
    pub container_instance: Option<ContainerInstanceInfo>,
    /// The on-demand group before the decision, when it was needed.
    pub group_state: Option<GroupState>,
    pub decision: Option<InterruptionDecision>,
    /// `UpdateContainerInstancesState` DRAINING succeeded.
    pub drained: bool,
    /// `SetDesiredCapacity` succeeded.
    pub raised: bool,
    /// `PutAttributes` spotcover.covered succeeded.
    pub marked: bool,
}

impl Report {
    fn new(now: EpochSeconds, dry_run: bool) -> Self {
        Self {
            log: "spotcover.reconcile",
            fleet_id: None,
            group: None,
            now,
            dry_run,
            observed: None,
            decision: None,
            result: Outcome::NoAction,
            error: None,
            api_calls: 0,
            interruption: None,
            drain: None,
        }
    }

    fn fail(mut self, e: &Error) -> Self {
        self.result = Outcome::Error;
        self.error = Some(ErrorInfo {
            kind: e.kind(),
            message: e.to_string(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.result == Outcome::Error
    }

    /// The report as one JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"log\":\"spotcover.reconcile\",\"result\":\"error\",\"error\":{{\"kind\":\"serialize\",\"message\":\"{e}\"}}}}"))
    }
}

/// Seconds since the epoch, now.
pub fn now() -> EpochSeconds {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as EpochSeconds)
        .unwrap_or(0)
}

/// Observe, decide and (unless `dry_run`) apply, for one fleet and group.
pub async fn reconcile<A: CapacityApi>(
    api: &A,
    fleet_id: &str,
    group: &str,
    policy: &Policy,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let mut r = Report::new(now, dry_run);
    r.fleet_id = Some(fleet_id.to_owned());
    r.group = Some(group.to_owned());
    let (start, end) = window(policy, now);
    let (obs, grp) = tokio::join!(
        api.observe_fleet(fleet_id, start, end),
        api.describe_group(group)
    );
    r.api_calls = 2;
    let latest = |s: &[Datapoint]| s.iter().copied().max_by_key(|p| p.at);
    let empty = Observation::default();
    let o = obs.as_ref().unwrap_or(&empty);
    r.observed = Some(Observed {
        window: (start, end),
        target_latest: latest(&o.target),
        fulfilled_latest: latest(&o.fulfilled),
        target_points: o.target.len(),
        fulfilled_points: o.fulfilled.len(),
        group: grp.as_ref().ok().copied(),
    });
    let (obs, grp) = match (obs, grp) {
        (Ok(o), Ok(g)) => (o, g),
        (Err(e), _) | (_, Err(e)) => return r.fail(&e.into()),
    };
    let d = decide(policy, &obs, Some(&grp), now);
    let action = d.action;
    r.decision = Some(d);
    let Action::SetDesired {
        desired,
        honor_cooldown,
    } = action
    else {
        r.result = Outcome::NoAction;
        return r;
    };
    if dry_run {
        r.result = Outcome::DryRun;
        return r;
    }
    r.api_calls += 1;
    match api.set_desired(group, desired, honor_cooldown).await {
        Ok(SetOutcome::Applied) => r.result = Outcome::Applied,
        Ok(SetOutcome::InCooldown) => r.result = Outcome::InCooldown,
        Err(e) => return r.fail(&e.into()),
    }
    r
}

/// Handles one invocation event: the fleet id of the event wins over the
/// configured one; EC2 instance notices go to [`handle_notice`].
pub async fn handle_event<A: CapacityApi + ClusterApi + DrainApi>(
    api: &A,
    config: Result<Config, ConfigError>,
    event: &Value,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let r = Report::new(now, dry_run);
    let config = match config {
        Ok(c) => c,
        Err(e) => return r.fail(&e.into()),
    };
    let from_event = match event::parse(event) {
        Ok(Invocation::Reconcile { fleet_id }) => fleet_id,
        Ok(Invocation::Instance(notice)) => {
            return handle_notice(api, &config, &notice, now, dry_run).await;
        }
        Ok(Invocation::Lifecycle(ev)) => {
            return drain::handle_lifecycle(api, &config, &ev, now, dry_run).await;
        }
        Err(e) => {
            let mut r = r.fail(&e.into());
            r.group = Some(config.group_name);
            return r;
        }
    };
    let Some(fleet_id) = from_event.or(config.fleet_id.clone()) else {
        let mut r = r.fail(&Error::NoFleetId);
        r.group = Some(config.group_name);
        return r;
    };
    let mut r = reconcile(
        api,
        &fleet_id,
        &config.group_name,
        &config.policy,
        now,
        dry_run,
    )
    .await;
    drain::scheduled_pass(api, &config, &mut r).await;
    r
}

/// Handles an interruption warning or rebalance recommendation (see the crate docs).
pub async fn handle_notice<A: CapacityApi + ClusterApi>(
    api: &A,
    config: &Config,
    notice: &InstanceNotice,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let mut r = Report::new(now, dry_run);
    r.group = Some(config.group_name.clone());
    let mut ir = InterruptionReport {
        notice: notice.notice,
        instance_id: notice.instance_id.clone(),
        instance_action: notice.instance_action.clone(),
        cluster: config.cluster.clone(),
        container_instance: None,
        group_state: None,
        decision: None,
        drained: false,
        raised: false,
        marked: false,
    };
    let (policy, ip) = (&config.policy, &config.interruption);
    let decide = |ci: Option<&ContainerInstance>, g: Option<&GroupState>| {
        decide_interruption(policy, ip, notice.notice, ci, g)
    };
    let done = |mut r: Report, ir: InterruptionReport, err: Option<Error>| {
        r.result = match (&err, &ir.decision) {
            (Some(_), _) => Outcome::Error,
            (None, Some(d)) if d.acts() && dry_run => Outcome::DryRun,
            (None, _) if ir.drained || ir.raised || ir.marked => Outcome::Applied,
            _ => Outcome::NoAction,
        };
        r.interruption = Some(ir);
        match err {
            Some(e) => r.fail(&e),
            None => r,
        }
    };

    if !ip.acts_on(notice.notice) {
        ir.decision = Some(decide(None, None));
        return done(r, ir, None);
    }
    let Some(cluster) = config.cluster.as_deref() else {
        return done(r, ir, Some(Error::NoCluster));
    };
    r.api_calls += 1;
    let arns = match api
        .list_container_instances(cluster, &notice.instance_id)
        .await
    {
        Ok(a) => a,
        Err(e) => return done(r, ir, Some(e.into())),
    };
    let found = if arns.is_empty() {
        None
    } else {
        r.api_calls += 1;
        match api.describe_container_instances(cluster, &arns).await {
            // Match on the EC2 id: moto ignores the list filter.
            Ok(all) => all
                .into_iter()
                .find(|ci| ci.ec2_instance_id.as_deref() == Some(notice.instance_id.as_str())),
            Err(e) => return done(r, ir, Some(e.into())),
        }
    };
    let Some(info) = found else {
        ir.decision = Some(decide(None, None));
        return done(r, ir, None);
    };
    let ci = ContainerInstance {
        status: InstanceStatus::parse(&info.status),
        instance_type: info.instance_type.clone(),
        covered: cover::is_final(info.covered.as_deref()),
    };
    let mut claim = info.covered.as_deref().and_then(cover::parse_claim);
    let arn = info.arn.clone();
    ir.container_instance = Some(info);

    // The group is needed only when the instance is to be covered.
    let mut err = None;
    let mut d = decide(Some(&ci), None);
    if d.reason == InterruptionReason::GroupUnknown {
        r.api_calls += 1;
        match api.describe_group(&config.group_name).await {
            Ok(g) => {
                ir.group_state = Some(g);
                // Another handler's claim, read after the group (see `cover`).
                r.api_calls += 1;
                let mut ci = ci.clone();
                match cover::recheck(api, cluster, &arn).await {
                    Ok(cover::Recheck::Free) => claim = None,
                    Ok(cover::Recheck::Claimed(base)) => claim = Some(base),
                    Ok(cover::Recheck::Covered) => ci.covered = true,
                    Err(e) => return done(r, ir, Some(e.into())),
                }
                d = decide(Some(&ci), Some(&cover::base_group(&g, claim)));
                d.action = cover::at_least(d.action, g.desired);
            }
            // Still drain (the decision without a group), then report the error.
            Err(e) => err = Some(Error::from(e)),
        }
    }
    ir.decision = Some(d.clone());
    if dry_run || !d.acts() {
        return done(r, ir, err);
    }
    if d.drain {
        r.api_calls += 1;
        match api.drain(cluster, &arn).await {
            Ok(()) => ir.drained = true,
            Err(e) => return done(r, ir, Some(e.into())),
        }
    }
    if let Action::SetDesired {
        desired,
        honor_cooldown,
    } = d.action
    {
        if claim.is_none()
            && let Some(g) = ir.group_state
        {
            r.api_calls += 1;
            if let Err(e) = api
                .mark_covered(cluster, &arn, &cover::claim_value(g.desired))
                .await
            {
                return done(r, ir, Some(e.into()));
            }
        }
        r.api_calls += 1;
        match api
            .set_desired(&config.group_name, desired, honor_cooldown)
            .await
        {
            Ok(_) => ir.raised = true,
            Err(e) => return done(r, ir, Some(e.into())),
        }
    }
    if d.mark_covered {
        r.api_calls += 1;
        match api.mark_covered(cluster, &arn, &now.to_string()).await {
            Ok(()) => ir.marked = true,
            Err(e) => return done(r, ir, Some(e.into())),
        }
    }
    done(r, ir, err)
}
