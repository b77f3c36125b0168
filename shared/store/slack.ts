/**
 * Slack's items in the single table (see environments.ts for the environment items):
 *
 * | item                          | pk                                   | sk           |
 * |-------------------------------|--------------------------------------|--------------|
 * | Slack user → berth teams      | SLACKUSER#<slack team id>#<user id>  | MAPPING      |
 * | where to post progress        | SLACKREPLY#<environment id>          | RESPONSE_URL |
 *
 * A response_url accepts at most 5 messages within 30 minutes (Slack "Handling user interaction").
 * Its record counts the messages sent and expires through the table's TTL (`expiresAt`, seconds);
 * TTL deletes late, so the expiry is also checked on every claim.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

/** A Slack user's berth teams as stored; shared/app/slack-user-schema.ts describes it to callers. */
export interface SlackUserMapping {
  slackTeamId: string;
  slackUserId: string;
  teams: string[];
  admin: boolean;
  updatedAt: string;
  /** The subject of the admin who last wrote the mapping. */
  updatedBy: string;
}

const userKey = (slackTeamId: string, slackUserId: string) => ({
  pk: `SLACKUSER#${slackTeamId}#${slackUserId}`,
  sk: 'MAPPING',
});
const replyKey = (environmentId: string) => ({ pk: `SLACKREPLY#${environmentId}`, sk: 'RESPONSE_URL' });

export interface ResponseUrlRecord {
  environmentId: string;
  responseUrl: string;
  /** When Slack stops accepting messages on the URL. */
  expiresAt: Date;
  /** Messages already posted to the URL (Slack allows 5). */
  sent: number;
  /** The status last posted or already told to the user, so it is not announced twice. */
  lastStatus?: string;
}

export interface ClaimedMessage {
  responseUrl: string;
  /** This message's number: 1 for the first message on the URL. */
  number: number;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export class SlackStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getUser(slackTeamId: string, slackUserId: string): Promise<SlackUserMapping | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: userKey(slackTeamId, slackUserId) }),
    );
    if (!Item) return undefined;
    const teams: unknown = Item.teams;
    return {
      slackTeamId,
      slackUserId,
      teams: Array.isArray(teams) ? teams.filter((team): team is string => typeof team === 'string') : [],
      admin: Item.admin === true,
      updatedAt: String(Item.updatedAt),
      updatedBy: String(Item.updatedBy),
    };
  }

  async putUser(user: SlackUserMapping): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...userKey(user.slackTeamId, user.slackUserId), ...user },
      }),
    );
  }

  /** Removes the mapping; removing one that does not exist is not an error. */
  async deleteUser(slackTeamId: string, slackUserId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: userKey(slackTeamId, slackUserId) }),
    );
  }

  /** Remembers where the environment's progress goes; a newer command's URL replaces an older one. */
  async saveResponseUrl(record: ResponseUrlRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...replyKey(record.environmentId),
          environmentId: record.environmentId,
          responseUrl: record.responseUrl,
          expiresAt: Math.floor(record.expiresAt.getTime() / 1000),
          sent: record.sent,
          ...(record.lastStatus ? { lastStatus: record.lastStatus } : {}),
        },
      }),
    );
  }

  async getResponseUrl(environmentId: string): Promise<ResponseUrlRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: replyKey(environmentId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      environmentId,
      responseUrl: String(Item.responseUrl),
      expiresAt: new Date(Number(Item.expiresAt) * 1000),
      sent: Number(Item.sent),
      ...(typeof Item.lastStatus === 'string' ? { lastStatus: Item.lastStatus } : {}),
    };
  }

  /**
   * Takes the next message slot of the environment's response_url to announce `status`, in one
   * conditional write, so concurrent or redelivered events (EventBridge delivers at least once) can
   * neither exceed the limit nor post the same message twice. Undefined: nothing may be posted.
   */
  async claimMessage(
    environmentId: string,
    status: string,
    now: Date,
    limit: number,
  ): Promise<ClaimedMessage | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: replyKey(environmentId),
          UpdateExpression: 'SET sent = sent + :one, lastStatus = :status',
          ConditionExpression:
            'attribute_exists(pk) AND sent < :limit AND expiresAt > :now AND (attribute_not_exists(lastStatus) OR lastStatus <> :status)',
          ExpressionAttributeValues: {
            ':one': 1,
            ':status': status,
            ':limit': limit,
            ':now': Math.floor(now.getTime() / 1000),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes) return undefined;
      return { responseUrl: String(Attributes.responseUrl), number: Number(Attributes.sent) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Ends the conversation, unless a newer command has replaced its URL meanwhile. */
  async forgetResponseUrl(environmentId: string, responseUrl: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: replyKey(environmentId),
          ConditionExpression: 'responseUrl = :url',
          ExpressionAttributeValues: { ':url': responseUrl },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
