/**
 * One way to say "this must be here": an id AWS just returned, a field the workflow state must carry.
 * Its absence is a fault of whoever should have supplied it (AWS, a simulator, a broken state
 * machine), never a user's: it throws a plain Error, which a step reports as StepFailed naming itself.
 */

/** `value`, or an error naming `what` is missing. An empty string is missing too: no AWS id is ''. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new Error(`missing ${what}`);
  return value;
}
