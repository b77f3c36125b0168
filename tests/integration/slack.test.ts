/**
 * The Slack front door against DynamoDB Local: signed requests through the real middy handlers, the
 * environment use cases underneath, Step Functions replaced by a recorder and Slack's response_url by
 * a local HTTP server. What is asserted is what Slack is told and what DynamoDB holds.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { handler as deleteSlackUserHandler } from '../../functions/api/delete-slack-user';
import { handler as putSlackUserHandler } from '../../functions/api/put-slack-user';
import { createHandler as commandsHandler } from '../../functions/slack/commands';
import { createHandler as interactionsHandler } from '../../functions/slack/interactions';
import { createEnvironment } from '../../shared/app/create';
import { putTeamPolicy } from '../../shared/app/team-policies';
import { BUILT_IN_TEAM_POLICY } from '../../shared/domain/team-policy';
import type { Caller } from '../../shared/http/identity';
import { CANCEL_ACTION, DELETE_ACTION } from '../../shared/slack/messages';
import type { SlackDependencies } from '../../shared/slack/ports';
import { EnvironmentStore } from '../../shared/store/environments';
import { SlackStore } from '../../shared/store/slack';
import { TeamPolicyStore } from '../../shared/store/team-policies';
import { ADMIN, memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient, testEndpoint } from '../support/dynamodb';
import { RecordingWorkflows } from '../support/recording-workflows';
import {
  clickBody,
  commandBody,
  invoke,
  type ResponseUrlServer,
  signedEvent,
  slackId,
  startResponseUrlServer,
  TEST_SIGNING_SECRET,
} from '../support/slack';

let hooks: ResponseUrlServer;
let deps: SlackDependencies & { workflows: RecordingWorkflows };
let store: EnvironmentStore;
let slack: SlackStore;
let workspace: string;
let user: string;
let team: string;

const commands = commandsHandler(() => deps);
const interactions = interactionsHandler(() => deps);

beforeAll(async () => {
  hooks = await startResponseUrlServer();
});

afterAll(async () => {
  await hooks.close();
});

afterEach(() => {
  jest.restoreAllMocks();
});

beforeEach(async () => {
  // Keeps the "rejected a Slack request" lines out of the test output.
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  store = new EnvironmentStore(testDocumentClient(), TEST_TABLE);
  slack = new SlackStore(testDocumentClient(), TEST_TABLE);
  deps = {
    store,
    slack,
    workflows: new RecordingWorkflows(),
    policies: {
      store: new TeamPolicyStore(testDocumentClient(), TEST_TABLE),
      defaults: BUILT_IN_TEAM_POLICY,
    },
    signingSecret: TEST_SIGNING_SECRET,
    adminContact: '#platform-help',
    // The test's response_url receiver listens on 127.0.0.1 (any port), over http.
    responseUrlOrigins: ['http://127.0.0.1'],
  };
  workspace = slackId('T');
  user = slackId('U');
  team = uniqueTeam('s');
  await mapUser(user, [team]);
});

async function mapUser(slackUserId: string, teams: string[], admin = false): Promise<void> {
  await slack.putUser({
    slackTeamId: workspace,
    slackUserId,
    teams,
    admin,
    updatedAt: new Date().toISOString(),
    updatedBy: 'test',
  });
}

interface SlackAnswer {
  response_type?: string;
  text: string;
  blocks?: { type: string; elements?: { action_id: string; value: string; style?: string }[] }[];
}

/** Runs `/berth <text>` as `slackUserId` and returns the HTTP result. */
async function slash(
  text: string,
  options: { as?: string; hook?: string } = {},
): Promise<APIGatewayProxyResult> {
  const body = commandBody({
    team: workspace,
    user: options.as ?? user,
    text,
    responseUrl: hooks.url(options.hook),
  });
  return invoke(commands, signedEvent(body));
}

/** Runs `/berth <text>` and returns Slack's message, after checking it is a 200 ephemeral answer. */
async function say(text: string, options: { as?: string; hook?: string } = {}): Promise<SlackAnswer> {
  const result = await slash(text, options);
  expect(result.statusCode).toBe(200);
  const answer = JSON.parse(result.body) as SlackAnswer;
  expect(answer.response_type).toBe('ephemeral');
  return answer;
}

