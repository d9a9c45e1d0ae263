//! One policy's `engine: asg` world: the group's instances, ECS's tasks on them, managed
//! scaling, and the bills. See the module docs of [`super`] for the model.

use std::collections::VecDeque;

use spotcover_stack::StackConfig;

use crate::scenario::{ReplacementPick, Scenario};

/// splitmix64, seeded per world: the launch-latency jitter.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5A5A_0A5B_A5E0_F00D)
    }
    fn upto(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % (u64::from(max) + 1)) as u32
    }
}

/// Which market an instance is bought in: a pool (index into the scenario's pools) or
/// on-demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Market {
    Spot(usize),
    OnDemand,
}

#[derive(Debug, Clone)]
pub(super) struct Instance {
    pub(super) id: u32,
    pub(super) market: Market,
    pub(super) launched: u32,
    /// From this minute ECS places tasks on it.
    pub(super) serving_from: u32,
    /// One task per instance (the `engine: asg` world reads demand units as tasks of
    /// one instance each: a capacity provider's group counts instances).
    pub(super) task: bool,
    /// Its container instance is DRAINING: its task moves once a new home runs.
    pub(super) draining: bool,
}

impl Instance {
    pub(super) fn serving(&self, t: u32) -> bool {
        t >= self.serving_from
    }
    pub(super) fn name(&self) -> String {
        format!("i-{:08x}", self.id)
    }
}

/// Counters of a run.
#[derive(Debug, Clone, Default)]
pub(super) struct Counters {
    pub(super) spot_failures: u32,
    pub(super) provisioning_timed_out: u32,
    pub(super) tasks_killed_by_interruption: u32,
    pub(super) tasks_killed_by_return: u32,
    pub(super) scale_outs: u32,
    pub(super) scale_ins: u32,
}

#[derive(Debug, Clone)]
pub(super) struct World {
    pub(super) instances: Vec<Instance>,
    next_id: u32,
    pub(super) desired: u32,
    pub(super) base: u32,
    /// Minutes the PROVISIONING tasks started waiting, oldest first.
    pub(super) waiting: VecDeque<u32>,
    /// The latest minute a spot launch failed.
    pub(super) last_spot_failure: Option<u32>,
    above: u32,
    below: u32,
    /// Until this minute a scale-out's instances warm up and block the next one.
    warm_until: u32,
    rng: Rng,
    pub(super) spot_cost: f64,
    pub(super) od_cost: f64,
    pub(super) od_instance_minutes: u64,
    pub(super) counters: Counters,
    /// CapacityProviderReservation of the last minute, percent.
    pub(super) reservation: u32,
}

/// What does not change in a run.
pub(super) struct Env<'a> {
    pub(super) config: &'a StackConfig,
    pub(super) scenario: &'a Scenario,
    /// Scenario pool index per config type, in config order.
    pub(super) pools: Vec<usize>,
}

impl<'a> Env<'a> {
    pub(super) fn new(config: &'a StackConfig, scenario: &'a Scenario) -> Self {
        let pools = config
            .spot
            .instance_types
            .iter()
            .map(|t| {
                scenario
                    .pools
                    .iter()
                    .position(|p| p.instance_type == t.instance_type)
                    .expect("checked against the config")
            })
            .collect();
        Env {
            config,
            scenario,
            pools,
        }
    }

    pub(super) fn demand(&self, t: u32) -> u32 {
        self.scenario
            .demand
            .iter()
            .rev()
            .find(|s| s.from_minute <= t)
            .map_or(0, |s| s.units)
    }

    pub(super) fn pool_available(&self, pool: usize, t: u32) -> bool {
        self.scenario.pools[pool]
            .availability
            .iter()
            .rev()
            .find(|w| w.from_minute <= t && t < w.to_minute)
            .is_none_or(|w| w.available)
    }

