//! `max_price` in the simulator: AWS reads `SpotPrice` per unit hour (EC2 API reference,
//! `SpotFleetRequestConfigData.SpotPrice` and `LaunchTemplateOverrides.SpotPrice`: "The
//! maximum price per unit hour that you are willing to pay for a Spot Instance"), so a
//! pool whose price over its weight is above its cap takes no launches.

use spotcover_simulate::{Report, Scenario, simulate};

const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");
const FULL_OUTAGE: &str = include_str!("../../../examples/scenarios/full-outage.yaml");

fn run(config_yaml: &str) -> Report {
    let config = spotcover_stack::load(config_yaml)
        .expect("config loads")
        .remove(0)
        .config;
    let scenario = Scenario::from_yaml(FULL_OUTAGE).expect("scenario parses");
    simulate(&config, &scenario).expect("scenario matches the config")
}

fn spot_units(r: &Report) -> Vec<u32> {
    r.policies
        .iter()
        .flat_map(|p| p.minutes.iter().map(|m| m.spot_fulfilled))
        .collect()
}

#[test]
fn a_fleet_wide_max_price_below_every_pool_launches_no_spot() {
    let capped = QUICKSTART.replace("spot:\n", "spot:\n  max_price: \"0.001\"\n");
    let r = run(&capped);
    assert!(spot_units(&r).iter().all(|&u| u == 0));
    assert!(r.policies.iter().all(|p| p.spot_cost == 0.0));
    // Without the cap the same scenario runs on spot.
    assert!(spot_units(&run(QUICKSTART)).iter().any(|&u| u > 0));
}

#[test]
fn a_pools_own_max_price_is_per_unit_and_wins_over_the_fleets() {
    // m6i.xlarge costs 0.07 an instance hour at weight 4: 0.0175 per unit, under its cap
    // of 0.02 per unit (read per instance, 0.07 would be above it). Every other pool is
    // above the fleet-wide 0.001.
    let capped = QUICKSTART
        .replace("spot:\n", "spot:\n  max_price: \"0.001\"\n")
        .replace(
            "{ type: m6i.xlarge, weight: 4 }",
            "{ type: m6i.xlarge, weight: 4, max_price: \"0.02\" }",
        );
    let r = run(&capped);
    let units = spot_units(&r);
    assert!(
        units.iter().any(|&u| u > 0),
        "the capped pool under its cap launches"
    );
    assert!(
        units.iter().all(|&u| u % 4 == 0),
        "only the weight-4 pool launches: {units:?}"
    );
}
