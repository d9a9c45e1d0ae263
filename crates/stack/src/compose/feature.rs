//! What a stack feature that needs the reconciler plugs in with: the [`Feature`] trait, and
//! the pieces features share to invoke the function (a permission, an EventBridge rule) and
//! to name the on-demand group in IAM. A leaf: the reconciler's module lists the features,
//! and the features use only this.

use spotcover_cfn::aws::events::{self, EventPattern, RuleAttr};
use spotcover_cfn::aws::iam::Statement;
use spotcover_cfn::aws::lambda::{self, FunctionAttr};
use spotcover_cfn::{Expr, Handle, Pseudo, Template, TemplateError};

use super::cluster::partition;
use super::tags;
use crate::config::StackConfig;

/// A part of the stack that needs the reconciler: what its role must allow, and what
/// invokes it. Adding one is a module and an entry in [`super::compose`]'s list.
pub(crate) trait Feature {
    /// Statements for the reconciler's role.
    fn statements(&self) -> Vec<Statement> {
        Vec::new()
    }
    /// Adds what invokes the function (rules, topics, alarms) and their permissions.
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError>;
}

/// Lets `principal` invoke the function, for `source_arn` only.
pub(crate) fn permit(
    t: &mut Template,
    id: &str,
    function: &Handle<lambda::Function>,
    principal: &str,
    source_arn: Expr,
) -> Result<(), TemplateError> {
    t.add(
        id,
        lambda::Permission {
            action: "lambda:InvokeFunction",
            function_name: function.get_att(FunctionAttr::Arn),
            principal: principal.into(),
            source_arn,
        },
    )?;
    Ok(())
}

/// An EventBridge rule that passes each event `pattern` matches to the function, and
/// the permission (`<id>Permission`) that lets EventBridge invoke it for this rule only.
pub(crate) fn event_rule(
    t: &mut Template,
    c: &StackConfig,
    id: &str,
    description: &str,
    pattern: EventPattern,
    function: &Handle<lambda::Function>,
) -> Result<(), TemplateError> {
    let rule = t.add(
        id,
        events::Rule {
            description: description.into(),
            event_pattern: Some(pattern),
            schedule_expression: None,
            state: "ENABLED",
            tags: tags::user(c),
            targets: vec![events::Target {
                id: "reconciler".into(),
                arn: function.get_att(FunctionAttr::Arn),
                input: None,
            }],
        },
    )?;
    permit(
        t,
        &format!("{id}Permission"),
        function,
        "events.amazonaws.com",
        rule.get_att(RuleAttr::Arn),
    )
}

/// The on-demand group's ARN, as IAM takes it for Auto Scaling actions on one group.
pub(crate) fn group_arn(group: Expr) -> Expr {
    partition()
        .lit(":autoscaling:")
        .pseudo(Pseudo::Region)
        .lit(":")
        .pseudo(Pseudo::AccountId)
        .lit(":autoScalingGroup:*:autoScalingGroupName/")
        .expr(group)
        .build()
}
