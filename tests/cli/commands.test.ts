import { environment, FakeApi, FakeClock, ID, runAgainst, step } from './fake-api';

const SPEC = '{"name":"shop-dev","team":"payments","services":[{"name":"api","image":"nginx:1.27"}]}';
const READY = environment({
  status: 'READY',
  version: 9,
  progress: {
    percent: 100,
    completedSteps: [
      step('create-network', '2026-03-01T10:00:01.000Z', '2026-03-01T10:00:04.500Z'),
      step('create-cluster', '2026-03-01T10:00:04.500Z', '2026-03-01T10:00:06.000Z'),
    ],
  },
  outputs: { url: 'http://shop-dev-123.elb.example.com' },
});

/** GET answers each environment in turn, then keeps answering the last one. */
function sequence(...environments: unknown[]) {
  let index = 0;
  return () => {
    const body = environments[Math.min(index, environments.length - 1)];
    index += 1;
    return { status: 200, body, headers: { etag: '"1"' } };
  };
}

const unprocessable = {
  type: 'urn:berth:problem:unprocessable',
  title: 'Invalid environment request',
  status: 422,
  detail: 'the request has 2 invalid fields',
  errors: [
    { path: '/services/0/image', message: 'Required' },
    { path: '/services/0/port', message: 'must be at most 65535' },
  ],
};

