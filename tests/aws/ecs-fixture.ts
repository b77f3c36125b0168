/**
 * The simulated AWS (EC2, SSM, ECS, Auto Scaling, Logs, ELBv2) on an ephemeral port at a tiny time
 * scale (1 AWS second = 1 ms), SDK clients pointed at it, a small network, and helpers for the
 * cluster and service tests: a parsed environment spec, a target group behind a listener, teardown
 * passes repeated until done.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type RunningSimulator, startSimulator } from '@berth/aws-sim/server';
import { services } from '@berth/aws-sim/services/index';
import { createNetwork, type TestNetwork } from '@berth/aws-sim/tests/network-fixture';
import type { ClusterClients } from '../../shared/aws/cluster';
import type { ServiceClients } from '../../shared/aws/service';
import type { TeardownProgress } from '../../shared/aws/teardown';
import { type EnvironmentRef, environmentTags, TAG_ENVIRONMENT } from '../../shared/domain/naming';
import {
  type EnvironmentRequest,
  type EnvironmentSpec,
  environmentRequestSchema,
} from '../../shared/domain/spec';

export const TIME_SCALE = 0.001;
export const REGION = 'us-east-1';
export const EXECUTION_ROLE_ARN = 'arn:aws:iam::000000000000:role/berth-task-execution';
export const INSTANCE_PROFILE_ARN = 'arn:aws:iam::000000000000:instance-profile/berth-container-instance';

export interface SimulatedAws {
  running: RunningSimulator;
  clients: ClusterClients & ServiceClients & { elbv2: ElasticLoadBalancingV2Client };
  network: TestNetwork;
  /** Live simulator resources carrying the environment tag, by type (`ecs-cluster`, `log-group`…). */
  tagged(environmentId: string): Record<string, Array<{ id: string; status?: unknown }>>;
  close(): Promise<void>;
}

export async function startSimulatedAws(seed = 5): Promise<SimulatedAws> {
  const running = await startSimulator({ port: 0, timeScale: TIME_SCALE, services, seed });
  const config = {
    endpoint: running.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const clients = {
    ecs: new ECSClient(config),
    autoScaling: new AutoScalingClient(config),
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    logs: new CloudWatchLogsClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
  };
  const network = await createNetwork({ running, clientConfig: { ...config, maxAttempts: 3 } });
  return {
    running,
    clients,
    network,
    tagged: (environmentId) =>
      running.sim.inventory({ tag: `${TAG_ENVIRONMENT}=${environmentId}` }) as Record<
        string,
        Array<{ id: string; status?: unknown }>
      >,
    close: async () => {
      for (const client of Object.values(clients)) client.destroy();
      await running.close();
    },
  };
}

/** A parsed spec (every default applied) with one service `api`, plus `overrides`. */
export function parseSpec(overrides: Partial<EnvironmentRequest> = {}): EnvironmentSpec {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: 'payments',
    services: [{ name: 'api', image: 'nginx:1.27' }],
    ...overrides,
  });
}

export function environment(id: string, name = 'shop'): EnvironmentRef {
  return { id, name, team: 'payments' };
}

export function tagsOf(env: EnvironmentRef): Record<string, string> {
  return environmentTags(env, { 'cost-center': 'cc-42' });
}

/** An IP target group on `port` forwarded to by a listener of a new ALB (ECS refuses a group without one). */
export async function createTargetGroup(aws: SimulatedAws, name: string, port = 80): Promise<string> {
  const { elbv2 } = aws.clients;
  const { LoadBalancers = [] } = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: `${name}-alb`,
      Subnets: aws.network.subnetIds,
      SecurityGroups: [aws.network.securityGroupId],
    }),
  );
  const { TargetGroups = [] } = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: 'HTTP',
      Port: port,
      VpcId: aws.network.vpcId,
      TargetType: 'ip',
      HealthCheckPath: '/',
      HealthCheckIntervalSeconds: 12,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
    }),
  );
  const loadBalancerArn = LoadBalancers[0]?.LoadBalancerArn;
  const targetGroupArn = TargetGroups[0]?.TargetGroupArn;
  if (!loadBalancerArn || !targetGroupArn) throw new Error('the simulated ELBv2 answered no ARN');
  await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  return targetGroupArn;
}

/** Runs teardown passes (as the workflow's Wait → pass loop does) until one is done; answers every pass. */
export async function passUntilDone(
  pass: () => Promise<TeardownProgress>,
  maxPasses = 50,
  waitAwsSeconds = 15,
): Promise<TeardownProgress[]> {
  const passes: TeardownProgress[] = [];
  for (let i = 0; i < maxPasses; i += 1) {
    const progress = await pass();
    passes.push(progress);
    if (progress.done) return passes;
    await new Promise((resolve) => setTimeout(resolve, waitAwsSeconds * 1000 * TIME_SCALE));
  }
  throw new Error(`not done after ${maxPasses} passes: ${JSON.stringify(passes.at(-1)?.blocked)}`);
}

/** Polls `probe` until it answers a value, or fails after `timeoutMs` of wall time. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
