import { LIST_HEADERS, listRow } from '../../cli/commands/list';
import { splitCommandLine } from '../../cli/commands/run-task';
import { parseDocumentText } from '../../cli/documents';
import type { EnvironmentView } from '../../cli/environment-view';
import { formatProblem } from '../../cli/problem';
import { formatDuration, formatElapsed, renderBar } from '../../cli/progress';
import { renderTable } from '../../cli/table';

function environment(overrides: Partial<EnvironmentView> = {}): EnvironmentView {
  return {
    id: 'env-01jd5y8q7n3w0s2k4m6p8r0t2v',
    name: 'shop-dev',
    team: 'payments',
    status: 'READY',
    version: 3,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:05:00.000Z',
    progress: { percent: 100, completedSteps: [] },
    outputs: { url: 'http://shop-dev.elb.example.com' },
    ...overrides,
  };
}

describe('renderTable', () => {
  it('aligns columns to the widest cell, two spaces apart, without trailing blanks', () => {
    const table = renderTable(
      ['ID', 'NAME', 'URL'],
      [
        ['env-1', 'a-long-name', '-'],
        ['env-22', 'b', 'http://x'],
      ],
    );

    expect(table).toBe(
      ['ID      NAME         URL', 'env-1   a-long-name  -', 'env-22  b            http://x'].join('\n'),
    );
  });

  it('prints only the header for no rows', () => {
    expect(renderTable(['ID', 'NAME'], [])).toBe('ID  NAME');
  });

  it('shows an environment as id, name, team, status, percent and URL, with - when there is no URL yet', () => {
    expect(LIST_HEADERS).toEqual(['ID', 'NAME', 'TEAM', 'STATUS', 'PERCENT', 'URL']);
    expect(listRow(environment())).toEqual([
      'env-01jd5y8q7n3w0s2k4m6p8r0t2v',
      'shop-dev',
      'payments',
      'READY',
      '100%',
      'http://shop-dev.elb.example.com',
    ]);
    expect(
      listRow(
        environment({ status: 'PROVISIONING', progress: { percent: 42.6, completedSteps: [] }, outputs: {} }),
      ),
    ).toEqual(['env-01jd5y8q7n3w0s2k4m6p8r0t2v', 'shop-dev', 'payments', 'PROVISIONING', '43%', '-']);
  });
});

describe('formatProblem', () => {
  it('prints title: detail, then each field path with its message', () => {
    const lines = formatProblem(422, {
      type: 'urn:berth:problem:unprocessable',
      title: 'Invalid environment request',
      status: 422,
      detail: '2 fields are invalid',
      errors: [
        { path: '/services/0/image', message: 'Required' },
        { path: '', message: 'expected an object' },
      ],
    });

    expect(lines).toEqual([
      'Invalid environment request: 2 fields are invalid',
      '  /services/0/image: Required',
      '  (body): expected an object',
    ]);
  });

  it('reads API Gateway style {"message"} bodies, plain text and empty bodies', () => {
    expect(formatProblem(401, { message: 'Unauthorized' })).toEqual(['HTTP 401: Unauthorized']);
    expect(formatProblem(502, 'Bad Gateway\n')).toEqual(['HTTP 502: Bad Gateway']);
    expect(formatProblem(500, undefined)).toEqual(['HTTP 500']);
  });

  it('skips malformed field errors rather than printing undefined', () => {
    expect(
      formatProblem(400, { title: 'Bad Request', detail: 'x', errors: [{ path: '/a' }, 'junk'] }),
    ).toEqual(['Bad Request: x']);
  });
});

describe('progress formatting', () => {
  it('renders a bar proportional to the percent, clamped', () => {
    expect(renderBar(0, 10)).toBe('[░░░░░░░░░░]');
    expect(renderBar(45, 10)).toBe('[█████░░░░░]');
    expect(renderBar(130, 10)).toBe('[██████████]');
  });

  it('formats elapsed time and step durations', () => {
    expect(formatElapsed(7_400)).toBe('0:07');
    expect(formatElapsed(750_000)).toBe('12:30');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
    expect(formatDuration(420)).toBe('0.4s');
    expect(formatDuration(185_000)).toBe('3m 05s');
  });
});

describe('parseDocumentText', () => {
  it('reads YAML and JSON', () => {
    expect(parseDocumentText('name: shop-dev\nservices:\n  - name: api\n', 'env.yml')).toEqual({
      name: 'shop-dev',
      services: [{ name: 'api' }],
    });
    expect(parseDocumentText('{"name":"shop-dev"}', 'env.json')).toEqual({ name: 'shop-dev' });
  });

  it('is a usage error for a file that does not parse, naming the file', () => {
    expect(() => parseDocumentText('{"name":', 'env.json')).toThrow('env.json is not valid JSON');
    expect(() => parseDocumentText('name: [a\n', 'env.yml')).toThrow('env.yml is not valid YAML');
    expect(() => parseDocumentText('', 'env.yaml')).toThrow('env.yaml is empty');
  });
});

describe('splitCommandLine', () => {
  it('splits on blanks and keeps quoted words whole', () => {
    expect(splitCommandLine(`node dist/migrate.js --name "a b" 'c "d"' e\\ f`)).toEqual([
      'node',
      'dist/migrate.js',
      '--name',
      'a b',
      'c "d"',
      'e f',
    ]);
    expect(splitCommandLine('echo ""')).toEqual(['echo', '']);
  });

  it('refuses an unclosed quote', () => {
    expect(() => splitCommandLine('echo "oops')).toThrow('unclosed " quote');
  });
});
