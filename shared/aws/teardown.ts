/**
 * What every AWS module's teardown pass reports, and the small helpers their Describe and delete
 * calls share. A pass never waits: what still depends on something is reported as blocked.
 */

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
