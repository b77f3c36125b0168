/**
 * Runs the tenant-isolation regression tests (tests/isolation/regressions.json) against the code of
 * the commit the review was made on, and writes what each did into docs/tenant-isolation.md.
 *
 *   npm run test:isolation-base            # the catalogue's base commit (02655c0)
 *   npm run test:isolation-base -- <commit>
 *
 * Why it exists: issue #16 asks for a regression test per finding that fails on the reviewed code. The
 * test files of today are copied over a worktree of that commit (its functions, shared code and
 * template), with today's simulated AWS and DynamoDB Local, and each catalogued test must fail there.
 * A test that passes on the base proves nothing about its finding: the run exits 1 and the table says
 * so. The reason is kept as jest printed it: an assertion (the base did the unsafe thing) reads
 * differently from a missing module or function (the base had no such guard at all), and both are shown.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

interface Catalogue {
  base: string;
  findings: { id: string; title: string; tests: { file: string; name: string }[] }[];
}

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: string;
  failureMessages: string[];
}

interface SuiteResult {
  name: string;
  message: string;
  assertionResults: AssertionResult[];
}

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
const catalogue = JSON.parse(
  readFileSync(join(root, 'tests/isolation/regressions.json'), 'utf8'),
) as Catalogue;
const base = process.argv[2] ?? catalogue.base;
const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const DOC = join(root, 'docs/tenant-isolation.md');
const START = '<!-- regressions-on-base:start -->';
const END = '<!-- regressions-on-base:end -->';

const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'inherit' });

/** The first line jest gave for a failure, without colour codes and the stack. */
function firstLine(text: string): string {
  const plain = stripVTControlCharacters(text);
  const line = plain
    .split('\n')
    .map((part) => part.trim())
    .find((part) => part !== '' && !part.startsWith('●'));
  return (line ?? '').slice(0, 140).replaceAll('|', '\\|');
}

function runOnBase(worktree: string): SuiteResult[] {
  // Today's tests and jest configuration over the base's code; node_modules (and through it the
  // workspace packages: the simulated AWS) are today's.
  rmSync(join(worktree, 'tests'), { recursive: true, force: true });
  execFileSync('cp', ['-r', join(root, 'tests'), join(worktree, 'tests')]);
  execFileSync('cp', [join(root, 'jest.config.js'), join(worktree, 'jest.config.js')]);
  // Today's configuration also looks for tests under packages/, which the base does not have.
  mkdirSync(join(worktree, 'packages'), { recursive: true });
  if (!existsSync(join(worktree, 'node_modules'))) {
    symlinkSync(join(root, 'node_modules'), join(worktree, 'node_modules'));
  }
  const files = [...new Set(catalogue.findings.flatMap((finding) => finding.tests.map((test) => test.file)))];
  const output = join(worktree, 'jest-results.json');
  try {
    execFileSync(
      join(root, 'node_modules/.bin/jest'),
      [...files, '--maxWorkers=1', '--json', `--outputFile=${output}`],
      { cwd: worktree, stdio: 'inherit', env: { ...process.env, BERTH_SUITES: 'all' } },
    );
  } catch {
    // Failing tests are what this run is for; the results file says which.
  }
  if (!existsSync(output)) throw new Error('jest wrote no results on the base');
  return (JSON.parse(readFileSync(output, 'utf8')) as { testResults: SuiteResult[] }).testResults.map(
    (suite) => ({ ...suite, name: relative(worktree, suite.name) }),
  );
}

function outcome(suites: SuiteResult[], file: string, name: string): { failed: boolean; reason: string } {
  const suite = suites.find((candidate) => candidate.name === file);
  if (!suite) return { failed: false, reason: 'not run' };
  if (suite.assertionResults.length === 0) return { failed: true, reason: firstLine(suite.message) };
  const result = suite.assertionResults.find((candidate) =>
    [...candidate.ancestorTitles, candidate.title].join(' › ').endsWith(name),
  );
  if (!result) return { failed: false, reason: 'no test of that name' };
  if (result.status === 'passed') return { failed: false, reason: 'passed' };
  return { failed: true, reason: firstLine(result.failureMessages[0] ?? result.status) };
}

const worktree = mkdtempSync(join(tmpdir(), 'berth-base-'));
rmSync(worktree, { recursive: true });
git('worktree', 'add', '--detach', '--quiet', worktree, base);
let proven = true;
try {
  const suites = runOnBase(worktree);
  const rows = catalogue.findings.flatMap((finding) =>
    finding.tests.map((test) => {
      const { failed, reason: said } = outcome(suites, test.file, test.name);
      const reason = said.replaceAll(worktree, '<base>');
      if (!failed) proven = false;
      return `| ${finding.id} | \`${test.file}\` › ${test.name} | ${failed ? 'fails' : '**does not fail**'}: ${reason} |`;
    }),
  );
  const table = [
    START,
    `Written by \`npm run test:isolation-base\` on ${new Date().toISOString().slice(0, 10)}: the tests of ${head} over the code of ${base}.`,
    '',
    '| Finding | Test | On the base |',
    '| --- | --- | --- |',
    ...rows,
    END,
  ].join('\n');
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} has no ${START} … ${END} section`);
  writeFileSync(DOC, `${doc.slice(0, from)}${table}${doc.slice(to + END.length)}`);
  // The house formatter aligns Markdown tables; the committed page is as it leaves it.
  execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', DOC], { cwd: root });
  process.stdout.write(`${rows.length} regression tests; every one fails on ${base}: ${proven}\n`);
} finally {
  git('worktree', 'remove', '--force', worktree);
}
process.exit(proven ? 0 : 1);
