/**
 * Reading the environments table (layout in environments.ts): an environment, a team's list, an
 * environment's events. Apart from the writes so that the functions that only read bundle none of
 * the transactions, quota arithmetic or id generation.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Environment, EnvironmentEvent } from '../domain/environment';
import type { Status } from '../domain/status';
import type { AccountAmounts, QuotaAmounts } from '../domain/usage';
import type { AccountScope } from './account-usage';

export class InvalidCursorError extends Error {
  constructor() {
    super('the cursor is not one this API returned for this query');
    this.name = 'InvalidCursorError';
  }
}

/** What the store keeps beyond the public record. */
export interface StoredEnvironment extends Environment {
  /** Name of the workflow execution that may write progress (the current owner). */
  owner?: string;
  /** Hash of the create request, to tell an idempotent replay from a conflicting reuse of a key. */
  requestHash?: string;
  /**
   * What the provisioning workflow built and later workflows act on (network, load balancer,
   * cluster ids), so an update does not have to rediscover them. Opaque to the store.
   */
  runtime?: Record<string, unknown>;
  /** What this environment counts against its team's quotas (kept equal to usageOf(spec) by each write). */
  quotaUsage?: QuotaAmounts;
  /** Set once `releaseUsage` has given the usage back, so a retried release gives nothing twice. */
  quotaReleasedAt?: string;
  /**
   * Set by a DELETE that stopped a provisioning run: its steps may still be creating, so the teardown
   * sweeps until the longest of them must have ended (shared/workflow/sweep.ts).
   */
  stoppedRunAt?: string;
  /** What this environment holds of the AWS account's quotas (accountUsageOf(spec)), and where. */
  accountUsage?: { scope: AccountScope; amounts: AccountAmounts };
  /** Set once `releaseAccountUsage` has given it back (after a clean teardown). */
  accountReleasedAt?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface ListQuery {
  teams: string[];
  status?: Status;
  limit: number;
  cursor?: string;
}

const ENV_SK = 'ENV';
export const envKey = (id: string) => ({ pk: `ENV#${id}`, sk: ENV_SK });
export const nameKey = (team: string, name: string) => ({ pk: `NAME#${team}#${name}`, sk: 'NAME' });
const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk'] as const;

export function fromItem(item: Record<string, unknown>): StoredEnvironment {
  const record = { ...item };
  for (const attribute of INTERNAL_ATTRIBUTES) delete record[attribute];
  return record as unknown as StoredEnvironment;
}

export class EnvironmentReader {
  constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly tableName: string,
  ) {}

  async get(id: string): Promise<StoredEnvironment | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: envKey(id), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  /** The id of the team's environment called `name`, from its name lock (held until DELETED). */
  async findIdByName(team: string, name: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: nameKey(team, name), ConsistentRead: true }),
    );
    return typeof Item?.environmentId === 'string' ? Item.environmentId : undefined;
  }

  /**
   * A team's environments, newest first. Several teams are merged by id (ids sort by time); the
   * cursor keeps one position per team. DELETED environments show only when asked for by status.
   */
  async list(query: ListQuery): Promise<Page<StoredEnvironment>> {
    const positions = this.decodeCursor(query.cursor, query.teams);
    const pages = await Promise.all(
      query.teams
        .filter((team) => positions[team] !== null)
        .map(async (team) => ({
          team,
          ...(await this.queryTeam(team, query, positions[team] ?? undefined)),
        })),
    );
    const merged = pages
      .flatMap((page) => page.items.map((item) => ({ team: page.team, item })))
      .sort((a, b) => (a.item.id < b.item.id ? 1 : -1))
      .slice(0, query.limit);
    const next: Record<string, string | null> = { ...positions };
    for (const page of pages) {
      const taken = merged.filter((entry) => entry.team === page.team);
      const last = taken.at(-1);
      const allTaken = taken.length === page.items.length;
      if (allTaken && !page.lastEvaluatedId) next[page.team] = null;
      else if (allTaken && page.lastEvaluatedId) next[page.team] = page.lastEvaluatedId;
      else if (last) next[page.team] = last.item.id;
    }
    const more = Object.values(next).some((position) => position !== null);
    return {
      items: merged.map((entry) => entry.item),
      ...(more ? { nextCursor: Buffer.from(JSON.stringify(next)).toString('base64url') } : {}),
    };
  }

  private async queryTeam(
    team: string,
    query: ListQuery,
    after: string | undefined,
  ): Promise<{ items: StoredEnvironment[]; lastEvaluatedId?: string }> {
    const statusFilter = query.status
      ? { FilterExpression: '#status = :status', ExpressionAttributeValues: { ':status': query.status } }
      : { FilterExpression: '#status <> :deleted', ExpressionAttributeValues: { ':deleted': 'DELETED' } };
    const items: StoredEnvironment[] = [];
    let startKey: Record<string, unknown> | undefined = after
      ? { ...envKey(after), gsi1pk: `TEAM#${team}`, gsi1sk: after }
      : undefined;
    // A filter may leave a page short; keep reading until the page is full or the team is done.
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :team',
          ExpressionAttributeNames: { '#status': 'status' },
          ...statusFilter,
          ExpressionAttributeValues: { ':team': `TEAM#${team}`, ...statusFilter.ExpressionAttributeValues },
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(result.Items ?? []).map(fromItem));
      startKey = result.LastEvaluatedKey;
    } while (startKey && items.length < query.limit);
    const kept = items.slice(0, query.limit);
    const lastId = kept.at(-1)?.id;
    const exhausted = !startKey && kept.length === items.length;
    return { items: kept, ...(exhausted || !lastId ? {} : { lastEvaluatedId: lastId }) };
  }

  /** Positions per team; a cursor naming teams outside this query is refused, never followed. */
  private decodeCursor(cursor: string | undefined, teams: string[]): Record<string, string | null> {
    if (!cursor) return Object.fromEntries(teams.map((team) => [team, ''])) as Record<string, string | null>;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError();
    }
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded))
      throw new InvalidCursorError();
    const entries = Object.entries(decoded);
    const sameTeams = entries.length === teams.length && entries.every(([team]) => teams.includes(team));
    const wellFormed = entries.every(
      ([, position]) =>
        position === null || (typeof position === 'string' && /^(env-[0-9a-z]{26})?$/.test(position)),
    );
    if (!sameTeams || !wellFormed) throw new InvalidCursorError();
    return Object.fromEntries(entries) as Record<string, string | null>;
  }

  /** The environment's events, oldest first. */
  async listEvents(environmentId: string, limit: number, cursor?: string): Promise<Page<EnvironmentEvent>> {
    let after: string | undefined;
    if (cursor) {
      after = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!/^[0-9a-z]{26}$/.test(after)) throw new InvalidCursorError();
    }
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: after ? 'pk = :pk AND sk > :after' : 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: after
          ? { ':pk': `ENV#${environmentId}`, ':after': `EVENT#${after}` }
          : { ':pk': `ENV#${environmentId}`, ':prefix': 'EVENT#' },
        Limit: limit,
      }),
    );
    const items = (result.Items ?? []).map((item) => fromItem(item) as unknown as EnvironmentEvent);
    const last = items.at(-1);
    return {
      items,
      ...(result.LastEvaluatedKey && last ? { nextCursor: Buffer.from(last.id).toString('base64url') } : {}),
    };
  }
}
