/**
 * Quota-aware admission: before a create (or an update that grows what an environment holds) writes
 * anything, the AWS account's quotas are read (Service Quotas, with what AWS shows in use that berth
 * did not make) and compared with berth's reservations. An environment that cannot fit is refused
 * with a 429 naming the AWS quota; one that fits is charged in the same transaction that records it,
 * conditional on the quotas, so two requests racing for the last slot end one admitted, one refused.
 * docs/aws-facts.md#account-quotas-and-the-service-quotas-api
 */
import {
  ACCOUNT_DIMENSIONS,
  ACCOUNT_QUOTAS,
  type AccountAmounts,
  type AccountQuotaExcess,
  type AccountQuotaSnapshot,
  accountQuotaExcesses,
  berthAccountLimits,
} from '../domain/usage';
import type { AccountCharge, AccountScope } from '../store/account-usage';
import { UseCaseError, unavailable } from './errors';

/** Where admission reads the account's quotas and berth's reservations. */
export interface AccountQuotaPolicy {
  /** The account's quotas and others' usage (cached briefly by the adapter). */
  readQuotas(): Promise<AccountQuotaSnapshot>;
  /** Berth's reservations in the account and Region. */
  reserved(scope: AccountScope): Promise<AccountAmounts>;
}

const grows = (change: AccountAmounts) => ACCOUNT_DIMENSIONS.some((dimension) => change[dimension] > 0);

/**
 * The charge for `change`, after checking that it fits now; throws the 429 when it does not. The
 * store's condition repeats the check atomically with the write. A change in a known `scope` (an
 * update) that grows nothing needs no quota and reads none.
 */
export async function admitToAccount(
  policy: AccountQuotaPolicy,
  change: AccountAmounts,
  known?: AccountScope,
): Promise<AccountCharge> {
  if (known && !grows(change)) return { scope: known, change };
  let snapshot: AccountQuotaSnapshot;
  try {
    snapshot = await policy.readQuotas();
  } catch (error) {
    throw unavailable("the AWS account's quotas could not be read", error);
  }
  const scope = known ?? { account: snapshot.account, region: snapshot.region };
  if (!grows(change)) return { scope, change };
  const excesses = accountQuotaExcesses(snapshot, await policy.reserved(scope), change);
  if (excesses.length > 0) throw accountQuotaRefusal(scope, excesses);
  return { scope, change, limits: berthAccountLimits(snapshot) };
}

/** The 429 for a charge the store refused: usage is read again to name the quota that is full. */
export async function accountQuotaExceeded(
  policy: AccountQuotaPolicy,
  charge: AccountCharge,
): Promise<UseCaseError> {
  const snapshot = await policy.readQuotas();
  let excesses = accountQuotaExcesses(snapshot, await policy.reserved(charge.scope), charge.change);
  if (excesses.length === 0) {
    // Freed between the refusal and this read: name every quota the request grows.
    excesses = ACCOUNT_DIMENSIONS.filter((dimension) => charge.change[dimension] > 0).map((dimension) => ({
      dimension,
      ...ACCOUNT_QUOTAS[dimension],
      limit: snapshot.values[dimension],
      inUse: snapshot.values[dimension],
      requested: charge.change[dimension],
    }));
  }
  return accountQuotaRefusal(charge.scope, excesses);
}

function accountQuotaRefusal(scope: AccountScope, excesses: AccountQuotaExcess[]): UseCaseError {
  const summary = excesses
    .map(
      (excess) =>
        `"${excess.name}" (${excess.serviceCode} ${excess.quotaCode}: quota ${excess.limit}, in use ${excess.inUse}, this needs ${excess.requested} more)`,
    )
    .join(', ');
  const first = excesses[0];
  const howToRaise = first
    ? `free capacity, or raise the quota in the Service Quotas console or with RequestServiceQuotaIncrease (aws service-quotas request-service-quota-increase --service-code ${first.serviceCode} --quota-code ${first.quotaCode} --desired-value ${first.inUse + first.requested} --region ${scope.region})`
    : 'free capacity or raise the quota in the Service Quotas console';
  return new UseCaseError(
    'quota-exceeded',
    'AWS account quota exceeded',
    `this environment does not fit the AWS account's quotas in ${scope.region}: ${summary}; ${howToRaise}`,
    excesses.map((excess) => ({
      path: `awsQuota.${excess.serviceCode}.${excess.quotaCode}`,
      message: `${excess.name}: quota ${excess.limit}, in use ${excess.inUse}, needs ${excess.requested} more`,
    })),
  );
}
