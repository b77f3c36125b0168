/**
 * Loads the project's state machines and functions from `serverless.yml`, the way osls with
 * serverless-step-functions would package them, so the local endpoint runs the very same
 * `statemachines/*.asl.yml` as AWS (one copy of each definition).
 *
 * What is resolved: `${file(...)}` (YAML, JSON, and JavaScript modules whose export — or the export
 * the address names — may be a function, called as osls calls it), `${sls:stage}` / `${opt:stage}` / `${self:provider.stage}`,
 * `${self:…}`, `${env:…}`, `${aws:region}` / `${aws:accountId}` with `, fallback`; CloudFormation
 * short tags (`!GetAtt fn.Arn`); and every Lambda reference in a definition (`Fn::GetAtt [fn, Arn]`,
 * a Lambda function ARN) becomes the deployed function *name* `<service>-<stage>-<key>`, because
 * serverless-offline's Lambda invoke API only knows functions by name, not by ARN.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type Tags } from 'yaml';
import { cloneJsonObject, isJsonObject, type JsonObject, type JsonValue, toJsonValue } from './json';

/** One entry of `functions:` in serverless.yml. */
export interface FunctionSpec {
  /** The key under `functions:` (`network`). */
  key: string;
  /** The deployed Lambda name (`berth-dev-network`), which is what tasks invoke locally. */
  deployedName: string;
  /** As written in serverless.yml: `functions/steps/network.handler`. */
  handler: string;
  /** Absolute module path without extension (`/repo/functions/steps/network`). */
  modulePath: string;
  /** The exported handler's name (`handler`). */
  exportName: string;
  /** The logical id (or ARN) of the function's IAM role, when serverless.yml names one. */
  role?: string;
  /**
   * Lambda's timeout for the function: its `timeout`, else `provider.timeout`, else the framework's 6 s.
   * A local invocation that runs longer fails as Lambda reports it (invokers.ts).
   */
  timeoutSeconds: number;
}

/** The Serverless Framework's default function timeout when neither the function nor the provider sets one. */
const FRAMEWORK_DEFAULT_TIMEOUT_SECONDS = 6;

/** One state machine with its definition fully resolved (plain Amazon States Language JSON). */
export interface StateMachineSpec {
  /** The key under `stepFunctions.stateMachines` (`provision`). */
  key: string;
  /** The state machine name (`berth-dev-provision`). */
  name: string;
  definition: JsonObject;
}

export interface ServerlessProject {
  service: string;
  stage: string;
  region: string;
  /** The directory of serverless.yml: handler and `${file()}` paths are relative to it. */
  baseDir: string;
  functions: Record<string, FunctionSpec>;
  stateMachines: StateMachineSpec[];
}

export interface LoadOptions {
  stage: string;
  /** Used for `${aws:region}`, `${opt:region}`; defaults to provider.region, then us-east-1. */
  region?: string;
}

/** The account id the local stack pretends to be (ARNs use it; LocalStack and moto use the same). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Reads serverless.yml and returns its functions and fully resolved state machines. */
export function loadServerlessProject(serverlessYmlPath: string, options: LoadOptions): ServerlessProject {
  const absolutePath = path.resolve(serverlessYmlPath);
  const document = readYamlFile(absolutePath);
  if (!isJsonObject(document)) throw new Error(`${absolutePath}: expected a YAML mapping at the top level`);
  const baseDir = path.dirname(absolutePath);
  const resolver = new VariableResolver(document, baseDir, options);

  const service = resolver.resolveString(serviceName(document.service), 'service');
  const provider = resolver.resolveSection('provider');
  const defaultTimeout =
    timeoutOf(isJsonObject(provider) ? provider.timeout : undefined, resolver, 'provider.timeout') ??
    FRAMEWORK_DEFAULT_TIMEOUT_SECONDS;
  const functions = readFunctions(
    resolver.resolveSection('functions'),
    resolver,
    service,
    baseDir,
    defaultTimeout,
  );
  const stateMachines = readStateMachines(resolver.resolveSection('stepFunctions'), resolver, functions);
  return { service, stage: options.stage, region: resolver.region, baseDir, functions, stateMachines };
}

/** The function key whose deployed name is `functionName`, if it is one of the project's. */
export function functionKeyForName(
  functions: Record<string, FunctionSpec>,
  functionName: string,
): string | undefined {
  return Object.values(functions).find((fn) => fn.deployedName === functionName)?.key;
}

/**
 * Parses a YAML (or JSON) file, turning CloudFormation short tags into their long form
 * (`!GetAtt a.Arn` → `{ 'Fn::GetAtt': ['a', 'Arn'] }`, `!Ref x` → `{ Ref: 'x' }`). Without the
 * custom tags the yaml package would silently keep `!GetAtt a.Arn` as the string `a.Arn`.
 */
