//! The stack config: what users write. Unknown keys are refused everywhere.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// A spotcover stack: an ECS cluster on EC2 Spot with an on-demand safety net.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StackConfig {
    /// CloudFormation stack name; also names the output files. Letters, digits and
    /// hyphens, starting with a letter, at most 128 characters.
    pub stack: String,
    /// What launches the instances: `fleet` (a Spot Fleet, with an on-demand Auto Scaling
    /// group the reconciler sizes as cover) or `asg` (one Auto Scaling group of spot
    /// instances behind an ECS capacity provider, whose on-demand base the reconciler
    /// raises while spot cannot launch). Keys of the other engine are refused. See
    /// docs/engine-asg.md, and the README for whether `asg` can be deployed yet.
    #[serde(default)]
    pub engine: Engine,
    #[serde(default)]
    pub cluster: ClusterConfig,
    pub spot: SpotConfig,
    /// The on-demand group of `engine: fleet` (required there; refused with `engine: asg`).
    #[serde(default)]
    pub on_demand: OnDemandConfig,
    /// The Auto Scaling group and capacity provider of `engine: asg` (refused with
    /// `engine: fleet`).
    #[serde(default)]
    pub asg: AsgConfig,
    #[serde(default)]
    pub reconciler: ReconcilerConfig,
    #[serde(default)]
    pub network: NetworkConfig,
    #[serde(default)]
    pub iam: IamConfig,
    #[serde(default)]
    pub interruptions: InterruptionsConfig,
    /// The stack's CloudWatch dashboard (on by default) and its alarms (none unless
    /// asked), with where the alarms notify.
    #[serde(default)]
    pub observability: ObservabilityConfig,
    /// What spot and on-demand instances share: root volume, extra user data, ECS agent
    /// settings, extra managed policies, key pair.
    #[serde(default)]
    pub instances: InstancesConfig,
    /// Tags for every taggable resource of the stack (cluster, roles, launch templates,
    /// fleet request, group, function, log group, topics, rules, alarms, scalable target)
    /// and for its instances and their volumes, added after spotcover's own. Keys have 1 to
    /// 128 characters, values 1 to 256 (the stack's alarm takes no empty value), of
    /// letters, digits, spaces and `_ . : / = + - @` (no tabs or line breaks); at most 47
    /// tags (AWS allows 50 per resource, and spotcover puts 3 on instances); `Name`,
    /// `spotcover:*` and `aws:*` are refused. Volumes of spot instances are not tagged:
    /// Spot Fleet does not apply a launch template's volume tags to the spot instances it
    /// launches (only the on-demand group's volumes get them). The fleet request's tags
    /// are create-only: adding or changing one replaces the fleet. Per region under
    /// `regions:` (maps merge key by key).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The escape hatch: set or delete any property of the composed template, checked
    /// against the resource type's registry schema. A list, or a map of named entries
    /// (which `regions:` can change one by one). Properties spotcover relies on are
    /// refused, with the reason.
    #[serde(default)]
    pub overrides: Overrides,
    /// Values for the template's parameters (`AssetBucket`, `Subnets`, ...), written to
    /// `<stack>[.<region>].parameters.json` for `aws cloudformation deploy
    /// --parameter-overrides file://...`. Lists are joined with commas. Per region under
    /// `regions:`.
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterValue>,
    /// One template per region. Each value overrides any of the keys above for that
    /// region (mappings merge key by key; lists and scalars replace). Without `regions`,
    /// synth writes one region-neutral template.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Map<String, serde_json::Value>>")]
    pub regions: BTreeMap<String, serde_json::Value>,
    /// Regions and instance types newer than the lists spotcover ships (generated from
    /// botocore's data, see `tools/update-aws-lists`): accepted as if they were listed.
    #[serde(default)]
    pub allow: AllowConfig,
}

