/**
 * The Auto Scaling group record in the shared store, apart from the Auto Scaling operations: ECS
 * reads groups (capacity providers name one) and Auto Scaling registers ECS container instances, so
 * the record lives here and neither service module imports the other both ways.
 */
import type { SimResource } from '../kernel';

export interface GroupInstance {
  instanceId: string;
  availabilityZone: string;
  subnetId: string;
  networkInterfaceId: string;
  instanceType: string;
  protectedFromScaleIn: boolean;
  inServiceAt: number;
  terminatingAt?: number;
  terminatedAt?: number;
}

export interface GroupTag {
  Key: string;
  Value: string;
  PropagateAtLaunch: boolean;
}

export interface AutoScalingGroupResource extends SimResource {
  type: 'autoscaling-group';
  arn: string;
  name: string;
  launchTemplate: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string };
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  subnets: string[];
  groupTags: GroupTag[];
  newInstancesProtectedFromScaleIn: boolean;
  healthCheckType: string;
  healthCheckGracePeriod: number;
  defaultCooldown: number;
  capacityRebalance: boolean;
  /** From the launch template's user data (`ECS_CLUSTER=name`). */
  clusterName?: string;
  instances: GroupInstance[];
  deleting: boolean;
  launched: number;
}
