//! The spot side of the simulation: pools, the fleet under target tracking, and what
//! CloudWatch reports of it. Shared by every policy, since the fleet does not see the
//! on-demand group.

use spotcover_reconciler_core::settings::metrics_lookback_secs;
use spotcover_reconciler_core::{Datapoint, Observation, Policy};
use spotcover_stack::StackConfig;
use spotcover_stack::config::AllocationStrategy;

use super::START_EPOCH;
use crate::scenario::Scenario;

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

#[derive(Debug, Clone)]
pub(super) struct SpotInstance {
    /// Unique within a run, in launch order (the EC2 instance id).
    id: u32,
    pool: usize,
    ready_at: u32,
}

/// A spot interruption warning for one instance.
#[derive(Debug, Clone)]
pub(super) struct Warning {
    pub(super) instance: u32,
    pub(super) instance_type: String,
    /// Past its launch latency, so registered in the ECS cluster. An instance still
    /// launching has no container instance yet: the reconciler does not find it.
    pub(super) registered: bool,
}

/// A spot pool as the fleet sees it.
pub(super) struct Pool<'a> {
    spec: &'a crate::scenario::PoolSpec,
    weight: u32,
    /// Config order, for ties.
    order: usize,
}

impl Pool<'_> {
    fn price_per_unit(&self) -> f64 {
        self.spec.price_per_hour / f64::from(self.weight)
    }
}

/// Per-minute history of the fleet, identical for every policy.
pub(super) struct FleetRun {
    pub(super) demand: Vec<u32>,
    pub(super) target: Vec<u32>,
    pub(super) fulfilled: Vec<u32>,
    /// Dollars, whole run.
    pub(super) cost: f64,
    /// Target and fulfilled before minute 0 (the warm start), for CloudWatch history.
    pub(super) initial: (u32, u32),
    /// Interruption warnings issued at each minute.
    pub(super) warnings: Vec<Vec<Warning>>,
}

pub(super) fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

/// The fleet's target as target tracking would set it for `demand` units reserved.
pub(super) fn tracked_target(config: &StackConfig, demand: u32) -> u32 {
    let a = &config.spot.autoscaling;
    let pct = u64::from(a.target_percent.clamp(1, 100));
    let raw = ceil_div(u64::from(demand) * 100, pct);
    let lo = a.min_capacity;
    let hi = a.max_capacity.max(lo);
    u32::try_from(raw).unwrap_or(u32::MAX).clamp(lo, hi)
}

pub(super) fn secs_to_minutes(s: u32) -> i64 {
    i64::from(s.div_ceil(60))
}

