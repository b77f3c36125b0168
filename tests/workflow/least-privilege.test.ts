/**
 * Least privilege proven by use: under the simulated AWS's IAM enforcement, the provisioning workflow
 * fails when one statement is taken out of a step's role — FAILED with AWS's refusal naming the action,
 * nothing left behind — and reaches READY again once the statement is back. (Every other workflow
 * suite fails on any refusal at all: tests/support/iam-usage.ts.)
 */

import { stackTemplate } from '../../local/function-identities';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

const SERVERLESS_YML = `${__dirname}/../../serverless.yml`;

let stack: WorkflowStack;
let template: { Resources: Record<string, unknown> };

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005, expectDenials: true });
  template = (await stackTemplate(SERVERLESS_YML, 'test')).template;
});

afterAll(async () => {
  // The statement is back whatever a test did, so the stack stops with berth's real roles.
  stack.simulator.sim.loadTemplateRoles(template, 'berth-test');
  await stack.stop();
});

interface PolicyStatement {
  Action?: string | string[];
}

/** The template with the statements of `roleId` that grant `action` removed. */
function withoutGrant(roleId: string, action: string): unknown {
  const copy = structuredClone(template) as {
    Resources: Record<
      string,
      { Properties: { Policies: Array<{ PolicyDocument: { Statement: PolicyStatement[] } }> } }
    >;
  };
  const role = copy.Resources[roleId];
  if (role === undefined) throw new Error(`no role ${roleId} in the template`);
  for (const policy of role.Properties.Policies) {
    const statements = policy.PolicyDocument.Statement;
    policy.PolicyDocument.Statement = statements.filter(
      (statement) => ![statement.Action].flat().includes(action),
    );
  }
  return copy;
}

async function create(caller: Caller, team: string, name: string): Promise<Environment> {
  const outcome = await createEnvironment(stack.deps, caller, {
    name,
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  return getEnvironment(stack.deps, caller, outcome.environment.id);
}

it('ends FAILED naming the denied action when a step role lacks one statement, and READY once it is back', async () => {
  // Prepare
  const team = `lp${process.pid % 10_000}`;
  const caller = memberOf(team);
  stack.simulator.sim.loadTemplateRoles(withoutGrant('CreateNetworkRole', 'ec2:CreateVpc'), 'berth-test');

  // Act
  const failed = await create(caller, team, 'denied');
  const leftAfterFailure = await stack.inventory(failed.id);
  stack.simulator.sim.loadTemplateRoles(template, 'berth-test');
  const ready = await create(caller, team, 'allowed');
  await deleteEnvironment(stack.deps, caller, ready.id);
  await stack.settle(ready.id);
  const deleted = await getEnvironment(stack.deps, caller, ready.id);

  // Assess
  expect(failed.status).toBe('FAILED');
  expect(failed.error).toEqual(
    expect.objectContaining({
      step: 'create-network',
      code: 'UnauthorizedOperation',
      message: expect.stringContaining('is not authorized to perform: ec2:CreateVpc'),
    }),
  );
  expect(leftAfterFailure).toEqual({});
  expect(ready.status).toBe('READY');
  expect(deleted.status).toBe('DELETED');
  expect(await stack.inventory(ready.id)).toEqual({});
});
