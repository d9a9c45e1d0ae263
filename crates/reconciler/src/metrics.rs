//! The run's metrics in its log line: the [`Report`]'s figures, given to the core's
//! [`spotcover_reconciler_core::contract::metrics::emf`], merged into the line as CloudWatch
//! embedded metric format.

use serde_json::Value;
use spotcover_reconciler_core::contract::metrics::{Figures, emf, reason_name};
use spotcover_reconciler_core::contract::settings::env;

use crate::report::Report;

/// What the report observed, as the metrics contract's figures. Under the demand
/// policy the run observes demand, spot and the on-demand instances registered in
/// ECS; under the 2017 rule only the fleet's metrics and, with a cluster, the spot
/// units the drain pass listed (so no demand, and no uncovered).
pub fn figures(r: &Report) -> Figures {
    if let Some(f) = &r.fallback {
        // `engine: asg`: a unit is an instance; demand is the group's desired capacity.
        let seen = f.seen.as_ref();
        let count = |n: usize| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
        return Figures {
            demand: seen.map(|s| f64::from(s.desired)),
            spot_registered: seen.map(|s| f64::from(s.spot)),
            spot_fulfilled: None,
            on_demand_units: seen.map(|s| count(s.on_demand.len())),
            decision: f.reason,
            aws_calls: r.api_calls,
            tasks_provisioning: seen.map(|s| f64::from(s.provisioning)),
            tasks_without_provider: f.waiting_without_provider.map(f64::from),
            on_demand_base: seen.map(|s| f64::from(s.base)),
        };
    }
    if let Some(n) = &r.need {
        let view = n.view;
        return Figures {
            demand: view.map(|v| f64::from(v.demand)),
            spot_registered: view.map(|v| f64::from(v.spot_active + v.spot_draining)),
            spot_fulfilled: n.fleet.map(|f| f.fulfilled),
            on_demand_units: view.map(|_| f64::from(n.on_demand_units)),
            decision: n.decision.map(|d| reason_name(d.reason)),
            aws_calls: r.api_calls,
            ..Figures::default()
        };
    }
    let spot_registered = r.drain.as_ref().and_then(|d| {
        // The members were listed: their spot units, 0 when the plan had none.
        d.members
            .map(|_| f64::from(d.surplus.as_ref().map_or(0, |s| s.registered_units)))
    });
    Figures {
        demand: None,
        spot_registered,
        spot_fulfilled: r
            .observed
            .as_ref()
            .and_then(|o| o.fulfilled_latest)
            .map(|p| p.value),
        on_demand_units: None,
        decision: r.decision.as_ref().map(|d| reason_name(d.reason)),
        aws_calls: r.api_calls,
        ..Figures::default()
    }
}

/// The report's line with the metrics of `stack` merged in; without a stack, the plain
/// line. A member the line already has is never replaced.
pub fn line_for(r: &Report, stack: Option<&str>) -> String {
    let (Some(stack), Ok(Value::Object(mut line))) = (stack, serde_json::to_value(r)) else {
        return r.to_line();
    };
    if let Ok(Value::Object(m)) = serde_json::to_value(emf(stack, &figures(r), r.now)) {
        for (k, v) in m {
            line.entry(k).or_insert(v);
        }
    }
    Value::Object(line).to_string()
}

/// The line with the metrics of the stack `SPOTCOVER_STACK` names.
pub fn line(r: &Report) -> String {
    let stack = std::env::var(env::STACK).ok();
    line_for(r, stack.as_deref().map(str::trim).filter(|s| !s.is_empty()))
}