export function readYamlFile(filePath: string): JsonValue {
  const text = readFileSync(filePath, 'utf8');
  return toJsonValue(parse(text, { customTags: CLOUDFORMATION_TAGS, logLevel: 'error' }));
}

/**
 * Rewrites every Lambda reference in a definition into a deployed function name: `Resource` of
 * Task states and `Parameters.FunctionName` of `arn:aws:states:::lambda:invoke` tasks, given as
 * `Fn::GetAtt [key|LogicalId, Arn]` or as a Lambda function ARN. Nested Parallel branches and Map
 * processors are included. Throws on a GetAtt that names no function (a typo would otherwise only
 * surface when the state runs).
 */
export function resolveLambdaReferences(
  definition: JsonObject,
  functions: Record<string, FunctionSpec>,
): JsonObject {
  const resolved = cloneJsonObject(definition);
  for (const state of allStates(resolved)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource !== undefined) state.Resource = lambdaNameOf(state.Resource, functions);
    const parameters = state.Parameters;
    if (isJsonObject(parameters) && parameters.FunctionName !== undefined) {
      parameters.FunctionName = lambdaNameOf(parameters.FunctionName, functions);
    }
  }
  return resolved;
}

/** Every state of a definition, including those inside Parallel branches and Map processors. */
export function allStates(definition: JsonObject): JsonObject[] {
  const states: JsonObject[] = [];
  const visit = (machine: JsonValue | undefined): void => {
    if (!isJsonObject(machine) || !isJsonObject(machine.States)) return;
    for (const state of Object.values(machine.States)) {
      if (!isJsonObject(state)) continue;
      states.push(state);
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit(branch);
      visit(state.ItemProcessor);
      visit(state.Iterator);
    }
  };
  visit(definition);
  return states;
}

/** Every state name of a definition with its state, nested ones included. */
export function allNamedStates(definition: JsonObject): Array<[string, JsonObject]> {
  const named: Array<[string, JsonObject]> = [];
  const visit = (machine: JsonValue | undefined): void => {
    if (!isJsonObject(machine) || !isJsonObject(machine.States)) return;
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isJsonObject(state)) continue;
      named.push([name, state]);
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit(branch);
      visit(state.ItemProcessor);
      visit(state.Iterator);
    }
  };
  visit(definition);
  return named;
}

function serviceName(service: JsonValue | undefined): string {
  // Old serverless syntax allows `service: { name: x }`.
  if (typeof service === 'string') return service;
  if (isJsonObject(service) && typeof service.name === 'string') return service.name;
  throw new Error('serverless.yml: `service` is missing');
}

/**
 * A top-level section of serverless.yml (`resources`, `custom`, …) with a whole-section `${file()}`
 * reference resolved, and awaited when the module's function returns a promise. Variables inside
 * the section are left as written.
 */
export async function loadServerlessSection(
  serverlessYmlPath: string,
  section: string,
  options: LoadOptions,
): Promise<JsonValue | undefined> {
  const absolutePath = path.resolve(serverlessYmlPath);
  const document = readYamlFile(absolutePath);
  if (!isJsonObject(document)) throw new Error(`${absolutePath}: expected a YAML mapping at the top level`);
  return new VariableResolver(document, path.dirname(absolutePath), options).resolveSectionAsync(section);
}

/**
 * serverless.yml's `resources` as osls hands them to CloudFormation: the listed sections merged and every
 * osls variable (`${self:…}`, `${sls:stage}`, `${env:…}`, `${param:…, default}`) resolved, while
 * CloudFormation's own `${AWS::Region}` / `${Logical.Attr}` placeholders in `Fn::Sub` stay for the
 * template reader. The local stack loads the roles the simulated AWS evaluates from it.
 */
export async function loadServerlessResources(
  serverlessYmlPath: string,
  options: LoadOptions,
): Promise<JsonObject> {
  const absolutePath = path.resolve(serverlessYmlPath);
  const document = readYamlFile(absolutePath);
  if (!isJsonObject(document)) throw new Error(`${absolutePath}: expected a YAML mapping at the top level`);
  const resolver = new VariableResolver(document, path.dirname(absolutePath), options);
  const section = await resolver.resolveSectionAsync('resources');
  const resolved = section === undefined ? {} : resolver.resolve(section, 'resources');
  if (!isJsonObject(resolved)) throw new Error('serverless.yml: resources must be a mapping');
  return resolved;
}

