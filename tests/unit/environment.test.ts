import full from '../../examples/full.json';
import {
  type Environment,
  environmentEventSchema,
  environmentPageSchema,
  environmentSchema,
} from '../../shared/domain/environment';
import { environmentRequestSchema } from '../../shared/domain/spec';

const ID = 'env-01jd5y8q7n3w0s2k4m6p8r0t2v';

function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const environment: Environment = {
    id: ID,
    team: 'payments',
    name: 'shop-prod',
    createdBy: 'alice@example.com',
    spec: environmentRequestSchema.parse(full),
    status: 'PROVISIONING',
    version: 3,
    createdAt: '2025-11-26T13:00:00.000Z',
    updatedAt: '2025-11-26T13:04:10.000Z',
    progress: {
      currentStep: 'cluster',
      percent: 40,
      completedSteps: [
        { step: 'network', startedAt: '2025-11-26T13:00:01.000Z', finishedAt: '2025-11-26T13:03:00.000Z' },
      ],
    },
    resources: { vpc: 'vpc-0123456789abcdef0', subnets: ['subnet-1', 'subnet-2'] },
    outputs: {},
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:provision:env-1',
    ticket: 'OPS-1234',
  };
  return { ...environment, ...overrides };
}

function pathsOf(result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] {
  return result.error?.issues.map((issue) => issue.path.join('.')) ?? [];
}

describe('environmentSchema', () => {
  it('accepts a record in progress', () => {
    expect(environmentSchema.safeParse(record()).success).toBe(true);
  });

  it('accepts a ready record with outputs and a failed one with an error', () => {
    const ready = record({
      status: 'READY',
      outputs: {
        url: 'https://shop.example.com',
        loadBalancerDnsName: 'shop-prod-1234.eu-west-1.elb.amazonaws.com',
        services: [
          {
            name: 'api',
            url: 'https://shop.example.com/api',
            serviceArn: 'arn:x',
            logGroup: '/berth/p/s/api',
          },
        ],
      },
    });
    const failed = record({
      status: 'FAILED',
      error: { step: 'network', code: 'VpcLimitExceeded', message: 'too many VPCs' },
    });

    expect([ready, failed].map((value) => environmentSchema.safeParse(value).success)).toEqual([true, true]);
  });

  it.each([
    ['an uppercase id', { id: `env-${ID.slice(4).toUpperCase()}` }, 'id'],
    ['an id without the env- prefix', { id: ID.slice(4) }, 'id'],
    ['an unknown status', { status: 'STUCK' }, 'status'],
    ['version 0', { version: 0 }, 'version'],
    ['a fractional version', { version: 1.5 }, 'version'],
    ['a timestamp without a zone', { createdAt: '2025-11-26T13:00:00' }, 'createdAt'],
    ['a percent over 100', { progress: { percent: 101, completedSteps: [] } }, 'progress.percent'],
    ['a numeric resource id', { resources: { vpc: 42 } }, 'resources.vpc'],
    ['an error without a code', { error: { message: 'x' } }, 'error.code'],
  ])('refuses %s', (_case, overrides, path) => {
    expect(pathsOf(environmentSchema.safeParse(record(overrides)))).toEqual([path]);
  });

  it("validates the spec with the request schema's rules", () => {
    const spec = { ...environmentRequestSchema.parse(full), cluster: { capacity: 'EC2' } };

    expect(pathsOf(environmentSchema.safeParse(record({ spec })))).toEqual(['spec.cluster.ec2']);
  });

  it('keeps extra outputs that later steps add', () => {
    const parsed = environmentSchema.parse(
      record({ outputs: { dashboardUrl: 'https://console.aws.amazon.com/x' } }),
    );

    expect(parsed.outputs).toEqual({ dashboardUrl: 'https://console.aws.amazon.com/x' });
  });

  it("strips the store's bookkeeping attributes", () => {
    const parsed = environmentSchema.parse(record({ pk: `ENV#${ID}`, gsi1pk: 'TEAM#payments' }));

    expect(parsed).not.toHaveProperty('pk');
    expect(parsed).not.toHaveProperty('gsi1pk');
  });

  it('accepts a cost estimate', () => {
    const cost = {
      currency: 'USD',
      monthly: 16.43,
      region: 'us-east-1',
      lines: [{ item: 'Application Load Balancer', quantity: 730, unit: 'ALB-hour', monthly: 16.43 }],
      assumptions: ['730 hours per month'],
      priceDate: '2026-11-26',
    };

    expect(environmentSchema.parse(record({ cost })).cost).toEqual(cost);
  });

  it('refuses a cost that is not an estimate', () => {
    expect(pathsOf(environmentSchema.safeParse(record({ cost: { monthlyUsd: 123.4 } })))).toContain(
      'cost.currency',
    );
  });
});

describe('environmentEventSchema', () => {
  it('accepts a step event', () => {
    const event = {
      id: '01JD5Y8Q7N3W0S2K4M6P8R0T2W',
      environmentId: ID,
      at: '2025-11-26T13:03:00.000Z',
      type: 'step-finished',
      step: 'network',
      detail: { vpcId: 'vpc-1' },
    };

    expect(environmentEventSchema.safeParse(event).success).toBe(true);
  });

  it('refuses an unknown event type', () => {
    const event = { id: '1', environmentId: ID, at: '2025-11-26T13:03:00.000Z', type: 'exploded' };

    expect(pathsOf(environmentEventSchema.safeParse(event))).toEqual(['type']);
  });
});

describe('environmentPageSchema', () => {
  it('accepts a last page without nextCursor', () => {
    expect(environmentPageSchema.safeParse({ items: [record()] }).success).toBe(true);
  });
});
