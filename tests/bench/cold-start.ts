/**
 * Section "cold-start": every API function (an `http` event in serverless.yml, plus the authorizer
 * API Gateway runs first) bundled with esbuild using serverless.yml's `custom.esbuild` settings;
 * the minified bundle's size and its module-init time — a fresh Node process timing `require` of
 * the bundle with `process.hrtime` — against a bundle holding only a DynamoDB DocumentClient built
 * with the same settings.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { parse } from 'yaml';
import { stackFunctions } from '../support/functions';
import type { Row, SectionResult } from './report';
import { ratioOf } from './report';
import { formatMs, median, quantile } from './stats';

const ROOT = resolve(__dirname, '..', '..');
const SERVERLESS_YML = join(ROOT, 'serverless.yml');
const RUNS = 30;
/** The issue's "≤ 250 KB", read strictly: 250,000 bytes (not 250 KiB, 256,000). */
const SIZE_TARGET_BYTES = 250_000;
const INIT_TARGET_RATIO = 1.3;
/** The function also measured with the SDK left to the Lambda runtime. */
const RUNTIME_SDK_PROBE = 'getEnvironment';
const run = promisify(execFile);

interface ServerlessYml {
  provider?: { environment?: Record<string, unknown> };
  custom?: { esbuild?: Record<string, unknown> };
}

/** serverless-esbuild's own keys are not esbuild options; the rest are passed to esbuild as they are. */
const PLUGIN_KEYS = new Set([
  'outputWorkFolder',
  'outputBuildFolder',
  'exclude',
  'packager',
  'packagerOptions',
]);

export function readServerlessYml(): ServerlessYml {
  return parse(readFileSync(SERVERLESS_YML, 'utf8'), { logLevel: 'error' }) as ServerlessYml;
}

export function esbuildOptions(yml: ServerlessYml): BuildOptions {
  const configured = yml.custom?.esbuild ?? {};
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(configured)) if (!PLUGIN_KEYS.has(key)) options[key] = value;
  // serverless-esbuild passes `exclude` to esbuild as externals (and leaves them out of the zip).
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  const exclude = strings(configured.exclude).filter((name) => name !== '*');
  options.external = [...strings(configured.external), ...exclude];
  return options as BuildOptions;
}

