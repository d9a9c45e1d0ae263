//! One test per rule of the fallback, then properties over random observations.

use proptest::prelude::*;

use super::*;

const NOW: EpochSeconds = 1_000_000;

fn settings() -> Settings {
    Settings {
        group_name: "g".into(),
        cluster: "c".into(),
        capacity_provider: "cp".into(),
        floor: 1,
        max_on_demand: 6,
        return_hold_secs: 900,
        max_hold_secs: 3600,
    }
}

fn od(n: usize, tasks: u32) -> Vec<OnDemandInstance> {
    (0..n)
        .map(|i| OnDemandInstance {
            id: format!("i-{i:04}"),
            tasks,
            draining: false,
        })
        .collect()
}

fn obs(base: u32, desired: u32, spot: u32, on_demand: usize) -> Observation {
    Observation {
        base,
        desired,
        spot,
        on_demand: od(on_demand, 2),
        unknown: 0,
        spot_failure_at: None,
        provisioning: 0,
    }
}

#[test]
fn a_spot_failure_raises_the_base_by_what_spot_left_empty() {
    let o = Observation {
        spot_failure_at: Some(NOW - 30),
        provisioning: 3,
        ..obs(1, 5, 1, 1)
    };
    let d = decide(&settings(), &o, &State::default(), NOW);
    assert_eq!(d.base, Some(4), "desired 5 - spot 1");
    assert_eq!(d.reason, Reason::SpotFailing);
    assert_eq!(d.state.failed_at, Some(NOW - 30));
}

#[test]
fn the_raise_is_capped_at_max_on_demand() {
    let o = Observation {
        spot_failure_at: Some(NOW),
        provisioning: 19,
        ..obs(1, 20, 0, 1)
    };
    assert_eq!(
        decide(&settings(), &o, &State::default(), NOW).base,
        Some(6)
    );
}

#[test]
fn a_repeated_failure_event_raises_no_further() {
    let s = settings();
    let o = Observation {
        spot_failure_at: Some(NOW),
        provisioning: 3,
        ..obs(1, 5, 1, 1)
    };
    let first = decide(&s, &o, &State::default(), NOW);
    let again = Observation {
        base: first.base.unwrap(),
        ..o
    };
    let second = decide(&s, &again, &first.state, NOW + 5);
    assert_eq!(second.base, None);
}

#[test]
fn a_stale_failure_raises_nothing() {
    let o = Observation {
        spot_failure_at: Some(NOW - FAILURE_FRESH_SECS as i64 - 1),
        ..obs(1, 5, 1, 1)
    };
    assert_eq!(decide(&settings(), &o, &State::default(), NOW).base, None);
}

#[test]
fn no_decision_carries_a_desired_capacity() {
    // The decision's type has no field for it: ECS's managed scaling owns the group's
    // desired capacity. What the decision may change is listed here, exhaustively.
    let Decision {
        base: _,
        drain: _,
        reactivate: _,
        terminate: _,
        state: _,
        reason: _,
    } = decide(&settings(), &obs(1, 3, 2, 1), &State::default(), NOW);
}

#[test]
fn a_stale_base_follows_demand_down_to_the_running_on_demand() {
    // Base 5 but only 3 on-demand instances run and demand needs 2: the unfilled part
    // goes, the running instances stay (no replacement).
    let d = decide(&settings(), &obs(5, 2, 0, 3), &State::default(), NOW);
    assert_eq!(d.base, Some(3));
    assert_eq!(d.reason, Reason::DemandFell);
    assert!(d.terminate.is_empty());
}

#[test]
fn the_return_waits_out_the_hold_after_the_last_failure() {
    let state = State {
        failed_at: Some(NOW - 899),
        ..State::default()
    };
    let d = decide(&settings(), &obs(3, 4, 1, 3), &state, NOW);
    assert_eq!(d.reason, Reason::ReturnWaiting);
    assert!(d.drain.is_empty());
}

