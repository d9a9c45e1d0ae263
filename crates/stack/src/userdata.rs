//! Instance user data, rendered from `templates/user-data.sh.hbs`.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde_json::json;
use spotcover_cfn::{Expr, Sub};
use spotcover_reconciler_core::contract::attributes;

const TEMPLATE: &str = include_str!("../../../templates/user-data.sh.hbs");

/// Stands in for the cluster name while rendering; replaced by a typed `Ref` after.
const CLUSTER_MARK: &str = "\u{1}spotcover-cluster\u{1}";

/// Which side of the stack an instance is on. The reconciler reads it back from the ECS
/// attribute `spotcover.capacity`, and only ever drains or terminates instances that
/// carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    Spot,
    OnDemand,
    /// The group of `engine: asg`: spot above an on-demand base. Each instance writes its
    /// own market (`spot` or `on-demand`, IMDS `instance-life-cycle`) into the attribute:
    /// Auto Scaling's instance list does not say which is which.
    Mixed,
}

impl Capacity {
    /// The value of the `spotcover.capacity` attribute and tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::Spot => attributes::CAPACITY_SPOT,
            Capacity::OnDemand => attributes::CAPACITY_ON_DEMAND,
            Capacity::Mixed => "mixed",
        }
    }
}

/// What the config adds to every instance's user data.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra<'a> {
    /// `instances.ecs_config`: more lines for `/etc/ecs/ecs.config`.
    pub ecs_config: Option<&'a BTreeMap<String, String>>,
    /// `instances.user_data`: a handlebars script appended after spotcover's own.
    pub script: Option<&'a str>,
}

fn handlebars() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    hb
}

/// Renders the config's script with the variables spotcover's own has: `cluster` (the
/// cluster's name, a mark replaced by a `Ref` later) and `capacity`.
pub fn render_extra(script: &str, capacity: Capacity) -> Result<String, String> {
    handlebars()
        .render_template(
            script,
            &json!({ "cluster": CLUSTER_MARK, "capacity": capacity.as_str() }),
        )
        .map_err(|e| {
            let (why, at) = match e.reason() {
                handlebars::RenderErrorReason::TemplateError(t) => {
                    (template_problem(t.reason()), t.pos())
                }
                other => (render_problem(other), e.line_no.zip(e.column_no)),
            };
            let at = at.map_or(String::new(), |(l, c)| format!(" at line {l}, column {c} of the script"));
            format!(
                "the script is rendered with handlebars (`{{{{cluster}}}}` and `{{{{capacity}}}}` are its variables) and does not render{at}: {why}; write a literal `{{{{` as `\\{{{{`"
            )
        })
}

/// A script that does not parse, in the script's terms (handlebars' own text quotes its
/// parser's internals).
fn template_problem(reason: &handlebars::TemplateErrorReason) -> String {
    use handlebars::TemplateErrorReason as R;
    match reason {
        R::MismatchingClosedHelper(open, close) | R::MismatchingClosedDecorator(open, close) => {
            format!("the block `{{{{#{open}}}}}` is closed by `{{{{/{close}}}}}`")
        }
        R::InvalidParam(p) => format!("`{p}` is not a value handlebars takes there"),
        _ => "a `{{` that does not open a variable such as `{{cluster}}`".into(),
    }
}

/// A script that parses but does not render, in the script's terms.
fn render_problem(reason: &handlebars::RenderErrorReason) -> String {
    use handlebars::RenderErrorReason as R;
    match reason {
        R::MissingVariable(Some(name)) => {
            format!("`{{{{{name}}}}}` is not one of its variables")
        }
        R::HelperNotFound(name) | R::DecoratorNotFound(name) | R::PartialNotFound(name) => {
            format!("`{name}` is neither one of its variables nor a handlebars helper")
        }
        _ => "it uses a variable or helper the script does not have".into(),
    }
}

/// The script as `Fn::Base64` of `Fn::Sub`, with the cluster's name substituted at deploy.
/// Spot instances also let the ECS agent drain them on an interruption warning. Literal
/// `${` in the config's text is escaped by [`Sub`], so it reaches the instance as is.
pub fn user_data(cluster_name: Expr, capacity: Capacity, extra: Extra<'_>) -> Expr {
    let text = render(capacity, extra);
    let mut sub = Sub::new();
    for (i, piece) in text.split(CLUSTER_MARK).enumerate() {
        if i > 0 {
            sub = sub.expr(cluster_name.clone());
        }
        sub = sub.lit(piece);
    }
    Expr::base64(sub.build())
}

