//! Where instances run: subnets and security groups, literal ids from the config or
//! parameters filled at deploy time.

use spotcover_cfn::{Expr, Parameter, Template, TemplateError};

use super::ids;
use crate::config::{Engine, SpotLaunch, StackConfig};

pub(crate) struct Network {
    /// A list of subnet ids.
    pub subnets: Expr,
    /// How many subnets the `Subnets` parameter holds; `None` for literal ids.
    pub subnet_count: Option<u32>,
    /// A list of security group ids.
    pub security_groups: Expr,
}

impl Network {
    /// One entry per subnet, for the fleet's launch overrides and specifications: Spot
    /// Fleet's `LaunchTemplateOverrides.SubnetId` takes one subnet (EC2 API reference),
    /// so a parameter list is picked apart by position (`Fn::Select`); literal ids are
    /// taken as they are.
    pub fn subnet_choices(&self) -> Vec<Expr> {
        match (&self.subnets, self.subnet_count) {
            (Expr::List(ids), _) => ids.clone(),
            (list, Some(n)) => (0..n).map(|i| Expr::select(i, list.clone())).collect(),
            // `validate` refuses a parameter of unknown size.
            (list, None) => vec![Expr::select(0, list.clone())],
        }
    }
}

/// Adds the parameters the config leaves open.
pub(crate) fn add(t: &mut Template, c: &StackConfig) -> Result<Network, TemplateError> {
    let literal = |ids: &Vec<String>| Expr::List(ids.iter().map(|s| s.as_str().into()).collect());
    let subnet_count = c.subnet_parameter_count();
    let subnets = match &c.network.subnets {
        Some(ids) => literal(ids),
        None => {
            let n = subnet_count.unwrap_or(1);
            let what = match c.engine {
                Engine::Fleet => "the spot fleet and the on-demand group",
                Engine::Asg => "the capacity provider's group",
            };
            let description = format!(
                "Exactly {n} subnet{} for {what}, at most one per Availability Zone (network.subnet_count)",
                if n == 1 { "" } else { "s" }
            );
            t.parameter(
                ids::SUBNETS,
                Parameter::new("List<AWS::EC2::Subnet::Id>", &description),
            )?
            .r#ref()
        }
    };
    let security_groups = match &c.network.security_groups {
        Some(ids) => literal(ids),
        // Launch specifications take security groups one by one, so a parameter list of
        // unknown length cannot feed them: the 2017 form takes one group.
        None if c.spot.launch == SpotLaunch::Specifications => Expr::List(vec![
            t.parameter(
                ids::SECURITY_GROUP,
                Parameter::new(
                    "AWS::EC2::SecurityGroup::Id",
                    "Security group of the container instances",
                ),
            )?
            .r#ref(),
        ]),
        None => t
            .parameter(
                ids::SECURITY_GROUPS,
                Parameter::new(
                    "List<AWS::EC2::SecurityGroup::Id>",
                    "Security groups of the container instances",
                ),
            )?
            .r#ref(),
    };
    Ok(Network {
        subnets,
        subnet_count,
        security_groups,
    })
}
