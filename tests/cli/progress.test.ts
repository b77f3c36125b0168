import { createProgressReporter } from '../../cli/progress';
import { CapturedTerminal, environment, FakeClock, step } from './fake-api';

function at(percent: number, steps: string[], currentStep?: string, status = 'PROVISIONING') {
  // Fresh timestamps on every read: reports must not depend on them to recognise a step.
  const now = new Date().toISOString();
  return environment({
    status,
    progress: {
      percent,
      completedSteps: steps.map((name) => step(name, now, now)),
      ...(currentStep ? { currentStep } : {}),
    },
  });
}

describe('plain progress (not a terminal)', () => {
  it('prints each finished step once and a line only when status, percent or step changes', () => {
    const terminal = new CapturedTerminal(false);
    const clock = new FakeClock();
    const reporter = createProgressReporter(terminal, clock, { startedAt: clock.now() });

    reporter.update(at(10, [], 'allocate-cidr'));
    reporter.update(at(10, [], 'allocate-cidr'));
    clock.current += 65_000;
    reporter.update(at(30, ['allocate-cidr'], 'create-network'));
    reporter.update(at(30, ['allocate-cidr'], 'create-network'));
    reporter.stop();

    expect(terminal.text).toBe(
      '0:00 PROVISIONING 10% allocate-cidr\n' +
        '1:05 done allocate-cidr (0.0s)\n' +
        '1:05 PROVISIONING 30% create-network\n',
    );
  });

  it('reports the steps of a new workflow even when they have the names of earlier ones', () => {
    const terminal = new CapturedTerminal(false);
    const clock = new FakeClock();
    const reporter = createProgressReporter(terminal, clock, { startedAt: clock.now() });

    reporter.update(at(100, ['create-services'], undefined, 'READY'));
    reporter.update(at(0, [], 'update-services', 'UPDATING'));
    reporter.update(at(100, ['create-services'], undefined, 'READY'));

    expect(terminal.text.match(/done create-services/g)).toHaveLength(2);
  });
});

describe('live progress (a terminal)', () => {
  it('scrolls finished steps above one redrawn line and erases that line when stopped', () => {
    const terminal = new CapturedTerminal(true);
    const clock = new FakeClock();
    const reporter = createProgressReporter(terminal, clock, { startedAt: clock.now() });

    reporter.update(at(50, ['create-network'], 'create-cluster'));
    reporter.update(at(50, ['create-network'], 'create-cluster'));
    reporter.stop();

    expect(terminal.text.match(/✔ create-network/g)).toHaveLength(1);
    expect(terminal.text).toMatch(/PROVISIONING {2}\[█{12}░{12}\] {2}50% {2}create-cluster {2}0:00/);
    expect(terminal.text.endsWith('\r\x1b[2K')).toBe(true);
  });
});