/// The script an instance receives, with the cluster's deployed name written as
/// `cluster_name`: what EC2 measures against its user data limit.
pub fn script(cluster_name: &str, capacity: Capacity, extra: Extra<'_>) -> String {
    render(capacity, extra).replace(CLUSTER_MARK, cluster_name)
}

/// The script with [`CLUSTER_MARK`] where the cluster's name goes.
fn render(capacity: Capacity, extra: Extra<'_>) -> String {
    // Validation rendered the config's script already (`load`); an error here is a bug.
    let script = extra
        .script
        .map(|s| render_extra(s, capacity).expect("instances.user_data renders (validated)"))
        .map(|s| s.trim_end_matches('\n').to_owned());
    let empty = BTreeMap::new();
    handlebars()
        .render_template(
            TEMPLATE,
            &json!({
                "cluster": CLUSTER_MARK,
                "capacity": capacity.as_str(),
                "spot_draining": capacity != Capacity::OnDemand,
                "market_from_imds": capacity == Capacity::Mixed,
                "ecs_config": extra.ecs_config.unwrap_or(&empty),
                "extra": script,
            }),
        )
        .expect("templates/user-data.sh.hbs renders with the variables it names")
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotcover_cfn::{LogicalId, RefTarget};

    #[test]
    fn joins_the_cluster_and_drains_on_spot_interruption() {
        let cluster = cluster();
        let script = script(cluster, Capacity::Spot);
        assert!(script.starts_with("#!/bin/bash\n"));
        assert!(script.contains("ECS_CLUSTER=${Cluster}\n"));
        assert!(script.contains("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\n"));
    }

    fn script(cluster: Expr, capacity: Capacity) -> String {
        script_with(cluster, capacity, Extra::default())
    }

    fn script_with(cluster: Expr, capacity: Capacity, extra: Extra<'_>) -> String {
        let v = serde_json::to_value(user_data(cluster, capacity, extra)).unwrap();
        v["Fn::Base64"]["Fn::Sub"].as_str().unwrap().to_owned()
    }

    fn cluster() -> Expr {
        Expr::Ref(RefTarget::Logical(LogicalId::new("Cluster").unwrap()))
    }

    // Amazon ECS developer guide, "Amazon ECS container agent configuration":
    // ECS_INSTANCE_ATTRIBUTES is a JSON object of custom attributes the agent registers
    // the container instance with. The reconciler drains only instances that carry
    // `spotcover.capacity`, with the value the reconciler's contract names.
    #[test]
    fn each_side_registers_its_capacity_attribute() {
        for (capacity, value) in [
            (Capacity::Spot, attributes::CAPACITY_SPOT),
            (Capacity::OnDemand, attributes::CAPACITY_ON_DEMAND),
        ] {
            let line = format!(
                "ECS_INSTANCE_ATTRIBUTES={{\"{}\":\"{value}\"}}\n",
                attributes::CAPACITY
            );
            assert!(script(cluster(), capacity).contains(&line), "{line}");
        }
    }

    #[test]
    fn on_demand_instances_do_not_enable_spot_draining() {
        assert!(!script(cluster(), Capacity::OnDemand).contains("SPOT_INSTANCE_DRAINING"));
    }

    // Amazon ECS developer guide, "Amazon ECS container agent configuration": the agent
    // reads `KEY=value` lines from /etc/ecs/ecs.config.
    #[test]
    fn ecs_config_lines_go_into_the_agent_config_before_it_closes() {
        let settings = BTreeMap::from([("ECS_RESERVED_MEMORY".to_owned(), "256".to_owned())]);
        let s = script_with(
            cluster(),
            Capacity::OnDemand,
            Extra {
                ecs_config: Some(&settings),
                script: None,
            },
        );
        assert!(s.contains("ECS_RESERVED_MEMORY=256\nECS_CONFIG\n"), "{s}");
    }

    #[test]
    fn the_configs_script_comes_after_spotcovers_with_the_cluster_name() {
        let s = script_with(
            cluster(),
            Capacity::Spot,
            Extra {
                ecs_config: None,
                script: Some("echo {{cluster}} {{capacity}} ${HOME}\n"),
            },
        );
        let (own, theirs) = s.split_once("ECS_CONFIG\n#").unwrap();
        assert!(own.contains("ECS_CLUSTER=${Cluster}"));
        // `${HOME}` is escaped for Fn::Sub; the instance sees `${HOME}`.
        assert!(
            theirs.ends_with("echo ${Cluster} spot ${!HOME}\n"),
            "{theirs}"
        );
    }

    #[test]
    fn a_script_naming_an_unknown_variable_is_refused() {
        assert!(render_extra("{{region}}", Capacity::Spot).is_err());
    }
}
