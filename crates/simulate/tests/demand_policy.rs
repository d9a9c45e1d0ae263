//! The `demand` policy's goals, over every shipped scenario for `quickstart.yaml` and
//! `seed-2017.yaml`: within 1.2 times the reactive floor's uncovered capacity and
//! on-demand cost in total, never worse than spot-only or the 2017 policy in any run,
//! and never more on-demand than 1.5 times demand plus one instance in any minute.

use std::path::{Path, PathBuf};

use spotcover_simulate::{PolicyName, Report, Scenario, simulate};
use spotcover_stack::StackConfig;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config(name: &str) -> StackConfig {
    let text = std::fs::read_to_string(root().join("examples").join(name)).unwrap();
    spotcover_stack::load(&text).unwrap().remove(0).config
}

/// (config, scenario name, report) for every shipped scenario of both configs.
fn runs() -> Vec<(&'static str, String, Report)> {
    let mut out = Vec::new();
    for (cfg, dir) in [
        ("quickstart.yaml", "examples/scenarios"),
        ("seed-2017.yaml", "examples/scenarios/seed-2017"),
    ] {
        let c = config(cfg);
        let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        assert!(files.len() >= 10, "{dir}: every scenario");
        for f in files {
            let s = Scenario::from_yaml(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            out.push((cfg, name, simulate(&c, &s).unwrap()));
        }
    }
    out
}

fn total(runs: &[(&str, String, Report)], p: PolicyName, f: fn(&Report, PolicyName) -> f64) -> f64 {
    runs.iter().map(|(_, _, r)| f(r, p)).sum()
}

fn uncovered(r: &Report, p: PolicyName) -> f64 {
    r.policy(p).unwrap().uncovered_unit_minutes as f64
}

fn od_cost(r: &Report, p: PolicyName) -> f64 {
    r.policy(p).unwrap().on_demand_cost
}

fn table(runs: &[(&str, String, Report)]) -> String {
    let mut s = String::new();
    for (cfg, name, r) in runs {
        s.push_str(&format!("{cfg} {name}:"));
        for p in &r.policies {
            s.push_str(&format!(
                " {}={}/{:.2}",
                p.policy.as_str(),
                p.uncovered_unit_minutes,
                p.on_demand_cost
            ));
        }
        s.push('\n');
    }
    s
}

#[test]
fn total_uncovered_is_within_1_2_times_the_reactive_floor() {
    let runs = runs();
    let d = total(&runs, PolicyName::Default, uncovered);
    let f = total(&runs, PolicyName::ReactiveFloor, uncovered);
    assert!(d <= 1.2 * f, "default {d} floor {f}\n{}", table(&runs));
}

#[test]
fn total_on_demand_cost_is_within_1_2_times_the_reactive_floor() {
    let runs = runs();
    let d = total(&runs, PolicyName::Default, od_cost);
    let f = total(&runs, PolicyName::ReactiveFloor, od_cost);
    assert!(
        d <= 1.2 * f,
        "default ${d:.2} floor ${f:.2}\n{}",
        table(&runs)
    );
}

#[test]
fn no_run_leaves_more_uncovered_than_spot_only_or_2017() {
    let runs = runs();
    for (cfg, name, r) in &runs {
        let d = uncovered(r, PolicyName::Default);
        for other in [PolicyName::SpotOnly, PolicyName::Design2017] {
            assert!(
                d <= uncovered(r, other),
                "{cfg} {name}: default {d} > {} {}",
                other.as_str(),
                uncovered(r, other)
            );
        }
    }
}

#[test]
fn on_demand_never_exceeds_one_and_a_half_demand_plus_one_instance() {
    for (cfg, name, r) in runs() {
        let weight = config(cfg).on_demand.weight;
        let p = r.policy(PolicyName::Default).unwrap();
        for m in &p.minutes {
            let od_units = u64::from(m.on_demand_desired) * u64::from(weight);
            let limit = (3 * u64::from(m.demand)) / 2 + u64::from(weight);
            assert!(
                od_units <= limit,
                "{cfg} {name} minute {}: {od_units} on-demand units for demand {}",
                m.minute,
                m.demand
            );
        }
    }
}

/// The fleet target under the demand policy is a function of demand alone: whatever
/// the cover does and however many tasks wait, it is never above what the largest
/// demand of the run asks for, and it only ever falls after demand fell.
#[test]
fn the_fleet_target_follows_demand_and_nothing_else() {
    for (cfg, name, r) in runs() {
        let c = config(cfg);
        let a = &c.spot.autoscaling;
        let for_demand = |d: u32| {
            let t = (u64::from(d) * 100).div_ceil(u64::from(a.target_percent));
            (t as u32).clamp(a.min_capacity, a.max_capacity)
        };
        let p = r.policy(PolicyName::Default).unwrap();
        let peak = p.minutes.iter().map(|m| m.demand).max().unwrap();
        for w in p.minutes.windows(2) {
            let (before, now) = (&w[0], &w[1]);
            assert!(
                now.target <= for_demand(peak),
                "{cfg} {name} {}",
                now.minute
            );
            if now.target < before.target {
                let earlier = p.minutes[..now.minute as usize]
                    .iter()
                    .map(|m| m.demand)
                    .max()
                    .unwrap();
                assert!(
                    now.demand < earlier,
                    "{cfg} {name} minute {}: target fell with no fall in demand",
                    now.minute
                );
            }
        }
    }
}

/// Stable: on the calm scenarios (no pool lost), the target changes at most twice per
/// change of demand (once at the change, once more when a lower level outlasts the
/// fleet hold).
#[test]
fn on_calm_days_the_target_moves_only_with_demand() {
    for (cfg, name, r) in runs().into_iter().filter(|(_, n, _)| n.starts_with("calm")) {
        let p = r.policy(PolicyName::Default).unwrap();
        let steps = p
            .minutes
            .windows(2)
            .filter(|w| w[0].demand != w[1].demand)
            .count() as u32;
        assert!(
            p.fleet_target_changes <= 2 * steps,
            "{cfg} {name}: {} target changes for {steps} demand steps",
            p.fleet_target_changes
        );
    }
}
