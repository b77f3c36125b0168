/**
 * Slack request signing ("Verifying requests from Slack"): `X-Slack-Signature` is `v0=` + the hex
 * HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` under the app's signing secret. The
 * timestamp bounds replays: a captured request stops verifying after five minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's documented window; also refuses timestamps this far in the future (a skewed or forged clock). */
export const MAX_TIMESTAMP_SKEW_SECONDS = 5 * 60;
const VERSION = 'v0';

export type SignatureFailure =
  | 'missing-headers'
  | 'malformed-timestamp'
  | 'stale-timestamp'
  | 'bad-signature';

export interface SignedRequest {
  /** `X-Slack-Request-Timestamp`: Unix seconds. */
  timestamp: string | undefined;
  /** `X-Slack-Signature`. */
  signature: string | undefined;
  /** The body exactly as received: re-encoding parsed form data would change the bytes. */
  body: Buffer;
}

/** The signature Slack would send for this timestamp and body. */
export function signSlackRequest(secret: string, timestamp: string, body: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${VERSION}:${timestamp}:`);
  hmac.update(body);
  return `${VERSION}=${hmac.digest('hex')}`;
}

/** Why the request is not from Slack, or undefined when it is. */
export function slackSignatureProblem(
  secret: string,
  request: SignedRequest,
  now: Date,
): SignatureFailure | undefined {
  const { timestamp, signature, body } = request;
  if (!timestamp || !signature) return 'missing-headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed-timestamp';
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > MAX_TIMESTAMP_SKEW_SECONDS)
    return 'stale-timestamp';
  const expected = Buffer.from(signSlackRequest(secret, timestamp, body), 'utf8');
  const received = Buffer.from(signature, 'utf8');
  // timingSafeEqual throws on different lengths; the length of a hex digest is no secret.
  if (received.length !== expected.length) return 'bad-signature';
  return timingSafeEqual(received, expected) ? undefined : 'bad-signature';
}
