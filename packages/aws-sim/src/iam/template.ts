/**
 * The IAM roles of a packaged CloudFormation template, with their policies as concrete statements.
 *
 * Why it exists: the simulated AWS is to judge each request by the role of the Lambda function that
 * sent it, and the roles berth deploys are the ones `osls package` writes into
 * `.serverless/cloudformation-template-update-stack.json`. This module reads that template (already
 * parsed JSON; no I/O here) and resolves the intrinsic functions inside the roles' policies to the
 * strings CloudFormation would produce, so the evaluator (./policy.ts) sees plain ARNs.
 *
 * It also reads the template's customer managed policies (`AWS::IAM::ManagedPolicy`): their statements
 * count for the roles that attach them (the role's `ManagedPolicyArns`, or the policy's `Roles`) or use
 * them as `PermissionsBoundary`, and `Ref` to one is its ARN, as CloudFormation answers it.
 *
 * It refuses rather than guesses: an intrinsic, a resource type or an attribute it does not resolve,
 * and a managed policy it has no copy of, are errors naming the role and the path inside it. The ARN
 * formats of the attributes are CloudFormation's return values (docs/aws-facts.md#iam-policy-evaluation);
 * note that a log group's `Arn` ends in `:*`.
 */
import { MANAGED_POLICIES } from './managed-policies';
import { parseStatement, type Statement } from './policy';

export interface TemplateEnvironment {
  readonly region: string;
  readonly accountId: string;
  readonly partition?: string;
  /** `${AWS::StackName}` resolves only when this is given (osls names the stack `<service>-<stage>`). */
  readonly stackName?: string;
}

export interface Role {
  readonly logicalId: string;
  /** `RoleName` when the template sets it; otherwise the logical id (see `nameGenerated`). */
  readonly roleName: string;
  /**
   * True when the template sets no `RoleName`: CloudFormation would then generate one
   * (`<stack>-<logicalId>-<random>`), which cannot be known before deploying, so the logical id stands in.
   */
  readonly nameGenerated: boolean;
  readonly roleArn: string;
  readonly managedPolicyArns: readonly string[];
  /** Inline policies' statements first, in template order, then the managed policies' statements. */
  readonly statements: readonly Statement[];
  /** The `PermissionsBoundary` policy's ARN and statements, when the template sets one. */
  readonly boundaryArn?: string;
  readonly boundaryStatements?: readonly Statement[];
}

/** A customer managed policy of the template (`AWS::IAM::ManagedPolicy`). */
export interface CustomerManagedPolicy {
  readonly logicalId: string;
  /** `ManagedPolicyName` when the template sets it; otherwise the logical id (see `nameGenerated`). */
  readonly policyName: string;
  /**
   * True when the template sets no `ManagedPolicyName`: CloudFormation would then generate one
   * (`<stack>-<logicalId>-<random>`), which cannot be known before deploying, so the logical id stands in.
   */
  readonly nameGenerated: boolean;
  /** `arn:<partition>:iam::<account>:policy<Path><name>`: what `Ref` to the resource answers. */
  readonly policyArn: string;
  readonly path: string;
  readonly description?: string;
  /** The document with its intrinsics resolved (JSON text, as IAM would store it). */
  readonly document: string;
  readonly statements: readonly Statement[];
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Resource {
  readonly Type: string;
  readonly Properties: JsonObject;
}

/**
 * Every `AWS::IAM::Role` of the template, keyed by its role name and by its logical id (both keys
 * give the same entry; for a role without `RoleName` the two are the same).
 */
export function rolesFromTemplate(template: unknown, environment: TemplateEnvironment): Map<string, Role> {
  return iamFromTemplate(template, environment).roles;
}

/**
 * Every `AWS::IAM::ManagedPolicy` of the template, keyed by its ARN and by its logical id (both keys
 * give the same entry).
 */
export function managedPoliciesFromTemplate(
  template: unknown,
  environment: TemplateEnvironment,
): Map<string, CustomerManagedPolicy> {
  return iamFromTemplate(template, environment).policies;
}

/** The template's roles and customer managed policies, read together (a role may attach a policy). */
export function iamFromTemplate(
  template: unknown,
  environment: TemplateEnvironment,
): { roles: Map<string, Role>; policies: Map<string, CustomerManagedPolicy> } {
  const resources = resourcesOf(template);
  const resolver = new Resolver(resources, environment);
  const policies = new Map<string, CustomerManagedPolicy>();
  /** Role name → the template policies that name the role in their `Roles`. */
  const attachedByPolicy = new Map<string, string[]>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const policy = readManagedPolicy(logicalId, resource, resolver);
    policies.set(logicalId, policy);
    policies.set(policy.policyArn, policy);
    for (const [index, role] of asArray(resource.Properties.Roles).entries()) {
      const path = `${logicalId}.Properties.Roles[${index}]`;
      const roleName = resolver.resolve(role, path);
      if (typeof roleName !== 'string') throw new TemplateError(`${path}: not a string`);
      attachedByPolicy.set(roleName, [...(attachedByPolicy.get(roleName) ?? []), policy.policyArn]);
    }
  }
  const roles = new Map<string, Role>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const role = readRole(logicalId, resource, resolver, policies, attachedByPolicy);
    roles.set(logicalId, role);
    roles.set(role.roleName, role);
  }
  return { roles, policies };
}

