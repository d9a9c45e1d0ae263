//! The cover never waits on the demand policy's own bookkeeping: a shortfall whose
//! start the state (the group's tag, as read) does not record is past the launch grace,
//! unless this very run starts it by raising the fleet's target from a state that knows
//! every earlier raise. A lost or refused tag write, or a lost tag, can then only bring
//! the cover sooner, never delay or withhold it.

use spotcover_reconciler_core::policy::demand::*;
use spotcover_reconciler_core::{Action, GroupState};

const NOW: i64 = 1_800_000_000;

fn policy() -> Settings {
    Settings {
        on_demand_weight: 2,
        target_percent: 75,
        fleet_min: 2,
        fleet_max: 40,
        fleet_hold_secs: 300,
        launch_grace_secs: 300,
        hold_secs: 600,
        max_hold_secs: 3600,
    }
}

/// Demand 20 on a fleet whose target already asks for it (27 units), `active` of them
/// registered, the rest launched and not yet registered; no cover.
fn short_of(active: u32) -> Observation {
    let target = policy().fleet_target_for(20);
    Observation {
        demand: 20,
        spot_active: active,
        spot_draining: 0,
        fleet: Some(FleetState {
            target,
            fulfilled: f64::from(target),
        }),
        group: Some(GroupState {
            desired: 0,
            min: 0,
            max: 200,
        }),
    }
}

/// The state a run that saw demand 20 (and wrote it) leaves, without a shortfall.
fn written_at_20() -> State {
    let mut st = State::default();
    st.demand.value = 20;
    st
}

fn desired(d: &Decision, v: &Observation) -> u32 {
    d.action.resulting_desired(&v.group.unwrap())
}

#[test]
fn a_shortfall_the_tag_does_not_record_is_past_the_grace() {
    // Spot is 4 units short, the fleet's target is where the tag's demand puts it, and
    // the tag records no shortfall: the run that saw it first could not write.
    let v = short_of(16);
    let d = decide(&policy(), &v, &written_at_20(), NOW);
    assert!(!d.figures.delivering);
    assert_eq!(d.state.short_since, Some(NOW - 300));
}

#[test]
fn every_state_write_lost_covers_within_the_grace_plus_one_run() {
    // The tag never changes: each run reads the same state. The shortfall was first
    // seen at NOW; the cover (4 units: 2 instances) must be asked for by NOW + 300 + 60.
    let p = policy();
    let v = short_of(16);
    let frozen = written_at_20();
    let first_cover = (0..=6)
        .map(|k| NOW + 60 * k)
        .find(|&t| desired(&decide(&p, &v, &frozen, t), &v) == 2);
    let at = first_cover.expect("covered while every write is lost");
    assert!(at <= NOW + 300 + 60, "covered only at NOW + {}", at - NOW);
}

#[test]
fn a_missing_tag_while_spot_is_short_covers() {
    let v = short_of(16);
    let d = decide(&policy(), &v, &State::recall(None, 0), NOW);
    assert_eq!(desired(&d, &v), 2);
}

#[test]
fn a_shortfall_this_run_starts_by_raising_the_target_gets_the_grace() {
    // Demand rises from 10 (the tag's) to 20: this run raises the target from 14 to 27,
    // the shortfall starts now and the launching spot is trusted.
    let p = policy();
    let mut v = short_of(14);
    v.fleet = Some(FleetState {
        target: p.fleet_target_for(10),
        fulfilled: f64::from(p.fleet_target_for(10)),
    });
    let mut st = State::default();
    st.demand.value = 10;
    let d = decide(&p, &v, &st, NOW);
    assert_eq!(d.fleet_target, Some(27));
    assert_eq!(d.state.short_since, Some(NOW));
    assert!(d.figures.delivering);
    assert_eq!(d.action, Action::None);
}

#[test]
fn a_raise_the_tag_does_not_know_means_the_start_is_unknown() {
    // The fleet's target (27, demand 20) is above what the tag's demand (10) asks for:
    // an earlier run raised it and its write was lost. Demand rising again (to 24) does
    // not restart the grace.
    let p = policy();
    let mut v = short_of(14);
    v.demand = 24;
    let mut st = State::default();
    st.demand.value = 10;
    let d = decide(&p, &v, &st, NOW);
    assert_eq!(d.fleet_target, Some(32));
    assert_eq!(d.state.short_since, Some(NOW - 300));
    assert!(!d.figures.delivering);
}

#[test]
fn a_recorded_start_is_kept() {
    let p = policy();
    let v = short_of(16);
    let mut st = written_at_20();
    st.short_since = Some(NOW - 120);
    let d = decide(&p, &v, &st, NOW);
    assert_eq!(d.state.short_since, Some(NOW - 120));
    assert!(d.figures.delivering);
}
