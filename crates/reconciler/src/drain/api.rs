//! The AWS calls of the scale-in drain ([`DrainApi`]), and the recording fake's
//! side of them ([`FakeDrain`]).

use serde::Serialize;
use spotcover_reconciler_core::InstanceStatus;
use spotcover_reconciler_core::drain::{HOOK_DEADLINE_ATTRIBUTE, Member, SURPLUS_ATTRIBUTE};

use crate::api::{ApiError, Call, FakeApi};

/// What a `CompleteLifecycleAction` call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// Auto Scaling accepted it: the instance goes on terminating.
    Completed,
    /// Refused with "No active Lifecycle Action found": someone (another run,
    /// the hook's timeout) already completed it. Not an error.
    NoActiveAction,
}

/// The reconciler's view of ECS, Auto Scaling and EC2 for draining before a
/// scale-in. `cluster` is the cluster's name (or ARN).
#[allow(async_fn_in_trait)]
pub trait DrainApi {
    /// `ListContainerInstances` (all pages), with the filter
    /// `ec2InstanceId == {id}` when an instance id is given. moto ignores the
    /// filter: callers match on [`Member::ec2_instance_id`].
    async fn list_member_arns(
        &self,
        cluster: &str,
        ec2_instance_id: Option<&str>,
    ) -> Result<Vec<String>, ApiError>;
    /// `DescribeContainerInstances` (chunks of 100): status, task counts and
    /// the attributes the drain reads.
    async fn describe_members(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<Member>, ApiError>;
    /// `UpdateContainerInstancesState` to DRAINING (`draining`) or ACTIVE; the
    /// container instance as ECS answers after the change, if it does.
    async fn set_member_status(
        &self,
        cluster: &str,
        arn: &str,
        draining: bool,
    ) -> Result<Option<Member>, ApiError>;
    /// `PutAttributes`: one custom attribute on the container instance.
    async fn put_member_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError>;
    /// `DeleteAttributes`: one custom attribute of the container instance.
    async fn delete_member_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
    ) -> Result<(), ApiError>;
    /// `CompleteLifecycleAction` with `CONTINUE`, by instance id (no token:
    /// the scheduled pass has none).
    async fn complete_lifecycle_action(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError>;
    /// EC2 `TerminateInstances` for one instance (idempotent in AWS).
    async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError>;
}

/// One [`DrainApi`] call recorded by [`FakeApi`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainCall {
    List {
        cluster: String,
        ec2_instance_id: Option<String>,
    },
    Describe {
        cluster: String,
        arns: Vec<String>,
    },
    SetStatus {
        arn: String,
        draining: bool,
    },
    PutAttribute {
        arn: String,
        name: String,
        value: String,
    },
    DeleteAttribute {
        arn: String,
        name: String,
    },
    Complete {
        group: String,
        hook: String,
        instance_id: String,
    },
    Terminate(String),
}

/// The fake's drain state.
#[derive(Debug, Default)]
pub struct FakeDrain {
    /// Container instances by cluster name.
    pub members: Vec<(String, Member)>,
    /// Active lifecycle actions: (group, hook, instance id).
    pub lifecycle_actions: Vec<(String, String, String)>,
    /// Instances terminated through EC2.
    pub terminated: Vec<String>,
    /// When set, every drain call fails with this error.
    pub error: Option<ApiError>,
    /// When set, `CompleteLifecycleAction` fails with this error.
    pub complete_error: Option<ApiError>,
}

impl FakeApi {
    fn drain_call(&self, c: DrainCall) -> Result<std::sync::MutexGuard<'_, FakeDrain>, ApiError> {
        self.calls.lock().unwrap().push(Call::ScaleIn(c));
        let d = self.drain.lock().unwrap();
        match d.error.clone() {
            Some(e) => Err(e),
            None => Ok(d),
        }
    }
}

fn missing(op: &'static str, arn: &str) -> ApiError {
    ApiError::Refused {
        service: "ecs",
        op,
        code: "MISSING".into(),
        message: arn.to_owned(),
    }
}

