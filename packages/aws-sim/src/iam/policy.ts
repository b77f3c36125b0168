/**
 * The IAM policy evaluator: does a set of identity-based policy statements allow one request?
 *
 * Why it exists: the simulated AWS is to refuse what real AWS would refuse, so a role that works
 * locally works deployed. This module is pure (no I/O, no clock): statements and a request in, a
 * decision with its reason out. It models AWS's evaluation for identity-based policies in one account
 * (docs/aws-facts.md#iam-policy-evaluation): an explicit Deny wins, otherwise a matching Allow allows,
 * otherwise the request is implicitly denied.
 *
 * It fails closed: an element, operator or condition key it does not know never lets an Allow match,
 * and makes a Deny match (a Deny it cannot read is taken at its word). The reason of the decision
 * names what it did not know, so a refusal caused by the evaluator's limits is easy to tell apart
 * from one the policy states.
 */

/** A condition's policy values as written in JSON: a string, a boolean (`Bool`), or a list of them. */
export type ConditionValue = string | boolean | number | readonly (string | boolean | number)[];

/** `{ "StringEquals": { "aws:RequestTag/berth:managed-by": "berth" } }`: operator → key → values. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, ConditionValue>>>>;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

/** One request context: the action, the resource ARN (or `*`-pattern) and the condition keys. */
export interface Request {
  /** `service:Action`, e.g. `ec2:CreateVpc`. */
  readonly action: string;
  /** A concrete ARN, an ARN pattern such as `arn:aws:ec2:us-east-1:000000000000:vpc/*`, or `*`. */
  readonly resource: string;
  /** Condition keys of the request; a multivalued key (`aws:TagKeys`) is a list. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

export interface Decision {
  readonly decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** The statement that decided (the Deny or the Allow); none for an implicit deny. */
  readonly statement?: Statement;
  readonly reason: string;
  /** Which kind of policy refused, when it is not the identity-based policies (AWS's message names it). */
  readonly policyType?: 'permissions boundary';
}

/**
 * The condition keys the evaluator knows, by lower-cased name. A key outside this list makes its
 * statement fail closed, because a key the simulator never puts in a request context would silently
 * read as "absent" and turn, say, a `StringNotEquals` Deny into a no-op.
 */
const KNOWN_KEYS = new Set(
  [
    'aws:TagKeys',
    'aws:SourceAccount',
    'aws:SourceArn',
    'autoscaling:ForceDelete',
    'autoscaling:LaunchTemplateVersionSpecified',
    'ec2:CreateAction',
    'elasticloadbalancing:CreateAction',
    'events:detail-type',
    'events:source',
    'ecs:CreateAction',
    'iam:PassedToService',
    'iam:AWSServiceName',
    'iam:PermissionsBoundary',
    'iam:PolicyARN',
    'kms:ViaService',
    'dynamodb:EnclosingOperation',
    'dynamodb:LeadingKeys',
    'ecs:cluster',
    'ec2:LaunchTemplate',
    // Set on CreateVpcEndpoint's new endpoint (services/ec2/authorization.ts).
    'ec2:VpceServiceName',
    'route53:ChangeResourceRecordSetsActions',
    'route53:ChangeResourceRecordSetsRecordTypes',
    'route53:ChangeResourceRecordSetsNormalizedRecordNames',
  ].map((key) => key.toLowerCase()),
);

/** Keys that take a tag key after the slash: `aws:RequestTag/berth:managed-by`. */
const KNOWN_KEY_PREFIXES = [
  'aws:RequestTag/',
  'aws:ResourceTag/',
  'autoscaling:ResourceTag/',
  'ec2:ResourceTag/',
  'ecs:ResourceTag/',
  'elasticloadbalancing:ResourceTag/',
  'iam:ResourceTag/',
].map((prefix) => prefix.toLowerCase());

export function isKnownConditionKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (KNOWN_KEYS.has(lower)) return true;
  return KNOWN_KEY_PREFIXES.some((prefix) => lower.startsWith(prefix) && lower.length > prefix.length);
}

