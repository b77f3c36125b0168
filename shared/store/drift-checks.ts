/**
 * The last drift check of each environment on the single table, so that one environment is checked
 * against AWS at most once per window however many callers ask.
 *
 * | item        | pk           | sk    | attributes                                            |
 * |-------------|--------------|-------|-------------------------------------------------------|
 * | drift check | DRIFT#<id>   | DRIFT | claimedAt (epoch ms), report?, expiresAt (TTL, epoch s) |
 *
 * A check first claims the window with a conditional write (no claim within it), so two callers at
 * the same instant cannot both fan out to the Describe APIs; the report is written once made.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DriftReport } from '../domain/drift';

const driftKey = (environmentId: string) => ({ pk: `DRIFT#${environmentId}`, sk: 'DRIFT' });
/** The item outlives its window by a day, then DynamoDB's TTL removes it (a deleted environment's too). */
const RETENTION_SECONDS = 24 * 60 * 60;

export interface DriftCheckRecord {
  /** When the last check was claimed (ms since the epoch). */
  claimedAt?: number;
  /** The last report made, if any check has finished. */
  report?: DriftReport;
}

export class DriftCheckStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The last claim and report of the environment (empty when it was never checked). */
  async last(environmentId: string): Promise<DriftCheckRecord> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: driftKey(environmentId), ConsistentRead: true }),
    );
    // Written only by claim and record below.
    return {
      ...(typeof Item?.claimedAt === 'number' ? { claimedAt: Item.claimedAt } : {}),
      ...(Item?.report ? { report: Item.report as DriftReport } : {}),
    };
  }

  /** Claims a check at `now` unless one was claimed less than `windowSeconds` ago; true when claimed. */
  async claim(environmentId: string, now: Date, windowSeconds: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: driftKey(environmentId),
          UpdateExpression: 'SET claimedAt = :now, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(claimedAt) OR claimedAt <= :cutoff',
          ExpressionAttributeValues: {
            ':now': now.getTime(),
            ':cutoff': now.getTime() - windowSeconds * 1000,
            ':expiresAt': Math.floor(now.getTime() / 1000) + windowSeconds + RETENTION_SECONDS,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Keeps `report` as the environment's last one. */
  async record(environmentId: string, report: DriftReport): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: driftKey(environmentId),
        UpdateExpression: 'SET report = :report',
        ExpressionAttributeValues: { ':report': report },
      }),
    );
  }
}