impl DrainApi for FakeApi {
    async fn list_member_arns(
        &self,
        cluster: &str,
        ec2_instance_id: Option<&str>,
    ) -> Result<Vec<String>, ApiError> {
        let d = self.drain_call(DrainCall::List {
            cluster: cluster.to_owned(),
            ec2_instance_id: ec2_instance_id.map(str::to_owned),
        })?;
        Ok(d.members
            .iter()
            .filter(|(c, m)| {
                c == cluster
                    && ec2_instance_id.is_none_or(|id| m.ec2_instance_id.as_deref() == Some(id))
            })
            .map(|(_, m)| m.arn.clone())
            .collect())
    }

    async fn describe_members(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<Member>, ApiError> {
        let d = self.drain_call(DrainCall::Describe {
            cluster: cluster.to_owned(),
            arns: arns.to_vec(),
        })?;
        Ok(d.members
            .iter()
            .filter(|(c, m)| c == cluster && arns.contains(&m.arn))
            .map(|(_, m)| m.clone())
            .collect())
    }

    async fn set_member_status(
        &self,
        cluster: &str,
        arn: &str,
        draining: bool,
    ) -> Result<Option<Member>, ApiError> {
        let mut d = self.drain_call(DrainCall::SetStatus {
            arn: arn.to_owned(),
            draining,
        })?;
        let (_, m) = d
            .members
            .iter_mut()
            .find(|(c, m)| c == cluster && m.arn == arn)
            .ok_or_else(|| missing("UpdateContainerInstancesState", arn))?;
        m.status = if draining {
            InstanceStatus::Draining
        } else {
            InstanceStatus::Active
        };
        Ok(Some(m.clone()))
    }

    async fn put_member_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError> {
        let mut d = self.drain_call(DrainCall::PutAttribute {
            arn: arn.to_owned(),
            name: name.to_owned(),
            value: value.to_owned(),
        })?;
        let (_, m) = d
            .members
            .iter_mut()
            .find(|(c, m)| c == cluster && m.arn == arn)
            .ok_or_else(|| missing("PutAttributes", arn))?;
        match name {
            HOOK_DEADLINE_ATTRIBUTE => m.hook_deadline = Some(value.to_owned()),
            SURPLUS_ATTRIBUTE => m.surplus_mark = Some(value.to_owned()),
            _ => {}
        }
        Ok(())
    }

    async fn delete_member_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        let mut d = self.drain_call(DrainCall::DeleteAttribute {
            arn: arn.to_owned(),
            name: name.to_owned(),
        })?;
        if let Some((_, m)) = d
            .members
            .iter_mut()
            .find(|(c, m)| c == cluster && m.arn == arn)
        {
            match name {
                HOOK_DEADLINE_ATTRIBUTE => m.hook_deadline = None,
                SURPLUS_ATTRIBUTE => m.surplus_mark = None,
                _ => {}
            }
        }
        Ok(())
    }

    async fn complete_lifecycle_action(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        let mut d = self.drain_call(DrainCall::Complete {
            group: group.to_owned(),
            hook: hook.to_owned(),
            instance_id: instance_id.to_owned(),
        })?;
        if let Some(e) = d.complete_error.clone() {
            return Err(e);
        }
        let key = (group.to_owned(), hook.to_owned(), instance_id.to_owned());
        match d.lifecycle_actions.iter().position(|a| *a == key) {
            Some(i) => {
                d.lifecycle_actions.remove(i);
                Ok(Completion::Completed)
            }
            None => Ok(Completion::NoActiveAction),
        }
    }

    async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        let mut d = self.drain_call(DrainCall::Terminate(instance_id.to_owned()))?;
        d.terminated.push(instance_id.to_owned());
        d.members
            .retain(|(_, m)| m.ec2_instance_id.as_deref() != Some(instance_id));
        Ok(())
    }
}
