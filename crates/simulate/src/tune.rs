//! Sweeps the knobs that trade capacity against dollars over one or more scenarios (a
//! replay of the stack's own history, or shipped ones), and finds the Pareto frontier of
//! (uncovered unit-minutes, total $).
//!
//! Each combination is the config with some knobs set, simulated through
//! [`crate::engine::simulate`] on every scenario; its figures are those of the config's own
//! policy (`default` for the fleet, `fallback` for `engine: asg`), summed over the
//! scenarios. Combinations run in parallel (rayon); the result is in the grid's order,
//! whatever the threads did, so the output is the same on every run.
//!
//! The knobs: for the fleet, `reconciler.policy` itself, and under `demand` the launch
//! grace, the hold and the longest hold, and the fleet's headroom
//! (`spot.autoscaling.target_percent`); for `engine: asg`, the fallback's return hold and
//! longest hold and the on-demand floor. `engine` is not swept: the two engines count
//! demand in different units (fleet units, instances), so their figures do not compare.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use plotters::prelude::*;
use rayon::prelude::*;
use spotcover_stack::config::{CoverPolicy, Engine};
use spotcover_stack::{ConfigError, StackConfig};

use crate::history::export::stack_policy;
use crate::scenario::Scenario;

/// One knob: its key path in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Knob {
    Policy,
    LaunchGrace,
    Hold,
    MaxHold,
    Headroom,
    ReturnHold,
    AsgMaxHold,
    OnDemandFloor,
}

impl Knob {
    /// The key path in the config file.
    pub fn path(self) -> &'static str {
        match self {
            Knob::Policy => "reconciler.policy",
            Knob::LaunchGrace => "reconciler.launch_grace_seconds",
            Knob::Hold => "reconciler.hold_seconds",
            Knob::MaxHold => "reconciler.max_hold_seconds",
            Knob::Headroom => "spot.autoscaling.target_percent",
            Knob::ReturnHold => "asg.return_hold_seconds",
            Knob::AsgMaxHold => "asg.max_hold_seconds",
            Knob::OnDemandFloor => "asg.on_demand_floor",
        }
    }

    /// The knob's value in `c`, as the config file spells it.
    pub fn get(self, c: &StackConfig) -> String {
        match self {
            Knob::Policy => format!("\"{}\"", c.reconciler.policy.as_str()),
            Knob::LaunchGrace => c.reconciler.launch_grace_seconds.to_string(),
            Knob::Hold => c.reconciler.hold_seconds.to_string(),
            Knob::MaxHold => c.reconciler.max_hold_seconds.to_string(),
            Knob::Headroom => c.spot.autoscaling.target_percent.to_string(),
            Knob::ReturnHold => c.asg.return_hold_seconds.to_string(),
            Knob::AsgMaxHold => c.asg.max_hold_seconds.to_string(),
            Knob::OnDemandFloor => c.asg.on_demand_floor.to_string(),
        }
    }

    fn set(self, c: &mut StackConfig, v: u32) {
        match self {
            Knob::Policy => {
                c.reconciler.policy = if v == 0 {
                    CoverPolicy::Demand
                } else {
                    CoverPolicy::Design2017
                }
            }
            Knob::LaunchGrace => c.reconciler.launch_grace_seconds = v,
            Knob::Hold => c.reconciler.hold_seconds = v,
            Knob::MaxHold => c.reconciler.max_hold_seconds = v,
            Knob::Headroom => c.spot.autoscaling.target_percent = v,
            Knob::ReturnHold => c.asg.return_hold_seconds = v,
            Knob::AsgMaxHold => c.asg.max_hold_seconds = v,
            Knob::OnDemandFloor => c.asg.on_demand_floor = v,
        }
    }
}

