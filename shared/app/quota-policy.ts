/**
 * The quota policy of the functions that read or set limits, built once per Lambda container. Apart
 * from dependencies.ts so that they bundle no workflow starter, notifier or environment schema.
 */
import { optionalEnv, requireEnv } from '../config';
import { parseQuotaDefaults } from '../domain/quotas';
import { QuotaStore } from '../store/quotas';
import type { QuotaPolicy } from './quotas';
import { documentClient } from './table';

let quotaPolicy: QuotaPolicy | undefined;

/** Quota defaults from QUOTA_DEFAULTS (JSON; built-in defaults when unset) and overrides in the table. */
export function defaultQuotaPolicy(): QuotaPolicy {
  quotaPolicy ??= {
    store: new QuotaStore(documentClient(), requireEnv('TABLE_NAME')),
    defaults: parseQuotaDefaults(optionalEnv('QUOTA_DEFAULTS', '')),
  };
  return quotaPolicy;
}
