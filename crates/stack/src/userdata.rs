//! Instance user data, rendered from `templates/user-data.sh.hbs`.

use handlebars::Handlebars;
use serde_json::json;
use spotcover_cfn::{Expr, Sub};

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
}

impl Capacity {
    /// The value of the `spotcover.capacity` attribute and tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::Spot => "spot",
            Capacity::OnDemand => "on-demand",
        }
    }
}

/// The script as `Fn::Base64` of `Fn::Sub`, with the cluster's name substituted at deploy.
/// Spot instances also let the ECS agent drain them on an interruption warning.
pub fn user_data(cluster_name: Expr, capacity: Capacity) -> Expr {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let text = hb
        .render_template(
            TEMPLATE,
            &json!({
                "cluster": CLUSTER_MARK,
                "capacity": capacity.as_str(),
                "spot_draining": capacity == Capacity::Spot,
            }),
        )
        .expect("templates/user-data.sh.hbs renders with the variables it names");
    let mut sub = Sub::new();
    for (i, piece) in text.split(CLUSTER_MARK).enumerate() {
        if i > 0 {
            sub = sub.expr(cluster_name.clone());
        }
        sub = sub.lit(piece);
    }
    Expr::base64(sub.build())
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
        let v = serde_json::to_value(user_data(cluster, capacity)).unwrap();
        v["Fn::Base64"]["Fn::Sub"].as_str().unwrap().to_owned()
    }

    fn cluster() -> Expr {
        Expr::Ref(RefTarget::Logical(LogicalId::new("Cluster").unwrap()))
    }

    // Amazon ECS developer guide, "Amazon ECS container agent configuration":
    // ECS_INSTANCE_ATTRIBUTES is a JSON object of custom attributes the agent registers
    // the container instance with. The reconciler drains only instances that carry
    // `spotcover.capacity`.
    #[test]
    fn each_side_registers_its_capacity_attribute() {
        assert!(
            script(cluster(), Capacity::Spot)
                .contains("ECS_INSTANCE_ATTRIBUTES={\"spotcover.capacity\":\"spot\"}\n")
        );
        assert!(
            script(cluster(), Capacity::OnDemand)
                .contains("ECS_INSTANCE_ATTRIBUTES={\"spotcover.capacity\":\"on-demand\"}\n")
        );
    }

    #[test]
    fn on_demand_instances_do_not_enable_spot_draining() {
        assert!(!script(cluster(), Capacity::OnDemand).contains("SPOT_INSTANCE_DRAINING"));
    }
}
