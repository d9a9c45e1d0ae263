//! What a simulation reports: per policy totals and minute series, as a table, JSON
//! (serde) or an SVG chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::prelude::*;
use serde::Serialize;
use spotcover_reconciler_core::contract::metrics;

/// A line of the chart: label, colour, value of a minute.
type Series = (&'static str, RGBColor, fn(&MinuteRecord) -> f64);

/// The policies compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyName {
    /// No on-demand group at all.
    #[serde(rename = "spot-only")]
    SpotOnly,
    /// The reconciler core with the 2017 design's values (quiet 600 s, cooldown 2700 s).
    #[serde(rename = "2017")]
    Design2017,
    /// The reconciler core with the config's values, acting on interruption warnings
    /// when the config's `interruptions.enabled`.
    #[serde(rename = "default")]
    Default,
    /// Knows the present exactly and at once (true demand, registered spot capacity),
    /// no foresight, no quiet period, no cooldown: what a reconciler that only reacts
    /// could reach.
    #[serde(rename = "reactive-floor")]
    ReactiveFloor,
    /// Clairvoyant: launches each instance exactly the launch latency before it is
    /// needed. The lower bound.
    #[serde(rename = "oracle")]
    Oracle,
    /// `engine: asg`: the capacity provider alone, as AWS gives it (no fallback).
    #[serde(rename = "capacity-providers")]
    CapacityProviders,
    /// `engine: asg`: the capacity provider with spotcover's fallback.
    #[serde(rename = "fallback")]
    Fallback,
}

impl PolicyName {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyName::SpotOnly => "spot-only",
            PolicyName::Design2017 => "2017",
            PolicyName::Default => "default",
            PolicyName::ReactiveFloor => "reactive-floor",
            PolicyName::Oracle => "oracle",
            PolicyName::CapacityProviders => "capacity-providers",
            PolicyName::Fallback => "fallback",
        }
    }
}

/// One simulated minute of one policy. Units are fleet capacity units; on-demand
/// figures are instances (one counts for `on_demand.weight` units). A field that is a
/// reconciler metric has the metric's name (`spotcover_reconciler_core::contract::metrics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinuteRecord {
    pub minute: u32,
    /// Units reserved by ECS tasks.
    pub demand: u32,
    /// The fleet's TargetCapacity.
    pub target: u32,
    /// The fleet's FulfilledCapacity: units of every spot instance it has launched,
    /// registered in ECS or not.
    pub spot_fulfilled: u32,
    /// Units of spot instances registered in ECS (tasks can be placed on them).
    pub spot_registered: u32,
    /// Instances the group has launched or running (its desired capacity once converged).
    pub on_demand_desired: u32,
    /// On-demand instances registered in ECS (past launch latency and registration).
    pub on_demand_running: u32,
    /// `on_demand_running * on_demand.weight`: units the running on-demand instances cover.
    pub on_demand_units: u32,
    /// The cluster's CPUReservation in percent (rounded), as the fleet's target
    /// tracking sees it; absent when no instance is registered.
    pub reservation_percent: Option<u32>,
    /// `max(0, demand - spot_registered - on_demand_units)`.
    pub uncovered: u32,
}

/// Totals and series of one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyReport {
    pub policy: PolicyName,
    /// Sum over the minutes of [`MinuteRecord::uncovered`]: demand units left without a
    /// running instance, times minutes.
    pub uncovered_unit_minutes: u64,
    /// On-demand instance-hours billed: every minute an instance is launching or running.
    pub on_demand_instance_hours: f64,
    /// Dollars: instance-hours times the scenario's on-demand price.
    pub on_demand_cost: f64,
    /// Dollars: every minute a spot instance is launching or running, at its pool's price.
    pub spot_cost: f64,
    pub total_cost: f64,
    /// Most on-demand instances launching or running at once.
    pub peak_on_demand_instances: u32,
    /// How many times target tracking changed the fleet's TargetCapacity.
    pub fleet_target_changes: u32,
    /// Scale-in calls Auto Scaling refused inside the group's cooldown (normal).
    pub scale_ins_refused: u32,
    /// How many times `decide` gave each reason (reconciler policies only).
    pub decisions: BTreeMap<String, u32>,
    /// How many interruption warnings `decide_interruption` handled with each reason
    /// (the `default` policy with `interruptions.enabled` only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub interruption_decisions: BTreeMap<String, u32>,
    pub minutes: Vec<MinuteRecord>,
}

