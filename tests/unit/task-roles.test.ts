/**
 * Which task roles a spec may name (shared/domain/task-roles.ts) and how a create, a dry run and an
 * update refuse the others: 422 problem+json naming /services/<i>/taskRoleArn, before anything is
 * written (shared/app/spec-request.ts).
 */
import { createEnvironment } from '../../shared/app/create';
import { UseCaseError } from '../../shared/app/errors';
import type { Dependencies } from '../../shared/app/ports';
import { assertDeployable } from '../../shared/app/spec-request';
import { updateEnvironment } from '../../shared/app/update';
import { environmentRequestSchema } from '../../shared/domain/spec';
import { executionPolicyProblems, matchesArnPattern, taskRoleProblems } from '../../shared/domain/task-roles';
import type { EnvironmentStore, StoredEnvironment } from '../../shared/store/environments';
import { memberOf } from '../support/callers';
import { shopSpec } from '../support/specs';

const PATTERN = 'arn:aws:iam::123456789012:role/berth-task-*';
const ALLOWED = 'arn:aws:iam::123456789012:role/berth-task-payments-api';
const OUTSIDE = 'arn:aws:iam::123456789012:role/admin';

/** What a use case threw, as the caller sees it (kind, field paths). */
async function refusalOf(promise: Promise<unknown>): Promise<{ kind: string; paths: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UseCaseError) {
      return { kind: error.kind, paths: (error.errors ?? []).map((entry) => entry.path) };
    }
    throw error;
  }
  throw new Error('expected a refusal');
}

/**
 * Dependencies whose store knows one environment (for update's read) and fails any write, so a
 * refusal is shown to come before anything is written.
 */
function depsWith(stored?: StoredEnvironment): Dependencies {
  const store = new Proxy(
    {},
    {
      get: (_target, property) => {
        if (property === 'get') return async () => stored;
        return () => {
          throw new Error(`the store was asked to ${String(property)}`);
        };
      },
    },
  ) as EnvironmentStore;
  const refuse = async () => {
    throw new Error('no workflow may start or stop');
  };
  const workflows = { start: refuse, stop: refuse };
  return { store, workflows, taskRoleArnPattern: PATTERN };
}

describe('matching a role ARN against the allowed pattern', () => {
  it.each([
    [ALLOWED, PATTERN],
    ['arn:aws:iam::123456789012:role/teams/payments/api', 'arn:aws:iam::123456789012:role/teams/*'],
    ['arn:aws:iam::123456789012:role/berth-task-a1', 'arn:aws:iam::123456789012:role/berth-task-??'],
    ['arn:aws:iam::123456789012:role/berth-task-a', 'arn:aws:iam::*:role/berth-task-*'],
  ])('accepts %s under %s', (arn, pattern) => {
    // Act / Assess
    expect(matchesArnPattern(arn, pattern)).toBe(true);
  });

  it.each([
    [OUTSIDE, PATTERN, 'another name'],
    ['arn:aws:iam::999999999999:role/berth-task-a', PATTERN, 'another account'],
    [
      'arn:aws:iam::123456789012:role/Berth-Task-a',
      PATTERN,
      'another case: IAM compares resources case-sensitively',
    ],
    [
      'arn:aws:iam::123456789012:role/berth-task-abc',
      'arn:aws:iam::123456789012:role/berth-task-??',
      '? is one character',
    ],
    [
      'arn:aws:iam::123456789012:role/berth-taskXa',
      'arn:aws:iam::123456789012:role/berth-task.a',
      '. is literal',
    ],
    ['arn:aws:iam::123456789012:role/x', 'arn:aws:iam:*:role/x', 'a * stays within its ARN part'],
  ])('refuses %s under %s (%s)', (arn, pattern) => {
    // Act / Assess
    expect(matchesArnPattern(arn, pattern)).toBe(false);
  });
});

