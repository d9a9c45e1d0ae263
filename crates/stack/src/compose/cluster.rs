//! The ECS cluster, and what its container instances are made of: the AMI parameters,
//! the instance role and profile, the launch templates (the fleet's, one per
//! architecture; the on-demand group's), their user data, monitoring and tags.

use std::collections::{BTreeMap, BTreeSet};

use spotcover_cfn::aws::Tag;
use spotcover_cfn::aws::ec2;
use spotcover_cfn::aws::ecs;
use spotcover_cfn::aws::iam::{self, InstanceProfileAttr, PolicyDocument};
use spotcover_cfn::{Expr, Handle, ParamHandle, Parameter, Pseudo, Sub, Template, TemplateError};
use spotcover_reconciler_core::contract::tags::{CAPACITY_TAG, STACK_TAG};

use super::network::Network;
use super::{ids, tags};
use crate::arch::Arch;
use crate::config::{OnDemandLaunch, SpotLaunch, StackConfig};
use crate::userdata::{Capacity, Extra, user_data};

/// The cluster and the parts every instance is launched from.
pub(crate) struct Cluster {
    pub cluster: Handle<ecs::Cluster>,
    pub profile: Handle<iam::InstanceProfile>,
    /// The ECS AMI parameter of each architecture in use.
    pub amis: BTreeMap<Arch, ParamHandle>,
    /// The fleet's launch templates by architecture; empty for launch specifications.
    pub templates: BTreeMap<Arch, Handle<ec2::LaunchTemplate>>,
    /// The on-demand group's launch template; `None` for a launch configuration.
    pub on_demand_template: Option<Handle<ec2::LaunchTemplate>>,
}

