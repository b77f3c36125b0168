/**
 * Least privilege proven by use: every simulated AWS that a suite starts reports, when it stops, the
 * IAM refusals it answered and the template grants that allowed nothing. The refusals fail the suite
 * that caused them (berth's roles must allow every call berth makes); the unused grants are kept in
 * BERTH_IAM_USAGE_DIR (set by global-setup.ts) and global-teardown.ts prints the grants that no suite
 * of the run exercised.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Denial, IamState, UnusedGrant } from '@berth/aws-sim/iam/identities';

const USAGE_DIR_VARIABLE = 'BERTH_IAM_USAGE_DIR';

/**
 * Records the simulator's unused grants for the run's report, and throws when it refused a call,
 * unless the suite expects refusals (a test that removes a grant on purpose).
 */
export function reportIamUse(iam: IamState, options: { expectDenials?: boolean } = {}): void {
  const directory = process.env[USAGE_DIR_VARIABLE];
  if (directory) {
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `${randomUUID()}.json`), JSON.stringify(iam.unusedGrants()));
  }
  const denials = iam.denials();
  if (denials.length > 0 && !options.expectDenials) {
    throw new Error(
      `the simulated AWS refused ${denials.length} call(s) by berth's roles:\n${describe(denials)}`,
    );
  }
}

function describe(denials: readonly Denial[]): string {
  return denials
    .map((denial) => `  ${denial.principal}: ${denial.action} on ${denial.resource} — ${denial.reason}`)
    .join('\n');
}

/** The grants unused in every report of the run (one a suite used is used), as report lines. */
export function unusedAcrossRun(directory: string): string[] {
  const files = readdirSync(directory).filter((file) => file.endsWith('.json'));
  if (files.length === 0) return [];
  const key = (role: string, statement: number, action: string) =>
    `${role} statement ${statement}: ${action}`;
  let common: Set<string> | undefined;
  for (const file of files) {
    const grants = JSON.parse(readFileSync(join(directory, file), 'utf8')) as UnusedGrant[];
    const keys = new Set(
      grants.flatMap((grant) => grant.actions.map((action) => key(grant.role, grant.statement, action))),
    );
    common = common === undefined ? keys : new Set([...common].filter((entry) => keys.has(entry)));
  }
  return [...(common ?? [])].sort();
}

export { USAGE_DIR_VARIABLE };