/// The result of [`crate::engine::simulate`]: one entry per policy, in the order spot-only,
/// 2017, default, reactive-floor, oracle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub stack: String,
    pub duration_minutes: u32,
    pub seed: u64,
    pub policies: Vec<PolicyReport>,
}

impl Report {
    /// The policy's entry.
    pub fn policy(&self, name: PolicyName) -> Option<&PolicyReport> {
        self.policies.iter().find(|p| p.policy == name)
    }

    /// A markdown table of the totals, one row per policy.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str(
            "| policy | uncovered unit-min | on-demand inst-h | on-demand $ | spot $ | total $ | peak on-demand | target changes | scale-ins refused |\n",
        );
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for p in &self.policies {
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
                p.policy.as_str(),
                p.uncovered_unit_minutes,
                p.on_demand_instance_hours,
                p.on_demand_cost,
                p.spot_cost,
                p.total_cost,
                p.peak_on_demand_instances,
                p.fleet_target_changes,
                p.scale_ins_refused
            );
        }
        s
    }

    /// An SVG chart, one panel per policy: demand, fleet target, spot registered,
    /// on-demand running (units) and uncovered units, over the minutes.
    pub fn svg(&self) -> String {
        let mut out = String::new();
        // Drawing into a String cannot fail; a failure would only lose the chart.
        let _ = self.draw(&mut out);
        out
    }

    fn draw(&self, out: &mut String) -> Result<(), Box<dyn std::error::Error + '_>> {
        const PANEL_H: u32 = 260;
        let n = self.policies.len().max(1) as u32;
        let root = SVGBackend::with_string(out, (960, PANEL_H * n)).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((self.policies.len().max(1), 1));
        let y_max = self
            .policies
            .iter()
            .flat_map(|p| p.minutes.iter())
            .map(|m| m.demand.max(m.target).max(m.spot_registered))
            .max()
            .unwrap_or(1)
            .max(1);
        let od_max = self
            .policies
            .iter()
            .flat_map(|p| p.minutes.iter())
            .map(|m| m.on_demand_units)
            .max()
            .unwrap_or(0);
        let x_max = self.duration_minutes.max(1);
        for (p, area) in self.policies.iter().zip(panels.iter()) {
            let caption = format!(
                "{}: uncovered {} unit-min, total ${:.2}",
                p.policy.as_str(),
                p.uncovered_unit_minutes,
                p.total_cost
            );
            // Head room above the lines for the legend.
            let top = f64::from(y_max.max(od_max)) * 1.45 + 1.0;
            let mut chart = ChartBuilder::on(area)
                .caption(caption, ("sans-serif", 16))
                .margin(8)
                .x_label_area_size(28)
                .y_label_area_size(40)
                .build_cartesian_2d(0u32..x_max, 0f64..top)?;
            chart
                .configure_mesh()
                .x_desc("minute")
                .y_desc("capacity units")
                .max_light_lines(1)
                .bold_line_style(RGBColor(225, 225, 225))
                .draw()?;
            // Labelled with the reconciler's metric names, as on the stack's dashboard.
            let series: [Series; 5] = [
                (metrics::DEMAND.name, BLACK, |m| f64::from(m.demand)),
                ("fleet target", BLUE, |m| f64::from(m.target)),
                (metrics::SPOT_REGISTERED.name, GREEN, |m| {
                    f64::from(m.spot_registered)
                }),
                (metrics::ON_DEMAND_UNITS.name, RGBColor(230, 140, 0), |m| {
                    f64::from(m.on_demand_units)
                }),
                (metrics::UNCOVERED.name, RED, |m| f64::from(m.uncovered)),
            ];
            for (label, color, value) in series {
                chart
                    .draw_series(LineSeries::new(
                        p.minutes.iter().map(|m| (m.minute, value(m))),
                        color.stroke_width(2),
                    ))?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()?;
        Ok(())
    }
}
