/**
 * Who is calling, and may they: the simulator's IAM state. It holds the roles (the template's, loaded
 * at start, and those created through the simulated IAM API), the temporary credentials it issued for
 * them (as STS does for a Lambda function's role), and which statement allowed what, so a test run can
 * list the grants nothing used.
 *
 * A request signed with credentials issued here is evaluated against that role (./policy.ts); any other
 * access key is the account's operator (root), so tests and the AWS CLI can arrange fixtures, as with
 * LocalStack. Enforcement is on unless switched off (`PUT /_local/iam { "enforce": false }`).
 */
import type { AccessRequest } from './access';
import { actionMatches, type Decision, evaluate, type Statement } from './policy';
import type { CustomerManagedPolicy, Role } from './template';

export interface RoleRecord {
  readonly roleName: string;
  readonly roleArn: string;
  /** `template` roles outlive a reset; `api` roles are resources like any other. */
  readonly source: 'template' | 'api';
  /** The trust policy document as given (evaluated by the services that assume the role). */
  readonly assumeRolePolicy?: unknown;
  /** Inline policies by name, then the managed policies' statements. */
  readonly inlinePolicies: Map<string, readonly Statement[]>;
  readonly managedStatements: readonly Statement[];
  readonly managedPolicyArns: readonly string[];
  /** A permissions boundary: when set, a request must be allowed by it too. */
  readonly boundary?: readonly Statement[];
  readonly boundaryArn?: string;
  readonly tags: Record<string, string>;
  readonly path: string;
  readonly createdAt: number;
}

export interface Principal {
  readonly roleName: string;
  readonly sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as AWS names a role session. */
  readonly arn: string;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export type Verdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly request: AccessRequest; readonly decision: Decision };

export interface Denial {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
}

/** A statement (or one action pattern of it) that allowed nothing in this run. */
export interface UnusedGrant {
  readonly role: string;
  readonly statement: number;
  readonly sid?: string;
  /** The statement's action patterns that never matched an allowed request. */
  readonly actions: readonly string[];
  /** True when no request at all was allowed by the statement. */
  readonly wholeStatement: boolean;
}

const MAX_DENIALS = 500;

/**
 * Where the roles created through the simulated IAM API live (services/iam.ts keeps them in the
 * resource store, so the inventory lists them and a reset forgets them). IamState asks it on every
 * look-up instead of copying them: one source of truth.
 */
export interface ApiRoleSource {
  role(roleName: string): RoleRecord | undefined;
  list(): RoleRecord[];
}

/** A customer managed policy the template declares: outlives a reset, as template roles do. */
export interface TemplatePolicyRecord extends CustomerManagedPolicy {
  readonly createdAt: number;
}

export class IamState {
  enforce: boolean;
  private readonly roles = new Map<string, RoleRecord>();
  /** The template's customer managed policies, by ARN. */
  private readonly policies = new Map<string, TemplatePolicyRecord>();
  private apiRoles: ApiRoleSource | undefined;
  private readonly sessions = new Map<string, Principal>();
  /** role → statement index → action pattern → allowed requests. */
  private readonly usage = new Map<string, Map<number, Map<string, number>>>();
  private denialLog: Denial[] = [];
  private issued = 0;

  constructor(
    private readonly accountId: string,
    options: { enforce?: boolean } = {},
  ) {
    this.enforce = options.enforce ?? true;
  }

  /** Adds (or replaces) the template's roles; they stay across resets. */
  loadTemplateRoles(roles: Iterable<Role>, createdAt: number): void {
    for (const role of roles) {
      this.roles.set(role.roleName, {
        roleName: role.roleName,
        roleArn: role.roleArn,
        source: 'template',
        inlinePolicies: new Map([['template', role.statements]]),
        managedStatements: [],
        managedPolicyArns: role.managedPolicyArns,
        ...(role.boundaryArn !== undefined
          ? { boundary: role.boundaryStatements ?? [], boundaryArn: role.boundaryArn }
          : {}),
        tags: {},
        path: '/',
        createdAt,
      });
    }
  }