/// What launches the cluster's instances.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// A Spot Fleet, and an on-demand Auto Scaling group the reconciler sizes as cover.
    #[default]
    Fleet,
    /// One Auto Scaling group (spot, price-capacity-optimized) behind an ECS capacity
    /// provider with managed scaling; the reconciler raises the group's on-demand base
    /// while spot cannot launch, and lowers it again.
    Asg,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Fleet => "fleet",
            Engine::Asg => "asg",
        }
    }
}

/// `engine: asg`: the group, its capacity provider's managed scaling, and the on-demand
/// fallback. Sizes count instances: a capacity provider's group cannot weight instance
/// types (ECS developer guide, "Amazon ECS capacity providers for EC2 workloads").
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AsgConfig {
    /// The group's MinSize, in instances.
    #[serde(default)]
    pub min_size: u32,
    /// The group's MaxSize, in instances (at least 1: a capacity provider cannot scale
    /// out a group of at most 0).
    #[serde(default = "default_asg_max_size")]
    pub max_size: u32,
    /// On-demand instances the group keeps at rest: its `OnDemandBaseCapacity` when spot
    /// launches. Everything above it is spot.
    #[serde(default)]
    pub on_demand_floor: u32,
    /// The most on-demand instances the fallback asks for: it raises the base by the
    /// instances spot could not launch, up to this (at most `max_size`).
    #[serde(default = "default_max_on_demand")]
    pub max_on_demand: u32,
    /// Managed scaling's target utilization of the group's instances, 1 to 100 percent.
    #[serde(default = "default_asg_target_percent")]
    pub target_capacity_percent: u32,
    /// Fewest instances managed scaling adds at once (1 to 10000).
    #[serde(default = "one")]
    pub minimum_scaling_step_size: u32,
    /// Most instances managed scaling adds at once (1 to 10000).
    #[serde(default = "default_max_step")]
    pub maximum_scaling_step_size: u32,
    /// Seconds before a new instance counts in managed scaling's metric (0 to 10000).
    #[serde(default = "default_warmup")]
    pub instance_warmup_seconds: u32,
    /// How long the fallback holds a raised base after the last sign that spot cannot
    /// launch, before it lowers the base by one instance.
    #[serde(default = "default_return_hold")]
    pub return_hold_seconds: u32,
    /// The longest hold: the hold doubles after each return to spot that a spot failure
    /// interrupted, up to this.
    #[serde(default = "default_max_hold")]
    pub max_hold_seconds: u32,
}

impl Default for AsgConfig {
    fn default() -> Self {
        AsgConfig {
            min_size: 0,
            max_size: default_asg_max_size(),
            on_demand_floor: 0,
            max_on_demand: default_max_on_demand(),
            target_capacity_percent: default_asg_target_percent(),
            minimum_scaling_step_size: 1,
            maximum_scaling_step_size: default_max_step(),
            instance_warmup_seconds: default_warmup(),
            return_hold_seconds: default_return_hold(),
            max_hold_seconds: default_max_hold(),
        }
    }
}

/// Names AWS added after the lists spotcover ships; each is accepted as written.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AllowConfig {
    /// Region names such as `xx-newregion-1`.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Instance types such as `m99i.large`.
    #[serde(default)]
    pub instance_types: Vec<String>,
}

/// Subnets the `Subnets` parameter holds when the config does not say: one per
/// Availability Zone in a region with three, the most common case.
pub const DEFAULT_SUBNET_COUNT: u32 = 3;

impl StackConfig {
    /// How many subnets the `Subnets` parameter holds: `network.subnet_count`, else the
    /// length of a list given for it under `parameters`, else [`DEFAULT_SUBNET_COUNT`].
    /// `None` when the subnets are literal ids.
    pub fn subnet_parameter_count(&self) -> Option<u32> {
        if self.network.subnets.is_some() {
            return None;
        }
        let listed = match self.parameters.get("Subnets") {
            Some(ParameterValue::List(items)) => u32::try_from(items.len()).ok(),
            _ => None,
        };
        Some(
            self.network
                .subnet_count
                .or(listed)
                .unwrap_or(DEFAULT_SUBNET_COUNT),
        )
    }
}

