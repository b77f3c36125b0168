/**
 * Runs the AWS CLI v2 against a simulator — a second client, independent of SDK v3, for wire tests.
 * Uses `/usr/bin/aws` (Debian's v2 build; a v1 `aws` earlier on PATH would behave differently) with
 * dummy credentials, `--region us-east-1 --output json` and no pager. When the CLI is missing the
 * call throws, so CLI tests fail loudly instead of being skipped (CI installs it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const awsCliPath = process.env.AWS_CLI_PATH ?? '/usr/bin/aws';

export interface AwsCliResult {
  /** Parsed stdout (undefined when the command printed nothing or not JSON). */
  json: unknown;
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface AwsCliOptions {
  /** The simulator's URL (`startSimulator().url`). */
  endpoint: string;
  timeoutMs?: number;
}

/** `awsCli(['ec2', 'describe-vpcs'], { endpoint })` → parsed JSON, stderr and exit code (never rejects on a CLI error). */
export function awsCli(
  args: string[],
  { endpoint, timeoutMs = 60_000 }: AwsCliOptions,
): Promise<AwsCliResult> {
  if (!existsSync(awsCliPath)) {
    return Promise.reject(
      new Error(
        `AWS CLI v2 not found at ${awsCliPath}: install it (Debian package awscli) or set AWS_CLI_PATH`,
      ),
    );
  }
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const fullArgs = [...args, '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'];
  return new Promise((resolve) => {
    execFile(
      awsCliPath,
      fullArgs,
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        let json: unknown;
        try {
          json = stdout.trim() === '' ? undefined : JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ json, stdout, stderr, exitCode });
      },
    );
  });
}
