/**
 * Shows a running workflow while the CLI waits. On a terminal: finished steps scroll up as they
 * complete and one live line is redrawn in place (status, bar, percent, current step, elapsed
 * time). Anywhere else (CI logs, pipes): one plain line per change, no escape codes.
 */
import type { Clock, Terminal } from './args';
import type { EnvironmentView } from './environment-view';

export interface ProgressReporter {
  update(environment: EnvironmentView): void;
  /** A transient problem while polling (the wait goes on). */
  warn(line: string): void;
  /** Clears the live line and stops redrawing; call before printing the outcome. */
  stop(): void;
}

const BAR_WIDTH = 24;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Carriage return + "erase entire line" (ECMA-48 EL 2): the live line is rewritten in place. */
const CLEAR_LINE = '\r\x1b[2K';

export const silentReporter: ProgressReporter = { update() {}, warn() {}, stop() {} };

/** `0:07`, `12:30`, `1:02:03`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A step's own duration: `0.4s`, `12.0s`, `3m 05s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/** `[██████░░░░…]` for a percent, clamped to 0–100. */
export function renderBar(percent: number, width = BAR_WIDTH): string {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

function stepDuration(step: { startedAt: string; finishedAt: string }): string {
  return formatDuration(Date.parse(step.finishedAt) - Date.parse(step.startedAt));
}

type CompletedStep = EnvironmentView['progress']['completedSteps'][number];

/**
 * Finished steps not reported yet. Steps are matched by position and name: the list only grows
 * during one workflow, and a new workflow (an update after READY) starts it again, which shows as a
 * mismatch from where its steps are reported afresh.
 */
function stepTracker(): (environment: EnvironmentView) => CompletedStep[] {
  let reported: string[] = [];
  return (environment) => {
    const steps = environment.progress.completedSteps;
    let common = 0;
    while (common < reported.length && steps[common]?.step === reported[common]) common += 1;
    reported = steps.map((step) => step.step);
    return steps.slice(common);
  };
}

export function createProgressReporter(
  terminal: Terminal,
  clock: Clock,
  options: { startedAt: number; redrawMs?: number },
): ProgressReporter {
  const elapsed = () => formatElapsed(clock.now() - options.startedAt);
  return terminal.isTTY
    ? liveReporter(terminal, elapsed, stepTracker(), options.redrawMs ?? 250)
    : plainReporter(terminal, elapsed, stepTracker());
}

function plainReporter(
  terminal: Terminal,
  elapsed: () => string,
  newSteps: (environment: EnvironmentView) => CompletedStep[],
): ProgressReporter {
  let lastLine = '';
  return {
    update(environment) {
      for (const step of newSteps(environment)) {
        terminal.write(`${elapsed()} done ${step.step} (${stepDuration(step)})\n`);
      }
      const { status, progress } = environment;
      const line = [status, `${Math.round(progress.percent)}%`, progress.currentStep]
        .filter(Boolean)
        .join(' ');
      // A line per change, not per poll: CI logs stay readable during a long wait.
      if (line !== lastLine) terminal.write(`${elapsed()} ${line}\n`);
      lastLine = line;
    },
    warn(line) {
      terminal.write(`${elapsed()} ${line}\n`);
    },
    stop() {},
  };
}

function liveReporter(
  terminal: Terminal,
  elapsed: () => string,
  newSteps: (environment: EnvironmentView) => CompletedStep[],
  redrawMs: number,
): ProgressReporter {
  let latest: EnvironmentView | undefined;
  let frame = 0;
  const draw = () => {
    if (latest === undefined) return;
    frame = (frame + 1) % SPINNER.length;
    const { status, progress } = latest;
    const step = progress.currentStep ? `  ${progress.currentStep}` : '';
    const percent = `${Math.round(progress.percent)}%`.padStart(4);
    terminal.write(
      `${CLEAR_LINE}${SPINNER[frame]} ${status}  ${renderBar(progress.percent)} ${percent}${step}  ${elapsed()}`,
    );
  };
  // Redraws between polls so the elapsed time and spinner move; unref'd so it never keeps the CLI alive.
  const timer = setInterval(draw, redrawMs);
  timer.unref();
  return {
    update(environment) {
      for (const step of newSteps(environment)) {
        terminal.write(`${CLEAR_LINE}  ✔ ${step.step.padEnd(28)} ${stepDuration(step)}\n`);
      }
      latest = environment;
      draw();
    },
    warn(line) {
      terminal.write(`${CLEAR_LINE}  ! ${line}\n`);
      draw();
    },
    stop() {
      clearInterval(timer);
      if (latest !== undefined) terminal.write(CLEAR_LINE);
    },
  };
}