#[test]
fn after_the_hold_one_on_demand_instance_is_drained() {
    let state = State {
        failed_at: Some(NOW - 900),
        ..State::default()
    };
    let mut o = obs(3, 4, 1, 3);
    o.on_demand[1].tasks = 0;
    let d = decide(&settings(), &o, &state, NOW);
    assert_eq!(d.reason, Reason::ReturnDrain);
    assert_eq!(d.drain, ["i-0001"], "the one with fewest tasks");
    assert_eq!(d.base, None, "the base waits for the drain");
}

#[test]
fn nothing_returns_while_tasks_are_provisioning() {
    let state = State {
        failed_at: Some(NOW - 5000),
        ..State::default()
    };
    let o = Observation {
        provisioning: 1,
        ..obs(3, 4, 1, 3)
    };
    assert_eq!(
        decide(&settings(), &o, &state, NOW).reason,
        Reason::ReturnWaiting
    );
}

#[test]
fn the_drained_instance_leaves_only_once_empty_with_the_base_lowered_by_one() {
    let state = State {
        failed_at: Some(NOW - 5000),
        stepped_at: Some(NOW - 60),
        draining: vec!["i-0002".into()],
        ..State::default()
    };
    let mut o = obs(3, 4, 1, 3);
    o.on_demand[2].draining = true;
    let busy = decide(&settings(), &o, &state, NOW);
    assert!(busy.terminate.is_empty());
    o.on_demand[2].tasks = 0;
    let d = decide(&settings(), &o, &state, NOW);
    assert_eq!(d.reason, Reason::ReturnRetire);
    assert_eq!(d.base, Some(2));
    assert_eq!(d.terminate, ["i-0002"]);
    assert!(d.state.draining.is_empty());
    assert_eq!(d.state.returned, 1, "spot took one instance of the return");
}

#[test]
fn return_steps_are_paced() {
    let state = State {
        failed_at: Some(NOW - 5000),
        stepped_at: Some(NOW - STEP_SECS as i64 + 1),
        ..State::default()
    };
    assert_eq!(
        decide(&settings(), &obs(3, 4, 1, 3), &state, NOW).reason,
        Reason::ReturnWaiting
    );
}

fn returning(draining: &[&str], returned: u32) -> State {
    State {
        failed_at: Some(NOW - 1000),
        stepped_at: Some(NOW - 60),
        attempts: 0,
        returned,
        draining: draining.iter().map(|d| (*d).to_owned()).collect(),
    }
}

#[test]
fn a_failure_during_a_return_abandons_it() {
    // Base 3, i-0000 drained: managed scaling asked for a home for its tasks (desired
    // 5 = 4 + 1) and spot failed to launch it.
    let o = Observation {
        spot_failure_at: Some(NOW),
        ..obs(3, 5, 1, 3)
    };
    let d = decide(&settings(), &o, &returning(&["i-0000"], 0), NOW);
    assert_eq!(d.reason, Reason::SpotFailing);
    assert_eq!(d.reactivate, ["i-0000"]);
    assert!(d.state.draining.is_empty());
    assert_eq!(d.state.failed_at, Some(NOW));
}

#[test]
fn an_abandoned_return_does_not_count_its_moves_as_missing() {
    // desired 5 - spot 1 = 4, but one of those is the new home asked for the drained
    // instance's tasks, which have their instance back: the base stays at 3.
    let o = Observation {
        spot_failure_at: Some(NOW),
        ..obs(3, 5, 1, 3)
    };
    let d = decide(&settings(), &o, &returning(&["i-0000"], 0), NOW);
    assert_eq!(d.base, None);
}

#[test]
fn a_return_spot_never_took_keeps_the_hold() {
    // The first step found spot still lost: probe again after the same hold.
    let s = settings();
    let o = Observation {
        spot_failure_at: Some(NOW),
        ..obs(3, 5, 1, 3)
    };
    let d = decide(&s, &o, &returning(&["i-0000"], 0), NOW);
    assert_eq!(d.state.attempts, 0);
    assert_eq!(s.hold_secs(d.state.attempts), 900);
}

