/**
 * Team quotas on the single table.
 *
 * | item            | pk           | sk     | attributes                                              |
 * |-----------------|--------------|--------|---------------------------------------------------------|
 * | quota overrides | TEAM#<team>  | QUOTAS | overrides {environments?, tasks?, oneOffTasks?, …}, by/At |
 * | usage           | TEAM#<team>  | USAGE  | environments, tasks, natGateways, ec2Instances          |
 *
 * (Environment items carry `gsi1pk = TEAM#<team>` on the index only, so these keys do not collide.)
 * Usage only moves inside the transaction that creates, changes or deletes an environment
 * (`usageUpdate`), with a condition that no increased dimension passes its limit: two concurrent
 * creates at the limit cannot both succeed.
 */
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { QuotaOverrides } from '../domain/quotas';
import { ONE_OFF_DIMENSIONS, QUOTA_DIMENSIONS, type QuotaAmounts, ZERO_USAGE } from '../domain/usage';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const TEAM_PK = (team: string) => `TEAM#${team}`;
export const usageKey = (team: string) => ({ pk: TEAM_PK(team), sk: 'USAGE' });
const overridesKey = (team: string) => ({ pk: TEAM_PK(team), sk: 'QUOTAS' });

/** How a write moves a team's usage; `limits` absent means a release, which no limit can refuse. */
export interface QuotaCharge {
  team: string;
  change: QuotaAmounts;
  limits?: QuotaAmounts;
}

/** The usage item's condition failed: the charge would take the team past a limit. */
export class QuotaExceededError extends Error {
  constructor(readonly charge: QuotaCharge) {
    super(`the change would take team ${charge.team} past its quota`);
    this.name = 'QuotaExceededError';
  }
}

/**
 * The Update of a team's usage by `charge.change`, conditional on every increased dimension staying
 * within its limit; undefined when nothing changes.
 */
export function usageUpdate(tableName: string, charge: QuotaCharge): TransactItem | undefined {
  return counterUpdate(tableName, usageKey(charge.team), charge.change, charge.limits);
}

/**
 * The Update that adds `change` to the counters of the item at `key`, conditional on every increased
 * counter staying within its limit in `limits` (none: a release, which nothing refuses); undefined
 * when nothing changes. ADD treats a missing attribute as 0. Team and account usage both use it.
 */
export function counterUpdate(
  tableName: string,
  key: Record<string, string>,
  change: Readonly<Record<string, number>>,
  limits?: Readonly<Record<string, number>>,
): TransactItem | undefined {
  const changed = Object.keys(change).filter((counter) => change[counter] !== 0);
  if (changed.length === 0) return undefined;
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const conditions: string[] = [];
  for (const counter of changed) {
    const amount = change[counter] ?? 0;
    names[`#${counter}`] = counter;
    values[`:${counter}`] = amount;
    const limit = limits?.[counter];
    if (limit === undefined || amount < 0) continue;
    const highestBefore = limit - amount;
    values[`:${counter}Max`] = highestBefore;
    // A missing attribute is 0 in use, which fits unless the change alone exceeds the limit.
    conditions.push(
      highestBefore >= 0
        ? `(attribute_not_exists(#${counter}) OR #${counter} <= :${counter}Max)`
        : `#${counter} <= :${counter}Max`,
    );
  }
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: `ADD ${changed.map((counter) => `#${counter} :${counter}`).join(', ')}`,
      ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** Reasons of a cancelled transaction, in the order of its items; undefined for any other error. */
export function cancellationReasons(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons?.map((reason) => reason.Code) ?? [];
}

const CONFLICT_ATTEMPTS = 6;

/**
 * Sends a transaction, again when it was cancelled only by `TransactionConflict` (another
 * transaction held one of its items, e.g. a concurrent create charging the same usage item):
 * the SDK does not retry cancellations, and a conflict says nothing about the conditions.
 */
export async function sendTransaction(client: DynamoDBDocumentClient, items: TransactItem[]): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      const codes = cancellationReasons(error);
      const conflictOnly =
        codes?.includes('TransactionConflict') &&
        codes.every((code) => code === undefined || code === 'None' || code === 'TransactionConflict');
      if (!conflictOnly || attempt >= CONFLICT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
    }
  }
}

export class QuotaStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The team's own limits (empty when it follows the defaults). */
  async getOverrides(team: string): Promise<QuotaOverrides> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: overridesKey(team), ConsistentRead: true }),
    );
    // Written only by putOverrides after validation. Read per dimension, so an item from a release
    // with a dimension since dropped keeps what still applies (and the store bundles no zod).
    const stored: unknown = Item?.overrides;
    const overrides: QuotaOverrides = {};
    if (typeof stored !== 'object' || stored === null) return overrides;
    for (const dimension of [...QUOTA_DIMENSIONS, ...ONE_OFF_DIMENSIONS]) {
      const value: unknown = Reflect.get(stored, dimension);
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) overrides[dimension] = value;
    }
    return overrides;
  }

  /** Replaces the team's overrides; `{}` returns the team to the defaults. */
  async putOverrides(team: string, overrides: QuotaOverrides, updatedBy: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...overridesKey(team), overrides, updatedBy, updatedAt: this.now().toISOString() },
      }),
    );
  }

  /** What the team holds now (zero for a team that never created anything). */
  async getUsage(team: string): Promise<QuotaAmounts> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: usageKey(team), ConsistentRead: true }),
    );
    const usage = { ...ZERO_USAGE };
    for (const dimension of QUOTA_DIMENSIONS) {
      const value = Item?.[dimension];
      if (typeof value === 'number') usage[dimension] = value;
    }
    return usage;
  }
}
