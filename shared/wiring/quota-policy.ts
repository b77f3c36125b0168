/**
 * The team quota policy, built once per Lambda container: defaults from QUOTA_DEFAULTS (JSON;
 * built-in defaults when unset) and overrides in the table. Its own module so that only the
 * functions that charge or show quotas bundle the quota schema.
 */
import type { QuotaPolicy } from '../app/ports';
import { optionalEnv, requireEnv } from '../config';
import { parseQuotaDefaults } from '../domain/quotas';
import { QuotaStore } from '../store/quotas';
import { documentClient } from './table';

let policy: QuotaPolicy | undefined;

export function quotaPolicy(): QuotaPolicy {
  policy ??= {
    store: new QuotaStore(documentClient(), requireEnv('TABLE_NAME')),
    defaults: parseQuotaDefaults(optionalEnv('QUOTA_DEFAULTS', '')),
  };
  return policy;
}
