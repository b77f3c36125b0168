/**
 * Command-line parsing on node:util parseArgs: finds the command wherever global options put it,
 * parses the rest strictly against that command's options, and renders --help from the same
 * definitions so help and parsing cannot disagree.
 */
import { parseArgs } from 'node:util';
import type { ApiClient } from './client';
import { type ExitCode, usageError } from './exit-codes';

export interface OptionDefinition {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in help after the option name, e.g. `<file>`. */
  valueName?: string;
  description: string;
}

export interface ArgumentDefinition {
  name: string;
  description: string;
}

export interface Terminal {
  write(text: string): void;
  isTTY: boolean;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface CommandContext {
  client: ApiClient;
  stdout: Terminal;
  stderr: Terminal;
  json: boolean;
  /** Aborted by Ctrl-C: waiting stops, nothing is sent to the API. */
  signal: AbortSignal;
  clock: Clock;
  /** Reads a whole file, `-` being standard input. */
  readText(path: string): Promise<string>;
  /** Asks a yes/no question on the terminal; undefined when nobody can answer (not a TTY). */
  confirm(question: string): Promise<boolean | undefined>;
}

export interface CommandInput {
  options: ParsedOptions;
  /** The command's arguments, in the order of its `arguments` definition. */
  positionals: string[];
  /** Everything after `--`, verbatim. */
  rest: string[];
}

export interface CommandDefinition {
  name: string;
  summary: string;
  usage: string;
  arguments: ArgumentDefinition[];
  options: Record<string, OptionDefinition>;
  /** Whether words after `--` mean something to this command. */
  acceptsRest?: boolean;
  examples: string[];
  run(context: CommandContext, input: CommandInput): Promise<ExitCode>;
}

export const GLOBAL_OPTIONS: Record<string, OptionDefinition> = {
  'api-url': {
    type: 'string',
    valueName: '<url>',
    description: 'berth API base URL (else BERTH_API_URL, config file)',
  },
  token: { type: 'string', valueName: '<jwt>', description: 'bearer token (else BERTH_TOKEN, config file)' },
  json: { type: 'boolean', description: 'print the API reply as JSON on stdout, for scripts' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

type RawValue = string | boolean | (string | boolean)[] | undefined;

/** Typed access to parsed option values; the accessors turn bad values into usage errors. */
export class ParsedOptions {
  constructor(private readonly values: Record<string, RawValue>) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  integer(name: string, bounds: { min: number; max: number }): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < bounds.min || value > bounds.max) {
      throw usageError(`--${name} must be a whole number from ${bounds.min} to ${bounds.max}, not "${text}"`);
    }
    return value;
  }

  /** `90`, `90s`, `15m`, `2h` → milliseconds. */
  duration(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const match = /^(\d+)\s*(s|m|h)?$/.exec(text.trim());
    const amount = Number(match?.[1]);
    if (!match || amount === 0) {
      throw usageError(`--${name} must be a duration such as 90s, 15m or 1h, not "${text}"`);
    }
    const unit = match[2] === 'h' ? 3_600_000 : match[2] === 'm' ? 60_000 : 1_000;
    return amount * unit;
  }
}

export type CommandLine =
  | { kind: 'help'; command?: CommandDefinition }
  | {
      kind: 'run';
      command: CommandDefinition;
      input: CommandInput;
      global: { apiUrl?: string | undefined; token?: string | undefined; json: boolean };
    };

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_VALUE_OPTIONS = Object.entries(GLOBAL_OPTIONS)
  .filter(([, option]) => option.type === 'string')
  .map(([name]) => `--${name}`);

function findCommandIndex(argv: readonly string[]): number {
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index] ?? '';
    if (word === '--') return -1;
    if (GLOBAL_VALUE_OPTIONS.includes(word)) index += 1;
    else if (!word.startsWith('-')) return index;
  }
  return -1;
}

