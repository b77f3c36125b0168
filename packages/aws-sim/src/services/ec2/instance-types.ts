/**
 * How many network interfaces an instance type takes, and how many `awsvpc` tasks ECS places on it
 * with ENI trunking: the EC2 guide's "Maximum IP addresses per network interface" table and the ECS
 * guide's "Supported Amazon EC2 instance types" for trunking (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
 * Types outside this table get no ENI limit in the simulator.
 */

export interface InstanceNetworkLimits {
  /** ENIs the instance can have attached, its primary one included. */
  maxNetworkInterfaces: number;
  /** `awsvpc` tasks with `awsvpcTrunking` (branch ENIs); absent where ECS does not trunk the type. */
  trunkTaskLimit?: number;
}

/** Burstable types: ECS does not trunk any t2/t3/t3a/t4g type. */
const burstable = (maxNetworkInterfaces: number): InstanceNetworkLimits => ({ maxNetworkInterfaces });
const trunked = (maxNetworkInterfaces: number, trunkTaskLimit: number): InstanceNetworkLimits => ({
  maxNetworkInterfaces,
  trunkTaskLimit,
});

export const INSTANCE_NETWORK_LIMITS: Readonly<Record<string, InstanceNetworkLimits>> = {
  't3.micro': burstable(2),
  't3.small': burstable(3),
  't3.medium': burstable(3),
  't3.large': burstable(3),
  't3.xlarge': burstable(4),
  't3.2xlarge': burstable(4),
  't3a.medium': burstable(3),
  't3a.large': burstable(3),
  't4g.medium': burstable(3),
  't4g.large': burstable(3),
  'm5.large': trunked(3, 10),
  'm5.xlarge': trunked(4, 20),
  'm5.2xlarge': trunked(4, 40),
  'm6i.large': trunked(3, 10),
  'm6i.xlarge': trunked(4, 20),
  'm6g.large': trunked(3, 10),
  'm7g.large': trunked(3, 10),
  'm7g.xlarge': trunked(4, 20),
  'c5.large': trunked(3, 10),
  'c6i.large': trunked(3, 10),
  'c7g.large': trunked(3, 10),
  'r5.large': trunked(3, 10),
  'r6i.large': trunked(3, 10),
};

/** The limits of a type, or undefined for a type the simulator has no numbers for. */
export function networkLimitsOf(instanceType: string): InstanceNetworkLimits | undefined {
  return INSTANCE_NETWORK_LIMITS[instanceType];
}
