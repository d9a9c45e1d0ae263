"""moto server, with its gaps for spotcover filled.

1. moto's handler for AWS::EC2::SpotFleet reads only `LaunchSpecifications`, although its EC2
   backend already takes `LaunchTemplateConfigs` (as RequestSpotFleet over the API does).
   spotcover's default fleet uses launch templates, so this forwards that one property to
   moto's own backend. moto's backend reads only the first override of each config; a real
   fleet treats every override as a pool of its own, so each override is passed as a config
   of its own (moto then lists one launch specification per instance type and subnet, and
   launches into each subnet id as given).
2. moto's AWS::AutoScaling::AutoScalingGroup handler ignores `LifecycleHookSpecificationList`;
   each hook in it is created with moto's own PutLifecycleHook. It drops `CapacityRebalance`
   too, which is set on the group as its API would.
3. moto has no Auto Scaling `CompleteLifecycleAction` (and never puts an instance into
   `Terminating:Wait`). This adds it over moto's own state: a terminate action is pending for
   an instance that is in the group while the group has that `EC2_INSTANCE_TERMINATING`
   hook, until it is completed once. Completing it lets the termination proceed, as AWS
   does after the wait: moto terminates the instance and removes it from the group
   (decrementing the desired capacity the scale-in had lowered). Anything else answers
   AWS's refusal, a `ValidationError` "No active Lifecycle Action found with instance ID
   ...". Every call is printed to the server log.
4. moto's ECS `DeleteAttributes` deletes a custom attribute only when the request carries its
   value; AWS says to give the name and target, not the value ("For custom attributes,
   specify the attribute name and target ID, but don't specify the value"). Without a value,
   this deletes the attribute whatever its value.

5. moto's AWS::IAM::Role handler ignores `ManagedPolicyArns`; each is attached with moto's own
   AttachRolePolicy (and detached with DetachRolePolicy before the role's deletion, as
   CloudFormation does), an AWS managed policy first taken from moto's own copy of them (which it
   loads only with MOTO_IAM_LOAD_MANAGED_POLICIES, all ~1,300 of them, on every account's
   first IAM call). moto's AWS::ECS::Cluster handler drops `Tags`; they are set with moto's
   own TagResource.

6. moto's CloudFormation has no AWS::CloudWatch::Alarm (it skips the resource); each alarm is
   created with moto's own PutMetricAlarm, so DescribeAlarms answers for it.
7. moto's ECS backend has capacity providers (CreateCapacityProvider,
   PutClusterCapacityProviders) but no CloudFormation handler for `AWS::ECS::CapacityProvider`
   or `AWS::ECS::ClusterCapacityProviderAssociations`: a stack skipped both silently. Each is
   created with moto's own backend call, the properties renamed as the API spells them
   (`AutoScalingGroupProvider` -> `autoScalingGroupProvider`, ...); `Ref` of a capacity
   provider is its name, as in AWS. moto still skips `AWS::CloudFormation::CustomResource`
   (it runs custom resources only as `Custom::*`, through a Lambda in Docker).

8. moto has no handler for `AWS::AutoScaling::LifecycleHook` (a stack skipped it silently); it
   is created with moto's own PutLifecycleHook and deleted with its DeleteLifecycleHook. Like
   CloudFormation's handler (which calls DescribeLifecycleHooks first), creating a hook whose
   name the group already has fails.
9. moto deletes a stack's resources in no particular order, retrying what fails; CloudFormation
   deletes a resource only after every resource that refers to it (`Ref`, `Fn::GetAtt`,
   `Fn::Sub`, `DependsOn`: "Resource A is deleted before resource B", DependsOn attribute
   page). This deletes in that order. And moto's group deletion terminates at once, where AWS
   holds each instance in `Terminating:Wait` for every terminating hook the group still has,
   until its heartbeat ends if nobody completes it: deleting a group that still has such a
   hook and instances fails here, naming them, instead of passing silently.
10. moto's `UpdateAutoScalingGroup` replaces the group's `MixedInstancesPolicy` with what the
   request carries: a request without one drops it, and one with only
   `InstancesDistribution.OnDemandBaseCapacity` fails on its missing launch template. AWS
   changes only what the request names ("Any parameters that you don't specify are not
   changed by this update request"; the launch template "is not required when updating the
   group"), so the request's policy is merged into the group's, member by member.
11. moto answers `DescribeScalingActivities` with no activity, and never fails a launch, so
   nothing can show what a capacity provider's group does when spot has no capacity: it
   launches its on-demand base, retries spot, never falls back, and records "Could not
   launch Spot Instances. InsufficientInstanceCapacity ..." activities. A group tagged
   `spotcover-emulator:spot-capacity=none` (a test sets it with CreateOrUpdateTags) stands
   in for that market: a desired capacity above what it runs launches on-demand instances
   only, up to the base, keeps the desired capacity, and records a Failed activity;
   `DescribeScalingActivities` answers the recorded ones, newest first. After an update
   that leaves the desired capacity as it is (a new base), the group re-sizes to it, as
   AWS's next scaling activity would.

Everything else, and every other answer, is moto's.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT   (moto_server's flags)
"""

