/** Retries of lost optimistic writes pause a random time that grows with the attempt, up to 500 ms. */
import { pauseBeforeRetry } from '../../shared/workflow/contention';

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

async function settledAfter(ms: number, pause: Promise<void>): Promise<boolean> {
  let settled = false;
  void pause.then(() => {
    settled = true;
  });
  await jest.advanceTimersByTimeAsync(ms);
  return settled;
}

it('pauses up to 10·2^attempt ms, drawn at random', async () => {
  // Prepare
  const longest = () => pauseBeforeRetry(3, () => 0.999);

  // Act
  const before = await settledAfter(78, longest());
  const after = await settledAfter(80, longest());

  // Assess
  expect([before, after]).toEqual([false, true]);
});

it('never pauses longer than 500 ms, however many attempts', async () => {
  // Act
  const settled = await settledAfter(
    500,
    pauseBeforeRetry(20, () => 0.999),
  );

  // Assess
  expect(settled).toBe(true);
});
