//! The example scenarios against the quickstart: invariants and snapshots.

use spotcover_simulate::{PolicyName, Report, Scenario, simulate};
use spotcover_stack::StackConfig;

/// The scenarios in `examples/scenarios/` (`NAME.yaml`) with their text, sorted by name: a
/// new scenario is checked and snapshotted without a list to update here.
fn scenarios() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios");
    let mut all: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    all.sort();
    assert!(!all.is_empty(), "no scenarios in {}", dir.display());
    all
}

/// One scenario's text, by name.
fn scenario(name: &str) -> String {
    scenarios()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
        .1
}

fn quickstart() -> StackConfig {
    let mut resolved = spotcover_stack::load(include_str!("../../../examples/quickstart.yaml"))
        .expect("quickstart loads");
    resolved.remove(0).config
}

fn run(text: &str) -> Report {
    let scenario = Scenario::from_yaml(text).expect("scenario parses");
    simulate(&quickstart(), &scenario).expect("scenario matches the config")
}

fn uncovered(r: &Report, p: PolicyName) -> u64 {
    r.policy(p).unwrap().uncovered_unit_minutes
}

#[test]
fn snapshots() {
    for (name, text) in &scenarios() {
        let r = run(text);
        insta::with_settings!({snapshot_path => "../../../snapshots"}, {
            insta::assert_snapshot!(name.as_str(), r.table());
        });
    }
}

#[test]
fn every_policy_is_reported_in_order() {
    let r = run(&scenario("full-outage"));
    let names: Vec<_> = r.policies.iter().map(|p| p.policy.as_str()).collect();
    assert_eq!(
        names,
        ["spot-only", "2017", "default", "reactive-floor", "oracle"]
    );
}

#[test]
fn oracle_leaves_the_least_uncovered() {
    for (name, text) in &scenarios() {
        let r = run(text);
        let o = uncovered(&r, PolicyName::Oracle);
        for p in &r.policies {
            assert!(
                o <= p.uncovered_unit_minutes,
                "{name}: oracle {o} > {} {}",
                p.policy.as_str(),
                p.uncovered_unit_minutes
            );
        }
        // Per minute too.
        let oracle = r.policy(PolicyName::Oracle).unwrap();
        for p in &r.policies {
            for (a, b) in oracle.minutes.iter().zip(&p.minutes) {
                assert!(a.uncovered <= b.uncovered, "{name} minute {}", a.minute);
            }
        }
    }
}

#[test]
fn default_is_no_worse_than_2017() {
    for (name, text) in &scenarios() {
        let r = run(text);
        assert!(
            uncovered(&r, PolicyName::Default) <= uncovered(&r, PolicyName::Design2017),
            "{name}"
        );
    }
}

#[test]
fn spot_only_buys_no_on_demand() {
    for (name, text) in &scenarios() {
        let r = run(text);
        let p = r.policy(PolicyName::SpotOnly).unwrap();
        assert_eq!(p.on_demand_cost, 0.0, "{name}");
        assert_eq!(p.on_demand_instance_hours, 0.0, "{name}");
        assert!(p.minutes.iter().all(|m| m.on_demand_desired == 0));
    }
}

#[test]
fn capacity_is_consistent_and_never_negative() {
    let config = quickstart();
    let w = config.on_demand.weight;
    for (name, text) in &scenarios() {
        let r = run(text);
        for p in &r.policies {
            assert_eq!(p.minutes.len(), r.duration_minutes as usize);
            assert!(p.spot_cost >= 0.0 && p.on_demand_cost >= 0.0, "{name}");
            assert!(
                (p.total_cost - (p.spot_cost + p.on_demand_cost)).abs() < 1e-3,
                "{name}"
            );
            for m in &p.minutes {
                // Unsigned fields cannot go negative; check the relations instead.
                assert!(m.on_demand_running <= m.on_demand_desired, "{name} {m:?}");
                assert!(m.on_demand_desired <= config.on_demand.max_size, "{name}");
                assert_eq!(m.on_demand_units, m.on_demand_running * w);
                assert!(m.spot_registered <= m.spot_fulfilled, "{name} {m:?}");
                let covered = i64::from(m.spot_registered) + i64::from(m.on_demand_units);
                assert_eq!(
                    i64::from(m.uncovered),
                    (i64::from(m.demand) - covered).max(0),
                    "{name} {m:?}"
                );
                assert!(m.target >= config.spot.autoscaling.min_capacity);
                assert!(m.target <= config.spot.autoscaling.max_capacity);
            }
        }
    }
}

