"""GuardDuty protection plans beyond the detector's defaults: Runtime Monitoring and Malware Protection.

Runtime Monitoring watches processes, files and connections inside the EKS nodes through the
GuardDuty security agent, which GuardDuty installs and upgrades as an EKS add-on
(EKS_ADDON_MANAGEMENT). Malware Protection for EC2 scans the EBS volumes of a node GuardDuty
flags. Both bill on use (per monitored vCPU, per GB scanned) and are priced in the estimate.
https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring.html
https://docs.aws.amazon.com/guardduty/latest/ug/gdu-malware-protection-ec2.html
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

RUNTIME = "RUNTIME_MONITORING"
MALWARE = "EBS_MALWARE_PROTECTION"


class RuntimeProtection(pulumi.ComponentResource):
    def __init__(self, name: str, region: str, detector_id: pulumi.Input[str], *, runtime: bool, malware: bool,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:audit:RuntimeProtection", name, {"region": region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.features: list[str] = []
        if runtime:
            aws.guardduty.DetectorFeature(
                f"{name}-runtime", region=region, detector_id=detector_id, name=RUNTIME, status="ENABLED",
                additional_configurations=[aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(
                    name="EKS_ADDON_MANAGEMENT", status="ENABLED")], opts=child)
            self.features.append(RUNTIME)
        if malware:
            aws.guardduty.DetectorFeature(f"{name}-malware", region=region, detector_id=detector_id, name=MALWARE,
                                          status="ENABLED", opts=child)
            self.features.append(MALWARE)
        self.register_outputs({"features": self.features})
