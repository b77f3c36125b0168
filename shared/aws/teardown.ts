/**
 * What every AWS module's teardown pass reports, and the small helpers their Describe and delete
 * calls share. A pass never waits: what still depends on something is reported as blocked.
 */
import { hasCode } from './errors';

export interface Blocker {
  /** The resource (id or ARN) that could not be deleted yet. */
  resource: string;
  /** The AWS error code (DependencyViolation, ResourceInUse…) or berth's (NatGatewayDeleting…). */
  code: string;
  message: string;
}

export interface TeardownProgress {
  done: boolean;
  blocked: Blocker[];
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every item of a paginated SDK call. */
export async function collect<Page, Item>(
  pages: AsyncIterable<Page>,
  items: (page: Page) => Item[] | undefined,
): Promise<Item[]> {
  const all: Item[] = [];
  for await (const page of pages) all.push(...(items(page) ?? []));
  return all;
}

/** `items` in batches of `size`: the most one Describe call accepts (ECS 10, ELBv2 tags 20…). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * Whether a delete IAM refused was of a resource that is gone. Teardown may delete only what carries
 * berth's tag, and a resource that no longer exists has no tags, so AWS answers `AccessDenied` (Logs:
 * `AccessDeniedException`) instead of success or `*NotFound` — as for a log group another pass deleted
 * between this pass's Describe and its delete
 * (docs/aws-facts.md#deleting-what-is-already-gone-under-a-tag-condition). `exists` asks AWS again with
 * a read granted without the tag condition; only when it finds nothing does the refusal count as done.
 */
export async function refusedBecauseGone(error: unknown, exists: () => Promise<boolean>): Promise<boolean> {
  if (!hasCode(error, 'AccessDenied', 'AccessDeniedException')) return false;
  return !(await exists());
}