import json
import re
import sys
import threading

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, autoscaling_backends
from moto.cloudformation.parsing import ResourceMap
from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.core.responses import EmptyResult
from moto.ec2.models import ec2_backends
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.models import CapacityProvider, Cluster, ecs_backends
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, Role, get_partition, iam_backends
from moto.ec2.models.spot_requests import SpotFleetRequest
from moto.server import main


def one_override_each(configs):
    """Each (launch template, override) pair as a config with that one override."""
    if configs is None:
        return None
    return [
        {**config, "Overrides": [override]}
        for config in configs
        for override in (config.get("Overrides") or [{}])
    ]


def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]["SpotFleetRequestConfigData"]
    return ec2_backends[account_id][region_name].request_spot_fleet(
        spot_price=props.get("SpotPrice"),
        target_capacity=props["TargetCapacity"],
        iam_fleet_role=props["IamFleetRole"],
        allocation_strategy=props["AllocationStrategy"],
        launch_specs=props.get("LaunchSpecifications", []),
        launch_template_config=one_override_each(props.get("LaunchTemplateConfigs")),
        instance_interruption_behaviour=props.get("InstanceInterruptionBehavior"),
    )


SpotFleetRequest.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)

_create_group = FakeAutoScalingGroup.create_from_cloudformation_json.__func__


