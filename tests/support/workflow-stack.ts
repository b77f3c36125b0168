/**
 * The workflows end to end on one machine: the simulated AWS, the local Step Functions endpoint
 * running statemachines/*.asl.yml with the real step handlers in process, and the DynamoDB Local of
 * this jest run. Only endpoints and credentials differ from AWS: the handlers read them from the
 * same AWS_ENDPOINT_URL_<SERVICE> variables a deployment leaves unset. Each function signs as its own
 * role from serverless.yml, and the simulated AWS refuses what that role does not allow.
 */
import { resolve, sep } from 'node:path';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type RunningSimulator, type StartOptions, startSimulator } from '@berth/aws-sim/server';
import { dynamodbGate } from '@berth/aws-sim/services/dynamodb-gate';
import { services as registeredServices } from '@berth/aws-sim/services/index';
import { loadServerlessProject } from '@berth/sfn-local/definitions';
import type { ExecutionDescription } from '@berth/sfn-local/engine';
import type { LambdaHandler } from '@berth/sfn-local/invokers';
import { type LocalStepFunctions, startStepFunctions } from '@berth/sfn-local/server';
import { runWithCredentials } from '../../local/credential-scope.mjs';
import { type CredentialsByFunction, issueFunctionCredentials } from '../../local/function-identities';
import { SIMULATED_SERVICES } from '../../local/start';
import type { Dependencies, TeamPolicySource } from '../../shared/app/ports';
import { putTeamPolicy } from '../../shared/app/team-policies';
import { BUILT_IN_TEAM_POLICY, type TeamPolicyOverrides } from '../../shared/domain/team-policy';
import { EnvironmentStore } from '../../shared/store/environments';
import { TeamPolicyStore } from '../../shared/store/team-policies';
import { EventBridgeNotifier } from '../../shared/wiring/status-notifier';
import { StepFunctionsStarter } from '../../shared/workflow/executions';
import { ADMIN } from './callers';
import { TEST_TABLE, testDocumentClient, testEndpoint } from './dynamodb';
import { reportIamUse } from './iam-usage';

const STAGE = 'test';
/** The bus status events go to; read them back with `GET /_local/events?bus=` on the simulator. */
export const EVENT_BUS = `berth-${STAGE}`;
const SERVERLESS_YML = resolve(__dirname, '..', '..', 'serverless.yml');

export interface WorkflowStack {
  simulator: RunningSimulator;
  stepFunctions: LocalStepFunctions;
  /** The use cases' dependencies; creates and updates are checked against team policies, as deployed. */
  deps: Dependencies & { policies: TeamPolicySource };
  store: EnvironmentStore;
  /** What an admin's PUT /teams/{team}/policy does: the team may then use what the rules grant. */
  grantTeamPolicy(team: string, rules: TeamPolicyOverrides): Promise<void>;
  /** Resolves when the execution that owns the environment ends. */
  settle(environmentId: string, timeoutMs?: number): Promise<ExecutionDescription>;
  /** Live simulated resources carrying the environment's tag, by type. */
  inventory(environmentId: string): Promise<Record<string, unknown[]>>;
  /** Installs a fault in the simulated AWS (POST /_local/faults; see packages/aws-sim/src/faults.ts). */
  injectFault(fault: Record<string, unknown>): Promise<void>;
  /** Removes every installed fault. */
  clearFaults(): Promise<void>;
  /** The faults still installed (a fault with a count leaves once it has fired that often). */
  installedFaults(): Promise<Array<{ operation: string; fired: number }>>;
  stop(): Promise<void>;
}

/** Wraps a step handler, e.g. to run it twice (a crashed-and-retried Lambda) or to crash it once. */
export type HandlerWrapper = (functionKey: string, handler: LambdaHandler) => LambdaHandler;

/**
 * Every step handler of serverless.yml, each loaded lazily (after the endpoint variables are set) in a
 * module registry of its own — as each function is its own bundle and sandbox on Lambda, so no two
 * functions share an SDK client — and invoked with the credentials issued for its own role.
 */
function functionHandlers(
  credentials: CredentialsByFunction,
  wrap: HandlerWrapper = (_key, handler) => handler,
): Record<string, LambdaHandler> {
  const project = loadServerlessProject(SERVERLESS_YML, { stage: STAGE });
  const handlers: Record<string, LambdaHandler> = {};
  for (const fn of Object.values(project.functions)) {
    let real: LambdaHandler | undefined;
    const load = (): LambdaHandler => {
      if (!real) {
        const loaded: unknown = Reflect.get(loadInOwnRegistry(fn.modulePath), fn.exportName);
        if (typeof loaded !== 'function') throw new Error(`${fn.handler} is not a function`);
        real = loaded as LambdaHandler;
      }
      return real;
    };
    const own = credentials[fn.deployedName];
    if (own === undefined) throw new Error(`no credentials were issued for ${fn.deployedName}`);
    handlers[fn.key] = wrap(fn.key, (event, context) =>
      runWithCredentials(own, () => load()(event, context)),
    );
  }
  return handlers;
}

/**
 * A function's module with modules of its own: under jest an isolated registry; under tsx (the
 * benchmarks) berth's own modules loaded afresh for it while node_modules stay shared — the SDK
 * clients, and so their credentials, live in berth's modules (shared/aws/*, shared/wiring/*).
 */