/// A parameter value: a string, or a list for `List<...>` parameters.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum ParameterValue {
    One(String),
    List(Vec<String>),
}

impl ParameterValue {
    /// As CloudFormation takes it: a list is comma-separated.
    pub fn to_cfn(&self) -> String {
        match self {
            ParameterValue::One(s) => s.clone(),
            ParameterValue::List(items) => items.join(","),
        }
    }
}

/// The ECS cluster.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// CloudWatch Container Insights for the cluster.
    #[serde(default = "yes")]
    pub container_insights: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            container_insights: true,
        }
    }
}

/// The spot capacity: with `engine: fleet` the Spot Fleet, with `engine: asg` the spot
/// side of the group (its instance types).
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpotConfig {
    /// How the fleet picks spot pools.
    #[serde(default)]
    pub allocation_strategy: AllocationStrategy,
    /// `template` (launch template with per-type overrides) or `specifications` (the
    /// 2017 form: one launch specification per instance type).
    #[serde(default)]
    pub launch: SpotLaunch,
    /// Instance types the fleet may use, each with its weight in fleet capacity units.
    pub instance_types: Vec<WeightedInstanceType>,
    /// The fleet's target capacity at creation, in units. After that the reconciler sets
    /// it (the `demand` policy), or Application Auto Scaling does (the `2017` policy).
    #[serde(default = "default_target_capacity")]
    pub target_capacity: u32,
    #[serde(default)]
    pub autoscaling: SpotAutoscaling,
    /// The most the fleet pays per unit hour, in USD, as a string (`"0.04"`), for every
    /// pool without a `max_price` of its own: an instance of weight 4 may cost up to four
    /// times this. Unset: up to the on-demand price, as AWS recommends; a maximum price
    /// raises interruptions (docs/configuring.md, "Spot prices").
    #[serde(default)]
    pub max_price: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum AllocationStrategy {
    #[default]
    #[serde(rename = "priceCapacityOptimized")]
    PriceCapacityOptimized,
    #[serde(rename = "capacityOptimized")]
    CapacityOptimized,
    #[serde(rename = "capacityOptimizedPrioritized")]
    CapacityOptimizedPrioritized,
    #[serde(rename = "diversified")]
    Diversified,
    #[serde(rename = "lowestPrice")]
    LowestPrice,
}

impl AllocationStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationStrategy::PriceCapacityOptimized => "priceCapacityOptimized",
            AllocationStrategy::CapacityOptimized => "capacityOptimized",
            AllocationStrategy::CapacityOptimizedPrioritized => "capacityOptimizedPrioritized",
            AllocationStrategy::Diversified => "diversified",
            AllocationStrategy::LowestPrice => "lowestPrice",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SpotLaunch {
    #[default]
    Template,
    Specifications,
}

/// A spot instance type and its weight.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WeightedInstanceType {
    /// An EC2 instance type such as `m6i.large`; Graviton types (`m7g.large`) run arm64.
    #[serde(rename = "type")]
    pub instance_type: String,
    /// Capacity units one instance of this type counts for. At least 1. Refused with
    /// `engine: asg`, whose capacity provider cannot weight instance types.
    #[serde(default = "one")]
    pub weight: u32,
    /// The most to pay per unit hour in this pool, in USD (`"0.05"`), as AWS reads
    /// `SpotPrice` with instance weighting: an instance of weight 2 may cost up to twice
    /// this. Unset: the fleet's `max_price`, else up to the on-demand price, as AWS
    /// recommends; a maximum price raises interruptions. `"0.04"` at weight 2 lets an
    /// instance cost up to $0.08 an hour.
    #[serde(default)]
    pub max_price: Option<String>,
}