pub(super) fn run_fleet(config: &StackConfig, scenario: &Scenario) -> FleetRun {
    let pools: Vec<Pool> = config
        .spot
        .instance_types
        .iter()
        .enumerate()
        .map(|(order, t)| Pool {
            spec: scenario
                .pools
                .iter()
                .find(|p| p.instance_type == t.instance_type)
                .expect("checked against the config"),
            weight: t.weight.max(1),
            order,
        })
        .collect();
    let lowest_price = config.spot.allocation_strategy == AllocationStrategy::LowestPrice;
    let mut rng = Rng::new(scenario.seed, 1);
    let n = scenario.duration_minutes as usize;
    let a = &config.spot.autoscaling;
    let out_cd = secs_to_minutes(a.scale_out_cooldown_seconds);
    let in_cd = secs_to_minutes(a.scale_in_cooldown_seconds);

    let mut instances: Vec<SpotInstance> = Vec::new();
    let mut target = tracked_target(config, scenario.demand_at(0));
    let mut last_out: i64 = i64::MIN / 2;
    let mut last_any: i64 = i64::MIN / 2;
    let mut run = FleetRun {
        demand: Vec::with_capacity(n),
        target: Vec::with_capacity(n),
        fulfilled: Vec::with_capacity(n),
        cost: 0.0,
        initial: (target, 0),
        warnings: Vec::with_capacity(n),
    };
    let mut next_id: u32 = 0;
    let warn = scenario.warning_minutes;

    for t in 0..scenario.duration_minutes {
        let tm = i64::from(t);
        let demand = scenario.demand_at(t);
        // Target tracking on the reservation, in steps limited by the cooldowns.
        let wanted = tracked_target(config, demand);
        if wanted > target && tm - last_out >= out_cd {
            target = wanted;
            last_out = tm;
            last_any = tm;
        } else if wanted < target && tm - last_any >= in_cd {
            target = wanted;
            last_any = tm;
        }

        // Pools lost now interrupt their instances (launching ones too).
        instances.retain(|i| pools[i.pool].spec.available_at(t));

        // Maintain: launch until the units in flight reach the target.
        let mut in_flight: u32 = instances.iter().map(|i| pools[i.pool].weight).sum();
        while in_flight < target {
            let mut units = vec![0u32; pools.len()];
            for i in &instances {
                units[i.pool] += pools[i.pool].weight;
            }
            let pick = (0..pools.len())
                .filter(|&p| pools[p].spec.available_at(t))
                .min_by(|&x, &y| {
                    let key = |p: usize| {
                        let spread = if lowest_price { 0 } else { units[p] };
                        (spread, pools[p].price_per_unit(), pools[p].order)
                    };
                    let (kx, ky) = (key(x), key(y));
                    kx.0.cmp(&ky.0)
                        .then(kx.1.total_cmp(&ky.1))
                        .then(kx.2.cmp(&ky.2))
                });
            let Some(p) = pick else { break };
            // The warm start: instances present at minute 0 are already running.
            let ready_at = if t == 0 {
                0
            } else {
                t + pools[p].spec.launch_latency_minutes
                    + rng.upto(pools[p].spec.launch_jitter_minutes)
            };
            instances.push(SpotInstance {
                id: next_id,
                pool: p,
                ready_at,
            });
            next_id += 1;
            in_flight += pools[p].weight;
        }
        // Excess: terminate what is not needed, launching ones first, then the most
        // expensive per unit, while the target stays met.
        loop {
            let victim = instances
                .iter()
                .enumerate()
                .filter(|(_, i)| in_flight - pools[i.pool].weight >= target)
                .max_by(|(ix, x), (iy, y)| {
                    (x.ready_at > t)
                        .cmp(&(y.ready_at > t))
                        .then(
                            pools[x.pool]
                                .price_per_unit()
                                .total_cmp(&pools[y.pool].price_per_unit()),
                        )
                        .then(ix.cmp(iy))
                })
                .map(|(k, _)| k);
            let Some(k) = victim else { break };
            in_flight -= pools[instances[k].pool].weight;
            instances.remove(k);
        }

        // Warnings: every instance (running or launching) of a pool lost `warn` minutes
        // from now; at minute 0 also those of pools lost sooner than that.
        let lost_from = if t == 0 { 1 } else { t + warn };
        let warned: Vec<Warning> = if warn == 0 {
            Vec::new()
        } else {
            instances
                .iter()
                .filter(|i| (lost_from..=t + warn).any(|s| pools[i.pool].spec.lost_at(s)))
                .map(|i| Warning {
                    instance: i.id,
                    instance_type: pools[i.pool].spec.instance_type.clone(),
                    registered: i.ready_at <= t,
                })
                .collect()
        };
        run.warnings.push(warned);

        let fulfilled: u32 = instances
            .iter()
            .filter(|i| i.ready_at <= t)
            .map(|i| pools[i.pool].weight)
            .sum();
        run.cost += instances
            .iter()
            .map(|i| pools[i.pool].spec.price_per_hour / 60.0)
            .sum::<f64>();
        if t == 0 {
            run.initial = (target, fulfilled);
        }
        run.demand.push(demand);
        run.target.push(target);
        run.fulfilled.push(fulfilled);
    }
    run
}

/// How many minutes of CloudWatch history the reconciler reads: the Lambda's own
/// look-back ([`metrics_lookback_secs`]).
pub(super) fn window_minutes(policy: &Policy) -> i64 {
    i64::try_from(metrics_lookback_secs(policy).div_ceil(60)).unwrap_or(i64::MAX)
}

/// The fleet's metrics as CloudWatch reports them to a run at the start of minute `t`:
/// one datapoint per complete minute before `t`, at most `window` of them. Minutes
/// before 0 repeat the warm start.
pub(super) fn observe(fleet: &FleetRun, t: u32, window: i64) -> Observation {
    let mut obs = Observation::default();
    let start = i64::from(t) - window;
    for m in start..i64::from(t) {
        let (target, fulfilled) = if m < 0 {
            fleet.initial
        } else {
            (fleet.target[m as usize], fleet.fulfilled[m as usize])
        };
        let at = START_EPOCH + m * 60;
        obs.target.push(Datapoint::new(at, f64::from(target)));
        obs.fulfilled.push(Datapoint::new(at, f64::from(fulfilled)));
    }
    obs
}
