//! The simulation proper: one world per policy (spot pools, the fleet and its target
//! tracking on the cluster's reservation, the on-demand group), stepped minute by minute.
//! The fleet sees the group through the reservation, so every policy has its own fleet.

use std::collections::BTreeMap;

use spotcover_reconciler_core::settings::metrics_lookback_secs;
use spotcover_reconciler_core::{
    Action, ContainerInstance, DEFAULT_STALE_AFTER_SECS, Datapoint, EpochSeconds, GroupState,
    InstanceStatus, InterruptionPolicy, Notice, Observation, Policy, decide, decide_interruption,
};
use spotcover_stack::config::AllocationStrategy;
use spotcover_stack::{ConfigError, StackConfig};

use crate::report::{MinuteRecord, PolicyName, PolicyReport, Report};
use crate::scenario::{PoolSpec, Scenario};

/// Epoch second of minute 0 (2026-01-01T00:00:00Z); only differences matter.
pub const START_EPOCH: EpochSeconds = 1_767_225_600;

/// Quiet period of the 2017 design, seconds.
pub const QUIET_2017_SECS: u64 = 600;
/// On-demand group cooldown of the 2017 design, seconds.
pub const COOLDOWN_2017_SECS: u32 = 2700;

/// Consecutive one-minute datapoints above the target value before target tracking
/// scales out. Source: the alarms Application Auto Scaling creates for a target tracking
/// policy ("AlarmHigh": 3 datapoints within 3 minutes; shared reference
/// aws-real-world.md, from the alarms as AWS creates them; the Application Auto Scaling
/// user guide, "How target tracking scaling for Application Auto Scaling works", says
/// only that it "creates and manages the CloudWatch alarms").
pub const SCALE_OUT_DATAPOINTS: u32 = 3;
/// Consecutive one-minute datapoints below the scale-in threshold before target
/// tracking scales in ("AlarmLow": 15 datapoints within 15 minutes; same source).
pub const SCALE_IN_DATAPOINTS: u32 = 15;
/// Target tracking scales in only below this fraction of the target value. Source:
/// Application Auto Scaling user guide, "How target tracking scaling for Application
/// Auto Scaling works": it removes capacity only when utilization is "sufficiently
/// below the target value (usually more than 10% lower)".
pub const SCALE_IN_FRACTION: f64 = 0.9;

/// splitmix64: small, seedable, and the same on every platform.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
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
    fn upto(&mut self, max: u32) -> u32 {
        if max == 0 {
            0
        } else {
            (self.next() % (u64::from(max) + 1)) as u32
        }
    }
}

/// Spot instances of one pool launched in the same minute that register in the same
/// minute. Instance `k` of the batch has id `first_id + k`.
#[derive(Debug, Clone)]
struct SpotBatch {
    first_id: u32,
    pool: usize,
    count: u32,
    /// First minute the instances are registered in ECS (tasks can be placed).
    serve_at: u32,
}

/// On-demand instances launched in the same minute that run and register together.
#[derive(Debug, Clone)]
struct OdBatch {
    count: u32,
    /// First minute the instances are InService (the scaling activity is complete).
    running_at: u32,
    serve_at: u32,
}

/// A spot interruption warning for the instances of a batch.
#[derive(Debug, Clone)]
struct Warning {
    first_id: u32,
    count: u32,
    instance_type: String,
    /// Registered in the ECS cluster. An instance still launching has no container
    /// instance yet: the reconciler does not find it.
    registered: bool,
}

/// A spot pool as the fleet sees it.
struct Pool<'a> {
    spec: &'a PoolSpec,
    weight: u32,
    /// Config order, for ties.
    order: usize,
}

impl Pool<'_> {
    fn price_per_unit(&self) -> f64 {
        self.spec.price_per_hour / f64::from(self.weight)
    }
}

/// What does not change during a run.
struct Env<'a> {
    config: &'a StackConfig,
    scenario: &'a Scenario,
    pools: Vec<Pool<'a>>,
    lowest_price: bool,
    /// Units one on-demand instance counts for.
    od_weight: u32,
}

impl<'a> Env<'a> {
    fn new(config: &'a StackConfig, scenario: &'a Scenario) -> Self {
        let pools = config
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
        Env {
            config,
            scenario,
            pools,
            lowest_price: config.spot.allocation_strategy == AllocationStrategy::LowestPrice,
            od_weight: config.on_demand.weight.max(1),
        }
    }
    fn bounds(&self) -> (u32, u32) {
        let od = &self.config.on_demand;
        (od.min_size, od.max_size.max(od.min_size))
    }
}