/// The knobs of `config`'s engine and the values tried.
pub fn default_grid(config: &StackConfig) -> Vec<(Knob, Vec<u32>)> {
    match config.engine {
        Engine::Fleet => vec![
            (Knob::Policy, vec![0, 1]),
            (Knob::LaunchGrace, vec![60, 180, 300, 600]),
            (Knob::Hold, vec![300, 600, 1800]),
            (Knob::MaxHold, vec![3600, 10800]),
            (Knob::Headroom, vec![60, 75, 90]),
        ],
        Engine::Asg => vec![
            (Knob::ReturnHold, vec![300, 900, 1800, 3600, 7200]),
            (Knob::AsgMaxHold, vec![3600, 14400]),
            (Knob::OnDemandFloor, vec![0, 1, 2, 3, 4, 6]),
        ],
    }
}

/// One configuration tried: the config with `settings` applied.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub config: StackConfig,
    /// Every swept knob's value in this config, in the grid's order.
    pub settings: Vec<(Knob, String)>,
}

/// Every combination of the grid's values applied to `config`, the knobs that do not
/// apply to a combination left as the config has them (the 2017 rule reads no grace or
/// hold), each combination once; the longest hold is never below the hold, and the floor
/// never above the group's most on-demand.
pub fn candidates(config: &StackConfig, grid: &[(Knob, Vec<u32>)]) -> Vec<Candidate> {
    let mut configs = vec![config.clone()];
    for (knob, values) in grid {
        let mut next = Vec::new();
        for c in &configs {
            let applies = !matches!(knob, Knob::LaunchGrace | Knob::Hold | Knob::MaxHold)
                || c.reconciler.policy == CoverPolicy::Demand;
            if !applies {
                next.push(c.clone());
                continue;
            }
            for &v in values {
                let mut c = c.clone();
                knob.set(&mut c, v);
                c.reconciler.max_hold_seconds =
                    c.reconciler.max_hold_seconds.max(c.reconciler.hold_seconds);
                c.asg.max_hold_seconds = c.asg.max_hold_seconds.max(c.asg.return_hold_seconds);
                c.asg.on_demand_floor = c.asg.on_demand_floor.min(c.asg.max_on_demand);
                next.push(c);
            }
        }
        configs = next;
    }
    let knobs: Vec<Knob> = grid.iter().map(|(k, _)| *k).collect();
    let mut out: Vec<Candidate> = Vec::new();
    for c in configs {
        let settings: Vec<(Knob, String)> = knobs.iter().map(|k| (*k, k.get(&c))).collect();
        if !out.iter().any(|o| o.settings == settings) {
            out.push(Candidate {
                config: c,
                settings,
            });
        }
    }
    out
}

/// One combination's figures, summed over the scenarios.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub settings: Vec<(Knob, String)>,
    pub uncovered_unit_minutes: u64,
    pub total_cost: f64,
}

/// What [`tune`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    /// The current config first, then every combination.
    pub points: Vec<Point>,
    /// Indices into `points` of the frontier, by uncovered ascending.
    pub frontier: Vec<usize>,
}

/// What the recommendation optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// The least dollars with uncovered unit-minutes at most the current config's.
    Cheapest,
    /// The fewest uncovered unit-minutes with dollars at most the current config's.
    Covered,
}

impl Preference {
    pub fn describe(self) -> &'static str {
        match self {
            Preference::Cheapest => "least $ with uncovered unit-minutes at most the current",
            Preference::Covered => "least uncovered unit-minutes with $ at most the current",
        }
    }
}

fn evaluate(c: &StackConfig, scenarios: &[Scenario]) -> Result<(u64, f64), ConfigError> {
    let mut uncovered = 0;
    let mut cost = 0.0;
    for s in scenarios {
        let r = crate::engine::simulate(c, s)?;
        if let Some(p) = r.policy(stack_policy(c)) {
            uncovered += p.uncovered_unit_minutes;
            cost += p.total_cost;
        }
    }
    Ok((uncovered, (cost * 10_000.0).round() / 10_000.0))
}

