/** What every wire protocol adapter implements: read a request, write a result or an `AwsError`. */
import type { AwsError, OperationInput, ServiceDefinition } from '../kernel';

/** An HTTP request as the server hands it to a protocol (body already read as text). */
export interface SimRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ParsedCall {
  operation: string;
  input: OperationInput;
}

export interface ProtocolAdapter {
  /** The operation and its input; throws an `AwsError` when the request cannot be read. */
  parse(request: SimRequest, service: ServiceDefinition): ParsedCall;
  /** The error AWS answers for an operation the service does not have. */
  unknownOperation(operation: string, service: ServiceDefinition): AwsError;
  success(operation: string, result: unknown, service: ServiceDefinition, requestId: string): SimResponse;
  failure(error: AwsError, service: ServiceDefinition, requestId: string): SimResponse;
}
