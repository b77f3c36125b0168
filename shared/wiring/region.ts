/** The Region environments are built in: the control plane's own (Lambda sets AWS_REGION). */
import { optionalEnv } from '../config';
import { FALLBACK_PRICE_REGION } from '../domain/prices';

/** For the cost estimate of create and update; us-east-1 prices where no Region is set. */
export function region(): string {
  return optionalEnv('AWS_REGION', FALLBACK_PRICE_REGION);
}
