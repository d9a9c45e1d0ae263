//! An in-memory fake of the adapters' traits that records its calls, and can fail any
//! operation (before or after applying it: a lost write).

use std::collections::HashMap;
use std::sync::Mutex;

use spotcover_reconciler::ApiError;
use spotcover_reconciler::adapters::fallback::{FallbackGroup, TaskView};
use spotcover_reconciler::adapters::{
    AutoScaling, Completion, Ec2, Ecs, FleetMetrics, GroupView, ServiceView, SetOutcome,
};
use spotcover_reconciler_core::contract::tags::FALLBACK_STATE_TAG as STATE_TAG;
use spotcover_reconciler_core::ecs::{ContainerInstance, InstanceStatus};
use spotcover_reconciler_core::policy::demand::FleetState;
use spotcover_reconciler_core::policy::fallback::Activity;
use spotcover_reconciler_core::policy::rule_2017::Observation;
use spotcover_reconciler_core::{EpochSeconds, GroupState};

/// One call recorded by [`FakeApi`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    ObserveFleet {
        fleet_id: String,
        start: EpochSeconds,
        end: EpochSeconds,
    },
    DescribeGroup(String),
    SetDesired {
        name: String,
        desired: u32,
        honor_cooldown: bool,
    },
    Complete {
        group: String,
        hook: String,
        instance_id: String,
    },
    Heartbeat {
        group: String,
        hook: String,
        instance_id: String,
    },
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
    Terminate(String),
    PutGroupTag {
        group: String,
        key: String,
        value: String,
    },
    ListServices(String),
    DescribeServices(Vec<String>),
    DescribeFleet(String),
    ModifyFleet {
        fleet_id: String,
        target: u32,
    },
    // `engine: asg`.
    DescribeFallbackGroup(String),
    DescribeActivities(String),
    SetBase {
        name: String,
        base: u32,
    },
    TerminateInGroup(String),
    ReleaseGroup(String),
    SetProtection {
        ids: Vec<String>,
        protected: bool,
    },
    ListTasks(String),
    DescribeTasks(Vec<String>),
}

impl Call {
    /// The AWS operation's name.
    pub fn op(&self) -> &'static str {
        match self {
            Call::ObserveFleet { .. } => "GetMetricData",
            Call::DescribeGroup(_) => "DescribeAutoScalingGroups",
            Call::SetDesired { .. } => "SetDesiredCapacity",
            Call::Complete { .. } => "CompleteLifecycleAction",
            Call::Heartbeat { .. } => "RecordLifecycleActionHeartbeat",
            Call::List { .. } => "ListContainerInstances",
            Call::Describe { .. } => "DescribeContainerInstances",
            Call::SetStatus { .. } => "UpdateContainerInstancesState",
            Call::PutAttribute { .. } => "PutAttributes",
            Call::DeleteAttribute { .. } => "DeleteAttributes",
            Call::Terminate(_) => "TerminateInstances",
            Call::PutGroupTag { .. } => "CreateOrUpdateTags",
            Call::ListServices(_) => "ListServices",
            Call::DescribeServices(_) => "DescribeServices",
            Call::DescribeFleet(_) => "DescribeSpotFleetRequests",
            Call::ModifyFleet { .. } => "ModifySpotFleetRequest",
            Call::DescribeFallbackGroup(_) => "DescribeAutoScalingGroups",
            Call::DescribeActivities(_) => "DescribeScalingActivities",
            Call::SetBase { .. } | Call::ReleaseGroup(_) => "UpdateAutoScalingGroup",
            Call::TerminateInGroup(_) => "TerminateInstanceInAutoScalingGroup",
            Call::SetProtection { .. } => "SetInstanceProtection",
            Call::ListTasks(_) => "ListTasks",
            Call::DescribeTasks(_) => "DescribeTasks",
        }
    }

    /// True for calls that change something.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Call::ObserveFleet { .. }
                | Call::DescribeGroup(_)
                | Call::List { .. }
                | Call::Describe { .. }
                | Call::ListServices(_)
                | Call::DescribeServices(_)
                | Call::DescribeFleet(_)
                | Call::DescribeFallbackGroup(_)
                | Call::DescribeActivities(_)
                | Call::ListTasks(_)
                | Call::DescribeTasks(_)
        )
    }
}

