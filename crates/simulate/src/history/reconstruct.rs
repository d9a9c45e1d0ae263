//! The exports to a scenario: demand per minute, each pool's losses and recoveries, launch
//! latencies and prices, each from the export that shows it, and a note wherever the
//! history cannot tell and the cautious reading is taken instead.

use std::collections::BTreeMap;

use spotcover_reconciler_core::contract::metrics;
use spotcover_stack::StackConfig;
use spotcover_stack::config::Engine;

use super::cloudwatch::{self, Series};
use super::{
    Epoch, Exports, HistoryError, Manifest, Note, activities, file, fleet_history, format_time,
    note, parse_json, prices,
};
use crate::scenario::{
    AsgSwitches, DEFAULT_ECS_REGISTRATION_MINUTES, DEFAULT_FLEET_EVENT_DELAY_MINUTES,
    DEFAULT_FLEET_MODIFY_LATENCY_MINUTES, DEFAULT_METRIC_DELAY_MINUTES,
    DEFAULT_METRIC_PERIOD_MINUTES, DEFAULT_WARNING_MINUTES, DemandStep, MAX_DELAY_MINUTES,
    MAX_DEMAND_UNITS, MAX_DURATION_MINUTES, OnDemandSpec, PoolSpec, Scenario, Window,
};

/// Launch latency taken when no export shows one, minutes: slower than every shipped
/// scenario's, so the replay does not count on a fast launch it never saw.
pub const ASSUMED_LATENCY_MINUTES: u32 = 5;

/// Failed launches of a pool at most this many minutes apart are one loss (the group
/// retries a failed launch within minutes).
pub const RETRY_GAP_MINUTES: u32 = 5;

/// Bursts of spot launches needed to read a spot launch latency from the metrics.
pub const MIN_BURSTS: usize = 3;

/// What the replay needs that no export holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The on-demand instance type's price per hour, dollars (EC2's price list; the
    /// exports carry none).
    pub on_demand_price_per_hour: f64,
}

/// What the stack itself recorded over the range, to set beside the replay.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observed {
    /// Sum of the `uncovered` datapoints in the range.
    pub uncovered_unit_minutes: f64,
    /// Minutes of the range with an `uncovered` datapoint.
    pub minutes: u32,
}

/// A scenario rebuilt from the exports, with its notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconstruction {
    pub scenario: Scenario,
    pub notes: Vec<Note>,
    pub observed: Observed,
    /// First minute of the range, epoch seconds.
    pub start: Epoch,
}

impl Reconstruction {
    /// The scenario as YAML, headed by where it comes from and every note as a comment:
    /// a file to keep, review and edit.
    pub fn to_yaml(&self, stack: &str) -> String {
        let mut out = format!(
            "# Replay of stack `{stack}` from {} for {} minutes, rebuilt by `spotcover history --to-scenario`\n\
             # from the AWS CLI exports. Minute 0 is {}. Observed by the stack: {:.0} uncovered unit-minutes\n\
             # over {} minutes with data.\n",
            format_time(self.start),
            self.scenario.duration_minutes,
            format_time(self.start),
            self.observed.uncovered_unit_minutes,
            self.observed.minutes,
        );
        if !self.notes.is_empty() {
            out.push_str("#\n# What the history could not tell, and the reading taken:\n");
            for n in &self.notes {
                out.push_str(&format!("# - {n}\n"));
            }
        }
        // Serializing plain structs of numbers and strings cannot fail.
        out.push_str(&serde_saphyr::to_string(&self.scenario).unwrap_or_default());
        out
    }
}

