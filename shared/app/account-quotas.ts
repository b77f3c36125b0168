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
import type { StoredQuotaSnapshot } from '../store/quota-snapshots';
import { UseCaseError, unavailable } from './errors';

/** Where admission reads the account's quotas and berth's reservations. */
export interface AccountQuotaPolicy {
  /** The account's quotas and others' usage (cached briefly by the adapter). */
  readQuotas(): Promise<AccountQuotaSnapshot>;
  /** Berth's reservations in the account and Region. */
  reserved(scope: AccountScope): Promise<AccountAmounts>;
}

/** Where the last read of the account's quotas is shared between containers (and who reads it next). */
export interface QuotaSnapshotShare {
  get(region: string): Promise<StoredQuotaSnapshot>;
  claimRefresh(region: string, now: number, until: number, readBefore: number): Promise<boolean>;
  put(region: string, snapshot: AccountQuotaSnapshot, readAt: number): Promise<void>;
  releaseRefresh(region: string): Promise<void>;
}

export interface SharedQuotaReadOptions {
  region: string;
  /** How old a read may be and still be used (milliseconds). */
  maxAgeMs: number;
  /** How long one container may hold the right to read AWS again. */
  leaseMs?: number;
  /** How long a container with no read at all waits for the one reading AWS. */
  waitMs?: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The account's quotas read at most once per `maxAgeMs` across all containers: a container uses the
 * read it holds, else the shared one, else claims the lease and reads AWS (`readAws`) itself; while
 * another container holds the lease it waits for that read (up to `waitMs`, then it uses the older
 * read if there is one). Service Quotas answers GetServiceQuota at 5 requests a second, so a burst of creates
 * reading it each would be throttled (docs/aws-facts.md#account-quotas-and-the-service-quotas-api).
 * A failed read falls back to the older one where there is one; with none it fails (a 503).
 */
export function sharedQuotaReads(
  readAws: () => Promise<AccountQuotaSnapshot>,
  share: QuotaSnapshotShare,
  options: SharedQuotaReadOptions,
): () => Promise<AccountQuotaSnapshot> {
  const { region, maxAgeMs } = options;
  const leaseMs = options.leaseMs ?? 15_000;
  const waitMs = options.waitMs ?? 10_000;
  const pollMs = options.pollMs ?? 200;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let held: StoredQuotaSnapshot = {};
  let inFlight: Promise<AccountQuotaSnapshot> | undefined;
  const fresh = (stored: StoredQuotaSnapshot) =>
    stored.snapshot !== undefined && stored.readAt !== undefined && now() - stored.readAt < maxAgeMs;

  const refresh = async (): Promise<AccountQuotaSnapshot> => {
    const deadline = now() + waitMs;
    for (;;) {
      const stored = await share.get(region);
      if (stored.snapshot && fresh(stored)) return keep(stored);
      if (await share.claimRefresh(region, now(), now() + leaseMs, now() - maxAgeMs + 1)) {
        let snapshot: AccountQuotaSnapshot;
        try {
          snapshot = await readAws();
        } catch (error) {
          await share.releaseRefresh(region).catch(() => undefined);
          if (stored.snapshot) return stored.snapshot;
          throw error;
        }
        const readAt = now();
        // Not shared if the table refuses it: this container still uses it, and the lease runs out.
        await share.put(region, snapshot, readAt).catch(() => undefined);
        return keep({ snapshot, readAt });
      }
      // Another container is reading AWS: wait for its read (an older one could refuse what now fits,
      // right after a quota was raised); past the wait, the older read is better than none.
      if (now() >= deadline) {
        if (stored.snapshot) return stored.snapshot;
        throw new Error('no read of the account quotas arrived in time');
      }
      await sleep(pollMs * (0.5 + Math.random()));
    }
  };
  const keep = (stored: StoredQuotaSnapshot): AccountQuotaSnapshot => {
    held = stored;
    return stored.snapshot as AccountQuotaSnapshot;
  };

  return async () => {
    if (held.snapshot && fresh(held)) return held.snapshot;
    inFlight ??= refresh().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
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
