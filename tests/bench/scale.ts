/**
 * Section "scale": many environment creations at once in one simulated account with AWS's hard
 * edges on — per-API request throttling (AWS's token buckets, refilled in simulated time), the
 * account's default quotas, and EC2's read-after-create windows — each request sent through the real
 * POST /environments handler, so a creation that cannot fit is refused at request time.
 *
 * (a) 50 at once with default quotas: every request answers 202 or a 429 naming the AWS quota; every
 *     admitted environment ends READY (none FAILED after building), and after tearing them down no
 *     resource carries berth's tag. (b) 20 at once with the quotas raised: all READY despite the
 *     read-after-create windows, and again nothing left after teardown. Baseline: one creation alone,
 *     through the same handler, in the same run.
 *
 * `BENCH_SCALE_PHASES=b npm run bench -- scale` runs only the phases named (`a`, `b` or `a,b`, the
 * default); the warm-up and the baseline always run, and a phase left out has no rows.
 */
import { deleteEnvironment } from '../../shared/app/delete';
import type { Row, SectionResult } from './report';
import { ratioOf } from './report';
import { formatMs, formatSeconds } from './stats';
import {
  type ApiAnswer,
  benchSpec,
  callerFor,
  QUOTA_READ_REUSED_AWS_SECONDS,
  startApiFrontDoor,
  startBenchWorkflowStack,
} from './workflow-harness';

const CONCURRENT = 50;
const CONSISTENCY_CONCURRENT = 20;
/** Raised quotas for (b): room for every environment of the run, far above AWS's defaults. */
const RAISED_QUOTA = 200;
const EXECUTION_TIMEOUT_MS = 1_800_000;

/** The phases `BENCH_SCALE_PHASES` names (comma-separated), both when unset. */
function selectedPhases(): { a: boolean; b: boolean } {
  const named = (process.env.BENCH_SCALE_PHASES ?? 'a,b').split(',').map((phase) => phase.trim());
  const unknown = named.filter((phase) => phase !== 'a' && phase !== 'b');
  if (unknown.length > 0 || named.length === 0)
    throw new Error(`BENCH_SCALE_PHASES names phases a and b only, not ${unknown.join(', ')}`);
  return { a: named.includes('a'), b: named.includes('b') };
}

/** A Service Quotas quota code (L-F678F1CE): what a 429 must name. */
const QUOTA_CODE = /\bL-[0-9A-F]{8}\b/;

interface CallTotals {
  count: number;
  throttled: number;
  failed: number;
}

interface Created {
  team: string;
  id: string;
}

interface Crowd {
  answers: ApiAnswer[];
  /** Answered 202, plus those recorded behind another answer (`createdBehindOtherAnswers`). */
  admitted: Created[];
  createdBehindOtherAnswers: number;
  refusedNamingQuota: number;
  otherAnswers: ApiAnswer[];
  ready: number;
  failed: number;
  /** Simulated seconds from the first request to the last admitted execution's end. */
  seconds: number;
  retries: number;
  calls: CallTotals;
  firstFailure?: string;
}

/** Throttled and failed AWS calls and Step Functions retries of a phase, beside one creation alone's. */
function callsRow(label: string, phase: Crowd, alone: Crowd): Row {
  // The rate is what the buckets saw: this one process makes far fewer calls per simulated second
  // than as many Lambda functions running side by side on AWS.
  const figures = (run: Crowd) =>
    `${run.calls.throttled} / ${run.calls.failed} / ${run.calls.count} (${(run.calls.count / run.seconds).toFixed(1)} per simulated s); ${run.retries} retries`;
  return {
    figure: `${label} AWS calls: throttled / answered with an error (NotFound windows, quota refusals…) / all; Step Functions retries`,
    measured: figures(phase),
    baseline: figures(alone),
  };
}

function isQuotaRefusal(answer: ApiAnswer): boolean {
  return answer.status === 429 && QUOTA_CODE.test(JSON.stringify(answer.body));
}