    pub(super) fn any_spot(&self, t: u32) -> bool {
        self.pools.iter().any(|p| self.pool_available(*p, t))
    }
}

impl World {
    /// Warm start: the demand of minute 0 served by spot, the base at the floor
    /// (on-demand, serving).
    pub(super) fn new(env: &Env<'_>) -> Self {
        let a = &env.config.asg;
        let demand = env.demand(0).clamp(a.min_size, a.max_size);
        let mut w = World {
            instances: Vec::new(),
            next_id: 0,
            desired: demand,
            base: a.on_demand_floor,
            waiting: VecDeque::new(),
            last_spot_failure: None,
            above: 0,
            below: 0,
            warm_until: 0,
            rng: Rng::new(env.scenario.seed),
            spot_cost: 0.0,
            od_cost: 0.0,
            od_instance_minutes: 0,
            counters: Counters::default(),
            reservation: 100,
        };
        for i in 0..demand {
            let market = if i < w.base {
                Market::OnDemand
            } else {
                Market::Spot(env.pools[i as usize % env.pools.len()])
            };
            let id = w.next();
            w.instances.push(Instance {
                id,
                market,
                launched: 0,
                serving_from: 0,
                task: i < env.demand(0),
                draining: false,
            });
        }
        w
    }

    fn next(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    pub(super) fn on_demand(&self) -> impl Iterator<Item = &Instance> {
        self.instances
            .iter()
            .filter(|i| i.market == Market::OnDemand)
    }

    pub(super) fn spot_count(&self) -> u32 {
        self.instances
            .iter()
            .filter(|i| i.market != Market::OnDemand)
            .count() as u32
    }

    fn launch(&mut self, env: &Env<'_>, t: u32, market: Market) {
        let (latency, jitter) = match market {
            Market::OnDemand => (
                env.scenario.on_demand.launch_latency_minutes,
                env.scenario.on_demand.launch_jitter_minutes,
            ),
            Market::Spot(p) => (
                env.scenario.pools[p].launch_latency_minutes,
                env.scenario.pools[p].launch_jitter_minutes,
            ),
        };
        let serving_from =
            t + latency + self.rng.upto(jitter) + env.scenario.ecs_registration_minutes;
        let id = self.next();
        self.instances.push(Instance {
            id,
            market,
            launched: t,
            serving_from,
            task: false,
            draining: false,
        });
    }

    /// price-capacity-optimized, modelled as the available pool with the fewest of the
    /// group's instances, ties to the cheapest, then config order.
    fn spot_pool(&self, env: &Env<'_>, t: u32) -> Option<usize> {
        env.pools
            .iter()
            .copied()
            .filter(|p| env.pool_available(*p, t))
            .min_by(|a, b| {
                let count = |p: usize| {
                    self.instances
                        .iter()
                        .filter(|i| i.market == Market::Spot(p))
                        .count()
                };
                count(*a).cmp(&count(*b)).then(
                    env.scenario.pools[*a]
                        .price_per_hour
                        .total_cmp(&env.scenario.pools[*b].price_per_hour),
                )
            })
    }

    /// Pools lost this minute take their instances, and the tasks on them.
    pub(super) fn interrupt(&mut self, env: &Env<'_>, t: u32) {
        let mut killed = 0;
        self.instances.retain(|i| match i.market {
            Market::Spot(p) if !env.pool_available(p, t) => {
                killed += u32::from(i.task);
                false
            }
            _ => true,
        });
        self.counters.tasks_killed_by_interruption += killed;
    }

    /// The group towards its desired capacity: on-demand up to `min(base, desired)`,
    /// spot above it, retrying spot every minute it cannot launch; scale-in only of
    /// instances with no task (managed termination protection), drained; and the
    /// gradual replacement of on-demand above a lowered base.
    pub(super) fn reconcile(&mut self, env: &Env<'_>, t: u32) {
        let live = self.instances.len() as u32;
        let od_want = self.base.min(self.desired);
        let mut od = self.on_demand().count() as u32;
        if live < self.desired {
            for _ in 0..self.desired - live {
                if od < od_want {
                    self.launch(env, t, Market::OnDemand);
                    od += 1;
                } else if let Some(p) = self.spot_pool(env, t) {
                    self.launch(env, t, Market::Spot(p));
                } else {
                    self.counters.spot_failures += 1;
                    self.last_spot_failure = Some(t);
                    break;
                }
            }
        } else if live > self.desired {
            // Terminate unprotected (taskless, not in a return) instances: on-demand
            // above the base first, then not yet serving, then the newest.
            let mut excess = live - self.desired;
            while excess > 0 {
                let od_now = self.on_demand().count() as u32;
                let pick = self
                    .instances
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| !i.task)
                    // A return's instance leaves through the reconciler.
                    .filter(|(_, i)| !(i.draining && i.market == Market::OnDemand))
                    // While on-demand exceeds the base, the spare spot instance is the
                    // replacement's: scale-in leaves it to the replacement.
                    .filter(|(_, i)| !(od_now > self.base && i.market != Market::OnDemand))
                    .max_by_key(|(_, i)| {
                        (
                            i.market == Market::OnDemand && od_now > od_want,
                            !i.serving(t),
                            i.launched,
                            i.id,
                        )
                    })
                    .map(|(k, _)| k);
                let Some(k) = pick else { break };
                self.instances.remove(k);
                excess -= 1;
            }
        }
        self.replace_above_base(env, t);
    }

