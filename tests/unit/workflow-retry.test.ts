/**
 * The workflows' Retry on Lambda timeouts: every Lambda task of every state machine in serverless.yml
 * runs again, a bounded number of times, when its function runs past its timeout, under the name the
 * local engine reports for it (docs/aws-facts.md#throttling-at-scale-retry-budgets).
 */
import path from 'node:path';
import { allNamedStates, loadServerlessProject } from '@berth/sfn-local/definitions';
import { SANDBOX_TIMEDOUT } from '@berth/sfn-local/invokers';
import { isJsonObject, type JsonObject } from '@berth/sfn-local/json';

const SERVERLESS_YML = path.join(__dirname, '..', '..', 'serverless.yml');

interface Retrier {
  errors: string[];
  maxAttempts: number;
}

function retriersOf(state: JsonObject): Retrier[] {
  const retry = Array.isArray(state.Retry) ? state.Retry : [];
  return retry.filter(isJsonObject).map((retrier) => ({
    errors: Array.isArray(retrier.ErrorEquals) ? retrier.ErrorEquals.map(String) : [],
    // Step Functions' default is 3.
    maxAttempts: typeof retrier.MaxAttempts === 'number' ? retrier.MaxAttempts : 3,
  }));
}

/** Every Task state that invokes one of the project's functions, as `machine/state`. */
function lambdaTasks(): Array<{ where: string; state: JsonObject; timeoutSeconds: number }> {
  const project = loadServerlessProject(SERVERLESS_YML, { stage: 'test' });
  const byName = new Map(Object.values(project.functions).map((fn) => [fn.deployedName, fn]));
  return project.stateMachines.flatMap((machine) =>
    allNamedStates(machine.definition).flatMap(([name, state]) => {
      const fn =
        state.Type === 'Task' && typeof state.Resource === 'string' ? byName.get(state.Resource) : undefined;
      return fn ? [{ where: `${machine.key}/${name}`, state, timeoutSeconds: fn.timeoutSeconds }] : [];
    }),
  );
}

describe('workflow Retry on Lambda timeouts', () => {
  it('finds the Lambda tasks of all three workflows', () => {
    // Act
    const machines = new Set(lambdaTasks().map((task) => task.where.split('/')[0]));

    // Assess
    expect([...machines].sort()).toEqual(['provision', 'teardown', 'update']);
  });

  it("retries every Lambda task on the local engine's timeout error and on Lambda.Unknown, at most three times", () => {
    // Prepare
    const tasks = lambdaTasks();

    // Act
    const missing = tasks
      .filter(({ state }) => {
        const retrier = retriersOf(state).find((candidate) => candidate.errors.includes(SANDBOX_TIMEDOUT));
        return !(
          retrier?.errors.includes('Lambda.Unknown') &&
          retrier.maxAttempts >= 1 &&
          retrier.maxAttempts <= 3
        );
      })
      .map(({ where }) => where);

    // Assess
    expect(SANDBOX_TIMEDOUT).toBe('Sandbox.Timedout');
    expect(missing).toEqual([]);
  });

  it('gives each step time to end before a timed-out run and its retries exceed ten minutes', () => {
    // Prepare
    const tasks = lambdaTasks();

    // Act
    const worst = tasks.map(({ where, state, timeoutSeconds }) => {
      const retrier = retriersOf(state).find((candidate) => candidate.errors.includes(SANDBOX_TIMEDOUT));
      return { where, seconds: timeoutSeconds * (1 + (retrier?.maxAttempts ?? 0)) };
    });

    // Assess
    expect(worst.filter(({ seconds }) => seconds > 600)).toEqual([]);
  });
});
