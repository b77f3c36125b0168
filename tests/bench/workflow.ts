/**
 * Section "workflow": provisioning, an image-only update and teardown of a one-service Fargate
 * environment (single NAT gateway) on the simulated AWS, each against its critical path computed
 * from the durations the latency model actually drew for that run, plus state transitions, Lambda
 * invocations, AWS API calls and what one environment costs in Step Functions, Lambda and DynamoDB.
 */
import type { SimClock, SimResource } from '@berth/aws-sim/kernel';
import { deleteEnvironment } from '../../shared/app/delete';
import { updateEnvironment } from '../../shared/app/update';
import type { SectionResult } from './report';
import { formatSeconds, formatUsd, median, spread } from './stats';
import {
  type BenchWorkflowStack,
  callerFor,
  callsBetween,
  type Invocation,
  requestEnvironment,
  startBenchWorkflowStack,
  totalOf,
} from './workflow-harness';

/** AWS list prices, us-east-1, read 2026 from the pricing pages (Step Functions, Lambda, DynamoDB). */
const PRICES = {
  stepFunctionsTransition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1_000_000,
  /** serverless.yml: architecture arm64. */
  lambdaArmGbSecond: 0.0000133334,
  /** serverless.yml: provider.memorySize 512 for every function. */
  lambdaMemoryGb: 0.5,
  /** On-demand since the November 2024 price cut. */
  dynamoWriteUnit: 0.625 / 1_000_000,
  dynamoReadUnit: 0.125 / 1_000_000,
} as const;

export interface WorkflowOptions {
  timeScale: number;
  repeats: number;
}

interface Phase {
  wallSeconds: number;
  criticalSeconds: number;
  transitions: number;
  invocations: number;
  retries: number;
  awsCalls: number;
  lambdaMs: number;
  lambdaGbSeconds: number;
  writeUnits: number;
  readUnits: number;
  cost: { stepFunctions: number; lambda: number; dynamodb: number };
  detail: string;
  status: string;
  /** Update only: until the rollout is COMPLETED (old tasks drained and stopped). */
  completedSeconds?: number;
}

interface NetworkInterface extends SimResource {
  vpcId: string;
}
interface NatGateway extends SimResource {
  vpcId: string;
  settlesAt: number;
  deletedAt?: number;
  networkInterfaceId: string;
}
interface LoadBalancer extends SimResource {
  activeAt: number;
  zones: Array<{ networkInterfaceId: string }>;
}
interface Deployment {
  status: string;
  createdAt: number;
  updatedAt: number;
  healthyAt?: number;
  rolloutState: string;
}
interface EcsService extends SimResource {
  arn: string;
  deployments: Deployment[];
}
interface EcsTask extends SimResource {
  serviceArn?: string;
  networkInterfaceId?: string;
  stoppingAt?: number;
  drainedAt?: number;
  stoppedAt?: number;
}

/** Records the simulated time at which `field` is first assigned a defined value. */
function watchAssignment(resource: object, field: string, clock: SimClock): { at?: number } {
  const seen: { at?: number } = {};
  let value: unknown = Reflect.get(resource, field);
  Object.defineProperty(resource, field, {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (next: unknown) => {
      if (seen.at === undefined && next !== undefined) seen.at = clock.now();
      value = next;
    },
  });
  return seen;
}

function one<T>(items: T[], what: string): T {
  const [first] = items;
  if (first === undefined || items.length !== 1)
    throw new Error(`expected one ${what}, found ${items.length}`);
  return first;
}

function primaryDeployment(service: EcsService): Deployment {
  return one(
    service.deployments.filter((deployment) => deployment.status === 'PRIMARY'),
    'primary deployment',
  );
}

const seconds = (ms: number) => ms / 1000;

/** How a readiness wait was polled: checks made, and simulated seconds between ready and seen ready. */
function pollOf(invocations: Invocation[], functionKey: string, readyAt: number): string {
  const checks = invocations.filter((invocation) => invocation.functionKey === functionKey);
  const seen = checks.find((invocation) => invocation.ready === true);
  if (!seen) return `${functionKey}: never seen ready`;
  return `${functionKey} ${checks.length} checks, seen ready ${seconds(seen.simStart - readyAt).toFixed(0)} s late`;
}

