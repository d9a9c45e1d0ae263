//! Table and property tests of the drain decisions: [`hook_step`],
//! [`hook_deadline`] and [`plan_surplus`].

use std::collections::BTreeMap;

use proptest::prelude::*;
use spotcover_reconciler_core::contract::attributes;
use spotcover_reconciler_core::drain::*;
use spotcover_reconciler_core::ecs::InstanceStatus::{self, Active, Draining, Other};
use spotcover_reconciler_core::ecs::{
    CapacityKind, ContainerInstance as Member, CoverMark, SurplusMark,
};

fn mark() -> Option<SurplusMark> {
    Some(SurplusMark {
        at: 1,
        adopted: false,
    })
}

const NOW: i64 = 1_800_000_000;

fn member(arn: &str, status: InstanceStatus, running: u32, pending: u32) -> Member {
    Member {
        arn: arn.to_owned(),
        ec2_instance_id: Some(format!("i-{arn}")),
        status,
        running_tasks: running,
        pending_tasks: pending,
        instance_type: Some("m6i.large".into()),
        capacity: CapacityKind::OnDemand,
        ..Member::default()
    }
}

fn complete(reason: CompleteReason) -> HookStep {
    HookStep::Complete { reason }
}

// --- the lifecycle hook --------------------------------------------------

#[test]
fn hook_step_table() {
    use CompleteReason::{Drained, Timeout};
    let deadline = NOW + 600;
    // name, status, running, pending, now -> step
    let cases: &[(&str, InstanceStatus, u32, u32, i64, HookStep)] = &[
        (
            "active is drained first, even when empty",
            Active,
            0,
            0,
            NOW,
            HookStep::Drain,
        ),
        (
            "active is drained first, even past the deadline",
            Active,
            3,
            0,
            deadline,
            HookStep::Drain,
        ),
        (
            "draining and empty: drained",
            Draining,
            0,
            0,
            NOW,
            complete(Drained),
        ),
        (
            "a pending task counts as a task",
            Draining,
            0,
            1,
            NOW,
            HookStep::Wait { seconds_left: 540 },
        ),
        (
            "running tasks, deadline far: wait",
            Draining,
            2,
            0,
            NOW,
            HookStep::Wait { seconds_left: 540 },
        ),
        (
            "one second before the margin: wait",
            Draining,
            2,
            0,
            deadline - 61,
            HookStep::Wait { seconds_left: 1 },
        ),
        (
            "at deadline minus margin: timeout",
            Draining,
            2,
            0,
            deadline - 60,
            complete(Timeout),
        ),
        (
            "past the deadline: timeout",
            Draining,
            2,
            0,
            deadline + 5,
            complete(Timeout),
        ),
        (
            "empty beats timeout: drained",
            Draining,
            0,
            0,
            deadline + 5,
            complete(Drained),
        ),
        (
            "deregistering counts as draining",
            Other,
            0,
            0,
            NOW,
            complete(Drained),
        ),
    ];
    for (name, status, running, pending, now, want) in cases {
        let m = member("a", *status, *running, *pending);
        assert_eq!(hook_step(&m, deadline, 60, *now), *want, "{name}");
    }
}

#[test]
fn hook_margin_is_sixty_seconds_or_half_a_short_timeout() {
    assert_eq!(hook_margin_secs(900), 60);
    assert_eq!(hook_margin_secs(120), 60);
    assert_eq!(hook_margin_secs(100), 50);
    assert_eq!(hook_margin_secs(30), 15);
}

#[test]
fn hook_deadline_is_recorded_once_and_never_extended() {
    let mut m = member("a", Active, 1, 0);
    assert_eq!(hook_deadline(&m, 900, NOW), NOW + 900);
    m.hook_deadline = Some(NOW - 100);
    assert_eq!(hook_deadline(&m, 900, NOW), NOW - 100);
}

#[test]
fn unreadable_hook_deadline_counts_as_passed() {
    let mut m = member("a", Draining, 1, 0);
    m.set_attribute(attributes::HOOK_DEADLINE, Some("soon"));
    let d = m.hook_deadline.unwrap();
    assert_eq!(hook_step(&m, d, 60, NOW), complete(CompleteReason::Timeout));
}

// --- the fleet's surplus -------------------------------------------------

fn weights() -> BTreeMap<String, u32> {
    [("m6i.large", 2), ("m6i.xlarge", 4)]
        .into_iter()
        .map(|(t, w)| (t.to_owned(), w))
        .collect()
}