#[test]
fn a_loss_after_spot_took_part_of_the_return_doubles_the_next_hold() {
    // Two instances had moved to spot; then spot failed again: the market flaps.
    let s = settings();
    let o = Observation {
        spot_failure_at: Some(NOW),
        ..obs(3, 5, 1, 3)
    };
    let d = decide(&s, &o, &returning(&["i-0000"], 2), NOW);
    assert_eq!(d.state.attempts, 1);
    assert_eq!(d.state.returned, 0, "the next return proves spot again");
    assert_eq!(s.hold_secs(d.state.attempts), 1800);
}

#[test]
fn a_loss_soon_after_a_finished_return_doubles_the_next_hold() {
    // The base is back at the floor, spot took 4 instances, and spot fails again
    // within the longest hold: the next hold doubles.
    let state = State {
        failed_at: Some(NOW - 1200),
        returned: 4,
        ..State::default()
    };
    let o = Observation {
        spot_failure_at: Some(NOW),
        provisioning: 3,
        ..obs(1, 5, 1, 1)
    };
    let d = decide(&settings(), &o, &state, NOW);
    assert_eq!(d.reason, Reason::SpotFailing);
    assert_eq!(d.state.attempts, 1);
}

#[test]
fn a_return_steps_as_many_instances_as_spot_has_taken() {
    // Spot has taken 1 instance of this return: the next step drains 1 + 1, those with
    // the fewest tasks.
    let mut state = returning(&[], 1);
    state.stepped_at = Some(NOW - STEP_SECS as i64);
    let mut o = obs(5, 6, 2, 5);
    o.on_demand[3].tasks = 0;
    o.on_demand[4].tasks = 1;
    let d = decide(&settings(), &o, &state, NOW);
    assert_eq!(d.reason, Reason::ReturnDrain);
    assert_eq!(d.drain, ["i-0003", "i-0004"]);
    assert_eq!(d.state.draining, d.drain);
}

#[test]
fn in_a_flapping_market_each_step_trusts_spot_less() {
    // Spot has taken 4 instances, but one return was interrupted: 4 / 2 + 1 = 3.
    let mut state = returning(&[], 4);
    state.attempts = 1;
    state.failed_at = Some(NOW - 1800);
    state.stepped_at = None;
    let d = decide(&settings(), &obs(6, 6, 0, 6), &state, NOW);
    assert_eq!(d.drain.len(), 3);
}

#[test]
fn a_raise_buys_only_what_waiting_tasks_need() {
    // desired 9 - spot 0 = 9, but only 3 tasks wait besides the 2 registered
    // on-demand instances' (the rest is spare capacity managed scaling asked for).
    let o = Observation {
        spot_failure_at: Some(NOW),
        provisioning: 3,
        ..obs(2, 9, 0, 2)
    };
    assert_eq!(
        decide(&settings(), &o, &State::default(), NOW).base,
        Some(5)
    );
}

#[test]
fn the_first_step_of_a_return_is_one_instance() {
    let state = State {
        failed_at: Some(NOW - 900),
        ..State::default()
    };
    let d = decide(&settings(), &obs(5, 6, 1, 5), &state, NOW);
    assert_eq!(d.drain.len(), 1);
}

#[test]
fn a_step_never_drains_below_the_floor() {
    // Spot has taken 10, but only 2 instances are above the floor (1).
    let mut state = returning(&[], 10);
    state.stepped_at = None;
    let d = decide(&settings(), &obs(3, 6, 3, 3), &state, NOW);
    assert_eq!(d.drain.len(), 2);
}