/// The figures of one minute, after every change of that minute.
#[derive(Debug, Clone, Copy)]
struct Measure {
    demand: u32,
    target: u32,
    /// FulfilledCapacity: units of every instance the fleet has launched.
    fulfilled: u32,
    /// Units of spot instances registered in ECS.
    spot_registered: u32,
    od_alive: u32,
    od_registered: u32,
    /// CPUReservation in percent; `None` when nothing is registered (ECS publishes
    /// no datapoint then).
    reservation: Option<f64>,
    uncovered: u32,
}

/// Everything that evolves in one policy's world. Small and cheap to clone (the
/// oracle looks ahead on a clone); the per-minute history lives in [`History`].
#[derive(Debug, Clone)]
struct World {
    spot: Vec<SpotBatch>,
    next_id: u32,
    target: u32,
    last_out: Option<u32>,
    last_change: Option<u32>,
    /// Consecutive datapoints above the target value / below the scale-in threshold.
    above: u32,
    below: u32,
    /// The reservation datapoint of the previous minute.
    last_reservation: Option<f64>,
    spot_rng: Rng,
    od: Vec<OdBatch>,
    od_rng: Rng,
    /// Minute the group's last scaling activity completed (its cooldown starts there).
    activity_end: Option<u32>,
    /// Dollars so far.
    spot_cost: f64,
    od_instance_minutes: u64,
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

fn to_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Seconds from minute `from` to minute `to` (`to >= from`) are at least `secs`.
fn elapsed(from: Option<u32>, to: u32, secs: u32) -> bool {
    from.is_none_or(|f| to >= f && u64::from(to - f) * 60 >= u64::from(secs))
}

impl World {
    /// Warm start: the fleet runs the target for the demand at minute 0, registered;
    /// the group runs its `min_size`, registered.
    fn new(env: &Env) -> World {
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

    fn units_in_flight(&self, env: &Env) -> u64 {
        self.spot
            .iter()
            .map(|b| u64::from(b.count) * u64::from(env.pools[b.pool].weight))
            .sum()
    }

    /// Application Auto Scaling's target tracking on the cluster's CPUReservation,
    /// acting at the start of minute `t` on the datapoint of minute `t - 1`. Returns
    /// whether the target changed.
    ///
    /// - ECS publishes CPUReservation every minute: "Amazon ECS sends metrics to
    ///   CloudWatch at one-minute intervals" (ECS developer guide, "Amazon ECS
    ///   CloudWatch metrics"); a minute with no registered instance has no datapoint,
    ///   which breaks a run of breaching datapoints.
    /// - Scale out after [`SCALE_OUT_DATAPOINTS`] datapoints above the target value,
    ///   to `ceil(TargetCapacity * reservation / target)`: the "current capacity" of a
    ///   Spot Fleet is its TargetCapacity, and the new capacity is proportional to the
    ///   metric (user guide, "How target tracking ... works": "adds capacity in
    ///   proportion to the metric value"). The alarm stays in ALARM, so it acts again
    ///   every minute the datapoints keep breaching, once `scale_out_cooldown_seconds`
    ///   have passed since the last scale-out.
    /// - Scale in after [`SCALE_IN_DATAPOINTS`] datapoints below
    ///   [`SCALE_IN_FRACTION`] of the target value, to the same proportion, once
    ///   `scale_in_cooldown_seconds` have passed since the last change of either kind.
    /// - Cooldowns count from the change: Spot Fleet applies a new TargetCapacity at
    ///   once ("after a scale-out activity completes", `ScaleOutCooldown` in the
    ///   Application Auto Scaling API reference).
    fn track(&mut self, env: &Env, t: u32) -> bool {
        let a = &env.config.spot.autoscaling;
        let tp = f64::from(a.target_percent.clamp(1, 100));
        match self.last_reservation {
            Some(r) if r > tp => {
                self.above = self.above.saturating_add(1);
                self.below = 0;
            }
            Some(r) if r < tp * SCALE_IN_FRACTION => {
                self.below = self.below.saturating_add(1);
                self.above = 0;
            }
            _ => {
                self.above = 0;
                self.below = 0;
            }
        }
        let Some(r) = self.last_reservation else {
            return false;
        };
        let (lo, hi) = (a.min_capacity, a.max_capacity.max(a.min_capacity));
        let proportional = (f64::from(self.target) * r / tp - 1e-9).ceil().max(0.0);
        let wanted = if proportional >= f64::from(hi) {
            hi
        } else {
            (proportional as u32).clamp(lo, hi)
        };
        if self.above >= SCALE_OUT_DATAPOINTS
            && wanted > self.target
            && elapsed(self.last_out, t, a.scale_out_cooldown_seconds)
        {
            self.target = wanted;
            self.last_out = Some(t);
            self.last_change = Some(t);
            return true;
        }
        if self.below >= SCALE_IN_DATAPOINTS
            && wanted < self.target
            && elapsed(self.last_change, t, a.scale_in_cooldown_seconds)
        {
            self.target = wanted;
            self.last_change = Some(t);
            return true;
        }
        false
    }

    /// The fleet's `maintain` behaviour at minute `t`: launch up to the target, then
    /// give back what exceeds it (see the crate docs).
    fn maintain(&mut self, env: &Env, t: u32) {
        let pools = &env.pools;
        let reg = env.scenario.ecs_registration_minutes;
        let target = u64::from(self.target);
        let mut in_flight = self.units_in_flight(env);
        let mut units: Vec<u64> = vec![0; pools.len()];
        for b in &self.spot {
            units[b.pool] += u64::from(b.count) * u64::from(pools[b.pool].weight);
        }
        while in_flight < target {
            let pick = (0..pools.len())
                .filter(|&p| pools[p].spec.available_at(t))
                .min_by(|&x, &y| {
                    let key = |p: usize| {
                        let spread = if env.lowest_price { 0 } else { units[p] };
                        (spread, pools[p].price_per_unit(), pools[p].order)
                    };
                    let (kx, ky) = (key(x), key(y));
                    kx.0.cmp(&ky.0)
                        .then(kx.1.total_cmp(&ky.1))
                        .then(kx.2.cmp(&ky.2))
                });
            let Some(p) = pick else { break };
            let w = u64::from(pools[p].weight);
            // The warm start: instances present at minute 0 are already registered.
            let serve_at = if t == 0 {
                0
            } else {
                t.saturating_add(pools[p].spec.launch_latency_minutes)
                    .saturating_add(self.spot_rng.upto(pools[p].spec.launch_jitter_minutes))
                    .saturating_add(reg)
            };
            match self.spot.last_mut() {
                Some(b)
                    if b.pool == p
                        && b.serve_at == serve_at
                        && b.first_id.saturating_add(b.count) == self.next_id =>
                {
                    b.count += 1
                }
                _ => self.spot.push(SpotBatch {
                    first_id: self.next_id,
                    pool: p,
                    count: 1,
                    serve_at,
                }),
            }
            self.next_id = self.next_id.saturating_add(1);
            in_flight += w;
            units[p] += w;
        }
        // Excess: terminate what is not needed, launching ones first, then the most
        // expensive per unit, while the target stays met.
        loop {
            let victim = self
                .spot
                .iter()
                .enumerate()
                .filter(|(_, b)| in_flight - u64::from(pools[b.pool].weight) >= target)
                .max_by(|(ix, x), (iy, y)| {
                    (x.serve_at > t)
                        .cmp(&(y.serve_at > t))
                        .then(
                            pools[x.pool]
                                .price_per_unit()
                                .total_cmp(&pools[y.pool].price_per_unit()),
                        )
                        .then(ix.cmp(iy))
                })
                .map(|(k, _)| k);
            let Some(k) = victim else { break };
            let w = u64::from(pools[self.spot[k].pool].weight);
            // The same batch stays the victim while it is eligible: remove at once.
            let n = ((in_flight - target) / w).min(u64::from(self.spot[k].count));
            in_flight -= n * w;
            self.spot[k].count -= n as u32;
            if self.spot[k].count == 0 {
                self.spot.remove(k);
            }
        }
    }

    /// The fleet's minute `t`: target tracking, interruptions, `maintain`, and the
    /// interruption warnings issued this minute. Returns (target changed, warnings).
    fn fleet_step(&mut self, env: &Env, t: u32) -> (bool, Vec<Warning>) {
        let changed = self.track(env, t);
        let pools = &env.pools;
        // Pools lost now interrupt their instances (launching ones too).
        self.spot.retain(|b| pools[b.pool].spec.available_at(t));
        self.maintain(env, t);
        // Warnings: every instance (running or launching) of a pool lost `warn` minutes
        // from now; at minute 0 also those of pools lost sooner than that.
        let warn = env.scenario.warning_minutes;
        let lost_from = if t == 0 { 1 } else { t.saturating_add(warn) };
        let warned = if warn == 0 {
            Vec::new()
        } else {
            self.spot
                .iter()
                .filter(|b| {
                    (lost_from..=t.saturating_add(warn)).any(|s| pools[b.pool].spec.lost_at(s))
                })
                .map(|b| Warning {
                    first_id: b.first_id,
                    count: b.count,
                    instance_type: pools[b.pool].spec.instance_type.clone(),
                    registered: b.serve_at <= t,
                })
                .collect()
        };
        (changed, warned)
    }

    fn od_alive(&self) -> u32 {
        self.od.iter().fold(0u32, |s, b| s.saturating_add(b.count))
    }

    /// Auto Scaling's `SetDesiredCapacity`, then the group converging on it. A call
    /// that honours the cooldown inside it is refused (returns false). The cooldown
    /// counts from the end of the scaling activity: for a scale-out, the minute the
    /// last instance it launched is InService; for a scale-in, the minute it
    /// terminates (Amazon EC2 Auto Scaling user guide, "Scaling cooldowns": the group
    /// "waits for a cooldown period to end" after it "launches or terminates
    /// instances"; `DefaultCooldown`: "the number of seconds after a scaling activity
    /// completes before another scaling activity can start").
    fn set_desired(
        &mut self,
        env: &Env,
        t: u32,
        desired: u32,
        honor_cooldown: bool,
        cooldown_secs: u32,
        jitter: bool,
    ) -> bool {
        let cooling = self
            .activity_end
            .is_some_and(|e| t < e || u64::from(t - e) * 60 < u64::from(cooldown_secs));
        if honor_cooldown && cooling {
            return false;
        }
        let alive = self.od_alive();
        if desired > alive {
            let sc = env.scenario;
            let jitter = jitter && sc.on_demand.launch_jitter_minutes > 0;
            let mut end = t;
            // Without jitter every instance runs and registers at the same minute: one
            // batch, whatever the count.
            let draws = if jitter { desired - alive } else { 1 };
            let each = if jitter { 1 } else { desired - alive };
            for _ in 0..draws {
                let j = if jitter {
                    self.od_rng.upto(sc.on_demand.launch_jitter_minutes)
                } else {
                    0
                };
                let running_at = t
                    .saturating_add(sc.on_demand.launch_latency_minutes)
                    .saturating_add(j);
                let serve_at = running_at.saturating_add(sc.ecs_registration_minutes);
                end = end.max(running_at);
                match self
                    .od
                    .iter_mut()
                    .find(|b| b.running_at == running_at && b.serve_at == serve_at)
                {
                    Some(b) => b.count = b.count.saturating_add(each),
                    None => self.od.push(OdBatch {
                        count: each,
                        running_at,
                        serve_at,
                    }),
                }
            }
            self.activity_end = Some(end);
        } else if desired < alive {
            // Terminations are immediate: launching instances first, then the newest.
            let mut excess = alive - desired;
            while excess > 0 {
                let k = (0..self.od.len())
                    .max_by_key(|&k| (self.od[k].serve_at, k))
                    .expect("alive > 0");
                let n = excess.min(self.od[k].count);
                self.od[k].count -= n;
                excess -= n;
                if self.od[k].count == 0 {
                    self.od.remove(k);
                }
            }
            self.activity_end = Some(t);
        }
        true
    }

    /// Figures of minute `t` after every change, and billing of the minute.
    fn measure(&mut self, env: &Env, t: u32) -> Measure {
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

/// TargetCapacity and FulfilledCapacity of every minute so far, for CloudWatch.
struct History {
    target: Vec<u32>,
    fulfilled: Vec<u32>,
    /// Before minute 0 (the warm start).
    initial: (u32, u32),
}

/// How many minutes of CloudWatch history the reconciler reads: the Lambda's own
/// look-back ([`metrics_lookback_secs`], `max(Q, S)` plus one 5-minute period).
fn window_minutes(policy: &Policy) -> i64 {
    i64::try_from(metrics_lookback_secs(policy).div_ceil(60)).unwrap_or(i64::MAX)
}

/// The fleet's metrics as CloudWatch gives them to a run at the start of minute `t`:
/// one datapoint per `period` minutes (timestamped at the period's start), readable
/// `delay` minutes after the period ends, within the `window`. Values are the
/// statistics the Lambda asks for: TargetCapacity `Maximum`, FulfilledCapacity
/// `Minimum` over the period. Minutes before 0 repeat the warm start.
fn observe(h: &History, t: u32, window: i64, period: u32, delay: u32) -> Observation {
    let mut obs = Observation::default();
    let p = i64::from(period.max(1));
    let now = i64::from(t);
    // Period k covers minutes [k p, (k + 1) p) and is readable from (k + 1) p + delay.
    let last = (now - i64::from(delay)).div_euclid(p) - 1;
    let first = -((window - now).div_euclid(p)); // ceil((now - window) / p)
    for k in first..=last {
        let (mut target, mut fulfilled) = (0u32, u32::MAX);
        for m in k * p..(k + 1) * p {
            let (tc, fc) = if m < 0 {
                h.initial
            } else {
                (h.target[m as usize], h.fulfilled[m as usize])
            };
            target = target.max(tc);
            fulfilled = fulfilled.min(fc);
        }
        let at = START_EPOCH + k * p * 60;
        obs.target.push(Datapoint::new(at, f64::from(target)));
        obs.fulfilled.push(Datapoint::new(at, f64::from(fulfilled)));
    }
    obs
}

/// Who drives the on-demand group.
enum Driver<'a> {
    /// No group at all.
    None,
    /// The real reconciler core on the CloudWatch metrics.
    Reconciler {
        policy: Policy,
        cooldown_secs: u32,
        interruptions: Option<&'a InterruptionPolicy>,
    },
    /// Knows the present exactly and at once: each minute, desired = what covers the
    /// demand the registered spot instances leave, no quiet period; scale-ins honour
    /// the config's group cooldown, as the reconciler's do.
    Floor,
    /// Clairvoyant (see the crate docs).
    Oracle,
}

/// Instances that cover `demand` beyond `spot` registered units.
fn cover(env: &Env, demand: u32, spot: u32) -> u32 {
    let (min, max) = env.bounds();
    let short = u64::from(demand).saturating_sub(u64::from(spot));
    to_u32(ceil_div(short, u64::from(env.od_weight))).clamp(min, max)
}

fn run(env: &Env, name: PolicyName, driver: Driver) -> PolicyReport {
    let sc = env.scenario;
    let n = sc.duration_minutes;
    let mut world = World::new(env);
    let mut hist = History {
        target: Vec::with_capacity(n as usize),
        fulfilled: Vec::with_capacity(n as usize),
        initial: (world.target, to_u32(world.units_in_flight(env))),
    };
    let mut minutes = Vec::with_capacity(n as usize);
    let mut refused = 0u32;
    let mut target_changes = 0u32;
    let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
    let mut warning_reasons: BTreeMap<String, u32> = BTreeMap::new();
    // The `spotcover.covered` ECS attribute: instances of a batch covered so far
    // (by first id; instances are covered in id order).
    let mut covered: BTreeMap<u32, u32> = BTreeMap::new();
    let (min, max) = env.bounds();
    let od_latency = sc
        .on_demand
        .launch_latency_minutes
        .saturating_add(sc.ecs_registration_minutes);

    for t in 0..n {
        let (changed, warnings) = world.fleet_step(env, t);
        target_changes += u32::from(changed);
        match &driver {
            Driver::None => {}
            Driver::Reconciler {
                policy,
                cooldown_secs,
                interruptions,
            } => {
                let now = START_EPOCH + i64::from(t) * 60;
                let obs = observe(
                    &hist,
                    t,
                    window_minutes(policy),
                    sc.metric_period_minutes,
                    sc.metric_delay_minutes,
                );
                let group = GroupState {
                    desired: world.od_alive(),
                    min,
                    max,
                };
                let d = decide(policy, &obs, Some(&group), now);
                *reasons.entry(reason_name(&d.reason)).or_default() += 1;
                if let Action::SetDesired {
                    desired,
                    honor_cooldown,
                } = d.action
                    && !world.set_desired(env, t, desired, honor_cooldown, *cooldown_secs, true)
                {
                    refused += 1;
                }
                // Interruption warnings arriving during the minute, handled by the core.
                let ip = interruptions.filter(|_| !warnings.is_empty());
                for (w, ip) in warnings.iter().filter_map(|w| ip.map(|ip| (w, ip))) {
                    for k in 0..w.count {
                        let done = covered.get(&w.first_id).copied().unwrap_or(0);
                        let instance = w.registered.then(|| ContainerInstance {
                            status: InstanceStatus::Active,
                            instance_type: Some(w.instance_type.clone()),
                            covered: k < done,
                        });
                        let group = GroupState {
                            desired: world.od_alive(),
                            min,
                            max,
                        };
                        let d = decide_interruption(
                            policy,
                            ip,
                            Notice::InterruptionWarning,
                            instance.as_ref(),
                            Some(&group),
                        );
                        *warning_reasons
                            .entry(interruption_reason_name(d.reason))
                            .or_default() += 1;
                        if let Action::SetDesired {
                            desired,
                            honor_cooldown,
                        } = d.action
                            && !world.set_desired(
                                env,
                                t,
                                desired,
                                honor_cooldown,
                                *cooldown_secs,
                                true,
                            )
                        {
                            refused += 1;
                        }
                        if d.mark_covered {
                            covered.insert(w.first_id, done.max(k + 1));
                        }
                    }
                }
            }
            Driver::Floor => {
                let spot: u64 = world
                    .spot
                    .iter()
                    .filter(|b| b.serve_at <= t)
                    .map(|b| u64::from(b.count) * u64::from(env.pools[b.pool].weight))
                    .sum();
                let wanted = cover(env, sc.demand_at(t), to_u32(spot));
                let alive = world.od_alive();
                let cooldown = env.config.on_demand.cooldown_seconds;
                if wanted != alive
                    && !world.set_desired(env, t, wanted, wanted < alive, cooldown, true)
                {
                    refused += 1;
                }
            }
            Driver::Oracle => {
                // What it needs now and at every minute up to t + latency, from a
                // look-ahead on a copy of this world with the group held as it is; an
                // instance launched for minute v lives from v - latency.
                let now_spot = world
                    .spot
                    .iter()
                    .filter(|b| b.serve_at <= t)
                    .map(|b| u64::from(b.count) * u64::from(env.pools[b.pool].weight))
                    .sum::<u64>();
                let mut wanted = cover(env, sc.demand_at(t), to_u32(now_spot));
                let u = t.saturating_add(od_latency).min(n - 1);
                if u > t {
                    let mut ahead = world.clone();
                    ahead.measure(env, t);
                    for s in t + 1..=u {
                        ahead.fleet_step(env, s);
                        let m = ahead.measure(env, s);
                        wanted = wanted.max(cover(env, m.demand, m.spot_registered));
                    }
                }
                world.set_desired(env, t, wanted, false, 0, false);
            }
        }
        let m = world.measure(env, t);
        hist.target.push(m.target);
        hist.fulfilled.push(m.fulfilled);
        minutes.push(MinuteRecord {
            minute: t,
            demand: m.demand,
            target: m.target,
            spot_fulfilled: m.fulfilled,
            spot_registered: m.spot_registered,
            on_demand_desired: m.od_alive,
            on_demand_running: m.od_registered,
            on_demand_units: to_u32(u64::from(m.od_registered) * u64::from(env.od_weight)),
            reservation_percent: m.reservation.map(|r| r.round() as u32),
            uncovered: m.uncovered,
        });
    }
    let hours = world.od_instance_minutes as f64 / 60.0;
    let od_cost = hours * sc.on_demand.price_per_hour;
    PolicyReport {
        policy: name,
        uncovered_unit_minutes: minutes.iter().map(|m| u64::from(m.uncovered)).sum(),
        on_demand_instance_hours: round4(hours),
        on_demand_cost: round4(od_cost),
        spot_cost: round4(world.spot_cost),
        total_cost: round4(od_cost + world.spot_cost),
        peak_on_demand_instances: minutes
            .iter()
            .map(|m| m.on_demand_desired)
            .max()
            .unwrap_or(0),
        fleet_target_changes: target_changes,
        scale_ins_refused: refused,
        decisions: reasons,
        interruption_decisions: warning_reasons,
        minutes,
    }
}

fn interruption_reason_name(r: spotcover_reconciler_core::InterruptionReason) -> String {
    use spotcover_reconciler_core::InterruptionReason::*;
    match r {
        RebalanceIgnored => "rebalance_ignored",
        NotThisCluster => "not_this_cluster",
        AlreadyCovered => "already_covered",
        NotActive => "not_active",
        GroupUnknown => "group_unknown",
        GroupBoundsInvalid => "group_bounds_invalid",
        DrainAndCover => "drain_and_cover",
        CoverDraining => "cover_draining",
    }
    .to_owned()
}

fn reason_name(r: &spotcover_reconciler_core::Reason) -> String {
    use spotcover_reconciler_core::Reason::*;
    match r {
        GroupUnknown => "group_unknown",
        GroupBoundsInvalid => "group_bounds_invalid",
        FleetMetricsMissing => "fleet_metrics_missing",
        FleetMetricsPartial => "fleet_metrics_partial",
        FleetMetricsInvalid => "fleet_metrics_invalid",
        FleetMetricsStale => "fleet_metrics_stale",
        FleetStillScaling => "fleet_still_scaling",
        Steady => "steady",
        CoverShortfall => "cover_shortfall",
        ReleaseCover => "release_cover",
    }
    .to_owned()
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Runs the scenario against the config under every policy (see the crate docs).
/// Fails when the scenario's pools are not exactly the config's spot instance types.
pub fn simulate(config: &StackConfig, scenario: &Scenario) -> Result<Report, ConfigError> {
    scenario.validate()?;
    scenario.check_against(config)?;
    let env = Env::new(config, scenario);
    let weight = env.od_weight;
    let mut policies = Vec::new();

    // (a) spot only: no on-demand group at all (not even its minimum).
    let mut spot_only = config.clone();
    spot_only.on_demand.min_size = 0;
    spot_only.on_demand.max_size = 0;
    let env0 = Env::new(&spot_only, scenario);
    policies.push(run(&env0, PolicyName::SpotOnly, Driver::None));

    // (b) the 2017 design: 10-minute quiet period, 45-minute cooldown, no warnings.
    let p2017 =
        Policy::with(weight, QUIET_2017_SECS, DEFAULT_STALE_AFTER_SECS).expect("weight >= 1");
    policies.push(run(
        &env,
        PolicyName::Design2017,
        Driver::Reconciler {
            policy: p2017,
            cooldown_secs: COOLDOWN_2017_SECS,
            interruptions: None,
        },
    ));

    // (c) the config's own values, acting on warnings as the deployed stack does: the
    // settings the template gives the Lambda.
    let settings = spotcover_stack::compose::reconciler_settings(config, (), (), ());
    let pdefault = settings
        .policy()
        .map_err(|e| ConfigError::at("", format!("the config's on_demand.weight: {e}")))?;
    let interruptions = settings
        .cluster
        .is_some()
        .then(|| settings.interruption_policy());
    policies.push(run(
        &env,
        PolicyName::Default,
        Driver::Reconciler {
            policy: pdefault,
            cooldown_secs: config.on_demand.cooldown_seconds,
            interruptions: interruptions.as_ref(),
        },
    ));

    // (d) the reachable floor and (e) the oracle.
    policies.push(run(&env, PolicyName::ReactiveFloor, Driver::Floor));
    policies.push(run(&env, PolicyName::Oracle, Driver::Oracle));

    Ok(Report {
        stack: config.stack.clone(),
        duration_minutes: scenario.duration_minutes,
        seed: scenario.seed,
        policies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
stack: unit
spot:
  instance_types:
    - { type: m6i.large, weight: 2 }
  target_capacity: 4
  autoscaling:
    { target_percent: 75, min_capacity: 2, max_capacity: 40, scale_out_cooldown_seconds: 60 }
on_demand:
  instance_types: [m6i.large]
  weight: 2
  cooldown_seconds: 600
";

    const SCENARIO: &str = "\
duration_minutes: 60
demand: [{ from_minute: 0, units: 12 }]
ecs_registration_minutes: 2
pools:
  - { type: m6i.large, price_per_hour: 0.03, launch_latency_minutes: 3 }
on_demand: { price_per_hour: 0.1, launch_latency_minutes: 4 }
";

    fn fixture() -> (StackConfig, Scenario) {
        let config = spotcover_stack::load(CONFIG).unwrap().remove(0).config;
        (config, Scenario::from_yaml(SCENARIO).unwrap())
    }

    fn latest_target(obs: &Observation) -> f64 {
        obs.target.iter().max_by_key(|p| p.at).unwrap().value
    }

    #[test]
    fn a_metric_value_changes_only_at_period_boundaries_and_after_the_delay() {
        // TargetCapacity 10 until minute 7, then 20. Periods of 5 minutes, 3 late: the
        // period [5, 10) holding the change is readable from minute 13.
        let h = History {
            target: (0..30).map(|m| if m < 7 { 10 } else { 20 }).collect(),
            fulfilled: vec![10; 30],
            initial: (10, 10),
        };
        for t in 7..13 {
            assert_eq!(latest_target(&observe(&h, t, 20, 5, 3)), 10.0, "minute {t}");
        }
        assert_eq!(latest_target(&observe(&h, 13, 20, 5, 3)), 20.0);
        // Datapoints are stamped at their period's start, one per period.
        let obs = observe(&h, 13, 20, 5, 3);
        assert!(obs.target.iter().all(|p| (p.at - START_EPOCH) % 300 == 0));
        // Per minute and at once, the change shows at the next minute.
        assert_eq!(latest_target(&observe(&h, 7, 20, 1, 0)), 10.0);
        assert_eq!(latest_target(&observe(&h, 8, 20, 1, 0)), 20.0);
    }

    #[test]
    fn adding_on_demand_instances_lowers_the_reservation_the_fleet_sees() {
        let (config, scenario) = fixture();
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        let before = w.measure(&env, 0).reservation.unwrap();
        w.od.push(OdBatch {
            count: 2,
            running_at: 0,
            serve_at: 0,
        });
        let after = w.measure(&env, 0).reservation.unwrap();
        // 12 units on 16 spot units; then on 16 + 2 * 2.
        assert_eq!(before, 75.0);
        assert_eq!(after, 60.0);
    }

    #[test]
    fn tasks_that_cannot_be_placed_reserve_nothing() {
        let (config, mut scenario) = fixture();
        scenario.demand[0].units = 100;
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        w.target = 16;
        w.maintain(&env, 0);
        w.spot.truncate(1);
        let m = w.measure(&env, 0);
        assert_eq!(m.reservation, Some(100.0), "{m:?}");
        assert_eq!(m.uncovered, 100 - m.spot_registered);
        // Nothing registered: no datapoint at all.
        w.spot.clear();
        assert_eq!(w.measure(&env, 0).reservation, None);
    }

    #[test]
    fn a_target_tracking_scale_out_needs_its_datapoints() {
        let (config, scenario) = fixture();
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        let start = w.target;
        w.last_reservation = Some(100.0);
        assert!(!w.track(&env, 1));
        assert!(!w.track(&env, 2));
        assert_eq!(w.target, start);
        // The third datapoint above 75 %: target * 100 / 75.
        assert!(w.track(&env, 3));
        assert_eq!(w.target, (start * 4).div_ceil(3));
        // A datapoint back at the target breaks the run.
        w.last_reservation = Some(75.0);
        assert!(!w.track(&env, 4));
        w.last_reservation = Some(100.0);
        assert!(!w.track(&env, 5));
        assert!(!w.track(&env, 6));
        assert!(w.track(&env, 7));
    }

    #[test]
    fn a_target_tracking_scale_in_needs_fifteen_datapoints_below_ninety_percent_of_target() {
        let (config, scenario) = fixture();
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        w.target = 30;
        // 68 % is below 75 % but not below 67.5 %: never a scale-in.
        w.last_reservation = Some(68.0);
        for t in 1..40 {
            assert!(!w.track(&env, t));
        }
        w.last_reservation = Some(50.0);
        for t in 40..54 {
            assert!(!w.track(&env, t), "minute {t}");
        }
        assert!(w.track(&env, 54));
        assert_eq!(w.target, 20);
    }

    #[test]
    fn target_tracking_scales_out_again_only_after_its_cooldown() {
        let (mut config, scenario) = fixture();
        config.spot.autoscaling.scale_out_cooldown_seconds = 300;
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        w.last_reservation = Some(100.0);
        let changes: Vec<u32> = (1..15).filter(|&t| w.track(&env, t)).collect();
        assert_eq!(changes, [3, 8, 13]);
    }

    #[test]
    fn fulfilled_capacity_counts_instances_before_they_register() {
        let (config, scenario) = fixture();
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        w.measure(&env, 0);
        w.target = 24;
        w.maintain(&env, 10);
        let m = w.measure(&env, 10);
        assert_eq!(m.fulfilled, 24);
        assert_eq!(m.spot_registered, 16);
        // Latency 3 plus registration 2.
        assert_eq!(w.measure(&env, 14).spot_registered, 16);
        assert_eq!(w.measure(&env, 15).spot_registered, 24);
    }

    #[test]
    fn an_instance_serves_ecs_only_after_its_registration_delay() {
        let (config, scenario) = fixture();
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        assert!(w.set_desired(&env, 10, 1, false, 600, false));
        // Running (InService) at 14, registered at 16.
        assert_eq!(w.od[0].running_at, 14);
        assert_eq!(w.measure(&env, 15).od_registered, 0);
        assert_eq!(w.measure(&env, 16).od_registered, 1);
    }

    #[test]
    fn the_group_cooldown_counts_from_the_end_of_its_scaling_activity() {
        let (config, scenario) = fixture();
        let env = Env::new(&config, &scenario);
        let mut w = World::new(&env);
        assert!(w.set_desired(&env, 10, 2, false, 600, false));
        // The activity ends at 14, when the instances are InService: a scale-in that
        // honours the 600 s cooldown is refused until 24, not 20.
        assert!(!w.set_desired(&env, 20, 0, true, 600, false));
        assert!(!w.set_desired(&env, 23, 0, true, 600, false));
        assert!(w.set_desired(&env, 24, 0, true, 600, false));
        assert_eq!(w.od_alive(), 0);
    }
}
