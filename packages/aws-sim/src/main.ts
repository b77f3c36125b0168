/**
 * `npm start -w @berth/aws-sim` (or `npx tsx packages/aws-sim/src/main.ts`): the simulated AWS on
 * 127.0.0.1:4566 until SIGINT/SIGTERM.
 * Environment: LOCAL_AWS_PORT (default 4566), LOCAL_TIME_SCALE (default 1), SIM_RATE_LIMITS
 * (`off` disables throttling), SIM_FAULTS (JSON array of faults), SIM_SEED (integer seed).
 */
import { parseFaultSpecs } from './faults';
import { startSimulator } from './server';

function readNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${raw}`);
  return value;
}

async function main(): Promise<void> {
  const faults = process.env.SIM_FAULTS ? parseFaultSpecs(JSON.parse(process.env.SIM_FAULTS)) : [];
  const seed = process.env.SIM_SEED ? readNumber('SIM_SEED', 0) : undefined;
  const running = await startSimulator({
    port: readNumber('LOCAL_AWS_PORT', 4566),
    timeScale: readNumber('LOCAL_TIME_SCALE', 1),
    rateLimits: !['off', 'false', '0'].includes(process.env.SIM_RATE_LIMITS ?? ''),
    faults,
    seed,
  });
  console.log(
    `simulated AWS on ${running.url} (services: ${running.sim.serviceNames().join(', ')}; time scale ${running.sim.clock.scale})`,
  );
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
