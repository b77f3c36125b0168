/**
 * VPC CIDR allocation: no two environments ever hold overlapping CIDRs, on the single table.
 *
 * | item              | pk                | sk            | attributes                          |
 * |-------------------|-------------------|---------------|-------------------------------------|
 * | block lock        | CIDR#<a.b.c.d/20> | CIDR          | environmentId, cidr, block          |
 * | block index entry | CIDR-INDEX        | <8 hex, /20>  | environmentId, cidr, block          |
 * | allocation        | ENV#<id>          | CIDR          | environmentId, cidr, allocatedAt    |
 *
 * An allocation locks the /20 blocks of its CIDR (`lockBlocks`): one TransactWriteItems puts the
 * allocation, every lock and every index entry, each conditional on being absent or already ours, so
 * a retried step gets the same answer and a lost race changes nothing.
 *
 * Finding free blocks for `auto`: the locks live on different partition keys (no Query), so each lock
 * has a twin index entry in one partition whose sort key is the block's address in hex: one Query
 * (`sk BETWEEN` the pool's bounds, paged) lists the taken blocks of any pool. Chosen over one index
 * item holding a set, which every allocation would rewrite (TransactionConflict under concurrency),
 * and over BatchGet pages, which read every candidate (4,096 /20s in a /8) on each allocation. The
 * index is only a hint: the conditional lock puts are what guarantee no overlap.
 */
import type { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  AUTO_VPC_PREFIX,
  cidrRange,
  lockBlocks,
  maskOf,
  normalizeCidr,
  parseCidr,
  poolBlocks,
} from '../domain/cidr';

/** Every lock is a /20: a /16 VPC locks 16 blocks, a /21–/24 the /20 it sits in. */
const LOCK_GRANULARITY = 20;
const INDEX_PK = 'CIDR-INDEX';
const SK = 'CIDR';
/** Retries of one explicit CIDR when the transaction collides with another (TransactionConflict). */
const CONFLICT_ATTEMPTS = 5;

/**
 * The message is what the requester sees (GET, events, callbacks, Slack): it names the requested
 * CIDR and the block, never the environment or CIDR that holds it — another team's environment must
 * look like any other taken address space. The holder stays on the error for operators' logs only.
 */
export class CidrOverlapError extends Error {
  constructor(
    readonly cidr: string,
    readonly otherEnvironmentId: string,
    readonly otherCidr: string | undefined,
    readonly block: string,
  ) {
    super(
      `${cidr} overlaps a CIDR already allocated to another environment (the /${LOCK_GRANULARITY} ` +
        `block ${block} is taken); choose another CIDR or "auto"`,
    );
    this.name = 'CidrOverlapError';
  }
}

export class CidrPoolExhaustedError extends Error {
  constructor(readonly pool: string) {
    super(`no free /${LOCK_GRANULARITY} block is left in the CIDR pool ${pool}`);
    this.name = 'CidrPoolExhaustedError';
  }
}

/** The environment already holds a different CIDR; it must be released before another is allocated. */
export class CidrAlreadyAllocatedError extends Error {
  constructor(
    readonly environmentId: string,
    readonly allocatedCidr: string,
    readonly requestedCidr: string,
  ) {
    super(`environment ${environmentId} already holds ${allocatedCidr}, not ${requestedCidr}`);
    this.name = 'CidrAlreadyAllocatedError';
  }
}

export interface CidrAllocatorOptions {
  /** Prefix of the VPC CIDR an `auto` request gets (default 20, which plans /24 subnets). */
  autoPrefix?: number;
}

/** Outcome of one attempt to write an allocation. */
type LockAttempt =
  | { kind: 'allocated' }
  /** The environment holds another allocation (a concurrent run of the same step won). */
  | { kind: 'environment-taken' }
  /** Another environment holds `block`. */
  | { kind: 'block-taken'; block: string }
  /** Another transaction was writing the same items at the same moment. */
  | { kind: 'conflict' };