    /// A base below the running on-demand instances: Auto Scaling launches spot first,
    /// then terminates on-demand instances, one per serving replacement. Which one, and
    /// whether protection stops it, are the scenario's switches.
    fn replace_above_base(&mut self, env: &Env<'_>, t: u32) {
        let od = self.on_demand().count() as u32;
        if od <= self.base {
            return;
        }
        let live = self.instances.len() as u32;
        if live <= self.desired {
            if let Some(p) = self.spot_pool(env, t) {
                self.launch(env, t, Market::Spot(p));
            }
            return;
        }
        let spare_spot = self
            .instances
            .iter()
            .any(|i| i.market != Market::OnDemand && i.serving(t) && !i.task);
        if !spare_spot {
            return;
        }
        let switches = &env.scenario.asg;
        let candidates = self
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.market == Market::OnDemand)
            .filter(|(_, i)| !switches.replacement_honors_protection || !i.task);
        let pick = match switches.replacement_picks {
            ReplacementPick::Oldest => candidates.min_by_key(|(_, i)| (i.launched, i.id)),
            ReplacementPick::Newest => candidates.max_by_key(|(_, i)| (i.launched, i.id)),
        }
        .map(|(k, _)| k);
        if let Some(k) = pick {
            let gone = self.instances.remove(k);
            self.counters.tasks_killed_by_return += u32::from(gone.task);
        }
    }

    /// ECS places the demand: tasks keep their instance; waiting tasks go to serving,
    /// empty instances that are not draining; a draining instance's task moves when a
    /// new home is free. Surplus tasks stop (newest instance first). Waiting tasks time
    /// out after the scenario's PROVISIONING timeout.
    pub(super) fn place(&mut self, env: &Env<'_>, t: u32) {
        let demand = env.demand(t);
        let running = self.instances.iter().filter(|i| i.task).count() as u32;
        if running > demand {
            let mut stop = running - demand;
            for i in self.instances.iter_mut().rev() {
                if stop == 0 {
                    break;
                }
                if i.task {
                    i.task = false;
                    stop -= 1;
                }
            }
            self.waiting.clear();
        }
        let running = self.instances.iter().filter(|i| i.task).count() as u32;
        // Waiting tasks: the demand not running, queued in order of arrival.
        let want_waiting = demand.saturating_sub(running);
        while (self.waiting.len() as u32) < want_waiting {
            self.waiting.push_back(t);
        }
        while (self.waiting.len() as u32) > want_waiting {
            self.waiting.pop_back();
        }
        // Place waiting tasks, then move draining instances' tasks.
        for i in 0..self.instances.len() {
            let free = {
                let x = &self.instances[i];
                !x.task && !x.draining && x.serving(t)
            };
            if !free {
                continue;
            }
            if self.waiting.pop_front().is_some() {
                self.instances[i].task = true;
            } else if let Some(d) = self.instances.iter().position(|x| x.draining && x.task) {
                self.instances[d].task = false;
                self.instances[i].task = true;
            }
        }
        // Timeouts and the cluster's cap.
        let timeout = env.scenario.asg.provisioning_timeout_minutes;
        for start in self.waiting.iter_mut() {
            if t.saturating_sub(*start) >= timeout {
                self.counters.provisioning_timed_out += 1;
                *start = t;
            }
        }
    }

    /// Tasks ECS counts for the capacity provider: running, PROVISIONING (up to the
    /// cluster's cap) and the moves a drain asks for.
    pub(super) fn provisioning(&self, env: &Env<'_>) -> u32 {
        let moving = self
            .instances
            .iter()
            .filter(|i| i.draining && i.task)
            .count() as u32;
        (self.waiting.len() as u32 + moving).min(env.scenario.asg.provisioning_cap)
    }

    /// Managed scaling: `CapacityProviderReservation = M / N * 100` each minute (M:
    /// instances the running and provisioning tasks need; N: the group's instances;
    /// 200 with none and tasks waiting, 100 with neither), target tracking on it with
    /// the config's target: out after the scenario's datapoints when no scale-out is
    /// warming up, by the estimate clamped to the step sizes; in after 15 datapoints
    /// below target, to the estimate.
    pub(super) fn managed_scaling(&mut self, env: &Env<'_>, t: u32) {
        let a = &env.config.asg;
        // A draining instance's task still runs there while its replacement waits.
        let running = self.instances.iter().filter(|i| i.task).count() as u32;
        let m = running + self.provisioning(env);
        let n = self.instances.len() as u32;
        let cpr = match (m, n) {
            (0, 0) => 100,
            (_, 0) => 200,
            (m, n) => (u64::from(m) * 100 / u64::from(n)) as u32,
        };
        self.reservation = cpr;
        let target = a.target_capacity_percent.max(1);
        if cpr > target {
            self.above += 1;
            self.below = 0;
        } else if cpr < target {
            self.below += 1;
            self.above = 0;
        } else {
            self.above = 0;
            self.below = 0;
        }
        let estimate = (u64::from(m) * 100).div_ceil(u64::from(target)) as u32;
        if self.above >= env.scenario.asg.scale_out_datapoints && t >= self.warm_until {
            let add = estimate
                .saturating_sub(n)
                .clamp(a.minimum_scaling_step_size, a.maximum_scaling_step_size);
            let next = (n + add).min(a.max_size);
            if next > self.desired {
                self.desired = next;
                self.warm_until = t + a.instance_warmup_seconds.div_ceil(60);
                self.counters.scale_outs += 1;
            }
            self.above = 0;
        } else if self.below >= 15 {
            let next = estimate.max(a.min_size);
            if next < self.desired {
                self.desired = next;
                self.counters.scale_ins += 1;
            }
            self.below = 0;
        }
    }

    /// Per minute, from the launch: the pool's or the on-demand price.
    pub(super) fn bill(&mut self, env: &Env<'_>) {
        for i in &self.instances {
            match i.market {
                Market::Spot(p) => self.spot_cost += env.scenario.pools[p].price_per_hour / 60.0,
                Market::OnDemand => {
                    self.od_cost += env.scenario.on_demand.price_per_hour / 60.0;
                    self.od_instance_minutes += 1;
                }
            }
        }
    }
}
