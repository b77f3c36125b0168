/**
 * The body of a request from Slack, after its signature is checked. API Gateway hands the body over
 * as a string, base64-encoded when `isBase64Encoded`; the signature covers the bytes Slack sent, so
 * they are decoded but never re-encoded before the check.
 */
import { bodyBytes, type HttpRequest, logger, MAX_BODY_BYTES } from '../http/handler';
import { HttpProblem } from '../http/problem';
import { slackSignatureProblem } from './signature';

export interface SlackRequestConfig {
  signingSecret: string;
  now?: () => Date;
}

/** The form fields of a signed Slack request; throws a 401 problem when Slack did not sign it. */
export function readSignedForm(config: SlackRequestConfig, request: HttpRequest): URLSearchParams {
  const body = bodyBytes(request.event);
  if (body.length > MAX_BODY_BYTES) {
    throw new HttpProblem(
      'payload-too-large',
      'Payload Too Large',
      `the body is over ${MAX_BODY_BYTES} bytes`,
    );
  }
  const failure = slackSignatureProblem(
    config.signingSecret,
    {
      timestamp: request.headers['x-slack-request-timestamp'],
      signature: request.headers['x-slack-signature'],
      body,
    },
    (config.now ?? (() => new Date()))(),
  );
  if (failure) {
    logger.warn('rejected a Slack request', { reason: failure });
    throw new HttpProblem(
      'unauthorized',
      'Unauthorized',
      'the request does not carry a valid Slack signature from the last 5 minutes',
    );
  }
  return new URLSearchParams(body.toString('utf8'));
}
