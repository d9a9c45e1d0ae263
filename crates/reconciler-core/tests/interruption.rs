//! Table test of [`decide_interruption`].

use spotcover_reconciler_core::contract::events::Notice;
use spotcover_reconciler_core::ecs::{ContainerInstance, CoverMark, InstanceStatus};
use spotcover_reconciler_core::interruption::*;
use spotcover_reconciler_core::policy::rule_2017;
use spotcover_reconciler_core::{Action, Bound, GroupState};

fn ip(rebalance: bool) -> InterruptionPolicy {
    InterruptionPolicy {
        spot_weights: [("m6i.large", 2), ("m5.large", 2), ("m6i.xlarge", 4)]
            .into_iter()
            .map(|(t, w)| (t.to_owned(), w))
            .collect(),
        drain_on_rebalance: rebalance,
    }
}

fn ci(status: InstanceStatus, ty: Option<&str>, covered: bool) -> Option<ContainerInstance> {
    Some(ContainerInstance {
        status,
        instance_type: ty.map(str::to_owned),
        cover: if covered {
            CoverMark::Covered
        } else {
            CoverMark::None
        },
        ..ContainerInstance::default()
    })
}

fn g(desired: u32, min: u32, max: u32) -> Option<GroupState> {
    Some(GroupState { desired, min, max })
}

fn set(desired: u32) -> Action {
    Action::SetDesired {
        desired,
        honor_cooldown: false,
    }
}

use InstanceStatus::{Active, Draining, Other};
use InterruptionReason as R;
use Notice::{InterruptionWarning as Warn, RebalanceRecommendation as Rebal};

/// Name, policy, interruption policy, notice, container instance, group ->
/// reason, drain, action, mark, (weight, source, cover), bound.
type Case = (
    &'static str,
    rule_2017::Settings,
    InterruptionPolicy,
    Notice,
    Option<ContainerInstance>,
    Option<GroupState>,
    R,
    bool,
    Action,
    bool,
    Option<(u32, WeightSource, u32)>,
    Option<Bound>,
);

#[test]
fn every_branch() {
    let w2 = rule_2017::Settings::new(2).unwrap();
    let w4 = rule_2017::Settings::new(4).unwrap();
    let w3 = rule_2017::Settings::new(3).unwrap();
    let none = Action::None;
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("warning, this cluster: drain + raise by ceil(2/2)",
            w2, ip(false), Warn, ci(Active, Some("m6i.large"), false), g(0, 0, 200),
            R::DrainAndCover, true, set(1), true, Some((2, WeightSource::Fleet, 1)), None),
        ("weight 4 at on-demand weight 3: two instances",
            w3, ip(false), Warn, ci(Active, Some("m6i.xlarge"), false), g(5, 0, 200),
            R::DrainAndCover, true, set(7), true, Some((4, WeightSource::Fleet, 2)), None),
        ("on-demand weight larger than the instance: one instance",
            w4, ip(false), Warn, ci(Active, Some("m5.large"), false), g(0, 0, 200),
            R::DrainAndCover, true, set(1), true, Some((2, WeightSource::Fleet, 1)), None),
        ("already covered (second warning): nothing",
            w2, ip(false), Warn, ci(Draining, Some("m6i.large"), true), g(1, 0, 200),
            R::AlreadyCovered, false, none, false, None, None),
        ("covered but somehow active again: still nothing",
            w2, ip(false), Warn, ci(Active, Some("m6i.large"), true), g(1, 0, 200),
            R::AlreadyCovered, false, none, false, None, None),
        ("drained by the ECS agent, not covered: cover only",
            w2, ip(false), Warn, ci(Draining, Some("m6i.xlarge"), false), g(0, 0, 200),
            R::CoverDraining, false, set(2), true, Some((4, WeightSource::Fleet, 2)), None),
        ("rebalance, not configured: nothing",
            w2, ip(false), Rebal, ci(Active, Some("m6i.large"), false), g(0, 0, 200),
            R::RebalanceIgnored, false, none, false, None, None),
        ("rebalance, not configured, unknown instance: still ignored first",
            w2, ip(false), Rebal, None, g(0, 0, 200),
            R::RebalanceIgnored, false, none, false, None, None),
        ("rebalance, configured: drain + raise",
            w2, ip(true), Rebal, ci(Active, Some("m6i.xlarge"), false), g(3, 0, 200),
            R::DrainAndCover, true, set(5), true, Some((4, WeightSource::Fleet, 2)), None),
        ("not this cluster: nothing",
            w2, ip(true), Warn, None, g(0, 0, 200),
            R::NotThisCluster, false, none, false, None, None),
        ("at max: clamp, no group call, still drain and mark",
            w2, ip(false), Warn, ci(Active, Some("m6i.large"), false), g(200, 0, 200),
            R::DrainAndCover, true, none, true, Some((2, WeightSource::Fleet, 1)), Some(Bound::Max)),
        ("near max: clamp to max",
            w2, ip(false), Warn, ci(Active, Some("m6i.xlarge"), false), g(9, 0, 10),
            R::DrainAndCover, true, set(10), true, Some((4, WeightSource::Fleet, 2)), Some(Bound::Max)),
        ("above max already: never lowered here",
            w2, ip(false), Warn, ci(Active, Some("m6i.large"), false), g(12, 0, 10),
            R::DrainAndCover, true, none, true, Some((2, WeightSource::Fleet, 1)), Some(Bound::Max)),
        ("below min: raised to at least min",
            w2, ip(false), Warn, ci(Active, Some("m6i.large"), false), g(0, 3, 10),
            R::DrainAndCover, true, set(3), true, Some((2, WeightSource::Fleet, 1)), Some(Bound::Min)),
        ("unknown instance type: drain, cover as the largest fleet weight",
            w2, ip(false), Warn, ci(Active, Some("c7g.metal"), false), g(0, 0, 200),
            R::DrainAndCover, true, set(2), true, Some((4, WeightSource::LargestFleetWeight, 2)), None),
        ("no instance-type attribute: the same fallback",
            w2, ip(false), Warn, ci(Active, None, false), g(0, 0, 200),
            R::DrainAndCover, true, set(2), true, Some((4, WeightSource::LargestFleetWeight, 2)), None),
        ("no weights configured: one on-demand instance",
            w4, InterruptionPolicy::default(), Warn, ci(Active, Some("m6i.large"), false), g(0, 0, 200),
            R::DrainAndCover, true, set(1), true, Some((4, WeightSource::OnDemandWeight, 1)), None),
        ("deregistering: nothing",
            w2, ip(false), Warn, ci(Other, Some("m6i.large"), false), g(0, 0, 200),
            R::NotActive, false, none, false, None, None),
        ("group unknown: drain only, not marked",
            w2, ip(false), Warn, ci(Active, Some("m6i.large"), false), None,
            R::GroupUnknown, true, none, false, None, None),
        ("group bounds invalid: drain only, not marked",
            w2, ip(false), Warn, ci(Active, Some("m6i.large"), false), g(0, 5, 2),
            R::GroupBoundsInvalid, true, none, false, None, None),
    ];
    for (name, p, ip, notice, inst, group, reason, drain, action, mark, cover, bound) in cases {
        let d = decide_interruption(&p, &ip, notice, inst.as_ref(), group.as_ref());
        assert_eq!(d.reason, reason, "{name}: {d:?}");
        assert_eq!(d.drain, drain, "{name}: {d:?}");
        assert_eq!(d.action, action, "{name}: {d:?}");
        assert_eq!(d.mark_covered, mark, "{name}: {d:?}");
        assert_eq!(
            d.instance_weight
                .zip(d.weight_source)
                .zip(d.cover)
                .map(|((w, s), n)| (w, s, n)),
            cover,
            "{name}: {d:?}"
        );
        assert_eq!(d.bound, bound, "{name}: {d:?}");
        assert_eq!(d.acts(), drain || mark || action != Action::None, "{name}");
        // Never scales in, never honours the cooldown.
        if let (
            Action::SetDesired {
                desired,
                honor_cooldown,
            },
            Some(g),
        ) = (d.action, group)
        {
            assert!(
                desired > g.desired && desired <= g.max && !honor_cooldown,
                "{name}"
            );
        }
    }
}