/** The base operators implemented; anything else (IpAddress, Numeric…, Date…) fails closed. */
const BASE_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Bool',
  'Null',
] as const;
type BaseOperator = (typeof BASE_OPERATORS)[number];

/** The negated operators: true when the request value matches none of the policy values. */
const NEGATED: ReadonlySet<BaseOperator> = new Set([
  'StringNotEquals',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
]);

/** A three-valued match: the evaluator either knows the answer or names what it could not read. */
export type Match =
  | { readonly known: true; readonly value: boolean }
  | { readonly known: false; readonly why: string };

const yes: Match = { known: true, value: true };
const no: Match = { known: true, value: false };

export function evaluate(statements: readonly Statement[], request: Request): Decision {
  let allow: Statement | undefined;
  const unreadable: string[] = [];
  for (const [index, statement] of statements.entries()) {
    const match = statementMatches(statement, request);
    const label = statementLabel(statement, index);
    if (statement.Effect === 'Deny') {
      if (match.known && match.value) {
        return { decision: 'ExplicitDeny', statement, reason: `${label} denies ${request.action}` };
      }
      if (!match.known) {
        return {
          decision: 'ExplicitDeny',
          statement,
          reason: `${label} is a Deny the evaluator cannot read, taken as matching (fail closed): ${match.why}`,
        };
      }
      continue;
    }
    if (match.known && match.value) allow ??= statement;
    else if (!match.known) unreadable.push(`${label}: ${match.why}`);
  }
  if (allow !== undefined) {
    const label = statementLabel(allow, statements.indexOf(allow));
    return { decision: 'Allow', statement: allow, reason: `${label} allows ${request.action}` };
  }
  const skipped = unreadable.length > 0 ? `; not applied (fail closed): ${unreadable.join('; ')}` : '';
  return {
    decision: 'ImplicitDeny',
    reason: `no statement allows ${request.action} on ${request.resource}${skipped}`,
  };
}

function statementLabel(statement: Statement, index: number): string {
  return statement.Sid ? `statement ${index} (${statement.Sid})` : `statement ${index}`;
}

function statementMatches(statement: Statement, request: Request): Match {
  const actions = elementMatches(statement, 'Action', 'NotAction', (pattern) =>
    actionMatches(pattern, request.action),
  );
  if (actions.known && !actions.value) return no;
  const resources = elementMatches(statement, 'Resource', 'NotResource', (pattern) =>
    resourceMatches(pattern, request.resource),
  );
  if (resources.known && !resources.value) return no;
  const conditions = conditionsMatch(statement.Condition, request.context);
  if (conditions.known && !conditions.value) return no;
  // No part said a definite "no": the statement matches unless one part could not be read.
  return [actions, resources, conditions].find((part) => !part.known) ?? yes;
}

/** `Action`/`NotAction` (or `Resource`/`NotResource`): exactly one of the pair, a string or a list. */
function elementMatches(
  statement: Statement,
  positive: 'Action' | 'Resource',
  negative: 'NotAction' | 'NotResource',
  matches: (pattern: string) => Match,
): Match {
  const listed = statement[positive];
  const excluded = statement[negative];
  if ((listed === undefined) === (excluded === undefined)) {
    return { known: false, why: `a statement needs exactly one of ${positive} and ${negative}` };
  }
  const patterns = asList(listed ?? excluded ?? []);
  let any: Match = no;
  for (const pattern of patterns) {
    const match = matches(pattern);
    if (match.known && match.value) {
      any = yes;
      break;
    }
    if (!match.known) any = match;
  }
  if (listed !== undefined || !any.known) return any;
  return { known: true, value: !any.value };
}

function asList<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? value : [value as T];
}

/** Actions: `service:Name` with `*`/`?`, case-insensitive (IAM action names are). */
export function actionMatches(pattern: string, action: string): Match {
  if (pattern === '*') return yes;
  return { known: true, value: wildcard(pattern, true).test(action) };
}

/**
 * Resources: `*`, or an ARN whose six colon-separated parts are matched one by one (case-sensitive,
 * `*` and `?` inside a part). A policy variable (`${aws:username}`) is not implemented: fail closed.
 */