async function click(actionId: string, value: string, options: { as?: string; hook: string }) {
  const body = clickBody({
    team: workspace,
    user: options.as ?? user,
    actionId,
    value,
    responseUrl: hooks.url(options.hook),
  });
  return invoke(interactions, signedEvent(body, { path: '/slack/interactions' }));
}

async function environmentsOf(teamName: string) {
  const caller: Caller = memberOf(teamName, 'test');
  return (await store.list({ teams: caller.teams, limit: 50 })).items;
}

async function createDirectly(name: string): Promise<string> {
  const outcome = await createEnvironment(deps, memberOf(team, 'api'), {
    name,
    team,
    services: [{ name: 'api', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment.id;
}

describe('the signature check', () => {
  it('answers 401 problem+json to a tampered body and creates nothing', async () => {
    const body = commandBody({ team: workspace, user, text: 'list', responseUrl: hooks.url() });
    const tampered = commandBody({
      team: workspace,
      user,
      text: 'create evil image=nginx:1.27',
      responseUrl: hooks.url(),
    });

    const result = await invoke(commands, signedEvent(body, { tamperedBody: tampered }));

    expect(result.statusCode).toBe(401);
    expect(result.headers?.['Content-Type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(result.body)).toMatchObject({ status: 401, type: 'urn:berth:problem:unauthorized' });
    expect(await environmentsOf(team)).toEqual([]);
    expect(deps.workflows.started).toEqual([]);
  });

  it('answers 401 to a correctly signed request replayed after five minutes', async () => {
    const body = commandBody({
      team: workspace,
      user,
      text: 'create late image=nginx:1.27',
      responseUrl: hooks.url(),
    });

    const result = await invoke(
      commands,
      signedEvent(body, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
    );

    expect(result.statusCode).toBe(401);
    expect(await environmentsOf(team)).toEqual([]);
  });

  it('answers 401 when the signature headers are missing or signed with another secret', async () => {
    const body = commandBody({ team: workspace, user, text: 'list', responseUrl: hooks.url() });

    const unsigned = await invoke(commands, signedEvent(body, { omit: ['x-slack-signature'] }));
    const undated = await invoke(commands, signedEvent(body, { omit: ['x-slack-request-timestamp'] }));
    const forged = await invoke(commands, signedEvent(body, { secret: 'someone-else' }));

    expect([unsigned.statusCode, undated.statusCode, forged.statusCode]).toEqual([401, 401, 401]);
  });

  it('checks button clicks too', async () => {
    const id = await createDirectly('keep');
    const body = clickBody({
      team: workspace,
      user,
      actionId: DELETE_ACTION,
      value: id,
      responseUrl: hooks.url(),
    });

    const result = await invoke(
      interactions,
      signedEvent(body, { path: '/slack/interactions', secret: 'forged' }),
    );

    expect(result.statusCode).toBe(401);
    expect((await store.get(id))?.status).toBe('REQUESTED');
  });

  it('answers 400 to a command whose response_url is not on an allowed origin, and creates nothing', async () => {
    // Prepare
    const body = commandBody({
      team: workspace,
      user,
      text: 'create elsewhere image=nginx:1.27',
      responseUrl: 'https://attacker.example.com/collect',
    });

    // Act
    const result = await invoke(commands, signedEvent(body));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ detail: "the response_url is not on Slack's host" });
    expect(await environmentsOf(team)).toEqual([]);
    expect(deps.workflows.started).toEqual([]);
  });

  it('answers 400 to a click whose response_url is not on an allowed origin, and deletes nothing', async () => {
    // Prepare
    const id = await createDirectly('stays');
    const body = clickBody({
      team: workspace,
      user,
      actionId: DELETE_ACTION,
      value: id,
      responseUrl: 'http://169.254.169.254/latest/meta-data/',
    });

    // Act
    const result = await invoke(interactions, signedEvent(body, { path: '/slack/interactions' }));

    // Assess
    expect(result.statusCode).toBe(400);
    expect((await store.get(id))?.status).toBe('REQUESTED');
  });

  it('verifies a base64-encoded body over its decoded bytes', async () => {
    const body = commandBody({ team: workspace, user, text: 'list', responseUrl: hooks.url() });

    const result = await invoke(commands, signedEvent(body, { base64: true }));

    expect(result.statusCode).toBe(200);
  });
});

describe('/berth create', () => {
  it("records the environment for the user's only team, starts provisioning and remembers the response_url", async () => {
    const before = Date.now();
    const answer = await say('create shop-dev image=nginx:1.27 size=medium');

    const [environment] = await environmentsOf(team);
    expect(environment).toMatchObject({
      name: 'shop-dev',
      team,
      status: 'REQUESTED',
      createdBy: `slack:${workspace}:${user}`,
    });
    expect(environment?.spec.services[0]).toMatchObject({ image: 'nginx:1.27', cpu: 512, memory: 1024 });
    expect(deps.workflows.started).toEqual([
      expect.objectContaining({ kind: 'provision', name: environment?.id }),
    ]);
    expect(answer.text).toContain('shop-dev');
    expect(answer.text).toContain(environment?.id);
    const record = await slack.getResponseUrl(environment?.id ?? '');
    expect(record).toMatchObject({ responseUrl: hooks.url(), sent: 0 });
    const expiry = record?.expiresAt.getTime() ?? 0;
    expect(expiry).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 30 * 60 * 1000 - 1000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 30 * 60 * 1000);
  });

  it('builds the worker template', async () => {
    await say('create jobs image=nginx:1.27 template=worker');

    const [environment] = await environmentsOf(team);
    expect(environment?.spec.cluster.capacity).toBe('FARGATE_SPOT');
    expect(environment?.spec.loadBalancer.scheme).toBe('internal');
  });

  it('refuses team= outside the mapped teams with a friendly message, creating nothing', async () => {
    const other = uniqueTeam('s');

    const answer = await say(`create shop-dev image=nginx:1.27 team=${other}`);

    expect(answer.text).toContain(`not a member of team ${other}`);
    expect(await environmentsOf(other)).toEqual([]);
    expect(deps.workflows.started).toEqual([]);
  });

  it('asks which team when the user has several and gave none', async () => {
    const second = uniqueTeam('s');
    await mapUser(user, [team, second]);

    const answer = await say('create shop-dev image=nginx:1.27');

    expect(answer.text).toContain('team=<team>');
    expect(await environmentsOf(team)).toEqual([]);
  });

  it('creates in the team named by team= when the user has several', async () => {
    const second = uniqueTeam('s');
    await mapUser(user, [team, second]);

    await say(`create shop-dev image=nginx:1.27 team=${second}`);

    expect((await environmentsOf(second)).map((item) => item.name)).toEqual(['shop-dev']);
  });

  it('explains an invalid image in the words of the command', async () => {
    const answer = await say('create shop-dev image=NOT:an:image');

    expect(answer.text).toContain('`image`');
    expect(answer.text).toContain('image reference');
    expect(await environmentsOf(team)).toEqual([]);
  });

  it('says the name is taken rather than failing', async () => {
    await say('create shop-dev image=nginx:1.27');

    const answer = await say('create shop-dev image=nginx:1.27');

    expect(answer.text).toContain('already has an environment named shop-dev');
    expect(await environmentsOf(team)).toHaveLength(1);
  });
});

describe('/berth status and list', () => {
  it("shows an environment's status and progress by name", async () => {
    const id = await createDirectly('shop-dev');

    const answer = await say('status shop-dev');

    expect(answer.text).toContain('*shop-dev*');
    expect(answer.text).toContain('REQUESTED');
    expect(answer.text).toContain('0% done');
    expect(answer.text).toContain(id);
  });

  it('says so when no environment has the name, the same for another team’s', async () => {
    const other = uniqueTeam('s');
    await createEnvironment(deps, memberOf(other, 'x'), {
      name: 'theirs',
      team: other,
      services: [{ name: 'api', image: 'nginx:1.27' }],
    });

    const missing = await say('status nothing-here');
    const foreign = await say(`status theirs team=${other}`);

    expect(missing.text).toContain("can't find an environment named *nothing-here*");
    expect(foreign.text).toContain("can't find an environment named *theirs*");
  });

  it("lists the team's environments", async () => {
    await createDirectly('alpha');
    await createDirectly('beta');

    const answer = await say('list');

    expect(answer.text).toContain('*alpha*');
    expect(answer.text).toContain('*beta*');
  });
});

describe('/berth delete', () => {
  it('asks for confirmation with a button, and deletes only when it is clicked', async () => {
    const id = await createDirectly('shop-dev');

    const answer = await say('delete shop-dev');

    const buttons = answer.blocks?.find((block) => block.type === 'actions')?.elements ?? [];
    expect(buttons).toEqual([
      expect.objectContaining({ action_id: DELETE_ACTION, value: id, style: 'danger' }),
      expect.objectContaining({ action_id: CANCEL_ACTION, value: id }),
    ]);
    expect((await store.get(id))?.status).toBe('REQUESTED');

    const clicked = await click(DELETE_ACTION, id, { hook: '/delete-click' });

    expect(clicked.statusCode).toBe(200);
    expect((await store.get(id))?.status).toBe('DELETING');
    expect(deps.workflows.started).toContainEqual(expect.objectContaining({ kind: 'teardown' }));
    expect(hooks.messages('/delete-click')).toEqual([
      expect.objectContaining({
        replace_original: true,
        text: expect.stringContaining('Deleting *shop-dev*'),
      }),
    ]);
    expect(await slack.getResponseUrl(id)).toMatchObject({
      responseUrl: hooks.url('/delete-click'),
      sent: 1,
    });
  });

  it('leaves the environment alone when Cancel is clicked', async () => {
    const id = await createDirectly('shop-dev');

    await click(CANCEL_ACTION, id, { hook: '/cancel-click' });

    expect((await store.get(id))?.status).toBe('REQUESTED');
    expect(hooks.messages('/cancel-click')).toEqual([
      expect.objectContaining({ text: expect.stringContaining('Cancelled') }),
    ]);
  });

  it('does not let a user outside the team delete through a forwarded button', async () => {
    const id = await createDirectly('shop-dev');
    const outsider = slackId('U');
    await mapUser(outsider, [uniqueTeam('s')]);

    await click(DELETE_ACTION, id, { as: outsider, hook: '/outsider-click' });

    expect((await store.get(id))?.status).toBe('REQUESTED');
    expect(hooks.messages('/outsider-click')[0]?.text).toContain('no environment with that id');
  });
});

describe('users without a mapping and mistakes', () => {
  it('tells an unmapped user whom to ask, with the ids to give them, and does nothing', async () => {
    const stranger = slackId('U');

    const answer = await say('create shop-dev image=nginx:1.27', { as: stranger });

    expect(answer.text).toContain('#platform-help');
    expect(answer.text).toContain(stranger);
    expect(answer.text).toContain(workspace);
    expect(deps.workflows.started).toEqual([]);
  });

  it('answers an unknown subcommand with the usage, not an error', async () => {
    const answer = await say('deploy shop-dev');

    expect(answer.text).toContain('`deploy`');
    expect(answer.text).toContain('/berth create <name>');
  });

  it('answers our own failure with an apology, not a 5xx Slack would show as an error', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    deps.slack = new SlackStore(testDocumentClient(), 'no-such-table');

    const answer = await say('list');

    expect(answer.text).toContain('Something went wrong on our side');
    expect(errors).toHaveBeenCalled();
  });

  it('answers help to anyone', async () => {
    const answer = await say('help', { as: slackId('U') });

    expect(answer.text).toContain('/berth status <name>');
  });
});

describe('/berth policy', () => {
  const grant = async (rules: unknown) => {
    if (!deps.policies) throw new Error('no team policies');
    await putTeamPolicy({ policies: deps.policies }, ADMIN, team, rules);
  };

  it("answers the team's policy in force, a zone an admin granted included", async () => {
    await grant({
      hostedZones: [{ hostedZoneId: 'Z0123456789ABC', recordNameSuffixes: ['shop.example.com'] }],
    });

    const answer = await say('policy');

    expect(answer.text).toContain(`Policy of team ${team}`);
    expect(answer.text).toContain('Z0123456789ABC (shop.example.com)');
    expect(answer.text).toContain(`Secrets Manager berth/${team}/`);
  });

  it("answers another team's policy as a missing one", async () => {
    const other = uniqueTeam('o');

    const answer = await say(`policy team=${other}`);

    expect(answer.text).toContain('no such team policy exists');
    expect(answer.text).not.toContain(`Policy of team ${other}`);
  });

  it('refuses a create whose image the policy does not allow, naming the rule, and creates nothing', async () => {
    await grant({ imagePrefixes: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/'] });

    const answer = await say('create web image=nginx:1.27');

    expect(answer.text).toContain('team policy rule imagePrefixes');
    expect(await environmentsOf(team)).toEqual([]);
  });
});

describe('the Slack user mapping API', () => {
  const savedEnv = { ...process.env };

  beforeAll(() => {
    // The real handlers build their store from the environment, as in Lambda.
    process.env.TABLE_NAME = TEST_TABLE;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = testEndpoint();
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });

  afterAll(() => {
    process.env = savedEnv;
  });

  function adminRequest(
    method: 'PUT' | 'DELETE',
    slackUserId: string,
    caller: { admin: boolean },
    body?: unknown,
  ): APIGatewayProxyEvent {
    const path = `/slack/users/${workspace}/${slackUserId}`;
    return {
      ...signedEvent(''),
      httpMethod: method,
      path,
      resource: '/slack/users/{slackTeamId}/{slackUserId}',
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      pathParameters: { slackTeamId: workspace, slackUserId },
      requestContext: {
        authorizer: { subject: 'carol', teams: team, admin: caller.admin ? 'true' : 'false' },
      } as unknown as APIGatewayProxyEvent['requestContext'],
    };
  }

  it('refuses a caller who is not an admin with 403 and changes nothing', async () => {
    const newcomer = slackId('U');

    const result = await invoke(
      putSlackUserHandler,
      adminRequest('PUT', newcomer, { admin: false }, { teams: [team] }),
    );

    expect(result.statusCode).toBe(403);
    expect(result.headers?.['Content-Type']).toMatch(/^application\/problem\+json/);
    expect(await slack.getUser(workspace, newcomer)).toBeUndefined();
    const removal = await invoke(deleteSlackUserHandler, adminRequest('DELETE', user, { admin: false }));
    expect(removal.statusCode).toBe(403);
    expect(await slack.getUser(workspace, user)).toBeDefined();
  });

  it('lets an admin map a user, who can then use /berth, and unmap them again', async () => {
    const newcomer = slackId('U');

    const put = await invoke(
      putSlackUserHandler,
      adminRequest('PUT', newcomer, { admin: true }, { teams: [team] }),
    );

    expect(put.statusCode).toBe(200);
    expect(JSON.parse(put.body)).toMatchObject({
      slackTeamId: workspace,
      slackUserId: newcomer,
      teams: [team],
      admin: false,
      updatedBy: 'carol',
    });
    await createDirectly('visible');
    expect((await say('list', { as: newcomer })).text).toContain('*visible*');

    const removed = await invoke(deleteSlackUserHandler, adminRequest('DELETE', newcomer, { admin: true }));

    expect(removed.statusCode).toBe(204);
    expect((await say('list', { as: newcomer })).text).toContain('not linked to a berth team');
  });

  it('refuses an invalid mapping with 400 naming the field', async () => {
    const result = await invoke(
      putSlackUserHandler,
      adminRequest('PUT', slackId('U'), { admin: true }, { teams: ['Not A Team'], extra: 1 }),
    );

    expect(result.statusCode).toBe(400);
    const paths = (JSON.parse(result.body).errors as { path: string }[]).map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['/teams/0', '/extra']));
  });
});