/// Rebuilds the market of `config`'s stack from its exports.
#[allow(clippy::too_many_lines)] // one reconstruction pass whose phases (demand, pools, latencies, prices) share the notes they write; not yet split by phase
pub fn reconstruct(
    config: &StackConfig,
    exports: &Exports<'_>,
    options: &Options,
) -> Result<Reconstruction, HistoryError> {
    let mut notes = Vec::new();
    let manifest: Manifest = parse_json(file::MANIFEST, "spotcover history", exports.manifest)?;
    if manifest.stack != config.stack {
        return Err(HistoryError::new(
            file::MANIFEST,
            format!(
                "the exports are of stack `{}`, the config's stack is `{}`: another stack's data",
                manifest.stack, config.stack
            ),
        ));
    }
    let engine = match config.engine {
        Engine::Fleet => "fleet",
        Engine::Asg => "asg",
    };
    if manifest.engine != engine {
        return Err(HistoryError::new(
            file::MANIFEST,
            format!(
                "the exports are of an `engine: {}` stack, the config's engine is `{engine}`",
                manifest.engine
            ),
        ));
    }
    let (start, end) = manifest.range()?;
    let duration = u32::try_from((end - start) / 60).unwrap_or(u32::MAX);
    if duration > MAX_DURATION_MINUTES {
        return Err(HistoryError::new(
            file::MANIFEST,
            format!(
                "the range is {duration} minutes; a replay holds at most one week ({MAX_DURATION_MINUTES}): export a shorter range with `spotcover history`"
            ),
        ));
    }
    if !options.on_demand_price_per_hour.is_finite() || options.on_demand_price_per_hour < 0.0 {
        return Err(HistoryError::new(
            file::MANIFEST,
            "the on-demand price must be a number of dollars, 0 or more",
        ));
    }
    let series = cloudwatch::read(exports.metrics, &config.stack, &mut notes)?;
    let demand = demand_per_minute(&series, start, duration, &mut notes)?;
    let observed = observed(&series, start, duration);

    let types: Vec<String> = config
        .spot
        .instance_types
        .iter()
        .map(|t| t.instance_type.clone())
        .collect();
    let launches = match exports.activities {
        Some(text) => Some(activities::read(text, &types, &mut notes)?),
        None => {
            notes.push(Note {
                name: note::MISSING_EXPORT,
                message: format!(
                    "no {}: launch latencies unknown, taken as {ASSUMED_LATENCY_MINUTES} minutes",
                    file::ACTIVITIES
                ),
            });
            None
        }
    };
    let (od_latency, od_jitter) = match launches
        .as_ref()
        .and_then(|l| activities::latency_minutes(&l.succeeded))
    {
        Some(l) => l,
        None => {
            if launches.is_some() {
                notes.push(Note {
                    name: note::ASSUMED,
                    message: format!(
                        "no launch completed in the activities: launch latency taken as {ASSUMED_LATENCY_MINUTES} minutes"
                    ),
                });
            }
            (ASSUMED_LATENCY_MINUTES, 0)
        }
    };
    let (od_latency, od_jitter) = (
        od_latency.min(MAX_DELAY_MINUTES),
        od_jitter.min(MAX_DELAY_MINUTES),
    );

    // Losses and recoveries per pool, as minutes of the range.
    let minute = |t: Epoch| -> Option<u32> {
        (t < end).then(|| u32::try_from((t - start).max(0) / 60).unwrap_or(0))
    };
    let mut events: BTreeMap<&str, Vec<(u32, bool)>> = BTreeMap::new(); // (minute, lost?)
    let mut tried: BTreeMap<&str, bool> = types.iter().map(|t| (t.as_str(), false)).collect();
    let mut know_pools = true;
    match config.engine {
        Engine::Fleet => match exports.fleet_history {
            Some(text) => {
                let e = fleet_history::read(text, &types, &mut notes)?;
                if let Some(from) = e.covers_from
                    && from > start + 60
                {
                    notes.push(Note {
                        name: note::FLEET_HISTORY_BEYOND_RETENTION,
                        message: format!(
                            "fleet {}'s history begins at {}, {} minutes into the range (EC2 keeps a fleet's events 48 hours): pool losses before it are not known and are not in the replay; the stack's observed uncovered minutes there are in its metrics",
                            e.fleet_id,
                            format_time(from),
                            (from - start) / 60
                        ),
                    });
                }
                for (t, pool) in &e.losses {
                    if let (Some(m), Some(k)) = (minute(*t), types.iter().find(|x| *x == pool)) {
                        events.entry(k).or_default().push((m, true));
                        tried.insert(k, true);
                    }
                }
                for (t, pool) in &e.launches {
                    if let Some(k) = types.iter().find(|x| *x == pool) {
                        tried.insert(k, true);
                        if let Some(m) = minute(*t) {
                            events.entry(k).or_default().push((m, false));
                        }
                    }
                }
            }
            None => {
                know_pools = false;
                notes.push(Note {
                    name: note::MISSING_EXPORT,
                    message: format!(
                        "no {}: no pool losses are known; every pool is taken as available",
                        file::FLEET_HISTORY
                    ),
                });
            }
        },
        Engine::Asg => {
            if let Some(l) = &launches {
                let successes: Vec<u32> =
                    l.succeeded.iter().filter_map(|(t, _)| minute(*t)).collect();
                for k in &types {
                    let failed: Vec<u32> = l
                        .failed
                        .iter()
                        .filter(|(_, named)| named.as_ref().is_none_or(|n| n == k))
                        .filter_map(|(t, _)| minute(*t))
                        .collect();
                    if !failed.is_empty() || !successes.is_empty() {
                        tried.insert(k, true);
                    }
                    // A run of failures (each within RETRY_GAP of the last) is one loss,
                    // from its first failure to the first launch that succeeded after
                    // its last one.
                    let mut i = 0;
                    while i < failed.len() {
                        let mut j = i;
                        while j + 1 < failed.len() && failed[j + 1] <= failed[j] + RETRY_GAP_MINUTES
                        {
                            j += 1;
                        }
                        let ev = events.entry(k).or_default();
                        ev.push((failed[i], true));
                        if let Some(s) = successes.iter().find(|s| **s > failed[j]) {
                            ev.push((*s, false));
                        }
                        i = j + 1;
                    }
                }
                if !l.failed.is_empty() {
                    notes.push(Note {
                        name: note::ASSUMED,
                        message: "a pool is lost from a failed launch naming it (every pool when the message names none) until the first launch that succeeds after the last failure in a run of failures; activities do not name the instance type a successful launch took".into(),
                    });
                }
            }
            if launches
                .as_ref()
                .is_none_or(|l| l.succeeded.is_empty() && l.failed.is_empty())
            {
                know_pools = false;
            }
        }
    }

    let price_of = match exports.prices {
        Some(text) => prices::read(text, &mut notes)?,
        None => {
            notes.push(Note {
                name: note::MISSING_EXPORT,
                message: format!(
                    "no {}: every pool is priced at the on-demand price",
                    file::PRICES
                ),
            });
            BTreeMap::new()
        }
    };
    let spot_latency = match spot_latency_from_metrics(&series, start, duration) {
        Some((l, j)) => {
            notes.push(Note {
                name: note::ASSUMED,
                message: format!(
                    "spot launch latency {l} minutes, jitter {j}: read from how long units stay in `{}` (launched, not yet registered) before `{}` rises, less ECS registration; no export gives it per instance",
                    metrics::SPOT_LAUNCHING.name,
                    metrics::SPOT_REGISTERED.name
                ),
            });
            (l, j)
        }
        None => {
            notes.push(Note {
                    name: note::ASSUMED,
                    message: format!(
                        "no burst of spot launches in `{}` to read a latency from: spot launch latency taken as the group's launch activities'",
                        metrics::SPOT_LAUNCHING.name
                    ),
                });
            (od_latency, od_jitter)
        }
    };

    let mut pools = Vec::new();
    for t in &types {
        let mut availability = Vec::new();
        if know_pools && !tried[t.as_str()] {
            notes.push(Note {
                name: note::POOL_NEVER_TRIED,
                message: format!(
                    "pool {t}: the history shows no launch into it and no loss of it, so whether it has capacity is unknown; taken as unavailable for the whole replay (the cautious reading: edit the scenario to try it)"
                ),
            });
            availability.push(Window {
                from_minute: 0,
                to_minute: duration,
                available: false,
            });
        } else if let Some(ev) = events.get_mut(t.as_str()) {
            // Losses before launches within a minute: a pool lost and launched into
            // again within one minute is lost for that whole minute.
            ev.sort_by_key(|&(m, lost)| (m, !lost));
            let mut open: Option<u32> = None;
            for &(m, lost) in ev.iter() {
                match (open, lost) {
                    (None, true) => open = Some(m),
                    (Some(from), false) => {
                        let to = m.max(from + 1).min(duration);
                        if m <= from {
                            notes.push(Note {
                                name: note::LOSS_UNDER_A_MINUTE,
                                message: format!(
                                    "pool {t} lost and launched into again within minute {from}: counted as lost for that whole minute"
                                ),
                            });
                        }
                        if to > from {
                            availability.push(Window {
                                from_minute: from,
                                to_minute: to,
                                available: false,
                            });
                        }
                        open = None;
                    }
                    _ => {}
                }
            }
            if let Some(from) = open
                && from < duration
            {
                notes.push(Note {
                    name: note::POOL_NOT_RETRIED,
                    message: format!(
                        "pool {t} lost at minute {from} and not launched into again: taken as lost until the end (the cautious reading)"
                    ),
                });
                availability.push(Window {
                    from_minute: from,
                    to_minute: duration,
                    available: false,
                });
            }
        }
        let price = match price_of.get(t) {
            Some(p) => *p,
            None => {
                if exports.prices.is_some() {
                    notes.push(Note {
                        name: note::ASSUMED,
                        message: format!(
                            "pool {t}: no spot price in {}: priced at the on-demand price",
                            file::PRICES
                        ),
                    });
                }
                options.on_demand_price_per_hour
            }
        };
        pools.push(PoolSpec {
            instance_type: t.clone(),
            price_per_hour: price,
            launch_latency_minutes: spot_latency.0.min(MAX_DELAY_MINUTES),
            launch_jitter_minutes: spot_latency.1.min(MAX_DELAY_MINUTES),
            availability,
        });
    }
    notes.push(Note {
        name: note::ASSUMED,
        message: format!(
            "interruption warning {DEFAULT_WARNING_MINUTES} min, AWS/EC2Spot period {DEFAULT_METRIC_PERIOD_MINUTES} min and delay {DEFAULT_METRIC_DELAY_MINUTES} min, ECS registration {DEFAULT_ECS_REGISTRATION_MINUTES} min: the simulator's defaults (no export gives them)"
        ),
    });

    let scenario = Scenario {
        duration_minutes: duration,
        seed: 0,
        warning_minutes: DEFAULT_WARNING_MINUTES,
        metric_period_minutes: DEFAULT_METRIC_PERIOD_MINUTES,
        metric_delay_minutes: DEFAULT_METRIC_DELAY_MINUTES,
        ecs_registration_minutes: DEFAULT_ECS_REGISTRATION_MINUTES,
        fleet_events: true,
        state_writes_lost: false,
        fleet_event_delay_minutes: DEFAULT_FLEET_EVENT_DELAY_MINUTES,
        fleet_modify_latency_minutes: DEFAULT_FLEET_MODIFY_LATENCY_MINUTES,
        demand: steps(&demand),
        pools,
        on_demand: OnDemandSpec {
            price_per_hour: options.on_demand_price_per_hour,
            launch_latency_minutes: od_latency,
            launch_jitter_minutes: od_jitter,
        },
        asg: AsgSwitches::default(),
    };
    scenario.validate().map_err(|e| {
        HistoryError::new(
            file::METRICS,
            format!("the rebuilt scenario is not valid: {e}"),
        )
    })?;
    Ok(Reconstruction {
        scenario,
        notes,
        observed,
        start,
    })
}