export function resourceMatches(pattern: string, resource: string): Match {
  if (pattern.includes('${')) return { known: false, why: `policy variable in Resource ${pattern}` };
  if (pattern === '*') return yes;
  return { known: true, value: arnMatches(pattern, resource) };
}

/** ARN matching as ArnLike and Resource do it: part by part; the resource part may hold colons. */
export function arnMatches(pattern: string, arn: string): boolean {
  const patternParts = arnParts(pattern);
  const arnPartsOfValue = arnParts(arn);
  if (patternParts === undefined || arnPartsOfValue === undefined) {
    return wildcard(pattern, false).test(arn);
  }
  return patternParts.every((part, index) => wildcard(part, false).test(arnPartsOfValue[index] ?? ''));
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** Compiled patterns: every simulated call evaluates its role's patterns, so each is compiled once. */
const compiled = new Map<string, RegExp>();

function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(key);
  if (regex === undefined) {
    regex = compileWildcard(pattern, ignoreCase);
    compiled.set(key, regex);
  }
  return regex;
}

function compileWildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern
    .split('')
    .map((character) => {
      if (character === '*') return '.*';
      if (character === '?') return '.';
      return character.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

/** Every operator AND every key of the block must hold (AND); the values of one key are an OR. */
function conditionsMatch(
  block: ConditionBlock | undefined,
  context: Readonly<Record<string, string | readonly string[]>>,
): Match {
  if (block === undefined) return yes;
  let result: Match = yes;
  for (const [operator, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      const match = conditionMatches(operator, key, asList(values).map(String), context);
      if (match.known && !match.value) return no;
      if (!match.known && result.known) result = match;
    }
  }
  return result;
}

interface ParsedOperator {
  readonly set?: 'ForAllValues' | 'ForAnyValue';
  readonly base: BaseOperator;
  readonly ifExists: boolean;
}

export function parseOperator(operator: string): ParsedOperator | undefined {
  const prefix = /^(ForAllValues|ForAnyValue):(.+)$/.exec(operator);
  const set = prefix?.[1] === 'ForAllValues' || prefix?.[1] === 'ForAnyValue' ? prefix[1] : undefined;
  let rest = prefix?.[2] ?? operator;
  const ifExists = rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const base = BASE_OPERATORS.find((known) => known === rest);
  if (base === undefined) return undefined;
  // Null takes neither a set prefix nor IfExists (it is itself the existence test).
  if (base === 'Null' && (set !== undefined || ifExists)) return undefined;
  return { base, ifExists, ...(set ? { set } : {}) };
}

function conditionMatches(
  operator: string,
  key: string,
  policyValues: readonly string[],
  context: Readonly<Record<string, string | readonly string[]>>,
): Match {
  const parsed = parseOperator(operator);
  if (parsed === undefined) return { known: false, why: `condition operator ${operator} is not implemented` };
  if (!isKnownConditionKey(key)) return { known: false, why: `condition key ${key} is not known` };
  if (policyValues.some((value) => value.includes('${'))) {
    return { known: false, why: `policy variable in the values of ${operator} ${key}` };
  }
  const found = lookUp(context, key);
  const present = found !== undefined && found.length > 0;

  if (parsed.base === 'Null') {
    const wantsAbsent = policyValues.map((value) => value.toLowerCase());
    if (wantsAbsent.some((value) => value !== 'true' && value !== 'false')) {
      return { known: false, why: `Null takes true or false, not ${policyValues.join(', ')}` };
    }
    return { known: true, value: wantsAbsent.includes(present ? 'false' : 'true') };
  }

  // IfExists: an absent key holds, whatever the operator (Null takes no IfExists).
  if (!present && parsed.ifExists) return yes;

  if (parsed.set === 'ForAllValues') {
    // AWS: true when every request value matches a policy value, and also when the key is absent or empty.
    if (!present) return yes;
    return {
      known: true,
      value: found.every((value) => singleValueMatches(parsed.base, value, policyValues)),
    };
  }
  if (parsed.set === 'ForAnyValue') {
    if (!present) return no;
    return {
      known: true,
      value: found.some((value) => singleValueMatches(parsed.base, value, policyValues)),
    };
  }

  if (!present) {
    // Absent key: a negated operator holds (AWS: "the right key is not present, the condition is
    // true"); any other operator is false.
    return { known: true, value: NEGATED.has(parsed.base) };
  }
  if (found.length > 1) {
    return {
      known: false,
      why: `${key} has ${found.length} values in the request; ${operator} needs ForAllValues or ForAnyValue`,
    };
  }
  const [value] = found;
  return { known: true, value: value !== undefined && singleValueMatches(parsed.base, value, policyValues) };
}

/** Condition keys are case-insensitive: `iam:passedtoservice` finds `iam:PassedToService`. */
function lookUp(
  context: Readonly<Record<string, string | readonly string[]>>,
  key: string,
): readonly string[] | undefined {
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() === lower) return typeof value === 'string' ? [value] : value;
  }
  return undefined;
}

