//! A deterministic, minute-by-minute simulation of a spotcover stack: spot pools, the
//! Spot Fleet (`maintain`, weighted), the on-demand Auto Scaling group, and five ways of
//! driving them. The `default` policy is the config's: under the default `demand` policy
//! the fleet follows the cluster's demand (the core's decision sets its target from what
//! the ECS API shows) and the group covers what spot cannot deliver; the `2017` policy and
//! the references have target tracking on the ECS reservation drive the fleet, as the
//! model below describes. `engine: asg` configs run the capacity-provider world
//! (`asg/`).
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
//! minute t" is in effect for the whole minute. Each policy runs in its own world: the
//! fleet sees the on-demand group through the cluster's reservation, so the fleet
//! differs by policy. Demand is the same for all.
//!
//! - **Demand** (scenario `demand`): capacity units ECS tasks ask for at minute t.
//! - **ECS**: an instance serves (is registered, tasks can be placed on it) from
//!   `launch_latency_minutes + jitter + ecs_registration_minutes` after its launch.
//!   Tasks are placed on registered capacity, up to it.
//! - **Reservation** (`CPUReservation`): units placed divided by units registered,
//!   spot **and** on-demand; tasks that cannot be placed reserve nothing, so the metric
//!   saturates at 100 %; with nothing registered there is no datapoint.
//! - **Fleet target**: Application Auto Scaling target tracking on that metric (see
//!   [`SCALE_OUT_DATAPOINTS`], [`SCALE_IN_DATAPOINTS`], [`SCALE_IN_FRACTION`]): at
//!   minute t it counts the datapoint of minute t - 1; after 3 consecutive datapoints
//!   above `target_percent` it sets `ceil(TargetCapacity * reservation /
//!   target_percent)` (clamped to `[min_capacity, max_capacity]`), again every minute
//!   the datapoints keep breaching once `scale_out_cooldown_seconds` have passed; after
//!   15 consecutive datapoints below 90 % of `target_percent` it scales in to the same
//!   proportion, `scale_in_cooldown_seconds` after the last change. Warm start: the
//!   target for the demand at minute 0.
//! - **Spot pools**: one per `spot.instance_types` entry (weight from the config; price,
//!   latency, availability from the scenario). Minute t in a window with
//!   `available: false` interrupts (terminates) every instance of the pool at once,
//!   launching ones too, and the pool takes no launches; outside the windows it is
//!   available with unlimited capacity. A pool whose price per unit (its
//!   `price_per_hour` over its weight) is above its `max_price`, or the fleet's, takes
//!   no launches: AWS reads both per unit hour.
//! - **Fleet (`maintain`)**: each minute, after interruptions, it launches instances until
//!   the units launched reach the target (a weight-4 instance may overshoot by up to 3
//!   units). Choice of pool: with `allocation_strategy: lowestPrice` the cheapest per
//!   unit; with every other strategy the available pool holding the fewest units, ties
//!   to the cheapest per unit, then config order (no signal of capacity depth, so
//!   priceCapacityOptimized is modelled as diversified). Above target it terminates
//!   instances, launching ones first, then the most expensive per unit, as long as the
//!   target stays met: a scale-in terminates serving instances without draining.
//! - **FulfilledCapacity** counts every instance the fleet has launched, from its launch
//!   minute, before it registers in ECS.
//! - **Reconciler metrics** (`AWS/EC2Spot` TargetCapacity, FulfilledCapacity): one
//!   datapoint per `metric_period_minutes` (default 5), stamped at the period's start,
//!   readable `metric_delay_minutes` (default 3) after the period ends; its value is
//!   the statistic the Lambda asks for over the period: Maximum of TargetCapacity,
//!   Minimum of FulfilledCapacity. The window read is `max(Q, S) + 300 s`, as the
//!   Lambda's. History before minute 0 repeats the warm start.
//! - **Interruption warnings**: a pool lost at minute t (first minute of an `available:
//!   false` window) warns every instance of it, running or launching, at minute
//!   `t - warning_minutes` (scenario, default 2; minute 0 for earlier losses; 0: none).
//!   `default`, when the config's `interruptions.enabled`, hands each warning, after
//!   that minute's `decide`, to the real [`spotcover_reconciler_core::interruption::decide_interruption`]
//!   (the config's spot weights, the group as it stands, the instance `Active` with its
//!   type and a per-instance `spotcover.covered` mark; an instance not yet registered
//!   is not in ECS: `not_this_cluster`) and applies its `SetDesiredCapacity` like any
//!   other. Draining and rebalance recommendations are not modelled.
//! - **On-demand group**: desired capacity in `[min_size, max_size]`; it launches up to
//!   desired (InService after the scenario's `on_demand` latency plus jitter, serving
//!   ECS `ecs_registration_minutes` later) and terminates down to it at once, launching
//!   instances first, then the newest. A `SetDesiredCapacity` with `honor_cooldown`
//!   within `cooldown_seconds` of the end of the last scaling activity (a scale-out
//!   ends when its last instance is InService, a scale-in when it terminates) is
//!   refused (and counted); scaling out ignores the cooldown. Warm start: `min_size`
//!   instances, registered.
//! - **Billing**: per minute, from the launch request to termination (latency included),
//!   at the pool's or the on-demand price per hour.
//!
//! # The policies
//!
//! - `spot-only`: no on-demand group at all.
//! - `2017`: the real [`spotcover_reconciler_core::policy::rule_2017::decide`], run at the start of every
//!   minute t on the datapoints readable then, with quiet period 600 s, the default
//!   staleness bound, and a 2700 s group cooldown. It ignores interruption warnings.
//! - `default`: the same with the config's `reconciler.quiet_period_seconds` and
//!   `on_demand.cooldown_seconds` (for the quickstart these equal the 2017 values), and
//!   acting on interruption warnings when `interruptions.enabled` (off by default).
//! - `reactive-floor`: knows the present exactly and at once, no foresight: every
//!   minute it sets desired to `ceil(max(0, demand - spot registered) / weight)`
//!   (clamped), scaling out at once and in through the config's group cooldown, as the
//!   reconciler does. What a reconciler with perfect, immediate signals could reach.
//! - `oracle`: clairvoyant. Every minute t it keeps `max` over minutes u in
//!   `[t, t + latency]` of `ceil(max(0, demand(u) - spot registered(u)) / weight)`
//!   instances (clamped), where latency is the on-demand launch latency plus
//!   registration (no jitter for it) and the future spot capacity comes from a
//!   look-ahead on a copy of its world with the group held as it is; no quiet period,
//!   no cooldown. Each instance is launched exactly the latency before it is needed.
//!   The lower bound of the uncovered figure (a test checks it per minute on every
//!   example scenario).
//!
//! # The figures
//!
//! Every policy is measured against the same demand. Uncovered capacity-minutes: the
//! sum over minutes of `max(0, demand - (spot registered + on-demand registered *
//! on_demand.weight))`. Costs are in dollars, rounded to 1/10000. Peak on-demand: most
//! instances launching or running at once. Target changes: how many times target
//! tracking changed the fleet's TargetCapacity.

