/**
 * Reachability kept in step by updates (docs/aws-facts.md#security-groups-and-alb-health-checks): the
 * simulated ALB's health checks honour security groups, so a service on a new port is healthy only
 * once the service group lets the load balancer group in on that port, and a changed port reaches ECS
 * as new `loadBalancers`; a port no service uses any more is revoked after the rollout.
 */
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

let stack: WorkflowStack;
let ec2: EC2Client;
let ecs: ECSClient;
let elb: ElasticLoadBalancingV2Client;
let counter = 0;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
  const config = {
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  ec2 = new EC2Client(config);
  ecs = new ECSClient(config);
  elb = new ElasticLoadBalancingV2Client(config);
});

afterAll(async () => {
  ec2.destroy();
  ecs.destroy();
  elb.destroy();
  await stack.stop();
});

const web = { name: 'web', image: 'nginx:1.27', port: 80 };
const api = { name: 'api', image: 'nginx:1.27', port: 8080, routing: { pathPatterns: ['/api/*'] } };

async function readyEnvironment(): Promise<{ caller: Caller; environment: Environment }> {
  counter += 1;
  const team = `port${process.pid % 10_000}-${counter}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, { name: 'app', team, services: [web] });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  return { caller, environment: await getEnvironment(stack.deps, caller, outcome.environment.id) };
}

async function patch(caller: Caller, environment: Environment, body: unknown): Promise<Environment> {
  await updateEnvironment(stack.deps, caller, environment.id, body, `"${environment.version}"`);
  await stack.settle(environment.id);
  return getEnvironment(stack.deps, caller, environment.id);
}

/** The ports the service group lets in from another group (the load balancer's), sorted. */
async function servicePorts(environment: Environment): Promise<number[]> {
  const { SecurityGroups = [] } = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'tag:berth:environment', Values: [environment.id] },
        { Name: 'tag:berth:part', Values: ['sg-service'] },
      ],
    }),
  );
  const permissions = SecurityGroups[0]?.IpPermissions ?? [];
  return permissions
    .filter((permission) => (permission.UserIdGroupPairs ?? []).length > 0)
    .map((permission) => permission.FromPort ?? -1)
    .sort((a, b) => a - b);
}

/** The ECS service's load balancer port and the health of its targets on that port. */
async function serving(environment: Environment, service: string) {
  const { services = [] } = await ecs.send(
    new DescribeServicesCommand({ cluster: String(environment.outputs.clusterArn), services: [service] }),
  );
  const [loadBalancer] = services[0]?.loadBalancers ?? [];
  const { TargetHealthDescriptions = [] } = await elb.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: loadBalancer?.targetGroupArn }),
  );
  return {
    containerPort: loadBalancer?.containerPort,
    targets: TargetHealthDescriptions.map((description) => ({
      port: description.Target?.Port,
      state: description.TargetHealth?.State,
    })).filter((target) => target.state !== 'draining'),
  };
}

async function teardown(caller: Caller, id: string): Promise<void> {
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id);
  expect(await stack.inventory(id)).toEqual({});
}

it('opens a new service port to the load balancer, so the added service turns healthy and READY', async () => {
  const { caller, environment } = await readyEnvironment();
  const before = await servicePorts(environment);

  const grown = await patch(caller, environment, { services: [web, api] });

  expect(environment.status).toBe('READY');
  expect(before).toEqual([80]);
  expect(grown.error).toBeUndefined();
  expect(grown.status).toBe('READY');
  expect(await servicePorts(grown)).toEqual([80, 8080]);
  const api8080 = await serving(grown, 'api');
  expect(api8080.containerPort).toBe(8080);
  expect(api8080.targets.length).toBeGreaterThan(0);
  expect(api8080.targets.every((target) => target.port === 8080 && target.state === 'healthy')).toBe(true);
  await teardown(caller, environment.id);
});

it("moves a service to a new port: READY, targets healthy on it, the old port's rule revoked", async () => {
  const { caller, environment } = await readyEnvironment();

  const moved = await patch(caller, environment, { services: [{ ...web, port: 8081 }] });

  expect(moved.error).toBeUndefined();
  expect(moved.status).toBe('READY');
  expect(await servicePorts(moved)).toEqual([8081]);
  const web8081 = await serving(moved, 'web');
  expect(web8081.containerPort).toBe(8081);
  expect(web8081.targets.length).toBeGreaterThan(0);
  expect(web8081.targets.every((target) => target.port === 8081 && target.state === 'healthy')).toBe(true);
  await teardown(caller, environment.id);
});

it('revokes the port of a removed service once the update is READY', async () => {
  const { caller, environment } = await readyEnvironment();
  const grown = await patch(caller, environment, { services: [web, api] });

  const shrunk = await patch(caller, grown, { services: [web] });

  expect(grown.status).toBe('READY');
  expect(shrunk.status).toBe('READY');
  expect(await servicePorts(shrunk)).toEqual([80]);
  await teardown(caller, environment.id);
});