export async function runScaleSection(
  options: { timeScale: number },
  command: string,
): Promise<SectionResult> {
  const startedAt = new Date();
  const phases = selectedPhases();
  // Rate limits, default quotas and read-after-create windows are the simulator's defaults; named here
  // so a change of default does not silently change what this section measures.
  const bench = await startBenchWorkflowStack({
    timeScale: options.timeScale,
    simulator: { rateLimits: true, consistency: true },
  });
  const api = await startApiFrontDoor(bench, options.timeScale);
  const { engine } = bench.stack.stepFunctions;
  const simulatorUrl = bench.stack.simulator.url;
  const prefix = `scale${process.pid % 10_000}`;

  const callTotals = async (): Promise<CallTotals> => {
    const response = await fetch(`${simulatorUrl}/_local/calls`);
    const body = (await response.json()) as {
      calls: Record<string, Record<string, { count: number; throttled: number; failed: number }>>;
    };
    const totals: CallTotals = { count: 0, throttled: 0, failed: 0 };
    for (const counter of Object.values(body.calls).flatMap((operations) => Object.values(operations))) {
      totals.count += counter.count;
      totals.throttled += counter.throttled;
      totals.failed += counter.failed;
    }
    return totals;
  };
  /** Live simulated resources carrying berth's tag, by type. */
  const leftByBerth = async (): Promise<Record<string, number>> => {
    const response = await fetch(`${simulatorUrl}/_local/resources?tag=berth:managed-by=berth`);
    const body = (await response.json()) as { resources: Record<string, unknown[]> };
    return Object.fromEntries(
      Object.entries(body.resources)
        .map(([type, resources]) => [type, resources.length] as const)
        .filter(([, count]) => count > 0),
    );
  };
  const waitForOwner = async (id: string) =>
    engine.waitForExecution(await bench.ownerExecutionArn(id), EXECUTION_TIMEOUT_MS);

  /** Sends `count` creations at once through the API; waits for every admitted one to settle. */
  const createAll = async (label: string, count: number): Promise<Crowd> => {
    const teams = Array.from({ length: count }, (_, index) => `${prefix}-${label}-${index}`);
    const containers = api.containers(count);
    const before = await callTotals();
    const t0 = performance.now();
    const answers = await Promise.all(
      teams.map((team, index) => {
        const container = containers[index];
        if (!container) throw new Error('fewer containers than requests');
        return api.createEnvironment(container, team, benchSpec(team, 'app'), count);
      }),
    );
    const byStatus = new Map<number, number>();
    for (const answer of answers) byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
    process.stdout.write(
      `    answers ${[...byStatus].map(([status, n]) => `${status}×${n}`).join(', ')}; slowest ` +
        `${formatMs(Math.max(...answers.map((answer) => answer.ms)))}\n`,
    );
    const admitted: Created[] = [];
    answers.forEach((answer, index) => {
      const team = teams[index];
      if (answer.status === 202 && typeof answer.body.id === 'string' && team !== undefined)
        admitted.push({ team, id: answer.body.id });
    });
    // A request that answered neither 202 nor 429 may still have recorded its environment (a handler
    // past its timeout runs on): those are built and torn down too, and counted apart.
    const unanswered: Created[] = [];
    for (const [index, answer] of answers.entries()) {
      const team = teams[index];
      if (answer.status === 202 || answer.status === 429 || team === undefined) continue;
      const id = await bench.stack.store.findIdByName(team, 'app');
      if (id !== undefined) unanswered.push({ team, id });
    }
    admitted.push(...unanswered);
    const executions = await Promise.all(admitted.map(({ id }) => waitForOwner(id)));
    const seconds = (performance.now() - t0) / 1000 / options.timeScale;
    const environments = await Promise.all(admitted.map(({ id }) => bench.stack.store.get(id)));
    const after = await callTotals();
    const failedAt = environments.findIndex((environment) => environment?.status !== 'READY');
    const firstFailed = failedAt >= 0 ? environments[failedAt] : undefined;
    return {
      answers,
      admitted,
      createdBehindOtherAnswers: unanswered.length,
      refusedNamingQuota: answers.filter(isQuotaRefusal).length,
      otherAnswers: answers.filter((answer) => answer.status !== 202 && !isQuotaRefusal(answer)),
      ready: environments.filter((environment) => environment?.status === 'READY').length,
      failed: environments.filter((environment) => environment?.status === 'FAILED').length,
      seconds,
      retries: executions.reduce(
        (sum, execution) => sum + engine.getExecutionStats(execution.executionArn).retries,
        0,
      ),
      calls: {
        count: after.count - before.count,
        throttled: after.throttled - before.throttled,
        failed: after.failed - before.failed,
      },
      ...(firstFailed
        ? {
            firstFailure: `${firstFailed.status}: ${JSON.stringify(firstFailed.error ?? null).slice(0, 400)}`,
          }
        : {}),
    };
  };

  /** The first teardown of the run that did not end DELETED: its status and error. */
  let firstTeardownFailure: string | undefined;
  /** Deletes the environments and waits for every teardown; answers how many did not end DELETED. */
  const tearDown = async (created: Created[]): Promise<number> => {
    await Promise.all(
      created.map(({ team, id }) => deleteEnvironment(bench.stack.deps, callerFor(team), id)),
    );
    await Promise.all(created.map(({ id }) => waitForOwner(id)));
    const environments = await Promise.all(created.map(({ id }) => bench.stack.store.get(id)));
    const notDeleted = environments.filter(
      (environment) => environment !== undefined && environment.status !== 'DELETED',
    );
    const first = notDeleted[0];
    if (first && firstTeardownFailure === undefined)
      firstTeardownFailure = `${first.status}: ${JSON.stringify(first.error ?? null).slice(0, 400)}`;
    return notDeleted.length;
  };

  try {
    process.stdout.write('  warm-up creation and teardown (not measured)…\n');
    const warm = await createAll('warm', 1);
    const warmNotDeleted = await tearDown(warm.admitted);
    process.stdout.write('  one creation alone…\n');
    const alone = await createAll('alone', 1);
    const aloneNotDeleted = await tearDown(alone.admitted);
    const leftAfterAlone = await leftByBerth();

    const rows: Row[] = [];
    const phaseNotes: string[] = [];
    const count = (left: Record<string, number>) => Object.values(left).reduce((sum, n) => sum + n, 0);
    const describeLeft = (left: Record<string, number>) =>
      count(left) === 0
        ? '0'
        : `${count(left)} (${Object.entries(left)
            .map(([type, n]) => `${n} ${type}`)
            .join(', ')})`;
    const slowest = (answers: ApiAnswer[]) => Math.max(...answers.map((answer) => answer.ms));
    const aloneAnswer = alone.answers[0];

    let crowd: Crowd | undefined;
    if (phases.a) {
      process.stdout.write(`  (a) ${CONCURRENT} creations at once, default quotas…\n`);
      crowd = await createAll('crowd', CONCURRENT);
      const crowdNotDeleted = await tearDown(crowd.admitted);
      const leftAfterCrowd = await leftByBerth();
      rows.push(
        {
          figure: `(a) ${CONCURRENT} concurrent POSTs, default quotas: 202 / 429 naming the quota / other`,
          measured: `${crowd.admitted.length - crowd.createdBehindOtherAnswers} / ${crowd.refusedNamingQuota} / ${crowd.otherAnswers.length}`,
          target: `202 + 429 = ${CONCURRENT}, other 0`,
          met:
            crowd.admitted.length - crowd.createdBehindOtherAnswers + crowd.refusedNamingQuota ===
              CONCURRENT && crowd.otherAnswers.length === 0,
        },
        {
          figure: '(a) admitted environments READY',
          measured: `${crowd.ready} / ${crowd.admitted.length}`,
          target: 'all',
          met: crowd.admitted.length > 0 && crowd.ready === crowd.admitted.length,
        },
        {
          figure: '(a) FAILED after building',
          measured: String(crowd.failed),
          target: '0',
          met: crowd.failed === 0,
        },
        {
          figure: "(a) resources with berth's tag after tearing the admitted down",
          measured: describeLeft(leftAfterCrowd),
          baseline: describeLeft(leftAfterAlone),
          target: '0',
          met: count(leftAfterCrowd) === 0 && crowdNotDeleted === 0,
        },
        {
          figure: '(a) slowest POST answer (wall ms) vs one POST alone',
          measured: formatMs(slowest(crowd.answers)),
          baseline: aloneAnswer ? formatMs(aloneAnswer.ms) : '—',
          ...(aloneAnswer ? { ratio: ratioOf(slowest(crowd.answers), aloneAnswer.ms) } : {}),
        },
        {
          figure: '(a) time to all admitted READY (simulated s) vs one creation alone',
          measured: formatSeconds(crowd.seconds),
          baseline: formatSeconds(alone.seconds),
          ratio: ratioOf(crowd.seconds, alone.seconds),
        },
        callsRow('(a)', crowd, alone),
      );
      if (crowd.firstFailure) phaseNotes.push(`(a) first environment not READY: ${crowd.firstFailure}.`);
      if (crowdNotDeleted > 0) phaseNotes.push(`(a) ${crowdNotDeleted} teardowns did not end DELETED.`);
    }

    let windowed: Crowd | undefined;
    if (phases.b) {
      process.stdout.write(`  (b) ${CONSISTENCY_CONCURRENT} creations at once, quotas raised…\n`);
      const quotas = (await (await fetch(`${simulatorUrl}/_local/quotas`)).json()) as {
        quotas: Record<string, { value: number }>;
      };
      const raised = Object.fromEntries(
        Object.entries(quotas.quotas).map(([key, quota]) => [key, Math.max(quota.value, RAISED_QUOTA)]),
      );
      const put = await fetch(`${simulatorUrl}/_local/quotas`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ quotas: raised }),
      });
      if (!put.ok) throw new Error(`PUT /_local/quotas answered ${put.status}`);
      // berth sees a raised quota once its shared read of the quotas has aged out, as on AWS.
      await new Promise((resolve) =>
        setTimeout(resolve, (QUOTA_READ_REUSED_AWS_SECONDS + 1) * 1000 * options.timeScale),
      );
      windowed = await createAll('windows', CONSISTENCY_CONCURRENT);
      const windowedNotDeleted = await tearDown(windowed.admitted);
      const leftAfterWindowed = await leftByBerth();
      rows.push(
        {
          figure: `(b) ${CONSISTENCY_CONCURRENT} concurrent creations, read-after-create windows on, quotas raised: READY`,
          measured: `${windowed.ready} / ${CONSISTENCY_CONCURRENT}`,
          target: 'all',
          met: windowed.ready === CONSISTENCY_CONCURRENT,
        },
        {
          figure: '(b) FAILED after building',
          measured: String(windowed.failed),
          target: '0',
          met: windowed.failed === 0 && windowed.admitted.length === CONSISTENCY_CONCURRENT,
        },
        {
          figure: "(b) resources with berth's tag after tearing them down",
          measured: describeLeft(leftAfterWindowed),
          baseline: describeLeft(leftAfterAlone),
          target: '0',
          met: count(leftAfterWindowed) === 0 && windowedNotDeleted === 0,
        },
        {
          figure: '(b) time to all READY (simulated s) vs one creation alone',
          measured: formatSeconds(windowed.seconds),
          baseline: formatSeconds(alone.seconds),
          ratio: ratioOf(windowed.seconds, alone.seconds),
        },
        callsRow('(b)', windowed, alone),
      );
      if (windowed.firstFailure)
        phaseNotes.push(`(b) first environment not READY: ${windowed.firstFailure}.`);
      if (windowedNotDeleted > 0) phaseNotes.push(`(b) ${windowedNotDeleted} teardowns did not end DELETED.`);
    }

    const firstOther = crowd?.otherAnswers[0] ?? windowed?.otherAnswers[0];
    const firstRefusal = crowd?.answers.find(isQuotaRefusal);
    // Every call berth's roles made must be allowed (workflow-stack.ts throws at stop otherwise).
    const denials = bench.stack.simulator.sim.iam.denials();
    rows.push({
      figure: "calls refused by IAM (each function signs as its own role, the create handler's included)",
      measured: String(denials.length),
      target: '0',
      met: denials.length === 0,
    });
    const behindOtherAnswers = [
      crowd?.createdBehindOtherAnswers ? `(a) ${crowd.createdBehindOtherAnswers}` : '',
      windowed?.createdBehindOtherAnswers ? `(b) ${windowed.createdBehindOtherAnswers}` : '',
    ].filter((part) => part !== '');
    const notes = [
      `The warm-up creation ended ${warm.ready === 1 ? 'READY' : (warm.firstFailure ?? 'not READY')}` +
        `${warmNotDeleted > 0 ? ' and its teardown did not end DELETED (what it left counts in every leak figure)' : ''}. ` +
        `One alone ended ${alone.ready === 1 ? 'READY' : (alone.firstFailure ?? 'not READY')}` +
        `${aloneNotDeleted > 0 ? ' and its teardown did not end DELETED' : ''}.` +
        (phases.a && phases.b ? '' : ` Only phase ${phases.a ? '(a)' : '(b)'} ran (BENCH_SCALE_PHASES).`) +
        phaseNotes.map((note) => ` ${note}`).join('') +
        (firstOther
          ? ` First answer neither 202 nor a quota 429: ${firstOther.status} ${JSON.stringify(firstOther.body).slice(0, 300)}.`
          : '') +
        (firstRefusal ? ` (a) first 429: ${String(firstRefusal.body.detail ?? '').slice(0, 400)}` : '') +
        (denials[0]
          ? ` First IAM refusal: ${denials[0].principal}: ${denials[0].action} on ${denials[0].resource} (${denials[0].reason}).`
          : '') +
        (firstTeardownFailure ? ` First teardown not DELETED: ${firstTeardownFailure}.` : '') +
        (behindOtherAnswers.length > 0
          ? ` Recorded behind an answer other than 202 (built and torn down with the rest): ${behindOtherAnswers.join(', ')}.`
          : ''),
      'Each POST goes through the real create handler (functions/api/create-environment.ts, bundled as serverless.yml ' +
        "bundles it, loaded afresh per request as concurrent requests land in separate Lambda containers) signing as that function's " +
        'role, so quota-aware admission reads Service Quotas and EC2 usage as the deployed API does and refuses with its 429. ' +
        'The simulator, the local engine, every workflow step and every request share one process here, so a request among N ' +
        "concurrent ones is given N times the function's 10 s timeout (on AWS each has a container of its own); the slowest " +
        'answer is reported against one request alone. ' +
        'The simulated account starts with its default VPC and AWS default quotas; (b) raises every quota to ' +
        `${RAISED_QUOTA} through the control API (PUT /_local/quotas) after (a)'s environments are gone, then waits the ${QUOTA_READ_REUSED_AWS_SECONDS} s for which berth reuses its read of the quotas.`,
      `Time scale ${options.timeScale}: the simulator's token buckets refill in simulated time and the local engine scales Wait ` +
        'and Retry intervals, but the SDK sleeps its retry backoff in wall time, so at a small scale one SDK backoff spans ' +
        `${Math.round(1 / options.timeScale)}× as much simulated time as on AWS (docs/aws-facts.md#throttling-at-scale-retry-budgets). ` +
        'On 2 cores the step handlers of every workflow compete for CPU, and every wall millisecond is 1/timeScale simulated ' +
        'milliseconds, so the ratios also measure local CPU contention.',
    ];
    return {
      name: 'scale',
      title: '4. Scale (concurrent creations: per-API throttling, default quotas, read-after-create windows)',
      command,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      rows,
      notes,
    };
  } finally {
    api.close();
    await bench.stop().catch((error: unknown) => {
      // The refusals are a row of the result; any other failure to stop is the benchmark's own.
      if (!(error instanceof Error && error.message.startsWith('the simulated AWS refused'))) throw error;
    });
  }
}