function readFunctions(
  section: JsonValue | undefined,
  resolver: VariableResolver,
  service: string,
  baseDir: string,
  defaultTimeout: number,
): Record<string, FunctionSpec> {
  const functions: Record<string, FunctionSpec> = {};
  if (!isJsonObject(section)) return functions;
  for (const [key, value] of Object.entries(section)) {
    if (!isJsonObject(value) || value.handler === undefined) continue;
    const handler = resolver.resolveString(value.handler, `functions.${key}.handler`);
    const dot = handler.lastIndexOf('.');
    if (dot <= 0)
      throw new Error(`serverless.yml: functions.${key}.handler must look like path/module.export`);
    const deployedName =
      value.name === undefined
        ? `${service}-${resolver.stage}-${key}`
        : resolver.resolveString(value.name, `functions.${key}.name`);
    functions[key] = {
      key,
      deployedName,
      handler,
      modulePath: path.resolve(baseDir, handler.slice(0, dot)),
      exportName: handler.slice(dot + 1),
      timeoutSeconds: timeoutOf(value.timeout, resolver, `functions.${key}.timeout`) ?? defaultTimeout,
      ...(typeof value.role === 'string'
        ? { role: resolver.resolveString(value.role, `functions.${key}.role`) }
        : {}),
    };
  }
  return functions;
}

/** A `timeout` setting in seconds (a number, or a variable that resolves to one). */
function timeoutOf(
  value: JsonValue | undefined,
  resolver: VariableResolver,
  where: string,
): number | undefined {
  const resolved = value === undefined ? undefined : resolver.resolve(value, where);
  if (resolved === undefined || resolved === null) return undefined;
  const seconds = Number(resolved);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`serverless.yml: ${where} must be a number of seconds`);
  return seconds;
}

function readStateMachines(
  stepFunctions: JsonValue | undefined,
  resolver: VariableResolver,
  functions: Record<string, FunctionSpec>,
): StateMachineSpec[] {
  if (!isJsonObject(stepFunctions) || !isJsonObject(stepFunctions.stateMachines)) return [];
  const machines: StateMachineSpec[] = [];
  for (const [key, value] of Object.entries(stepFunctions.stateMachines)) {
    if (!isJsonObject(value)) continue;
    // serverless-step-functions lets CloudFormation generate a name when none is given; locally the
    // key is the closest stable stand-in.
    const name = value.name === undefined ? key : resolver.resolveString(value.name, `${key}.name`);
    let definition = resolver.resolve(value.definition, `stepFunctions.stateMachines.${key}.definition`);
    if (typeof definition === 'string') definition = toJsonValue(JSON.parse(definition));
    if (
      !isJsonObject(definition) ||
      typeof definition.StartAt !== 'string' ||
      !isJsonObject(definition.States)
    ) {
      throw new Error(`serverless.yml: state machine ${key} has no usable definition (StartAt and States)`);
    }
    machines.push({ key, name, definition: resolveLambdaReferences(definition, functions) });
  }
  return machines;
}

function lambdaNameOf(reference: JsonValue, functions: Record<string, FunctionSpec>): JsonValue {
  if (typeof reference === 'string') {
    return functionNameFromArn(reference) ?? reference;
  }
  if (!isJsonObject(reference) || reference['Fn::GetAtt'] === undefined) return reference;
  const target = reference['Fn::GetAtt'];
  const parts = typeof target === 'string' ? splitAtFirstDot(target) : target;
  const [logicalId, attribute] = Array.isArray(parts) ? parts : [];
  if (typeof logicalId !== 'string' || attribute !== 'Arn') {
    throw new Error(`unsupported Fn::GetAtt in a task: ${JSON.stringify(target)} (expected [function, Arn])`);
  }
  const fn =
    functions[logicalId] ?? Object.values(functions).find((f) => lambdaLogicalId(f.key) === logicalId);
  if (fn === undefined) throw new Error(`Fn::GetAtt names no function in serverless.yml: ${logicalId}`);
  return fn.deployedName;
}

