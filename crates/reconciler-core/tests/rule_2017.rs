use proptest::prelude::*;
use spotcover_reconciler_core::policy::rule_2017::*;
use spotcover_reconciler_core::{Action, EpochSeconds, GroupState};

const NOW: EpochSeconds = 1_800_000_000;

fn pts(v: &[(i64, f64)]) -> Vec<Datapoint> {
    v.iter()
        .map(|&(ago, value)| Datapoint::new(NOW - ago, value))
        .collect()
}

fn obs(target: &[(i64, f64)], fulfilled: &[(i64, f64)]) -> Observation {
    Observation {
        target: pts(target),
        fulfilled: pts(fulfilled),
    }
}

fn g(desired: u32, min: u32, max: u32) -> Option<GroupState> {
    Some(GroupState { desired, min, max })
}

const NONE: Action = Action::None;
fn out(desired: u32) -> Action {
    Action::SetDesired {
        desired,
        honor_cooldown: false,
    }
}
fn inn(desired: u32) -> Action {
    Action::SetDesired {
        desired,
        honor_cooldown: true,
    }
}

/// Quiet, fresh metrics: target `t` and fulfilled `f` over the last 20 minutes.
fn steady(t: f64, f: f64) -> Observation {
    let ago: Vec<i64> = (1..=20).map(|m| m * 60).collect();
    Observation {
        target: ago.iter().map(|&a| Datapoint::new(NOW - a, t)).collect(),
        fulfilled: ago.iter().map(|&a| Datapoint::new(NOW - a, f)).collect(),
    }
}

/// Name, observation, group, expected action, reason and wanted.
type Case = (
    &'static str,
    Observation,
    Option<GroupState>,
    Action,
    Reason,
    Option<u32>,
);

#[test]
fn every_branch() {
    let p = Settings::new(4).unwrap();
    use Reason::*;
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("group unknown", steady(20.0, 0.0), None, NONE, GroupUnknown, None),
        ("group min > max", steady(20.0, 0.0), g(1, 5, 2), NONE, GroupBoundsInvalid, None),
        ("missing", obs(&[], &[]), g(3, 0, 200), NONE, FleetMetricsMissing, None),
        ("missing, below min", obs(&[], &[]), g(0, 2, 200), out(2), FleetMetricsMissing, None),
        ("missing, above max", obs(&[], &[]), g(9, 0, 5), inn(5), FleetMetricsMissing, None),
        ("partial: target only", obs(&[(60, 20.0)], &[]), g(3, 0, 200), NONE, FleetMetricsPartial, None),
        ("partial: fulfilled only", obs(&[], &[(60, 20.0)]), g(3, 0, 200), NONE, FleetMetricsPartial, None),
        ("invalid: NaN", obs(&[(60, f64::NAN)], &[(60, 1.0)]), g(3, 0, 200), NONE, FleetMetricsInvalid, None),
        ("invalid: negative", obs(&[(60, 4.0)], &[(60, -1.0)]), g(3, 0, 200), NONE, FleetMetricsInvalid, None),
        ("stale target", obs(&[(901, 20.0)], &[(60, 0.0)]), g(3, 0, 200), NONE, FleetMetricsStale, None),
        ("stale fulfilled", obs(&[(60, 20.0)], &[(901, 20.0)]), g(3, 0, 200), NONE, FleetMetricsStale, None),
        ("900 s old is not stale", obs(&[(900, 20.0)], &[(900, 20.0)]), g(3, 0, 200), inn(0), ReleaseCover, Some(0)),
        ("future timestamps are fresh", obs(&[(-30, 8.0)], &[(-30, 0.0)]), g(0, 0, 200), out(2), CoverShortfall, Some(2)),
        ("still scaling: change in window", obs(&[(60, 20.0), (300, 10.0), (700, 10.0)], &[(60, 0.0)]), g(3, 0, 200), NONE, FleetStillScaling, None),
        ("still scaling: change at window start", obs(&[(60, 20.0), (540, 20.0), (660, 10.0)], &[(60, 0.0)]), g(3, 0, 200), NONE, FleetStillScaling, None),
        ("still scaling, below min", obs(&[(60, 20.0), (300, 10.0)], &[(60, 0.0)]), g(0, 1, 200), out(1), FleetStillScaling, None),
        ("quiet: change before the last pre-window point", obs(&[(60, 20.0), (600, 20.0), (660, 20.0), (720, 10.0)], &[(60, 0.0)]), g(0, 0, 200), out(5), CoverShortfall, Some(5)),
        ("steady", steady(20.0, 12.0), g(2, 0, 200), NONE, Steady, Some(2)),
        ("scale out", steady(20.0, 11.0), g(0, 0, 200), out(3), CoverShortfall, Some(3)),
        ("scale out clamped to max", steady(2000.0, 0.0), g(0, 0, 200), out(200), CoverShortfall, Some(200)),
        ("scale in", steady(20.0, 20.0), g(3, 0, 200), inn(0), ReleaseCover, Some(0)),
        ("scale in clamped to min", steady(20.0, 20.0), g(3, 1, 200), inn(1), ReleaseCover, Some(1)),
        ("over-fulfilled counts as zero pending", steady(20.0, 25.0), g(1, 0, 200), inn(0), ReleaseCover, Some(0)),
        ("raise to min though no pending", steady(20.0, 20.0), g(0, 2, 200), out(2), CoverShortfall, Some(2)),
        ("above max in normal case", steady(200.0, 0.0), g(300, 0, 10), inn(10), ReleaseCover, Some(10)),
        ("float noise", steady(8.000_000_001, 0.0), g(0, 0, 200), out(2), CoverShortfall, Some(2)),
        ("fractional fulfilled", steady(8.0, 3.5), g(0, 0, 200), out(2), CoverShortfall, Some(2)),
    ];
    for (name, o, group, action, reason, wanted) in cases {
        let d = decide(&p, &o, group.as_ref(), NOW);
        assert_eq!(d.action, action, "{name}: {d:?}");
        assert_eq!(d.reason, reason, "{name}: {d:?}");
        assert_eq!(d.wanted, wanted, "{name}: {d:?}");
    }
}