  /** Adds (or replaces) the template's customer managed policies; they stay across resets. */
  loadTemplatePolicies(policies: Iterable<CustomerManagedPolicy>, createdAt: number): void {
    for (const policy of policies) this.policies.set(policy.policyArn, { ...policy, createdAt });
  }

  /** A customer managed policy of the template, by ARN. */
  templatePolicy(policyArn: string): TemplatePolicyRecord | undefined {
    return this.policies.get(policyArn);
  }

  listTemplatePolicies(): TemplatePolicyRecord[] {
    return [...this.policies.values()];
  }

  /** The roles of the IAM API, looked up on demand (the last source given wins). */
  useApiRoles(source: ApiRoleSource): void {
    this.apiRoles = source;
  }

  deleteRole(roleName: string): boolean {
    this.usage.delete(roleName);
    return this.roles.delete(roleName);
  }

  /** A template role, or else a role of the IAM API. */
  role(roleName: string): RoleRecord | undefined {
    return this.roles.get(roleName) ?? this.apiRoles?.role(roleName);
  }

  /** A role by its ARN (`arn:aws:iam::<account>:role[/path]/<name>`). */
  roleByArn(roleArn: string): RoleRecord | undefined {
    const name = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(roleArn)?.[1];
    const role = name === undefined ? undefined : this.role(name);
    return role?.roleArn === roleArn ? role : undefined;
  }

  listRoles(): RoleRecord[] {
    const names = new Set(this.roles.keys());
    const api = (this.apiRoles?.list() ?? []).filter((role) => !names.has(role.roleName));
    return [...this.roles.values(), ...api];
  }

  /** Temporary credentials for a session of the role (a Lambda function's, as the runtime gets them). */
  issueCredentials(roleName: string, sessionName: string): Credentials {
    if (!this.role(roleName)) throw new Error(`no role ${roleName} to issue credentials for`);
    this.issued += 1;
    const serial = this.issued.toString(36).toUpperCase().padStart(6, '0');
    const accessKeyId = `ASIASIM${serial}${randomUpper(7)}`;
    this.sessions.set(accessKeyId, {
      roleName,
      sessionName,
      arn: `arn:aws:sts::${this.accountId}:assumed-role/${roleName}/${sessionName}`,
    });
    return { accessKeyId, secretAccessKey: randomUpper(40), sessionToken: randomUpper(64) };
  }

  /** The role session behind an access key, or undefined for the operator's (any key not issued here). */
  principalOf(accessKeyId: string | undefined): Principal | undefined {
    return accessKeyId === undefined ? undefined : this.sessions.get(accessKeyId);
  }

  /** Every request must be allowed by the principal's role (and its boundary); the first refusal answers. */
  authorize(principal: Principal, requests: readonly AccessRequest[]): Verdict {
    const role = this.role(principal.roleName);
    for (const request of requests) {
      const decision = role
        ? this.decide(role, request)
        : { decision: 'ImplicitDeny' as const, reason: `role ${principal.roleName} no longer exists` };
      if (decision.decision !== 'Allow') {
        this.recordDenial(principal.arn, request, decision.reason);
        return { allowed: false, request, decision };
      }
    }
    return { allowed: true };
  }

  /**
   * What a service checks on a role it acts as (ECS with a task's execution role, Scheduler with a
   * schedule's role). An unknown role is denied.
   */
  roleAllows(roleArn: string, request: AccessRequest): Decision {
    const role = this.roleByArn(roleArn);
    if (role === undefined) return { decision: 'ImplicitDeny', reason: `no role ${roleArn}` };
    const decision = this.decide(role, request);
    if (decision.decision !== 'Allow') this.recordDenial(role.roleArn, request, decision.reason);
    return decision;
  }

  denials(): Denial[] {
    return [...this.denialLog];
  }

