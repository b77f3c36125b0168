/**
 * Callback delivery: a request's `callbackUrl` receives each status event of its environment as a
 * JSON POST, signed so the team can tell it came from berth, retried with backoff for a bounded
 * time. Runs in its own Lambda (triggered by the bus), never in a workflow step, so a team's
 * endpoint being down cannot delay or fail a workflow.
 *
 * Signature (as Stripe's webhooks do it): `Berth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "<t>.<body>">`. The timestamp is signed too, so a receiver can refuse old replays; each
 * attempt is signed afresh. Delivery is at least once: receivers dedupe by the event's `id`.
 *
 * SSRF: berth runs inside AWS, so a URL naming a private, loopback, link-local (the instance
 * metadata service 169.254.169.254) or otherwise non-public address is refused. The address is
 * checked in the socket's own DNS lookup, so the address checked is the address connected to
 * (a name that re-resolves to 10.0.0.1 between a check and the connection gains nothing).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { blockedAddressReason, callbackUrlProblem } from '../domain/callback-address';
import type { StatusEvent } from '../domain/status-event';

export { blockedAddressReason, callbackUrlProblem } from '../domain/callback-address';

export const SIGNATURE_HEADER = 'Berth-Signature';

/**
 * The secret one team's callbacks are signed with: hex HMAC-SHA256 of `berth-callback-v1:<team>`
 * keyed with the stage's master secret (CALLBACK_SIGNING_SECRET). A receiver holds only its team's
 * secret, so team A can neither sign an event that B's receiver accepts nor, by pointing its own
 * `callbackUrl` at B's receiver, get B to accept A's events. The platform team hands each team its
 * secret (`npm run callback-secret -- --team <team>`); the master never leaves the deliverer.
 */
export function teamCallbackSecret(masterSecret: string, team: string): string {
  return createHmac('sha256', masterSecret).update(`berth-callback-v1:${team}`).digest('hex');
}

/** HMAC-SHA256 of `<timestamp>.<body>` as the `Berth-Signature` header value. */
export function signCallback(body: string, secret: string, timestampSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

/**
 * What a receiver does with the header: true when it is berth's signature of `body`, made at most
 * `toleranceSeconds` before `nowSeconds`. Compares in constant time.
 */
export function verifyCallbackSignature(
  header: string,
  body: string,
  secret: string,
  options: { nowSeconds: number; toleranceSeconds?: number },
): boolean {
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const timestamp = Number(parts.get('t'));
  const signature = parts.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return false;
  if (Math.abs(options.nowSeconds - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = signCallback(body, secret, timestamp).slice(`t=${timestamp},v1=`.length);
  return timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(expected, 'hex'));
}

// ---------------------------------------------------------------------------------------------
// Which addresses a callback may reach (the rules: shared/domain/callback-address.ts).
// ---------------------------------------------------------------------------------------------

export class CallbackRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackRefused';
  }
}

/** A DNS lookup for the socket that refuses to hand over any address a callback must not reach. */
export function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses
        .map((entry) => blockedAddressReason(entry.address, allowLoopback))
        .find((reason) => reason !== undefined);
      const first = addresses[0];
      if (refused || !first) {
        return callback(new CallbackRefused(`${hostname}: ${refused ?? 'no address'}`), '', 0);
      }
      // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
      if (options.all) return (callback as (e: null, all: LookupAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Delivery with retries.
// ---------------------------------------------------------------------------------------------

export interface DeliveryOptions {
  secret: string;
  /** Tests and local runs only: lets a callback reach 127.0.0.1 over plain http. */
  allowLoopback?: boolean;
  /** Attempts in all (default 6). */
  attempts?: number;
  /** First backoff (default 1 s); doubles per attempt up to `maxDelayMs` (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt, connection to response headers (default 5 s). */
  timeoutMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export type DeliveryResult =
  | { delivered: true; attempts: number; status: number }
  | { delivered: false; attempts: number; reason: string };

type AttemptOutcome = { ok: true; status: number } | { ok: false; retry: boolean; reason: string };

/** 408/429 and 5xx may pass later; other answers (3xx included: redirects are not followed) will not. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function postOnce(
  url: URL,
  body: string,
  signature: string,
  event: StatusEvent,
  options: Required<Pick<DeliveryOptions, 'allowLoopback' | 'timeoutMs'>>,
): Promise<AttemptOutcome> {
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'berth-callbacks/1',
      [SIGNATURE_HEADER]: signature,
      'Berth-Event-Id': event.id,
    },
    lookup: guardedLookup(options.allowLoopback),
    timeout: options.timeoutMs,
  };
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve) => {
    const request = send(url, requestOptions, (response: IncomingMessage) => {
      // The body is not read: only the status matters, and draining frees the socket.
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(
        status >= 200 && status < 300
          ? { ok: true, status }
          : { ok: false, retry: isRetryableStatus(status), reason: `answered HTTP ${status}` },
      );
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => {
      // A refused address stays refused; network errors may pass on a later attempt.
      resolve({ ok: false, retry: !(error instanceof CallbackRefused), reason: error.message });
    });
    request.end(body);
  });
}

/**
 * POSTs `event` to its `callbackUrl`, retrying network errors, timeouts, 408, 429 and 5xx with
 * exponential backoff and jitter, at most `attempts` times; a refused address or another answer
 * ends it at once. Never throws for the endpoint's sake: the result says what happened.
 */
export async function deliverCallback(event: StatusEvent, options: DeliveryOptions): Promise<DeliveryResult> {
  const allowLoopback = options.allowLoopback ?? false;
  const attempts = options.attempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  if (!event.callbackUrl) return { delivered: false, attempts: 0, reason: 'the event has no callbackUrl' };
  const problem = callbackUrlProblem(event.callbackUrl, allowLoopback);
  if (problem) return { delivered: false, attempts: 0, reason: `the callback URL ${problem}` };
  const url = new URL(event.callbackUrl);
  const body = JSON.stringify(event);
  let reason = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const signature = signCallback(body, options.secret, Math.floor(now().getTime() / 1000));
    const outcome = await postOnce(url, body, signature, event, { allowLoopback, timeoutMs });
    if (outcome.ok) return { delivered: true, attempts: attempt, status: outcome.status };
    reason = outcome.reason;
    if (!outcome.retry) return { delivered: false, attempts: attempt, reason };
    if (attempt < attempts) {
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      // Half fixed, half random: spread retries of many events without ever retrying at once.
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }
  return { delivered: false, attempts, reason };
}
