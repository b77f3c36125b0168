/**
 * The Step Functions API's input rules and error codes, apart from the engine: definition and
 * execution-input parsing, name and ARN validation, page sizes and pagination tokens, and `SfnError`,
 * which the endpoint (server.ts) turns into `{"__type": code}` answers.
 */
import { isJsonObject, type JsonObject, type JsonValue, toJsonValue } from './json';

/** An API error with Step Functions' error code (`ExecutionAlreadyExists`). */
export class SfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export function parseDefinition(definition: JsonObject | string): JsonObject {
  if (typeof definition !== 'string') return definition;
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (error) {
    throw new SfnError('InvalidDefinition', `Invalid State Machine Definition: ${String(error)}`);
  }
  const value = toJsonValue(parsed);
  if (!isJsonObject(value))
    throw new SfnError('InvalidDefinition', 'Invalid State Machine Definition: not an object');
  return value;
}

export function parseExecutionInput(text: string): JsonValue {
  try {
    return toJsonValue(JSON.parse(text));
  } catch {
    throw new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${text}'`);
  }
}

/**
 * Names: 1–80 characters, none of whitespace, `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /`, or
 * control characters (U+0000–U+001F, U+007F–U+009F) — StartExecution's `name` rules.
 */
export function assertValidName(name: string, what: string): void {
  const forbidden = ' \t\n\r\f\v<>{}[]?*"#%\\^|~`$&,;:/';
  const valid =
    name.length >= 1 &&
    name.length <= 80 &&
    [...name].every((char) => {
      const code = char.codePointAt(0) ?? 0;
      return (
        !forbidden.includes(char) && !(code <= 0x1f || (code >= 0x7f && code <= 0x9f)) && char.trim() !== ''
      );
    });
  if (!valid) throw new SfnError('InvalidName', `Invalid Name: '${name}' is not a valid ${what} name`);
}

export function assertArn(arn: string, resourceType: 'stateMachine' | 'execution'): void {
  const parts = arn.split(':');
  if (parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== resourceType) {
    throw new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
  }
}

export function pageSize(maxResults: number | undefined): number {
  // AWS: 0 or absent means the default page size (100); the maximum is 1000.
  if (maxResults === undefined || maxResults <= 0) return 100;
  return Math.min(maxResults, 1000);
}

export function encodeToken(position: number): string {
  return Buffer.from(JSON.stringify({ position }), 'utf8').toString('base64');
}

export function decodeToken(token: string): number {
  try {
    const parsed = toJsonValue(JSON.parse(Buffer.from(token, 'base64').toString('utf8')));
    if (isJsonObject(parsed) && typeof parsed.position === 'number') return parsed.position;
  } catch {
    // fall through to InvalidToken
  }
  throw new SfnError('InvalidToken', `Invalid Token: '${token}'`);
}

export function errorCause(input: { error?: string; cause?: string }): JsonObject {
  const details: JsonObject = {};
  if (input.error !== undefined) details.error = input.error;
  if (input.cause !== undefined) details.cause = input.cause;
  return details;
}
