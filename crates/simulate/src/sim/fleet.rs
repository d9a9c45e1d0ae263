//! The Spot Fleet in one world: its instances as batches, `maintain` (launching up to
//! the target and giving back what exceeds it), pool losses, and the interruption
//! warnings it issues. The fleet sees the on-demand group only through the reservation
//! target tracking reads, so every world has its own fleet.

use super::batches::{SpotBatch, Warning};
use super::world::{Env, World};

impl World {
    /// The fleet's `maintain` behaviour at minute `t`: launch up to the target, then
    /// give back what exceeds it (see the crate docs).
    pub(super) fn maintain(&mut self, env: &Env, t: u32) {
        let pools = &env.pools;
        let reg = env.scenario.ecs_registration_minutes;
        let target = u64::from(self.target);
        let mut in_flight = self.units_in_flight(env);
        if in_flight >= target {
            self.launch_failed_since = None;
        }
        let mut units: Vec<u64> = vec![0; pools.len()];
        for b in &self.spot {
            units[b.pool] += u64::from(b.count) * u64::from(pools[b.pool].weight);
        }
        while in_flight < target {
            let pick = (0..pools.len())
                .filter(|&p| pools[p].spec.available_at(t) && !pools[p].above_cap)
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
            let Some(p) = pick else {
                self.launch_failed_since.get_or_insert(t);
                break;
            };
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
        self.give_back_excess(env, t, in_flight);
    }

    /// Above target: terminates what is not needed, launching instances first, then the
    /// most expensive per unit (then the later batch), while the target stays met. One
    /// pass over the batches in that order picks the same victims as choosing the best
    /// eligible batch again after each removal: a batch is eligible while removing one of
    /// its instances keeps the target met, which only gets harder as instances go.
    fn give_back_excess(&mut self, env: &Env, t: u32, mut in_flight: u64) {
        let pools = &env.pools;
        let target = u64::from(self.target);
        let weight = |b: &SpotBatch| u64::from(pools[b.pool].weight);
        let Some(lightest) = self.spot.iter().map(weight).min() else {
            return;
        };
        if in_flight < target.saturating_add(lightest) {
            return; // no batch is eligible
        }
        let mut order: Vec<usize> = (0..self.spot.len()).collect();
        let spot = &self.spot;
        order.sort_by(|&ix, &iy| {
            let (x, y) = (&spot[ix], &spot[iy]);
            (y.serve_at > t)
                .cmp(&(x.serve_at > t))
                .then(
                    pools[y.pool]
                        .price_per_unit()
                        .total_cmp(&pools[x.pool].price_per_unit()),
                )
                .then(iy.cmp(&ix))
        });
        for k in order {
            let w = weight(&self.spot[k]);
            if in_flight - w < target {
                continue;
            }
            let n = ((in_flight - target) / w).min(u64::from(self.spot[k].count));
            in_flight -= n * w;
            self.spot[k].count -= n as u32;
        }
        self.spot.retain(|b| b.count > 0);
    }

    /// The fleet's minute `t`: target tracking, interruptions, `maintain`, and the
    /// interruption warnings issued this minute. Returns (target changed, warnings).
    pub(super) fn fleet_step(&mut self, env: &Env, t: u32) -> (bool, Vec<Warning>) {
        let changed = if self.tracked {
            self.track(env, t)
        } else {
            // The reconciler's ModifySpotFleetRequest, once the fleet applies it.
            match self.pending_target {
                Some((at, target)) if at <= t => {
                    self.pending_target = None;
                    let changed = target != self.target;
                    self.target = target;
                    changed
                }
                _ => false,
            }
        };
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
}