#[test]
fn deterministic_for_a_seed() {
    for (name, text) in &scenarios() {
        let (a, b) = (run(text), run(text));
        assert_eq!(a, b, "{name}");
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(a.svg(), b.svg(), "{name}");
    }
}

#[test]
fn the_seed_matters_where_there_is_jitter() {
    let text = &scenario("full-outage");
    let a = run(text);
    let mut s = Scenario::from_yaml(text).unwrap();
    let mut differs = false;
    for seed in 100..110 {
        s.seed = seed;
        let b = simulate(&quickstart(), &s).unwrap();
        differs |= a.policies != b.policies;
    }
    assert!(differs);
}

#[test]
fn outage_needs_cover_and_the_reconciler_gives_it() {
    let r = run(&scenario("full-outage"));
    assert!(uncovered(&r, PolicyName::SpotOnly) > 0);
    assert!(r.policy(PolicyName::Default).unwrap().on_demand_cost > 0.0);
    assert!(uncovered(&r, PolicyName::Default) < uncovered(&r, PolicyName::SpotOnly));
}

#[test]
fn on_demand_cover_lowers_the_reservation_and_the_fleet_scales_in_under_it() {
    // One pool lost: the fleet refills from the others, but the 2017 policy buys cover
    // while FulfilledCapacity is short; registered, the cover lowers the reservation,
    // target tracking scales the fleet in, and when the cover goes, demand waits for
    // spot to launch again: more uncovered than with no cover at all.
    let r = run(&scenario("one-pool-lost"));
    let (p, spot) = (
        r.policy(PolicyName::Design2017).unwrap(),
        r.policy(PolicyName::SpotOnly).unwrap(),
    );
    assert!(
        p.fleet_target_changes > spot.fleet_target_changes,
        "{}",
        r.table()
    );
    assert!(
        p.minutes.iter().any(|m| m.target < spot.minutes[0].target),
        "the fleet is scaled in below its warm-start target"
    );
    assert!(
        p.uncovered_unit_minutes > spot.uncovered_unit_minutes,
        "{}",
        r.table()
    );
}

#[test]
fn svg_has_one_panel_per_policy() {
    let svg = run(&scenario("full-outage")).svg();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for p in [
        "spot-only:",
        "2017:",
        "default:",
        "reactive-floor:",
        "oracle:",
    ] {
        assert!(svg.contains(p), "{p}");
    }
}

#[test]
fn json_names_policies_as_in_the_table() {
    let r = run(&scenario("full-outage"));
    let v: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(v["policies"][1]["policy"], "2017");
    assert_eq!(v["policies"][0]["minutes"][0]["minute"], 0);
}

#[test]
fn a_shorter_quiet_period_and_cooldown_beat_2017_when_the_fleet_scales_out_during_an_outage() {
    let text = include_str!("../../../examples/quickstart.yaml").to_owned()
        + "reconciler:\n  policy: \"2017\"\n  quiet_period_seconds: 180\n";
    let text = text.replace("  weight: 2\n", "  weight: 2\n  cooldown_seconds: 600\n");
    let config = spotcover_stack::load(&text).unwrap().remove(0).config;
    assert_eq!(config.reconciler.quiet_period_seconds, 180);
    assert_eq!(config.on_demand.cooldown_seconds, 600);
    let s = Scenario::from_yaml(&scenario("scale-out-during-outage")).unwrap();
    let r = simulate(&config, &s).unwrap();
    let (d, o) = (
        r.policy(PolicyName::Default).unwrap(),
        r.policy(PolicyName::Design2017).unwrap(),
    );
    assert!(
        d.uncovered_unit_minutes < o.uncovered_unit_minutes,
        "{}",
        r.table()
    );
    assert!(d.on_demand_cost < o.on_demand_cost, "{}", r.table());
    insta::with_settings!({snapshot_path => "../../../snapshots"}, {
        insta::assert_snapshot!("tuned-scale-out-during-outage", r.table());
    });
}

