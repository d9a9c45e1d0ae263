//! Seeded random markets: scenarios the project has not tuned anything for. Each seed
//! gives one scenario, the same on every machine: demand steps, single-pool losses,
//! correlated losses (several or all pools at once, sometimes as a train of short
//! blips), launch latencies and jitter, registration delays and interruption warnings.
//! Both engines read it (the pools are the four instance types of `examples/asg.yaml`
//! and `examples/quickstart.yaml`), so the tests and the "Which engine" table use it.

use crate::scenario::{AsgSwitches, DemandStep, OnDemandSpec, PoolSpec, Scenario, Window};

/// The instance types of the shipped examples, in their order.
pub const MARKET_TYPES: [&str; 4] = ["m6i.large", "m6a.large", "m5.large", "m6i.xlarge"];

/// splitmix64: small, seedable, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.range(0, 99) < percent
    }
}

/// The market of `seed` (see the module docs): 240 to 480 minutes, demand of 1 to 30
/// instances in up to 6 steps, prices of the shipped scenarios.
pub fn random_market(seed: u64) -> Scenario {
    let mut r = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x6A09_E667_F3BC_C908);
    let duration = r.range(240, 480);
    let mut demand = vec![DemandStep {
        from_minute: 0,
        units: r.range(1, 20),
    }];
    for _ in 0..r.range(0, 5) {
        demand.push(DemandStep {
            from_minute: r.range(10, duration - 10),
            units: r.range(1, 30),
        });
    }
    demand.sort_by_key(|d| d.from_minute);
    demand.dedup_by_key(|d| d.from_minute);

    let spot_latency = r.range(1, 5);
    let spot_jitter = r.range(0, 2);
    let mut windows: Vec<Vec<Window>> = vec![Vec::new(); MARKET_TYPES.len()];
    let lost = |from: u32, len: u32| Window {
        from_minute: from,
        to_minute: (from + len).min(duration),
        available: false,
    };
    // Single pools lost, for minutes to hours.
    for _ in 0..r.range(0, 3) {
        let pool = r.range(0, 3) as usize;
        let from = r.range(0, duration - 5);
        windows[pool].push(lost(from, r.range(5, 150)));
    }
    // Correlated losses: two or more pools (often all) at once.
    for _ in 0..r.range(0, 3) {
        let from = r.range(5, duration - 5);
        let len = r.range(2, 90);
        let all = r.chance(60);
        for (pool, w) in windows.iter_mut().enumerate() {
            if all || pool.is_multiple_of(2) || r.chance(50) {
                w.push(lost(from, len));
            }
        }
    }
    // Sometimes a train of short blips of every pool.
    if r.chance(25) {
        let gap = r.range(10, 60);
        let len = r.range(1, 4);
        let mut from = r.range(5, 60);
        while from + len < duration {
            for w in windows.iter_mut() {
                w.push(lost(from, len));
            }
            from += gap;
        }
    }
    let prices = [0.035, 0.034, 0.038, 0.070];
    let pools = MARKET_TYPES
        .iter()
        .zip(windows)
        .zip(prices)
        .map(|((t, mut availability), price)| {
            availability.sort_by_key(|w| w.from_minute);
            PoolSpec {
                instance_type: (*t).to_owned(),
                price_per_hour: price,
                launch_latency_minutes: spot_latency,
                launch_jitter_minutes: spot_jitter,
                availability,
            }
        })
        .collect();
    Scenario {
        duration_minutes: duration,
        seed,
        warning_minutes: r.range(0, 2),
        metric_period_minutes: if r.chance(50) { 1 } else { 5 },
        metric_delay_minutes: r.range(1, 3),
        ecs_registration_minutes: r.range(0, 2),
        fleet_events: r.chance(80),
        state_writes_lost: false,
        fleet_event_delay_minutes: 1,
        fleet_modify_latency_minutes: 1,
        demand,
        pools,
        // One launch template for both markets: on-demand boots like spot, or a minute
        // slower (as in the shipped scenarios).
        on_demand: OnDemandSpec {
            price_per_hour: 0.096,
            launch_latency_minutes: spot_latency + r.range(0, 1),
            launch_jitter_minutes: spot_jitter,
        },
        asg: AsgSwitches::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_valid_market_every_time() {
        for seed in 0..64 {
            let m = random_market(seed);
            m.validate().unwrap();
            assert_eq!(m, random_market(seed));
        }
    }

    #[test]
    fn the_markets_vary() {
        let ms: Vec<Scenario> = (0..32).map(random_market).collect();
        let all_lost = |m: &Scenario| {
            m.pools[0].availability.iter().any(|w| {
                m.pools.iter().all(|p| {
                    p.availability
                        .iter()
                        .any(|v| v.from_minute == w.from_minute && !v.available)
                })
            })
        };
        assert!(ms.iter().filter(|m| all_lost(m)).count() >= 8);
        assert!(ms.iter().filter(|m| !all_lost(m)).count() >= 4);
        assert!(ms.iter().filter(|m| m.demand.len() >= 3).count() >= 8);
        let latencies: std::collections::BTreeSet<u32> = ms
            .iter()
            .map(|m| m.pools[0].launch_latency_minutes)
            .collect();
        assert!(latencies.len() >= 3);
    }
}
