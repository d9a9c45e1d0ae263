//! Who drives the on-demand group ([`Driver`]: none, the real reconciler core on the
//! CloudWatch metrics, the reactive floor, the oracle) and the minute-by-minute run of
//! one policy's world into its [`PolicyReport`].

use std::collections::BTreeMap;

use spotcover_reconciler_core::need::{
    ClusterView, FleetState, NeedPolicy, NeedReason, NeedState, decide_need, note_fleet_error,
};
use spotcover_reconciler_core::{
    Action, ContainerInstance, CoverMark, GroupState, InstanceStatus, InterruptionPolicy, Notice,
    Policy, decide, decide_interruption,
};

use super::START_EPOCH;
use super::metrics::{History, observe, window_minutes};
use super::world::{Env, World, ceil_div, to_u32};
use crate::report::{MinuteRecord, PolicyName, PolicyReport};

/// Who drives the on-demand group.
pub(super) enum Driver<'a> {
    /// No group at all.
    None,
    /// The real reconciler core on the CloudWatch metrics.
    Reconciler {
        policy: Policy,
        cooldown_secs: u32,
        interruptions: Option<&'a InterruptionPolicy>,
    },
    /// The real reconciler core's `demand` policy on the ECS API's view: it sets the
    /// fleet's target itself (no target tracking) and hears the fleet's error events.
    Need { policy: NeedPolicy },
    /// Knows the present exactly and at once: each minute, desired = what covers the
    /// demand the registered spot instances leave, no quiet period; scale-ins honour
    /// the config's group cooldown, as the reconciler's do.
    Floor,
    /// Clairvoyant (see the crate docs).
    Oracle,
}

/// Instances that cover `demand` beyond `spot` registered units.
pub(super) fn cover(env: &Env, demand: u32, spot: u32) -> u32 {
    let (min, max) = env.bounds();
    let short = u64::from(demand).saturating_sub(u64::from(spot));
    to_u32(ceil_div(short, u64::from(env.od_weight))).clamp(min, max)
}

#[allow(clippy::too_many_lines)] // split in progress elsewhere
pub(super) fn run(env: &Env, name: PolicyName, driver: Driver) -> PolicyReport {
    let sc = env.scenario;
    let n = sc.duration_minutes;
    let mut world = World::new(env);
    world.tracked = !matches!(driver, Driver::Need { .. });
    // What the demand policy keeps in the group's tag between runs.
    let mut need_state = NeedState::default();
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
                            cover: if k < done {
                                CoverMark::Covered
                            } else {
                                CoverMark::None
                            },
                            ..ContainerInstance::default()
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
            Driver::Need { policy } => {
                let now = START_EPOCH + i64::from(t) * 60;
                // The fleet's error event, when it is delivered: some time after the
                // first launch that no pool could take.
                if sc.fleet_events
                    && let Some(f) = world.launch_failed_since
                    && t == f.saturating_add(sc.fleet_event_delay_minutes)
                {
                    note_fleet_error(&mut need_state, now);
                }
                let (active, draining) = world.spot_registered_split(env, t);
                let view = ClusterView {
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
                let d = decide_need(policy, &view, &need_state, now);
                need_state = d.state;
                *reasons.entry(need_reason_name(d.reason)).or_default() += 1;
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
                    refused += 1;
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

pub(super) fn interruption_reason_name(r: spotcover_reconciler_core::InterruptionReason) -> String {
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

pub(super) fn need_reason_name(r: NeedReason) -> String {
    match r {
        NeedReason::GroupUnknown => "group_unknown",
        NeedReason::GroupBoundsInvalid => "group_bounds_invalid",
        NeedReason::FleetUnknown => "fleet_unknown",
        NeedReason::Steady => "steady",
        NeedReason::CoverShortfall => "cover_shortfall",
        NeedReason::ReleaseCover => "release_cover",
    }
    .to_owned()
}

pub(super) fn reason_name(r: &spotcover_reconciler_core::Reason) -> String {
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

pub(super) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