/// Demand units for each minute of the range: a minute without a datapoint takes the
/// higher of its known neighbours (the cautious reading), and says so.
fn demand_per_minute(
    series: &Series,
    start: Epoch,
    duration: u32,
    notes: &mut Vec<Note>,
) -> Result<Vec<u32>, HistoryError> {
    let name = metrics::DEMAND.name;
    let points = series.get(name).map(Vec::as_slice).unwrap_or_default();
    let mut per_minute: Vec<Option<u32>> = vec![None; duration as usize];
    let mut outside = 0usize;
    for &(t, v) in points {
        let i = (t - start).div_euclid(60);
        if t < start || i >= i64::from(duration) {
            outside += 1;
            continue;
        }
        let units = (v - 1e-9).ceil().clamp(0.0, f64::from(MAX_DEMAND_UNITS)) as u32;
        let slot = &mut per_minute[i as usize];
        *slot = Some(slot.map_or(units, |u| u.max(units)));
    }
    let inside = points.len() - outside;
    if inside == 0 {
        return Err(HistoryError::new(
            file::METRICS,
            format!(
                "no `{name}` datapoints in the range ({} outside it): check the metric names (the stack writes namespace `{}`, dimension `{}`) and that the reconciler runs the `demand` policy, which writes demand",
                outside,
                metrics::NAMESPACE,
                metrics::dimension::STACK
            ),
        ));
    }
    if inside > 1 {
        let mut gaps: Vec<i64> = points.windows(2).map(|w| w[1].0 - w[0].0).collect();
        gaps.sort_unstable();
        let median = gaps[(gaps.len() - 1) / 2];
        if median > 60 {
            notes.push(Note {
                name: note::COARSE_DATAPOINTS,
                message: format!(
                    "`{name}` datapoints are {median} s apart, not 60: CloudWatch keeps 1-minute data 15 days (5-minute data 63 days, hourly 455 days), so the range is older than that; the minutes between are filled as below"
                ),
            });
        }
    }
    // Missing minutes: ranges, and the cautious fill.
    let mut missing: Vec<(u32, u32)> = Vec::new();
    for (i, v) in per_minute.iter().enumerate() {
        if v.is_none() {
            let i = i as u32;
            match missing.last_mut() {
                Some((_, to)) if *to == i => *to = i + 1,
                _ => missing.push((i, i + 1)),
            }
        }
    }
    if !missing.is_empty() {
        let count: u32 = missing.iter().map(|(a, b)| b - a).sum();
        let shown: Vec<String> = missing
            .iter()
            .take(3)
            .map(|(a, b)| {
                format!(
                    "{}..{} (minutes {a}..{b})",
                    format_time(start + i64::from(*a) * 60),
                    format_time(start + i64::from(*b) * 60)
                )
            })
            .collect();
        notes.push(Note {
            name: note::MISSING_MINUTES,
            message: format!(
                "{count} minute(s) without `{name}` in {} gap(s), first {}: each takes the higher demand of the minutes around it",
                missing.len(),
                shown.join(", ")
            ),
        });
    }
    let known: Vec<(usize, u32)> = per_minute
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    let mut out = Vec::with_capacity(per_minute.len());
    let mut k = 0usize; // index into known of the first known minute >= i
    for (i, v) in per_minute.iter().enumerate() {
        while k < known.len() && known[k].0 < i {
            k += 1;
        }
        out.push(match v {
            Some(v) => *v,
            None => {
                let before = k.checked_sub(1).map(|j| known[j].1);
                let after = known.get(k).map(|x| x.1);
                before.max(after).unwrap_or(0)
            }
        });
    }
    Ok(out)
}

