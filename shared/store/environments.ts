/**
 * The environments repository: one DynamoDB table (single-table design).
 *
 * | item                | pk                           | sk           | gsi1pk       | gsi1sk |
 * |---------------------|------------------------------|--------------|--------------|--------|
 * | environment         | ENV#<id>                     | ENV          | TEAM#<team>  | <id>   |
 * | name lock           | NAME#<team>#<name>           | NAME         |              |        |
 * | idempotency record  | IDEMPOTENCY#<team>#<key>     | IDEMPOTENCY  |              |        |
 * | event               | ENV#<id>                     | EVENT#<ulid> |              |        |
 *
 * Ids are time-sortable, so the team index lists newest first without a timestamp key.
 * Every write of an environment is conditional on its `version` (no lost updates); workflow
 * writes are also conditional on `owner`, the execution that currently drives the environment.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Environment, EnvironmentEvent } from '../domain/environment';
import type { Status } from '../domain/status';
import { assertTransition } from '../domain/status';
import { accountUsageChange, usageChange, ZERO_ACCOUNT_USAGE, ZERO_USAGE } from '../domain/usage';
import { type AccountCharge, AccountQuotaExceededError, accountUsageUpdate } from './account-usage';
import { EnvironmentReader, envKey, fromItem, nameKey, type StoredEnvironment } from './environment-reader';
import { newEventId } from './ids';
import {
  type QuotaCharge,
  QuotaExceededError,
  sendTransaction,
  type TransactItem,
  usageUpdate,
} from './quotas';

export {
  EnvironmentReader,
  InvalidCursorError,
  type ListQuery,
  type Page,
  type StoredEnvironment,
} from './environment-reader';

/** Idempotency records outlive any sensible client retry, then expire through the table's TTL. */
const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;

export class NameTakenError extends Error {
  constructor(
    readonly team: string,
    readonly environmentName: string,
  ) {
    super(`team ${team} already has an environment named ${environmentName}`);
    this.name = 'NameTakenError';
  }
}

export class IdempotencyConflictError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was used before with a different request`);
    this.name = 'IdempotencyConflictError';
  }
}

/** The item changed since it was read: the caller's version is stale, or another execution owns it. */
export class StaleVersionError extends Error {
  constructor(readonly environmentId: string) {
    super(`environment ${environmentId} changed since it was read`);
    this.name = 'StaleVersionError';
  }
}

export interface CreateInput {
  environment: StoredEnvironment;
  idempotencyKey?: string;
  requestHash: string;
  /** Charged to the team's usage in the same transaction; refused past the limits. */
  quota?: QuotaCharge;
  /** Charged to berth's usage of the AWS account in the same transaction; refused past its quotas. */
  account?: AccountCharge;
}

export type CreateResult =
  | { created: true; environment: StoredEnvironment }
  | { created: false; environment: StoredEnvironment };

const idempotencyKey = (team: string, key: string) => ({
  pk: `IDEMPOTENCY#${team}#${key}`,
  sk: 'IDEMPOTENCY',
});
function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Reasons of a cancelled transaction, in the order of its items. */
function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons?.map((reason) => reason.Code);
}

/** The reads, and every write: conditional on the version, and on the owner for workflow writes. */
export class EnvironmentStore extends EnvironmentReader {
  constructor(
    client: DynamoDBDocumentClient,
    tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    super(client, tableName);
  }

  /**
   * Records a new environment, its name lock and its idempotency record in one transaction, so a
   * name is never taken twice and a retried request never creates a second environment.
   */
  async create(input: CreateInput): Promise<CreateResult> {
    const { environment, idempotencyKey: key, requestHash } = input;
    if (key) {
      const previous = await this.findByIdempotencyKey(environment.team, key, requestHash);
      if (previous) return { created: false, environment: previous };
    }
    const stored: StoredEnvironment = { ...environment, requestHash };
    const items: {
      Put: { TableName: string; Item: Record<string, unknown>; ConditionExpression?: string };
    }[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...envKey(stored.id), gsi1pk: `TEAM#${stored.team}`, gsi1sk: stored.id, ...stored },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...nameKey(stored.team, stored.name), environmentId: stored.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      this.eventPut(stored.id, {
        type: 'requested',
        status: stored.status,
        message: 'environment requested',
      }),
    ];
    if (key) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...idempotencyKey(stored.team, key),
            environmentId: stored.id,
            requestHash,
            expiresAt: Math.floor(this.now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    const quotaItem = input.quota ? usageUpdate(this.tableName, input.quota) : undefined;
    const accountItem = input.account ? accountUsageUpdate(this.tableName, input.account) : undefined;
    const charges = [quotaItem, accountItem].filter((item) => item !== undefined);
    try {
      await sendTransaction(this.client, [...items, ...charges]);
      return { created: true, environment: stored };
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      // A concurrent request with the same key won the race: answer as its replay.
      if (key && codes[3] === 'ConditionalCheckFailed') {
        const previous = await this.findByIdempotencyKey(stored.team, key, requestHash);
        if (previous) return { created: false, environment: previous };
      }
      if (codes[1] === 'ConditionalCheckFailed') throw new NameTakenError(stored.team, stored.name);
      if (input.quota && quotaItem && codes[items.length] === 'ConditionalCheckFailed')
        throw new QuotaExceededError(input.quota);
      if (
        input.account &&
        accountItem &&
        codes[items.length + charges.indexOf(accountItem)] === 'ConditionalCheckFailed'
      )
        throw new AccountQuotaExceededError(input.account);
      throw error;
    }
  }