#[test]
fn a_step_drains_no_more_than_the_state_tag_can_name() {
    let mut s = settings();
    s.max_on_demand = 40;
    let mut state = returning(&[], 40);
    state.stepped_at = None;
    let mut o = obs(40, 40, 0, 40);
    for (k, i) in o.on_demand.iter_mut().enumerate() {
        i.id = format!("i-{k:017x}");
    }
    let d = decide(&s, &o, &state, NOW);
    assert!(
        !d.drain.is_empty() && d.drain.len() < 40,
        "{}",
        d.drain.len()
    );
    assert!(format_state(&d.state).len() <= MAX_STATE_LEN);
}

#[test]
fn every_empty_drained_instance_retires_with_the_base_lowered_by_as_many() {
    let mut o = obs(5, 6, 3, 5);
    for i in [1, 2, 3] {
        o.on_demand[i].draining = true;
    }
    o.on_demand[1].tasks = 0;
    o.on_demand[3].tasks = 0;
    let d = decide(
        &settings(),
        &o,
        &returning(&["i-0001", "i-0002", "i-0003"], 1),
        NOW,
    );
    assert_eq!(d.reason, Reason::ReturnRetire);
    assert_eq!(d.terminate, ["i-0001", "i-0003"]);
    assert_eq!(d.base, Some(3));
    assert_eq!(d.state.draining, ["i-0002"]);
    assert_eq!(d.state.returned, 3);
}

#[test]
fn no_new_step_while_the_last_one_is_draining() {
    let mut o = obs(5, 6, 3, 5);
    o.on_demand[1].draining = true;
    let mut state = returning(&["i-0001"], 1);
    state.stepped_at = Some(NOW - 600);
    let d = decide(&settings(), &o, &state, NOW);
    assert_eq!(d.reason, Reason::ReturnWaiting);
    assert!(d.drain.is_empty());
}

#[test]
fn the_hold_stops_doubling_at_the_max() {
    assert_eq!(settings().hold_secs(5), 3600);
    assert_eq!(settings().hold_secs(200), 3600);
}

#[test]
fn the_memory_of_a_flapping_market_is_forgotten_after_the_longest_hold() {
    let state = |ago: i64| State {
        failed_at: Some(NOW - ago),
        attempts: 3,
        returned: 4,
        ..State::default()
    };
    let d = decide(&settings(), &obs(1, 3, 2, 1), &state(3600), NOW);
    assert_eq!((d.state.attempts, d.state.returned), (0, 0));
    let d = decide(&settings(), &obs(1, 3, 2, 1), &state(3599), NOW);
    assert_eq!((d.state.attempts, d.state.returned), (3, 4));
}

#[test]
fn the_floor_is_never_returned_below() {
    let state = State {
        failed_at: Some(NOW - 90_000),
        ..State::default()
    };
    let d = decide(&settings(), &obs(1, 3, 2, 1), &state, NOW);
    assert_eq!(d.base, None);
    assert!(d.drain.is_empty());
}

#[test]
fn state_round_trips_through_its_tag() {
    let s = State {
        failed_at: Some(1_733_300_000),
        stepped_at: None,
        attempts: 2,
        returned: 3,
        draining: vec!["i-0123456789abcdef0".into(), "i-0a".into()],
    };
    let tag = format_state(&s);
    assert_eq!(
        tag,
        "failed=1733300000;stepped=-;attempts=2;returned=3;draining=i-0123456789abcdef0,i-0a"
    );
    assert_eq!(parse_state(Some(&tag)), Ok(s));
    assert_eq!(parse_state(None), Ok(State::default()));
}

#[test]
fn a_damaged_state_tag_is_refused_not_guessed() {
    for bad in [
        "",
        "failed=1",
        "failed=x;stepped=-;attempts=0;returned=0;draining=-",
        "failed=1;stepped=-;attempts=0;returned=0;draining=i-1;extra=1",
        "failed=1;failed=2;attempts=0;returned=0;draining=-",
        "failed=-;stepped=-;attempts=0;returned=0;draining=a b",
        "failed=-;stepped=-;attempts=0;returned=0;draining=i-1,,i-2",
        "failed=-;stepped=-;attempts=0;returned=x;draining=-",
        "failed=-;stepped=-;attempts=0;draining=-",
    ] {
        assert!(parse_state(Some(bad)).is_err(), "{bad:?}");
    }
}