def create_group_with_hooks(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    group = _create_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = autoscaling_backends[account_id][region_name]
    for hook in cloudformation_json["Properties"].get("LifecycleHookSpecificationList", []):
        backend.create_lifecycle_hook(
            name=hook["LifecycleHookName"],
            as_name=group.name,
            transition=hook["LifecycleTransition"],
            timeout=hook.get("HeartbeatTimeout"),
            result=hook.get("DefaultResult", "ABANDON"),
        )
    # moto's handler drops CapacityRebalance (its API takes it).
    rebalance = cloudformation_json["Properties"].get("CapacityRebalance")
    if rebalance is not None:
        group.capacity_rebalance = str(rebalance).lower() == "true"
    return group


FakeAutoScalingGroup.create_from_cloudformation_json = classmethod(create_group_with_hooks)

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
# (group, hook, instance id, result) of every completed action, in order.
COMPLETED_LIFECYCLE_ACTIONS = []
# moto serves requests on threads; AWS completes an action once, atomically.
_LIFECYCLE_LOCK = threading.Lock()


def complete_lifecycle_action(self):
    with _LIFECYCLE_LOCK:
        return _complete_lifecycle_action(self)


def _complete_lifecycle_action(self):
    group_name = self._get_param("AutoScalingGroupName")
    hook_name = self._get_param("LifecycleHookName")
    instance_id = self._get_param("InstanceId")
    result = self._get_param("LifecycleActionResult")
    backend = self.autoscaling_backend
    group = backend.autoscaling_groups.get(group_name)
    hook = backend.lifecycle_hooks.get(f"{group_name}_{hook_name}")
    in_group = group is not None and any(s.instance.id == instance_id for s in group.instance_states)
    pending = (
        hook is not None
        and hook.lifecycle_transition == TERMINATING
        and in_group
        and (group_name, hook_name, instance_id) not in [c[:3] for c in COMPLETED_LIFECYCLE_ACTIONS]
    )
    print(f"spotcover: CompleteLifecycleAction {group_name} {hook_name} {instance_id} {result}: "
          f"{'completed' if pending else 'no active action'}", file=sys.stderr, flush=True)
    if not pending:
        raise ValidationError(f"No active Lifecycle Action found with instance ID {instance_id}")
    if result not in ("CONTINUE", "ABANDON"):
        raise ValidationError(f"Invalid LifecycleActionResult {result}")
    COMPLETED_LIFECYCLE_ACTIONS.append((group_name, hook_name, instance_id, result))
    # A terminating instance terminates after the wait with either result.
    backend.terminate_instance(instance_id, should_decrement=True)
    return EmptyResult()


AutoScalingResponse.complete_lifecycle_action = complete_lifecycle_action

_moto_delete_attribute = EC2ContainerServiceBackend._delete_attribute


def _delete_attribute(self, cluster_name, name, value=None, target_id=None, target_type=None):
    if value is None:
        arn = (target_id or "").rsplit("/", 1)[-1]
        instances = self.container_instances.get(cluster_name, {})
        if arn in instances and name in instances[arn].attributes:
            value = instances[arn].attributes[name]
    return _moto_delete_attribute(self, cluster_name, name, value, target_id, target_type)


EC2ContainerServiceBackend._delete_attribute = _delete_attribute

_create_role = Role.create_from_cloudformation_json.__func__


def create_role_with_managed_policies(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    role = _create_role(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = iam_backends[account_id][get_partition(region_name)]
    aws_policies = None
    for arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
        if arn not in backend.managed_policies and ":iam::aws:policy/" in arn:
            if aws_policies is None:
                aws_policies = json.loads(aws_managed_policies_data)
            name = arn.rsplit("/", 1)[-1]
            if name in aws_policies:
                policy = AWSManagedPolicy.from_data(name, account_id, region_name, aws_policies[name])
                if policy.arn == arn:
                    backend.managed_policies[arn] = policy
        backend.attach_role_policy(arn, role.name)
    return role


Role.create_from_cloudformation_json = classmethod(create_role_with_managed_policies)

_delete_role = Role.delete_from_cloudformation_json.__func__


def delete_role_detaching_managed_policies(cls, resource_name, cloudformation_json, account_id, region_name):
    # CloudFormation detaches a role's ManagedPolicyArns before DeleteRole; moto's own
    # deletion refuses a role with any attached ("must detach all policies first").
    backend = iam_backends[account_id][get_partition(region_name)]
    for role in list(backend.roles.values()):
        if role.name == resource_name:
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, role.name)
    return _delete_role(cls, resource_name, cloudformation_json, account_id, region_name)


Role.delete_from_cloudformation_json = classmethod(delete_role_detaching_managed_policies)

_create_cluster = Cluster.create_from_cloudformation_json.__func__


def create_cluster_with_tags(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    cluster = _create_cluster(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    tags = cloudformation_json["Properties"].get("Tags") or []
    if tags:
        ecs_backends[account_id][region_name].tag_resource(
            cluster.arn, {t["Key"]: t["Value"] for t in tags}
        )
    return cluster


Cluster.create_from_cloudformation_json = classmethod(create_cluster_with_tags)



class CloudFormationAlarm(CloudFormationModel):
    """AWS::CloudWatch::Alarm over moto's own PutMetricAlarm (a single-metric alarm)."""

    # moto files every model under its service, named by the module's second part.
    __module__ = "moto.cloudwatch.spotcover"

    def __init__(self, name):
        self.name = name

    @staticmethod
    def cloudformation_type():
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type():
        return "AlarmName"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        name = p.get("AlarmName") or resource_name
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            period=int(p["Period"]),
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            treat_missing_data=p.get("TreatMissingData"),
            tags=p.get("Tags", []),
        )
        return cls(name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    @property
    def physical_resource_id(self):
        return self.name


def _camel(key):
    return key[0].lower() + key[1:]


def _api_shape(value):
    """CloudFormation's PascalCase property tree as ECS's API spells it (camelCase)."""
    if isinstance(value, dict):
        return {_camel(k): _api_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_shape(v) for v in value]
    return value


class CfnCapacityProvider(CloudFormationModel):
    # moto's model registry files each model under the service its module names.
    __module__ = "moto.ecs.models"

    @staticmethod
    def cloudformation_type():
        return "AWS::ECS::CapacityProvider"

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        details = _api_shape(props["AutoScalingGroupProvider"])
        for key in ("minimumScalingStepSize", "maximumScalingStepSize", "targetCapacity", "instanceWarmupPeriod"):
            value = details.get("managedScaling", {}).get(key)
            if value is not None:
                details["managedScaling"][key] = int(value)
        tags = [{"key": t["Key"], "value": t["Value"]} for t in props.get("Tags") or []]
        return ecs_backends[account_id][region_name].create_capacity_provider(
            props.get("Name") or resource_name, details, tags
        )

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        ecs_backends[account_id][region_name].delete_capacity_provider(resource_name)


CapacityProvider.physical_resource_id = property(lambda self: self.name)


class CfnClusterCapacityProviderAssociations(CloudFormationModel):
    __module__ = "moto.ecs.models"

    def __init__(self, cluster):
        self.cluster = cluster

    @property
    def physical_resource_id(self):
        return self.cluster

    @staticmethod
    def cloudformation_type():
        return "AWS::ECS::ClusterCapacityProviderAssociations"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        strategy = _api_shape(props.get("DefaultCapacityProviderStrategy") or [])
        for item in strategy:
            for key in ("base", "weight"):
                if key in item:
                    item[key] = int(item[key])
        ecs_backends[account_id][region_name].put_cluster_capacity_providers(
            props["Cluster"], props["CapacityProviders"], strategy
        )
        return cls(props["Cluster"])


class CfnLifecycleHook(CloudFormationModel):
    """AWS::AutoScaling::LifecycleHook over moto's own PutLifecycleHook and DeleteLifecycleHook."""

    __module__ = "moto.autoscaling.models"

    def __init__(self, group, name):
        self.group = group
        self.name = name

    @staticmethod
    def cloudformation_type():
        return "AWS::AutoScaling::LifecycleHook"

    @staticmethod
    def cloudformation_name_type():
        return "LifecycleHookName"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        backend = autoscaling_backends[account_id][region_name]
        group, name = p["AutoScalingGroupName"], p.get("LifecycleHookName") or resource_name
        if f"{group}_{name}" in backend.lifecycle_hooks:
            raise ValidationError(f"AlreadyExists: lifecycle hook {name} of group {group}")
        backend.create_lifecycle_hook(
            name=name,
            as_name=group,
            transition=p["LifecycleTransition"],
            timeout=int(p["HeartbeatTimeout"]) if "HeartbeatTimeout" in p else None,
            result=p.get("DefaultResult", "ABANDON"),
        )
        return cls(group, name)

    def delete(self, account_id, region_name):
        autoscaling_backends[account_id][region_name].delete_lifecycle_hook(self.group, self.name)

    @property
    def physical_resource_id(self):
        return self.name


_moto_delete_group = AutoScalingBackend.delete_auto_scaling_group


def delete_group_after_its_hooks(self, group_name):
    group = self.autoscaling_groups.get(group_name)
    hooks = [h.name for h in self.lifecycle_hooks.values()
             if h.auto_scaling_group_name == group_name and h.lifecycle_transition == TERMINATING]
    instances = [s.instance.id for s in group.instance_states] if group else []
    if hooks and instances:
        raise ValidationError(
            f"deleting group {group_name}: instances {', '.join(instances)} would wait in "
            f"Terminating:Wait for hook {', '.join(hooks)} until its heartbeat ends"
        )
    for name in [h.name for h in self.lifecycle_hooks.values() if h.auto_scaling_group_name == group_name]:
        self.delete_lifecycle_hook(group_name, name)
    return _moto_delete_group(self, group_name)


AutoScalingBackend.delete_auto_scaling_group = delete_group_after_its_hooks


def _referenced(value, out):
    """The logical ids a template value refers to: Ref, Fn::GetAtt, Fn::Sub variables."""
    if isinstance(value, list):
        for item in value:
            _referenced(item, out)
    elif isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                out.add(arg)
                return
            if key == "Fn::GetAtt":
                out.add(arg[0] if isinstance(arg, list) else arg.split(".")[0])
                return
            if key == "Fn::Sub":
                text, names = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                for var in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    if var not in names:
                        out.add(var.split(".")[0])
                _referenced(names, out)
                return
        for item in value.values():
            _referenced(item, out)


def delete_in_dependency_order(self):
    jsons = self._resource_json_map
    remaining = {k for k, v in jsons.items() if v.get("DeletionPolicy") != "Retain"}
    needs = {}
    for key in remaining:
        refs = set()
        _referenced(jsons[key].get("Properties", {}), refs)
        depends = jsons[key].get("DependsOn", [])
        refs.update([depends] if isinstance(depends, str) else depends)
        needs[key] = refs & set(jsons)
    last_error = None
    while remaining:
        # A resource goes once nothing left refers to it; moto's own failures get retried
        # while others progress, as moto did.
        ready = sorted(k for k in remaining if not any(k in needs[o] for o in remaining))
        done = []
        for key in ready:
            parsed = self._parsed_resources.get(key)
            try:
                if not isinstance(parsed, str) and parsed is not None:
                    self._delete_resource(parsed, jsons[parsed.logical_resource_id])
                    self._parsed_resources.pop(parsed.logical_resource_id)
            except Exception as e:  # noqa: BLE001 (re-raised below when nothing progresses)
                last_error = e
            else:
                done.append(key)
        if not done:
            raise last_error or ValidationError(f"circular references among {sorted(remaining)}")
        remaining.difference_update(done)


ResourceMap.delete = delete_in_dependency_order
def merge_policy(old, new):
    """`new` merged into `old`, member by member (dicts deep, anything else replaced)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    out = dict(old)
    for k, v in new.items():
        out[k] = merge_policy(old.get(k), v)
    return out


_moto_group_update = FakeAutoScalingGroup.update


def update_group_merging_policy(self, *args, **kwargs):
    new = kwargs.get("mixed_instances_policy")
    old = self.mixed_instances_policy
    if old is None:
        return _moto_group_update(self, *args, **kwargs)
    merged = old if new is None else merge_policy(old, new)
    # moto adds the template's name to the id it was created with, then refuses a policy
    # that names both: hand it the id only, and keep the name it shows.
    spec = merged.get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
    name = spec.get("LaunchTemplateName") if spec.get("LaunchTemplateId") else None
    if name is not None:
        merged = merge_policy(merged, {})
        merged["LaunchTemplate"] = dict(merged["LaunchTemplate"])
        merged["LaunchTemplate"]["LaunchTemplateSpecification"] = {
            k: v for k, v in spec.items() if k != "LaunchTemplateName"
        }
    kwargs["mixed_instances_policy"] = merged
    out = _moto_group_update(self, *args, **kwargs)
    if name is not None:
        self.mixed_instances_policy["LaunchTemplate"]["LaunchTemplateSpecification"][
            "LaunchTemplateName"
        ] = name
    return out


FakeAutoScalingGroup.update = update_group_merging_policy


#: The group tag that stands in for a spot market with no capacity (see 9.).
NO_SPOT_TAG = "spotcover-emulator:spot-capacity"

_activities = {}
_activities_lock = threading.Lock()
#: Per group, the instances launched while spot had no capacity (so on-demand).
_on_demand = {}


def _no_spot(group):
    return any(
        t.get("Key") == NO_SPOT_TAG and t.get("Value") == "none" for t in group.tags
    )


def _base(group):
    policy = group.mixed_instances_policy or {}
    return int(policy.get("InstancesDistribution", {}).get("OnDemandBaseCapacity", 0))


_moto_set_desired = FakeAutoScalingGroup.set_desired_capacity


def set_desired_without_spot(self, new_capacity):
    """With no spot capacity the group launches its on-demand base only, keeps what it
    runs, and records the failed spot launch as AWS does; the desired capacity stays."""
    if new_capacity is None or not _no_spot(self):
        return _moto_set_desired(self, new_capacity)
    live = {s.instance.id for s in self.active_instances()}
    on_demand = _on_demand.setdefault(self.name, set())
    on_demand &= live
    reachable = min(new_capacity, len(live) + max(0, _base(self) - len(on_demand)))
    _moto_set_desired(self, reachable)
    self.desired_capacity = new_capacity
    # What launched now is on-demand: spot had no capacity.
    on_demand |= {s.instance.id for s in self.active_instances()} - live
    if new_capacity > reachable:
        import time
        import uuid

        with _activities_lock:
            _activities.setdefault(self.name, []).append(
                {
                    "id": str(uuid.uuid4()),
                    "status_code": "Failed",
                    "status_message": "Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request. Launching EC2 instance failed.",
                    "start": int(time.time()),
                }
            )
        print(f"spotcover: {self.name}: no spot capacity, {reachable} of {new_capacity}", flush=True)
    return None


FakeAutoScalingGroup.set_desired_capacity = set_desired_without_spot


_moto_update_after_merge = FakeAutoScalingGroup.update


def update_then_fill(self, *args, **kwargs):
    """A changed base makes AWS launch (or replace) to match it: re-size to the desired
    capacity after the update, as the group's next activity would."""
    out = _moto_update_after_merge(self, *args, **kwargs)
    if kwargs.get("desired_capacity") is None and self.desired_capacity is not None:
        self.set_desired_capacity(self.desired_capacity)
    return out


FakeAutoScalingGroup.update = update_then_fill


def describe_scaling_activities_recorded(self):
    import datetime

    from moto.core.responses import ActionResult

    name = self._get_param("AutoScalingGroupName")
    with _activities_lock:
        recorded = list(reversed(_activities.get(name, [])))
    out = []
    for a in recorded:
        start = datetime.datetime.fromtimestamp(a["start"], tz=datetime.timezone.utc)
        out.append(
            {
                "ActivityId": a["id"],
                "AutoScalingGroupName": name,
                "Description": "Launching a new EC2 instance.  Status Reason: " + a["status_message"],
                "Cause": "At the desired capacity's change an instance was started",
                "StartTime": start,
                "EndTime": start,
                "StatusCode": a["status_code"],
                "StatusMessage": a["status_message"],
                "Progress": 100,
            }
        )
    return ActionResult({"Activities": out})


AutoScalingResponse.describe_scaling_activities = describe_scaling_activities_recorded


if __name__ == "__main__":
    main(sys.argv[1:])
