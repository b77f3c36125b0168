/**
 * A spec whose derived AWS names AWS would refuse is refused at request time, naming the field, and
 * nothing is written: the create use case against DynamoDB Local, Step Functions replaced by a recorder.
 */
import { createEnvironment } from '../../shared/app/create';
import type { Dependencies } from '../../shared/app/ports';
import { listEnvironments } from '../../shared/app/reads';
import type { Caller } from '../../shared/http/identity';
import { EnvironmentStore } from '../../shared/store/environments';
import { memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { RecordingWorkflows, rejection } from '../support/recording-workflows';

let deps: Dependencies & { workflows: RecordingWorkflows };
let team: string;
let caller: Caller;

beforeEach(() => {
  deps = {
    store: new EnvironmentStore(testDocumentClient(), TEST_TABLE),
    workflows: new RecordingWorkflows(),
  };
  team = uniqueTeam();
  caller = memberOf(team);
});

it('answers 400 at /name for an environment called internal-shop, and records and starts nothing', async () => {
  // Act
  const error = await rejection(
    createEnvironment(deps, caller, {
      name: 'internal-shop',
      team,
      services: [{ name: 'web', image: 'nginx:1.27' }],
    }),
  );

  // Assess
  expect(error.kind).toBe('bad-request');
  expect(error.errors).toEqual([
    { path: '/name', message: expect.stringContaining('would begin with "internal-"') },
  ]);
  expect((await listEnvironments(deps, caller, { limit: 10 })).items).toEqual([]);
  expect(deps.workflows.started).toEqual([]);
});

it('creates the same environment under a name AWS accepts', async () => {
  // Act
  const outcome = await createEnvironment(deps, caller, {
    name: 'shop-internal',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });

  // Assess
  expect(outcome.kind).toBe('created');
  expect(deps.workflows.started).toHaveLength(1);
});