function readManagedPolicy(logicalId: string, resource: Resource, resolver: Resolver): CustomerManagedPolicy {
  const properties = resource.Properties;
  const name = resolver.managedPolicyName(logicalId);
  const where = `${logicalId}.Properties.PolicyDocument`;
  const document = resolver.resolve(properties.PolicyDocument ?? null, where);
  if (!isObject(document)) throw new TemplateError(`${where}: missing`);
  const statements = asArray(document.Statement).map((statement, position) =>
    toStatement(statement, `${where}.Statement[${position}]`),
  );
  const description =
    properties.Description === undefined
      ? undefined
      : resolver.resolve(properties.Description, `${logicalId}.Properties.Description`);
  if (description !== undefined && typeof description !== 'string') {
    throw new TemplateError(`${logicalId}.Properties.Description: not a string`);
  }
  return {
    logicalId,
    policyName: name.value,
    nameGenerated: name.generated,
    policyArn: resolver.managedPolicyArn(logicalId),
    path: resolver.iamPath(logicalId, resource),
    ...(description !== undefined ? { description } : {}),
    document: JSON.stringify(document),
    statements,
  };
}

function resourcesOf(template: unknown): Record<string, Resource> {
  if (!isObject(template) || !isObject(template.Resources)) {
    throw new TemplateError('not a CloudFormation template: no Resources object');
  }
  const resources: Record<string, Resource> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!isObject(resource) || typeof resource.Type !== 'string') {
      throw new TemplateError(`${logicalId}: a resource needs a Type`);
    }
    resources[logicalId] = {
      Type: resource.Type,
      Properties: isObject(resource.Properties) ? resource.Properties : {},
    };
  }
  return resources;
}

function readRole(
  logicalId: string,
  resource: Resource,
  resolver: Resolver,
  policies: ReadonlyMap<string, CustomerManagedPolicy>,
  attachedByPolicy: ReadonlyMap<string, readonly string[]>,
): Role {
  const properties = resource.Properties;
  const name = resolver.roleName(logicalId);
  const statements: Statement[] = [];
  for (const [index, policy] of asArray(properties.Policies).entries()) {
    const where = `${logicalId}.Properties.Policies[${index}]`;
    const document = isObject(policy) ? policy.PolicyDocument : undefined;
    if (!isObject(document)) throw new TemplateError(`${where}.PolicyDocument: missing`);
    for (const [position, statement] of asArray(document.Statement).entries()) {
      const path = `${where}.PolicyDocument.Statement[${position}]`;
      statements.push(toStatement(resolver.resolve(statement, path), path));
    }
  }
  const listed = asArray(properties.ManagedPolicyArns).map((arn, index) => {
    const path = `${logicalId}.Properties.ManagedPolicyArns[${index}]`;
    const resolved = resolver.resolve(arn, path);
    if (typeof resolved !== 'string') throw new TemplateError(`${path}: not a string`);
    return resolved;
  });
  for (const [index, arn] of listed.entries()) {
    statements.push(
      ...policyStatements(arn, policies, `${logicalId}.Properties.ManagedPolicyArns[${index}]`),
    );
  }
  // A template policy may attach itself to the role through its own `Roles` property.
  const byPolicy = (attachedByPolicy.get(name.value) ?? []).filter((arn) => !listed.includes(arn));
  for (const arn of byPolicy) statements.push(...(policies.get(arn)?.statements ?? []));
  let boundary: { boundaryArn: string; boundaryStatements: readonly Statement[] } | undefined;
  if (properties.PermissionsBoundary !== undefined) {
    const path = `${logicalId}.Properties.PermissionsBoundary`;
    const arn = resolver.resolve(properties.PermissionsBoundary, path);
    if (typeof arn !== 'string') throw new TemplateError(`${path}: not a string`);
    boundary = { boundaryArn: arn, boundaryStatements: policyStatements(arn, policies, path) };
  }
  return {
    logicalId,
    roleName: name.value,
    nameGenerated: name.generated,
    roleArn: resolver.getAtt(logicalId, 'Arn', `${logicalId}`),
    managedPolicyArns: [...listed, ...byPolicy],
    statements,
    ...(boundary ?? {}),
  };
}