/// How an operation fails.
#[derive(Debug, Clone)]
pub struct Fault {
    pub error: ApiError,
    /// Apply the call, then fail (the answer is lost).
    pub applied: bool,
    /// Never answer (the run's budget must cut it off).
    pub hang: bool,
    /// Answer success without applying (a write lost after it was acknowledged).
    pub dropped: bool,
    /// Fail this many times, then succeed; `None`: always.
    pub times: Option<u32>,
}

impl Fault {
    /// Fails before applying, `times` times (`None`: always).
    pub fn before(error: ApiError, times: Option<u32>) -> Self {
        Self {
            error,
            applied: false,
            hang: false,
            dropped: false,
            times,
        }
    }

    /// Applies, then fails (the answer is lost), `times` times.
    pub fn after(error: ApiError, times: Option<u32>) -> Self {
        Self {
            applied: true,
            ..Self::before(error, times)
        }
    }

    /// Answers success without applying, `times` times.
    pub fn dropped(times: Option<u32>) -> Self {
        Self {
            dropped: true,
            ..Self::before(throttled("dropped"), times)
        }
    }

    /// Never answers, `times` times.
    pub fn hang(times: Option<u32>) -> Self {
        Self {
            hang: true,
            ..Self::before(throttled("hang"), times)
        }
    }
}

/// What a call does after [`FakeApi::enter`].
pub enum Go {
    Apply,
    /// Apply, then answer this error.
    ApplyThenFail(ApiError),
    /// Answer success, apply nothing.
    Drop,
}

/// An in-memory AWS that records its calls, for tests.
#[derive(Debug)]
pub struct FakeApi {
    pub observation: Mutex<Result<Observation, ApiError>>,
    /// `None`: the group is unknown.
    pub group: Mutex<Option<GroupState>>,
    /// When true, `set_desired` with the cooldown honoured answers `InCooldown`.
    pub in_cooldown: Mutex<bool>,
    /// Container instances by cluster name.
    pub instances: Mutex<Vec<(String, ContainerInstance)>>,
    /// The group's instances in `Terminating:Wait`.
    pub terminating_wait: Mutex<Vec<String>>,
    /// Active lifecycle actions: (group, hook, instance id).
    pub lifecycle_actions: Mutex<Vec<(String, String, String)>>,
    /// Instances terminated through EC2, with the tasks they ran then.
    pub terminated: Mutex<Vec<(String, u32)>>,
    /// Lifecycle actions completed, with the tasks their instance ran then.
    pub completed: Mutex<Vec<(String, u32)>>,
    /// Faults by operation name (see [`Call::op`]).
    pub faults: Mutex<HashMap<&'static str, Fault>>,
    pub calls: Mutex<Vec<Call>>,
    /// The group's tags.
    pub group_tags: Mutex<HashMap<String, String>>,
    /// The cluster's services (every cluster: the fake has one).
    pub services: Mutex<Vec<ServiceView>>,
    /// The Spot Fleet; `None`: not found.
    pub fleet: Mutex<Option<FleetState>>,
    /// `engine: asg`'s group (its state tag is in `group_tags`); `None`: not found.
    pub fallback_group: Mutex<Option<FallbackGroup>>,
    /// The group's scaling activities.
    pub activities: Mutex<Vec<Activity>>,
    /// The cluster's tasks whose desired status is RUNNING.
    pub tasks: Mutex<Vec<TaskView>>,
}

pub fn throttled(op: &'static str) -> ApiError {
    ApiError::Throttled {
        service: "fake",
        op,
        message: "Rate exceeded".into(),
    }
}

const ECS_OPS: [&str; 5] = [
    "ListContainerInstances",
    "DescribeContainerInstances",
    "UpdateContainerInstancesState",
    "PutAttributes",
    "DeleteAttributes",
];

