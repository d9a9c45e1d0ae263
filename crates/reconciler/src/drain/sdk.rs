//! [`DrainApi`] over the SDK clients (ECS, Auto Scaling) and [`super::ec2`].

use aws_sdk_autoscaling::error::ProvideErrorMetadata;
use aws_sdk_ecs as ecs;
use spotcover_reconciler_core::InstanceStatus;
use spotcover_reconciler_core::drain::{
    CAPACITY_ATTRIBUTE, HOOK_DEADLINE_ATTRIBUTE, INSTANCE_TYPE_ATTRIBUTE, Member, SURPLUS_ATTRIBUTE,
};

use super::api::{Completion, DrainApi};
use crate::api::ApiError;
use crate::sdk::{SdkApi, classify, ecs_failures};

/// A container instance as the drain reads it.
pub fn member(ci: &ecs::types::ContainerInstance) -> Member {
    let attr = |name: &str| {
        ci.attributes()
            .iter()
            .find(|a| a.name() == name)
            .map(|a| a.value().unwrap_or_default().to_owned())
    };
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    Member {
        arn: ci.container_instance_arn().unwrap_or_default().to_owned(),
        ec2_instance_id: ci.ec2_instance_id().map(str::to_owned),
        status: InstanceStatus::parse(ci.status().unwrap_or_default()),
        running_tasks: count(ci.running_tasks_count()),
        pending_tasks: count(ci.pending_tasks_count()),
        instance_type: attr(INSTANCE_TYPE_ATTRIBUTE),
        capacity: attr(CAPACITY_ATTRIBUTE),
        hook_deadline: attr(HOOK_DEADLINE_ATTRIBUTE),
        surplus_mark: attr(SURPLUS_ATTRIBUTE),
    }
}

fn attribute(
    op: &'static str,
    name: &str,
    value: Option<&str>,
    arn: &str,
) -> Result<ecs::types::Attribute, ApiError> {
    ecs::types::Attribute::builder()
        .name(name)
        .set_value(value.map(str::to_owned))
        .target_id(arn)
        .build()
        .map_err(|e| ApiError::InvalidResponse {
            service: "ecs",
            op,
            message: e.to_string(),
        })
}

/// True iff Auto Scaling's refusal says the lifecycle action is no longer
/// pending (completed by another run, or timed out).
pub fn no_active_action(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError")
        && message.is_some_and(|m| m.contains("No active Lifecycle Action found"))
}

impl DrainApi for SdkApi {
    async fn list_member_arns(
        &self,
        cluster: &str,
        ec2_instance_id: Option<&str>,
    ) -> Result<Vec<String>, ApiError> {
        const OP: &str = "ListContainerInstances";
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .ecs
                .list_container_instances()
                .cluster(cluster)
                .set_filter(ec2_instance_id.map(|id| format!("ec2InstanceId == {id}")))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            arns.extend(out.container_instance_arns().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(arns),
            }
        }
    }

    async fn describe_members(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<Member>, ApiError> {
        const OP: &str = "DescribeContainerInstances";
        let mut found = Vec::new();
        for chunk in arns.chunks(100) {
            let out = self
                .ecs
                .describe_container_instances()
                .cluster(cluster)
                .set_container_instances(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            // Failures here are instances gone since the list call.
            found.extend(out.container_instances().iter().map(member));
        }
        Ok(found)
    }

    async fn set_member_status(
        &self,
        cluster: &str,
        arn: &str,
        draining: bool,
    ) -> Result<Option<Member>, ApiError> {
        const OP: &str = "UpdateContainerInstancesState";
        let status = if draining {
            ecs::types::ContainerInstanceStatus::Draining
        } else {
            ecs::types::ContainerInstanceStatus::Active
        };
        let out = self
            .ecs
            .update_container_instances_state()
            .cluster(cluster)
            .container_instances(arn)
            .status(status)
            .send()
            .await
            .map_err(|e| classify("ecs", OP, &e))?;
        ecs_failures(OP, out.failures())?;
        Ok(out.container_instances().first().map(member))
    }

    async fn put_member_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError> {
        const OP: &str = "PutAttributes";
        self.ecs
            .put_attributes()
            .cluster(cluster)
            .attributes(attribute(OP, name, Some(value), arn)?)
            .send()
            .await
            .map_err(|e| classify("ecs", OP, &e))?;
        Ok(())
    }

    async fn delete_member_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        const OP: &str = "DeleteAttributes";
        self.ecs
            .delete_attributes()
            .cluster(cluster)
            .attributes(attribute(OP, name, None, arn)?)
            .send()
            .await
            .map_err(|e| classify("ecs", OP, &e))?;
        Ok(())
    }

    async fn complete_lifecycle_action(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        const OP: &str = "CompleteLifecycleAction";
        match self
            .autoscaling
            .complete_lifecycle_action()
            .auto_scaling_group_name(group)
            .lifecycle_hook_name(hook)
            .instance_id(instance_id)
            .lifecycle_action_result("CONTINUE")
            .send()
            .await
        {
            Ok(_) => Ok(Completion::Completed),
            Err(e) if no_active_action(e.code(), e.message()) => Ok(Completion::NoActiveAction),
            Err(e) => Err(classify("autoscaling", OP, &e)),
        }
    }

    async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        self.ec2.terminate_instance(instance_id).await
    }
}