/** One request value against the policy values (an OR); a negated operator is the OR's negation. */
function singleValueMatches(base: BaseOperator, value: string, policyValues: readonly string[]): boolean {
  const matchesOne = (policyValue: string): boolean => {
    switch (base) {
      case 'StringEquals':
      case 'StringNotEquals':
        return value === policyValue;
      case 'StringLike':
      case 'StringNotLike':
        return wildcard(policyValue, false).test(value);
      case 'ArnEquals':
      case 'ArnLike':
      case 'ArnNotEquals':
      case 'ArnNotLike':
        return arnParts(value) !== undefined && arnMatches(policyValue, value);
      case 'Bool':
        return value.toLowerCase() === policyValue.toLowerCase();
      case 'Null':
        return false;
    }
  };
  const any = policyValues.some(matchesOne);
  return NEGATED.has(base) ? !any : any;
}

/** Reads one statement from parsed JSON, or says what is wrong with it (for the template loader). */
export function parseStatement(value: unknown, where: string): Statement {
  if (!isRecord(value)) throw new Error(`${where}: a statement is an object`);
  const allowed = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new Error(`${where}: ${key} is not supported in an identity-based policy`);
  }
  const effect = value.Effect;
  if (effect !== 'Allow' && effect !== 'Deny')
    throw new Error(`${where}.Effect: Allow or Deny, not ${String(effect)}`);
  const statement: {
    Sid?: string;
    Effect: 'Allow' | 'Deny';
    Action?: string | readonly string[];
    NotAction?: string | readonly string[];
    Resource?: string | readonly string[];
    NotResource?: string | readonly string[];
    Condition?: ConditionBlock;
  } = { Effect: effect };
  if (typeof value.Sid === 'string') statement.Sid = value.Sid;
  for (const element of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    const raw = value[element];
    if (raw === undefined) continue;
    if (typeof raw === 'string') statement[element] = raw;
    else if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) statement[element] = raw;
    else throw new Error(`${where}.${element}: a string or a list of strings`);
  }
  if (value.Condition !== undefined)
    statement.Condition = parseCondition(value.Condition, `${where}.Condition`);
  return statement;
}

function parseCondition(value: unknown, where: string): ConditionBlock {
  if (!isRecord(value)) throw new Error(`${where}: an object of operators`);
  const block: Record<string, Record<string, ConditionValue>> = {};
  for (const [operator, keys] of Object.entries(value)) {
    if (!isRecord(keys)) throw new Error(`${where}.${operator}: an object of condition keys`);
    const parsedKeys: Record<string, ConditionValue> = {};
    for (const [key, values] of Object.entries(keys)) {
      if (isScalar(values) || (Array.isArray(values) && values.every(isScalar))) parsedKeys[key] = values;
      else throw new Error(`${where}.${operator}.${key}: a string, boolean or number, or a list of them`);
    }
    block[operator] = parsedKeys;
  }
  return block;
}

function isScalar(value: unknown): value is string | boolean | number {
  return typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
