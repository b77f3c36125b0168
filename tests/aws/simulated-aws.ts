/**
 * Shared set-up of the `shared/aws` module tests: the simulated AWS with the services a suite needs,
 * a network to put an ALB in, environments and specs made by the real schema (so defaults apply).
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import type { ServiceDefinition } from '@berth/aws-sim/kernel';
import { type SimulatedServices, startServices } from '@berth/aws-sim/tests/simulated-services';
import type { EnvironmentRef } from '../../shared/domain/naming';
import { type EnvironmentSpec, environmentRequestSchema, type ServiceSpec } from '../../shared/domain/spec';

export { createNetwork, eventually, type TestNetwork } from '@berth/aws-sim/tests/network-fixture';
export { TIME_SCALE, waitAwsSeconds } from '@berth/aws-sim/tests/simulated-services';

export interface SimulatedAws extends SimulatedServices {
  elbv2: ElasticLoadBalancingV2Client;
  stop(): Promise<void>;
}

export async function startAws(services: ServiceDefinition[]): Promise<SimulatedAws> {
  const started = await startServices(services);
  const elbv2 = new ElasticLoadBalancingV2Client(started.clientConfig);
  return {
    ...started,
    elbv2,
    stop: async () => {
      elbv2.destroy();
      await started.running.close();
    },
  };
}

/**
 * For a test file (or `describe` block): the simulated AWS with `services`, started before its tests
 * and stopped after them, and an IAM client on its default credentials, which no role holds (the
 * test's own eyes). The fields are there from its `beforeAll` on: read them in hooks and tests.
 */
export function awsWithOperator(services: ServiceDefinition[]): {
  readonly aws: SimulatedAws;
  readonly operator: IAMClient;
} {
  const suite = {} as { aws: SimulatedAws; operator: IAMClient };
  beforeAll(async () => {
    suite.aws = await startAws(services);
    suite.operator = new IAMClient(suite.aws.clientConfig);
  });
  afterAll(async () => {
    suite.operator.destroy();
    await suite.aws.stop();
  });
  return suite;
}

/** The inline policy `policyName` of `roleName`, as the document it decodes to. */
export async function inlinePolicyOf(
  client: IAMClient,
  roleName: string,
  policyName: string,
): Promise<unknown> {
  const answer = await client.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
  return JSON.parse(decodeURIComponent(answer.PolicyDocument ?? ''));
}

/** An environment reference; ids are `env-` + a 26-character ULID, the last 8 make names unique. */
export function environment(name = 'shop', tail = 'A1B2C3D4', team = 'payments'): EnvironmentRef {
  return { id: `env-01JD0000000000000000${tail}`, name, team };
}

/** A parsed spec: every default applied, as the workflow sees it. */
export function specWith(
  services: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): EnvironmentSpec {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: 'payments',
    services: services.map((service) => ({ image: 'nginx:1.27', ...service })),
    ...extra,
  });
}

export function service(name: string, extra: Record<string, unknown> = {}): ServiceSpec {
  const [parsed] = specWith([{ name, ...extra }]).services;
  if (!parsed) throw new Error('the spec has no service');
  return parsed;
}