/// Simulates the current config and every candidate on every scenario, in parallel;
/// `progress(done, total)` is called after each (from any thread).
pub fn tune(
    config: &StackConfig,
    scenarios: &[Scenario],
    grid: &[(Knob, Vec<u32>)],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Tuning, ConfigError> {
    let knobs: Vec<Knob> = grid.iter().map(|(k, _)| *k).collect();
    let mut all = vec![Candidate {
        config: config.clone(),
        settings: knobs.iter().map(|k| (*k, k.get(config))).collect(),
    }];
    all.extend(candidates(config, grid));
    let total = all.len();
    let done = AtomicUsize::new(0);
    let figures: Vec<(u64, f64)> = all
        .par_iter()
        .map(|c| {
            let r = evaluate(&c.config, scenarios);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            r
        })
        .collect::<Result<_, _>>()?;
    let points: Vec<Point> = all
        .into_iter()
        .zip(figures)
        .map(|(c, (u, d))| Point {
            settings: c.settings,
            uncovered_unit_minutes: u,
            total_cost: d,
        })
        .collect();
    let frontier = frontier(&points);
    Ok(Tuning { points, frontier })
}

/// The points no other point beats on both figures, by uncovered ascending (a point
/// equal to an earlier one on both is left out).
fn frontier(points: &[Point]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&points[a], &points[b]);
        pa.uncovered_unit_minutes
            .cmp(&pb.uncovered_unit_minutes)
            .then(pa.total_cost.total_cmp(&pb.total_cost))
            .then(a.cmp(&b))
    });
    let mut out: Vec<usize> = Vec::new();
    for i in order {
        let cheaper = out
            .last()
            .is_none_or(|&j| points[i].total_cost < points[j].total_cost);
        if cheaper {
            out.push(i);
        }
    }
    out
}

impl Tuning {
    /// The current config's point.
    pub fn current(&self) -> &Point {
        &self.points[0]
    }

    /// The index of the point recommended for `pref` (the current one when none does
    /// better).
    pub fn recommend(&self, pref: Preference) -> usize {
        let cur = self.current();
        let eligible = self.points.iter().enumerate().filter(|(_, p)| match pref {
            Preference::Cheapest => p.uncovered_unit_minutes <= cur.uncovered_unit_minutes,
            Preference::Covered => p.total_cost <= cur.total_cost,
        });
        eligible
            .min_by(|(a, pa), (b, pb)| {
                match pref {
                    Preference::Cheapest => pa
                        .total_cost
                        .total_cmp(&pb.total_cost)
                        .then(pa.uncovered_unit_minutes.cmp(&pb.uncovered_unit_minutes)),
                    Preference::Covered => pa
                        .uncovered_unit_minutes
                        .cmp(&pb.uncovered_unit_minutes)
                        .then(pa.total_cost.total_cmp(&pb.total_cost)),
                }
                .then(a.cmp(b))
            })
            .map_or(0, |(i, _)| i)
    }

