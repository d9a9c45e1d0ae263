//! The oracle: clairvoyant (see the crate docs). What it needs now and at every minute
//! up to `t + latency`, from a look-ahead on a copy of this world with the group held as
//! it is; an instance launched for minute `v` lives from `v - latency`.

use super::{Driver, Minute, cover, spot_serving};
use crate::sim::world::to_u32;

pub(in crate::sim) struct Oracle;

impl Driver for Oracle {
    fn step(&mut self, m: &mut Minute<'_, '_>) {
        let (env, t) = (m.env, m.t);
        let sc = env.scenario;
        let n = sc.duration_minutes;
        let od_latency = sc
            .on_demand
            .launch_latency_minutes
            .saturating_add(sc.ecs_registration_minutes);
        let now_spot = spot_serving(env, m.world, t);
        let mut wanted = cover(env, sc.demand_at(t), to_u32(now_spot));
        let u = t.saturating_add(od_latency).min(n - 1);
        if u > t {
            let mut ahead = m.world.clone();
            ahead.measure(env, t);
            for s in t + 1..=u {
                ahead.fleet_step(env, s);
                let a = ahead.measure(env, s);
                wanted = wanted.max(cover(env, a.demand, a.spot_registered));
            }
        }
        m.world.set_desired(env, t, wanted, false, 0, false);
    }
}
