/**
 * Posting to a Slack `response_url`: valid for 30 minutes and 5 messages after the command or click
 * that issued it (Slack "Handling user interaction"). A failed post is logged, never thrown: the
 * environment's work is done either way, and a retry could post the same update twice.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { SlackMessage } from './messages';

const logger = new Logger({ serviceName: 'berth' });

/** Well inside the notifier's timeout and Slack's 3 s for a button click. */
const POST_TIMEOUT_MS = 2_500;
/** Slack's limits on one response_url. */
export const RESPONSE_URL_MESSAGES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;

/** Where Slack's response_urls point (`https://hooks.slack.com/commands/…`, `…/actions/…`). */
export const SLACK_RESPONSE_URL_ORIGIN = 'https://hooks.slack.com';

/**
 * Whether `responseUrl` is under one of `origins`: same scheme and host, and the same port when the
 * origin names one. An origin that is not a URL matches nothing.
 */
export function responseUrlAllowed(responseUrl: string, origins: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return origins.some((origin) => {
    try {
      const allowed = new URL(origin);
      return (
        allowed.protocol === url.protocol &&
        allowed.hostname === url.hostname &&
        (allowed.port === '' || allowed.port === url.port)
      );
    } catch {
      return false;
    }
  });
}

/** Posts the message; true when Slack took it. */
export async function postToResponseUrl(responseUrl: string, message: SlackMessage): Promise<boolean> {
  try {
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    if (response.ok) return true;
    // Slack answers 404 expired_url / used_url once the URL's time or messages are used up.
    logger.warn('Slack refused a response_url message', {
      status: response.status,
      body: (await response.text()).slice(0, 200),
    });
  } catch (error) {
    logger.warn('could not post to the Slack response_url', { error });
  }
  return false;
}
