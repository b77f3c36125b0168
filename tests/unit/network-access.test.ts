import {
  chooseZones,
  DATABASE_PORTS,
  NotEnoughZones,
  planIngress,
  planServiceIngress,
} from '../../shared/domain/network-access';

describe('planIngress', () => {
  const groups = { albGroupId: 'sg-alb', serviceGroupId: 'sg-service' };

  it('opens the load balancer on 80 and 443 to each allowed CIDR, as AWS stores it', () => {
    // Prepare: a host address and a duplicate of the same network.
    const allowedIngressCidrs = ['10.1.2.3/16', '10.1.0.0/16', '192.0.2.0/24'];
    // Act
    const plan = planIngress({ ...groups, allowedIngressCidrs, containerPorts: [] });
    // Assess
    expect(plan.alb.map((rule) => [rule.port, rule.source])).toEqual([
      [80, { cidr: '10.1.0.0/16' }],
      [80, { cidr: '192.0.2.0/24' }],
      [443, { cidr: '10.1.0.0/16' }],
      [443, { cidr: '192.0.2.0/24' }],
    ]);
  });

  it('lets services be reached on their container ports from the load balancer group only', () => {
    // Prepare
    const containerPorts = [8080, 3000, 8080];
    // Act
    const plan = planIngress({ ...groups, allowedIngressCidrs: ['0.0.0.0/0'], containerPorts });
    // Assess
    expect(plan.service.map((rule) => [rule.port, rule.source])).toEqual([
      [3000, { groupId: 'sg-alb' }],
      [8080, { groupId: 'sg-alb' }],
    ]);
  });

  it('lets databases be reached from the service group only', () => {
    // Prepare / Act
    const plan = planIngress({ ...groups, allowedIngressCidrs: ['0.0.0.0/0'], containerPorts: [80] });
    // Assess
    expect(plan.database.map((rule) => rule.port)).toEqual([...DATABASE_PORTS]);
    expect(
      plan.database.every((rule) => 'groupId' in rule.source && rule.source.groupId === 'sg-service'),
    ).toBe(true);
  });
});

describe('planServiceIngress', () => {
  it('plans one rule per distinct port from the load balancer group, the plan provisioning applies', () => {
    // Prepare
    const containerPorts = [8081, 80, 8081];
    // Act
    const rules = planServiceIngress(containerPorts, 'sg-alb');
    // Assess
    expect(rules.map((rule) => [rule.port, rule.source])).toEqual([
      [80, { groupId: 'sg-alb' }],
      [8081, { groupId: 'sg-alb' }],
    ]);
    expect(
      planIngress({ albGroupId: 'sg-alb', serviceGroupId: 'sg-s', allowedIngressCidrs: [], containerPorts })
        .service,
    ).toEqual(rules);
  });
});

describe('chooseZones', () => {
  it('takes the first zones by name, whatever order AWS lists them in', () => {
    // Prepare
    const available = ['eu-west-1c', 'eu-west-1a', 'eu-west-1b'];
    // Act
    const zones = chooseZones(available, 2);
    // Assess
    expect(zones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('refuses when the Region has fewer zones than the spec asks for', () => {
    // Prepare / Act
    const choose = () => chooseZones(['eu-west-1a', 'eu-west-1b'], 3);
    // Assess
    expect(choose).toThrow(NotEnoughZones);
  });
});
