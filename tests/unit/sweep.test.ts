/**
 * The teardown's sweep after a stopped run: it lasts as long as the longest step may still run, and
 * that length is the longest timeout declared for a workflow step.
 */
import { LONGEST_STEP_SECONDS, sweepProgress } from '../../shared/workflow/sweep';

// infra/ is CommonJS, read here as the template test reads it.
const steps = require('../../infra/functions/steps.js') as Record<string, { timeout?: number }>;

describe('the sweep after a stopped run', () => {
  it('lasts at least the longest timeout declared for any step', () => {
    // Prepare
    const timeouts = Object.values(steps).map((declaration) => declaration.timeout ?? 0);

    // Act
    const longest = Math.max(...timeouts);

    // Assess
    expect(timeouts.length).toBeGreaterThan(10);
    expect(LONGEST_STEP_SECONDS).toBeGreaterThanOrEqual(longest);
  });

  it('is pending on the first pass and until the waits between passes add up to it', () => {
    // Prepare
    const first = sweepProgress({ attempt: 0, wait: 0 }, true);
    const second = sweepProgress({ attempt: 1, wait: 5, waited: first.waited }, true);
    const almost = sweepProgress({ attempt: 6, wait: 20, waited: LONGEST_STEP_SECONDS - 21 }, true);
    const enough = sweepProgress({ attempt: 7, wait: 20, waited: LONGEST_STEP_SECONDS - 20 }, true);

    // Assess
    expect(first).toEqual({ waited: 0, pending: true });
    expect(second).toEqual({ waited: 5, pending: true });
    expect(almost.pending).toBe(true);
    expect(enough).toEqual({ waited: LONGEST_STEP_SECONDS, pending: false });
  });

  it('never holds a teardown that follows no running workflow', () => {
    // Act
    const sweep = sweepProgress({ attempt: 0, wait: 0 }, false);

    // Assess
    expect(sweep.pending).toBe(false);
  });
});
