/**
 * What berth's environments hold of the AWS account's quotas, on the single table:
 *
 * | item          | pk                          | sk    | attributes                                  |
 * |---------------|-----------------------------|-------|---------------------------------------------|
 * | account usage | ACCOUNT#<account>#<region>  | USAGE | vpcs, internetGateways, natGatewaysPerZone… |
 *
 * Like team usage (quotas.ts) it only moves inside the transaction that creates, changes or releases
 * an environment, conditional on every increased counter staying within what berth may hold (the
 * quota less what others hold), so two creates racing for the last VPC cannot both be admitted.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ACCOUNT_DIMENSIONS, type AccountAmounts, ZERO_ACCOUNT_USAGE } from '../domain/usage';
import { counterUpdate, type TransactItem } from './quotas';

/** The account and Region a reservation is held in (`123456789012/eu-west-1`). */
export interface AccountScope {
  account: string;
  region: string;
}

export const accountUsageKey = (scope: AccountScope) => ({
  pk: `ACCOUNT#${scope.account}#${scope.region}`,
  sk: 'USAGE',
});

/** How a write moves berth's usage of an account; `limits` absent means a release. */
export interface AccountCharge {
  scope: AccountScope;
  change: AccountAmounts;
  limits?: AccountAmounts;
}

/** The account usage item's condition failed: the charge would take berth past an AWS quota. */
export class AccountQuotaExceededError extends Error {
  constructor(readonly charge: AccountCharge) {
    super(
      `the change would take account ${charge.scope.account} past an AWS quota in ${charge.scope.region}`,
    );
    this.name = 'AccountQuotaExceededError';
  }
}

export function accountUsageUpdate(tableName: string, charge: AccountCharge): TransactItem | undefined {
  return counterUpdate(tableName, accountUsageKey(charge.scope), charge.change, charge.limits);
}

export class AccountUsageStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** What berth's environments hold in the account and Region now (zero before the first create). */
  async getUsage(scope: AccountScope): Promise<AccountAmounts> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: accountUsageKey(scope), ConsistentRead: true }),
    );
    const usage = { ...ZERO_ACCOUNT_USAGE };
    for (const dimension of ACCOUNT_DIMENSIONS) {
      const value = Item?.[dimension];
      if (typeof value === 'number') usage[dimension] = value;
    }
    return usage;
  }
}