fn spot(arn: &str, ty: &str, status: InstanceStatus, tasks: u32, marked: bool) -> Member {
    Member {
        instance_type: Some(ty.into()),
        capacity: CapacityKind::Spot,
        surplus_mark: marked.then_some(SurplusMark {
            at: NOW,
            adopted: false,
        }),
        ..member(arn, status, tasks, 0)
    }
}

/// Drained and covered by its interruption notice.
fn interrupted(tasks: u32) -> Member {
    Member {
        cover: CoverMark::Covered,
        ..spot("interrupted", "m6i.large", Draining, tasks, false)
    }
}

fn adopted(arn: &str, tasks: u32, at: i64) -> Member {
    Member {
        surplus_mark: Some(SurplusMark { at, adopted: true }),
        ..spot(arn, "m6i.large", Draining, tasks, false)
    }
}

fn arns(p: &[Pick]) -> Vec<&str> {
    p.iter().map(|p| p.arn.as_str()).collect()
}

#[test]
fn no_surplus_no_action() {
    let ms = [spot("a", "m6i.large", Active, 1, false)];
    let p = plan_surplus(&weights(), Some((2.0, 2.0)), &ms, NOW);
    assert_eq!((p.surplus_units, p.registered_units), (0, 2));
    assert!(!p.acts(), "{p:?}");
}

#[test]
fn surplus_drains_fewest_tasks_first_within_the_surplus() {
    let ms = [
        spot("busy", "m6i.large", Active, 5, false),
        spot("idle", "m6i.large", Active, 0, false),
        spot("big", "m6i.xlarge", Active, 1, false),
        spot("some", "m6i.large", Active, 2, false),
    ];
    // 10 units registered, target 5: surplus 5. idle (2) fits, big (4) does
    // not fit in the 3 left, some (2) fits; busy (2) no longer fits.
    let p = plan_surplus(&weights(), Some((5.0, 10.0)), &ms, NOW);
    assert_eq!(p.surplus_units, 5);
    assert_eq!(arns(&p.drain), ["idle", "some"]);
    assert!(
        p.terminate.is_empty(),
        "nothing is terminated before it drains"
    );
}

#[test]
fn surplus_is_bounded_by_the_registered_units() {
    // The metric still counts 4 units the reconciler already terminated.
    let ms = [spot("a", "m6i.large", Active, 0, false)];
    let p = plan_surplus(&weights(), Some((2.0, 6.0)), &ms, NOW);
    assert_eq!((p.registered_units, p.surplus_units), (2, 0));
    assert!(p.drain.is_empty());
}

#[test]
fn marked_and_empty_draining_instance_is_terminated() {
    let ms = [
        spot("done", "m6i.large", Draining, 0, true),
        spot("busy", "m6i.large", Draining, 2, true),
    ];
    let p = plan_surplus(&weights(), Some((0.0, 4.0)), &ms, NOW);
    assert_eq!(arns(&p.terminate), ["done"]);
    assert_eq!(arns(&p.keep), ["done", "busy"]);
    assert!(p.reactivate.is_empty() && p.drain.is_empty());
}

#[test]
fn instance_with_tasks_is_never_terminated() {
    let ms = [spot("busy", "m6i.large", Draining, 1, true)];
    let p = plan_surplus(&weights(), Some((0.0, 2.0)), &ms, NOW);
    assert!(p.terminate.is_empty());
    assert_eq!(arns(&p.keep), ["busy"]);
}

#[test]
fn marked_instances_go_back_to_active_when_the_surplus_shrinks() {
    let ms = [
        spot("idle", "m6i.large", Draining, 0, true),
        spot("busy", "m6i.large", Draining, 3, true),
        spot("other", "m6i.large", Active, 1, false),
    ];
    // Target rose: 6 registered, target 4 -> surplus 2: keep the emptiest.
    let p = plan_surplus(&weights(), Some((4.0, 6.0)), &ms, NOW);
    assert_eq!(arns(&p.keep), ["idle"]);
    assert_eq!(arns(&p.terminate), ["idle"]);
    assert_eq!(arns(&p.reactivate), ["busy"]);
    assert!(p.drain.is_empty());
}

#[test]
fn metrics_in_doubt_terminate_nothing_and_give_marked_instances_back() {
    let ms = [
        spot("idle", "m6i.large", Draining, 0, true),
        spot("a", "m6i.large", Active, 0, false),
    ];
    let p = plan_surplus(&weights(), None, &ms, NOW);
    assert_eq!(p.basis, SurplusBasis::MetricsInDoubt);
    assert_eq!(p.surplus_units, 0);
    assert!(p.terminate.is_empty() && p.drain.is_empty());
    assert_eq!(arns(&p.reactivate), ["idle"]);
}