// No I/O here (ARCHITECTURE.md): printing, and the file-system, environment and process
// calls in clippy.toml, do not compile.
#![deny(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

mod asg;
mod compare;
mod engine;
pub mod history;
mod market;
mod report;
mod scenario;
mod sim;
pub mod tune;

pub use compare::{
    Comparison, EngineRow, FLEET_SETTING, PRICED_TARGETS, compare_engines, counterparts,
    target_setting,
};
pub use engine::simulate;
pub use market::{MARKET_TYPES, random_market};
pub use report::{MinuteRecord, PolicyName, PolicyReport, Report};
pub use scenario::{AsgSwitches, ReplacementPick};
pub use scenario::{
    DEFAULT_ECS_REGISTRATION_MINUTES, DEFAULT_METRIC_DELAY_MINUTES, DEFAULT_METRIC_PERIOD_MINUTES,
    DEFAULT_WARNING_MINUTES, DemandStep, MAX_DELAY_MINUTES, MAX_DURATION_MINUTES,
    MAX_WARNING_MINUTES, OnDemandSpec, PoolSpec, Scenario, Window,
};
pub use sim::{
    COOLDOWN_2017_SECS, QUIET_2017_SECS, SCALE_IN_DATAPOINTS, SCALE_IN_FRACTION,
    SCALE_OUT_DATAPOINTS, START_EPOCH,
};

/// A located problem in a scenario: the same type as a config's.
pub use spotcover_stack::ConfigError;