  /** The template roles' grants that allowed nothing since start (API roles come and go). */
  unusedGrants(): UnusedGrant[] {
    const unused: UnusedGrant[] = [];
    for (const role of this.roles.values()) {
      if (role.source !== 'template') continue;
      const byStatement = this.usage.get(role.roleName);
      statementsOf(role).forEach((statement, index) => {
        const hits = byStatement?.get(index);
        const patterns = listOf(statement.Action ?? statement.NotAction ?? []);
        const actions = patterns.filter((pattern) => (hits?.get(pattern) ?? 0) === 0);
        if (actions.length === 0 || statement.Effect !== 'Allow') return;
        unused.push({
          role: role.roleName,
          statement: index,
          ...(statement.Sid ? { sid: statement.Sid } : {}),
          actions,
          wholeStatement: hits === undefined,
        });
      });
    }
    return unused;
  }

  /** Forget API-created roles and the denial log; template roles, credentials and usage stay. */
  reset(): void {
    for (const [name, role] of this.roles) if (role.source === 'api') this.roles.delete(name);
    this.denialLog = [];
  }

  /**
   * The identity policies and the boundary both decide: an explicit Deny in either wins, then the
   * request needs an Allow from each (AWS: "The effective permissions are the intersection of both
   * policy types. An explicit deny in either of these policies overrides the allow.").
   */
  private decide(role: RoleRecord, request: AccessRequest): Decision {
    const evaluated = { action: request.action, resource: request.resource, context: request.context ?? {} };
    const statements = statementsOf(role);
    const decision = evaluate(statements, evaluated);
    const bounded = role.boundary === undefined ? undefined : evaluate(role.boundary, evaluated);
    const byBoundary = (boundary: Decision): Decision => ({
      decision: boundary.decision,
      policyType: 'permissions boundary',
      reason: `the permissions boundary ${role.boundaryArn ?? ''} does not allow it: ${boundary.reason}`,
    });
    if (decision.decision === 'ExplicitDeny') return decision;
    if (bounded?.decision === 'ExplicitDeny') return byBoundary(bounded);
    if (decision.decision !== 'Allow') return decision;
    if (bounded !== undefined && bounded.decision !== 'Allow') return byBoundary(bounded);
    if (decision.statement) {
      this.recordUse(role.roleName, statements.indexOf(decision.statement), decision.statement, request);
    }
    return decision;
  }

  private recordUse(roleName: string, index: number, statement: Statement, request: AccessRequest): void {
    let byStatement = this.usage.get(roleName);
    if (!byStatement) {
      byStatement = new Map();
      this.usage.set(roleName, byStatement);
    }
    let byAction = byStatement.get(index);
    if (!byAction) {
      byAction = new Map();
      byStatement.set(index, byAction);
    }
    const patterns = listOf(statement.Action ?? statement.NotAction ?? []);
    const matched = statement.Action
      ? patterns.filter((pattern) => actionPatternMatches(pattern, request.action))
      : patterns;
    for (const pattern of matched) byAction.set(pattern, (byAction.get(pattern) ?? 0) + 1);
  }

  private recordDenial(principal: string, request: AccessRequest, reason: string): void {
    this.denialLog.push({ principal, action: request.action, resource: request.resource, reason });
    if (this.denialLog.length > MAX_DENIALS) this.denialLog.shift();
  }
}

function statementsOf(role: RoleRecord): Statement[] {
  return [...[...role.inlinePolicies.values()].flat(), ...role.managedStatements];
}

function listOf(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

function actionPatternMatches(pattern: string, action: string): boolean {
  const match = actionMatches(pattern, action);
  return match.known && match.value;
}

function randomUpper(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

/** AWS's wording of a refusal: who, which action, which resource, and why (implicit or explicit). */
export function denialMessage(principalArn: string, request: AccessRequest, decision: Decision): string {
  const policyType = decision.policyType ?? 'identity-based policy';
  const article = policyType === 'identity-based policy' ? 'an' : 'a';
  const why =
    decision.decision === 'ExplicitDeny'
      ? `with an explicit deny in ${article} ${policyType}`
      : `because no ${policyType} allows the ${request.action} action`;
  return (
    `User: ${principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ` +
    `${why} (simulated IAM: ${decision.reason})`
  );
}