#[test]
fn marked_but_active_instance_is_drained_again() {
    let ms = [spot("a", "m6i.large", Active, 0, true)];
    let p = plan_surplus(&weights(), Some((0.0, 2.0)), &ms, NOW);
    assert_eq!(arns(&p.redrain), ["a"]);
    assert!(
        p.terminate.is_empty(),
        "an ACTIVE instance is never terminated"
    );
}

#[test]
fn only_spot_instances_of_known_weight_are_touched() {
    let ms = [
        member("od", Active, 0, 0), // on-demand
        Member {
            capacity: CapacityKind::Unknown,
            ..spot("untagged", "m6i.large", Active, 0, false)
        },
        spot("unknown-type", "c7i.48xlarge", Active, 0, false),
        interrupted(0),
        spot("leaving", "m6i.large", Other, 0, true),
    ];
    let p = plan_surplus(&weights(), Some((0.0, 100.0)), &ms, NOW);
    assert_eq!(p.registered_units, 0, "none counts");
    assert!(!p.acts(), "{p:?}");
}

#[test]
fn an_instance_draining_for_another_reason_is_not_counted_as_capacity() {
    // 3 instances of 2 units, one of them drained by its spot interruption
    // notice: 4 units stay, target 4, no surplus (the metric still says 6).
    let ms = [
        spot("a", "m6i.large", Active, 1, false),
        spot("b", "m6i.large", Active, 1, false),
        interrupted(1),
    ];
    let p = plan_surplus(&weights(), Some((4.0, 6.0)), &ms, NOW);
    assert_eq!((p.registered_units, p.surplus_units), (4, 0));
    assert!(!p.acts(), "{p:?}");
}

#[test]
fn fractional_metrics_round_the_surplus_down() {
    let ms = [
        spot("a", "m6i.large", Active, 0, false),
        spot("b", "m6i.large", Active, 0, false),
    ];
    let p = plan_surplus(&weights(), Some((2.5, 4.0)), &ms, NOW);
    assert_eq!(p.surplus_units, 1);
    assert!(p.drain.is_empty(), "weight 2 does not fit in 1 unit");
    let p = plan_surplus(&weights(), Some((1.0, 3.000_000_000_1)), &ms, NOW);
    assert_eq!(p.surplus_units, 2);
}

#[test]
fn same_inputs_same_plan_whatever_the_order() {
    let mut ms = vec![
        spot("c", "m6i.large", Active, 1, false),
        spot("a", "m6i.large", Active, 1, false),
        spot("b", "m6i.xlarge", Active, 1, false),
    ];
    let p1 = plan_surplus(&weights(), Some((2.0, 8.0)), &ms, NOW);
    ms.reverse();
    let p2 = plan_surplus(&weights(), Some((2.0, 8.0)), &ms, NOW);
    assert_eq!(p1, p2);
    assert_eq!(arns(&p1.drain), ["b", "a"]);
}

fn arb_member() -> impl Strategy<Value = Member> {
    (
        prop_oneof![Just(Active), Just(Draining), Just(Other)],
        0u32..4,
        0u32..2,
        prop_oneof![
            Just(Some("m6i.large")),
            Just(Some("m6i.xlarge")),
            Just(Some("t3.nano")),
            Just(None)
        ],
        prop_oneof![
            3 => Just(CapacityKind::Spot),
            1 => Just(CapacityKind::OnDemand),
            1 => Just(CapacityKind::Unknown)
        ],
        any::<bool>(),
    )
        .prop_map(|(status, running, pending, ty, cap, marked)| Member {
            arn: String::new(),
            ec2_instance_id: None,
            status,
            running_tasks: running,
            pending_tasks: pending,
            instance_type: ty.map(str::to_owned),
            capacity: cap,
            surplus_mark: if marked { mark() } else { None },
            ..Member::default()
        })
}

/// Up to 12 members with distinct ARNs (ECS never lists one twice).
fn members() -> impl Strategy<Value = Vec<Member>> {
    proptest::collection::vec(arb_member(), 0..12).prop_map(|ms| {
        ms.into_iter()
            .enumerate()
            .map(|(i, m)| Member {
                arn: format!("arn-{i}"),
                ec2_instance_id: Some(format!("i-{i}")),
                ..m
            })
            .collect()
    })
}

fn arb_fleet() -> impl Strategy<Value = Option<(f64, f64)>> {
    prop_oneof![
        1 => Just(None),
        4 => (0.0f64..40.0, 0.0f64..60.0).prop_map(Some),
    ]
}