/// The fleet's target: its bounds, its headroom, and how fast it falls. Under the
/// `demand` policy the reconciler sets the target from the cluster's demand; under the
/// `2017` policy Application Auto Scaling tracks the cluster's reservation.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpotAutoscaling {
    /// `2017` policy: the ECS cluster reservation the fleet's target tracks, `cpu`
    /// (`CPUReservation`) or `memory` (`MemoryReservation`).
    #[serde(default)]
    pub metric: ReservationMetric,
    /// The headroom, in percent (1-100): under the `demand` policy the fleet's target is
    /// demand divided by this (75: demand runs at 75 % of the target); under the `2017`
    /// policy the reservation target tracking aims at.
    #[serde(default = "default_target_percent")]
    pub target_percent: u32,
    /// The lowest target capacity the fleet is given, in units.
    #[serde(default = "one")]
    pub min_capacity: u32,
    /// The highest target capacity the fleet is given, in units.
    #[serde(default = "default_max_capacity")]
    pub max_capacity: u32,
    /// `demand` policy: after demand falls, the fleet's target follows no sooner than
    /// 15 minutes (target tracking's scale-in datapoints) plus this. `2017` policy: target
    /// tracking's scale-in cooldown.
    #[serde(default = "default_scale_in_cooldown")]
    pub scale_in_cooldown_seconds: u32,
    /// `2017` policy: target tracking's scale-out cooldown.
    #[serde(default = "default_scale_out_cooldown")]
    pub scale_out_cooldown_seconds: u32,
}

