//! The 2017 rule: the real reconciler core's [`decide`] on the fleet's metrics as
//! CloudWatch gives them, the group's cooldown on a release, and (when the config's
//! rules deliver them) interruption warnings through [`decide_interruption`].

use std::collections::BTreeMap;

use spotcover_reconciler_core::contract::events::Notice;
use spotcover_reconciler_core::contract::metrics::reason_name;
use spotcover_reconciler_core::ecs::{ContainerInstance, CoverMark, InstanceStatus};
use spotcover_reconciler_core::interruption::{InterruptionPolicy, decide_interruption};
use spotcover_reconciler_core::policy::rule_2017::{self, decide};
use spotcover_reconciler_core::{Action, GroupState};

use super::{Driver, Minute};
use crate::sim::batches::Warning;
use crate::sim::metrics::{observe, window_minutes};

pub(in crate::sim) struct Rule2017<'a> {
    pub(in crate::sim) settings: rule_2017::Settings,
    pub(in crate::sim) cooldown_secs: u32,
    /// The interruption settings, when warnings reach the Lambda.
    pub(in crate::sim) interruptions: Option<&'a InterruptionPolicy>,
    /// The `spotcover.covered` ECS attribute: instances of a batch covered so far (by
    /// first id; instances are covered in id order).
    pub(in crate::sim) covered: BTreeMap<u32, u32>,
}

impl Driver for Rule2017<'_> {
    fn step(&mut self, m: &mut Minute<'_, '_>) {
        let (env, t, now) = (m.env, m.t, m.now());
        let sc = env.scenario;
        let (min, max) = env.bounds();
        let obs = observe(
            m.hist,
            t,
            window_minutes(&self.settings),
            sc.metric_period_minutes,
            sc.metric_delay_minutes,
        );
        let group = GroupState {
            desired: m.world.od_alive(),
            min,
            max,
        };
        let d = decide(&self.settings, &obs, Some(&group), now);
        *m.tally
            .reasons
            .entry(reason_name(d.reason).to_owned())
            .or_default() += 1;
        if let Action::SetDesired {
            desired,
            honor_cooldown,
        } = d.action
            && !m
                .world
                .set_desired(env, t, desired, honor_cooldown, self.cooldown_secs, true)
        {
            m.tally.refused += 1;
        }
        // Interruption warnings arriving during the minute, handled by the core.
        if let Some(ip) = self.interruptions {
            for w in m.warnings {
                self.warning(m, ip, w);
            }
        }
    }
}

impl Rule2017<'_> {
    /// One warning's instances, each through the core's interruption decision.
    fn warning(&mut self, m: &mut Minute<'_, '_>, ip: &InterruptionPolicy, w: &Warning) {
        let (env, t) = (m.env, m.t);
        let (min, max) = env.bounds();
        for k in 0..w.count {
            let done = self.covered.get(&w.first_id).copied().unwrap_or(0);
            let instance = w.registered.then(|| ContainerInstance {
                status: InstanceStatus::Active,
                instance_type: Some(w.instance_type.clone()),
                cover: if k < done {
                    CoverMark::Covered
                } else {
                    CoverMark::None
                },
                ..ContainerInstance::default()
            });
            let group = GroupState {
                desired: m.world.od_alive(),
                min,
                max,
            };
            let d = decide_interruption(
                &self.settings,
                ip,
                Notice::InterruptionWarning,
                instance.as_ref(),
                Some(&group),
            );
            *m.tally
                .warning_reasons
                .entry(reason_name(d.reason).to_owned())
                .or_default() += 1;
            if let Action::SetDesired {
                desired,
                honor_cooldown,
            } = d.action
                && !m
                    .world
                    .set_desired(env, t, desired, honor_cooldown, self.cooldown_secs, true)
            {
                m.tally.refused += 1;
            }
            if d.mark_covered {
                self.covered.insert(w.first_id, done.max(k + 1));
            }
        }
    }
}
