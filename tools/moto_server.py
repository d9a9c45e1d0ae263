"""moto server, with one gap in its CloudFormation support filled.

moto's handler for AWS::EC2::SpotFleet reads only `LaunchSpecifications`, although its EC2
backend already takes `LaunchTemplateConfigs` (as RequestSpotFleet over the API does).
spotcover's default fleet uses launch templates, so this forwards that one property to
moto's own backend. Everything else, and every answer, is moto's.

Usage: python tools/moto_server.py -H 127.0.0.1 -p PORT   (moto_server's flags)
"""

import sys

from moto.ec2.models import ec2_backends
from moto.ec2.models.spot_requests import SpotFleetRequest
from moto.server import main


def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]["SpotFleetRequestConfigData"]
    return ec2_backends[account_id][region_name].request_spot_fleet(
        spot_price=props.get("SpotPrice"),
        target_capacity=props["TargetCapacity"],
        iam_fleet_role=props["IamFleetRole"],
        allocation_strategy=props["AllocationStrategy"],
        launch_specs=props.get("LaunchSpecifications", []),
        launch_template_config=props.get("LaunchTemplateConfigs"),
        instance_interruption_behaviour=props.get("InstanceInterruptionBehavior"),
    )


SpotFleetRequest.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)

if __name__ == "__main__":
    main(sys.argv[1:])
