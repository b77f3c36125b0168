/**
 * `osls package` of berth's serverless.yml into a temporary folder, for the suites that read the
 * packaged CloudFormation template (tests/unit/template.test.ts, the simulator's iam-template test).
 *
 * One at a time across jest workers: whatever `--package` says, osls clears and rewrites
 * `<service>/.serverless` (serverless-state.json), so two packages at once in one checkout break
 * each other (a CI run failed with ENOENT on .serverless/serverless-state.json). A lock directory
 * beside serverless.yml serialises them; one left by a killed run expires after ten minutes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const LOCK = join(ROOT, '.serverless.lock');
const STALE_MS = 10 * 60 * 1000;
const WAIT_MS = 15 * 60 * 1000;

function sleepSync(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

function withLock<T>(run: () => T): T {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile: try again.
      }
      if (Date.now() > deadline) throw new Error(`${LOCK} held for over ${WAIT_MS} ms`);
      sleepSync(250);
    }
  }
  try {
    return run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface PackagedService {
  /** The folder `--package` wrote: the template and each function's zip. */
  dir: string;
  /** cloudformation-template-update-stack.json */
  template: unknown;
  /** Removes the folder. */
  remove(): void;
}

/** The service packaged for `stage` in `account` into a folder of its own. */
export function packageService(options: { stage: string; account: string; label: string }): PackagedService {
  const packageDir = mkdtempSync(join(tmpdir(), `berth-${options.label}-`));
  const remove = () => rmSync(packageDir, { recursive: true, force: true });
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...environment } = process.env;
  try {
    const result = withLock(() =>
      spawnSync(
        process.execPath,
        [
          join(ROOT, 'node_modules/osls/bin/serverless.js'),
          'package',
          '--stage',
          options.stage,
          '--package',
          packageDir,
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            ...environment,
            CI: '1',
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            // With AWS_ACCOUNT_ID set, serverless.yml never asks STS for the account.
            AWS_ACCOUNT_ID: options.account,
            BERTH_ESBUILD_WORK_FOLDER: `.esbuild/${options.label}-${process.pid}`,
          },
        },
      ),
    );
    if (result.status !== 0) {
      throw new Error(`osls package failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
    const template: unknown = JSON.parse(
      readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
    );
    return { dir: packageDir, template, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
