import { type CommandDefinition, parseCommandLine, renderCommandHelp } from '../../cli/args';
import { COMMANDS } from '../../cli/main';

function command(name: string): CommandDefinition {
  const found = COMMANDS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
}

function run(argv: string[]) {
  const line = parseCommandLine(argv, COMMANDS);
  if (line.kind !== 'run') throw new Error(`expected a command to run, got ${line.kind}`);
  return line;
}

function usageLines(argv: string[]): string {
  try {
    parseCommandLine(argv, COMMANDS);
  } catch (error) {
    if (error instanceof Error && 'exitCode' in error) {
      expect(error.exitCode).toBe(1);
      return error.message;
    }
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('parseCommandLine', () => {
  it('parses a command with its options and global options on either side', () => {
    const line = run([
      '--api-url',
      'https://berth.example.com',
      'create',
      '-f',
      'env.yml',
      '--wait',
      '--json',
    ]);

    expect(line.command.name).toBe('create');
    expect(line.input.options.string('file')).toBe('env.yml');
    expect(line.input.options.flag('wait')).toBe(true);
    expect(line.input.options.flag('dry-run')).toBe(false);
    expect(line.global).toEqual({ apiUrl: 'https://berth.example.com', token: undefined, json: true });
  });

  it('takes the value of a global option as a value, not as the command', () => {
    const line = run(['--token', 'list', 'status', 'env-1']);

    expect(line.command.name).toBe('status');
    expect(line.global.token).toBe('list');
    expect(line.input.positionals).toEqual(['env-1']);
  });

  it('keeps words after -- verbatim for run-task', () => {
    const line = run(['run-task', 'shop-dev', '--service', 'api', '--', 'node', 'migrate.js', '--dry-run']);

    expect(line.input.positionals).toEqual(['shop-dev']);
    expect(line.input.rest).toEqual(['node', 'migrate.js', '--dry-run']);
  });

  it('answers help for --help, -h, `help` and `help <command>`', () => {
    expect(parseCommandLine(['--help'], COMMANDS)).toEqual({ kind: 'help' });
    expect(parseCommandLine(['list', '-h'], COMMANDS)).toEqual({ kind: 'help', command: command('list') });
    expect(parseCommandLine(['help', 'delete'], COMMANDS)).toEqual({
      kind: 'help',
      command: command('delete'),
    });
  });

  it('is a usage error to give no command, an unknown one, or an unknown option', () => {
    expect(usageLines([])).toContain('Missing a command');
    expect(usageLines(['craete'])).toContain('Unknown command "craete"');
    expect(usageLines(['create', '--fil', 'x'])).toContain("Unknown option '--fil'");
  });

  it('is a usage error to miss or add positional arguments', () => {
    expect(usageLines(['status'])).toContain('Missing <id|name>');
    expect(usageLines(['status', 'a', 'b'])).toContain('Unexpected argument(s): b');
    expect(usageLines(['list', '--', 'x'])).toContain('takes nothing after "--"');
  });

  it('is a usage error to leave a string option without its value', () => {
    expect(usageLines(['create', '-f'])).toContain("'-f, --file <value>' argument missing");
  });
});

describe('ParsedOptions', () => {
  it('reads durations in seconds, minutes and hours', () => {
    expect(run(['status', 'x', '--timeout', '90']).input.options.duration('timeout')).toBe(90_000);
    expect(run(['status', 'x', '--timeout', '15m']).input.options.duration('timeout')).toBe(900_000);
    expect(run(['status', 'x', '--timeout', '2h']).input.options.duration('timeout')).toBe(7_200_000);
  });

  it('refuses a malformed duration or count with the option named', () => {
    expect(() => run(['status', 'x', '--timeout', 'soon']).input.options.duration('timeout')).toThrow(
      '--timeout must be a duration',
    );
    const options = run(['run-task', 'x', '--service', 'api', '--count', '11']).input.options;
    expect(() => options.integer('count', { min: 1, max: 10 })).toThrow(
      '--count must be a whole number from 1 to 10',
    );
  });
});

describe('renderCommandHelp', () => {
  it('lists every option of the command and the global ones', () => {
    const help = renderCommandHelp(command('create'));

    expect(help).toContain('Usage: berth create -f <file>');
    for (const option of [
      '--file <file>',
      '--dry-run',
      '--idempotency-key <key>',
      '--wait',
      '--api-url',
      '--json',
    ]) {
      expect(help).toContain(option);
    }
  });
});
