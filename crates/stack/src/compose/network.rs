//! Where instances run: subnets and security groups, literal ids from the config or
//! parameters filled at deploy time.

use spotcover_cfn::{Expr, Parameter, Template, TemplateError};

use super::ids;
use crate::config::{SpotLaunch, StackConfig};

pub(crate) struct Network {
    /// A list of subnet ids.
    pub subnets: Expr,
    /// A list of security group ids.
    pub security_groups: Expr,
}

impl Network {
    /// One entry per subnet for fields that take comma-separated ids: a parameter list
    /// is joined; literal ids get one entry each, which linters can check.
    pub fn subnet_choices(&self) -> Vec<Expr> {
        match &self.subnets {
            Expr::List(ids) => ids.clone(),
            list => vec![Expr::join(",", list.clone())],
        }
    }
}

/// Adds the parameters the config leaves open.
pub(crate) fn add(t: &mut Template, c: &StackConfig) -> Result<Network, TemplateError> {
    let literal = |ids: &Vec<String>| Expr::List(ids.iter().map(|s| s.as_str().into()).collect());
    let subnets = match &c.network.subnets {
        Some(ids) => literal(ids),
        None => t
            .parameter(
                ids::SUBNETS,
                Parameter::new(
                    "List<AWS::EC2::Subnet::Id>",
                    "Subnets for the spot fleet and the on-demand group",
                ),
            )?
            .r#ref(),
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
        security_groups,
    })
}
