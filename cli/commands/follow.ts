/**
 * `--wait` for every command: follows the workflow an accepted request started until it settles,
 * then prints the outcome and returns the exit code it means.
 */
import type { CommandContext, CommandInput, OptionDefinition } from '../args';
import { describeError, describeUrls, label, printJson } from '../describe';
import { type EnvironmentView, isFailure } from '../environment-view';
import { EXIT, type ExitCode } from '../exit-codes';
import { createProgressReporter, formatElapsed, silentReporter } from '../progress';
import { waitForEnvironment } from '../wait';

/** Long enough for a per-AZ NAT gateway network and an EC2 capacity provider; `--timeout` for more. */
const DEFAULT_TIMEOUT_MS = 45 * 60_000;

export const WAIT_OPTIONS: Record<string, OptionDefinition> = {
  wait: {
    type: 'boolean',
    short: 'w',
    description: 'follow the workflow until it ends (progress on stderr)',
  },
  timeout: {
    type: 'string',
    valueName: '<duration>',
    description: 'with --wait: give up after this long, e.g. 90s, 20m, 1h (default 45m; exit 5)',
  },
};

export const TEAM_OPTION: Record<string, OptionDefinition> = {
  team: { type: 'string', valueName: '<team>', description: 'look the name up in this team only' },
};

/** What a successful wait ends in; `any` accepts whichever settled status is not a failure. */
export type WaitGoal = 'READY' | 'DELETED' | 'any';

export async function followIfAsked(
  context: CommandContext,
  input: CommandInput,
  accepted: EnvironmentView,
  goal: WaitGoal,
): Promise<ExitCode | undefined> {
  if (!input.options.flag('wait')) return undefined;
  return follow(context, accepted, goal, input.options.duration('timeout') ?? DEFAULT_TIMEOUT_MS);
}

async function follow(
  context: CommandContext,
  accepted: EnvironmentView,
  goal: WaitGoal,
  timeoutMs: number,
): Promise<ExitCode> {
  const { clock, stdout, stderr, json } = context;
  const startedAt = clock.now();
  // Progress goes to stderr so that stdout carries only the result; with --json it is shown
  // only to a person at a terminal, never into a script's logs.
  const reporter =
    json && !stderr.isTTY ? silentReporter : createProgressReporter(stderr, clock, { startedAt });
  const outcome = await waitForEnvironment(context.client, accepted.id, {
    timeoutMs,
    signal: context.signal,
    clock,
    reporter,
    goneMeansDone: goal === 'DELETED',
  }).finally(() => reporter.stop());
  const elapsed = formatElapsed(clock.now() - startedAt);

  switch (outcome.kind) {
    case 'gone':
      if (json) printJson(stdout, { id: accepted.id, status: 'DELETED' });
      else stdout.write(`✔ ${label(accepted)} is gone (DELETED) after ${elapsed}\n`);
      return EXIT.ok;
    case 'timed-out':
    case 'interrupted': {
      const last = outcome.environment ?? accepted;
      const where = `${last.status} ${Math.round(last.progress.percent)}%`;
      const why = outcome.kind === 'timed-out' ? `Timed out after ${elapsed}` : 'Stopped waiting';
      stderr.write(
        `${why}: ${label(last)} is still ${where}; its workflow goes on and nothing was changed.\n` +
          `Follow it again with: berth status ${last.id} --wait\n`,
      );
      if (json && outcome.environment) printJson(stdout, outcome.environment);
      return outcome.kind === 'timed-out' ? EXIT.timedOut : EXIT.interrupted;
    }
    case 'settled': {
      const { environment, body } = outcome;
      const succeeded = goal === 'any' ? !isFailure(environment.status) : environment.status === goal;
      if (json) printJson(stdout, body);
      if (succeeded) {
        if (!json)
          stdout.write(
            [
              `✔ ${label(environment)} is ${environment.status} after ${elapsed}`,
              ...describeUrls(environment),
              '',
            ].join('\n'),
          );
        return EXIT.ok;
      }
      const expected = goal === 'any' ? '' : ` (expected ${goal})`;
      stderr.write(
        [
          `✖ ${label(environment)} ended ${environment.status}${expected} after ${elapsed}`,
          ...(environment.error ? describeError(environment.error) : []),
          '',
        ].join('\n'),
      );
      return EXIT.environmentFailed;
    }
  }
}
