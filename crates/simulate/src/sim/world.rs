//! One policy's world: what does not change during a run ([`Env`]: the config, the
//! scenario, the pools), what evolves ([`World`]: spot batches, the fleet's target and
//! its tracking state, the on-demand batches, the bills), and the figures of a minute
//! ([`World::measure`]: what ECS has registered and placed, the cluster's
//! CPUReservation, what is uncovered). The fleet, target tracking and the group add
//! their own `impl World` blocks in their modules.

use spotcover_stack::StackConfig;
use spotcover_stack::config::AllocationStrategy;

use super::batches::{OdBatch, SpotBatch};
use crate::scenario::{PoolSpec, Scenario};

/// splitmix64: small, seedable, and the same on every platform.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64, stream: u64) -> Self {
        Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..=max`.
    pub(super) fn upto(&mut self, max: u32) -> u32 {
        if max == 0 {
            0
        } else {
            (self.next() % (u64::from(max) + 1)) as u32
        }
    }
}

/// A spot pool as the fleet sees it.
pub(super) struct Pool<'a> {
    pub(super) spec: &'a PoolSpec,
    pub(super) weight: u32,
    /// Config order, for ties.
    pub(super) order: usize,
    /// Priced above its `max_price`: takes no launches ([`super::caps`]).
    pub(super) above_cap: bool,
}

impl Pool<'_> {
    pub(super) fn price_per_unit(&self) -> f64 {
        self.spec.price_per_hour / f64::from(self.weight)
    }
}

/// What does not change during a run.
pub(super) struct Env<'a> {
    pub(super) config: &'a StackConfig,
    pub(super) scenario: &'a Scenario,
    pub(super) pools: Vec<Pool<'a>>,
    pub(super) lowest_price: bool,
    /// Units one on-demand instance counts for.
    pub(super) od_weight: u32,
}

impl<'a> Env<'a> {
    pub(super) fn new(config: &'a StackConfig, scenario: &'a Scenario) -> Self {
        let pools = config
            .spot
            .instance_types
            .iter()
            .enumerate()
            .map(|(order, t)| {
                let spec = scenario
                    .pools
                    .iter()
                    .find(|p| p.instance_type == t.instance_type)
                    .expect("checked against the config");
                let weight = t.weight.max(1);
                let cap = super::caps::max_price_per_unit(config, t);
                Pool {
                    spec,
                    weight,
                    order,
                    above_cap: super::caps::above_cap(cap, spec.price_per_hour, weight),
                }
            })
            .collect();
        Env {
            config,
            scenario,
            pools,
            lowest_price: config.spot.allocation_strategy == AllocationStrategy::LowestPrice,
            od_weight: config.on_demand.weight.max(1),
        }
    }
    pub(super) fn bounds(&self) -> (u32, u32) {
        let od = &self.config.on_demand;
        (od.min_size, od.max_size.max(od.min_size))
    }
}

/// The figures of one minute, after every change of that minute.
#[derive(Debug, Clone, Copy)]
pub(super) struct Measure {
    pub(super) demand: u32,
    pub(super) target: u32,
    /// FulfilledCapacity: units of every instance the fleet has launched.
    pub(super) fulfilled: u32,
    /// Units of spot instances registered in ECS.
    pub(super) spot_registered: u32,
    pub(super) od_alive: u32,
    pub(super) od_registered: u32,
    /// CPUReservation in percent; `None` when nothing is registered (ECS publishes
    /// no datapoint then).
    pub(super) reservation: Option<f64>,
    pub(super) uncovered: u32,
}

/// Everything that evolves in one policy's world. Small and cheap to clone (the
/// oracle looks ahead on a clone); the per-minute history lives in
/// [`History`](super::metrics::History).
#[derive(Debug, Clone)]
pub(super) struct World {
    pub(super) spot: Vec<SpotBatch>,
    pub(super) next_id: u32,
    pub(super) target: u32,
    pub(super) last_out: Option<u32>,
    pub(super) last_change: Option<u32>,
    /// Consecutive datapoints above the target value / below the scale-in threshold.
    pub(super) above: u32,
    pub(super) below: u32,
    /// The reservation datapoint of the previous minute.
    pub(super) last_reservation: Option<f64>,
    pub(super) spot_rng: Rng,
    pub(super) od: Vec<OdBatch>,
    pub(super) od_rng: Rng,
    /// Minute the group's last scaling activity completed (its cooldown starts there).
    pub(super) activity_end: Option<u32>,
    /// Dollars so far.
    pub(super) spot_cost: f64,
    pub(super) od_instance_minutes: u64,
    /// Application Auto Scaling tracks the reservation (`2017` policy and the
    /// references); false: the reconciler sets the target (`demand` policy).
    pub(super) tracked: bool,
    /// A `ModifySpotFleetRequest` in progress: (minute it applies, new target).
    pub(super) pending_target: Option<(u32, u32)>,
    /// First minute of the current run of minutes in which the fleet wanted to launch
    /// and no pool could take a launch.
    pub(super) launch_failed_since: Option<u32>,
}

pub(super) fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

pub(super) fn to_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

impl World {
    /// Warm start: the fleet runs the target for the demand at minute 0, registered;
    /// the group runs its `min_size`, registered.
    pub(super) fn new(env: &Env) -> World {
        let a = &env.config.spot.autoscaling;
        let demand = env.scenario.demand_at(0);
        let pct = u64::from(a.target_percent.clamp(1, 100));
        let target = to_u32(ceil_div(u64::from(demand) * 100, pct))
            .clamp(a.min_capacity, a.max_capacity.max(a.min_capacity));
        let (min, _) = env.bounds();
        let mut w = World {
            spot: Vec::new(),
            next_id: 0,
            target,
            last_out: None,
            last_change: None,
            above: 0,
            below: 0,
            last_reservation: None,
            spot_rng: Rng::new(env.scenario.seed, 1),
            od: Vec::new(),
            od_rng: Rng::new(env.scenario.seed, 2),
            activity_end: None,
            spot_cost: 0.0,
            od_instance_minutes: 0,
            tracked: true,
            pending_target: None,
            launch_failed_since: None,
        };
        if min > 0 {
            w.od.push(OdBatch {
                count: min,
                running_at: 0,
                serve_at: 0,
            });
        }
        w.maintain(env, 0);
        w
    }

    /// Units of spot instances registered in ECS at minute `t`: (active, draining).
    /// An instance whose pool is lost within the next `warning_minutes` has had its
    /// interruption warning, and the ECS agent drains it on that warning
    /// (`ECS_ENABLE_SPOT_INSTANCE_DRAINING=true` in the user data; ECS developer guide,
    /// "Spot Instance draining"), so the ECS API shows it DRAINING.
    pub(super) fn spot_registered_split(&self, env: &Env, t: u32) -> (u64, u64) {
        let warn = env.scenario.warning_minutes;
        let (mut active, mut draining) = (0u64, 0u64);
        for b in self.spot.iter().filter(|b| b.serve_at <= t) {
            let spec = env.pools[b.pool].spec;
            let units = u64::from(b.count) * u64::from(env.pools[b.pool].weight);
            let warned = warn > 0 && (t + 1..=t.saturating_add(warn)).any(|s| spec.lost_at(s));
            if warned {
                draining += units;
            } else {
                active += units;
            }
        }
        (active, draining)
    }

    pub(super) fn units_in_flight(&self, env: &Env) -> u64 {
        self.spot
            .iter()
            .map(|b| u64::from(b.count) * u64::from(env.pools[b.pool].weight))
            .sum()
    }

    /// Figures of minute `t` after every change, and billing of the minute.
    pub(super) fn measure(&mut self, env: &Env, t: u32) -> Measure {
        let pools = &env.pools;
        let demand = env.scenario.demand_at(t);
        let fulfilled = self.units_in_flight(env);
        let spot_registered: u64 = self
            .spot
            .iter()
            .filter(|b| b.serve_at <= t)
            .map(|b| u64::from(b.count) * u64::from(pools[b.pool].weight))
            .sum();
        let od_registered: u32 = self
            .od
            .iter()
            .filter(|b| b.serve_at <= t)
            .fold(0u32, |s, b| s.saturating_add(b.count));
        let od_alive = self.od_alive();
        // CPUReservation: "the total CPU units that are reserved by Amazon ECS tasks on
        // the cluster, divided by the total CPU units for all of the Amazon EC2
        // instances registered in the cluster" (ECS developer guide, "Amazon ECS
        // CloudWatch metrics"): on-demand instances count in the denominator, and a
        // task that cannot be placed reserves nothing.
        let registered = spot_registered + u64::from(od_registered) * u64::from(env.od_weight);
        let placed = u64::from(demand).min(registered);
        let reservation = (registered > 0).then(|| placed as f64 * 100.0 / registered as f64);
        self.last_reservation = reservation;
        self.spot_cost += self
            .spot
            .iter()
            .map(|b| f64::from(b.count) * pools[b.pool].spec.price_per_hour / 60.0)
            .sum::<f64>();
        self.od_instance_minutes += u64::from(od_alive);
        Measure {
            demand,
            target: self.target,
            fulfilled: to_u32(fulfilled),
            spot_registered: to_u32(spot_registered),
            od_alive,
            od_registered,
            reservation,
            uncovered: to_u32(u64::from(demand).saturating_sub(registered)),
        }
    }
}
