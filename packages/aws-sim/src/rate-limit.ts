/**
 * AWS request throttling as token buckets, one per service × category (EC2: `mutating`,
 * `describe`, `nat-gateway`…), with the numbers of each `ServiceDefinition.rateLimits`.
 *
 * Buckets refill in *simulated* time. A scaled run (scale 0.01: everything 100× faster) therefore
 * also allows 100× the request rate: the ratio of requests to waits that AWS imposes — how many
 * describe polls fit in a NAT gateway's pending minute — stays what it is in AWS, so a workflow
 * that is throttled in AWS is throttled here at any speed.
 */
import type { OperationInput, RateLimit, ServiceDefinition, SimClock } from './kernel';

export interface RateLimitOptions {
  /** `false` switches throttling off. */
  enabled: boolean;
  /** Per-bucket overrides keyed `service:category` (`ec2:mutating`), merged over the service's numbers. */
  overrides: Record<string, Partial<RateLimit>>;
}

interface Bucket {
  tokens: number;
  /** Simulated time of the last refill. */
  refilledAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: SimClock,
    public options: RateLimitOptions = { enabled: true, overrides: {} },
  ) {}

  /** The bucket key an operation draws from (`ec2:describe`). */
  category(service: ServiceDefinition, operation: string, input: OperationInput): string {
    return `${service.signingName}:${service.rateLimitCategory?.(operation, input) ?? 'default'}`;
  }

  /** The limit of a bucket, with overrides applied; undefined when the service sets none. */
  limit(service: ServiceDefinition, key: string): RateLimit | undefined {
    const category = key.slice(key.indexOf(':') + 1);
    const base = service.rateLimits?.[category] ?? service.rateLimits?.default;
    const override = this.options.overrides[key];
    if (!base && !override) return undefined;
    return {
      burst: override?.burst ?? base?.burst ?? Number.POSITIVE_INFINITY,
      refillPerSecond: override?.refillPerSecond ?? base?.refillPerSecond ?? 0,
    };
  }

  /** Takes a token for the call; false when the bucket is empty (the caller answers the throttle error). */
  tryTake(service: ServiceDefinition, operation: string, input: OperationInput): boolean {
    if (!this.options.enabled) return true;
    const key = this.category(service, operation, input);
    const limit = this.limit(service, key);
    if (!limit) return true;
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, refilledAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.refilledAt) / 1000;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsedSeconds * limit.refillPerSecond);
    bucket.refilledAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Full buckets again (after `/_local/reset` or a change of options). */
  reset(): void {
    this.buckets.clear();
  }
}