/** A managed policy's statements: the template's customer policy of that ARN, or a built-in AWS copy. */
function policyStatements(
  arn: string,
  policies: ReadonlyMap<string, CustomerManagedPolicy>,
  path: string,
): readonly Statement[] {
  const customer = policies.get(arn);
  if (customer !== undefined && customer.policyArn === arn) return customer.statements;
  const managed = MANAGED_POLICIES.get(arn.replace(/^arn:[^:]+:/, 'arn:aws:'));
  if (managed === undefined) {
    throw new TemplateError(
      `${path}: no built-in copy of the managed policy ${arn}, and no AWS::IAM::ManagedPolicy of the template has that ARN`,
    );
  }
  return managed.statements;
}

function toStatement(value: Json, path: string): Statement {
  try {
    return parseStatement(value, path);
  } catch (error) {
    throw new TemplateError(error instanceof Error ? error.message : String(error));
  }
}

/** Resolves the intrinsics berth's policies use: Ref, Fn::GetAtt (Arn), Fn::Sub and Fn::Join. */
class Resolver {
  private readonly partition: string;

  constructor(
    private readonly resources: Record<string, Resource>,
    private readonly environment: TemplateEnvironment,
  ) {
    this.partition = environment.partition ?? 'aws';
  }

  resolve(value: Json, path: string): Json {
    if (Array.isArray(value)) return value.map((item, index) => this.resolve(item, `${path}[${index}]`));
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const [only] = keys;
    if (keys.length === 1 && only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(only, value[only] ?? null, `${path}.${only}`);
    }
    const resolved: JsonObject = {};
    for (const [key, item] of Object.entries(value)) resolved[key] = this.resolve(item, `${path}.${key}`);
    return resolved;
  }