describe('berth create', () => {
  it('posts the file with the idempotency key and prints the new id', async () => {
    const api = new FakeApi().on('POST', '/environments', () => ({
      status: 202,
      body: environment({ status: 'REQUESTED' }),
    }));

    const run = await runAgainst(api, ['create', '-f', 'env.json', '--idempotency-key', 'OPS-1'], {
      files: { 'env.json': SPEC },
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Requested shop-dev (${ID}) for team payments: REQUESTED`);
    const [request] = api.requests;
    expect(request?.body).toEqual(JSON.parse(SPEC));
    expect(request?.headers.get('idempotency-key')).toBe('OPS-1');
    expect(request?.headers.get('authorization')).toBe('Bearer token-1');
  });

  it('reads YAML and asks for a dry run', async () => {
    const api = new FakeApi().on('POST', '/environments', (request) => ({ status: 200, body: request.body }));

    const run = await runAgainst(api, ['create', '-f', 'env.yml', '--dry-run', '--json'], {
      files: { 'env.yml': 'name: shop-dev\nteam: payments\n' },
    });

    expect(run.code).toBe(0);
    expect(api.requests[0]?.query.get('dryRun')).toBe('true');
    expect(JSON.parse(run.stdout)).toEqual({ name: 'shop-dev', team: 'payments' });
  });

  it('exits 2 and prints title: detail and every field path when the API refuses the request', async () => {
    const api = new FakeApi().on('POST', '/environments', () => ({ status: 422, body: unprocessable }));

    const run = await runAgainst(api, ['create', '-f', 'env.json'], { files: { 'env.json': SPEC } });

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'Invalid environment request: the request has 2 invalid fields\n' +
        '  /services/0/image: Required\n' +
        '  /services/0/port: must be at most 65535\n',
    );
    expect(run.stdout).toBe('');
  });

  it('exits 4 when the API fails (5xx)', async () => {
    const api = new FakeApi().on('POST', '/environments', () => ({
      status: 503,
      body: { message: 'Service Unavailable' },
    }));

    const run = await runAgainst(api, ['create', '-f', 'env.json'], { files: { 'env.json': SPEC } });

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('HTTP 503: Service Unavailable');
  });

  it('exits 1 without calling the API when the file is missing or unreadable', async () => {
    const api = new FakeApi();

    const missing = await runAgainst(api, ['create', '-f', 'nope.yml']);
    const broken = await runAgainst(api, ['create', '-f', 'env.json'], { files: { 'env.json': '{' } });

    expect([missing.code, broken.code]).toEqual([1, 1]);
    expect(missing.stderr).toContain('Cannot read nope.yml (ENOENT)');
    expect(broken.stderr).toContain('env.json is not valid JSON');
    expect(api.requests).toEqual([]);
  });

  it('--wait prints each finished step and ends with the URL and exit 0 when READY', async () => {
    const provisioning = environment({
      progress: {
        percent: 40,
        currentStep: 'create-cluster',
        completedSteps: [step('create-network', '2026-03-01T10:00:01.000Z', '2026-03-01T10:00:04.500Z')],
      },
    });
    const api = new FakeApi()
      .on('POST', '/environments', () => ({ status: 202, body: environment({ status: 'REQUESTED' }) }))
      .on('GET', `/environments/${ID}`, sequence(provisioning, provisioning, READY));

    const run = await runAgainst(api, ['create', '-f', 'env.json', '--wait'], {
      files: { 'env.json': SPEC },
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^✔ shop-dev \(env-\w+\) is READY after \d+:\d\d\n {2}URL: http:\/\/shop-dev-123\.elb\.example\.com\n$/,
    );
    expect(run.stderr.split('\n')).toEqual([
      '0:00 done create-network (3.5s)',
      '0:00 PROVISIONING 40% create-cluster',
      expect.stringMatching(/^0:0\d done create-cluster \(1\.5s\)$/),
      expect.stringMatching(/^0:0\d READY 100%$/),
      '',
    ]);
  });

  it('--wait exits 3 and prints the failed step, code and message when the environment ends FAILED', async () => {
    const failed = environment({
      status: 'FAILED',
      progress: { percent: 30, completedSteps: [] },
      error: {
        step: 'create-network',
        code: 'VpcLimitExceeded',
        message: 'The maximum number of VPCs has been reached.',
      },
    });
    const api = new FakeApi()
      .on('POST', '/environments', () => ({ status: 202, body: environment({ status: 'REQUESTED' }) }))
      .on('GET', `/environments/${ID}`, sequence(environment({ status: 'ROLLING_BACK' }), failed));

    const run = await runAgainst(api, ['create', '-f', 'env.json', '--wait', '--json'], {
      files: { 'env.json': SPEC },
    });

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout).status).toBe('FAILED');
    expect(run.stderr).toContain(`✖ shop-dev (${ID}) ended FAILED (expected READY)`);
    expect(run.stderr).toContain('  step:    create-network\n  code:    VpcLimitExceeded\n');
    expect(run.stderr).toContain('  message: The maximum number of VPCs has been reached.');
  });
});

describe('waiting', () => {
  it('backs off while nothing changes and polls quickly again once progress moves', async () => {
    const at = (percent: number) => environment({ progress: { percent, completedSteps: [] } });
    const api = new FakeApi().on(
      'GET',
      `/environments/${ID}`,
      sequence(at(10), at(10), at(10), at(10), at(20), READY),
    );
    const clock = new FakeClock();

    const run = await runAgainst(api, ['status', ID, '--wait'], { clock });

    expect(run.code).toBe(0);
    // The first GET is the status read itself; the wait's own polls then follow.
    expect(clock.sleeps).toEqual([1000, 1500, 2250, 1000]);
  });

  it('exits 5 at the deadline and leaves the environment alone', async () => {
    const api = new FakeApi().on('GET', `/environments/${ID}`, sequence(environment()));
    const clock = new FakeClock();

    const run = await runAgainst(api, ['status', ID, '--wait', '--timeout', '30s'], { clock });

    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`Timed out after 0:30: shop-dev (${ID}) is still PROVISIONING 0%`);
    expect(clock.sleeps.reduce((total, ms) => total + ms, 0)).toBe(30_000);
    expect(api.requests.every((request) => request.method === 'GET')).toBe(true);
  });

  it('stops on Ctrl-C with exit 130, sending nothing but reads', async () => {
    const controller = new AbortController();
    let polls = 0;
    const api = new FakeApi()
      .on('DELETE', `/environments/${ID}`, () => ({ status: 202, body: environment({ status: 'DELETING' }) }))
      .on('GET', `/environments/${ID}`, () => {
        polls += 1;
        if (polls === 3) controller.abort();
        return { status: 200, body: environment({ status: 'DELETING' }) };
      });

    const run = await runAgainst(api, ['delete', ID, '--yes', '--wait'], { signal: controller.signal });

    expect(run.code).toBe(130);
    expect(run.stderr).toContain('Stopped waiting');
    expect(run.stderr).toContain(`berth status ${ID} --wait`);
    expect(api.requests.map((request) => request.method)).toEqual(['DELETE', 'GET', 'GET', 'GET']);
  });

  it('rides out a few 5xx answers while polling, and exits 4 when they go on', async () => {
    let failuresLeft = 2;
    const api = new FakeApi()
      .on('POST', '/environments', () => ({ status: 202, body: environment({ status: 'REQUESTED' }) }))
      .on('GET', `/environments/${ID}`, () => {
        if (failuresLeft <= 0) return { status: 200, body: READY };
        failuresLeft -= 1;
        return { status: 502, body: { message: 'Bad Gateway' } };
      });
    const files = { 'env.json': SPEC };

    const recovered = await runAgainst(api, ['create', '-f', 'env.json', '--wait'], { files });
    failuresLeft = Number.POSITIVE_INFINITY;
    const gaveUp = await runAgainst(api, ['create', '-f', 'env.json', '--wait'], { files });

    expect(recovered.code).toBe(0);
    expect(recovered.stderr).toContain('HTTP 502: Bad Gateway; retrying');
    expect(gaveUp.code).toBe(4);
    expect(gaveUp.stderr).toMatch(/HTTP 502: Bad Gateway\n$/);
  });

  it('draws a live line with a progress bar on a terminal', async () => {
    const provisioning = environment({
      progress: { percent: 50, currentStep: 'create-load-balancer', completedSteps: [] },
    });
    const api = new FakeApi().on('GET', `/environments/${ID}`, sequence(provisioning, provisioning, READY));

    const run = await runAgainst(api, ['status', ID, '--wait'], { stderrIsTTY: true });

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('\r\x1b[2K');
    expect(run.stderr).toMatch(/PROVISIONING {2}\[█{12}░{12}\] {2}50% {2}create-load-balancer {2}0:0\d/);
    expect(run.stderr).toContain('  ✔ create-network');
    // The live line is erased before the outcome is printed on stdout.
    expect(run.stderr.endsWith('\r\x1b[2K')).toBe(true);
  });
});

describe('berth update', () => {
  it('sends the patch as a merge patch with If-Match set to the ETag it read', async () => {
    const api = new FakeApi()
      .on('GET', `/environments/${ID}`, () => ({ status: 200, body: READY, headers: { etag: '"9"' } }))
      .on('PATCH', `/environments/${ID}`, () => ({
        status: 202,
        body: { ...READY, status: 'UPDATING', version: 10 },
      }));

    const run = await runAgainst(api, ['update', ID, '-f', 'patch.yml'], {
      files: { 'patch.yml': 'services:\n  - name: api\n    desiredCount: 3\n' },
    });

    expect(run.code).toBe(0);
    const patch = api.requests.find((request) => request.method === 'PATCH');
    expect(patch?.headers.get('if-match')).toBe('"9"');
    expect(patch?.headers.get('content-type')).toBe('application/merge-patch+json');
    expect(patch?.body).toEqual({ services: [{ name: 'api', desiredCount: 3 }] });
    expect(run.stdout).toContain('is UPDATING (version 10)');
  });

  it('says someone else changed the environment when the API answers 412', async () => {
    const api = new FakeApi()
      .on('GET', `/environments/${ID}`, () => ({ status: 200, body: READY, headers: { etag: '"9"' } }))
      .on('PATCH', `/environments/${ID}`, () => ({
        status: 412,
        body: {
          type: 'urn:berth:problem:precondition-failed',
          title: 'Precondition Failed',
          status: 412,
          detail: 'stale',
        },
      }));

    const run = await runAgainst(api, ['update', ID, '-f', 'patch.json'], { files: { 'patch.json': '{}' } });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `shop-dev (${ID}) was changed by someone else after it was read (version 9)`,
    );
  });
});

describe('berth delete', () => {
  it('--wait ends with exit 0 when the environment is DELETED', async () => {
    const api = new FakeApi()
      .on('DELETE', `/environments/${ID}`, () => ({ status: 202, body: { ...READY, status: 'DELETING' } }))
      .on(
        'GET',
        `/environments/${ID}`,
        sequence({ ...READY, status: 'DELETING' }, { ...READY, status: 'DELETED' }),
      );

    const run = await runAgainst(api, ['delete', ID, '--wait', '--yes']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`shop-dev (${ID}) is DELETED`);
  });

  it('--wait exits 3 with the blocking resource when the teardown ends DELETE_FAILED', async () => {
    const failed = {
      ...READY,
      status: 'DELETE_FAILED',
      error: {
        step: 'delete-network',
        code: 'DependencyViolation',
        message: 'subnet-1 has ENI eni-9 attached',
      },
    };
    const api = new FakeApi()
      .on('DELETE', `/environments/${ID}`, () => ({ status: 202, body: { ...READY, status: 'DELETING' } }))
      .on('GET', `/environments/${ID}`, sequence(failed));

    const run = await runAgainst(api, ['delete', ID, '--wait', '--yes']);

    expect(run.code).toBe(3);
    expect(run.stderr).toContain('ended DELETE_FAILED (expected DELETED)');
    expect(run.stderr).toContain('DependencyViolation');
  });

  it('sends nothing when the person at the terminal declines', async () => {
    const api = new FakeApi().on('GET', `/environments/${ID}`, () => ({ status: 200, body: READY }));
    const questions: string[] = [];

    const run = await runAgainst(api, ['delete', ID], {
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });

    expect(run.code).toBe(1);
    expect(questions).toEqual([`Delete shop-dev (${ID}) of team payments and every resource it owns?`]);
    expect(api.requests.some((request) => request.method === 'DELETE')).toBe(false);
  });
});

describe('names', () => {
  const deleted = environment({ id: 'env-01jd5y8q7n3w0s2k4m6p8r0aaa', status: 'DELETED' });
  const other = environment({ id: 'env-01jd5y8q7n3w0s2k4m6p8r0bbb', team: 'search' });

  it('resolve within --team, preferring a live environment over a deleted one of the same name', async () => {
    const api = new FakeApi()
      .on('GET', '/environments', () => ({ status: 200, body: { items: [deleted, READY] } }))
      .on('GET', `/environments/${ID}`, () => ({ status: 200, body: READY }));

    const run = await runAgainst(api, ['status', 'shop-dev', '--team', 'payments']);

    expect(run.code).toBe(0);
    expect(api.requests[0]?.query.get('team')).toBe('payments');
    expect(run.stdout).toContain(`shop-dev (${ID})  team payments`);
  });

  it('asks for --team when the name is used by two teams, and exits 2 for an unknown name', async () => {
    const api = new FakeApi().on('GET', '/environments', () => ({
      status: 200,
      body: { items: [READY, other] },
    }));

    const ambiguous = await runAgainst(api, ['events', 'shop-dev']);
    const unknown = await runAgainst(api, ['events', 'nope']);

    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('pass --team or an id');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('No environment named "nope" in your teams\n');
  });
});

describe('berth list', () => {
  it('follows every page and prints one table', async () => {
    const second = environment({ id: 'env-01jd5y8q7n3w0s2k4m6p8r0ccc', name: 'web' });
    const api = new FakeApi().on('GET', '/environments', (request) =>
      request.query.get('cursor') === 'page-2'
        ? { status: 200, body: { items: [second] } }
        : { status: 200, body: { items: [READY], nextCursor: 'page-2' } },
    );

    const run = await runAgainst(api, ['list', '--status', 'ready']);

    expect(run.code).toBe(0);
    expect(api.requests[0]?.query.get('status')).toBe('READY');
    expect(run.stdout.split('\n')).toEqual([
      'ID                              NAME      TEAM      STATUS        PERCENT  URL',
      `${ID}  shop-dev  payments  READY         100%     http://shop-dev-123.elb.example.com`,
      'env-01jd5y8q7n3w0s2k4m6p8r0ccc  web       payments  PROVISIONING  0%       -',
      '',
    ]);
  });

  it('prints the items as JSON with --json', async () => {
    const api = new FakeApi().on('GET', '/environments', () => ({ status: 200, body: { items: [READY] } }));

    const run = await runAgainst(api, ['list', '--json']);

    expect(JSON.parse(run.stdout)).toEqual({ items: [READY] });
  });
});