impl FakeApi {
    pub fn new(observation: Observation, group: Option<GroupState>) -> Self {
        Self {
            observation: Mutex::new(Ok(observation)),
            group: Mutex::new(group),
            in_cooldown: Mutex::new(false),
            instances: Mutex::new(Vec::new()),
            terminating_wait: Mutex::new(Vec::new()),
            lifecycle_actions: Mutex::new(Vec::new()),
            terminated: Mutex::new(Vec::new()),
            completed: Mutex::new(Vec::new()),
            faults: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
            group_tags: Mutex::new(HashMap::new()),
            services: Mutex::new(Vec::new()),
            fleet: Mutex::new(None),
            fallback_group: Mutex::new(None),
            activities: Mutex::new(Vec::new()),
            tasks: Mutex::new(Vec::new()),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The calls that change something.
    pub fn writes(&self) -> Vec<Call> {
        self.calls().into_iter().filter(Call::is_write).collect()
    }

    /// Fails `op` always with `error`.
    pub fn fail(&self, op: &'static str, error: ApiError) {
        self.faults.lock().unwrap().insert(
            op,
            Fault {
                error,
                applied: false,
                hang: false,
                dropped: false,
                times: None,
            },
        );
    }

    /// Fails every ECS operation with `error`.
    pub fn fail_ecs(&self, error: ApiError) {
        for op in ECS_OPS {
            self.fail(op, error.clone());
        }
    }

    /// Sets the fault of `op`.
    pub fn fault(&self, op: &'static str, fault: Fault) {
        self.faults.lock().unwrap().insert(op, fault);
    }

    pub fn heal(&self) {
        self.faults.lock().unwrap().clear();
    }

    pub fn desired(&self) -> u32 {
        self.group.lock().unwrap().unwrap().desired
    }

    pub fn add_instance(&self, cluster: &str, ci: ContainerInstance) {
        self.instances
            .lock()
            .unwrap()
            .push((cluster.to_owned(), ci));
    }

    /// The container instance with this ARN.
    pub fn instance(&self, arn: &str) -> ContainerInstance {
        self.instances
            .lock()
            .unwrap()
            .iter()
            .find(|(_, ci)| ci.arn == arn)
            .map(|(_, ci)| ci.clone())
            .unwrap_or_else(|| panic!("no instance {arn}"))
    }

    /// Records `c`; `Err` when a fault says to fail before applying, `Ok(Some(e))` when
    /// it says to fail after applying; never returns when it says to hang.
    async fn enter(&self, c: Call) -> Result<Go, ApiError> {
        let op = c.op();
        self.calls.lock().unwrap().push(c);
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            match faults.get_mut(op) {
                None => None,
                Some(f) => match f.times.as_mut() {
                    Some(0) => None,
                    Some(n) => {
                        *n -= 1;
                        Some(f.clone())
                    }
                    None => Some(f.clone()),
                },
            }
        };
        match fault {
            None => Ok(Go::Apply),
            Some(f) if f.hang => std::future::pending().await,
            Some(f) if f.dropped => Ok(Go::Drop),
            Some(f) if f.applied => Ok(Go::ApplyThenFail(f.error)),
            Some(f) => Err(f.error),
        }
    }

    fn with_instance<T>(
        &self,
        op: &'static str,
        cluster: &str,
        arn: &str,
        f: impl FnOnce(&mut ContainerInstance) -> T,
    ) -> Result<T, ApiError> {
        let mut all = self.instances.lock().unwrap();
        all.iter_mut()
            .find(|(c, ci)| c == cluster && ci.arn == arn)
            .map(|(_, ci)| f(ci))
            .ok_or_else(|| ApiError::Refused {
                service: "ecs",
                op,
                code: "MISSING".into(),
                message: arn.to_owned(),
            })
    }
}

/// `result`, unless the fault says the answer is lost.
fn answer<T>(go: Go, result: Result<T, ApiError>) -> Result<T, ApiError> {
    match go {
        Go::ApplyThenFail(e) => Err(e),
        _ => result,
    }
}

/// True when the call must not be applied.
fn dropped(go: &Go) -> bool {
    matches!(go, Go::Drop)
}

/// The tasks of the instance with this EC2 id, if any.
fn tasks_of(instances: &[(String, ContainerInstance)], id: &str) -> u32 {
    instances
        .iter()
        .find(|(_, ci)| ci.ec2_instance_id.as_deref() == Some(id))
        .map_or(0, |(_, ci)| ci.tasks())
}

impl FleetMetrics for FakeApi {
    async fn observe_fleet(
        &self,
        fleet_id: &str,
        start: EpochSeconds,
        end: EpochSeconds,
    ) -> Result<Observation, ApiError> {
        let lost = self
            .enter(Call::ObserveFleet {
                fleet_id: fleet_id.to_owned(),
                start,
                end,
            })
            .await?;
        answer(lost, self.observation.lock().unwrap().clone())
    }
}

impl AutoScaling for FakeApi {
    async fn describe_group(&self, name: &str) -> Result<GroupView, ApiError> {
        let lost = self.enter(Call::DescribeGroup(name.to_owned())).await?;
        let g = self
            .group
            .lock()
            .unwrap()
            .map(|state| GroupView {
                state,
                terminating_wait: self.terminating_wait.lock().unwrap().clone(),
                state_tag: self
                    .group_tags
                    .lock()
                    .unwrap()
                    .get(spotcover_reconciler_core::contract::tags::STATE_TAG)
                    .cloned(),
            })
            .ok_or_else(|| ApiError::GroupNotFound(name.to_owned()));
        answer(lost, g)
    }

