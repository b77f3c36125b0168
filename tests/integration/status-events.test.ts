/**
 * The status events of the API-side changes (create → REQUESTED, PATCH → UPDATING, DELETE →
 * DELETING) against DynamoDB Local, with EventBridge mocked at the SDK boundary and Step Functions
 * replaced by a recorder: when an event goes out, and what a refused event does to the request.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import type { Dependencies } from '../../shared/app/ports';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import { type StatusEvent, statusEventSchema } from '../../shared/domain/status-event-schema';
import type { Caller } from '../../shared/http/identity';
import { EnvironmentStore } from '../../shared/store/environments';
import { EventBridgeNotifier } from '../../shared/wiring/status-notifier';
import type { WorkflowKind, WorkflowStarter } from '../../shared/workflow/executions';
import { memberOf } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const eventBridge = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'us-east-1' });

class RecordingWorkflows implements WorkflowStarter {
  /** Each start, with how many status events had been sent by then. */
  readonly started: { kind: WorkflowKind; name: string; eventsSent: number }[] = [];

  async start(kind: WorkflowKind, name: string): Promise<string> {
    this.started.push({ kind, name, eventsSent: eventBridge.commandCalls(PutEventsCommand).length });
    return `arn:aws:states:us-east-1:000000000000:execution:berth-test-${kind}:${name}`;
  }

  async stop(): Promise<void> {}
}

let deps: Dependencies & { workflows: RecordingWorkflows };
let team: string;
let caller: Caller;
let counter = 0;

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  deps = {
    store: new EnvironmentStore(testDocumentClient(), TEST_TABLE),
    workflows: new RecordingWorkflows(),
    notifier: new EventBridgeNotifier('berth-test', client),
  };
  counter += 1;
  team = `se${process.pid}-${Date.now().toString(36)}-${counter}`;
  caller = memberOf(team);
});

function refuseEvents(): void {
  eventBridge
    .on(PutEventsCommand)
    .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'down' }] });
}

/** The status events sent to EventBridge so far (accepted or not), oldest first. */
function sent(): StatusEvent[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => statusEventSchema.parse(JSON.parse(entry.Detail ?? '{}')));
}

async function created(body: Record<string, unknown>) {
  const outcome = await createEnvironment(deps, caller, body);
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment;
}

const body = () => ({
  name: 'web',
  team,
  ticket: 'OPS-7',
  services: [{ name: 'api', image: 'nginx:1.27' }],
});

it('announces REQUESTED, with no previous status, before provisioning starts', async () => {
  const environment = await created(body());

  expect(sent()).toEqual([
    expect.objectContaining({
      id: `${environment.id}:1`,
      status: 'REQUESTED',
      previousStatus: null,
      ticket: 'OPS-7',
    }),
  ]);
  expect(deps.workflows.started).toEqual([expect.objectContaining({ kind: 'provision', eventsSent: 1 })]);
});

it('announces the same REQUESTED event again when an idempotent replay restarts the workflow', async () => {
  const first = await createEnvironment(deps, caller, body(), { idempotencyKey: 'k-1' });
  const replay = await createEnvironment(deps, caller, body(), { idempotencyKey: 'k-1' });

  expect(replay.kind).toBe('replayed');
  if (first.kind === 'dry-run') throw new Error('unexpected dry run');
  expect(sent().map((event) => event.id)).toEqual([`${first.environment.id}:1`, `${first.environment.id}:1`]);
});

it('undoes a create whose REQUESTED event EventBridge keeps refusing, so the caller can retry', async () => {
  refuseEvents();

  const failure = await createEnvironment(deps, caller, body()).catch((error: unknown) => error);

  expect(failure).toBeInstanceOf(UseCaseError);
  expect((failure as UseCaseError).kind).toBe('unavailable');
  expect(deps.workflows.started).toEqual([]);
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  // The name is free again: nothing of the failed create was kept.
  expect((await created(body())).status).toBe('REQUESTED');
});

it('announces UPDATING with the status it left', async () => {
  const environment = await created(body());
  await deps.store.update(environment.id, { status: 'REQUESTED' }, { status: 'PROVISIONING' });
  const provisioning = await getEnvironment(deps, caller, environment.id);
  await deps.store.update(environment.id, { status: 'PROVISIONING' }, { status: 'READY' });

  const updating = await updateEnvironment(
    deps,
    caller,
    environment.id,
    { loadBalancer: { idleTimeoutSeconds: 90 } },
    `"${provisioning.version + 1}"`,
  );

  expect(sent().at(-1)).toMatchObject({
    id: `${environment.id}:${updating.version}`,
    status: 'UPDATING',
    previousStatus: 'READY',
  });
});

it('still starts the teardown when the DELETING event cannot be published', async () => {
  const environment = await created(body());
  refuseEvents();

  const deleting = await deleteEnvironment(deps, caller, environment.id);

  expect(deleting.status).toBe('DELETING');
  expect(deps.workflows.started.map((run) => run.kind)).toEqual(['provision', 'teardown']);
  expect(sent().filter((event) => event.status === 'DELETING')).toHaveLength(3);
});