/** Serverless Framework's CloudFormation logical id for a function key (`my-fn` → `MyDashfnLambdaFunction`). */
function lambdaLogicalId(functionKey: string): string {
  const normalized = functionKey.replaceAll('-', 'Dash').replaceAll('_', 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

/**
 * The subset of Serverless Framework variables berth uses. Resolution is lazy (only the parts of
 * serverless.yml the local endpoint reads), so `${ssm:…}` elsewhere in the file does no harm.
 */
class VariableResolver {
  readonly stage: string;
  readonly region: string;

  constructor(
    private readonly document: JsonObject,
    private readonly baseDir: string,
    options: LoadOptions,
  ) {
    this.stage = options.stage;
    const provider = isJsonObject(document.provider) ? document.provider : {};
    const configuredRegion = typeof provider.region === 'string' && !provider.region.includes('${');
    this.region = options.region ?? (configuredRegion ? String(provider.region) : 'us-east-1');
  }

  /**
   * A top-level section; when it is one `${…}` reference (`${file(./infra/stack.js):functions}`),
   * the referenced value as is, without resolving the variables inside it (they are resolved where read).
   */
  resolveSection(section: string): JsonValue | undefined {
    const value = this.document[section];
    const reference = typeof value === 'string' ? /^\$\{([^${}]+)\}$/.exec(value) : null;
    return reference?.[1] === undefined ? value : this.lookup(reference[1], section);
  }

  /**
   * As resolveSection, but a JavaScript module's function may answer with a promise, and a section
   * written as a list (`resources: [${file(a.yml)}, ${file(b.js):c}]`) is merged as osls merges it.
   */
  async resolveSectionAsync(section: string): Promise<JsonValue | undefined> {
    const value = this.document[section];
    if (!Array.isArray(value)) return this.resolveEntry(value, section);
    let merged: JsonObject = {};
    for (const entry of value) {
      const resolved = await this.resolveEntry(entry, section);
      if (!isJsonObject(resolved))
        throw new Error(`serverless.yml: every entry of ${section} must be a mapping`);
      merged = mergeObjects(merged, resolved);
    }
    return merged;
  }

  /** One whole-value `${…}` reference, awaited when a JavaScript module answers with a promise. */
  private async resolveEntry(value: JsonValue | undefined, where: string): Promise<JsonValue | undefined> {
    const reference = typeof value === 'string' ? /^\$\{([^${}]+)\}$/.exec(value.trim()) : null;
    if (reference?.[1] === undefined) return value;
    const module = /^file\(([^)]+\.c?js)\)(?::(.+))?$/.exec(reference[1].trim());
    if (module?.[1] === undefined) return this.lookup(reference[1], where);
    const resolved = await this.moduleValue(path.resolve(this.baseDir, module[1].trim()), module[2]);
    return resolved === undefined ? undefined : toJsonValue(resolved);
  }

  resolveString(value: JsonValue | undefined, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== 'string') throw new Error(`serverless.yml: ${where} must be a string`);
    return resolved;
  }

  /** Resolves every `${…}` in a value, recursively; a whole-string variable may yield an object. */
  resolve(value: JsonValue | undefined, where: string, depth = 0): JsonValue {
    if (depth > 20) throw new Error(`serverless.yml: variables nest too deeply at ${where}`);
    if (value === undefined) throw new Error(`serverless.yml: ${where} is missing`);
    if (Array.isArray(value)) return value.map((item) => this.resolve(item, where, depth));
    if (isJsonObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, where, depth)]));
    }
    if (typeof value !== 'string') return value;
    return this.resolveText(value, where, depth);
  }

  private resolveText(text: string, where: string, depth: number): JsonValue {
    // Innermost first: `${self:custom.${sls:stage}}` resolves `${sls:stage}` before the outer one.
    // `${AWS::Region}` and `${Table.Arn}` are CloudFormation's (Fn::Sub), not osls variables: kept.
    const innermost = /\$\{([^${}]+)\}/g;
    let current = text;
    for (;;) {
      const match = [...current.matchAll(innermost)].find(
        ([, expression]) => !isCloudFormationPlaceholder(expression ?? ''),
      );
      if (match === undefined || match.index === undefined) return current;
      const expression = match[1] ?? '';
      const resolved = this.resolve(this.lookup(expression, where), where, depth + 1);
      if (match[0] === current) return resolved;
      const inline = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
      current = current.slice(0, match.index) + inline + current.slice(match.index + match[0].length);
    }
  }

  private lookup(expression: string, where: string): JsonValue {
    const comma = expression.indexOf(',');
    const address = (comma < 0 ? expression : expression.slice(0, comma)).trim();
    const rest = comma < 0 ? undefined : expression.slice(comma + 1).trim();
    const value = this.lookupAddress(address);
    if (value !== undefined) return value;
    // `${env:AWS_ACCOUNT_ID, aws:accountId}`: an unquoted fallback naming a variable source is another lookup.
    if (rest !== undefined && /^(self|sls|opt|env|aws|param):/.test(rest)) return this.lookup(rest, where);
    const fallback = rest === undefined ? undefined : parseFallback(rest);
    if (fallback !== undefined) return fallback;
    throw new Error(`serverless.yml: cannot resolve \${${expression}} at ${where}`);
  }

  private lookupAddress(address: string): JsonValue | undefined {
    if (address === 'sls:stage' || address === 'opt:stage' || address === 'self:provider.stage')
      return this.stage;
    if (address === 'aws:region' || address === 'opt:region' || address === 'self:provider.region') {
      return this.region;
    }
    if (address === 'aws:accountId') return LOCAL_ACCOUNT_ID;
    if (address.startsWith('env:')) return process.env[address.slice(4)];
    if (address.startsWith('self:')) return pathLookup(this.document, address.slice(5));
    const file = /^file\(([^)]+)\)(?::(.+))?$/.exec(address);
    if (file?.[1] !== undefined) {
      const filePath = path.resolve(this.baseDir, file[1].trim());
      if (/\.c?js$/.test(filePath)) {
        const value = this.moduleValue(filePath, file[2]);
        if (value instanceof Promise) {
          throw new Error(
            `serverless.yml: \${${address}} answers asynchronously; read it with loadServerlessSection`,
          );
        }
        return value === undefined ? undefined : toJsonValue(value);
      }
      const content = readYamlFile(filePath);
      return file[2] === undefined ? content : pathLookup(content, file[2]);
    }
    return undefined;
  }

  /**
   * A `${file(x.js):address}` value as osls resolves it: the module's export, then the address's
   * property; the first function on the way is called, with the CLI options (osls also passes
   * variable resolvers, which berth's modules use only for what a local reader does not need).
   */
  moduleValue(filePath: string, address: string | undefined): unknown {
    let called = false;
    const call = (value: unknown): unknown => {
      if (typeof value !== 'function' || called) return value;
      called = true;
      // osls also hands modules a resolver of other configuration properties (infra/stack.js reads
      // provider.tracing.lambda with it, so the local roles carry the X-Ray grant the deployed ones do).
      const resolveConfigurationProperty = async (keys: readonly string[]) => {
        const found = pathLookup(this.document, keys.join('.'));
        return found === undefined ? undefined : this.resolve(found, keys.join('.'));
      };
      return value({ options: { stage: this.stage, region: this.region }, resolveConfigurationProperty });
    };
    let current: unknown = call(require(filePath));
    for (const segment of address === undefined ? [] : address.split('.')) {
      if (typeof current !== 'object' || current === null) return undefined;
      current = call(Reflect.get(current, segment));
    }
    return current;
  }
}