function apiFunctions(): Array<{ name: string; entry: string }> {
  const functions = Object.entries(stackFunctions()).filter(
    ([name, fn]) => name === 'authorizer' || (fn.events ?? []).some((event) => 'http' in event),
  );
  return functions.map(([name, fn]) => {
    const handler = fn.handler ?? '';
    return { name, entry: join(ROOT, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`) };
  });
}

const BASELINE_SOURCE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => client.config.region;
`;

/**
 * Floors: what the libraries berth is built on cost before any berth code. The baseline's
 * DocumentClient, middy with Powertools Logger's middleware (every API function), and zod/mini
 * configured as shared/domain/zod.ts configures it, with one small schema (every function that
 * validates input) or with the environment spec schema (those that validate a spec: create, update
 * and the Slack front door). A floor over a target bounds what any handler built on them can reach.
 */
const FLOOR_PREAMBLE = `
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
const logger = new Logger({ serviceName: 'berth' });
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const withStack = (run: (event: unknown) => Promise<unknown>) =>
  middy().use(injectLambdaContext(logger)).handler(run);
`;
const FLOORS = [
  {
    name: 'floor-validating',
    what: 'Floor of a function that validates input: DocumentClient, middy + Powertools Logger, zod/mini with one small schema',
    source: `${FLOOR_PREAMBLE}
import * as z from './shared/domain/zod';
const schema = z.object({ name: z.string() });
export const handler = withStack(async (event) => [client.config.region, schema.safeParse(event).success]);
`,
  },
  {
    name: 'floor-workflow',
    what: 'Floor of a function that starts a workflow: DocumentClient, middy + Powertools Logger, Step Functions StartExecution',
    source: `${FLOOR_PREAMBLE}
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
const sfn = new SFNClient({});
export const handler = withStack(async () => [
  client.config.region,
  await sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn', input: '{}' })),
]);
`,
  },
  {
    name: 'floor-traced',
    what: 'Floor of a traced function: the validating floor plus Powertools Tracer capturing its client (what Tracer would add to an API function; the workflow steps carry it)',
    source: `${FLOOR_PREAMBLE}
import { Tracer } from '@aws-lambda-powertools/tracer';
import * as z from './shared/domain/zod';
const tracer = new Tracer({ serviceName: 'berth' });
const traced = tracer.captureAWSv3Client(client);
const schema = z.object({ name: z.string() });
export const handler = withStack(async (event) => [traced.config.region, schema.safeParse(event).success]);
`,
  },
  {
    name: 'floor-spec',
    what: 'Floor of a function that validates a spec: DocumentClient, middy + Powertools Logger, the environment spec schema',
    source: `${FLOOR_PREAMBLE}
import { environmentRequestSchema } from './shared/domain/spec';
export const handler = withStack(async (event) => [
  client.config.region,
  environmentRequestSchema.safeParse(event).success,
]);
`,
  },
] as const;

/** The environment the functions get from serverless.yml (variables replaced by local values). */
function functionEnvironment(yml: ServerlessYml): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  for (const [key, value] of Object.entries(yml.provider?.environment ?? {})) {
    // `${self:custom.tableName}` and friends: any non-empty string will do for module init.
    environment[key] =
      typeof value === 'string' && !value.includes('${') ? value : `bench-${key.toLowerCase()}`;
  }
  environment.NODE_OPTIONS = String(yml.provider?.environment?.NODE_OPTIONS ?? '');
  environment.QUOTA_DEFAULTS = '';
  environment.CIDR_POOL = '10.0.0.0/8';
  environment.TASK_ROLE_ARN_PATTERN = 'arn:aws:iam::000000000000:role/berth-task-*';
  environment.AUTH_ISSUER = 'http://127.0.0.1:3010';
  environment.AUTH_JWKS_URL = 'http://127.0.0.1:3010/.well-known/jwks.json';
  environment.PROVISION_STATE_MACHINE_ARN =
    'arn:aws:states:us-east-1:000000000000:stateMachine:berth-bench-provision';
  environment.TEARDOWN_STATE_MACHINE_ARN =
    'arn:aws:states:us-east-1:000000000000:stateMachine:berth-bench-teardown';
  environment.UPDATE_STATE_MACHINE_ARN =
    'arn:aws:states:us-east-1:000000000000:stateMachine:berth-bench-update';
  return environment;
}

const PROBE = `
const start = process.hrtime.bigint();
const loaded = require(process.argv[1]);
const end = process.hrtime.bigint();
if (typeof loaded.handler !== 'function') throw new Error('no handler export');
process.stdout.write(String(Number(end - start) / 1e6));
`;

async function initMs(bundle: string, environment: NodeJS.ProcessEnv): Promise<number> {
  const { stdout } = await run(process.execPath, ['-e', PROBE, bundle], { env: environment, cwd: tmpdir() });
  return Number(stdout);
}

/** Output bytes per npm package (`@scope/name`), berth's own code as `berth`. */
function bytesByPackage(metafile: Metafile): Map<string, number> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const pkg = match?.[1] ?? 'berth';
      totals.set(pkg, (totals.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return totals;
}

/** For each bundle over the size target: the packages that add most to what the baseline holds. */
function overSize(
  bundles: Array<{ name: string; file: string; packages: Map<string, number> }>,
  baseline: Map<string, number>,
  floors: Array<{ name: string; file: string }>,
  kb: (bytes: number) => string,
): string[] {
  const over = bundles.filter((bundle) => statSync(bundle.file).size > SIZE_TARGET_BYTES);
  if (over.length === 0) return [];
  const added = over.map((bundle) => {
    const top = [...bundle.packages]
      .map(([pkg, bytes]) => [pkg, bytes - (baseline.get(pkg) ?? 0)] as const)
      .filter(([, extra]) => extra > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([pkg, extra]) => `${pkg} +${kb(extra)}`);
    return `${bundle.name} — ${top.join(', ')}`;
  });
  return [
    `Over the size target, what adds most to the baseline's own packages: ${added.join('; ')}. ` +
      `The floors (rows above) are what the libraries cost before berth's code: ${floors
        .map((floor) => `${floor.name} ${kb(statSync(floor.file).size)}`)
        .join(', ')}; ` +
      "a handler's own code, its query or body schema and any further SDK client (EventBridge for status " +
      'events, ECS for tasks) come on top of the floor it stands on. ' +
      "getDrift's EC2 client is almost all one module, schemas/schemas_0.js, which " +
      'esbuild keeps whole for three Describe calls: the schema-based SDK clients do not tree-shake (an open SDK ' +
      'bug, aws/aws-sdk-js-v3#7607, client-ec2 from ≈30 KB to ≈500 KB).',
  ];
}

export async function runColdStartSection(command: string): Promise<SectionResult> {
  const startedAt = new Date();
  const yml = readServerlessYml();
  const options = esbuildOptions(yml);
  const out = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  try {
    const targets = apiFunctions();
    const bundles: Array<{ name: string; file: string; packages: Map<string, number> }> = [];
    for (const target of targets) {
      const file = join(out, target.name, 'index.js');
      const result = await build({
        ...options,
        entryPoints: [target.entry],
        outfile: file,
        logLevel: 'error',
        metafile: true,
      });
      bundles.push({ name: target.name, file, packages: bytesByPackage(result.metafile) });
    }
    const baselineFile = join(out, 'baseline', 'index.js');
    const baselineBuild = await build({
      ...options,
      stdin: { contents: BASELINE_SOURCE, resolveDir: ROOT, loader: 'ts', sourcefile: 'baseline.ts' },
      outfile: baselineFile,
      logLevel: 'error',
      metafile: true,
    });
    const baselinePackages = bytesByPackage(baselineBuild.metafile);
    // The road not taken: the SDK left to the Lambda runtime (@aws-sdk/* and @smithy/* external,
    // resolved through NODE_PATH as Lambda resolves /var/runtime/node_modules). Measured for the
    // baseline and getEnvironment, so BENCHMARKS.md shows what bundling the SDK costs and saves.
    const runtimeSdk = { ...options, external: ['@aws-sdk/*', '@smithy/*'] };
    const runtimeBaselineFile = join(out, 'baseline-runtime-sdk', 'index.js');
    await build({
      ...runtimeSdk,
      stdin: { contents: BASELINE_SOURCE, resolveDir: ROOT, loader: 'ts', sourcefile: 'baseline.ts' },
      outfile: runtimeBaselineFile,
      logLevel: 'error',
    });
    const probe = targets.find((target) => target.name === RUNTIME_SDK_PROBE);
    const runtimeProbeFile = join(out, `${RUNTIME_SDK_PROBE}-runtime-sdk`, 'index.js');
    if (probe) {
      await build({
        ...runtimeSdk,
        entryPoints: [probe.entry],
        outfile: runtimeProbeFile,
        logLevel: 'error',
      });
    }
    const floors: Array<{ name: string; what: string; file: string }> = [];
    for (const floor of FLOORS) {
      const file = join(out, floor.name, 'index.js');
      await build({
        ...options,
        stdin: { contents: floor.source, resolveDir: ROOT, loader: 'ts', sourcefile: `${floor.name}.ts` },
        outfile: file,
        logLevel: 'error',
      });
      floors.push({ name: floor.name, what: floor.what, file });
    }
    const all = [
      { name: 'baseline', file: baselineFile },
      ...floors,
      { name: 'baseline-runtime-sdk', file: runtimeBaselineFile },
      ...(probe ? [{ name: `${RUNTIME_SDK_PROBE}-runtime-sdk`, file: runtimeProbeFile }] : []),
      ...bundles,
    ];
    const samples = new Map<string, number[]>(all.map((bundle) => [bundle.name, []]));
    const environment: NodeJS.ProcessEnv = {
      ...functionEnvironment(yml),
      NODE_PATH: join(ROOT, 'node_modules'),
    };
    // Round-robin, so that a burst of load from elsewhere on the machine hits every bundle alike, and
    // the baseline at both ends of every round: each ratio is a bundle's time over its own round's
    // baseline (the mean of the two), and the figure is the median of those per-round ratios. On a
    // shared machine whose speed drifts from minute to minute, a ratio of two medians taken over
    // different minutes moves by ±0.3×; paired within rounds it moves far less.
    const roundRatios = new Map<string, number[]>(all.map((bundle) => [bundle.name, []]));
    for (let round = 0; round < RUNS; round += 1) {
      const first = await initMs(baselineFile, environment);
      const times = new Map<string, number>();
      for (const bundle of all) {
        if (bundle.file !== baselineFile) times.set(bundle.name, await initMs(bundle.file, environment));
      }
      const last = await initMs(baselineFile, environment);
      const roundBaseline = (first + last) / 2;
      samples.get('baseline')?.push(first, last);
      for (const [name, ms] of times) {
        samples.get(name)?.push(ms);
        roundRatios.get(name)?.push(ms / roundBaseline);
      }
    }
    const pairedRatio = (name: string) => median(roundRatios.get(name) ?? []);
    const baselineSamples = samples.get('baseline') ?? [];
    const baselineInit = median(baselineSamples);
    const baselineSize = statSync(baselineFile).size;
    const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
    const rows: Row[] = [];
    /** The size and init rows, with their targets, of one measured bundle. */
    const targetRows = (label: string, name: string, file: string) => {
      const size = statSync(file).size;
      const ratio = pairedRatio(name);
      rows.push({
        figure: `${label}: minified bundle`,
        measured: kb(size),
        baseline: kb(baselineSize),
        ratio: ratioOf(size, baselineSize),
        target: '≤ 250 KB',
        met: size <= SIZE_TARGET_BYTES,
      });
      rows.push({
        figure: `${label}: module init, median of ${RUNS} (p90 ${formatMs(quantile(samples.get(name) ?? [], 0.9))})`,
        measured: formatMs(median(samples.get(name) ?? [])),
        baseline: formatMs(baselineInit),
        ratio,
        target: `≤ ${INIT_TARGET_RATIO}× baseline`,
        met: ratio !== undefined && ratio <= INIT_TARGET_RATIO,
      });
    };
    for (const bundle of bundles) targetRows(bundle.name, bundle.name, bundle.file);
    for (const [name, file, what] of [
      ['baseline-runtime-sdk', runtimeBaselineFile, 'Baseline with the SDK from the runtime (not bundled)'],
      ...(probe
        ? [
            [
              `${RUNTIME_SDK_PROBE}-runtime-sdk`,
              runtimeProbeFile,
              `${RUNTIME_SDK_PROBE} with the SDK from the runtime`,
            ],
          ]
        : []),
    ] as const) {
      const size = statSync(file).size;
      const init = median(samples.get(name) ?? []);
      rows.push({
        figure: `${what}: minified bundle (not berth's configuration)`,
        measured: kb(size),
        baseline: kb(baselineSize),
        ratio: ratioOf(size, baselineSize),
      });
      rows.push({
        figure: `${what}: module init, median of ${RUNS} (p90 ${formatMs(quantile(samples.get(name) ?? [], 0.9))})`,
        measured: formatMs(init),
        baseline: formatMs(baselineInit),
        ratio: pairedRatio(name),
      });
    }
    for (const floor of floors) targetRows(floor.what, floor.name, floor.file);
    const sizes = bundles.map((bundle) => statSync(bundle.file).size);
    const composition = (name: string) => {
      const packages = bundles.find((bundle) => bundle.name === name)?.packages ?? new Map<string, number>();
      return [...packages]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 7)
        .map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`)
        .join(', ');
    };
    const notes = [
      `Bundles built with esbuild ${(await import('esbuild')).version} and serverless.yml's custom.esbuild options ` +
        `(${Object.entries(options)
          .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
          .join(', ')}); size is the .js file without its linked source map.`,
      `Baseline: a bundle of \`DynamoDBDocumentClient.from(new DynamoDBClient({}))\` only — ${kb(baselineSize)}, ` +
        `init median ${formatMs(baselineInit)} (p10 ${formatMs(quantile(baselineSamples, 0.1))}, p90 ${formatMs(quantile(baselineSamples, 0.9))}).`,
      `Module init: \`${process.execPath.replace(ROOT, '.')}\` (${process.version}) -e 'hrtime; require(bundle); hrtime', ` +
        `NODE_OPTIONS=${environment.NODE_OPTIONS || '(none)'} as serverless.yml sets it; ${RUNS} rounds, ` +
        'bundles interleaved, the baseline at the start and end of every round; an init ratio is the median over ' +
        "rounds of the bundle's time over its round's baseline (the mean of those two); " +
        `largest API bundle ${kb(Math.max(...sizes))}. Lambda adds its own runtime start before this; ` +
        'the figure is what berth code adds on top of it.',
      `What the bundles hold (minified bytes by package, esbuild metafile): getEnvironment — ${composition('getEnvironment')}; ` +
        `runTask — ${composition('runTask')}; health — ${composition('health')}.`,
      ...overSize(bundles, baselinePackages, floors, kb),
    ];
    return {
      name: 'cold-start',
      title: '2. Cold start (API functions)',
      command,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      rows,
      notes,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
