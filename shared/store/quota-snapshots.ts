/**
 * The last read of the AWS account's quotas, shared by every Lambda container through the single
 * table, so that a burst of creates reads Service Quotas once rather than once per container:
 *
 * | item           | pk             | sk       | attributes                                              |
 * |----------------|----------------|----------|---------------------------------------------------------|
 * | quota snapshot | ACCOUNT-QUOTAS | <region> | snapshot {account, region, values, external}, readAt,   |
 * |                |                |          | refreshUntil (while one container reads AWS again)       |
 *
 * `refreshUntil` is a lease: one container at a time claims it (conditional write) and reads AWS;
 * the others use the snapshot there is, or wait for the first one. A lease whose holder died expires.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountQuotaSnapshot } from '../domain/usage';

const snapshotKey = (region: string) => ({ pk: 'ACCOUNT-QUOTAS', sk: region });

export interface StoredQuotaSnapshot {
  snapshot?: AccountQuotaSnapshot;
  /** When the snapshot was read from AWS (epoch milliseconds). */
  readAt?: number;
}

const isConditionFailure = (error: unknown) =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

export class QuotaSnapshotStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(region: string): Promise<StoredQuotaSnapshot> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: snapshotKey(region), ConsistentRead: true }),
    );
    if (!Item?.snapshot || typeof Item.readAt !== 'number') return {};
    return { snapshot: Item.snapshot as AccountQuotaSnapshot, readAt: Item.readAt };
  }

  /**
   * Takes the lease to read AWS again until `until`, if the shared read is older than `readBefore`;
   * false while another container holds the lease or has just put a read younger than that.
   */
  async claimRefresh(region: string, now: number, until: number, readBefore: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: snapshotKey(region),
          UpdateExpression: 'SET refreshUntil = :until',
          ConditionExpression:
            '(attribute_not_exists(refreshUntil) OR refreshUntil < :now) AND (attribute_not_exists(readAt) OR readAt < :readBefore)',
          ExpressionAttributeValues: { ':until': until, ':now': now, ':readBefore': readBefore },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Records a fresh read and gives the lease back. */
  async put(region: string, snapshot: AccountQuotaSnapshot, readAt: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: snapshotKey(region),
        UpdateExpression: 'SET #snapshot = :snapshot, readAt = :readAt REMOVE refreshUntil',
        ExpressionAttributeNames: { '#snapshot': 'snapshot' },
        ExpressionAttributeValues: { ':snapshot': snapshot, ':readAt': readAt },
      }),
    );
  }

  /** Gives the lease back without a new read (the read failed). */
  async releaseRefresh(region: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: snapshotKey(region),
        UpdateExpression: 'REMOVE refreshUntil',
      }),
    );
  }
}
