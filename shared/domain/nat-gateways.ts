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
