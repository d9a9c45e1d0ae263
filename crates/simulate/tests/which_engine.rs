//! `docs/which-engine.md`'s tables are what the simulator gives now: both engines on the
//! same markets (every shipped scenario and 32 seeded random ones), on the same footing
//! (`spotcover_simulate::compare_engines`, from `examples/asg.yaml`). Each block between
//! `<!-- engines:NAME -->` and `<!-- /engines -->` is regenerated here and compared; a
//! stale page fails until it is rewritten with
//! `SPOTCOVER_UPDATE_DOCS=1 cargo test -p spotcover-simulate --test which_engine`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use spotcover_simulate::{
    Comparison, FLEET_SETTING, PRICED_TARGETS, PolicyName, Scenario, compare_engines,
    random_market, target_setting,
};

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

/// The random markets of the table: seeds 1 to 32.
const RANDOM: std::ops::RangeInclusive<u64> = 1..=32;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The columns: engine, policy, setting, header.
fn columns() -> Vec<(&'static str, PolicyName, String, String)> {
    let mut c = vec![
        (
            "fleet",
            PolicyName::Default,
            FLEET_SETTING.to_owned(),
            "`fleet` (reconciler)".to_owned(),
        ),
        (
            "asg",
            PolicyName::CapacityProviders,
            target_setting(100),
            "capacity providers alone".to_owned(),
        ),
        (
            "asg",
            PolicyName::Fallback,
            target_setting(100),
            "`asg` (fallback)".to_owned(),
        ),
    ];
    for t in PRICED_TARGETS {
        c.push((
            "asg",
            PolicyName::Fallback,
            target_setting(t),
            format!("`asg`, target {t} %"),
        ));
    }
    c
}

fn comparisons() -> (Vec<(String, Comparison)>, Vec<Comparison>) {
    let config =
        spotcover_stack::load(&std::fs::read_to_string(root().join("examples/asg.yaml")).unwrap())
            .unwrap()
            .remove(0)
            .config;
    let shipped = SHIPPED
        .iter()
        .map(|name| {
            let path = root().join(format!("examples/scenarios/{name}.yaml"));
            let s = Scenario::from_yaml(&std::fs::read_to_string(path).unwrap()).unwrap();
            ((*name).to_owned(), compare_engines(&config, &s).unwrap())
        })
        .collect();
    let random = RANDOM
        .map(|seed| compare_engines(&config, &random_market(seed)).unwrap())
        .collect();
    (shipped, random)
}

fn header() -> String {
    let mut s = String::from("| market |");
    for (_, _, _, h) in columns() {
        let _ = write!(s, " {h} |");
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(columns().len()));
    s.push('\n');
    s
}

/// One row per market: uncovered task-minutes / total $ per column.
fn per_market(rows: &[(String, Comparison)]) -> String {
    let mut s = header();
    for (name, c) in rows {
        let _ = write!(s, "| {name} |");
        for (engine, policy, setting, _) in columns() {
            let r = c.row(engine, policy, &setting).unwrap();
            let _ = write!(s, " {} / ${:.2} |", r.uncovered_task_minutes, r.total_cost);
        }
        s.push('\n');
    }
    s
}

/// Totals over the markets, and in how many the column leaves less uncovered than
/// `fleet`.
fn totals(label: &str, cs: &[&Comparison]) -> String {
    let mut s = header();
    let _ = write!(s, "| {label}: total |");
    for (engine, policy, setting, _) in columns() {
        let unc: u64 = cs
            .iter()
            .map(|c| {
                c.row(engine, policy, &setting)
                    .unwrap()
                    .uncovered_task_minutes
            })
            .sum();
        let cost: f64 = cs
            .iter()
            .map(|c| c.row(engine, policy, &setting).unwrap().total_cost)
            .sum();
        let _ = write!(s, " {unc} / ${cost:.2} |");
    }
    let _ = write!(s, "\n| {label}: markets with less uncovered than `fleet` |");
    for (engine, policy, setting, _) in columns() {
        let fewer = cs
            .iter()
            .filter(|c| {
                c.row(engine, policy, &setting)
                    .unwrap()
                    .uncovered_task_minutes
                    < c.row("fleet", PolicyName::Default, FLEET_SETTING)
                        .unwrap()
                        .uncovered_task_minutes
            })
            .count();
        let _ = write!(s, " {fewer} of {} |", cs.len());
    }
    s.push('\n');
    s
}

fn generated(page: &str) -> String {
    let (shipped, random) = comparisons();
    let random_rows: Vec<(String, Comparison)> = RANDOM
        .zip(random.iter().cloned())
        .map(|(seed, c)| (format!("random {seed}"), c))
        .collect();
    let blocks = [
        ("shipped", per_market(&shipped)),
        (
            "totals",
            format!(
                "{}{}",
                totals(
                    "shipped",
                    &shipped.iter().map(|(_, c)| c).collect::<Vec<_>>()
                ),
                totals("random", &random.iter().collect::<Vec<_>>())
                    .lines()
                    .skip(2)
                    .map(|l| format!("{l}\n"))
                    .collect::<String>()
            ),
        ),
        ("random", per_market(&random_rows)),
    ];
    let mut out = page.to_owned();
    for (name, body) in blocks {
        let open = format!("<!-- engines:{name} -->\n");
        let close = "<!-- /engines -->";
        let start = out
            .find(&open)
            .unwrap_or_else(|| panic!("docs/which-engine.md has no block {open}"))
            + open.len();
        let end = start + out[start..].find(close).expect("block closed");
        out.replace_range(start..end, &body);
    }
    out
}

#[test]
fn which_engines_tables_are_current() {
    let path = root().join("docs/which-engine.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let want = generated(&page);
    if std::env::var_os("SPOTCOVER_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    assert!(
        page == want,
        "docs/which-engine.md's tables are stale: SPOTCOVER_UPDATE_DOCS=1 cargo test -p spotcover-simulate --test which_engine"
    );
}

#[test]
fn the_page_cites_what_aws_says_of_spot_fleet() {
    let page = std::fs::read_to_string(root().join("docs/which-engine.md")).unwrap();
    for must in [
        "We strongly discourage using Spot Fleet because it uses a legacy API with no planned investment",
        "If you don't want to manage your instance lifecycle, use an Auto Scaling group instead.",
        "CT.EC2.PV.6",
        "ec2:RequestSpotFleet",
    ] {
        assert!(page.contains(must), "docs/which-engine.md lacks {must:?}");
    }
}