export function parseCommandLine(
  argv: readonly string[],
  commands: readonly CommandDefinition[],
): CommandLine {
  const index = findCommandIndex(argv);
  const name = index === -1 ? undefined : argv[index];
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? argv[index + 1] : undefined;
    const command = commands.find((candidate) => candidate.name === topic);
    if (topic !== undefined && command === undefined) throw unknownCommand(topic, commands);
    if (name === undefined && !argv.some((word) => word === '--help' || word === '-h')) {
      throw usageError('Missing a command.', '', renderOverview(commands));
    }
    return command ? { kind: 'help', command } : { kind: 'help' };
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) throw unknownCommand(name, commands);

  const words = [...argv.slice(0, index), ...argv.slice(index + 1)];
  const separator = words.indexOf('--');
  const rest = separator === -1 ? [] : words.slice(separator + 1);
  const parsable = separator === -1 ? words : words.slice(0, separator);
  const definitions = { ...GLOBAL_OPTIONS, ...command.options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: parsable,
      options: Object.fromEntries(
        Object.entries(definitions).map(([option, definition]) => [
          option,
          { type: definition.type, ...(definition.short ? { short: definition.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs explains itself well ("Unknown option '--fil'"); add where to look.
    const message = error instanceof Error ? error.message : String(error);
    throw usageError(message, `Run "berth ${command.name} --help" for its options.`);
  }
  const options = new ParsedOptions(parsed.values);
  if (options.flag('help')) return { kind: 'help', command };

  if (rest.length > 0 && !command.acceptsRest) {
    throw usageError(`berth ${command.name} takes nothing after "--"`);
  }
  const expected = command.arguments.map((argument) => argument.name);
  if (parsed.positionals.length < expected.length) {
    const missing = expected.slice(parsed.positionals.length).map((argument) => `<${argument}>`);
    throw usageError(`Missing ${missing.join(' ')}. Usage: berth ${command.usage}`);
  }
  if (parsed.positionals.length > expected.length) {
    const extra = parsed.positionals.slice(expected.length).join(' ');
    throw usageError(`Unexpected argument(s): ${extra}. Usage: berth ${command.usage}`);
  }
  return {
    kind: 'run',
    command,
    input: { options, positionals: parsed.positionals, rest },
    global: { apiUrl: options.string('api-url'), token: options.string('token'), json: options.flag('json') },
  };
}

function unknownCommand(name: string, commands: readonly CommandDefinition[]) {
  return usageError(
    `Unknown command "${name}". Commands: ${commands.map((command) => command.name).join(', ')}`,
    'Run "berth --help" for an overview.',
  );
}

function optionLines(options: Record<string, OptionDefinition>): string[] {
  const labels = Object.entries(options).map(([name, option]) => {
    const short = option.short ? `-${option.short}, ` : '    ';
    return [
      `${short}--${name}${option.valueName ? ` ${option.valueName}` : ''}`,
      option.description,
    ] as const;
  });
  const width = Math.max(...labels.map(([label]) => label.length));
  return labels.map(([label, description]) => `  ${label.padEnd(width)}  ${description}`);
}

export function renderCommandHelp(command: CommandDefinition): string {
  const lines = [`Usage: berth ${command.usage}`, '', command.summary];
  if (command.arguments.length > 0) {
    lines.push('', 'Arguments:');
    const width = Math.max(...command.arguments.map((argument) => argument.name.length + 2));
    for (const argument of command.arguments) {
      lines.push(`  ${`<${argument.name}>`.padEnd(width)}  ${argument.description}`);
    }
  }
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.examples.length > 0)
    lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

export function renderOverview(commands: readonly CommandDefinition[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: berth <command> [options]',
    '',
    'Self-service Amazon ECS environments, through the berth API.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Configuration: --api-url/--token, else BERTH_API_URL/BERTH_TOKEN, else the JSON file',
    'BERTH_CONFIG or ~/.config/berth/config.json ({"apiUrl": "…", "token": "…"}).',
    'Run "berth <command> --help" for a command\'s options. Exit codes: see cli/README.md.',
    '',
  ].join('\n');
}