impl Default for SpotAutoscaling {
    fn default() -> Self {
        SpotAutoscaling {
            metric: ReservationMetric::default(),
            target_percent: default_target_percent(),
            min_capacity: 1,
            max_capacity: default_max_capacity(),
            scale_in_cooldown_seconds: default_scale_in_cooldown(),
            scale_out_cooldown_seconds: default_scale_out_cooldown(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReservationMetric {
    #[default]
    Cpu,
    Memory,
}

impl ReservationMetric {
    pub fn metric_name(self) -> &'static str {
        match self {
            ReservationMetric::Cpu => "CPUReservation",
            ReservationMetric::Memory => "MemoryReservation",
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OnDemandConfig {
    /// On-demand instance types, in order of preference; one architecture. Required
    /// with `engine: fleet`.
    #[serde(default)]
    pub instance_types: Vec<String>,
    /// Fleet capacity units one on-demand instance covers. At least 1.
    #[serde(default = "one")]
    pub weight: u32,
    /// The group's MinSize, in instances.
    #[serde(default)]
    pub min_size: u32,
    /// The group's MaxSize, in instances: the most cover the reconciler can buy.
    #[serde(default = "default_max_size")]
    pub max_size: u32,
    /// Desired capacity written into the template. Left out by default: the reconciler
    /// owns it, and a template value would be re-applied whenever it changes.
    #[serde(default)]
    pub desired_capacity: Option<u32>,
    /// The group's default cooldown. The `2017` policy honours it when scaling in only;
    /// the `demand` policy holds cover with `reconciler.hold_seconds` instead.
    #[serde(default = "default_cooldown")]
    pub cooldown_seconds: u32,
    /// `template` (launch template, IMDSv2) or `configuration` (the 2017 form, one
    /// instance type; accounts created on or after 2024-10-01 cannot create launch
    /// configurations, and `validate` and `synth` warn).
    #[serde(default)]
    pub launch: OnDemandLaunch,
    /// How long an instance the group scales in may take to drain its ECS tasks before
    /// it is terminated anyway: the `EC2_INSTANCE_TERMINATING` lifecycle hook's heartbeat
    /// timeout, 30 to 7200 seconds. The reconciler lets it go as soon as no task runs.
    #[serde(default = "default_drain_timeout")]
    pub drain_timeout_seconds: u32,
}

/// What `engine: asg` configs get, so that the fleet's group is never half-written;
/// `validate` asks a fleet config for its instance types.
impl Default for OnDemandConfig {
    fn default() -> Self {
        OnDemandConfig {
            instance_types: Vec::new(),
            weight: 1,
            min_size: 0,
            max_size: default_max_size(),
            desired_capacity: None,
            cooldown_seconds: default_cooldown(),
            launch: OnDemandLaunch::default(),
            drain_timeout_seconds: default_drain_timeout(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnDemandLaunch {
    #[default]
    Template,
    Configuration,
}

/// The reconciler Lambda: its policy, its schedule and its function.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReconcilerConfig {
    /// `demand` (default): the fleet's target and the cover follow what the cluster's
    /// services need, read from the ECS API. `2017`: the original design, kept for
    /// comparison (the fleet tracks the cluster's reservation through Application Auto
    /// Scaling; the cover follows the fleet's CloudWatch metrics after a quiet period,
    /// and is released honouring the group's cooldown).
    #[serde(default)]
    pub policy: CoverPolicy,
    /// EventBridge schedule expression: `rate(N minute(s)/hour(s)/day(s))`, or
    /// `cron(...)` with EventBridge's six fields, checked field by field.
    #[serde(default = "default_schedule")]
    pub schedule: String,
    /// `2017` policy only: after the fleet's target changes, wait this long before
    /// acting on its pending capacity (the fleet is still scaling).
    #[serde(default = "default_quiet_period")]
    pub quiet_period_seconds: u32,
    /// `demand` policy: seconds the fleet gets to launch and register spot before what
    /// it still lacks is covered (a fleet error event or an interruption warning ends
    /// the wait at once). 0 to 3600.
    #[serde(default = "default_launch_grace")]
    pub launch_grace_seconds: u32,
    /// `demand` policy: seconds the largest recent need is held before cover is
    /// released (doubled for each loss that repeats within `max_hold_seconds`). 60 to
    /// 86400.
    #[serde(default = "default_hold")]
    pub hold_seconds: u32,
    /// `demand` policy: the longest hold, reached when losses repeat. At least
    /// `hold_seconds`, at most 86400.
    #[serde(default = "default_max_hold")]
    pub max_hold_seconds: u32,
    /// Lambda memory in MB (128-10240).
    #[serde(default = "default_memory")]
    pub memory_mb: u32,
    /// The Lambda's architecture; spotcover ships a zip for each.
    #[serde(default)]
    pub architecture: LambdaArchitecture,
    /// Days to keep the reconciler's logs: one of CloudWatch Logs' retention periods.
    #[serde(default = "default_log_retention")]
    pub log_retention_days: u32,
    /// Reserved concurrency for the function. Unset by default: accounts with a low
    /// concurrency quota refuse any reservation that leaves less than their minimum
    /// unreserved, and the reconciler is safe when two runs overlap.
    #[serde(default)]
    pub reserved_concurrency: Option<u32>,
}

impl Default for ReconcilerConfig {
    fn default() -> Self {
        ReconcilerConfig {
            policy: CoverPolicy::default(),
            schedule: default_schedule(),
            quiet_period_seconds: default_quiet_period(),
            launch_grace_seconds: default_launch_grace(),
            hold_seconds: default_hold(),
            max_hold_seconds: default_max_hold(),
            memory_mb: default_memory(),
            architecture: LambdaArchitecture::default(),
            log_retention_days: default_log_retention(),
            reserved_concurrency: None,
        }
    }
}

/// Which rule sizes the fleet and the on-demand cover.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum CoverPolicy {
    /// The fleet's target and the cover follow the services' demand, from the ECS API.
    #[default]
    #[serde(rename = "demand")]
    Demand,
    /// The 2017 design: reservation target tracking, CloudWatch metrics, quiet period,
    /// cooldown.
    #[serde(rename = "2017")]
    Design2017,
}

impl StackConfig {
    /// Which rule the reconciler runs, as far as its metrics go.
    pub fn metrics_writer(&self) -> spotcover_reconciler_core::contract::metrics::Writer {
        use spotcover_reconciler_core::contract::metrics::Writer;
        match (self.engine, self.reconciler.policy) {
            (Engine::Asg, _) => Writer::Fallback,
            (Engine::Fleet, CoverPolicy::Demand) => Writer::Demand,
            (Engine::Fleet, CoverPolicy::Design2017) => Writer::Design2017,
        }
    }
}

impl CoverPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverPolicy::Demand => "demand",
            CoverPolicy::Design2017 => "2017",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum LambdaArchitecture {
    #[default]
    X86_64,
    Arm64,
}

impl LambdaArchitecture {
    pub fn as_str(self) -> &'static str {
        match self {
            LambdaArchitecture::X86_64 => "x86_64",
            LambdaArchitecture::Arm64 => "arm64",
        }
    }

    pub fn rust_target(self) -> &'static str {
        match self {
            LambdaArchitecture::X86_64 => "x86_64-unknown-linux-musl",
            LambdaArchitecture::Arm64 => "aarch64-unknown-linux-musl",
        }
    }
}

/// Where instances run. Each key left out becomes a template parameter, so one template
/// serves every VPC; give literal ids to pin them per region.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Subnet ids (`subnet-...`), at most one per Availability Zone. Default: the
    /// `Subnets` parameter.
    #[serde(default)]
    pub subnets: Option<Vec<String>>,
    /// How many subnets the `Subnets` parameter holds (1-16), when `subnets` is left
    /// out: the fleet gets one launch override per instance type and subnet, picked
    /// from the parameter by position, so the deploy must pass exactly this many.
    /// Default: the length of `parameters.Subnets` when the config lists it, else 3.
    #[serde(default)]
    pub subnet_count: Option<u32>,
    /// Security group ids (`sg-...`). Default: the `SecurityGroups` parameter.
    #[serde(default)]
    pub security_groups: Option<Vec<String>>,
}

/// Running the reconciler on AWS's two-minute spot interruption warning itself. Off by
/// default: a warned instance is covered anyway, since the ECS agent drains it and the
/// next run (at most a minute later) covers the units leaving; under the `2017` policy
/// each warning also buys its own cover (docs/simulate/README.md, "Why the defaults are
/// what they are").
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InterruptionsConfig {
    /// EventBridge rules send spot interruption warnings to the reconciler: for one of the
    /// cluster's instances it drains the instance in ECS and covers its weight with
    /// on-demand at once.
    #[serde(default)]
    pub enabled: bool,
    /// Also drain (and cover) on an EC2 rebalance recommendation, which comes earlier
    /// and is less certain.
    #[serde(default)]
    pub drain_on_rebalance: bool,
}

/// What an operator sees and is told: a CloudWatch dashboard of the cover, and alarms.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ObservabilityConfig {
    /// A CloudWatch dashboard of the stack (named in the stack's `DashboardName`
    /// output): demand, spot, on-demand and uncovered units, the fleet, the group,
    /// decisions by reason, the reconciler's health and the on-demand instance-hours.
    /// Also turns on the group's metrics collection (free at one-minute granularity).
    #[serde(default = "yes")]
    pub dashboard: bool,
    /// Which alarms to create; none by default.
    #[serde(default)]
    pub alarms: AlarmsConfig,
    /// Creates an SNS topic the alarms notify, subscribed by this address (AWS mails a
    /// confirmation link first). At most one of `alarm_email` and `alarm_topic_arn`.
    #[serde(default)]
    pub alarm_email: Option<String>,
    /// An existing SNS topic the alarms notify (`arn:aws:sns:...`). Its access policy
    /// must let CloudWatch publish, and a KMS-encrypted topic's key must too.
    #[serde(default)]
    pub alarm_topic_arn: Option<String>,
}

impl Default for ObservabilityConfig {
    fn default() -> Self {
        Self {
            dashboard: true,
            alarms: AlarmsConfig::default(),
            alarm_email: None,
            alarm_topic_arn: None,
        }
    }
}

/// The alarms an operator can ask for.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlarmsConfig {
    /// Alarm when demand is uncovered (the reconciler's `uncovered` metric above 0) in
    /// this many minutes, 1 to 1440, out of a window a fifth longer (at least a minute
    /// more), so a late or missing datapoint does not hide an outage. Needs the `demand`
    /// policy (the 2017 rule does not write `uncovered`). Unset: no alarm.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1440))]
    pub uncovered_minutes: Option<u32>,
    /// Alarm when a reconciler invocation fails (Lambda `Errors` above 0 in a minute).
    #[serde(default)]
    pub reconciler_errors: bool,
    /// Alarm when the on-demand group's desired capacity reaches its `max_size`: the
    /// cover cannot grow.
    #[serde(default)]
    pub group_at_max: bool,
}

impl AlarmsConfig {
    /// Whether any alarm is asked for.
    pub fn any(&self) -> bool {
        self.uncovered_minutes.is_some() || self.reconciler_errors || self.group_at_max
    }
}

/// Settings every container instance gets, spot and on-demand alike, in the launch
/// templates, the 2017 launch specifications and the launch configuration.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstancesConfig {
    /// The root volume (`/dev/xvda` on the ECS-optimized AL2023 AMI), written into every
    /// launch template, 2017 launch specification and launch configuration. Unset: the
    /// AMI's own, and no block device mapping in the template.
    #[serde(default)]
    pub root_volume: Option<RootVolume>,
    /// A script run after spotcover's own user data (which joins the cluster), rendered
    /// with handlebars like it: `{{cluster}}` is the cluster's name and `{{capacity}}`
    /// `spot` or `on-demand`; a shell `${VAR}` reaches the instance as written, a literal
    /// `{{` is written `\{{`. It runs under spotcover's `set -euo pipefail`, so it must
    /// be shell (cloud-config, MIME archives and other interpreters are refused), and
    /// with spotcover's script it must stay within EC2's 16 KB. A file outside the
    /// config's directory is warned about: its text goes into every template and diff.
    #[serde(default)]
    pub user_data: Option<ExtraUserData>,
    /// ECS agent settings written to `/etc/ecs/ecs.config`, such as
    /// `ECS_RESERVED_MEMORY: "256"`. Keys `ECS_[A-Z0-9_]+`; spotcover owns
    /// `ECS_CLUSTER`, `ECS_INSTANCE_ATTRIBUTES` and `ECS_ENABLE_SPOT_INSTANCE_DRAINING`.
    #[serde(default)]
    pub ecs_config: BTreeMap<String, String>,
    /// Managed policies added to the instance role: ARNs, or names of AWS managed
    /// policies (`AmazonSSMManagedInstanceCore` for Session Manager, `service-role/...`),
    /// written as `arn:${AWS::Partition}:iam::aws:policy/NAME`. Each once, and not
    /// `AmazonEC2ContainerServiceforEC2Role`, which spotcover attaches.
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// An EC2 key pair for SSH. Unset by default: prefer Session Manager
    /// (`AmazonSSMManagedInstanceCore` in `managed_policies`).
    #[serde(default)]
    pub key_name: Option<String>,
}

/// The instances' root volume.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RootVolume {
    /// Size in GiB, at least 30: the ECS-optimized AL2023 AMI's snapshot, and EC2
    /// refuses a root volume smaller than its snapshot. Unset: the snapshot's size.
    #[serde(default)]
    pub size_gib: Option<u32>,
    /// EBS volume type: `gp3` (default), `gp2` or `standard`. (`io1`/`io2` need IOPS,
    /// `st1`/`sc1` cannot boot.)
    #[serde(default, rename = "type")]
    pub volume_type: VolumeType,
    /// Encrypted with the account's default EBS key.
    #[serde(default = "yes")]
    pub encrypted: bool,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VolumeType {
    #[default]
    Gp3,
    Gp2,
    Standard,
}

impl VolumeType {
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeType::Gp3 => "gp3",
            VolumeType::Gp2 => "gp2",
            VolumeType::Standard => "standard",
        }
    }
}