function loadInOwnRegistry(modulePath: string): object {
  if (typeof jest !== 'undefined') {
    let loaded: object = {};
    jest.isolateModules(() => {
      loaded = require(modulePath) as object;
    });
    return loaded;
  }
  const berths = (key: string) => !key.includes(`${sep}node_modules${sep}`);
  const saved = Object.entries(require.cache).filter(([key]) => berths(key));
  for (const [key] of saved) delete require.cache[key];
  try {
    return require(modulePath) as object;
  } finally {
    for (const key of Object.keys(require.cache)) if (berths(key)) delete require.cache[key];
    Object.assign(require.cache, Object.fromEntries(saved));
  }
}

export async function startWorkflowStack(
  options: {
    timeScale?: number;
    simulator?: StartOptions;
    wrap?: HandlerWrapper;
    /** The suite takes grants away on purpose: IAM refusals do not fail it. */
    expectDenials?: boolean;
  } = {},
): Promise<WorkflowStack> {
  const timeScale = options.timeScale ?? 0.001;
  // The step functions reach the table through the simulator's IAM gate in front of DynamoDB Local.
  const simulator = await startSimulator({
    port: 0,
    timeScale,
    seed: 7,
    services: [...registeredServices, dynamodbGate({ upstream: testEndpoint() })],
    ...options.simulator,
  });
  const credentials = await issueFunctionCredentials(simulator.sim, SERVERLESS_YML, STAGE);
  const saved = { ...process.env };
  for (const service of SIMULATED_SERVICES) process.env[`AWS_ENDPOINT_URL_${service}`] = simulator.url;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: simulator.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    TABLE_NAME: TEST_TABLE,
    CIDR_POOL: '10.0.0.0/8',
    // serverless.yml's default taskRoleArnPattern in the local account.
    TASK_ROLE_ARN_PATTERN: 'arn:aws:iam::000000000000:role/berth-task-*',
    // serverless.yml's default taskRoleBoundaryArn: the stage's TaskRoleBoundary policy.
    TASK_ROLE_BOUNDARY_ARN: `arn:aws:iam::000000000000:policy/berth-${STAGE}-task-boundary`,
    JOBS_ROLE_ARN: 'arn:aws:iam::000000000000:role/berth-test-jobs',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    EVENT_BUS_NAME: EVENT_BUS,
  });
  const eventBridge = new EventBridgeClient({});
  await eventBridge.send(new CreateEventBusCommand({ Name: EVENT_BUS }));
  const stepFunctions = await startStepFunctions({
    port: 0,
    serverlessYmlPath: SERVERLESS_YML,
    stage: STAGE,
    invoke: 'in-process',
    handlers: functionHandlers(credentials, options.wrap),
    timeScale,
  });
  const arn = (name: string) => stepFunctions.engine.stateMachineArn(`berth-${STAGE}-${name}`);
  const store = new EnvironmentStore(testDocumentClient(), TEST_TABLE);
  const sfn = new SFNClient({
    endpoint: stepFunctions.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const deps: WorkflowStack['deps'] = {
    store,
    workflows: new StepFunctionsStarter(sfn, {
      provision: arn('provision'),
      teardown: arn('teardown'),
      update: arn('update'),
    }),
    notifier: new EventBridgeNotifier(EVENT_BUS, eventBridge),
    policies: {
      store: new TeamPolicyStore(testDocumentClient(), TEST_TABLE),
      defaults: BUILT_IN_TEAM_POLICY,
    },
  };

  return {
    simulator,
    stepFunctions,
    deps,
    store,
    async grantTeamPolicy(team, rules) {
      await putTeamPolicy(deps, ADMIN, team, rules);
    },
    async settle(environmentId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const environment = await store.get(environmentId);
        const owner = environment?.owner;
        if (!owner) throw new Error(`environment ${environmentId} has no owner`);
        const kind = owner.includes('-teardown-')
          ? 'teardown'
          : owner.includes('-update-')
            ? 'update'
            : 'provision';
        const executionArn = stepFunctions.engine.executionArn(`berth-${STAGE}-${kind}`, owner);
        const execution = await stepFunctions.engine.waitForExecution(
          executionArn,
          Math.max(1, deadline - Date.now()),
        );
        // A DELETE may have taken the environment over while we waited: follow the new owner.
        const after = await store.get(environmentId);
        if (after?.owner === owner || Date.now() > deadline) return execution;
      }
    },
    async injectFault(fault) {
      const response = await fetch(`${simulator.url}/_local/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fault),
      });
      if (response.status !== 201) throw new Error(`fault not accepted: ${await response.text()}`);
    },
    async clearFaults() {
      await fetch(`${simulator.url}/_local/faults`, { method: 'DELETE' });
    },
    async installedFaults() {
      const response = await fetch(`${simulator.url}/_local/faults`);
      return ((await response.json()) as { faults: Array<{ operation: string; fired: number }> }).faults;
    },
    async inventory(environmentId) {
      const response = await fetch(
        `${simulator.url}/_local/resources?tag=${encodeURIComponent(`berth:environment=${environmentId}`)}`,
      );
      const body = (await response.json()) as { resources: Record<string, unknown[]> };
      return body.resources;
    },
    async stop() {
      sfn.destroy();
      eventBridge.destroy();
      stepFunctions.engine.stopAll();
      await stepFunctions.close();
      await simulator.close();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      reportIamUse(simulator.sim.iam, { expectDenials: options.expectDenials ?? false });
    },
  };
}