proptest! {
    #[test]
    fn never_keeps_or_drains_more_units_than_the_surplus(
        ms in members(),
        fleet in arb_fleet(),
    ) {
        let p = plan_surplus(&weights(), fleet, &ms, NOW);
        let units: u32 = p.keep.iter().chain(&p.drain).map(|k| k.weight).sum();
        prop_assert!(units <= p.surplus_units, "{p:?}");
        if let Some((t, f)) = fleet {
            prop_assert!(f64::from(p.surplus_units) <= (f - t).max(0.0) + 1e-6);
        }
    }

    #[test]
    fn never_terminates_an_instance_with_tasks_or_not_draining(
        ms in members(),
        fleet in arb_fleet(),
    ) {
        let p = plan_surplus(&weights(), fleet, &ms, NOW);
        for t in &p.terminate {
            let m = ms.iter().find(|m| m.arn == t.arn).unwrap();
            prop_assert_eq!(m.tasks(), 0);
            prop_assert_eq!(m.status, Draining);
            prop_assert!(m.surplus_mark.is_some() && m.is_spot());
        }
    }

    #[test]
    fn touches_only_spot_instances_and_each_at_most_once(
        ms in members(),
        fleet in arb_fleet(),
    ) {
        let p = plan_surplus(&weights(), fleet, &ms, NOW);
        let mut seen = std::collections::BTreeSet::new();
        for k in p.keep.iter().chain(&p.drain).chain(&p.reactivate) {
            prop_assert!(seen.insert(k.arn.clone()), "{} twice", k.arn);
            prop_assert!(ms.iter().any(|m| m.arn == k.arn && m.is_spot()));
        }
        for d in &p.drain {
            let m = ms.iter().find(|m| m.arn == d.arn).unwrap();
            prop_assert!(m.status == Active && m.surplus_mark.is_none());
        }
    }

    #[test]
    fn planning_again_after_acting_changes_nothing_more(
        ms in members(),
        fleet in arb_fleet(),
    ) {
        // Apply the plan (mark + drain, reactivate; terminated ones leave),
        // then plan again on the same metrics: no new drain or reactivation.
        let p = plan_surplus(&weights(), fleet, &ms, NOW);
        let after: Vec<Member> = ms
            .iter()
            .filter(|m| !p.terminate.iter().any(|t| t.arn == m.arn))
            .cloned()
            .map(|mut m| {
                if p.drain.iter().chain(&p.redrain).any(|d| d.arn == m.arn) {
                    m.status = Draining;
                    m.surplus_mark = mark();
                }
                if p.reactivate.iter().any(|d| d.arn == m.arn) {
                    m.status = Active;
                    m.surplus_mark = None;
                }
                m
            })
            .collect();
        // Terminated instances leave the fleet too.
        let gone: f64 = p.terminate.iter().map(|t| f64::from(t.weight)).sum();
        let fleet2 = fleet.map(|(t, f)| (t, f - gone));
        let q = plan_surplus(&weights(), fleet2, &after, NOW);
        prop_assert!(q.drain.is_empty(), "{q:?}");
        prop_assert!(q.reactivate.is_empty(), "{q:?}");
    }
}

#[test]
fn a_spot_instance_draining_without_any_mark_is_adopted() {
    // Its surplus mark's write was lost, or the reactivation of a surplus drain was.
    let ms = [
        spot("orphan", "m6i.large", Draining, 1, false),
        interrupted(0),
        spot("claimed", "m6i.large", Draining, 0, false),
    ];
    let mut ms = ms.to_vec();
    ms[2].cover = CoverMark::Claimed { base: 1 };
    let p = plan_surplus(&weights(), Some((0.0, 2.0)), &ms, NOW);
    assert_eq!(arns(&p.adopt), ["orphan"], "{p:?}");
    assert!(p.acts());
}

#[test]
fn an_adopted_instance_is_finished_like_a_marked_one() {
    // Within the surplus and empty: terminated.
    let ms = [adopted("a", 0, NOW - 60)];
    let p = plan_surplus(&weights(), Some((0.0, 2.0)), &ms, NOW);
    assert_eq!(arns(&p.terminate), ["a"]);
    // Beyond the surplus and old enough: given back.
    let ms = [adopted("a", 2, NOW - ADOPTION_GRACE_SECS as i64)];
    let p = plan_surplus(&weights(), Some((2.0, 2.0)), &ms, NOW);
    assert_eq!(arns(&p.reactivate), ["a"]);
}

#[test]
fn a_young_adopted_mark_is_never_given_back() {
    let ms = [adopted("a", 2, NOW - ADOPTION_GRACE_SECS as i64 + 1)];
    for fleet in [Some((2.0, 2.0)), None] {
        let p = plan_surplus(&weights(), fleet, &ms, NOW);
        assert!(p.reactivate.is_empty() && p.adopt.is_empty(), "{p:?}");
    }
}
