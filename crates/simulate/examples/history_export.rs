//! Writes a simulation of SCENARIO under CONFIG as the AWS CLI would print the stack's
//! history exports, into DIR (the files `spotcover history --to-scenario` reads): a
//! history to try the replay and `tune` on without an AWS account, and the benchmark's
//! week of 1-minute data.
//!
//! cargo run -p spotcover-simulate --example history_export -- CONFIG SCENARIO DIR [START]
//!
//! START (RFC 3339, default 2026-01-01T00:00:00Z) is the time of minute 0.

use std::path::PathBuf;

use spotcover_simulate::history::{export, file, parse_time};
use spotcover_simulate::{START_EPOCH, Scenario, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, scenario, dir, rest @ ..] = args.as_slice() else {
        return Err("usage: history_export CONFIG SCENARIO DIR [START]".into());
    };
    let start = match rest.first() {
        Some(t) => parse_time(t).ok_or("START: expected an RFC 3339 time")?,
        None => START_EPOCH,
    };
    let config = spotcover_stack::load(&std::fs::read_to_string(config)?)
        .map_err(|e| format!("{e:?}"))?
        .remove(0)
        .config;
    let scenario = Scenario::from_yaml(&std::fs::read_to_string(scenario)?)?;
    let report = simulate(&config, &scenario)?;
    let e = export::export(&config, &scenario, &report, start);
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let mut files = vec![
        (file::MANIFEST, e.manifest),
        (file::QUERIES, e.queries),
        (file::METRICS, e.metrics),
        (file::ACTIVITIES, e.activities),
        (file::PRICES, e.prices),
    ];
    if let Some(f) = e.fleet_history {
        files.push((file::FLEET_HISTORY, f));
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}
