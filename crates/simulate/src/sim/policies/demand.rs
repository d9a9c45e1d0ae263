//! The demand policy: the real reconciler core's [`demand::decide`] on the ECS API's
//! view. It sets the fleet's target itself (no target tracking) and hears the fleet's
//! error events; its state is what the Lambda keeps in the group's tag.

use spotcover_reconciler_core::contract::metrics::reason_name;
use spotcover_reconciler_core::policy::demand::{self, FleetState, note_fleet_error};
use spotcover_reconciler_core::{Action, GroupState};

use super::{Driver, Minute};
use crate::sim::world::to_u32;

pub(in crate::sim) struct Demand {
    pub(in crate::sim) settings: demand::Settings,
    /// What the demand policy keeps in the group's tag between runs.
    pub(in crate::sim) state: demand::State,
}

impl Driver for Demand {
    fn tracked(&self) -> bool {
        false
    }

    fn step(&mut self, m: &mut Minute<'_, '_>) {
        let (env, t, now) = (m.env, m.t, m.now());
        let sc = env.scenario;
        let (min, max) = env.bounds();
        let world = &mut *m.world;
        if sc.state_writes_lost {
            // The group's tag was never written: each run recalls it missing.
            self.state = demand::State::recall(None, world.od_alive());
        }
        // The fleet's error event, when it is delivered: some time after the first
        // launch that no pool could take.
        if sc.fleet_events
            && let Some(f) = world.launch_failed_since
            && t == f.saturating_add(sc.fleet_event_delay_minutes)
        {
            note_fleet_error(&mut self.state, now);
        }
        let (active, draining) = world.spot_registered_split(env, t);
        let view = demand::Observation {
            demand: sc.demand_at(t),
            spot_active: to_u32(active),
            spot_draining: to_u32(draining),
            fleet: Some(FleetState {
                target: world.pending_target.map_or(world.target, |(_, v)| v),
                fulfilled: world.units_in_flight(env) as f64,
            }),
            group: Some(GroupState {
                desired: world.od_alive(),
                min,
                max,
            }),
        };
        let d = demand::decide(&self.settings, &view, &self.state, now);
        self.state = d.state;
        *m.tally
            .reasons
            .entry(reason_name(d.reason).to_owned())
            .or_default() += 1;
        if let Some(target) = d.fleet_target {
            let at = t.saturating_add(sc.fleet_modify_latency_minutes.max(1));
            world.pending_target = Some((at, target));
        }
        if let Action::SetDesired {
            desired,
            honor_cooldown,
        } = d.action
            && !world.set_desired(env, t, desired, honor_cooldown, 0, true)
        {
            m.tally.refused += 1;
        }
    }
}
