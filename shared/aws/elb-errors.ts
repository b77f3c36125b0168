/**
 * ELBv2's "already gone" answers. They are told apart by exception class, not by `errorCode`: the
 * query protocol's error code (`LoadBalancerNotFound`) is not the exception's name, and the class is
 * what the SDK promises. Apart from errors.ts so that only the modules that call ELBv2 load its client.
 */
import {
  ListenerNotFoundException,
  LoadBalancerNotFoundException,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';

/** A load balancer, target group, listener or rule that no longer exists: for a delete, the work is done. */
export function isElbNotFound(error: unknown): boolean {
  return (
    error instanceof LoadBalancerNotFoundException ||
    error instanceof TargetGroupNotFoundException ||
    error instanceof ListenerNotFoundException ||
    error instanceof RuleNotFoundException
  );
}
