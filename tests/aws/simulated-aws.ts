/**
 * Shared set-up of the `shared/aws` module tests: the simulated AWS with the services a suite needs,
 * a network to put an ALB in, environments and specs made by the real schema (so defaults apply).
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
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
