"""moto server, with one gap in its CloudFormation support filled.

moto's handler for AWS::EC2::SpotFleet reads only `LaunchSpecifications`, although its EC2
backend already takes `LaunchTemplateConfigs` (as RequestSpotFleet over the API does).
spotcover's default fleet uses launch templates, so this forwards that one property to
moto's own backend. moto's backend reads only the first override of each config; a real
fleet treats every override as a pool of its own, so each override is passed as a config
of its own (moto then lists one launch specification per instance type and subnet, and
launches into each subnet id as given). moto's AWS::AutoScaling::AutoScalingGroup handler
ignores `LifecycleHookSpecificationList`; each hook in it is created with moto's own
PutLifecycleHook. Everything else, and every answer, is moto's.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT   (moto_server's flags)
"""

import sys

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.ec2.models import ec2_backends
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
    return group


FakeAutoScalingGroup.create_from_cloudformation_json = classmethod(create_group_with_hooks)

if __name__ == "__main__":
    main(sys.argv[1:])