    /// The frontier as a markdown table, the current config marked.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let knobs: Vec<&str> = self
            .current()
            .settings
            .iter()
            .map(|(k, _)| k.path())
            .collect();
        let _ = writeln!(
            s,
            "| | uncovered unit-min | total $ | {} |",
            knobs.join(" | ")
        );
        let _ = writeln!(s, "|---|---:|---:|{}", "---|".repeat(knobs.len()));
        let mut rows: Vec<usize> = self.frontier.clone();
        if !rows.contains(&0) {
            rows.push(0);
            rows.sort_by_key(|&i| self.points[i].uncovered_unit_minutes);
        }
        for i in rows {
            let p = &self.points[i];
            let mark = match (i == 0, self.frontier.contains(&i)) {
                (true, true) => "current, frontier",
                (true, false) => "current",
                _ => "frontier",
            };
            let values: Vec<&str> = p.settings.iter().map(|(_, v)| v.as_str()).collect();
            let _ = writeln!(
                s,
                "| {mark} | {} | {:.2} | {} |",
                p.uncovered_unit_minutes,
                p.total_cost,
                values.join(" | ")
            );
        }
        s
    }

    /// The recommended point's values as a diff of the config's keys (only the knobs
    /// that change); empty when the current config is the recommendation.
    pub fn config_diff(&self, i: usize, config_name: &str) -> String {
        let (cur, rec) = (self.current(), &self.points[i]);
        let changed: Vec<(Knob, &str, &str)> = cur
            .settings
            .iter()
            .zip(&rec.settings)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| (a.0, a.1.as_str(), b.1.as_str()))
            .collect();
        if changed.is_empty() {
            return String::new();
        }
        let mut s = format!("--- {config_name}\n+++ {config_name} (recommended)\n");
        let mut open: Vec<&str> = Vec::new();
        for (knob, old, new) in changed {
            let parts: Vec<&str> = knob.path().split('.').collect();
            let (sections, key) = parts.split_at(parts.len() - 1);
            let common = open
                .iter()
                .zip(sections)
                .take_while(|(a, b)| a == b)
                .count();
            open.truncate(common);
            for (depth, sec) in sections.iter().enumerate().skip(common) {
                let _ = writeln!(s, " {}{sec}:", "  ".repeat(depth));
                open.push(sec);
            }
            let pad = "  ".repeat(sections.len());
            let _ = writeln!(s, "-{pad}{}: {old}", key[0]);
            let _ = writeln!(s, "+{pad}{}: {new}", key[0]);
        }
        s
    }

    /// An SVG scatter of every point: the frontier joined, the current config and the
    /// recommendation marked.
    pub fn svg(&self, recommended: usize) -> String {
        let mut out = String::new();
        let _ = self.draw(&mut out, recommended);
        out
    }

    fn draw(&self, out: &mut String, rec: usize) -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(out, (960, 600)).into_drawing_area();
        root.fill(&WHITE)?;
        let x_max = self
            .points
            .iter()
            .map(|p| p.uncovered_unit_minutes)
            .max()
            .unwrap_or(1)
            .max(1) as f64
            * 1.1;
        let (y_min, y_max) = self.points.iter().fold((f64::MAX, 0f64), |(lo, hi), p| {
            (lo.min(p.total_cost), hi.max(p.total_cost))
        });
        let pad = ((y_max - y_min) * 0.1).max(0.01);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "{} combinations: uncovered unit-minutes against total $",
                    self.points.len()
                ),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, (y_min - pad).max(0.0)..y_max + pad)?;
        chart
            .configure_mesh()
            .x_desc("uncovered unit-minutes")
            .y_desc("total $")
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        let xy = |p: &Point| (p.uncovered_unit_minutes as f64, p.total_cost);
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|p| Circle::new(xy(p), 3, RGBColor(160, 160, 160).filled())),
            )?
            .label("combination")
            .legend(|(x, y)| Circle::new((x + 8, y), 3, RGBColor(160, 160, 160).filled()));
        chart
            .draw_series(LineSeries::new(
                self.frontier.iter().map(|&i| xy(&self.points[i])),
                BLUE.stroke_width(2),
            ))?
            .label("Pareto frontier")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
        chart
            .draw_series(std::iter::once(TriangleMarker::new(
                xy(&self.points[rec]),
                8,
                GREEN.filled(),
            )))?
            .label("recommended")
            .legend(|(x, y)| TriangleMarker::new((x + 8, y), 6, GREEN.filled()));
        chart
            .draw_series(std::iter::once(Cross::new(
                xy(self.current()),
                7,
                RED.stroke_width(3),
            )))?
            .label("current config")
            .legend(|(x, y)| Cross::new((x + 8, y), 5, RED.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(u: u64, d: f64) -> Point {
        Point {
            settings: vec![],
            uncovered_unit_minutes: u,
            total_cost: d,
        }
    }

    #[test]
    fn the_frontier_keeps_only_points_no_other_beats_on_both_figures() {
        let pts = [
            p(10, 5.0),
            p(5, 6.0),
            p(5, 7.0),
            p(20, 4.0),
            p(12, 5.5),
            p(0, 9.0),
        ];
        assert_eq!(frontier(&pts), vec![5, 1, 0, 3]);
    }

    #[test]
    fn the_cheapest_recommendation_never_uncovers_more_than_the_current() {
        let t = Tuning {
            points: vec![p(10, 5.0), p(12, 3.0), p(8, 4.5), p(10, 4.0)],
            frontier: vec![],
        };
        assert_eq!(t.recommend(Preference::Cheapest), 3);
        assert_eq!(t.recommend(Preference::Covered), 2);
    }
}
