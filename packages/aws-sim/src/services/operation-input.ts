/**
 * Reading an operation's loosely typed input, shared by the Route 53, SSM, STS, EventBridge, SQS,
 * Scheduler and Pipes simulations. Inputs arrive from several wire protocols: JSON keeps numbers and
 * booleans, but query strings and parsed XML give everything as strings, and XML lists arrive as
 * `{ Member: item }` or `{ Member: [items] }` depending on how many items there were. The readers
 * accept all of these so each service states only AWS behaviour. (`../input.ts` has the lenient
 * readers the form protocols use; these also raise the service's own validation error.)
 */
import { isRecord } from '../input';
import type { AwsError, OperationInput } from '../kernel';

/** Builds the service's own validation error (`InvalidInput`, `ValidationException`…). */
export type InvalidInput = (message: string) => AwsError;

/**
 * A list however the protocol delivered it: an array, one item, or an XML wrapper
 * `{ <memberName>: item | item[] }` (`{ Change: [...] }`, `{ member: [...] }`).
 */
export function asList(value: unknown, memberName?: string): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value;
  if (isRecord(value)) {
    const wrapped = memberName !== undefined ? value[memberName] : undefined;
    if (wrapped !== undefined) return asList(wrapped);
    if ('member' in value) return asList(value.member);
  }
  return [value];
}

/** Typed access to one input object; every failure is the service's validation error. */
export class InputReader {
  constructor(
    readonly input: OperationInput,
    private readonly invalid: InvalidInput,
    private readonly path = '',
  ) {}

  private label(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    const value = this.input[key];
    return value !== undefined && value !== null;
  }

  string(key: string): string | undefined {
    const value = this.input[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw this.invalid(`${this.label(key)} must be a string.`);
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') throw this.invalid(`${this.label(key)} is required.`);
    return value;
  }

  number(key: string): number | undefined {
    const value = this.input[key];
    if (value === undefined || value === null || value === '') return undefined;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
    if (!Number.isFinite(parsed)) throw this.invalid(`${this.label(key)} must be a number.`);
    return parsed;
  }

  boolean(key: string): boolean | undefined {
    const value = this.input[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw this.invalid(`${this.label(key)} must be a boolean.`);
  }

  /** A nested structure as its own reader, or undefined when absent. */
  object(key: string): InputReader | undefined {
    const value = this.input[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (!isRecord(value)) throw this.invalid(`${this.label(key)} must be a structure.`);
    return new InputReader(value, this.invalid, this.label(key));
  }

  requiredObject(key: string): InputReader {
    const value = this.object(key);
    if (!value) throw this.invalid(`${this.label(key)} is required.`);
    return value;
  }

  /** A list of structures, each as a reader. */
  objects(key: string, memberName?: string): InputReader[] {
    return asList(this.input[key], memberName).map((item, index) => {
      if (!isRecord(item)) throw this.invalid(`${this.label(key)}[${index}] must be a structure.`);
      return new InputReader(item, this.invalid, `${this.label(key)}[${index}]`);
    });
  }

  /** A list of strings. */
  strings(key: string, memberName?: string): string[] {
    return asList(this.input[key], memberName).map((item, index) => {
      if (typeof item !== 'string') throw this.invalid(`${this.label(key)}[${index}] must be a string.`);
      return item;
    });
  }

  /** A JSON map of strings (`{ "k": "v" }`). */
  stringMap(key: string): Record<string, string> {
    const value = this.input[key];
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) throw this.invalid(`${this.label(key)} must be a map.`);
    const result: Record<string, string> = {};
    for (const [name, item] of Object.entries(value)) {
      if (typeof item !== 'string') throw this.invalid(`${this.label(key)}.${name} must be a string.`);
      result[name] = item;
    }
    return result;
  }

  /** A tag list `[{ Key, Value }]` as a map. */
  tagList(key: string, memberName?: string): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const tag of this.objects(key, memberName))
      tags[tag.requiredString('Key')] = tag.string('Value') ?? '';
    return tags;
  }
}

/** Simulated epoch milliseconds as the epoch seconds JSON protocols send for timestamps. */
export function epochSeconds(millis: number): number {
  return Math.round(millis) / 1000;
}

/** Simulated epoch milliseconds as ISO-8601, as XML protocols send timestamps. */
export function isoTimestamp(millis: number): string {
  return new Date(Math.round(millis)).toISOString();
}

/** One page of `items` after an opaque `nextToken` (an offset), and the token of the next page. */
export function paginate<T>(
  items: T[],
  nextToken: string | undefined,
  maxResults: number | undefined,
  invalid: InvalidInput,
  defaultPageSize = 100,
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken) {
    start = Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw invalid('The NextToken is not valid.');
  }
  const size = maxResults && maxResults > 0 ? maxResults : defaultPageSize;
  const page = items.slice(start, start + size);
  const next = start + size;
  return next < items.length
    ? { page, nextToken: Buffer.from(String(next), 'utf8').toString('base64url') }
    : { page };
}

/** Tags as the `[{ Key, Value }]` list most APIs answer with. */
export function tagListOf(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
