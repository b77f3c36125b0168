/**
 * Starts the simulated AWS on an ephemeral port with only the services a test file needs, at a tiny
 * time scale (1 AWS second = 1 ms), and gives the SDK v3 client settings that point at it.
 *
 * EC2's read-after-create windows are off here: at this scale a window is 1–3 ms, so a test that names
 * a VPC right after creating it passed or failed by how fast the next request went out (a CI run saw
 * CreateSubnet answer InvalidVpcID.NotFound in iam-ec2.test.ts). The windows have their own suite
 * (ec2-consistency.test.ts); a test about them turns them on with windows it can wait out
 * (`running.sim.ctx.consistency.enabled = true` and `windowSeconds`, as tests/aws/network.test.ts does).
 */
import type { LatencyModel, ServiceDefinition } from '../src/kernel';
import { type RunningSimulator, startSimulator } from '../src/server';

export interface SimulatedServices {
  running: RunningSimulator;
  /** Settings for any SDK v3 client: endpoint, region, dummy credentials. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    maxAttempts: number;
  };
}

export const TIME_SCALE = 0.001;

export async function startServices(
  services: ServiceDefinition[],
  seed = 7,
  latency: Partial<LatencyModel> = {},
): Promise<SimulatedServices> {
  const running = await startSimulator({
    port: 0,
    timeScale: TIME_SCALE,
    services,
    seed,
    latency,
    consistency: false,
  });
  return {
    running,
    clientConfig: {
      endpoint: running.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      // One attempt: tests assert on the first answer, throttling included.
      maxAttempts: 1,
    },
  };
}

/** Waits `awsSeconds` of simulated time. */
export function waitAwsSeconds(awsSeconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, awsSeconds * 1000 * TIME_SCALE + 5));
}
