/**
 * Team policies on the single table, beside the team's quota items:
 *
 * | item        | pk          | sk     | attributes                                  |
 * |-------------|-------------|--------|---------------------------------------------|
 * | team policy | TEAM#<team> | POLICY | overrides {hostedZones?, …}, updatedBy/At   |
 *
 * The overrides are validated before they are written (shared/app/team-policies.ts) and again when
 * read, by the use case: the store bundles no schema.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

const policyKey = (team: string) => ({ pk: `TEAM#${team}`, sk: 'POLICY' });

export class TeamPolicyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The team's own rules as stored (`{}` when it follows the default). */
  async getOverrides(team: string): Promise<unknown> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: policyKey(team), ConsistentRead: true }),
    );
    return Item?.overrides ?? {};
  }

  /** Replaces the team's rules; `{}` returns the team to the default. */
  async putOverrides(team: string, overrides: object, updatedBy: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...policyKey(team), overrides, updatedBy, updatedAt: this.now().toISOString() },
      }),
    );
  }
}
