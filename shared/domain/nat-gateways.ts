/**
 * How many NAT gateways an environment has and which one each zone's application subnets route
 * through. Quotas, the cost estimate, the drift check and the network adapter all count them, so the
 * rule lives once, here: `none` has none, `single` one (cheap, but its zone is a single point of
 * failure for egress), `per-az` one per zone so a zone's outage leaves the others' egress intact.
 */
import type { EnvironmentSpec } from './spec';

export type NatMode = EnvironmentSpec['network']['natGateways'];

/** How many NAT gateways a mode needs in this many zones. */
export function natGatewayCount(network: { natGateways: NatMode; availabilityZones: number }): number {
  if (network.natGateways === 'none') return 0;
  return network.natGateways === 'single' ? 1 : network.availabilityZones;
}

/**
 * Which of `natCount` gateways the application subnets of zone `zone` route through: their own zone's
 * with one per zone, the only one otherwise; `undefined` without NAT gateways.
 */
export function natGatewayForZone(zone: number, natCount: number): number | undefined {
  return natCount === 0 ? undefined : zone % natCount;
}

/**
 * A NAT gateway that ends `failed` does not recover; one created too soon after its address or
 * internet gateway can fail that way and a second one usually succeeds
 * (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling). So each gateway of an
 * environment is replaced this many times, then its failure is reported.
 */
export const NAT_GATEWAY_REPLACEMENTS = 1;

/** What the wait for the NAT gateways carries from one check to the next. */
export interface NatGatewayWait<Ref extends { id: string }> {
  /** The gateways waited for, in zone order (a replacement takes its predecessor's place). */
  natGateways: Ref[];
  /** Per gateway, the ids of its predecessors that failed. */
  failed: string[][];
}

/** Whether the failed gateway in place `index` is replaced (`true`) or its failure ends the wait. */
export function replacesFailedNatGateway(
  wait: Pick<NatGatewayWait<{ id: string }>, 'failed'>,
  index: number,
): boolean {
  return (wait.failed[index]?.length ?? 0) < NAT_GATEWAY_REPLACEMENTS;
}