    async fn set_desired(
        &self,
        name: &str,
        desired: u32,
        honor_cooldown: bool,
    ) -> Result<SetOutcome, ApiError> {
        let lost = self
            .enter(Call::SetDesired {
                name: name.to_owned(),
                desired,
                honor_cooldown,
            })
            .await?;
        if dropped(&lost) {
            return Ok(SetOutcome::Applied);
        }
        if honor_cooldown && *self.in_cooldown.lock().unwrap() {
            return answer(lost, Ok(SetOutcome::InCooldown));
        }
        let mut g = self.group.lock().unwrap();
        let r = match g.as_mut() {
            Some(g) => {
                g.desired = desired;
                Ok(SetOutcome::Applied)
            }
            None => Err(ApiError::GroupNotFound(name.to_owned())),
        };
        answer(lost, r)
    }

    async fn complete_lifecycle_action(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        let lost = self
            .enter(Call::Complete {
                group: group.to_owned(),
                hook: hook.to_owned(),
                instance_id: instance_id.to_owned(),
            })
            .await?;
        if dropped(&lost) {
            return Ok(Completion::Completed);
        }
        let r = match self.pending_action(group, hook, instance_id) {
            Some(i) => {
                self.lifecycle_actions.lock().unwrap().remove(i);
                let tasks = tasks_of(&self.instances.lock().unwrap(), instance_id);
                self.completed
                    .lock()
                    .unwrap()
                    .push((instance_id.to_owned(), tasks));
                self.terminating_wait
                    .lock()
                    .unwrap()
                    .retain(|id| id != instance_id);
                Ok(Completion::Completed)
            }
            None => Ok(Completion::NoActiveAction),
        };
        answer(lost, r)
    }

    async fn record_lifecycle_heartbeat(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        let lost = self
            .enter(Call::Heartbeat {
                group: group.to_owned(),
                hook: hook.to_owned(),
                instance_id: instance_id.to_owned(),
            })
            .await?;
        let r = match self.pending_action(group, hook, instance_id) {
            Some(_) => Ok(Completion::Completed),
            None => Ok(Completion::NoActiveAction),
        };
        answer(lost, r)
    }

    async fn put_group_tag(&self, group: &str, key: &str, value: &str) -> Result<(), ApiError> {
        self.put_tag(group, key, value).await
    }

    async fn describe_fallback_group(&self, name: &str) -> Result<FallbackGroup, ApiError> {
        let lost = self
            .enter(Call::DescribeFallbackGroup(name.to_owned()))
            .await?;
        let g = self
            .fallback_group
            .lock()
            .unwrap()
            .clone()
            .map(|mut g| {
                g.state_tag = self.group_tags.lock().unwrap().get(STATE_TAG).cloned();
                g
            })
            .ok_or_else(|| ApiError::GroupNotFound(name.to_owned()));
        answer(lost, g)
    }

    async fn describe_scaling_activities(&self, name: &str) -> Result<Vec<Activity>, ApiError> {
        let lost = self
            .enter(Call::DescribeActivities(name.to_owned()))
            .await?;
        answer(lost, Ok(self.activities.lock().unwrap().clone()))
    }

    async fn set_on_demand_base(&self, name: &str, base: u32) -> Result<(), ApiError> {
        let lost = self
            .enter(Call::SetBase {
                name: name.to_owned(),
                base,
            })
            .await?;
        if !dropped(&lost)
            && let Some(g) = self.fallback_group.lock().unwrap().as_mut()
        {
            g.base = base;
        }
        answer(lost, Ok(()))
    }