#[test]
fn weight_one_and_custom_windows() {
    let p = Settings::with(1, 60, 120).unwrap();
    // A change 5 minutes ago is outside a 60 s quiet period...
    let o = obs(&[(30, 7.0), (90, 7.0), (300, 3.0)], &[(30, 2.0)]);
    let d = decide(&p, &o, g(0, 0, 200).as_ref(), NOW);
    assert_eq!(d.action, out(5));
    // ...but a 121 s old datapoint is stale with stale_after 120.
    let o = obs(&[(121, 7.0)], &[(30, 2.0)]);
    assert_eq!(
        decide(&p, &o, g(0, 0, 200).as_ref(), NOW).reason,
        Reason::FleetMetricsStale
    );
    assert!(Settings::new(0).is_err());
}

#[test]
fn decision_serializes_snake_case() {
    let p = Settings::new(4).unwrap();
    let d = decide(&p, &steady(20.0, 11.0), g(0, 0, 200).as_ref(), NOW);
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "action": {"kind": "set_desired", "desired": 3, "honor_cooldown": false},
            "reason": "cover_shortfall",
            "target": 20.0, "fulfilled": 11.0, "pending": 9.0, "wanted": 3, "bound": null
        })
    );
    let d = decide(&p, &obs(&[], &[]), g(0, 0, 200).as_ref(), NOW);
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["action"], serde_json::json!({"kind": "none"}));
    assert_eq!(v["reason"], "fleet_metrics_missing");
}

fn arb_series() -> impl Strategy<Value = Vec<Datapoint>> {
    // Ages up to 30 minutes (and a little future skew), small integer or
    // fractional capacities, sometimes empty.
    prop::collection::vec(
        (
            -60i64..1800,
            prop_oneof![(0u32..40).prop_map(f64::from), 0.0f64..40.0],
        )
            .prop_map(|(ago, v)| Datapoint::new(NOW - ago, v)),
        0..12,
    )
}

fn arb_obs() -> impl Strategy<Value = Observation> {
    prop_oneof![
        // Arbitrary, usually noisy / changing / stale.
        (arb_series(), arb_series())
            .prop_map(|(target, fulfilled)| Observation { target, fulfilled }),
        // Quiet and fresh, so the normal path is well exercised.
        (0u32..60, 0.0f64..60.0).prop_map(|(t, f)| steady(f64::from(t), f)),
    ]
}

