//! Interruption handling (opt-in, `interruptions.enabled`): EventBridge rules for spot
//! interruption warnings and rebalance recommendations invoke the reconciler, which
//! drains the instance's container instance and covers it. This module owns the rules
//! and their permissions and the rebalance switch; the ECS rights to drain are
//! `draining`'s, which every stack has.

use spotcover_cfn::aws::events::EventPattern;
use spotcover_cfn::aws::lambda;
use spotcover_cfn::{Handle, Template, TemplateError};
use spotcover_reconciler_core::contract::events::{
    DETAIL_INTERRUPTION_WARNING, DETAIL_REBALANCE_RECOMMENDATION, SOURCE_EC2,
};
use spotcover_reconciler_core::contract::settings::Settings;

use super::feature::{Feature, event_rule};
use crate::config::StackConfig;

/// Tells the reconciler whether to act on rebalance recommendations too.
pub(crate) fn settings<V>(c: &StackConfig, s: &mut Settings<V>) {
    if c.interruptions.enabled {
        s.drain_on_rebalance = Some(c.interruptions.drain_on_rebalance);
    }
}

/// The feature.
pub(crate) struct Interruptions<'a> {
    pub config: &'a StackConfig,
}

impl Feature for Interruptions<'_> {
    /// One rule per notice; the function itself tells this cluster's instances from
    /// others'.
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError> {
        if !self.config.interruptions.enabled {
            return Ok(());
        }
        for (id, detail_type, description) in [
            (
                "InterruptionWarningRule",
                DETAIL_INTERRUPTION_WARNING,
                "Drains and covers a spot instance on its two-minute warning",
            ),
            (
                "RebalanceRecommendationRule",
                DETAIL_REBALANCE_RECOMMENDATION,
                "Tells the reconciler a spot instance is at elevated risk",
            ),
        ] {
            event_rule(
                t,
                self.config,
                id,
                description,
                EventPattern::new(SOURCE_EC2, detail_type),
                function,
            )?;
        }
        Ok(())
    }
}
