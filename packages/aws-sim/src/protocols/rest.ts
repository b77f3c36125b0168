/**
 * restJson1 (Scheduler, Pipes) and restXml (Route 53): the operation is found by method and path in
 * `ServiceDefinition.routes`. The input merges, in this order, the query string (raw wire names;
 * a repeated name gives a list), the body (JSON object, or the XML document's root children parsed
 * with fast-xml-parser, every scalar a string), and the path labels (URL-decoded, by label name).
 * An operation may return an `HttpAnswer` to set the status or headers.
 * Errors — rest-json: `x-amzn-errortype` header + `{ message }`; rest-xml: `<ErrorResponse><Error>…`.
 */
import { XMLParser } from 'fast-xml-parser';
import { AwsError, HttpAnswer, type OperationInput, type RestRoute, type ServiceDefinition } from '../kernel';
import { parseJsonBody } from './json';
import type { ParsedCall, ProtocolAdapter, SimRequest, SimResponse } from './types';
import { escapeXml, xmlContent, xmlDeclaration } from './xml';

/** Path labels of `route` when `path` matches it, else undefined. */
export function matchRoute(route: RestRoute, path: string): Record<string, string> | undefined {
  const want = route.path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  const have = path.split('/').filter(Boolean);
  const labels: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const label = /^\{(.+?)(\+?)\}$/.exec(segment);
    if (label?.[1] && label[2] === '+') {
      if (index >= have.length) return undefined;
      labels[label[1]] = have.slice(index).map(decodeURIComponent).join('/');
      return labels;
    }
    const actual = have[index];
    if (actual === undefined) return undefined;
    if (label?.[1]) labels[label[1]] = decodeURIComponent(actual);
    else if (segment !== actual) return undefined;
  }
  return have.length === want.length ? labels : undefined;
}

function findRoute(
  request: SimRequest,
  service: ServiceDefinition,
): { route: RestRoute; labels: Record<string, string> } {
  for (const route of service.routes ?? []) {
    if (route.method !== request.method) continue;
    const labels = matchRoute(route, request.path);
    if (labels) return { route, labels };
  }
  throw new AwsError('UnknownOperationException', `No operation for ${request.method} ${request.path}`, 404);
}

function queryInput(query: URLSearchParams): OperationInput {
  const input: OperationInput = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    input[name] = values.length === 1 ? values[0] : values;
  }
  return input;
}

const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, ignoreDeclaration: true });

function parseXmlBody(body: string): OperationInput {
  if (body.trim() === '') return {};
  let document: unknown;
  try {
    document = xmlParser.parse(body, true);
  } catch {
    throw new AwsError('MalformedXML', 'The XML you provided was not well-formed');
  }
  const root = typeof document === 'object' && document !== null ? Object.values(document)[0] : undefined;
  return typeof root === 'object' && root !== null && !Array.isArray(root) ? (root as OperationInput) : {};
}

function parseRest(
  request: SimRequest,
  service: ServiceDefinition,
  body: (text: string) => OperationInput,
): ParsedCall {
  const { route, labels } = findRoute(request, service);
  return {
    operation: route.operation,
    input: { ...queryInput(request.query), ...body(request.body), ...labels },
  };
}

function successStatus(operation: string, service: ServiceDefinition): number {
  return service.routes?.find((route) => route.operation === operation)?.successStatus ?? 200;
}

function answer(
  operation: string,
  result: unknown,
  service: ServiceDefinition,
  write: (body: unknown) => string,
  contentType: string,
): SimResponse {
  const isAnswer = result instanceof HttpAnswer;
  const body = isAnswer ? result.body : result;
  return {
    status: (isAnswer ? result.status : undefined) ?? successStatus(operation, service),
    headers: { 'content-type': contentType, ...(isAnswer ? result.headers : {}) },
    body: body === undefined ? '' : write(body),
  };
}

export const restJsonProtocol: ProtocolAdapter = {
  parse: (request, service) => parseRest(request, service, parseJsonBody),
  unknownOperation: (operation) =>
    new AwsError('UnknownOperationException', `Unknown operation ${operation}`, 404),
  success: (operation, result, service) =>
    answer(operation, result, service, (body) => JSON.stringify(body), 'application/json'),
  failure: (error) => ({
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code },
    body: JSON.stringify({ message: error.message }),
  }),
};

export const restXmlProtocol: ProtocolAdapter = {
  parse: (request, service) => parseRest(request, service, parseXmlBody),
  unknownOperation: (operation) =>
    new AwsError('UnknownOperationException', `Unknown operation ${operation}`, 404),
  success: (operation, result, service) =>
    answer(
      operation,
      result,
      service,
      (body) => {
        const namespace = service.xmlNamespace ? ` xmlns="${escapeXml(service.xmlNamespace)}"` : '';
        return `${xmlDeclaration}<${operation}Response${namespace}>${xmlContent(body, null)}</${operation}Response>`;
      },
      'text/xml',
    ),
  failure: (error, service, requestId) => {
    const namespace = service.xmlNamespace ? ` xmlns="${escapeXml(service.xmlNamespace)}"` : '';
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml' },
      body:
        `${xmlDeclaration}<ErrorResponse${namespace}><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>` +
        `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`,
    };
  },
};
