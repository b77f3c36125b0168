import { type NatMode, natGatewayCount, natGatewayForZone } from '../../shared/domain/nat-gateways';

describe('natGatewayCount', () => {
  it.each<[NatMode, number, number]>([
    ['none', 3, 0],
    ['single', 3, 1],
    ['per-az', 2, 2],
    ['per-az', 3, 3],
  ])('%s in %i zones needs %i NAT gateways', (natGateways, availabilityZones, expected) => {
    // Prepare: the network section of a spec.
    const network = { natGateways, availabilityZones };
    // Act
    const count = natGatewayCount(network);
    // Assess
    expect(count).toBe(expected);
  });
});

describe('natGatewayForZone', () => {
  it('routes each zone through its own gateway when there is one per zone', () => {
    // Prepare / Act
    const routes = [0, 1, 2].map((zone) => natGatewayForZone(zone, 3));
    // Assess
    expect(routes).toEqual([0, 1, 2]);
  });

  it('routes every zone through the only gateway with a single one', () => {
    // Prepare / Act
    const routes = [0, 1, 2].map((zone) => natGatewayForZone(zone, 1));
    // Assess
    expect(routes).toEqual([0, 0, 0]);
  });

  it('routes nothing without gateways', () => {
    // Prepare / Act
    const route = natGatewayForZone(1, 0);
    // Assess
    expect(route).toBeUndefined();
  });
});