    async fn terminate_in_group(&self, instance_id: &str) -> Result<(), ApiError> {
        let lost = self
            .enter(Call::TerminateInGroup(instance_id.to_owned()))
            .await?;
        if dropped(&lost) {
            return Ok(());
        }
        let tasks = tasks_of(&self.instances.lock().unwrap(), instance_id);
        self.terminated
            .lock()
            .unwrap()
            .push((instance_id.to_owned(), tasks));
        self.instances
            .lock()
            .unwrap()
            .retain(|(_, ci)| ci.ec2_instance_id.as_deref() != Some(instance_id));
        if let Some(g) = self.fallback_group.lock().unwrap().as_mut() {
            g.instances.retain(|i| i.id != instance_id);
        }
        answer(lost, Ok(()))
    }

    async fn release_group(&self, name: &str) -> Result<(), ApiError> {
        let lost = self.enter(Call::ReleaseGroup(name.to_owned())).await?;
        if dropped(&lost) {
            return Ok(());
        }
        let mut g = self.fallback_group.lock().unwrap();
        let Some(g) = g.as_mut() else {
            return Err(ApiError::Refused {
                service: "autoscaling",
                op: "UpdateAutoScalingGroup",
                code: "ValidationError".into(),
                message: format!("AutoScalingGroup name not found - {name}"),
            });
        };
        (g.min, g.max, g.desired) = (0, 0, 0);
        g.new_instances_protected = false;
        answer(lost, Ok(()))
    }

    async fn set_instance_protection(
        &self,
        _name: &str,
        ids: &[String],
        protected: bool,
    ) -> Result<(), ApiError> {
        assert!(
            ids.len() <= 50,
            "SetInstanceProtection takes up to 50 instances"
        );
        let lost = self
            .enter(Call::SetProtection {
                ids: ids.to_vec(),
                protected,
            })
            .await?;
        if !dropped(&lost)
            && let Some(g) = self.fallback_group.lock().unwrap().as_mut()
        {
            for i in g.instances.iter_mut().filter(|i| ids.contains(&i.id)) {
                i.protected = protected;
            }
        }
        answer(lost, Ok(()))
    }
}

impl FakeApi {
    /// [`AutoScaling::put_group_tag`].
    async fn put_tag(&self, group: &str, key: &str, value: &str) -> Result<(), ApiError> {
        let lost = self
            .enter(Call::PutGroupTag {
                group: group.to_owned(),
                key: key.to_owned(),
                value: value.to_owned(),
            })
            .await?;
        if dropped(&lost) {
            return Ok(());
        }
        self.group_tags
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_owned());
        answer(lost, Ok(()))
    }

    fn pending_action(&self, group: &str, hook: &str, instance_id: &str) -> Option<usize> {
        let key = (group.to_owned(), hook.to_owned(), instance_id.to_owned());
        self.lifecycle_actions
            .lock()
            .unwrap()
            .iter()
            .position(|a| *a == key)
    }
}