/** What each pass after `after` still reported blocked: the passes the critical path does not explain. */
function blockedAfter(invocations: Invocation[], functionKey: string, after: number): string {
  const late = invocations.filter(
    (invocation) =>
      invocation.functionKey === functionKey && invocation.simStart > after && !invocation.ready,
  );
  if (late.length === 0) return 'no pass after the last ENI went was blocked';
  return `passes after the last ENI went: ${late
    .map(
      (pass) =>
        `+${seconds(pass.simStart - after).toFixed(0)} s blocked by ${(pass.blocked ?? ['nothing reported']).slice(0, 3).join(', ')}`,
    )
    .join('; ')}`;
}

/** Runs one workflow to its end and gathers what it cost; `start` begins it and names the environment. */
async function measurePhase(
  bench: BenchWorkflowStack,
  timeScale: number,
  start: () => Promise<string>,
): Promise<Omit<Phase, 'criticalSeconds' | 'detail'> & { environmentId: string; timeline: Invocation[] }> {
  const callsBefore = await bench.awsCalls();
  bench.dynamodb.reset();
  bench.invocations.length = 0;
  const environmentId = await start();
  const executionArn = await bench.ownerExecutionArn(environmentId);
  const execution = await bench.stack.stepFunctions.engine.waitForExecution(executionArn, 600_000);
  const stats = bench.stack.stepFunctions.engine.getExecutionStats(executionArn);
  const calls = callsBetween(callsBefore, await bench.awsCalls());
  const counts = bench.dynamodb.counts();
  const environment = await bench.stack.store.get(environmentId);
  // Item size drives DynamoDB request units: 1 WRU per KB written, 1 RRU per 4 KB (half when eventual).
  const itemKb = Math.max(1, Math.ceil(JSON.stringify(environment ?? {}).length / 1024));
  const writeUnits = (counts.itemWrites + counts.transactionalItemWrites) * itemKb;
  const readUnits = (counts.strongReads + counts.eventualReads / 2) * Math.ceil(itemKb / 4);
  const lambdaMs = bench.invocations.reduce((sum, invocation) => sum + Math.ceil(invocation.durationMs), 0);
  const lambdaGbSeconds = (lambdaMs / 1000) * PRICES.lambdaMemoryGb;
  return {
    environmentId,
    timeline: [...bench.invocations],
    wallSeconds: seconds(stats.durationMs) / timeScale,
    transitions: stats.stateTransitions,
    invocations: stats.lambdaInvocations,
    retries: stats.retries,
    awsCalls: totalOf(calls),
    lambdaMs,
    lambdaGbSeconds,
    writeUnits,
    readUnits,
    status: `${execution.status}/${environment?.status ?? '?'}`,
    cost: {
      stepFunctions: stats.stateTransitions * PRICES.stepFunctionsTransition,
      lambda: stats.lambdaInvocations * PRICES.lambdaRequest + lambdaGbSeconds * PRICES.lambdaArmGbSecond,
      dynamodb: writeUnits * PRICES.dynamoWriteUnit + readUnits * PRICES.dynamoReadUnit,
    },
  };
}

function withoutTimeline<T extends { timeline: Invocation[]; environmentId: string }>(
  measured: T,
): Omit<T, 'timeline' | 'environmentId'> {
  const { timeline: _timeline, environmentId: _environmentId, ...rest } = measured;
  return rest;
}

interface Run {
  provision: Phase;
  update: Phase;
  teardown: Phase;
}