/// Extra user data: a file (relative to the config file) or inline text, exactly one.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExtraUserData {
    /// A script file, relative to the config file's directory.
    #[serde(default)]
    pub file: Option<String>,
    /// The script itself.
    #[serde(default)]
    pub inline: Option<String>,
    /// Lets `file` name a script outside the config's directory (an absolute path, or
    /// one that climbs out with `..`). Off by default: the whole script goes into every
    /// template and into `spotcover diff` output (which CI may post as a pull request
    /// comment), so reading a file from elsewhere is something a config says, never
    /// something a typo does.
    #[serde(default)]
    pub allow_outside_config_dir: bool,
    /// The script's text: `inline`, or the file's contents once the reader gave them.
    #[serde(skip)]
    #[schemars(skip)]
    pub text: Option<String>,
}

/// `overrides:` as a list, or as a map of named entries.
#[derive(Debug, Clone, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Overrides {
    List(Vec<Override>),
    Named(BTreeMap<String, Override>),
}

/// By hand rather than `untagged`, so a wrong entry is reported at its key with what is
/// wrong, not as "did not match any variant".
impl<'de> Deserialize<'de> for Overrides {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Overrides;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of overrides, or a map of named overrides")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Overrides, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(Overrides::List)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Overrides, A::Error> {
                BTreeMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Overrides::Named)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Default for Overrides {
    fn default() -> Self {
        Overrides::List(Vec::new())
    }
}