describe('berth run-task', () => {
  it('posts the service, the command split into words and the count', async () => {
    const api = new FakeApi().on('POST', `/environments/${ID}/tasks`, () => ({
      status: 202,
      body: {
        tasks: [
          {
            taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/1',
            group: 'run:api',
            lastStatus: 'PROVISIONING',
          },
        ],
      },
    }));

    const run = await runAgainst(api, [
      'run-task',
      ID,
      '--service',
      'api',
      '--command',
      'node migrate.js "a b"',
      '--count',
      '2',
    ]);

    expect(run.code).toBe(0);
    expect(api.requests[0]?.body).toEqual({
      service: 'api',
      command: ['node', 'migrate.js', 'a b'],
      count: 2,
    });
    expect(run.stdout).toBe(
      `Started 1 task(s) in ${ID}:\n` +
        'TASK                                         GROUP    STATUS\n' +
        'arn:aws:ecs:us-east-1:000000000000:task/c/1  run:api  PROVISIONING\n',
    );
  });

  it('takes the command after -- and needs exactly one of --service or --job', async () => {
    const api = new FakeApi().on('POST', `/environments/${ID}/tasks`, () => ({
      status: 202,
      body: { tasks: [] },
    }));

    const ok = await runAgainst(api, [
      'run-task',
      ID,
      '--job',
      'nightly',
      '--idempotency-key',
      'k1',
      '--',
      'echo',
      '--flag',
    ]);
    const neither = await runAgainst(api, ['run-task', ID]);

    expect(ok.code).toBe(0);
    expect(api.requests[0]?.body).toEqual({ job: 'nightly', command: ['echo', '--flag'] });
    expect(api.requests[0]?.headers.get('idempotency-key')).toBe('k1');
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('Pass exactly one of --service or --job');
  });
});

