//! A deterministic, minute-by-minute simulation of a spotcover stack: spot pools, the
//! Spot Fleet (`maintain`, weighted), its target tracking on the ECS reservation, the
//! on-demand Auto Scaling group, and four ways of driving that group.
//!
//! ```
//! use spotcover_simulate::{PolicyName, Scenario, simulate};
//! let config = &spotcover_stack::load(include_str!("../../../examples/quickstart.yaml"))
//!     .unwrap()[0]
//!     .config;
//! let scenario =
//!     Scenario::from_yaml(include_str!("../../../examples/scenarios/full-outage.yaml")).unwrap();
//! let report = simulate(config, &scenario).unwrap();
//! let oracle = report.policy(PolicyName::Oracle).unwrap();
//! let spot_only = report.policy(PolicyName::SpotOnly).unwrap();
//! assert!(oracle.uncovered_unit_minutes <= spot_only.uncovered_unit_minutes);
//! println!("{}", report.table()); // also: serde_json::to_string(&report), report.svg()
//! ```
//!
//! # The model
//!
//! Time advances in whole minutes `0..duration_minutes`; everything happening "at
//! minute t" is in effect for the whole minute.
//!
//! - **Demand** (scenario `demand`): capacity units ECS tasks reserve at minute t.
//! - **Fleet target**: target tracking on the reservation, `clamp(ceil(demand * 100 /
//!   target_percent), min_capacity, max_capacity)` from `spot.autoscaling`, applied as a
//!   step: a rise waits `scale_out_cooldown_seconds` after the previous rise, a fall
//!   waits `scale_in_cooldown_seconds` after any change. It follows demand only, not the
//!   on-demand group, so the fleet is the same under every policy.
//! - **Spot pools**: one per `spot.instance_types` entry (weight from the config; price,
//!   latency, availability from the scenario). Minute t in a window with
//!   `available: false` interrupts (terminates) every instance of the pool at once,
//!   launching ones too, and the pool takes no launches; outside the windows it is
//!   available with unlimited capacity.
//! - **Fleet (`maintain`)**: each minute, after interruptions, it launches instances until
//!   the units launching or running reach the target (a weight-4 instance may overshoot
//!   by up to 3 units). Choice of pool: with `allocation_strategy: lowestPrice` the
//!   cheapest per unit; with every other strategy the available pool holding the fewest
//!   units, ties to the cheapest per unit, then config order (the simulator has no signal
//!   of capacity depth, so priceCapacityOptimized is modelled as diversified: spread,
//!   which is also what bounds the loss of one pool). An instance serves from minute
//!   `t + launch_latency + jitter`, jitter uniform in `0..=launch_jitter_minutes` from
//!   the seed. Above target it terminates instances, launching ones first, then the most
//!   expensive per unit, as long as the target stays met.
//! - **Interruption warnings**: a pool lost at minute t (first minute of an `available:
//!   false` window) warns every instance of it, running or launching, at minute
//!   `t - warning_minutes` (scenario, default 2; minute 0 for earlier losses; 0: none).
//!   `default`, when the config's `interruptions.enabled`, hands each warning, after
//!   that minute's `decide`, to the real [`spotcover_reconciler_core::decide_interruption`]
//!   (the config's spot weights, the group as it stands, the instance `Active` with its
//!   type and a per-instance `spotcover.covered` mark; a launching instance is not in
//!   ECS yet: `not_this_cluster`) and applies its `SetDesiredCapacity` like any other,
//!   starting the cooldown. Draining (a warned instance serves until interrupted) and
//!   rebalance recommendations are not modelled.
//! - **FulfilledCapacity** is the units of running spot instances; TargetCapacity and
//!   FulfilledCapacity of minute m become CloudWatch datapoints at
//!   `START_EPOCH + 60 m` (seconds).
//! - **Warm start**: at minute 0 the fleet already runs its target and the group its
//!   `min_size`; the metric history before minute 0 repeats minute 0.
//! - **On-demand group**: desired capacity in `[min_size, max_size]`; it launches up to
//!   desired (serving after the scenario's `on_demand` latency plus jitter) and terminates
//!   down to it at once, launching instances first, then the newest. A
//!   `SetDesiredCapacity` with `honor_cooldown` within `cooldown_seconds` of the last
//!   successful one is refused (and counted); scaling out ignores the cooldown.
//! - **Billing**: per minute, from the launch request to termination (latency included),
//!   at the pool's or the on-demand price per hour.
//!
//! # The policies
//!
//! - `spot-only`: no on-demand group at all.
//! - `2017`: the real [`spotcover_reconciler_core::decide`], run at the start of every
//!   minute t on the datapoints of minutes before t (the window the Lambda reads),
//!   with quiet period 600 s, the default staleness bound, and a 2700 s group cooldown.
//!   It ignores interruption warnings (the 2017 design had none).
//! - `default`: the same with the config's `reconciler.quiet_period_seconds` and
//!   `on_demand.cooldown_seconds` (for the quickstart these equal the 2017 values), and
//!   acting on interruption warnings when `interruptions.enabled` (off by default).
//! - `oracle`: knows the future fleet. For every minute u it runs
//!   `clamp(ceil(max(0, demand - spot_fulfilled) / weight), min_size, max_size)`
//!   instances, each launched exactly the latency (no jitter) ahead and terminated the
//!   minute it is no longer needed; before the latency has passed it has the warm start's
//!   `min_size`, like everyone. So no policy leaves fewer units uncovered.
//!
//! # The figures
//!
//! Uncovered capacity-minutes: the sum over minutes of
//! `max(0, demand - (spot_fulfilled + on_demand_running * on_demand.weight))`, with
//! `on_demand_running` the instances past their launch latency. Costs are in dollars,
//! rounded to 1/10000.

mod report;
mod scenario;
mod sim;

pub use report::{MinuteRecord, PolicyName, PolicyReport, Report};
pub use scenario::{
    DEFAULT_ECS_REGISTRATION_MINUTES, DEFAULT_METRIC_DELAY_MINUTES, DEFAULT_METRIC_PERIOD_MINUTES,
    DEFAULT_WARNING_MINUTES, DemandStep, MAX_DELAY_MINUTES, MAX_DURATION_MINUTES,
    MAX_WARNING_MINUTES, OnDemandSpec, PoolSpec, Scenario, ScenarioError, Window,
};
pub use sim::{
    COOLDOWN_2017_SECS, QUIET_2017_SECS, SCALE_IN_DATAPOINTS, SCALE_IN_FRACTION,
    SCALE_OUT_DATAPOINTS, START_EPOCH, simulate,
};