async function runOnce(bench: BenchWorkflowStack, timeScale: number, index: number): Promise<Run> {
  const { sim } = bench.stack.simulator;
  const team = `bench${process.pid % 10_000}-${index}`;
  const caller = callerFor(team);

  // Provisioning: NAT available || ALB active, then the service's tasks running and healthy.
  const provisioned = await measurePhase(bench, timeScale, () =>
    requestEnvironment(bench.stack, team, `bench-${index}`),
  );
  const id = provisioned.environmentId;
  const nat = one(bench.resources<NatGateway>('nat-gateway', id), 'NAT gateway');
  const loadBalancer = one(bench.resources<LoadBalancer>('load-balancer', id), 'load balancer');
  const service = one(bench.resources<EcsService>('ecs-service', id), 'ECS service');
  const natWait = nat.settlesAt - nat.createdAt;
  const albWait = loadBalancer.activeAt - loadBalancer.createdAt;
  const first = primaryDeployment(service);
  const serviceWait = (first.healthyAt ?? Number.NaN) - first.createdAt;
  const provision: Phase = {
    ...withoutTimeline(provisioned),
    criticalSeconds: seconds(Math.max(natWait, albWait) + serviceWait),
    detail:
      `NAT ${seconds(natWait).toFixed(0)} s, ALB ${seconds(albWait).toFixed(0)} s, tasks running+healthy ${seconds(serviceWait).toFixed(0)} s; ` +
      `${pollOf(provisioned.timeline, 'checkNatGateways', nat.settlesAt)}; ` +
      `${pollOf(provisioned.timeline, 'checkLoadBalancer', loadBalancer.activeAt)}; ` +
      `${pollOf(provisioned.timeline, 'checkServices', first.updatedAt)}`,
  };

  // Image-only update: the new deployment's tasks running and healthy (then the old ones drain).
  const before = await bench.stack.store.get(id);
  const updated = await measurePhase(bench, timeScale, async () => {
    await updateEnvironment(
      bench.stack.deps,
      caller,
      id,
      { services: [{ name: 'web', image: 'nginx:1.28' }] },
      `"${before?.version ?? 0}"`,
    );
    return id;
  });
  const rollout = primaryDeployment(service);
  const healthy = (rollout.healthyAt ?? Number.NaN) - rollout.createdAt;
  const completed = rollout.updatedAt - rollout.createdAt;
  const update: Phase = {
    ...withoutTimeline(updated),
    criticalSeconds: seconds(healthy),
    completedSeconds: seconds(completed),
    detail:
      `new tasks healthy ${seconds(healthy).toFixed(0)} s, ` +
      (completed > 0
        ? `rollout COMPLETED (old tasks drained) ${seconds(completed).toFixed(0)} s; `
        : 'old tasks still draining at READY; ') +
      pollOf(updated.timeline, 'checkServices', rollout.healthyAt ?? Number.NaN),
  };

  // Teardown: watch when each deletion starts, so the chains use the durations drawn for this run.
  const network = (eniId: string | undefined) =>
    eniId === undefined ? undefined : sim.store.get<SimResource>('network-interface', eniId);
  const tasks = sim.store
    .list<EcsTask>('ecs-task')
    .filter((task) => task.serviceArn === service.arn && task.stoppingAt === undefined)
    .map((task) => ({ task, eni: network(task.networkInterfaceId) }));
  const albEnis = loadBalancer.zones.flatMap((zone) => network(zone.networkInterfaceId) ?? []);
  const natEni = network(nat.networkInterfaceId);
  const albDeleted = watchAssignment(loadBalancer, 'goneAt', sim.clock);
  const natDeleted = watchAssignment(nat, 'deletedAt', sim.clock);
  // ENIs already on their way out when the teardown starts (the update's old tasks, stopped while it
  // rolled out): nothing berth does shortens them, so they count from the teardown's start.
  const tracked = new Set(
    [...tasks.map(({ eni }) => eni), ...albEnis, natEni].flatMap((eni) => (eni ? [eni.id] : [])),
  );
  const lingering = sim.store
    .list<NetworkInterface>('network-interface')
    .filter((eni) => eni.vpcId === nat.vpcId && !tracked.has(eni.id));
  const teardownStart = sim.clock.now();
  const tornDown = await measurePhase(bench, timeScale, async () => {
    await deleteEnvironment(bench.stack.deps, caller, id);
    return id;
  });
  const drain = Math.max(...tasks.map(({ task }) => (task.drainedAt ?? Number.NaN) - (task.stoppingAt ?? 0)));
  const taskChain = Math.max(
    ...tasks.map(({ task, eni }) => (eni?.goneAt ?? Number.NaN) - (task.stoppingAt ?? Number.NaN)),
  );
  const albChain = Math.max(
    ...albEnis.map((eni) => (eni.goneAt ?? Number.NaN) - (albDeleted.at ?? Number.NaN)),
  );
  const natChain = (natEni?.goneAt ?? Number.NaN) - (natDeleted.at ?? Number.NaN);
  // Nothing orders these chains: berth deletes the services, the ALB and the NAT gateway in its
  // first pass, and AWS lets the ALB go while targets drain. So the critical path is the longest
  // chain, each timed from berth's own deletion call (reaching that call counts against berth).
  const lingeringChain = Math.max(0, ...lingering.map((eni) => (eni.goneAt ?? Number.NaN) - teardownStart));
  const critical = Math.max(taskChain, albChain, natChain, lingeringChain);
  const lastGone = Math.max(
    ...[...tasks.map(({ eni }) => eni), ...albEnis, natEni, ...lingering].map(
      (eni) => eni?.goneAt ?? Number.NaN,
    ),
  );
  const teardown: Phase = {
    ...withoutTimeline(tornDown),
    criticalSeconds: seconds(critical),
    detail:
      `tasks drained (${seconds(drain).toFixed(0)} s), stopped and their ENIs released ${seconds(taskChain).toFixed(0)} s; ` +
      `ALB deleted + its ENIs released ${seconds(albChain).toFixed(0)} s; NAT deleted + its ENI released ${seconds(natChain).toFixed(0)} s; ` +
      `${lingering.length} ENI(s) already releasing at the start (the update's old tasks) gone ${seconds(lingeringChain).toFixed(0)} s in; ` +
      `${pollOf(tornDown.timeline, 'teardownPass', lastGone)} (${blockedAfter(tornDown.timeline, 'teardownPass', lastGone)})`,
  };
  return { provision, update, teardown };
}

