//! The fallback's targets over markets nobody tuned for: every shipped scenario and 32
//! seeded random markets (`spotcover_simulate::random_market`: demand steps, single-pool
//! and correlated losses, blip trains, latencies, registration delays, warnings), each
//! under every answer of the `asg.replacement_*` switches AWS does not document.

use spotcover_simulate::{PolicyName, ReplacementPick, Report, Scenario, random_market, simulate};
use spotcover_stack::StackConfig;

const SHIPPED: [&str; 10] = [
    "full-outage",
    "one-pool-lost",
    "flapping",
    "scale-out-during-outage",
    "calm-scale-outs",
    "az-loss",
    "slow-drain",
    "daily-peak",
    "blips",
    "calm-day",
];

const RANDOM_MARKETS: u64 = 32;

fn config() -> StackConfig {
    spotcover_stack::load(include_str!("../../../examples/asg.yaml"))
        .unwrap()
        .remove(0)
        .config
}

fn shipped() -> Vec<(String, Scenario)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    SHIPPED
        .iter()
        .map(|name| {
            let path = root.join(format!("examples/scenarios/{name}.yaml"));
            let text = std::fs::read_to_string(path).unwrap();
            ((*name).to_owned(), Scenario::from_yaml(&text).unwrap())
        })
        .collect()
}

fn random() -> Vec<(String, Scenario)> {
    (1..=RANDOM_MARKETS)
        .map(|seed| (format!("random market {seed}"), random_market(seed)))
        .collect()
}

/// Every market under every answer of the undocumented switches.
fn every_switch(markets: Vec<(String, Scenario)>) -> Vec<(String, Report)> {
    let c = config();
    let mut out = Vec::new();
    for (name, s) in markets {
        for honors in [true, false] {
            for picks in [ReplacementPick::Oldest, ReplacementPick::Newest] {
                let mut s = s.clone();
                s.asg.replacement_honors_protection = honors;
                s.asg.replacement_picks = picks;
                out.push((
                    format!("{name}, honors protection {honors}, picks {picks:?}"),
                    simulate(&c, &s).unwrap(),
                ));
            }
        }
    }
    out
}

fn all_markets() -> Vec<(String, Scenario)> {
    let mut m = shipped();
    m.extend(random());
    m
}

fn on_demand_cost(r: &Report, p: PolicyName) -> f64 {
    r.policy(p).unwrap().on_demand_cost
}

#[test]
fn the_fallback_is_never_worse_than_capacity_providers_in_any_market() {
    for (name, r) in every_switch(all_markets()) {
        let cp = r.policy(PolicyName::CapacityProviders).unwrap();
        let fb = r.policy(PolicyName::Fallback).unwrap();
        assert!(
            fb.uncovered_unit_minutes <= cp.uncovered_unit_minutes,
            "{name}: fallback {} > capacity providers {}",
            fb.uncovered_unit_minutes,
            cp.uncovered_unit_minutes
        );
    }
}

#[test]
fn no_return_to_spot_kills_a_task_in_any_market_under_any_switch() {
    for (name, r) in every_switch(all_markets()) {
        for p in &r.policies {
            assert_eq!(
                p.decisions["tasks_killed_by_return"], 0,
                "{name}: {:?}",
                p.policy
            );
        }
    }
}

#[test]
fn the_fallbacks_on_demand_costs_at_most_one_and_a_half_times_the_oracles_in_total() {
    let c = config();
    for (label, markets) in [("shipped", shipped()), ("random", random())] {
        let (mut fb, mut oracle) = (0.0, 0.0);
        for (_, s) in markets {
            let r = simulate(&c, &s).unwrap();
            fb += on_demand_cost(&r, PolicyName::Fallback);
            oracle += on_demand_cost(&r, PolicyName::Oracle);
        }
        assert!(
            fb <= 1.5 * oracle,
            "{label}: fallback ${fb:.2}, oracle ${oracle:.2}"
        );
    }
}

#[test]
fn in_each_shipped_scenario_the_fallbacks_on_demand_costs_at_most_two_and_a_half_times_the_oracles()
{
    let c = config();
    for (name, s) in shipped() {
        let r = simulate(&c, &s).unwrap();
        let fb = on_demand_cost(&r, PolicyName::Fallback);
        let oracle = on_demand_cost(&r, PolicyName::Oracle);
        assert!(
            fb <= 2.5 * oracle,
            "{name}: fallback ${fb:.2}, oracle ${oracle:.2}"
        );
    }
}

#[test]
fn the_random_markets_include_losses_the_fallback_must_cover() {
    // Guards the generator: enough of the markets lose every pool at once for the
    // targets above to mean something.
    let c = config();
    let covered = random()
        .iter()
        .filter(|(_, s)| {
            let r = simulate(&c, s).unwrap();
            on_demand_cost(&r, PolicyName::Fallback) > 0.0
        })
        .count();
    assert!(covered >= 16, "{covered} of {RANDOM_MARKETS}");
}