describe('the task roles of a spec', () => {
  it('names every service whose taskRoleArn is outside the pattern, at its field', () => {
    // Prepare
    const services = [{ taskRoleArn: ALLOWED }, {}, { taskRoleArn: OUTSIDE }];

    // Act
    const problems = taskRoleProblems(shopSpec(services), PATTERN);

    // Assess
    expect(problems).toEqual([
      { path: ['services', 2, 'taskRoleArn'], message: expect.stringContaining(PATTERN) },
    ]);
  });

  it('finds nothing when every task role is allowed or absent', () => {
    // Act
    const problems = taskRoleProblems(shopSpec([{ taskRoleArn: ALLOWED }, {}]), PATTERN);

    // Assess
    expect(problems).toEqual([]);
  });
});

describe('the size of the execution role policy a spec needs', () => {
  const secrets = (count: number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, index) => [
        `SECRET_${index}`,
        `arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/api/a-rather-long-secret-name-${index}-AbCdEf`,
      ]),
    );

  it('accepts a spec with a few secrets', () => {
    // Act
    const problems = executionPolicyProblems(shopSpec([{ secrets: secrets(20) }]));

    // Assess
    expect(problems).toEqual([]);
  });

  it("refuses a spec whose distinct secrets would not fit IAM's 10,240 characters, at /services", () => {
    // Act
    const problems = executionPolicyProblems(shopSpec([{ secrets: secrets(100) }]));

    // Assess
    expect(problems).toEqual([{ path: ['services'], message: expect.stringContaining('10240') }]);
  });
});

describe('a request naming a task role', () => {
  const body = (taskRoleArn: string) => ({
    name: 'shop',
    team: 'payments',
    services: [
      { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
      { name: 'web', image: 'nginx:1.27', taskRoleArn },
    ],
  });

  it('is refused with 422 naming /services/1/taskRoleArn when outside the pattern', () => {
    // Act
    const refuse = () =>
      assertDeployable(environmentRequestSchema.parse(body(OUTSIDE)), { taskRoleArnPattern: PATTERN });

    // Assess
    expect(refuse).toThrow(
      expect.objectContaining({
        kind: 'unprocessable',
        errors: [{ path: '/services/1/taskRoleArn', message: expect.stringContaining(PATTERN) }],
      }),
    );
  });

  it('is accepted within the pattern', () => {
    // Act
    const accept = () =>
      assertDeployable(environmentRequestSchema.parse(body(ALLOWED)), { taskRoleArnPattern: PATTERN });

    // Assess
    expect(accept).not.toThrow();
  });

  it('is refused on a dry run of a create, before any write', async () => {
    // Act
    const refusal = await refusalOf(
      createEnvironment(depsWith(), memberOf('payments'), body(OUTSIDE), { dryRun: true }),
    );

    // Assess
    expect(refusal).toEqual({ kind: 'unprocessable', paths: ['/services/1/taskRoleArn'] });
  });

  it('is answered on a dry run of a create when allowed', async () => {
    // Act
    const outcome = await createEnvironment(depsWith(), memberOf('payments'), body(ALLOWED), {
      dryRun: true,
    });

    // Assess
    expect(outcome).toMatchObject({ kind: 'dry-run', spec: { services: [{}, { taskRoleArn: ALLOWED }] } });
  });

  it('is refused by a create, before any write', async () => {
    // Act
    const refusal = await refusalOf(createEnvironment(depsWith(), memberOf('payments'), body(OUTSIDE)));

    // Assess
    expect(refusal).toEqual({ kind: 'unprocessable', paths: ['/services/1/taskRoleArn'] });
  });

  it('is refused by an update, before any write', async () => {
    // Prepare
    const now = new Date().toISOString();
    const stored: StoredEnvironment = {
      id: 'env-01jd0000000000000000a1b2c3',
      team: 'payments',
      name: 'shop',
      createdBy: 'alice',
      spec: environmentRequestSchema.parse(body(ALLOWED)),
      status: 'READY',
      version: 3,
      createdAt: now,
      updatedAt: now,
      progress: { percent: 100, completedSteps: [] },
      resources: {},
      outputs: {},
    };
    const patch = {
      services: [
        { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
        { name: 'web', image: 'nginx:1.27', taskRoleArn: OUTSIDE },
      ],
    };

    // Act
    const refusal = await refusalOf(
      updateEnvironment(depsWith(stored), memberOf('payments'), stored.id, patch, '"3"'),
    );

    // Assess
    expect(refusal).toEqual({ kind: 'unprocessable', paths: ['/services/1/taskRoleArn'] });
  });
});