function range(values: number[], format: (value: number) => string): string {
  const median_ = format(median(values));
  if (values.length < 2) return median_;
  const { min, max } = spread(values);
  return `${median_} (${format(min)}–${format(max)})`;
}

const integer = (value: number) => value.toFixed(0);

export async function runWorkflowSection(options: WorkflowOptions, command: string): Promise<SectionResult> {
  const startedAt = new Date();
  const bench = await startBenchWorkflowStack({ timeScale: options.timeScale });
  const runs: Run[] = [];
  try {
    // A first lifecycle loads and transpiles every step module and warms the SDK clients; an AWS
    // Lambda cold start costs ~1 s once per container, here it would be multiplied by 1/timeScale.
    process.stdout.write('  warm-up run (not measured)…\n');
    await runOnce(bench, options.timeScale, 0);
    for (let index = 1; index <= options.repeats; index += 1) {
      const run = await runOnce(bench, options.timeScale, index);
      process.stdout.write(
        `  run ${index}: provision ${run.provision.wallSeconds.toFixed(0)}/${run.provision.criticalSeconds.toFixed(0)} s, ` +
          `update ${run.update.wallSeconds.toFixed(0)}/${run.update.criticalSeconds.toFixed(0)} s, ` +
          `teardown ${run.teardown.wallSeconds.toFixed(0)}/${run.teardown.criticalSeconds.toFixed(0)} s\n`,
      );
      runs.push(run);
    }
  } finally {
    await bench.stop();
  }
  const rows: SectionResult['rows'] = [];
  const notes: string[] = [];
  const phases: Array<[keyof Run, string, string]> = [
    [
      'provision',
      'Provisioning',
      'critical path: max(NAT available, ALB active) + tasks running and healthy',
    ],
    ['update', 'Image-only update', 'new tasks running and healthy'],
    [
      'teardown',
      'Teardown',
      'critical path: max(tasks drained + stopped → ENIs released, ALB deleted → ENIs released, NAT deleted → ENI released, ENIs already releasing at its start)',
    ],
  ];
  for (const [key, title, baseline] of phases) {
    const phase = runs.map((run) => run[key]);
    const ratios = phase.map((p) => p.wallSeconds / p.criticalSeconds);
    const worst = Math.max(...ratios);
    rows.push({
      figure: `${title}: wall time (simulated s) vs ${baseline}`,
      measured: range(
        phase.map((p) => p.wallSeconds),
        formatSeconds,
      ),
      baseline: range(
        phase.map((p) => p.criticalSeconds),
        formatSeconds,
      ),
      ratio: median(ratios),
      target: '≤ 1.15× (every run)',
      met: worst <= 1.15,
    });
    // Only when the rollout had completed by READY: berth now reads READY as soon as the new tasks
    // serve, usually before ECS says COMPLETED, and the simulator then has no completion time yet.
    const completed = phase.flatMap((p) =>
      p.completedSeconds === undefined || p.completedSeconds <= 0 ? [] : [p.completedSeconds],
    );
    if (completed.length === phase.length) {
      rows.push({
        figure: `${title}: wall time (simulated s) vs ECS rollout COMPLETED (new tasks healthy + old tasks drained and stopped)`,
        measured: range(
          phase.map((p) => p.wallSeconds),
          formatSeconds,
        ),
        baseline: range(completed, formatSeconds),
        ratio: median(phase.map((p) => p.wallSeconds / (p.completedSeconds ?? Number.NaN))),
        target: 'informational',
      });
    }
    const transitions = phase.map((p) => p.transitions);
    const invocations = phase.map((p) => p.invocations);
    rows.push({
      figure: `${title}: state transitions`,
      measured: range(transitions, integer),
      target: key === 'provision' ? '≤ 100' : undefined,
      met: key === 'provision' ? Math.max(...transitions) <= 100 : undefined,
    });
    rows.push({
      figure: `${title}: Lambda invocations (retries ${range(
        phase.map((p) => p.retries),
        integer,
      )})`,
      measured: range(invocations, integer),
      target: key === 'provision' ? '≤ 40' : undefined,
      met: key === 'provision' ? Math.max(...invocations) <= 40 : undefined,
    });
    rows.push({
      figure: `${title}: AWS API calls (simulator /_local/calls)`,
      measured: range(
        phase.map((p) => p.awsCalls),
        integer,
      ),
    });
    notes.push(
      `${title} per run — ${phase
        .map(
          (p, index) =>
            `run ${index + 1} (${p.status}): wall ${p.wallSeconds.toFixed(0)} s vs ${p.criticalSeconds.toFixed(0)} s = ${(
              p.wallSeconds / p.criticalSeconds
            ).toFixed(2)}× [${p.detail}]; step handlers ran ${p.lambdaMs} ms of wall time ` +
            `(= ${(p.lambdaMs / 1000 / options.timeScale).toFixed(0)} simulated s at this time scale)`,
        )
        .join('; ')}.`,
    );
  }
  const lifecycle = runs.map((run) => {
    const sum = (phase: Phase) => phase.cost.stepFunctions + phase.cost.lambda + phase.cost.dynamodb;
    return { total: sum(run.provision) + sum(run.teardown), update: sum(run.update), run };
  });
  rows.push({
    figure: 'Control-plane cost per environment (provision + teardown): Step Functions + Lambda + DynamoDB',
    measured: range(
      lifecycle.map((entry) => entry.total),
      formatUsd,
    ),
  });
  rows.push({
    figure: 'Control-plane cost per image-only update',
    measured: range(
      lifecycle.map((entry) => entry.update),
      formatUsd,
    ),
  });
  const example = lifecycle[Math.floor(lifecycle.length / 2)]?.run;
  if (example) {
    const describe = (phase: Phase) =>
      `Step Functions ${phase.transitions} transitions = ${formatUsd(phase.cost.stepFunctions)}, ` +
      `Lambda ${phase.invocations} requests + ${phase.lambdaGbSeconds.toFixed(2)} GB-s = ${formatUsd(phase.cost.lambda)}, ` +
      `DynamoDB ${phase.writeUnits} WRU + ${phase.readUnits} RRU = ${formatUsd(phase.cost.dynamodb)}`;
    notes.push(
      `Cost breakdown (run ${Math.floor(lifecycle.length / 2) + 1}): provisioning: ${describe(example.provision)}; ` +
        `teardown: ${describe(example.teardown)}; update: ${describe(example.update)}. Prices (us-east-1): Step Functions ` +
        'Standard $0.025 per 1,000 transitions; Lambda $0.20 per million requests and $0.0000133334 per GB-s (arm64, 512 MB ' +
        'as serverless.yml configures); DynamoDB on-demand $0.625 per million WRU, $0.125 per million RRU. Lambda GB-s use ' +
        "the handlers' measured in-process durations (local AWS answers in ~1 ms, so AWS would bill more); DynamoDB units " +
        'count every request through a proxy in front of DynamoDB Local, sized by the final environment item (1 KB per WRU, ' +
        '4 KB per RRU, transactions doubled).',
    );
  }
  notes.push(
    `Time scale ${options.timeScale}: simulated seconds = wall seconds / ${options.timeScale}. Every wall millisecond a ` +
      `step handler or the engine spends counts ${(1 / options.timeScale / 1000).toFixed(1)} simulated seconds, so ` +
      'the ratios include local step overhead magnified by the time scale as well as poll overshoot.',
  );
  return {
    name: 'workflow',
    title: '1. Workflow (simulated AWS latency model)',
    command,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    rows,
    notes,
  };
}
