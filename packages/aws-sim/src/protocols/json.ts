/**
 * awsJson 1.0 / 1.1: `POST /` with `X-Amz-Target: Prefix.Operation` and a JSON body; the answer is
 * the operation's result as JSON. Timestamps in awsJson are epoch seconds (numbers), so operations
 * should return them that way. Errors carry the code twice, as SDK v3 reads it: the body's `__type`
 * (read first) and the `x-amzn-errortype` header; `x-amzn-query-error` serves query-compatible
 * services (SQS), whose SDK reads the legacy query code from it. An operation may return an
 * `HttpAnswer` to set the status and headers; its body, when a string, is sent as is (the DynamoDB
 * gate relays DynamoDB Local's answers, errors included, byte for byte).
 */
import { AwsError, HttpAnswer } from '../kernel';
import type { ProtocolAdapter } from './types';

export function parseJsonBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export const jsonProtocol: ProtocolAdapter = {
  parse(request) {
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.slice(target.lastIndexOf('.') + 1);
    if (operation === '') throw new AwsError('UnknownOperationException', 'Missing X-Amz-Target header');
    return { operation, input: parseJsonBody(request.body) };
  },

  unknownOperation(operation) {
    return new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
  },

  success(_operation, result, service) {
    if (result instanceof HttpAnswer) {
      return {
        status: result.status ?? 200,
        headers: {
          'content-type': `application/x-amz-json-${service.jsonVersion ?? '1.1'}`,
          ...result.headers,
        },
        body: typeof result.body === 'string' ? result.body : JSON.stringify(result.body ?? {}),
      };
    }
    return {
      status: 200,
      headers: { 'content-type': `application/x-amz-json-${service.jsonVersion ?? '1.1'}` },
      body: JSON.stringify(result ?? {}),
    };
  },

  failure(error, service) {
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    return {
      status: error.status,
      headers: {
        'content-type': `application/x-amz-json-${service.jsonVersion ?? '1.1'}`,
        'x-amzn-errortype': error.code,
        'x-amzn-query-error': `${error.code};${type}`,
      },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  },
};
