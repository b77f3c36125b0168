/** The container-instance policy: only the environment's cluster and its instances, never another's. */
import { EC2_TRUST, instanceRolePolicy } from '../../shared/domain/instance-role';

const scope = { partition: 'aws', account: '123456789012', region: 'eu-west-1' };

describe('instanceRolePolicy', () => {
  it("names the environment's cluster and its container instances, and * only for DiscoverPollEndpoint", () => {
    // Act
    const policy = instanceRolePolicy(scope, 'shop-abc123');

    // Assess
    const byResource = Object.fromEntries(
      policy.Statement.map((statement) => [String(statement.Resource), statement.Action]),
    );
    expect(Object.keys(byResource).sort()).toEqual([
      '*',
      'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-abc123',
      'arn:aws:ecs:eu-west-1:123456789012:container-instance/shop-abc123/*',
    ]);
    expect(byResource['*']).toBe('ecs:DiscoverPollEndpoint');
    expect(byResource['arn:aws:ecs:eu-west-1:123456789012:cluster/shop-abc123']).toContain(
      'ecs:RegisterContainerInstance',
    );
  });

  it('grants nothing outside ECS (no ECR, logs or CreateCluster as the managed policy does)', () => {
    // Act
    const actions = instanceRolePolicy(scope, 'shop-abc123').Statement.flatMap(
      (statement) => statement.Action,
    );

    // Assess
    expect(actions.every((action) => action.startsWith('ecs:'))).toBe(true);
    expect(actions).not.toContain('ecs:CreateCluster');
  });

  it('is assumed by EC2 only', () => {
    expect(EC2_TRUST.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });
});
