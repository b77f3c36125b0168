/**
 * Quota-aware admission's adapters, built once per Lambda container: the account's quotas from
 * Service Quotas and EC2 (shared/aws/service-quotas.ts), read at most once per
 * ACCOUNT_QUOTA_CACHE_SECONDS across all containers through the table (shared/app/account-quotas.ts
 * `sharedQuotaReads`), and berth's reservations in the table. Its own module so that only the
 * functions that admit environments bundle the Service Quotas client.
 */
import { type AccountQuotaPolicy, sharedQuotaReads } from '../app/account-quotas';
import { accountQuotaReader } from '../aws/service-quotas';
import { optionalEnv, requireEnv } from '../config';
import { AccountUsageStore } from '../store/account-usage';
import { QuotaSnapshotStore } from '../store/quota-snapshots';
import { region } from './region';
import { documentClient } from './table';

let policy: AccountQuotaPolicy | undefined;

/** ACCOUNT_QUOTA_CACHE_SECONDS (default 60): how old a read of the account's quotas may be when used. */
const DEFAULT_MAX_AGE_SECONDS = 60;

export function accountQuotaPolicy(): AccountQuotaPolicy {
  if (!policy) {
    const tableName = requireEnv('TABLE_NAME');
    const usage = new AccountUsageStore(documentClient(), tableName);
    const maxAgeSeconds = Number(optionalEnv('ACCOUNT_QUOTA_CACHE_SECONDS', `${DEFAULT_MAX_AGE_SECONDS}`));
    policy = {
      readQuotas: sharedQuotaReads(
        accountQuotaReader(),
        new QuotaSnapshotStore(documentClient(), tableName),
        {
          region: region(),
          maxAgeMs: (Number.isFinite(maxAgeSeconds) ? maxAgeSeconds : DEFAULT_MAX_AGE_SECONDS) * 1000,
        },
      ),
      reserved: (scope) => usage.getUsage(scope),
    };
  }
  return policy;
}
