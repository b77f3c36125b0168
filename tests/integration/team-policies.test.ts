/**
 * Team policies against DynamoDB Local, through the real middy handlers (which build their store from
 * the environment, as in Lambda) and the create and update use cases: admins set a team's policy,
 * members read it, another team does not see it, and a create or update outside it is refused with
 * 422 naming the field and the rule, before anything is written.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { handler as createEnvironmentHandler } from '../../functions/api/create-environment';
import { handler as getTeamPolicyHandler } from '../../functions/api/get-team-policy';
import { handler as putTeamPolicyHandler } from '../../functions/api/put-team-policy';
import { createEnvironment } from '../../shared/app/create';
import type { Dependencies } from '../../shared/app/ports';
import { updateEnvironment } from '../../shared/app/update';
import type { Caller } from '../../shared/domain/caller';
import type { Environment } from '../../shared/domain/environment';
import { BUILT_IN_TEAM_POLICY, type TeamPolicyOverrides } from '../../shared/domain/team-policy';
import { EnvironmentReader } from '../../shared/store/environment-reader';
import { EnvironmentStore } from '../../shared/store/environments';
import { TeamPolicyStore } from '../../shared/store/team-policies';
import { executionNames } from '../../shared/workflow/executions';
import { ADMIN, memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient, testEndpoint } from '../support/dynamodb';
import { RecordingWorkflows, rejection } from '../support/recording-workflows';
import { invoke } from '../support/slack';

const ZONE = 'Z0123456789ABC';
const savedEnv = { ...process.env };

beforeAll(() => {
  // What serverless.yml gives the functions; the workflow and event bus are never reached here.
  Object.assign(process.env, {
    TABLE_NAME: TEST_TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: testEndpoint(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    TASK_ROLE_ARN_PATTERN: 'arn:aws:iam::000000000000:role/berth-task-*',
    PROVISION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:berth-test-provision',
    TEARDOWN_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:berth-test-teardown',
    UPDATE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:berth-test-update',
    EVENT_BUS_NAME: 'berth-test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  delete process.env.TEAM_POLICY_DEFAULTS;
});

afterAll(() => {
  process.env = savedEnv;
});

let team: string;
let member: Caller;
let deps: Dependencies & { workflows: RecordingWorkflows };
const reader = new EnvironmentReader(testDocumentClient(), TEST_TABLE);

beforeEach(() => {
  team = uniqueTeam('p');
  member = memberOf(team);
  deps = {
    store: new EnvironmentStore(testDocumentClient(), TEST_TABLE),
    workflows: new RecordingWorkflows(),
    policies: {
      store: new TeamPolicyStore(testDocumentClient(), TEST_TABLE),
      defaults: BUILT_IN_TEAM_POLICY,
    },
  };
});

function apiEvent(
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  caller: Caller,
  options: { body?: unknown; pathParameters?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: options.body === undefined ? {} : { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    isBase64Encoded: false,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    requestContext: {
      authorizer: { subject: caller.subject, teams: caller.teams.join(','), admin: String(caller.admin) },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

const policyEvent = (method: 'GET' | 'PUT', forTeam: string, caller: Caller, body?: unknown) =>
  apiEvent(method, `/teams/${forTeam}/policy`, caller, { body, pathParameters: { team: forTeam } });

const json = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, unknown>;

const grantZone: TeamPolicyOverrides = {
  hostedZones: [{ hostedZoneId: ZONE, recordNameSuffixes: ['payments.example.com'] }],
};

function request(extra: Record<string, unknown> = {}) {
  return { name: 'shop', team, services: [{ name: 'api', image: 'nginx:1.27' }], ...extra };
}
const dns = { dns: { hostedZoneId: ZONE, recordName: 'shop.payments.example.com' } };

async function teamEnvironments(): Promise<unknown[]> {
  return (await reader.list({ teams: [team], limit: 10 })).items;
}

async function created(promise: ReturnType<typeof createEnvironment>): Promise<Environment> {
  const outcome = await promise;
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment;
}

describe('PUT and GET /teams/{team}/policy', () => {
  it('lets an admin set a policy, which members of the team then read', async () => {
    const put = await invoke(putTeamPolicyHandler, policyEvent('PUT', team, ADMIN, grantZone));
    const get = await invoke(getTeamPolicyHandler, policyEvent('GET', team, member));

    expect(put.statusCode).toBe(200);
    expect(get.statusCode).toBe(200);
    expect(json(get)).toEqual(json(put));
    expect(json(get)).toMatchObject({
      team,
      overrides: grantZone,
      policy: {
        hostedZones: grantZone.hostedZones,
        imagePrefixes: ['*'],
        secretPrefixes: { secretsManager: [`berth/${team}/`], ssmParameters: [`/berth/${team}/`] },
      },
    });
  });

  it('shows a team without its own policy the default', async () => {
    const get = await invoke(getTeamPolicyHandler, policyEvent('GET', team, member));

    expect(json(get)).toMatchObject({
      overrides: {},
      policy: { hostedZones: [], ec2: { amiIds: [], keyPairs: [] } },
    });
  });

  it('refuses a member who is not an admin with 403 problem+json and changes nothing', async () => {
    const put = await invoke(putTeamPolicyHandler, policyEvent('PUT', team, member, grantZone));
    const get = await invoke(getTeamPolicyHandler, policyEvent('GET', team, member));

    expect(put.statusCode).toBe(403);
    expect(put.headers?.['Content-Type']).toMatch(/^application\/problem\+json/);
    expect(json(get).overrides).toEqual({});
  });

  it("answers another team's policy with 404, as a missing one", async () => {
    await invoke(putTeamPolicyHandler, policyEvent('PUT', team, ADMIN, grantZone));

    const get = await invoke(getTeamPolicyHandler, policyEvent('GET', team, memberOf(uniqueTeam('o'))));

    expect(get.statusCode).toBe(404);
    expect(json(get)).toMatchObject({ status: 404, type: 'urn:berth:problem:not-found' });
    expect(get.body).not.toContain(ZONE);
  });

  it('refuses an invalid policy with 400 naming the field', async () => {
    const put = await invoke(
      putTeamPolicyHandler,
      policyEvent('PUT', team, ADMIN, { hostedZones: [{ hostedZoneId: ZONE, recordNameSuffixes: [] }] }),
    );

    expect(put.statusCode).toBe(400);
    expect(json(put).errors).toEqual([
      expect.objectContaining({ path: '/hostedZones/0/recordNameSuffixes' }),
    ]);
  });
});

describe('creates and updates checked against the policy', () => {
  it('refuses a DNS record in a zone not granted with 422 naming /dns/hostedZoneId, writing nothing', async () => {
    const result = await invoke(
      createEnvironmentHandler,
      apiEvent('POST', '/environments', member, { body: request(dns) }),
    );

    expect(result.statusCode).toBe(422);
    expect(result.headers?.['Content-Type']).toMatch(/^application\/problem\+json/);
    expect(json(result).errors).toEqual([
      expect.objectContaining({ path: '/dns/hostedZoneId', rule: 'hostedZones' }),
    ]);
    expect(await teamEnvironments()).toEqual([]);
  });

  it("refuses another team's secret with 422 naming the secret, writing nothing and starting nothing", async () => {
    const secret = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:berth/billing/db-AbCdEf';

    const refused = await rejection(
      createEnvironment(deps, member, {
        ...request(),
        services: [{ name: 'api', image: 'nginx:1.27', secrets: { DATABASE_URL: secret } }],
      }),
    );

    expect(refused.kind).toBe('unprocessable');
    expect(refused.errors).toEqual([
      expect.objectContaining({
        path: '/services/0/secrets/DATABASE_URL',
        rule: 'secretPrefixes.secretsManager',
      }),
    ]);
    expect(deps.workflows.started).toEqual([]);
    expect(await teamEnvironments()).toEqual([]);
  });

  it('accepts the record once an admin has granted the zone: dry run through the handler, then a create', async () => {
    await invoke(putTeamPolicyHandler, policyEvent('PUT', team, ADMIN, grantZone));

    const dryRun = await invoke(
      createEnvironmentHandler,
      apiEvent('POST', '/environments', member, { body: request(dns), query: { dryRun: 'true' } }),
    );
    const environment = await created(createEnvironment(deps, member, request(dns)));

    expect(dryRun.statusCode).toBe(200);
    expect(environment.spec.dns).toEqual(dns.dns);
    expect(deps.workflows.started).toHaveLength(1);
  });

  it('refuses an update that adds a record outside the grant, leaving the environment as it was', async () => {
    await invoke(putTeamPolicyHandler, policyEvent('PUT', team, ADMIN, grantZone));
    const environment = await ready(await created(createEnvironment(deps, member, request())));

    const refused = await rejection(
      updateEnvironment(
        deps,
        member,
        environment.id,
        { dns: { hostedZoneId: ZONE, recordName: 'login.example.com' } },
        `"${environment.version}"`,
      ),
    );

    expect(refused.errors).toEqual([
      expect.objectContaining({ path: '/dns/recordName', rule: 'hostedZones.recordNameSuffixes' }),
    ]);
    const after = await deps.store.get(environment.id);
    expect(after?.version).toBe(environment.version);
    expect(after?.spec.dns).toBeUndefined();
  });

  it('lets an update keep a value the policy no longer allows, and change the rest', async () => {
    await invoke(putTeamPolicyHandler, policyEvent('PUT', team, ADMIN, grantZone));
    const environment = await ready(await created(createEnvironment(deps, member, request(dns))));
    await invoke(putTeamPolicyHandler, policyEvent('PUT', team, ADMIN, {}));

    const updated = await updateEnvironment(
      deps,
      member,
      environment.id,
      { services: [{ name: 'api', image: 'nginx:1.28' }] },
      `"${environment.version}"`,
    );

    expect(updated.status).toBe('UPDATING');
    expect(updated.spec.dns).toEqual(dns.dns);
  });
});

/** Moves a created environment to READY as the provisioning workflow would. */
async function ready(environment: Environment): Promise<Environment> {
  const owner = executionNames.provision(environment.id);
  await deps.store.update(environment.id, { owner, status: 'REQUESTED' }, { status: 'PROVISIONING' });
  return deps.store.update(environment.id, { owner, status: 'PROVISIONING' }, { status: 'READY' });
}