  private intrinsic(name: string, argument: Json, path: string): string {
    switch (name) {
      case 'Ref':
        if (typeof argument !== 'string') throw new TemplateError(`${path}: Ref takes a name`);
        return this.ref(argument, path);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] =
          typeof argument === 'string' ? splitOnce(argument, '.') : Array.isArray(argument) ? argument : [];
        if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
          throw new TemplateError(`${path}: Fn::GetAtt takes [LogicalId, Attribute]`);
        }
        return this.getAtt(logicalId, attribute, path);
      }
      case 'Fn::Sub':
        return this.sub(argument, path);
      case 'Fn::Join': {
        const [separator, parts] = Array.isArray(argument) ? argument : [];
        if (typeof separator !== 'string' || !Array.isArray(parts)) {
          throw new TemplateError(`${path}: Fn::Join takes [separator, [parts]]`);
        }
        return parts
          .map((part, index) => {
            const resolved = this.resolve(part, `${path}[1][${index}]`);
            if (typeof resolved !== 'string') throw new TemplateError(`${path}[1][${index}]: not a string`);
            return resolved;
          })
          .join(separator);
      }
      default:
        throw new TemplateError(`${path}: the intrinsic function ${name} is not resolved`);
    }
  }

  private sub(argument: Json, path: string): string {
    const [text, variables] =
      typeof argument === 'string'
        ? [argument, {}]
        : Array.isArray(argument)
          ? argument
          : [undefined, undefined];
    if (typeof text !== 'string' || !isObject(variables ?? {})) {
      throw new TemplateError(`${path}: Fn::Sub takes a string or [string, {variables}]`);
    }
    const bound = isObject(variables) ? variables : {};
    return text.replace(/\$\{([^}]*)\}/g, (placeholder, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const variable = bound[inner];
      if (variable !== undefined) {
        const resolved = this.resolve(variable, `${path}[1].${inner}`);
        if (typeof resolved !== 'string') throw new TemplateError(`${path}[1].${inner}: not a string`);
        return resolved;
      }
      if (inner.startsWith('AWS::')) return this.ref(inner, `${path} ${placeholder}`);
      const [logicalId, attribute] = splitOnce(inner, '.');
      if (attribute !== undefined) return this.getAtt(logicalId, attribute, `${path} ${placeholder}`);
      return this.ref(logicalId, `${path} ${placeholder}`);
    });
  }

  private ref(name: string, path: string): string {
    switch (name) {
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::Region':
        return this.environment.region;
      case 'AWS::AccountId':
        return this.environment.accountId;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        if (this.environment.stackName !== undefined) return this.environment.stackName;
        throw new TemplateError(`${path}: AWS::StackName needs the stack name`);
    }
    const resource = this.resources[name];
    if (resource === undefined)
      throw new TemplateError(`${path}: Ref to ${name}, which is not in the template`);
    if (resource.Type === 'AWS::IAM::Role') return this.roleName(name).value;
    // CloudFormation's Ref of an AWS::IAM::ManagedPolicy is the policy's ARN.
    if (resource.Type === 'AWS::IAM::ManagedPolicy') return this.managedPolicyArn(name);
    return this.nameOf(name, resource, path);
  }

  /** The physical name CloudFormation gives a resource berth names; Ref returns it for these types. */
  private nameOf(logicalId: string, resource: Resource, path: string): string {
    const property = NAME_PROPERTIES[resource.Type];
    if (property === undefined) {
      throw new TemplateError(`${path}: ${logicalId} is a ${resource.Type}, whose name/ARN is not resolved`);
    }
    const raw = resource.Properties[property];
    if (raw === undefined) {
      throw new TemplateError(`${path}: ${logicalId} has no ${property} (a generated name cannot be known)`);
    }
    const value = this.resolve(raw, `${logicalId}.Properties.${property}`);
    if (typeof value !== 'string')
      throw new TemplateError(`${logicalId}.Properties.${property}: not a string`);
    return value;
  }

  roleName(logicalId: string): { value: string; generated: boolean } {
    const resource = this.resources[logicalId];
    const raw = resource?.Properties.RoleName;
    if (raw === undefined) return { value: logicalId, generated: true };
    const value = this.resolve(raw, `${logicalId}.Properties.RoleName`);
    if (typeof value !== 'string') throw new TemplateError(`${logicalId}.Properties.RoleName: not a string`);
    return { value, generated: false };
  }

  /** `ManagedPolicyName`, or the logical id standing in for the name CloudFormation would generate. */
  managedPolicyName(logicalId: string): { value: string; generated: boolean } {
    const raw = this.resources[logicalId]?.Properties.ManagedPolicyName;
    if (raw === undefined) return { value: logicalId, generated: true };
    const value = this.resolve(raw, `${logicalId}.Properties.ManagedPolicyName`);
    if (typeof value !== 'string') {
      throw new TemplateError(`${logicalId}.Properties.ManagedPolicyName: not a string`);
    }
    return { value, generated: false };
  }

  /** `arn:<partition>:iam::<account>:policy<Path><name>`. */
  managedPolicyArn(logicalId: string): string {
    const resource = this.resources[logicalId];
    if (resource === undefined) throw new TemplateError(`${logicalId}: not in the template`);
    const { accountId } = this.environment;
    return `arn:${this.partition}:iam::${accountId}:policy${this.iamPath(logicalId, resource)}${this.managedPolicyName(logicalId).value}`;
  }

  getAtt(logicalId: string, attribute: string, path: string): string {
    const resource = this.resources[logicalId];
    if (resource === undefined) {
      throw new TemplateError(`${path}: Fn::GetAtt of ${logicalId}, which is not in the template`);
    }
    if (resource.Type === 'AWS::IAM::ManagedPolicy' && attribute === 'PolicyArn') {
      return this.managedPolicyArn(logicalId);
    }
    if (attribute !== 'Arn') {
      throw new TemplateError(`${path}: Fn::GetAtt ${logicalId}.${attribute}: only Arn is resolved`);
    }
    const { partition } = this;
    const { region, accountId } = this.environment;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return `arn:${partition}:dynamodb:${region}:${accountId}:table/${this.nameOf(logicalId, resource, path)}`;
      case 'AWS::Events::EventBus':
        return `arn:${partition}:events:${region}:${accountId}:event-bus/${this.nameOf(logicalId, resource, path)}`;
      case 'AWS::Logs::LogGroup':
        // CloudFormation's Arn of a log group ends in ":*" (all its log streams).
        return `arn:${partition}:logs:${region}:${accountId}:log-group:${this.nameOf(logicalId, resource, path)}:*`;
      case 'AWS::Lambda::Function':
        return `arn:${partition}:lambda:${region}:${accountId}:function:${this.nameOf(logicalId, resource, path)}`;
      case 'AWS::IAM::Role':
        return `arn:${partition}:iam::${accountId}:role${this.iamPath(logicalId, resource)}${this.roleName(logicalId).value}`;
      case 'AWS::IAM::InstanceProfile':
        return `arn:${partition}:iam::${accountId}:instance-profile${this.iamPath(logicalId, resource)}${this.nameOf(logicalId, resource, path)}`;
      default:
        throw new TemplateError(`${path}: Fn::GetAtt ${logicalId}.Arn of a ${resource.Type} is not resolved`);
    }
  }

  /** An IAM path (`Path`, default `/`) sits between `role` and the name: `role/service/name`. */
  iamPath(logicalId: string, resource: Resource): string {
    const raw = resource.Properties.Path;
    if (raw === undefined) return '/';
    const value = this.resolve(raw, `${logicalId}.Properties.Path`);
    if (typeof value !== 'string' || !value.startsWith('/') || !value.endsWith('/')) {
      throw new TemplateError(`${logicalId}.Properties.Path: an IAM path starts and ends with /`);
    }
    return value;
  }
}

/** The property that holds the physical name, per resource type whose Ref/Arn berth's policies use. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
};

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

function asArray(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