#[test]
fn applying_then_deciding_again_changes_nothing() {
    // After a drain + cover + mark, the same notice finds the instance covered.
    let p = rule_2017::Settings::new(2).unwrap();
    let ip = ip(true);
    let mut inst = ContainerInstance {
        status: Active,
        instance_type: Some("m6i.xlarge".into()),
        ..ContainerInstance::default()
    };
    let mut group = GroupState {
        desired: 1,
        min: 0,
        max: 200,
    };
    for notice in [Rebal, Warn] {
        let d = decide_interruption(&p, &ip, notice, Some(&inst), Some(&group));
        if d.drain {
            inst.status = Draining;
        }
        group.desired = d.resulting_desired(&group);
        if d.mark_covered {
            inst.cover = CoverMark::Covered;
        }
    }
    assert_eq!(group.desired, 3, "covered once, by the rebalance notice");
    let d = decide_interruption(&p, &ip, Warn, Some(&inst), Some(&group));
    assert!(!d.acts());
    assert_eq!(d.reason, R::AlreadyCovered);
}

#[test]
fn serializes_snake_case() {
    let d = decide_interruption(
        &rule_2017::Settings::new(2).unwrap(),
        &ip(false),
        Warn,
        ci(Draining, Some("m5.large"), false).as_ref(),
        g(0, 0, 10).as_ref(),
    );
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["reason"], "cover_draining");
    assert_eq!(v["weight_source"], "fleet");
    assert_eq!(
        v["action"],
        serde_json::json!({"kind": "set_desired", "desired": 1, "honor_cooldown": false})
    );
    assert_eq!(
        serde_json::to_value(Rebal).unwrap(),
        "rebalance_recommendation"
    );
    assert_eq!(InstanceStatus::parse("DRAINING"), Draining);
    assert_eq!(InstanceStatus::parse("REGISTRATION_FAILED"), Other);
}

#[test]
fn a_claimed_cover_is_finished_from_its_base_and_never_twice() {
    let p = rule_2017::Settings::new(2).unwrap();
    let inst = ContainerInstance {
        status: Draining,
        instance_type: Some("m6i.xlarge".into()),
        cover: CoverMark::Claimed { base: 1 },
        ..ContainerInstance::default()
    };
    // The raise never happened: desired 1 -> 1 + 4/2.
    let d = finish_claimed_cover(&p, &ip(false), &inst, 1, &g(1, 0, 10).unwrap());
    assert_eq!(d.action, set(3));
    assert!(d.mark_covered && !d.drain);
    // It did (or the group grew since): only the final mark.
    for desired in [3, 5] {
        let d = finish_claimed_cover(&p, &ip(false), &inst, 1, &g(desired, 0, 10).unwrap());
        assert_eq!(d.action, Action::None, "desired {desired}");
        assert!(d.mark_covered);
    }
}
