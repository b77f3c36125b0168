/**
 * The simulated AWS (EC2 only) on an ephemeral port at a tiny time scale (1 AWS second = 1 ms), an
 * EC2Client pointed at it, and what the simulator knows: live resources and call counts.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { LatencyModel } from '@berth/aws-sim/kernel';
import { type RunningSimulator, startSimulator } from '@berth/aws-sim/server';
import { ec2 } from '@berth/aws-sim/services/ec2';
import { TAG_ENVIRONMENT } from '../../shared/domain/naming';

export const TIME_SCALE = 0.001;

export interface SimulatedEc2 {
  running: RunningSimulator;
  client: EC2Client;
  /** Live resources carrying the environment tag, by simulator type (`vpc`, `subnet`, `nat-gateway`…). */
  tagged(environmentId: string): Record<string, { id: string; tags: Record<string, string> }[]>;
  /** Live resources of one type, tagged or not. */
  ofType(type: string): { id: string; tags: Record<string, string> }[];
  /** How many times each EC2 operation was called so far. */
  calls(): Record<string, number>;
  close(): Promise<void>;
}

export async function startSimulatedEc2(
  latency: Partial<LatencyModel> = {},
  seed = 11,
): Promise<SimulatedEc2> {
  const running = await startSimulator({ port: 0, timeScale: TIME_SCALE, services: [ec2], seed, latency });
  const client = new EC2Client({
    endpoint: running.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    running,
    client,
    tagged: (environmentId) => running.sim.inventory({ tag: `${TAG_ENVIRONMENT}=${environmentId}` }),
    ofType: (type) => running.sim.inventory({ type })[type] ?? [],
    calls: () =>
      Object.fromEntries(
        Object.entries(running.sim.callCounts().calls.ec2 ?? {}).map(([operation, count]) => [
          operation,
          count.count,
        ]),
      ),
    close: async () => {
      client.destroy();
      await running.close();
    },
  };
}

/** Real milliseconds for `awsSeconds` of simulated time. */
export function waitAwsSeconds(awsSeconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, awsSeconds * 1000 * TIME_SCALE + 2));
}
