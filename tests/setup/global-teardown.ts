/**
 * Stops the DynamoDB Local that global-setup.ts started (never one it found already running), and
 * prints the IAM grants of berth's roles that no suite of this run exercised (tests/support/iam-usage.ts).
 */
import { rmSync } from 'node:fs';
import { USAGE_DIR_VARIABLE, unusedAcrossRun } from '../support/iam-usage';

export default async function globalTeardown(): Promise<void> {
  await globalThis.berthDynamoDbLocal?.stop();
  globalThis.berthDynamoDbLocal = undefined;
  const directory = process.env[USAGE_DIR_VARIABLE];
  if (!directory) return;
  const unused = unusedAcrossRun(directory);
  if (unused.length > 0) {
    process.stdout.write(
      `\nIAM grants no test call exercised (${unused.length}; a run of selected suites lists more). ` +
        "Some are used by AWS services rather than berth's code, which the local stack does not run: " +
        "Lambda writing each function's logs and X-Ray segments, the ECS agent on EC2 instances " +
        "(each EC2 environment's berth-<id>-instance role), Scheduler and Pipes starting job tasks (berth-*-jobs).\n" +
        `${unused.map((line) => `  ${line}`).join('\n')}\n`,
    );
  }
  rmSync(directory, { recursive: true, force: true });
}