  private async findByIdempotencyKey(
    team: string,
    key: string,
    requestHash: string,
  ): Promise<StoredEnvironment | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: idempotencyKey(team, key), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    if (Item.requestHash !== requestHash) throw new IdempotencyConflictError(key);
    return this.get(String(Item.environmentId));
  }

  /** Undoes a create whose workflow could not be started, so the name and key are free again. */
  async discard(environment: StoredEnvironment, key?: string): Promise<void> {
    const deletes = [envKey(environment.id), nameKey(environment.team, environment.name)];
    if (key) deletes.push(idempotencyKey(environment.team, key));
    const items: TransactItem[] = deletes.map((Key) => ({ Delete: { TableName: this.tableName, Key } }));
    const releases = [this.usageRelease(environment), this.accountRelease(environment)].filter(
      (item) => item !== undefined,
    );
    const envDelete = items[0]?.Delete;
    if (releases.length > 0 && envDelete) {
      items.push(...releases);
      // Conditional, so that discarding twice cannot give the usage back twice.
      envDelete.ConditionExpression = 'attribute_exists(pk)';
    }
    try {
      await sendTransaction(this.client, items);
    } catch (error) {
      if (cancellationCodes(error)?.[0] !== 'ConditionalCheckFailed') throw error;
    }
  }

  /** The usage item's update giving back what the environment counted; undefined when it counted nothing. */
  private usageRelease(
    environment: Pick<StoredEnvironment, 'team' | 'quotaUsage'>,
  ): TransactItem | undefined {
    if (!environment.quotaUsage) return undefined;
    return usageUpdate(this.tableName, {
      team: environment.team,
      change: usageChange(environment.quotaUsage, ZERO_USAGE),
    });
  }

  /** The account usage item's update giving back what the environment held; undefined when nothing. */
  private accountRelease(environment: Pick<StoredEnvironment, 'accountUsage'>): TransactItem | undefined {
    if (!environment.accountUsage) return undefined;
    return accountUsageUpdate(this.tableName, {
      scope: environment.accountUsage.scope,
      change: accountUsageChange(environment.accountUsage.amounts, ZERO_ACCOUNT_USAGE),
    });
  }

  /**
   * Gives back what a torn-down environment held of the AWS account's quotas, once: after a clean
   * teardown (DELETED, or FAILED after its rollback removed everything) nothing of it is left in AWS.
   * Recorded on the environment item in the same transaction, so a retried step gives nothing twice.
   */
  async releaseAccountUsage(environment: Pick<StoredEnvironment, 'id' | 'accountUsage'>): Promise<void> {
    const release = this.accountRelease(environment);
    if (!release) return;
    try {
      await sendTransaction(this.client, [
        {
          Update: {
            TableName: this.tableName,
            Key: envKey(environment.id),
            UpdateExpression: 'SET #releasedAt = :now',
            ConditionExpression: '#status IN (:deleted, :failed) AND attribute_not_exists(#releasedAt)',
            ExpressionAttributeNames: { '#releasedAt': 'accountReleasedAt', '#status': 'status' },
            ExpressionAttributeValues: {
              ':now': this.now().toISOString(),
              ':deleted': 'DELETED',
              ':failed': 'FAILED',
            },
          },
        },
        release,
      ]);
    } catch (error) {
      if (cancellationCodes(error)?.[0] !== 'ConditionalCheckFailed') throw error;
    }
  }

  /**
   * Applies `changes` if the environment is still at `expectedVersion` (and, when given, owned by
   * `owner`); moves the status through `assertTransition` and records an event in the same write.
   * A `quota` charge moves the team's usage in that write too, refused past the limits.
   */
  async update(
    id: string,
    guard: { version?: number; owner?: string; status?: Status },
    changes: Partial<StoredEnvironment>,
    event?: Omit<EnvironmentEvent, 'id' | 'environmentId' | 'at'>,
    quota?: QuotaCharge,
    account?: AccountCharge,
  ): Promise<StoredEnvironment> {
    if (guard.status && changes.status) assertTransition(guard.status, changes.status);
    const now = this.now().toISOString();
    // A field given as undefined is removed (a cleared error), the others are set.
    const values: Record<string, unknown> = { updatedAt: now };
    const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
    const sets: string[] = ['#updatedAt = :updatedAt'];
    const removes: string[] = [];
    for (const [field, value] of Object.entries(changes)) {
      names[`#${field}`] = field;
      if (value === undefined) {
        removes.push(`#${field}`);
      } else {
        values[field] = value;
        sets.push(`#${field} = :${field}`);
      }
    }
    const conditions = ['attribute_exists(pk)'];
    const conditionValues: Record<string, unknown> = {};
    if (guard.version !== undefined) {
      conditions.push('#version = :expectedVersion');
      conditionValues[':expectedVersion'] = guard.version;
    }
    if (guard.owner !== undefined) {
      conditions.push('#owner = :expectedOwner');
      names['#owner'] = 'owner';
      conditionValues[':expectedOwner'] = guard.owner;
    }
    if (guard.status !== undefined) {
      conditions.push('#status = :expectedStatus');
      names['#status'] = 'status';
      conditionValues[':expectedStatus'] = guard.status;
    }
    names['#version'] = 'version';
    const update = {
      TableName: this.tableName,
      Key: envKey(id),
      UpdateExpression: `SET ${[...sets, '#version = #version + :one'].join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ...Object.fromEntries(Object.entries(values).map(([field, value]) => [`:${field}`, value])),
        ...conditionValues,
        ':one': 1,
      },
    };
    const quotaItem = quota ? usageUpdate(this.tableName, quota) : undefined;
    const accountItem = account ? accountUsageUpdate(this.tableName, account) : undefined;
    try {
      if (!event && !quotaItem && !accountItem) {
        const { Attributes } = await this.client.send(
          new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }),
        );
        return fromItem(Attributes ?? {});
      }
      await sendTransaction(this.client, [
        { Update: update },
        ...(event ? [this.eventPut(id, event)] : []),
        ...(quotaItem ? [quotaItem] : []),
        ...(accountItem ? [accountItem] : []),
      ]);
    } catch (error) {
      const codes = cancellationCodes(error);
      if (isConditionFailure(error) || codes?.[0] === 'ConditionalCheckFailed')
        throw new StaleVersionError(id);
      if (account && accountItem && codes?.at(-1) === 'ConditionalCheckFailed')
        throw new AccountQuotaExceededError(account);
      if (quota && quotaItem && codes?.at(accountItem ? -2 : -1) === 'ConditionalCheckFailed')
        throw new QuotaExceededError(quota);
      throw error;
    }
    const updated = await this.get(id);
    if (!updated) throw new StaleVersionError(id);
    return updated;
  }

  /** Frees the environment's name in its team (after DELETED, the name may be used again). */
  async releaseName(environment: Pick<Environment, 'team' | 'name' | 'id'>): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: nameKey(environment.team, environment.name),
                ConditionExpression: 'attribute_not_exists(pk) OR environmentId = :id',
                ExpressionAttributeValues: { ':id': environment.id },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!cancellationCodes(error)) throw error;
    }
  }

  /**
   * Gives a DELETED environment's usage back to its team, once (any other status: nothing happens).
   * The environment item records the
   * release in the same transaction, conditional on it not being recorded yet, so a retried step
   * (or a second teardown run) gives nothing twice.
   */
  async releaseUsage(environment: Pick<StoredEnvironment, 'id' | 'team' | 'quotaUsage'>): Promise<void> {
    const release = this.usageRelease(environment);
    if (!release) return;
    try {
      await sendTransaction(this.client, [
        {
          Update: {
            TableName: this.tableName,
            Key: envKey(environment.id),
            UpdateExpression: 'SET #releasedAt = :now',
            ConditionExpression: '#status = :deleted AND attribute_not_exists(#releasedAt)',
            ExpressionAttributeNames: { '#releasedAt': 'quotaReleasedAt', '#status': 'status' },
            ExpressionAttributeValues: { ':now': this.now().toISOString(), ':deleted': 'DELETED' },
          },
        },
        release,
      ]);
    } catch (error) {
      if (cancellationCodes(error)?.[0] !== 'ConditionalCheckFailed') throw error;
    }
  }

  async appendEvent(
    environmentId: string,
    event: Omit<EnvironmentEvent, 'id' | 'environmentId' | 'at'>,
  ): Promise<void> {
    await this.client.send(new PutCommand(this.eventPut(environmentId, event).Put));
  }

  private eventPut(environmentId: string, event: Omit<EnvironmentEvent, 'id' | 'environmentId' | 'at'>) {
    const at = this.now();
    const id = newEventId(at.getTime());
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          pk: `ENV#${environmentId}`,
          sk: `EVENT#${id}`,
          id,
          environmentId,
          at: at.toISOString(),
          ...event,
        },
      },
    };
  }
}