describe('berth policy', () => {
  const view = {
    team: 'payments',
    overrides: {
      hostedZones: [{ hostedZoneId: 'Z0123456789ABC', recordNameSuffixes: ['payments.example.com'] }],
    },
    policy: {
      hostedZones: [{ hostedZoneId: 'Z0123456789ABC', recordNameSuffixes: ['payments.example.com'] }],
      certificates: [],
      imagePrefixes: ['*'],
      secretPrefixes: { secretsManager: ['berth/payments/'], ssmParameters: ['/berth/payments/'] },
      taskRoleResources: ['arn:*:sqs:*:*:payments-*'],
      taskRoleActions: ['*'],
      ec2: { instanceTypes: ['*'], amiIds: [], keyPairs: [] },
      tasks: { maxCpu: 196608, maxMemory: 1048576, maxDesiredCount: 100, maxServices: 10, maxJobs: 20 },
      allowedIngressCidrs: ['0.0.0.0/0'],
    },
  };

  it('get prints the policy in force, one rule a line, marking the team’s own', async () => {
    const api = new FakeApi().on('GET', '/teams/payments/policy', () => ({ status: 200, body: view }));

    const run = await runAgainst(api, ['policy', 'get', 'payments']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('hosted zones (team’s own): Z0123456789ABC (payments.example.com)');
    expect(run.stdout).toContain('secrets: Secrets Manager berth/payments/; SSM /berth/payments/');
    expect(run.stdout).toContain('AMIs the ECS-optimised one only; key pairs none');
    expect(run.stdout).toContain('certificates: none');
    expect(run.stdout).toContain('task role resources: arn:*:sqs:*:*:payments-*');
    expect(run.stdout).toContain('task role actions: *');
  });

  it('set sends the file as the team’s rules with PUT', async () => {
    const api = new FakeApi().on('PUT', '/teams/payments/policy', () => ({ status: 200, body: view }));

    const run = await runAgainst(api, ['policy', 'set', 'payments', '-f', 'policy.json', '--json'], {
      files: { 'policy.json': JSON.stringify(view.overrides) },
    });

    expect(run.code).toBe(0);
    expect(api.requests[0]?.body).toEqual(view.overrides);
    expect(JSON.parse(run.stdout)).toEqual(view);
  });

  it('exits 2 when the API refuses a caller who is not an admin, and 1 without a file or action', async () => {
    const api = new FakeApi().on('PUT', '/teams/payments/policy', () => ({
      status: 403,
      body: {
        type: 'urn:berth:problem:forbidden',
        title: 'Forbidden',
        status: 403,
        detail: 'only a berth admin may set team policies',
      },
    }));

    const refused = await runAgainst(api, ['policy', 'set', 'payments', '-f', 'p.json'], {
      files: { 'p.json': '{}' },
    });
    const noFile = await runAgainst(api, ['policy', 'set', 'payments']);
    const unknown = await runAgainst(api, ['policy', 'show', 'payments']);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('only a berth admin may set team policies');
    expect([noFile.code, unknown.code]).toEqual([1, 1]);
    expect(api.requests).toHaveLength(1);
  });
});