/// Demand as the scenario's steps: a step wherever the units change.
fn steps(demand: &[u32]) -> Vec<DemandStep> {
    let mut out: Vec<DemandStep> = Vec::new();
    for (m, &units) in demand.iter().enumerate() {
        if out.last().is_none_or(|s| s.units != units) {
            out.push(DemandStep {
                from_minute: m as u32,
                units,
            });
        }
    }
    out
}

fn in_range(points: Option<&Vec<(Epoch, f64)>>, start: Epoch, duration: u32) -> Vec<(u32, f64)> {
    points
        .map(|p| {
            p.iter()
                .filter(|(t, _)| *t >= start && (t - start) / 60 < i64::from(duration))
                .map(|(t, v)| (((t - start) / 60) as u32, *v))
                .collect()
        })
        .unwrap_or_default()
}

fn observed(series: &Series, start: Epoch, duration: u32) -> Observed {
    let u = in_range(series.get(metrics::UNCOVERED.name), start, duration);
    Observed {
        uncovered_unit_minutes: u.iter().map(|(_, v)| v).sum(),
        minutes: u.len() as u32,
    }
}

/// Spot launch latency from the stack's own metrics: where a burst of launches starts
/// from none launching (`spot_launching` rising from 0), the minutes until
/// `spot_registered` first rises are latency plus ECS registration. A registration hidden
/// by an interruption in the same minute only lengthens a lag, so the shortest lag gives
/// the latency and the median's excess over it the jitter. `None` when no burst shows.
fn spot_latency_from_metrics(series: &Series, start: Epoch, duration: u32) -> Option<(u32, u32)> {
    let launching: BTreeMap<u32, f64> =
        in_range(series.get(metrics::SPOT_LAUNCHING.name), start, duration)
            .into_iter()
            .collect();
    let registered: BTreeMap<u32, f64> =
        in_range(series.get(metrics::SPOT_REGISTERED.name), start, duration)
            .into_iter()
            .collect();
    let mut lags: Vec<u32> = Vec::new();
    for (&a, &l) in launching.range(1..) {
        if l <= 0.0 || launching.get(&(a - 1)).is_none_or(|l0| *l0 > 0.0) {
            continue;
        }
        for m in a + 1..duration.min(a + 2 * MAX_DELAY_MINUTES) {
            let (Some(r), Some(r0), Some(lm)) = (
                registered.get(&m),
                registered.get(&(m - 1)),
                launching.get(&m),
            ) else {
                break;
            };
            if r > r0 {
                lags.push(m - a);
                break;
            }
            if *lm <= 0.0 {
                break; // the burst ended without registering: interrupted
            }
        }
    }
    if lags.len() < MIN_BURSTS {
        return None; // too few to tell a latency from an interrupted burst
    }
    lags.sort_unstable();
    let (min, median) = (lags[0], lags[(lags.len() - 1) / 2]);
    let latency = min.saturating_sub(DEFAULT_ECS_REGISTRATION_MINUTES);
    Some((
        latency.min(MAX_DELAY_MINUTES),
        (median - min).min(MAX_DELAY_MINUTES),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demand_steps_change_only_where_the_units_do() {
        let s = steps(&[4, 4, 6, 6, 4]);
        assert_eq!(
            s,
            vec![
                DemandStep {
                    from_minute: 0,
                    units: 4
                },
                DemandStep {
                    from_minute: 2,
                    units: 6
                },
                DemandStep {
                    from_minute: 4,
                    units: 4
                },
            ]
        );
    }

    #[test]
    fn a_missing_minute_takes_the_higher_demand_around_it() {
        let mut series = Series::new();
        series.insert(metrics::DEMAND.name, vec![(0, 4.0), (60, 4.0), (180, 9.0)]);
        let mut notes = vec![];
        let d = demand_per_minute(&series, 0, 4, &mut notes).unwrap();
        assert_eq!(d, vec![4, 4, 9, 9]);
        assert!(notes.iter().any(|n| n.name == note::MISSING_MINUTES));
    }
}
