//! The reactive floor: knows the present exactly and at once. Each minute, desired =
//! what covers the demand the registered spot instances leave, no quiet period;
//! scale-ins honour the config's group cooldown, as the reconciler's do.

use super::{Driver, Minute, cover, spot_serving};
use crate::sim::world::to_u32;

pub(in crate::sim) struct ReactiveFloor;

impl Driver for ReactiveFloor {
    fn step(&mut self, m: &mut Minute<'_, '_>) {
        let (env, t) = (m.env, m.t);
        let spot = spot_serving(env, m.world, t);
        let wanted = cover(env, env.scenario.demand_at(t), to_u32(spot));
        let alive = m.world.od_alive();
        let cooldown = env.config.on_demand.cooldown_seconds;
        if wanted != alive
            && !m
                .world
                .set_desired(env, t, wanted, wanted < alive, cooldown, true)
        {
            m.tally.refused += 1;
        }
    }
}
