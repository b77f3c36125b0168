/**
 * The provisioning workflow under EC2's read-after-create consistency
 * (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling): with the windows on (the
 * simulator's default) and widened so that every create-then-use meets one, provisioning reaches
 * READY; a NAT gateway that ends `failed` is replaced once and the environment is READY, routed
 * through the replacement; one whose replacement fails too ends FAILED with AWS's failure code, and
 * the rollback leaves nothing tagged.
 */
import type { NatGateway, RouteTable } from '@berth/aws-sim/services/ec2';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

let stack: WorkflowStack;
let counter = 0;

beforeAll(async () => {
  // 0.005: a failed NAT gateway stays listed for AWS's hour (18 s here), longer than the slowest wait
  // loop takes on a loaded machine, so the wait sees it fail as on AWS.
  stack = await startWorkflowStack({ timeScale: 0.005 });
});

afterAll(async () => {
  await stack.stop();
});

beforeEach(async () => {
  // 20 AWS seconds (100 ms here): longer than a call takes, so each use right after a create meets it.
  await setConsistency({ enabled: true, windowSeconds: [20, 20] });
  stack.simulator.sim.ctx.latency.natGatewayFailureRate = 0;
});

async function setConsistency(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${stack.simulator.url}/_local/consistency`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`PUT /_local/consistency answered ${response.status}`);
}

function team(): { team: string; caller: Caller } {
  counter += 1;
  const name = `rac${process.pid % 10_000}-${counter}`;
  return { team: name, caller: memberOf(name) };
}

async function start(caller: Caller, teamName: string, name: string): Promise<string> {
  const outcome = await createEnvironment(stack.deps, caller, {
    name,
    team: teamName,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment.id;
}

async function settled(caller: Caller, id: string): Promise<Environment> {
  await stack.settle(id, 150_000);
  return getEnvironment(stack.deps, caller, id);
}

async function destroy(caller: Caller, id: string): Promise<Environment> {
  await deleteEnvironment(stack.deps, caller, id);
  return settled(caller, id);
}

/** The environment's NAT gateways as the simulator holds them (failed and deleted ones included). */
function natGatewaysOf(environmentId: string): NatGateway[] {
  return stack.simulator.sim.store
    .list<NatGateway>('nat-gateway')
    .filter((nat) => nat.tags['berth:environment'] === environmentId);
}

/** NotFound answers EC2 gave so far (each one a read-after-create refusal berth retried). */
function refusedCalls(): number {
  const ec2 = stack.simulator.sim.callCounts().calls.ec2 ?? {};
  return Object.values(ec2).reduce((sum, counter) => sum + counter.failed, 0);
}

describe('read-after-create windows on', () => {
  it('provisions to READY although EC2 refuses every new id for a while, and tears down to nothing', async () => {
    // Prepare
    const owner = team();
    const refusedBefore = refusedCalls();

    // Act
    const ready = await settled(owner.caller, await start(owner.caller, owner.team, 'racready'));
    const deleted = await destroy(owner.caller, ready.id);

    // Assess
    expect(ready.status).toBe('READY');
    expect(ready.error).toBeUndefined();
    expect(refusedCalls()).toBeGreaterThan(refusedBefore);
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(ready.id)).toEqual({});
  });
});

describe('a NAT gateway that ends failed', () => {
  it('is replaced once: READY, the application subnets routed through the replacement', async () => {
    // Prepare: the first NAT gateway fails; once it exists, new ones succeed.
    const owner = team();
    stack.simulator.sim.ctx.latency.natGatewayFailureRate = 1;
    const id = await start(owner.caller, owner.team, 'racnatonce');
    let first: NatGateway | undefined;
    while (first === undefined) {
      [first] = natGatewaysOf(id);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    stack.simulator.sim.ctx.latency.natGatewayFailureRate = 0;

    // Act
    const ready = await settled(owner.caller, id);

    // Assess
    expect(first.failure?.code).toBe('InternalError');
    expect(ready.status).toBe('READY');
    const routes = stack.simulator.sim.store
      .list<RouteTable>('route-table')
      .filter((table) => table.tags['berth:environment'] === id)
      .flatMap((table) => table.routes.flatMap((route) => route.natGatewayId ?? []));
    const [replacementId] = new Set(routes);
    expect(new Set(routes).size).toBe(1);
    expect(replacementId).not.toBe(first.id);
    const replacement = natGatewaysOf(id).find((nat) => nat.id === replacementId);
    expect(replacement?.failure).toBeUndefined();
    expect(replacement?.tags).toMatchObject({ 'berth:part': 'nat-0', 'berth:team': owner.team });

    // Act / Assess: the teardown leaves nothing behind.
    const deleted = await destroy(owner.caller, id);
    expect(deleted.status).toBe('DELETED');
    expect(await stack.inventory(id)).toEqual({});
  });

  it('ends FAILED naming the failure code when the replacement fails too, with nothing left', async () => {
    // Prepare: every NAT gateway fails.
    const owner = team();
    stack.simulator.sim.ctx.latency.natGatewayFailureRate = 1;

    // Act
    const failed = await settled(owner.caller, await start(owner.caller, owner.team, 'racnattwice'));

    // Assess
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({
      step: 'nat-gateways-available',
      code: 'InternalError',
      message: expect.stringContaining('failed after 1 replacement(s)'),
    });
    expect(failed.error?.message).toMatch(/^NAT gateway nat-[0-9a-f]+ failed after 1 replacement/);
    expect(await stack.inventory(failed.id)).toEqual({});
  });
});