impl Ecs for FakeApi {
    async fn list_container_instances(
        &self,
        cluster: &str,
        ec2_instance_id: Option<&str>,
    ) -> Result<Vec<String>, ApiError> {
        let lost = self
            .enter(Call::List {
                cluster: cluster.to_owned(),
                ec2_instance_id: ec2_instance_id.map(str::to_owned),
            })
            .await?;
        let arns = self
            .instances
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, ci)| {
                c == cluster
                    && ec2_instance_id.is_none_or(|id| ci.ec2_instance_id.as_deref() == Some(id))
            })
            .map(|(_, ci)| ci.arn.clone())
            .collect();
        answer(lost, Ok(arns))
    }

    async fn describe_container_instances(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ContainerInstance>, ApiError> {
        let lost = self
            .enter(Call::Describe {
                cluster: cluster.to_owned(),
                arns: arns.to_vec(),
            })
            .await?;
        let found = self
            .instances
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, ci)| c == cluster && arns.contains(&ci.arn))
            .map(|(_, ci)| ci.clone())
            .collect();
        answer(lost, Ok(found))
    }

    async fn set_status(
        &self,
        cluster: &str,
        arn: &str,
        draining: bool,
    ) -> Result<Option<ContainerInstance>, ApiError> {
        const OP: &str = "UpdateContainerInstancesState";
        let lost = self
            .enter(Call::SetStatus {
                arn: arn.to_owned(),
                draining,
            })
            .await?;
        if dropped(&lost) {
            return Ok(None);
        }
        let r = self.with_instance(OP, cluster, arn, |ci| {
            ci.status = if draining {
                InstanceStatus::Draining
            } else {
                InstanceStatus::Active
            };
            Some(ci.clone())
        });
        answer(lost, r)
    }

    async fn put_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError> {
        let lost = self
            .enter(Call::PutAttribute {
                arn: arn.to_owned(),
                name: name.to_owned(),
                value: value.to_owned(),
            })
            .await?;
        if dropped(&lost) {
            return Ok(());
        }
        let r = self.with_instance("PutAttributes", cluster, arn, |ci| {
            ci.set_attribute(name, Some(value))
        });
        answer(lost, r)
    }

    async fn delete_attribute(&self, cluster: &str, arn: &str, name: &str) -> Result<(), ApiError> {
        let lost = self
            .enter(Call::DeleteAttribute {
                arn: arn.to_owned(),
                name: name.to_owned(),
            })
            .await?;
        if dropped(&lost) {
            return Ok(());
        }
        // Deleting what is not there succeeds, as in ECS.
        let _ = self.with_instance("DeleteAttributes", cluster, arn, |ci| {
            ci.set_attribute(name, None)
        });
        answer(lost, Ok(()))
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, ApiError> {
        let lost = self.enter(Call::ListServices(cluster.to_owned())).await?;
        let arns = self
            .services
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.arn.clone())
            .collect();
        answer(lost, Ok(arns))
    }

    async fn describe_services(
        &self,
        _cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ServiceView>, ApiError> {
        let lost = self.enter(Call::DescribeServices(arns.to_vec())).await?;
        let found = self
            .services
            .lock()
            .unwrap()
            .iter()
            .filter(|s| arns.contains(&s.arn))
            .cloned()
            .collect();
        answer(lost, Ok(found))
    }

    async fn list_tasks(
        &self,
        cluster: &str,
        _desired_status: &str,
    ) -> Result<Vec<String>, ApiError> {
        let lost = self.enter(Call::ListTasks(cluster.to_owned())).await?;
        let arns = self
            .tasks
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.arn.clone())
            .collect();
        answer(lost, Ok(arns))
    }

    async fn describe_tasks(
        &self,
        _cluster: &str,
        arns: &[String],
    ) -> Result<Vec<TaskView>, ApiError> {
        let lost = self.enter(Call::DescribeTasks(arns.to_vec())).await?;
        let found = self
            .tasks
            .lock()
            .unwrap()
            .iter()
            .filter(|t| arns.contains(&t.arn))
            .cloned()
            .collect();
        answer(lost, Ok(found))
    }
}

impl Ec2 for FakeApi {
    async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        let lost = self.enter(Call::Terminate(instance_id.to_owned())).await?;
        if dropped(&lost) {
            return Ok(());
        }
        let tasks = tasks_of(&self.instances.lock().unwrap(), instance_id);
        self.terminated
            .lock()
            .unwrap()
            .push((instance_id.to_owned(), tasks));
        self.instances
            .lock()
            .unwrap()
            .retain(|(_, ci)| ci.ec2_instance_id.as_deref() != Some(instance_id));
        answer(lost, Ok(()))
    }

    async fn describe_spot_fleet(&self, fleet_id: &str) -> Result<FleetState, ApiError> {
        let lost = self.enter(Call::DescribeFleet(fleet_id.to_owned())).await?;
        let f = self.fleet.lock().unwrap().ok_or_else(|| ApiError::Refused {
            service: "ec2",
            op: "DescribeSpotFleetRequests",
            code: "InvalidSpotFleetRequestId.NotFound".into(),
            message: fleet_id.to_owned(),
        });
        answer(lost, f)
    }

    async fn modify_spot_fleet_target(&self, fleet_id: &str, target: u32) -> Result<(), ApiError> {
        let lost = self
            .enter(Call::ModifyFleet {
                fleet_id: fleet_id.to_owned(),
                target,
            })
            .await?;
        if dropped(&lost) {
            return Ok(());
        }
        if let Some(f) = self.fleet.lock().unwrap().as_mut() {
            f.target = target;
        }
        answer(lost, Ok(()))
    }
}
