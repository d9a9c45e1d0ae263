//! The simulation page's tables (`docs/simulate/README.md`) and the charts beside it in
//! `docs/simulate/` are what the simulator gives now: each block between
//! `<!-- simulate:NAME -->` and `<!-- /simulate -->` and each chart is regenerated here
//! and compared. A change to the policy, the model or a scenario fails this test until
//! the docs are regenerated with
//! `SPOTCOVER_UPDATE_DOCS=1 cargo test -p spotcover-simulate --test readme`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use spotcover_simulate::{PolicyName, Report, Scenario, simulate};
use spotcover_stack::StackConfig;

const SCENARIOS: [&str; 10] = [
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

const POLICIES: [PolicyName; 5] = [
    PolicyName::SpotOnly,
    PolicyName::Design2017,
    PolicyName::Default,
    PolicyName::ReactiveFloor,
    PolicyName::Oracle,
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config(name: &str, extra: &str) -> StackConfig {
    let text = std::fs::read_to_string(root().join("examples").join(name)).unwrap();
    let text = if extra.is_empty() {
        text
    } else if text.contains("\nreconciler:\n") {
        text.replace("\nreconciler:\n", &format!("\nreconciler:\n{extra}"))
    } else {
        format!("{text}\nreconciler:\n{extra}")
    };
    spotcover_stack::load(&text).unwrap().remove(0).config
}

fn scenario(dir: &str, name: &str) -> Scenario {
    let path = root().join(dir).join(format!("{name}.yaml"));
    Scenario::from_yaml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn reports(cfg: &StackConfig, dir: &str) -> Vec<Report> {
    SCENARIOS
        .iter()
        .map(|s| simulate(cfg, &scenario(dir, s)).unwrap())
        .collect()
}

/// Totals per policy over both configs' runs.
fn totals(runs: &[Report]) -> String {
    let mut s = String::from(
        "| policy | uncovered unit-min | on-demand $ | runs worse than spot-only | runs worse than 2017 |\n|---|---:|---:|---:|---:|\n",
    );
    for p in POLICIES {
        let unc: u64 = runs
            .iter()
            .map(|r| r.policy(p).unwrap().uncovered_unit_minutes)
            .sum();
        let cost: f64 = runs
            .iter()
            .map(|r| r.policy(p).unwrap().on_demand_cost)
            .sum();
        let worse = |than: PolicyName| {
            runs.iter()
                .filter(|r| {
                    r.policy(p).unwrap().uncovered_unit_minutes
                        > r.policy(than).unwrap().uncovered_unit_minutes
                })
                .count()
        };
        let _ = writeln!(
            s,
            "| {} | {unc} | {cost:.2} | {} | {} |",
            p.as_str(),
            worse(PolicyName::SpotOnly),
            worse(PolicyName::Design2017)
        );
    }
    s
}

/// One row per scenario: uncovered / on-demand $ / peak on-demand per policy.
fn compact(runs: &[Report]) -> String {
    let mut s = String::from("| scenario |");
    for p in POLICIES {
        let _ = write!(s, " {} |", p.as_str());
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(POLICIES.len()));
    s.push('\n');
    for (name, r) in SCENARIOS.iter().zip(runs) {
        let _ = write!(s, "| {name} |");
        for p in POLICIES {
            let x = r.policy(p).unwrap();
            let _ = write!(
                s,
                " {} / ${:.2} / {} |",
                x.uncovered_unit_minutes, x.on_demand_cost, x.peak_on_demand_instances
            );
        }
        s.push('\n');
    }
    s
}

/// The demand policy's totals over both configs for each (grace, hold).
fn sweep() -> String {
    let mut s = String::from(
        "| launch grace | hold | uncovered unit-min | on-demand $ |\n|---:|---:|---:|---:|\n",
    );
    for (grace, hold) in [(120, 600), (300, 300), (300, 600), (300, 1200), (600, 600)] {
        let extra = format!("  launch_grace_seconds: {grace}\n  hold_seconds: {hold}\n");
        let mut runs = reports(&config("quickstart.yaml", &extra), "examples/scenarios");
        runs.extend(reports(
            &config("seed-2017.yaml", &extra),
            "examples/scenarios/seed-2017",
        ));
        let unc: u64 = runs
            .iter()
            .map(|r| {
                r.policy(PolicyName::Default)
                    .unwrap()
                    .uncovered_unit_minutes
            })
            .sum();
        let cost: f64 = runs
            .iter()
            .map(|r| r.policy(PolicyName::Default).unwrap().on_demand_cost)
            .sum();
        let bold = |x: String| {
            if (grace, hold) == (300, 600) {
                format!("**{x}**")
            } else {
                x
            }
        };
        let _ = writeln!(
            s,
            "| {} | {} | {unc} | {cost:.2} |",
            bold(format!("{grace} s")),
            bold(format!("{hold} s"))
        );
    }
    s
}

/// The page that holds the tables, relative to the checkout; the charts are beside it.
const PAGE: &str = "docs/simulate/README.md";

/// The page with every block replaced by what the simulator gives now, and the charts
/// it shows.
fn generated(readme: &str) -> (String, Vec<(PathBuf, String)>) {
    let quick = reports(&config("quickstart.yaml", ""), "examples/scenarios");
    let seed = reports(
        &config("seed-2017.yaml", ""),
        "examples/scenarios/seed-2017",
    );
    let mut blocks: Vec<(String, String)> = vec![
        (
            "totals".into(),
            totals(&[quick.clone(), seed.clone()].concat()),
        ),
        ("seed-2017".into(), compact(&seed)),
        ("sweep".into(), sweep()),
    ];
    let mut charts = Vec::new();
    for (name, r) in SCENARIOS.iter().zip(&quick) {
        blocks.push((format!("quickstart/{name}"), r.table()));
        charts.push((
            root().join("docs/simulate").join(format!("{name}.svg")),
            r.svg(),
        ));
    }
    let mut out = readme.to_owned();
    for (name, body) in blocks {
        let open = format!("<!-- simulate:{name} -->\n");
        let close = "<!-- /simulate -->";
        let start = out
            .find(&open)
            .unwrap_or_else(|| panic!("{PAGE} has no block {open}"))
            + open.len();
        let end = start + out[start..].find(close).expect("block closed");
        out.replace_range(start..end, &body);
    }
    (out, charts)
}

#[test]
fn the_simulation_pages_tables_and_charts_are_current() {
    let path = root().join(PAGE);
    let readme = std::fs::read_to_string(&path).unwrap();
    let (want, charts) = generated(&readme);
    if std::env::var_os("SPOTCOVER_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
        for (p, svg) in &charts {
            std::fs::write(p, svg).unwrap();
        }
        return;
    }
    assert!(
        readme == want,
        "{PAGE}'s simulation tables are stale: SPOTCOVER_UPDATE_DOCS=1 cargo test -p spotcover-simulate --test readme"
    );
    for (p, svg) in charts {
        let have = std::fs::read_to_string(&p).unwrap_or_default();
        assert!(
            have == svg,
            "{} is stale: SPOTCOVER_UPDATE_DOCS=1 cargo test -p spotcover-simulate --test readme",
            p.display()
        );
    }
}
