/**
 * Quota-aware admission's adapters, built once per Lambda container: the account's quotas from
 * Service Quotas and EC2 (cached briefly, see shared/aws/service-quotas.ts) and berth's reservations
 * in the table. Its own module so that only the functions that admit environments bundle the
 * Service Quotas client.
 */
import type { AccountQuotaPolicy } from '../app/account-quotas';
import { accountQuotaReader } from '../aws/service-quotas';
import { optionalEnv, requireEnv } from '../config';
import { AccountUsageStore } from '../store/account-usage';
import { documentClient } from './table';

let policy: AccountQuotaPolicy | undefined;

export function accountQuotaPolicy(): AccountQuotaPolicy {
  if (!policy) {
    const usage = new AccountUsageStore(documentClient(), requireEnv('TABLE_NAME'));
    // ACCOUNT_QUOTA_CACHE_SECONDS (default 30): how long a container reuses what it read.
    const ttlSeconds = Number(optionalEnv('ACCOUNT_QUOTA_CACHE_SECONDS', '30'));
    policy = {
      readQuotas: accountQuotaReader({ ttlMs: (Number.isFinite(ttlSeconds) ? ttlSeconds : 30) * 1000 }),
      reserved: (scope) => usage.getUsage(scope),
    };
  }
  return policy;
}
