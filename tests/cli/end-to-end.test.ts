/**
 * The berth CLI as a user runs it (a child process through tsx) against the local stack: the real
 * API, authorizer, workflows on local Step Functions and the simulated AWS. One stack for the file
 * because serverless-offline bundles every function before it listens.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signLocalToken } from '../../local/auth';
import { type LocalStack, startLocalStack } from '../../local/start';
import { reportIamUse } from '../support/iam-usage';

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

let stack: LocalStack;
let token: string;
let home: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  stack = await startLocalStack({
    stage: 'clitest',
    httpPort: 0,
    lambdaPort: 0,
    websocketPort: 0,
    albPort: 0,
    dynamodbPort: 0,
    awsPort: 0,
    stepFunctionsPort: 0,
    authPort: 0,
    timeScale: 0.0005,
  });
  token = await signLocalToken({
    teams: ['payments'],
    issuer: stack.auth.issuer,
    audience: stack.auth.audience,
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  // Every call the functions made was allowed by their own roles (tests/support/iam-usage.ts).
  if (stack?.simulator) reportIamUse(stack.simulator.sim.iam);
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `berth …` with the stack's URL and a token unless `env` overrides them; HOME has no config file. */
function berth(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    BERTH_API_URL: stack.apiUrl,
    BERTH_TOKEN: token,
    ...env,
  };
  return new Promise((resolveRun, reject) => {
    const child = spawn(TSX, ['cli/main.ts', ...args], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

function jsonOf(run: Run): Record<string, unknown> {
  const parsed: unknown = JSON.parse(run.stdout);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(run.stdout);
  return parsed as Record<string, unknown>;
}

describe('berth CLI against the local stack', () => {
  let id = '';

  it('create --wait --json ends READY with a URL and exit 0', async () => {
    const run = await berth(['create', '-f', 'examples/minimal.json', '--wait', '--json']);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const environment = jsonOf(run);
    expect(environment.status).toBe('READY');
    expect(environment.name).toBe('shop-dev');
    expect(environment.outputs).toEqual(
      expect.objectContaining({ url: expect.stringMatching(/^https?:\/\//) }),
    );
    id = String(environment.id);
  });

  it('list shows the environment in the table with its status and URL', async () => {
    const run = await berth(['list', '--team', 'payments']);

    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+TEAM\s+STATUS\s+PERCENT\s+URL$/);
    const row = rows.find((line) => line.startsWith(id));
    expect(row).toMatch(new RegExp(`^${id}\\s+shop-dev\\s+payments\\s+READY\\s+100%\\s+https?://`));
  });

  it('status finds the environment by name within the team', async () => {
    const run = await berth(['status', 'shop-dev', '--team', 'payments']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`shop-dev (${id})`);
    expect(run.stdout).toMatch(/Status:\s+READY/);
    expect(run.stdout).toMatch(/URL:\s+https?:\/\//);
  });

  it('events lists the history from the request to READY', async () => {
    const run = await berth(['events', id]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^AT\s+TYPE\s+STATUS\s+STEP\s+MESSAGE/);
    expect(run.stdout).toContain('requested');
    expect(run.stdout).toMatch(/status-changed\s+READY/);
  });

  it('run-task starts a one-off task of a service and lists it', async () => {
    const run = await berth(['run-task', id, '--service', 'api', '--', 'echo', 'hello']);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^Started 1 task\\(s\\) in ${id}:\\nTASK\\s+GROUP\\s+STATUS\\n`));
    expect(run.stdout).toMatch(/arn:aws:ecs:[^\s]+:task\/\S+/);
  });

  it('update --wait applies a merge patch from YAML and ends READY again', async () => {
    const patch = join(home, 'scale.yml');
    writeFileSync(
      patch,
      'services:\n  - name: api\n    image: public.ecr.aws/nginx/nginx:1.27\n    desiredCount: 2\n',
    );

    const run = await berth(['update', id, '-f', patch, '--wait', '--json']);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const environment = jsonOf(run);
    expect(environment.status).toBe('READY');
    expect(environment.spec).toEqual(
      expect.objectContaining({ services: [expect.objectContaining({ desiredCount: 2 })] }),
    );
  });

  it('delete --wait ends DELETED with exit 0', async () => {
    const run = await berth(['delete', id, '--wait']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`shop-dev (${id}) is DELETED`);
    const after = await berth(['status', id, '--json']);
    expect(jsonOf(after).status).toBe('DELETED');
  });

  it('a request the API refuses exits 2 and prints each field path', async () => {
    const bad = join(home, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ name: 'bad-one', team: 'payments', services: [{ name: 'api', port: 70000 }] }),
    );

    const run = await berth(['create', '-f', bad]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^.+: .+\n/);
    expect(run.stderr).toContain('/services/0/image');
    expect(run.stderr).toContain('/services/0/port');
    expect(run.stdout).toBe('');
  });

  it('without a token, exits 1 naming what is missing and where to put it', async () => {
    const run = await berth(['list'], { BERTH_TOKEN: undefined });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Missing a token');
    expect(run.stderr).toContain('BERTH_TOKEN');
  });

  it('with a token the API refuses, exits 2', async () => {
    const run = await berth(['list'], { BERTH_TOKEN: 'not-a-jwt' });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('HTTP 401');
  });

  it('when the API is down, exits 4', async () => {
    const run = await berth(['list'], { BERTH_API_URL: 'http://127.0.0.1:9' });

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Cannot reach the berth API');
  });
});