/** `AWS::Region`, `Table.Arn`, `Table`: a pseudo parameter, attribute or logical id inside `Fn::Sub`. */
function isCloudFormationPlaceholder(expression: string): boolean {
  return /^AWS::[A-Za-z]+$/.test(expression) || /^[A-Za-z0-9]+(\.[A-Za-z0-9.]+)?$/.test(expression);
}

/** osls's merge of list sections: mappings merge key by key, anything else is replaced by the later value. */
function mergeObjects(base: JsonObject, addition: JsonObject): JsonObject {
  const merged: JsonObject = { ...base };
  for (const [key, value] of Object.entries(addition)) {
    const existing = merged[key];
    merged[key] = isJsonObject(existing) && isJsonObject(value) ? mergeObjects(existing, value) : value;
  }
  return merged;
}

function parseFallback(text: string): JsonValue {
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted) return quoted[2] ?? '';
  if (text !== '' && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

function pathLookup(root: JsonValue, dottedPath: string): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const segment of dottedPath.split('.')) {
    if (!isJsonObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** `fn.Arn` → `['fn', 'Arn']`; attribute names may hold dots (`Endpoint.Address`), resource ids may not. */
function splitAtFirstDot(text: string): string[] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text] : [text.slice(0, dot), text.slice(dot + 1)];
}

/** A Lambda function ARN's function name (`arn:aws:lambda:…:function:x[:qualifier]` → `x`), if it is one. */
export function functionNameFromArn(value: string): string | undefined {
  return /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(value)?.[1];
}

/** CloudFormation intrinsic short forms (scalar, sequence and mapping variants of each). */
const CLOUDFORMATION_TAGS: Tags = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Ref',
  'Condition',
].flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  return [
    {
      tag: `!${name}`,
      // `!GetAtt fn.Arn` is the dotted short form of `Fn::GetAtt: [fn, Arn]`.
      resolve: (text: string) => ({ [key]: name === 'GetAtt' ? splitAtFirstDot(text) : text }),
    },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (node: { toJSON(): unknown }) => ({ [key]: node.toJSON() }),
    },
    {
      tag: `!${name}`,
      collection: 'map' as const,
      resolve: (node: { toJSON(): unknown }) => ({ [key]: node.toJSON() }),
    },
  ];
});