#[test]
fn settings_round_trip_through_the_environment() {
    let s = settings();
    let env: std::collections::BTreeMap<&str, String> = s.to_env().into_iter().collect();
    let read = Settings::from_lookup(|k| env.get(k).cloned()).unwrap();
    assert_eq!(read, s);
}

#[test]
fn only_spot_capacity_failures_count() {
    // Auto Scaling's activity messages for spot with no capacity, and others.
    assert!(is_spot_capacity_failure(
        "Could not launch Spot Instances. UnfulfillableCapacity - Unable to fulfill capacity due to your request configuration."
    ));
    assert!(is_spot_capacity_failure(
        "Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request."
    ));
    assert!(!is_spot_capacity_failure(
        "Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient m6i.large capacity."
    ));
    assert!(!is_spot_capacity_failure(
        "Could not launch Spot Instances. InvalidAMIID.NotFound - The image id does not exist."
    ));
}

#[test]
fn a_base_reset_below_the_running_on_demand_is_raised_back() {
    // A stack update set the base back to the floor (1) while 4 on-demand run.
    let d = decide(&settings(), &obs(1, 5, 1, 4), &State::default(), NOW);
    assert_eq!(d.reason, Reason::Realign);
    assert_eq!(d.base, Some(4));
}

#[test]
fn an_instance_of_unknown_market_keeps_the_base_up_as_on_demand() {
    // Base 3, two on-demand registered and one launching: demand falling to 1 must not
    // lower the base below the three (the launching one may be on-demand).
    let o = Observation {
        unknown: 1,
        ..obs(3, 1, 0, 2)
    };
    let d = decide(&settings(), &o, &State::default(), NOW);
    assert_eq!(d.base, None);
}

#[test]
fn the_latest_failed_spot_launch_is_the_failure_seen() {
    let a = |code: &str, msg: &str, start| Activity {
        status_code: code.into(),
        status_message: msg.into(),
        start,
    };
    let spot = "Could not launch Spot Instances. UnfulfillableCapacity - Unable to fulfill capacity due to your request configuration.";
    assert_eq!(
        latest_spot_failure(&[
            a("Failed", spot, NOW - 300),
            a("Failed", spot, NOW - 60),
            a("Successful", spot, NOW),
            a(
                "Failed",
                "Could not launch On-Demand Instances. InsufficientInstanceCapacity",
                NOW
            ),
        ]),
        Some(NOW - 60)
    );
    assert_eq!(latest_spot_failure(&[]), None);
}

fn arb_obs() -> impl Strategy<Value = (Observation, State, EpochSeconds)> {
    (
        0u32..10,
        0u32..15,
        0u32..10,
        prop::collection::vec((0u32..3, any::<bool>()), 0..8),
        prop::option::of(0i64..4000),
        0u32..3,
        prop::option::of(0i64..6000),
        prop::option::of(0i64..1000),
        0u32..4,
        0u32..4,
        prop::collection::btree_set(0usize..8, 0..4),
    )
        .prop_map(
            |(
                base,
                desired,
                spot,
                od,
                fail_ago,
                prov,
                failed_ago,
                stepped_ago,
                attempts,
                returned,
                drain,
            )| {
                let on_demand: Vec<OnDemandInstance> = od
                    .iter()
                    .enumerate()
                    .map(|(i, (tasks, draining))| OnDemandInstance {
                        id: format!("i-{i:04}"),
                        tasks: *tasks,
                        draining: *draining,
                    })
                    .collect();
                let o = Observation {
                    base,
                    desired,
                    spot,
                    on_demand,
                    unknown: 0,
                    spot_failure_at: fail_ago.map(|a| NOW - a),
                    provisioning: prov,
                };
                let s = State {
                    failed_at: failed_ago.map(|a| NOW - a),
                    stepped_at: stepped_ago.map(|a| NOW - a),
                    attempts,
                    returned,
                    draining: drain.iter().map(|i| format!("i-{i:04}")).collect(),
                };
                (o, s, NOW)
            },
        )
}

