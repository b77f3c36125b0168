/**
 * The latency model's defaults, in AWS seconds (docs/aws-facts.md#provisioning-times: NAT gateways
 * 1–3 min, ALBs a few minutes, ENIs drain after their owner is gone). The time scale maps them onto
 * wall time.
 */
import type { LatencyModel, SimContext } from './kernel';

export const defaultLatencyModel: LatencyModel = {
  natGatewayAvailable: [60, 180],
  natGatewayDeleted: [30, 75],
  natGatewayFailureRate: 0,
  natGatewayVisible: [1, 3],
  loadBalancerActive: [90, 240],
  loadBalancerDeleted: [10, 30],
  eniRelease: [60, 300],
  taskRunning: [30, 90],
  taskStopped: [15, 45],
  ec2InstanceRunning: [40, 90],
  ec2InstanceTerminated: [30, 90],
  route53Sync: [30, 60],
};

/** A duration drawn uniformly from `[min, max]` AWS seconds with the simulator's random source. */
export function drawSeconds(ctx: Pick<SimContext, 'random'>, [min, max]: [number, number]): number {
  return min + (max - min) * ctx.random();
}
