/**
 * JSON value types shared by the local Step Functions modules. Everything that crosses a state
 * boundary in Step Functions is JSON, so these are the only shapes the engine passes around.
 */

export type JsonPrimitive = null | boolean | number | string;
export type JsonArray = JsonValue[];
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Round-trips a value through JSON, as Lambda and Step Functions do: `undefined` becomes `null`,
 * class instances become plain objects, dates become strings.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/**
 * Deep-copies a JSON object. Deliberately not `structuredClone`: under jest that returns objects of
 * another realm, and aws-local-stepfunctions only expands `.$` keys in objects whose prototype is
 * its own realm's `Object.prototype`, so nested Parameters templates would silently stay literal.
 */
export function cloneJsonObject(value: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}
