//! Instance user data, rendered from `templates/user-data.sh.hbs`.

use handlebars::Handlebars;
use serde_json::json;
use spotcover_cfn::{Expr, Sub};

const TEMPLATE: &str = include_str!("../../../templates/user-data.sh.hbs");

/// Stands in for the cluster name while rendering; replaced by a typed `Ref` after.
const CLUSTER_MARK: &str = "\u{1}spotcover-cluster\u{1}";

/// The script as `Fn::Base64` of `Fn::Sub`, with the cluster's name substituted at deploy.
pub fn user_data(cluster_name: Expr, spot_draining: bool) -> Expr {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let text = hb
        .render_template(
            TEMPLATE,
            &json!({ "cluster": CLUSTER_MARK, "spot_draining": spot_draining }),
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
        let cluster = Expr::Ref(RefTarget::Logical(LogicalId::new("Cluster").unwrap()));
        let v = serde_json::to_value(user_data(cluster, true)).unwrap();
        let script = v["Fn::Base64"]["Fn::Sub"].as_str().unwrap();
        assert!(script.starts_with("#!/bin/bash\n"));
        assert!(script.contains("ECS_CLUSTER=${Cluster}\n"));
        assert!(script.contains("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\n"));
    }
}
