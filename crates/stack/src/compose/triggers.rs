//! What runs the reconciler besides interruption notices: its schedule, and the fleet's
//! PendingCapacity alarm through SNS.

use spotcover_cfn::aws::cloudwatch;
use spotcover_cfn::aws::ec2;
use spotcover_cfn::aws::events::{self, RuleAttr};
use spotcover_cfn::aws::lambda::{self, FunctionAttr};
use spotcover_cfn::aws::sns;
use spotcover_cfn::{Handle, Metadata, Options, Sub, Template, TemplateError};
use spotcover_reconciler_core::contract::events::{
    FLEET_DIMENSION, SCHEDULE_INPUT_PREFIX, SCHEDULE_INPUT_SUFFIX,
};

use super::feature::{Feature, permit};
use super::{ids, tags};
use crate::config::StackConfig;

/// The schedule: runs the reconciler with the fleet id as input.
pub(crate) struct Schedule<'a> {
    pub config: &'a StackConfig,
    pub fleet: &'a Handle<ec2::SpotFleet>,
}

impl Feature for Schedule<'_> {
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError> {
        let rule = t.add(
            ids::SCHEDULE,
            events::Rule {
                description: "Runs the spotcover reconciler".into(),
                event_pattern: None,
                schedule_expression: Some(self.config.reconciler.schedule.clone()),
                state: "ENABLED",
                tags: tags::user(self.config),
                targets: vec![events::Target {
                    id: "reconciler".into(),
                    arn: function.get_att(FunctionAttr::Arn),
                    input: Some(
                        Sub::new()
                            .lit(SCHEDULE_INPUT_PREFIX)
                            .expr(self.fleet.r#ref())
                            .lit(SCHEDULE_INPUT_SUFFIX)
                            .build(),
                    ),
                }],
            },
        )?;
        permit(
            t,
            "ReconcilerSchedulePermission",
            function,
            "events.amazonaws.com",
            rule.get_att(RuleAttr::Arn),
        )
    }
}

/// The fleet's PendingCapacity alarm, through an SNS topic the function subscribes to.
pub(crate) struct PendingCapacity<'a> {
    pub config: &'a StackConfig,
    pub fleet: &'a Handle<ec2::SpotFleet>,
}

impl Feature for PendingCapacity<'_> {
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError> {
        let topic = t.add_with(
            ids::TOPIC,
            sns::Topic {
                subscription: vec![sns::Subscription {
                    endpoint: function.get_att(FunctionAttr::Arn),
                    protocol: "lambda",
                }],
                tags: tags::user(self.config),
            },
            Options {
                metadata: Some(Metadata::default().skip_checkov(
                    "CKV_AWS_26",
                    "The topic carries only the alarm's state change (no data). CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key; it takes a customer-managed key whose policy lets cloudwatch.amazonaws.com use it.",
                )),
                ..Options::default()
            },
        )?;
        permit(
            t,
            "PendingCapacityTopicPermission",
            function,
            "sns.amazonaws.com",
            topic.r#ref(),
        )?;
        t.add(
            ids::ALARM,
            cloudwatch::Alarm {
                alarm_description: "The spot fleet has capacity it cannot fulfil".into(),
                namespace: "AWS/EC2Spot".into(),
                metric_name: "PendingCapacity".into(),
                dimensions: vec![cloudwatch::Dimension {
                    name: FLEET_DIMENSION.into(),
                    value: self.fleet.r#ref(),
                }],
                statistic: "Maximum",
                // AWS does not document whether AWS/EC2Spot publishes per minute or per
                // five; a 5-minute period holds a datapoint either way, and CloudWatch
                // still evaluates the alarm every minute over a window moved by one
                // minute (CloudWatch user guide, alarm limits), so it fires as soon as
                // one datapoint above 0 arrives.
                period: 300,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                threshold: 0.0,
                comparison_operator: "GreaterThanThreshold",
                treat_missing_data: "notBreaching",
                alarm_actions: vec![topic.r#ref()],
                tags: tags::user(self.config),
            },
        )?;
        Ok(())
    }
}