impl Overrides {
    /// Each entry with its key path in the config (`overrides[0]`, `overrides.name`).
    pub fn entries(&self) -> Vec<(String, &Override)> {
        match self {
            Overrides::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, o)| (format!("overrides[{i}]"), o))
                .collect(),
            Overrides::Named(map) => map
                .iter()
                .map(|(k, o)| (format!("overrides.{k}"), o))
                .collect(),
        }
    }
}

/// One change to the composed template: `value` sets, `delete: true` removes.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The resource's logical id, such as `OnDemandGroup`.
    pub resource: String,
    /// Where, from the resource: `Properties.Name.Other[0].Leaf`.
    pub path: String,
    /// The value to set (any YAML; intrinsics such as `{Ref: X}` as in a template).
    #[serde(default)]
    pub value: Option<serde_json::Value>,
    /// Remove the property (or list item) instead.
    #[serde(default)]
    pub delete: bool,
}

/// IAM settings of every role the stack creates.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IamConfig {
    /// ARN of a managed policy set as the permissions boundary of every role.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn default_target_capacity() -> u32 {
    2
}
fn default_target_percent() -> u32 {
    75
}
fn default_max_capacity() -> u32 {
    40
}
fn default_scale_in_cooldown() -> u32 {
    300
}
fn default_scale_out_cooldown() -> u32 {
    60
}
fn default_max_size() -> u32 {
    200
}
fn default_cooldown() -> u32 {
    2700
}
fn default_schedule() -> String {
    "rate(1 minute)".into()
}
fn default_quiet_period() -> u32 {
    600
}
fn default_launch_grace() -> u32 {
    300
}
fn default_hold() -> u32 {
    600
}
fn default_max_hold() -> u32 {
    3600
}
fn default_memory() -> u32 {
    128
}
fn default_drain_timeout() -> u32 {
    900
}
fn default_log_retention() -> u32 {
    30
}
fn default_asg_max_size() -> u32 {
    40
}
fn default_max_on_demand() -> u32 {
    10
}
fn default_asg_target_percent() -> u32 {
    100
}
fn default_max_step() -> u32 {
    10
}
fn default_warmup() -> u32 {
    300
}
fn default_return_hold() -> u32 {
    900
}
