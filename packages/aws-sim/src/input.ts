/**
 * Readers for an `OperationInput`. The form protocols (ec2, query) deliver every scalar as a string
 * and an empty list as `''`; the JSON protocols deliver real types. These readers accept both, so a
 * service reads its input the same way whatever the wire.
 */
import type { OperationInput } from './kernel';

function isRecord(value: unknown): value is OperationInput {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string member, or undefined (numbers and booleans are turned into their text). */
export function readString(input: OperationInput, key: string): string | undefined {
  const value = input[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A list member; absent, `''` (an empty awsQuery list) and non-lists read as `[]`. */
export function readList(input: OperationInput, key: string): unknown[] {
  const value = input[key];
  return Array.isArray(value) ? value : [];
}

/** A list of strings, skipping anything that is not a scalar. */
export function readStringList(input: OperationInput, key: string): string[] {
  return readList(input, key).flatMap((item) =>
    typeof item === 'string' || typeof item === 'number' ? [String(item)] : [],
  );
}

/** A list of structures, skipping anything that is not one. */
export function readRecordList(input: OperationInput, key: string): OperationInput[] {
  return readList(input, key).filter(isRecord);
}

/** A structure member, or undefined. */
export function readRecord(input: OperationInput, key: string): OperationInput | undefined {
  const value = input[key];
  return isRecord(value) ? value : undefined;
}

/** A boolean member (`true`/`false` text or a boolean), or undefined. */
export function readBoolean(input: OperationInput, key: string): boolean | undefined {
  const value = input[key];
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** An integer member, or undefined when absent or not a whole number. */
export function readInteger(input: OperationInput, key: string): number | undefined {
  const value = input[key];
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isInteger(parsed) ? parsed : undefined;
}

export { isRecord };
