/**
 * AWS request throttling as token buckets, one per service × bucket, with the numbers of each
 * `ServiceDefinition.rateLimits`: most services bucket by category (ECS: `service-mutate`…); EC2
 * has one bucket per API action, sized by the action's category (`ec2:CreateVpc` takes `mutating`'s
 * numbers).
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
  /**
   * Overrides merged over the service's numbers, keyed `service:bucket` (`ec2:CreateVpc`) or
   * `service:category` (`ec2:mutating`: every bucket of the category); the bucket's key wins.
   */
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

  /** The bucket key an operation draws from (`ec2:CreateVpc`, `ecs:service-mutate`). */
  bucket(service: ServiceDefinition, operation: string, input: OperationInput): string {
    const bucket = service.rateLimitBucket?.(operation, input) ?? this.categoryOf(service, operation, input);
    return `${service.signingName}:${bucket}`;
  }

  private categoryOf(service: ServiceDefinition, operation: string, input: OperationInput): string {
    return service.rateLimitCategory?.(operation, input) ?? 'default';
  }

  /** The limit of an operation's bucket, with overrides applied; undefined when the service sets none. */
  limit(service: ServiceDefinition, operation: string, input: OperationInput): RateLimit | undefined {
    const category = this.categoryOf(service, operation, input);
    const base = service.rateLimits?.[category] ?? service.rateLimits?.default;
    const override =
      this.options.overrides[this.bucket(service, operation, input)] ??
      this.options.overrides[`${service.signingName}:${category}`];
    if (!base && !override) return undefined;
    return {
      burst: override?.burst ?? base?.burst ?? Number.POSITIVE_INFINITY,
      refillPerSecond: override?.refillPerSecond ?? base?.refillPerSecond ?? 0,
    };
  }

  /** Takes a token for the call; false when the bucket is empty (the caller answers the throttle error). */
  tryTake(service: ServiceDefinition, operation: string, input: OperationInput): boolean {
    if (!this.options.enabled) return true;
    const key = this.bucket(service, operation, input);
    const limit = this.limit(service, operation, input);
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
