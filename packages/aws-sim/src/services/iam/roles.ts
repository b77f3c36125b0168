/**
 * The roles of the simulated IAM API as resources of the shared store, and their view as IAM state.
 *
 * Why it exists: a role berth creates through IAM must be judged exactly like a role of the template,
 * and must also be an ordinary simulated resource (listed by `/_local/resources?tag=…`, forgotten by a
 * reset). The store holds the only copy (`iam-role`, keyed by role name); `apiRoleSource` lets
 * `IamState` read those records on every look-up, turning them into the `RoleRecord` the evaluator
 * uses: inline statements, the statements of the attached managed policies (AWS copies, the template's
 * customer managed policies, those of CreatePolicy: ./policies.ts), the boundary.
 */
import type { ApiRoleSource, RoleRecord } from '../../iam/identities';
import { parseStatement, type Statement } from '../../iam/policy';
import { AwsError, type ResourceStore, type SimContext, type SimResource } from '../../kernel';
import { stableIamId } from './ids';
import { type PolicyLookup, policyLookup } from './policies';

export const ROLE_TYPE = 'iam-role';

/** An inline policy: the document as the caller sent it, and its statements as the evaluator reads them. */
export interface InlinePolicy {
  readonly document: string;
  readonly statements: readonly Statement[];
}

export interface IamRoleResource extends SimResource {
  type: typeof ROLE_TYPE;
  /** The role name. */
  id: string;
  arn: string;
  roleId: string;
  path: string;
  description?: string;
  maxSessionDuration: number;
  /** The trust policy as sent (JSON text); answers carry it URL-encoded, as IAM does. */
  assumeRolePolicyDocument: string;
  inlinePolicies: Record<string, InlinePolicy>;
  attachedPolicyArns: string[];
  permissionsBoundaryArn?: string;
}

/** IAM's errors, with the HTTP status its model gives each code. */
export const iamError = {
  noSuchEntity: (message: string) => new AwsError('NoSuchEntity', message, 404),
  alreadyExists: (message: string) => new AwsError('EntityAlreadyExists', message, 409),
  deleteConflict: (message: string) => new AwsError('DeleteConflict', message, 409),
  limitExceeded: (message: string) => new AwsError('LimitExceeded', message, 409),
  malformed: (message: string) => new AwsError('MalformedPolicyDocument', message, 400),
  invalidInput: (message: string) => new AwsError('InvalidInput', message, 400),
  validation: (message: string) => new AwsError('ValidationError', message, 400),
  unmodifiable: (message: string) => new AwsError('UnmodifiableEntity', message, 400),
};

/** `arn:aws:iam::<account>:role<path><name>` (IAM ARNs have no region). */
export function roleArn(accountId: string, path: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role${path}${roleName}`;
}

export function storedRole(ctx: SimContext, roleName: string): IamRoleResource | undefined {
  return ctx.store.get<IamRoleResource>(ROLE_TYPE, roleName);
}

/**
 * IAM's view of a stored role: what `IamState` evaluates. A boundary whose policy cannot be found
 * (none can be deleted while in use, so this is a simulator fault) allows nothing: fail closed.
 */
export function roleRecord(role: IamRoleResource, policies: PolicyLookup): RoleRecord {
  const boundaryArn = role.permissionsBoundaryArn;
  return {
    roleName: role.id,
    roleArn: role.arn,
    source: 'api',
    assumeRolePolicy: parseJson(role.assumeRolePolicyDocument),
    inlinePolicies: new Map(
      Object.entries(role.inlinePolicies).map(([name, policy]) => [name, policy.statements]),
    ),
    managedStatements: role.attachedPolicyArns.flatMap((arn) => policies(arn)?.statements ?? []),
    managedPolicyArns: [...role.attachedPolicyArns],
    ...(boundaryArn ? { boundary: policies(boundaryArn)?.statements ?? [], boundaryArn } : {}),
    tags: role.tags,
    path: role.path,
    createdAt: role.createdAt,
  };
}

/**
 * Lets `IamState` read the roles of this simulator's store. Every IAM call (and its authorizer) makes
 * sure of it; an API role cannot exist before the first CreateRole, so nothing is missed before then.
 */
export function connectApiRoles(ctx: SimContext): void {
  ctx.iam.useApiRoles(apiRoleSource(ctx.store, policyLookup(ctx.store, ctx.iam)));
}

/** The store's roles as `IamState` asks for them (read on every look-up, so there is no copy to keep in step). */
export function apiRoleSource(store: ResourceStore, policies: PolicyLookup): ApiRoleSource {
  return {
    role: (roleName) => {
      const role = store.get<IamRoleResource>(ROLE_TYPE, roleName);
      return role ? roleRecord(role, policies) : undefined;
    },
    list: () => store.list<IamRoleResource>(ROLE_TYPE).map((role) => roleRecord(role, policies)),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A policy document's JSON, or IAM's MalformedPolicyDocument. */
function documentObject(text: string): Record<string, unknown> {
  const parsed = parseJson(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw iamError.malformed('This policy contains invalid Json');
  }
  const document = parsed as Record<string, unknown>;
  const version = document.Version;
  if (version !== undefined && version !== '2012-10-17' && version !== '2008-10-17') {
    throw iamError.malformed('The policy failed legacy parsing');
  }
  if (document.Statement === undefined) throw iamError.malformed('Syntax errors in policy.');
  return document;
}

function statementsOf(document: Record<string, unknown>): unknown[] {
  const statement = document.Statement;
  return Array.isArray(statement) ? statement : [statement];
}

/**
 * An identity-based policy's statements, read with the evaluator's own parser, so a statement the
 * evaluator could not read is refused here as AWS refuses a malformed document.
 */
export function identityPolicyStatements(text: string): Statement[] {
  const document = documentObject(text);
  return statementsOf(document).map((raw, index) => {
    if (typeof raw === 'object' && raw !== null && ('Principal' in raw || 'NotPrincipal' in raw)) {
      throw iamError.malformed('Policy document should not specify a principal.');
    }
    try {
      return parseStatement(raw, `Statement[${index}]`);
    } catch (error) {
      throw iamError.malformed(error instanceof Error ? error.message : String(error));
    }
  });
}

/** A trust policy: statements with an Effect, a Principal and an Action, and no Resource. */
export function validateTrustPolicy(text: string): void {
  const document = documentObject(text);
  for (const raw of statementsOf(document)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw iamError.malformed('Syntax errors in policy.');
    }
    const statement = raw as Record<string, unknown>;
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
      throw iamError.malformed('Invalid effect.');
    }
    if (statement.Principal === undefined && statement.NotPrincipal === undefined) {
      throw iamError.malformed(
        'AssumeRolepolicy contains an invalid principal: missing required field Principal',
      );
    }
    if (statement.Resource !== undefined || statement.NotResource !== undefined) {
      throw iamError.malformed('Has prohibited field Resource');
    }
    if (statement.Action === undefined && statement.NotAction === undefined) {
      throw iamError.malformed('Missing required field Action');
    }
  }
}

/** RFC 3986 percent-encoding, as IAM returns policy documents (`encodeURIComponent` leaves `!'()*`). */
export function encodePolicyDocument(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** A stable `AROA…` id for a role (template roles have none stored). */
export function roleIdFor(seed: string): string {
  return stableIamId('AROA', seed);
}