impl Cluster {
    /// User data that joins this cluster as `capacity` (spot also drains on
    /// interruption), with the config's agent settings and script.
    pub fn user_data(&self, c: &StackConfig, capacity: Capacity) -> Expr {
        let i = &c.instances;
        let extra = Extra {
            ecs_config: Some(&i.ecs_config),
            script: i.user_data.as_ref().and_then(|u| u.text.as_deref()),
        };
        user_data(self.cluster.r#ref(), capacity, extra)
    }

    /// The instance profile's ARN, as fleets and launch templates take it.
    pub fn profile_arn(&self) -> ec2::IamInstanceProfileSpecification {
        ec2::IamInstanceProfileSpecification {
            arn: self.profile.get_att(InstanceProfileAttr::Arn),
        }
    }
}

/// `arn:${AWS::Partition}`, the start of every ARN the stack writes.
pub(crate) fn partition() -> Sub {
    Sub::new().lit("arn:").pseudo(Pseudo::Partition)
}

/// A role `service` may assume, under the config's permissions boundary.
pub(crate) fn service_role(
    c: &StackConfig,
    service: &str,
    description: &str,
    managed_policy: Option<&str>,
    policies: Option<Vec<iam::Policy>>,
) -> iam::Role {
    iam::Role {
        assume_role_policy_document: PolicyDocument::trust(service),
        description: Some(description.into()),
        managed_policy_arns: managed_policy.map(|p| {
            vec![
                partition()
                    .lit(format!(":iam::aws:policy/service-role/{p}"))
                    .build(),
            ]
        }),
        permissions_boundary: c.iam.permissions_boundary.clone(),
        policies,
        tags: tags::user(c),
    }
}

/// Where the ECS-optimized AL2023 AMI's root volume is attached: AWS builds the AMI with
/// its root block device at `/dev/xvda` (gp3), in `al2023.pkr.hcl` of aws/amazon-ecs-ami.
pub(crate) const ROOT_DEVICE: &str = "/dev/xvda";

/// The root volume as the config sets it; empty (the AMI's own) when it does not.
pub(crate) fn block_devices(c: &StackConfig) -> Vec<ec2::BlockDeviceMapping> {
    c.instances
        .root_volume
        .iter()
        .map(|v| ec2::BlockDeviceMapping {
            device_name: ROOT_DEVICE.into(),
            ebs: ec2::Ebs {
                delete_on_termination: true,
                encrypted: v.encrypted,
                volume_size: v.size_gib,
                volume_type: v.volume_type.as_str().into(),
            },
        })
        .collect()
}

/// An ARN of the config's `instances.managed_policies`: as given, or an AWS managed
/// policy's name in this partition.
fn managed_policy_arn(policy: &str) -> Expr {
    if policy.starts_with("arn:") {
        policy.into()
    } else {
        partition()
            .lit(format!(":iam::aws:policy/{policy}"))
            .build()
    }
}

/// `Name` (`<stack>-<capacity>`) and `spotcover:capacity` for an instance.
pub(crate) fn instance_tags(capacity: Capacity) -> Vec<Tag> {
    vec![
        Tag::new(
            "Name",
            Sub::new()
                .pseudo(Pseudo::StackName)
                .lit(format!("-{}", capacity.as_str()))
                .build(),
        ),
        Tag::new(CAPACITY_TAG, capacity.as_str()),
    ]
}

/// The tag the reconciler's right to terminate is scoped by, with
/// [`instance_tags`]' `spotcover:capacity`: `spotcover:stack` = the stack's name.
pub(crate) fn stack_tag() -> Tag {
    Tag::new(STACK_TAG, Expr::pseudo(Pseudo::StackName))
}

/// AWS recommends detailed monitoring for accurate Spot Fleet metrics (EC2 user guide,
/// "Monitor your EC2 Fleet or Spot Fleet using CloudWatch"); on-demand instances get it
/// too, so both sides report alike.
pub(crate) const DETAILED_MONITORING: ec2::Monitoring = ec2::Monitoring { enabled: true };

/// The architectures the config's instance types need.
fn arches(c: &StackConfig) -> BTreeSet<Arch> {
    c.spot
        .instance_types
        .iter()
        .map(|i| Arch::of(&i.instance_type))
        .chain(c.on_demand.instance_types.iter().map(|i| Arch::of(i)))
        .collect()
}

/// Adds the AMI parameters, the cluster, and the instances' role and profile. The
/// launch templates come later ([`add_launch_templates`]), after the fleet's role, so
/// the resources keep the order (and the template its bytes) they always had.
pub(crate) fn add(t: &mut Template, c: &StackConfig) -> Result<Cluster, TemplateError> {
    let mut amis = BTreeMap::new();
    for arch in arches(c) {
        let p = t.parameter(
            &format!("EcsAmi{}", arch.id_suffix()),
            Parameter::new(
                "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "SSM parameter of the ECS-optimized Amazon Linux 2023 AMI",
            )
            .default(arch.ecs_ami_parameter()),
        )?;
        amis.insert(arch, p);
    }
    let insights = if c.cluster.container_insights {
        "enabled"
    } else {
        "disabled"
    };
    let cluster = t.add(
        ids::CLUSTER,
        ecs::Cluster {
            cluster_settings: Some(vec![ecs::ClusterSetting {
                name: "containerInsights".into(),
                value: insights.into(),
            }]),
            tags: Some(tags::with_own(
                c,
                vec![Tag::new(STACK_TAG, c.stack.as_str())],
            )),
        },
    )?;
    let mut role = service_role(
        c,
        "ec2.amazonaws.com",
        "ECS container instances of this stack",
        Some("AmazonEC2ContainerServiceforEC2Role"),
        None,
    );
    if let Some(arns) = role.managed_policy_arns.as_mut() {
        arns.extend(
            c.instances
                .managed_policies
                .iter()
                .map(|p| managed_policy_arn(p)),
        );
    }
    let instance_role = t.add("InstanceRole", role)?;
    let profile = t.add(
        "InstanceProfile",
        iam::InstanceProfile {
            roles: vec![instance_role.r#ref()],
        },
    )?;
    Ok(Cluster {
        cluster,
        profile,
        amis,
        templates: BTreeMap::new(),
        on_demand_template: None,
    })
}

/// Adds the fleet's launch templates (one per architecture of its instance types) and
/// the on-demand group's, for the sides that launch from one. Spot and on-demand
/// instances differ in user data and tags, so they never share one.
pub(crate) fn add_launch_templates(
    t: &mut Template,
    c: &StackConfig,
    network: &Network,
    cluster: &mut Cluster,
) -> Result<(), TemplateError> {
    if c.spot.launch == SpotLaunch::Template {
        let arches: BTreeSet<Arch> = c
            .spot
            .instance_types
            .iter()
            .map(|i| Arch::of(&i.instance_type))
            .collect();
        for arch in arches {
            let lt = launch_template(c, network, cluster, arch, Capacity::Spot);
            let lt = t.add(&format!("LaunchTemplate{}", arch.id_suffix()), lt)?;
            cluster.templates.insert(arch, lt);
        }
    }
    if c.on_demand.launch == OnDemandLaunch::Template {
        let arch = Arch::of(&c.on_demand.instance_types[0]);
        let lt = launch_template(c, network, cluster, arch, Capacity::OnDemand);
        cluster.on_demand_template = Some(t.add("OnDemandLaunchTemplate", lt)?);
    }
    Ok(())
}

/// IMDSv2, detailed monitoring, the instance profile, the config's root volume and key
/// pair, and user data and tags for `capacity`. The config's tags go on the instances,
/// their volumes and the launch template itself.
pub(crate) fn launch_template(
    c: &StackConfig,
    network: &Network,
    cluster: &Cluster,
    arch: Arch,
    capacity: Capacity,
) -> ec2::LaunchTemplate {
    let mut own = instance_tags(capacity);
    own.push(stack_tag());
    let mut tag_specifications = vec![ec2::TagSpecification {
        resource_type: "instance",
        tags: tags::with_own(c, own),
    }];
    if !c.tags.is_empty() {
        tag_specifications.push(ec2::TagSpecification {
            resource_type: "volume",
            tags: tags::user(c),
        });
    }
    let template_tags = if c.tags.is_empty() {
        Vec::new()
    } else {
        vec![ec2::TagSpecification {
            resource_type: "launch-template",
            tags: tags::user(c),
        }]
    };
    ec2::LaunchTemplate {
        launch_template_data: ec2::LaunchTemplateData {
            block_device_mappings: block_devices(c),
            iam_instance_profile: cluster.profile_arn(),
            image_id: cluster.amis[&arch].r#ref(),
            key_name: c.instances.key_name.clone(),
            metadata_options: ec2::MetadataOptions::imdsv2_required(),
            monitoring: DETAILED_MONITORING,
            security_group_ids: network.security_groups.clone(),
            tag_specifications,
            user_data: cluster.user_data(c, capacity),
        },
        tag_specifications: template_tags,
    }
}
