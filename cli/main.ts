/**
 * The berth CLI: `berth <command> [options]`. It speaks only HTTP to the berth API (no AWS SDK, no
 * store), so it needs nothing but an API URL and a token. `runCli` is the whole program with its
 * surroundings passed in; `runFromProcess` binds it to this process (argv, env, stdio, Ctrl-C).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { text } from 'node:stream/consumers';
import {
  type Clock,
  type CommandContext,
  type CommandDefinition,
  parseCommandLine,
  renderCommandHelp,
  renderOverview,
  type Terminal,
} from './args';
import { ApiClient } from './client';
import { createCommand } from './commands/create';
import { deleteCommand } from './commands/delete';
import { eventsCommand } from './commands/events';
import { listCommand } from './commands/list';
import { policyCommand } from './commands/policy';
import { runTaskCommand } from './commands/run-task';
import { statusCommand } from './commands/status';
import { updateCommand } from './commands/update';
import { resolveConfig } from './config';
import { CliError, EXIT } from './exit-codes';

export const COMMANDS: readonly CommandDefinition[] = [
  createCommand,
  statusCommand,
  listCommand,
  updateCommand,
  deleteCommand,
  eventsCommand,
  runTaskCommand,
  policyCommand,
];

export interface CliEnvironment {
  env: NodeJS.ProcessEnv;
  homedir: string;
  stdout: Terminal;
  stderr: Terminal;
  signal: AbortSignal;
  clock: Clock;
  readText(path: string): Promise<string>;
  /** Synchronous and undefined when missing: the config file is optional. */
  readConfigFile(path: string): string | undefined;
  confirm(question: string): Promise<boolean | undefined>;
  fetch?: typeof fetch;
}

/** Runs one command line and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], surroundings: CliEnvironment): Promise<number> {
  const { stdout, stderr, signal } = surroundings;
  try {
    const commandLine = parseCommandLine(argv, COMMANDS);
    if (commandLine.kind === 'help') {
      stdout.write(commandLine.command ? renderCommandHelp(commandLine.command) : renderOverview(COMMANDS));
      return EXIT.ok;
    }
    const config = resolveConfig({
      flags: commandLine.global,
      env: surroundings.env,
      homedir: surroundings.homedir,
      readFile: surroundings.readConfigFile,
    });
    const context: CommandContext = {
      client: new ApiClient(config.apiUrl, config.token, surroundings.fetch),
      stdout,
      stderr,
      json: commandLine.global.json,
      signal,
      clock: surroundings.clock,
      readText: surroundings.readText,
      confirm: surroundings.confirm,
    };
    return await commandLine.command.run(context, commandLine.input);
  } catch (error) {
    if (signal.aborted) {
      // A request may have reached the API before Ctrl-C; the CLI cannot know whether it took effect.
      stderr.write('Interrupted. A request already sent may still take effect: check with "berth list".\n');
      return EXIT.interrupted;
    }
    if (error instanceof CliError) {
      stderr.write(`${error.lines.join('\n')}\n`);
      return error.exitCode;
    }
    stderr.write(`berth: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

function terminalOf(stream: NodeJS.WriteStream): Terminal {
  return { write: (chunk) => void stream.write(chunk), isTTY: stream.isTTY === true };
}

function readOptionalFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT')
      return undefined;
    throw error;
  }
}

/** The CLI bound to this process; sets process.exitCode rather than exiting, so output is flushed. */
export async function runFromProcess(): Promise<void> {
  const controller = new AbortController();
  // The first Ctrl-C ends the wait gracefully; a second one (listener gone) kills the process as usual.
  process.once('SIGINT', () => controller.abort());
  const confirm = async (question: string): Promise<boolean | undefined> => {
    if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await prompt.question(`${question} [y/N] `, { signal: controller.signal });
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      prompt.close();
    }
  };
  process.exitCode = await runCli(process.argv.slice(2), {
    env: process.env,
    homedir: homedir(),
    stdout: terminalOf(process.stdout),
    stderr: terminalOf(process.stderr),
    signal: controller.signal,
    clock: realClock,
    readText: (path) => (path === '-' ? text(process.stdin) : readFile(path, 'utf8')),
    readConfigFile: readOptionalFile,
    confirm,
  });
}

if (require.main === module) void runFromProcess();