/// The quickstart under the 2017 policy, whose own per-warning cover
/// `interruptions.enabled` turns on.
fn quickstart_with_warnings() -> StackConfig {
    let text = include_str!("../../../examples/quickstart.yaml").to_owned()
        + "interruptions: { enabled: true }\nreconciler: { policy: \"2017\" }\n";
    let config = spotcover_stack::load(&text).unwrap().remove(0).config;
    assert!(config.interruptions.enabled);
    config
}

fn quickstart_without_warnings() -> StackConfig {
    let text = include_str!("../../../examples/quickstart.yaml").to_owned()
        + "interruptions: { enabled: false }\nreconciler: { policy: \"2017\" }\n";
    let config = spotcover_stack::load(&text).unwrap().remove(0).config;
    assert!(!config.interruptions.enabled);
    config
}

#[test]
fn acting_on_warnings_leaves_less_uncovered_in_a_full_outage() {
    let s = Scenario::from_yaml(&scenario("full-outage")).unwrap();
    let on = simulate(&quickstart_with_warnings(), &s).unwrap();
    let off = simulate(&quickstart_without_warnings(), &s).unwrap();
    let (d_on, d_off) = (
        uncovered(&on, PolicyName::Default),
        uncovered(&off, PolicyName::Default),
    );
    // The warning starts the on-demand launch two minutes before the loss; the metrics
    // show the loss a minute after it.
    assert!(d_on < d_off, "on {d_on}, off {d_off}\n{}", on.table());
    let p = on.policy(PolicyName::Default).unwrap();
    assert!(p.interruption_decisions["drain_and_cover"] > 0, "{p:?}");
    // Without warnings the config's values are the 2017 ones, so the rows agree.
    assert_eq!(d_off, uncovered(&off, PolicyName::Design2017));
}

#[test]
fn only_the_default_policy_acts_on_warnings() {
    for (name, text) in &scenarios() {
        let s = Scenario::from_yaml(text).unwrap();
        let on = simulate(&quickstart_with_warnings(), &s).unwrap();
        let off = simulate(&quickstart_without_warnings(), &s).unwrap();
        for p in [
            PolicyName::SpotOnly,
            PolicyName::Design2017,
            PolicyName::Oracle,
        ] {
            assert_eq!(on.policy(p), off.policy(p), "{name} {}", p.as_str());
            assert!(on.policy(p).unwrap().interruption_decisions.is_empty());
        }
        assert!(
            off.policy(PolicyName::Default)
                .unwrap()
                .interruption_decisions
                .is_empty(),
            "{name}"
        );
        // warning_minutes: 0 is the same as not acting on warnings.
        let mut quiet = s.clone();
        quiet.warning_minutes = 0;
        let q = simulate(&quickstart_with_warnings(), &quiet).unwrap();
        assert_eq!(q.policies, off.policies, "{name}");
    }
}

#[test]
fn scenarios_default_to_a_two_minute_warning() {
    for (name, text) in &scenarios() {
        let s = Scenario::from_yaml(text).unwrap();
        assert_eq!(s.warning_minutes, 2, "{name}");
    }
}

#[test]
fn seed_2017_scenarios_fit_its_config_and_the_oracle_is_the_lower_bound() {
    let config = spotcover_stack::load(include_str!("../../../examples/seed-2017.yaml"))
        .unwrap()
        .remove(0)
        .config;
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/seed-2017");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // One per quickstart scenario.
    assert_eq!(files.len(), scenarios().len());
    for f in files {
        let s = Scenario::from_yaml(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let r = simulate(&config, &s).unwrap();
        let o = uncovered(&r, PolicyName::Oracle);
        for p in &r.policies {
            assert!(o <= p.uncovered_unit_minutes, "{f:?} {}", p.policy.as_str());
        }
    }
}
