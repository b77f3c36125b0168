/**
 * Section "scale": 50 environment creations at once on the workflow stack with the simulator's rate
 * limits on (AWS's token buckets, refilled in simulated time), against one creation alone in the
 * same run: all READY, no failed execution, no two VPC CIDRs alike, and the time to all-ready.
 */
import type { SimResource } from '@berth/aws-sim/kernel';
import type { Row, SectionResult } from './report';
import { ratioOf } from './report';
import { formatSeconds } from './stats';
import { requestEnvironment, startBenchWorkflowStack } from './workflow-harness';

const CONCURRENT = 50;

interface Vpc extends SimResource {
  cidrBlock: string;
}

export async function runScaleSection(
  options: { timeScale: number },
  command: string,
): Promise<SectionResult> {
  const startedAt = new Date();
  const bench = await startBenchWorkflowStack({
    timeScale: options.timeScale,
    simulator: { rateLimits: true },
  });
  const { engine } = bench.stack.stepFunctions;
  const prefix = `scale${process.pid % 10_000}`;
  /** Creates environments at once; resolves with simulated seconds until the last execution ended. */
  const createAll = async (label: string, count: number) => {
    const t0 = performance.now();
    const ids = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        requestEnvironment(bench.stack, `${prefix}-${label}-${index}`, 'app'),
      ),
    );
    const executions = await Promise.all(
      ids.map(async (id) => engine.waitForExecution(await bench.ownerExecutionArn(id), 900_000)),
    );
    const seconds = (performance.now() - t0) / 1000 / options.timeScale;
    const environments = await Promise.all(ids.map((id) => bench.stack.store.get(id)));
    return { ids, executions, environments, seconds };
  };
  try {
    process.stdout.write('  warm-up creation (not measured)…\n');
    await createAll('warm', 1);
    process.stdout.write('  one creation alone…\n');
    const alone = await createAll('alone', 1);
    process.stdout.write(`  ${CONCURRENT} creations at once…\n`);
    const before = await bench.awsCalls();
    const crowd = await createAll('crowd', CONCURRENT);
    const response = await fetch(`${bench.stack.simulator.url}/_local/calls`);
    const body = (await response.json()) as {
      calls: Record<string, Record<string, { count: number; throttled: number }>>;
    };
    const throttled = Object.values(body.calls)
      .flatMap((operations) => Object.values(operations))
      .reduce((sum, counter) => sum + counter.throttled, 0);
    const callsDuring = [...(await bench.awsCalls())].reduce(
      (sum, [key, count]) => sum + count - (before.get(key) ?? 0),
      0,
    );
    const ready = crowd.environments.filter((environment) => environment?.status === 'READY').length;
    const failed = crowd.executions.filter((execution) => execution.status !== 'SUCCEEDED').length;
    const cidrs = crowd.ids.flatMap((id) => bench.resources<Vpc>('vpc', id).map((vpc) => vpc.cidrBlock));
    const unique = new Set(cidrs).size;
    const retries = crowd.executions.reduce(
      (sum, execution) => sum + engine.getExecutionStats(execution.executionArn).retries,
      0,
    );
    const ratio = ratioOf(crowd.seconds, alone.seconds);
    const rows: Row[] = [
      {
        figure: `${CONCURRENT} concurrent creations: READY`,
        measured: `${ready} / ${CONCURRENT}`,
        target: 'all',
        met: ready === CONCURRENT,
      },
      {
        figure: 'failed executions',
        measured: String(failed),
        target: '0',
        met: failed === 0,
      },
      {
        figure: 'distinct VPC CIDRs',
        measured: `${unique} of ${cidrs.length} VPCs`,
        target: `${CONCURRENT} unique`,
        met: unique === CONCURRENT && cidrs.length === CONCURRENT,
      },
      {
        figure: 'time to all READY (simulated s) vs one creation alone',
        measured: formatSeconds(crowd.seconds),
        baseline: formatSeconds(alone.seconds),
        ratio,
      },
      {
        figure: `throttled AWS calls (of ${callsDuring} during the ${CONCURRENT} creations); Step Functions retries`,
        measured: `${throttled} throttled; ${retries} retries`,
      },
    ];
    const firstFailure = crowd.executions.find((execution) => execution.status !== 'SUCCEEDED');
    const aloneStatus = alone.environments[0]?.status ?? '?';
    const notes = [
      `One alone ended ${aloneStatus}.` +
        (firstFailure
          ? ` First failed execution: ${firstFailure.error ?? ''} ${(firstFailure.cause ?? '').slice(0, 300)}; ` +
            `its environment's error: ${JSON.stringify(
              crowd.environments[crowd.executions.indexOf(firstFailure)]?.error ?? null,
            ).slice(0, 400)}`
          : ''),
      `Time scale ${options.timeScale}; rate limits on (the simulator's AWS token buckets, refilled in simulated time, so ` +
        'the ratio of requests to waits is what AWS allows). All creations were requested at the same moment; ' +
        'the time runs from the first request to the last execution ending. On 2 cores the step handlers of 50 ' +
        'workflows compete for CPU, and every wall millisecond is 1/timeScale simulated milliseconds, so the ratio ' +
        'also measures local CPU contention, not only AWS throttling.',
    ];
    return {
      name: 'scale',
      title: '4. Scale (concurrent creations, rate limits on)',
      command,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      rows,
      notes,
    };
  } finally {
    await bench.stop();
  }
}
