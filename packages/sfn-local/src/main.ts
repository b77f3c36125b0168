/**
 * Runs the local Step Functions endpoint standalone, from the repository root (SERVERLESS_YML defaults
 * to ./serverless.yml): `npx tsx packages/sfn-local/src/main.ts`.
 *
 * Configuration (environment):
 * - LOCAL_STEPFUNCTIONS_PORT (default 8083)
 * - STAGE (default dev) — resolves `${sls:stage}` and function names in serverless.yml
 * - SERVERLESS_YML (default ./serverless.yml)
 * - LOCAL_STEPFUNCTIONS_INVOKE: `lambda-api` (default; serverless-offline's Lambda port at
 *   AWS_ENDPOINT_URL_LAMBDA) or `in-process` (imports the handlers from serverless.yml paths)
 * - LOCAL_TIME_SCALE (default 1) — multiplies every Wait and Retry interval
 */
import path from 'node:path';
import { startStepFunctions } from './server';

async function main(): Promise<void> {
  const invoke = process.env.LOCAL_STEPFUNCTIONS_INVOKE === 'in-process' ? 'in-process' : 'lambda-api';
  const endpoint = await startStepFunctions({
    port: Number(process.env.LOCAL_STEPFUNCTIONS_PORT ?? 8083),
    serverlessYmlPath: path.resolve(process.env.SERVERLESS_YML ?? 'serverless.yml'),
    stage: process.env.STAGE ?? 'dev',
    invoke,
  });
  const machines = endpoint.engine.listStateMachines({ maxResults: 1000 }).items.map((m) => m.name);
  console.log(
    `local Step Functions on ${endpoint.url} (invoke: ${invoke}, time scale ${endpoint.engine.timeScale}): ${machines.join(', ') || 'no state machines'}`,
  );
  const shutdown = (): void => {
    endpoint.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