proptest! {
    #[test]
    fn a_new_base_stays_within_floor_and_max_on_demand((o, s, now) in arb_obs()) {
        let set = settings();
        if let Some(b) = decide(&set, &o, &s, now).base {
            prop_assert!(b >= set.floor && b <= set.max_on_demand.max(o.base), "{b}");
        }
    }

    #[test]
    fn only_an_empty_instance_this_return_drained_is_terminated((o, s, now) in arb_obs()) {
        let d = decide(&settings(), &o, &s, now);
        for id in &d.terminate {
            prop_assert!(s.draining.contains(id));
            let i = o.on_demand.iter().find(|i| &i.id == id).unwrap();
            prop_assert_eq!(i.tasks, 0);
        }
    }

    #[test]
    fn a_lower_base_never_leaves_a_running_instance_to_auto_scaling((o, s, now) in arb_obs()) {
        // Below the live on-demand count only together with the one terminate that
        // makes them equal again: no gradual replacement is ever due.
        let d = decide(&settings(), &o, &s, now);
        let live = u32::try_from(o.on_demand.len()).unwrap();
        if let Some(b) = d.base.filter(|b| *b < o.base) {
            let leaving = u32::try_from(d.terminate.len()).unwrap();
            prop_assert!(b >= live - leaving, "base {b}, live {live}");
        }
    }

    #[test]
    fn no_return_step_while_a_failure_is_inside_the_hold((o, s, now) in arb_obs()) {
        let set = settings();
        let d = decide(&set, &o, &s, now);
        if matches!(d.reason, Reason::ReturnDrain | Reason::ReturnRetire) {
            let last = o.spot_failure_at.max(s.failed_at);
            prop_assert!(last.is_none_or(|t| age(now, t) >= set.hold_secs(s.attempts)));
        }
    }

    #[test]
    fn no_instance_is_drained_while_tasks_wait((o, s, now) in arb_obs()) {
        // Retiring an empty drained instance takes nothing from waiting tasks; a new
        // drain would add to them.
        let d = decide(&settings(), &o, &s, now);
        if !d.drain.is_empty() {
            prop_assert_eq!(o.provisioning, 0);
        }
    }

    #[test]
    fn a_step_never_drains_below_the_floor_prop((o, s, now) in arb_obs()) {
        let set = settings();
        let d = decide(&set, &o, &s, now);
        let drained = u32::try_from(d.state.draining.len()).unwrap();
        if !d.drain.is_empty() {
            prop_assert!(o.base.saturating_sub(drained) >= set.floor);
        }
    }

    #[test]
    fn a_decision_is_stable_once_applied((o, s, now) in arb_obs()) {
        // Raising is idempotent: the base a raise sets raises nothing more.
        let set = settings();
        let d = decide(&set, &o, &s, now);
        // An abandoned return is left out: once its instances are reactivated their
        // tasks stop waiting, which this replay (same observation) does not show.
        if d.reason == Reason::SpotFailing && d.reactivate.is_empty() {
            // The base in force after the decision.
            let applied = d.base.unwrap_or(o.base);
            let again = Observation { base: applied, ..o.clone() };
            prop_assert_eq!(decide(&set, &again, &d.state, now).base.filter(|b| *b > applied), None);
        }
    }

    #[test]
    fn any_state_round_trips(failed in prop::option::of(any::<i64>()), stepped in prop::option::of(any::<i64>()), attempts in any::<u32>(), returned in any::<u32>(), draining in prop::collection::vec("i-[0-9a-f]{8,17}", 0..4)) {
        let s = State { failed_at: failed, stepped_at: stepped, attempts, returned, draining };
        let tag = format_state(&s);
        prop_assert!(tag.len() <= 256);
        prop_assert_eq!(parse_state(Some(&tag)), Ok(s));
    }
}