const allocationKey = (environmentId: string) => ({ pk: `ENV#${environmentId}`, sk: SK });
const lockKey = (block: string) => ({ pk: `CIDR#${block}`, sk: SK });
const hex = (address: number) => address.toString(16).padStart(8, '0');
const indexKey = (block: string) => ({ pk: INDEX_PK, sk: hex(parseCidr(block).address) });

function stringAttribute(item: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = item?.[name];
  return typeof value === 'string' ? value : undefined;
}

export class CidrAllocator {
  private readonly autoPrefix: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    options: CidrAllocatorOptions = {},
  ) {
    this.autoPrefix = options.autoPrefix ?? AUTO_VPC_PREFIX;
  }

  /** The CIDR the environment holds, or undefined. */
  async allocationOf(environmentId: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: allocationKey(environmentId), ConsistentRead: true }),
    );
    return stringAttribute(Item, 'cidr');
  }

  /**
   * Allocates `request` (a CIDR, checked for overlap) or the first free `auto` block of `pool` to the
   * environment, atomically. Idempotent: an environment that already holds a CIDR gets it back.
   */
  async allocate(environmentId: string, request: 'auto' | string, pool: string): Promise<string> {
    const requested = request === 'auto' ? undefined : normalizeCidr(request);
    const existing = await this.allocationOf(environmentId);
    if (existing !== undefined) return this.alreadyHeld(environmentId, existing, requested);
    return requested === undefined
      ? this.allocateFromPool(environmentId, pool)
      : this.allocateExplicit(environmentId, requested);
  }

  /** Frees the environment's CIDR and its locks. Idempotent: nothing held is nothing to do. */
  async release(environmentId: string): Promise<void> {
    const cidr = await this.allocationOf(environmentId);
    if (cidr === undefined) return;
    const ours = {
      ConditionExpression: 'attribute_not_exists(pk) OR environmentId = :me',
      ExpressionAttributeValues: { ':me': environmentId },
    };
    const blocks = lockBlocks(cidr, LOCK_GRANULARITY);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: this.table, Key: allocationKey(environmentId), ...ours } },
            ...blocks.map((block) => ({ Delete: { TableName: this.table, Key: lockKey(block), ...ours } })),
            ...blocks.map((block) => ({ Delete: { TableName: this.table, Key: indexKey(block), ...ours } })),
          ],
        }),
      );
    } catch (error) {
      // A concurrent release got there first: what is left to check is that nothing is held.
      if (
        reasonCodes(error)?.includes('TransactionConflict') &&
        (await this.allocationOf(environmentId)) === undefined
      ) {
        return;
      }
      throw error;
    }
  }

  private alreadyHeld(environmentId: string, held: string, requested: string | undefined): string {
    if (requested === undefined || requested === held) return held;
    throw new CidrAlreadyAllocatedError(environmentId, held, requested);
  }

  private async allocateExplicit(environmentId: string, cidr: string): Promise<string> {
    const blocks = lockBlocks(cidr, LOCK_GRANULARITY);
    for (let attempt = 1; ; attempt++) {
      const result = await this.tryAllocate(environmentId, cidr, blocks);
      switch (result.kind) {
        case 'allocated':
          return cidr;
        case 'environment-taken':
          return this.heldAfterRace(environmentId, cidr);
        case 'block-taken': {
          const owner = await this.lockOwner(result.block);
          // Released between our write and this read: the next attempt may succeed.
          if (owner && owner.environmentId !== environmentId) {
            throw new CidrOverlapError(cidr, owner.environmentId, owner.cidr, result.block);
          }
          break;
        }
        case 'conflict':
          break;
      }
      if (attempt >= CONFLICT_ATTEMPTS) {
        throw new Error(`allocating ${cidr} collided with concurrent transactions ${attempt} times`);
      }
    }
  }

  private async allocateFromPool(environmentId: string, pool: string): Promise<string> {
    const taken = await this.takenBlocks(pool);
    for (const candidate of poolBlocks(pool, this.autoPrefix)) {
      const blocks = lockBlocks(candidate, LOCK_GRANULARITY);
      if (blocks.some((block) => taken.has(block))) continue;
      const result = await this.tryAllocate(environmentId, candidate, blocks);
      switch (result.kind) {
        case 'allocated':
          return candidate;
        case 'environment-taken':
          return this.heldAfterRace(environmentId, undefined);
        case 'block-taken':
          taken.add(result.block);
          break;
        case 'conflict':
          // Another allocation is writing these blocks right now; it most likely wins them. Move on
          // rather than wait: a block skipped here stays free for the next allocation.
          for (const block of blocks) taken.add(block);
          break;
      }
    }
    throw new CidrPoolExhaustedError(pool);
  }

  /** A concurrent run for the same environment wrote its allocation first: answer with that one. */
  private async heldAfterRace(environmentId: string, requested: string | undefined): Promise<string> {
    const held = await this.allocationOf(environmentId);
    if (held === undefined)
      throw new Error(`allocation of environment ${environmentId} changed concurrently; retry`);
    return this.alreadyHeld(environmentId, held, requested);
  }

  private async tryAllocate(environmentId: string, cidr: string, blocks: string[]): Promise<LockAttempt> {
    const free = {
      ConditionExpression: 'attribute_not_exists(pk) OR environmentId = :me',
      ExpressionAttributeValues: { ':me': environmentId },
    };
    const attributes = { environmentId, cidr };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...allocationKey(environmentId),
                  ...attributes,
                  allocatedAt: new Date().toISOString(),
                },
                // Not "ours" but "this very CIDR": two concurrent runs of one step must not both win.
                ConditionExpression: 'attribute_not_exists(pk) OR cidr = :cidr',
                ExpressionAttributeValues: { ':cidr': cidr },
              },
            },
            ...blocks.map((block) => ({
              Put: { TableName: this.table, Item: { ...lockKey(block), ...attributes, block }, ...free },
            })),
            ...blocks.map((block) => ({
              Put: { TableName: this.table, Item: { ...indexKey(block), ...attributes, block }, ...free },
            })),
          ],
        }),
      );
      return { kind: 'allocated' };
    } catch (error) {
      const codes = reasonCodes(error);
      if (!codes) throw error;
      // Reasons come in TransactItems order: the allocation, then the locks, then the index entries.
      if (codes[0] === 'ConditionalCheckFailed') return { kind: 'environment-taken' };
      const failed = codes.indexOf('ConditionalCheckFailed');
      if (failed > 0) {
        const block = blocks[(failed - 1) % blocks.length];
        if (block !== undefined) return { kind: 'block-taken', block };
      }
      if (codes.includes('TransactionConflict')) return { kind: 'conflict' };
      throw error;
    }
  }

  private async lockOwner(
    block: string,
  ): Promise<{ environmentId: string; cidr: string | undefined } | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: lockKey(block), ConsistentRead: true }),
    );
    const environmentId = stringAttribute(Item, 'environmentId');
    return environmentId === undefined ? undefined : { environmentId, cidr: stringAttribute(Item, 'cidr') };
  }

  /** The locked /20 blocks that intersect the pool, from the index partition (paged Query). */
  private async takenBlocks(pool: string): Promise<Set<string>> {
    const { first, last } = cidrRange(pool);
    const taken = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
          ExpressionAttributeValues: {
            ':pk': INDEX_PK,
            // A lock block starts at or before the pool when the pool is smaller than a /20.
            ':low': hex((first & maskOf(LOCK_GRANULARITY)) >>> 0),
            ':high': hex(last),
          },
          // BLOCK is a DynamoDB reserved word.
          ProjectionExpression: '#block',
          ExpressionAttributeNames: { '#block': 'block' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const block = stringAttribute(item, 'block');
        if (block !== undefined) taken.add(block);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return taken;
  }
}

/** The cancellation reason codes of a cancelled transaction, in TransactItems order; undefined otherwise. */
function reasonCodes(error: unknown): string[] | undefined {
  // By name, not instanceof: the document client may load its own copy of client-dynamodb.
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons: TransactionCanceledException['CancellationReasons'] =
    'CancellationReasons' in error && Array.isArray(error.CancellationReasons)
      ? error.CancellationReasons
      : [];
  return (reasons ?? []).map((reason) => reason.Code ?? 'None');
}