fn arb_group() -> impl Strategy<Value = GroupState> {
    (0u32..30, 0u32..30, 0u32..40).prop_map(|(a, b, desired)| GroupState {
        desired,
        min: a.min(b),
        max: a.max(b),
    })
}

fn arb_policy() -> impl Strategy<Value = Settings> {
    (1u32..6, 0u64..1200, 0u64..1200).prop_map(|(w, q, s)| Settings::with(w, q, s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn result_within_bounds(p in arb_policy(), o in arb_obs(), grp in arb_group()) {
        let d = decide(&p, &o, Some(&grp), NOW);
        let r = d.resulting_desired(&grp);
        prop_assert!(r >= grp.min && r <= grp.max, "{d:?} {grp:?}");
        if let Action::SetDesired { desired, honor_cooldown } = d.action {
            prop_assert_ne!(desired, grp.desired, "a call that changes nothing");
            // Scaling in honours the cooldown, scaling out ignores it.
            prop_assert_eq!(honor_cooldown, desired < grp.desired);
        }
    }

    #[test]
    fn never_scales_in_when_in_doubt(p in arb_policy(), o in arb_obs(), grp in arb_group()) {
        let d = decide(&p, &o, Some(&grp), NOW);
        if d.reason.in_doubt() {
            // The only lowering allowed is to the group's own max.
            prop_assert!(d.resulting_desired(&grp) >= grp.desired.min(grp.max), "{d:?} {grp:?}");
            prop_assert!(d.pending.is_none() && d.wanted.is_none());
        }
    }

    #[test]
    fn an_empty_series_is_in_doubt(p in arb_policy(), o in arb_obs(), grp in arb_group()) {
        let no_target = Observation { target: Vec::new(), ..o.clone() };
        prop_assert!(decide(&p, &no_target, Some(&grp), NOW).reason.in_doubt());
        let no_fulfilled = Observation { fulfilled: Vec::new(), ..o };
        prop_assert!(decide(&p, &no_fulfilled, Some(&grp), NOW).reason.in_doubt());
    }

    #[test]
    fn metrics_older_than_the_staleness_bound_are_in_doubt(p in arb_policy(), o in arb_obs(), grp in arb_group()) {
        // Every datapoint moved back beyond the bound.
        let age = i64::try_from(p.stale_after_secs).unwrap() + 1;
        let old = |s: &[Datapoint]| -> Vec<Datapoint> {
            s.iter().map(|x| Datapoint::new(x.at.min(NOW) - age, x.value)).collect()
        };
        let stale = Observation { target: old(&o.target), fulfilled: old(&o.fulfilled) };
        prop_assert!(decide(&p, &stale, Some(&grp), NOW).reason.in_doubt());
    }

    #[test]
    fn a_target_change_within_the_quiet_period_is_in_doubt(p in arb_policy(), t in 0u32..60, f in 0.0f64..60.0, grp in arb_group()) {
        // Fresh and otherwise steady, but the latest target differs from the one a
        // second before it, inside any quiet period.
        let mut o = steady(f64::from(t), f);
        o.target.push(Datapoint::new(NOW, f64::from(t) + 1.0));
        o.fulfilled.push(Datapoint::new(NOW, f));
        prop_assert!(decide(&p, &o, Some(&grp), NOW).reason.in_doubt());
    }

    #[test]
    fn applying_then_redeciding_is_a_no_op(p in arb_policy(), o in arb_obs(), grp in arb_group()) {
        let d = decide(&p, &o, Some(&grp), NOW);
        let after = GroupState { desired: d.resulting_desired(&grp), ..grp };
        let again = decide(&p, &o, Some(&after), NOW);
        prop_assert_eq!(again.action, Action::None, "{:?} then {:?}", d, again);
    }

    #[test]
    fn unknown_or_invalid_group_never_acts(p in arb_policy(), o in arb_obs(), d0 in 0u32..40, lo in 0u32..20, gap in 1u32..20) {
        prop_assert_eq!(decide(&p, &o, None, NOW).action, Action::None);
        let bad = GroupState { desired: d0, min: lo + gap, max: lo };
        prop_assert_eq!(decide(&p, &o, Some(&bad), NOW).action, Action::None);
    }
}
