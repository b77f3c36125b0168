/**
 * Simulated AWS IAM (awsQuery, API version 2010-05-08): the role operations berth uses to create a
 * task execution role per environment and task roles per service — create, read, delete, inline and
 * attached policies, tags, listing.
 *
 * Why it exists: a role created here is a role the simulator evaluates. Its record lives in the
 * resource store (iam/roles.ts), and `IamState` reads it from there, so credentials issued for it and
 * the checks services make on a role they act as (`ctx.iam.roleAllows`) see its policies, attached
 * managed policies and permissions boundary: AWS managed (the copies in iam/managed-policies.ts) or
 * customer managed (CreatePolicy, or the template's AWS::IAM::ManagedPolicy: iam/policies.ts); any
 * other ARN is `NoSuchEntity`. Roles loaded from the template answer the read operations; changing them
 * through this API is refused (`UnmodifiableEntity`), since the template is where they are defined.
 * Facts and sources: docs/aws-facts.md#simulated-iam-api.
 */
import { readBoolean, readInteger, readString, readStringList } from '../input';
import type { OperationInput, ServiceDefinition, SimContext } from '../kernel';
import { iamAuthorizers, requestedTags } from './iam/authorization';
import {
  INSTANCE_PROFILE_TYPE,
  type InstanceProfileResource,
  instanceProfileArn,
  profilesOfRole,
  requireInstanceProfile,
} from './iam/instance-profiles';
import {
  findPolicy,
  type IamPolicyResource,
  listAllPolicies,
  POLICY_TYPE,
  type PolicyView,
  policyArn,
  policyIdFor,
} from './iam/policies';
import {
  connectApiRoles,
  encodePolicyDocument,
  type IamRoleResource,
  iamError,
  identityPolicyStatements,
  ROLE_TYPE,
  roleArn,
  roleIdFor,
  storedRole,
  validateTrustPolicy,
} from './iam/roles';

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const MAX_TAGS = 50;
/** IAM quota "Managed policies attached to an IAM role" (default 10). */
const MAX_ATTACHED_POLICIES = 10;
const DEFAULT_SESSION_SECONDS = 3600;

/** AWS's wording for a member that breaks its constraint. */
function constraint(value: string | undefined, member: string, rule: string) {
  const shown = value === undefined ? 'null' : `'${value}'`;
  return iamError.validation(
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${rule}`,
  );
}

function requiredName(input: OperationInput, key: string, member: string, pattern: RegExp): string {
  const value = readString(input, key);
  if (value === undefined) throw constraint(value, member, 'Member must not be null');
  if (!pattern.test(value)) {
    throw constraint(value, member, `Member must satisfy regular expression pattern: ${pattern.source}`);
  }
  return value;
}

function roleName(input: OperationInput): string {
  return requiredName(input, 'RoleName', 'roleName', ROLE_NAME);
}

/** The `Path` member of a create call (`/` when absent), held to IAM's pattern and 512 characters. */
function validPath(input: OperationInput): string {
  const path = readString(input, 'Path') ?? '/';
  if (path.length > 512 || !PATH.test(path)) {
    throw constraint(path, 'path', `Member must satisfy regular expression pattern: ${PATH.source}`);
  }
  return path;
}

/** The optional `Description` member of a create call, held to 1000 characters. */
function validDescription(input: OperationInput): string | undefined {
  const description = readString(input, 'Description');
  if (description !== undefined && description.length > 1000) {
    throw constraint(description, 'description', 'Member must have length less than or equal to 1000');
  }
  return description;
}

/** The role as the API shows it, whether created here or loaded from the template. */
interface RoleView {
  readonly source: 'api' | 'template';
  readonly name: string;
  readonly arn: string;
  readonly roleId: string;
  readonly path: string;
  readonly createdAt: number;
  readonly trustPolicy: string;
  readonly description?: string;
  readonly maxSessionDuration: number;
  readonly boundaryArn?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly inlinePolicyNames: readonly string[];
  readonly attachedPolicyArns: readonly string[];
}

function findRole(ctx: SimContext, name: string): RoleView | undefined {
  connectApiRoles(ctx);
  // Looked up as IamState looks it up, so the API shows the role that is evaluated.
  const record = ctx.iam.role(name);
  if (record === undefined) return undefined;
  const stored = record.source === 'api' ? storedRole(ctx, name) : undefined;
  if (stored) return viewOf(stored);
  return {
    source: record.source,
    name: record.roleName,
    arn: record.roleArn,
    roleId: roleIdFor(record.roleArn),
    path: record.path,
    createdAt: record.createdAt,
    trustPolicy: JSON.stringify(record.assumeRolePolicy ?? {}),
    maxSessionDuration: DEFAULT_SESSION_SECONDS,
    ...(record.boundaryArn ? { boundaryArn: record.boundaryArn } : {}),
    tags: record.tags,
    inlinePolicyNames: [...record.inlinePolicies.keys()],
    attachedPolicyArns: record.managedPolicyArns,
  };
}

function viewOf(role: IamRoleResource): RoleView {
  return {
    source: 'api',
    name: role.id,
    arn: role.arn,
    roleId: role.roleId,
    path: role.path,
    createdAt: role.createdAt,
    trustPolicy: role.assumeRolePolicyDocument,
    ...(role.description !== undefined ? { description: role.description } : {}),
    maxSessionDuration: role.maxSessionDuration,
    ...(role.permissionsBoundaryArn ? { boundaryArn: role.permissionsBoundaryArn } : {}),
    tags: role.tags,
    inlinePolicyNames: Object.keys(role.inlinePolicies),
    attachedPolicyArns: role.attachedPolicyArns,
  };
}

function requireRole(ctx: SimContext, name: string): RoleView {
  const role = findRole(ctx, name);
  if (!role) throw iamError.noSuchEntity(`The role with name ${name} cannot be found.`);
  return role;
}

/** A role this API may change: one it created (the template's are defined by the template). */
function requireOwnRole(ctx: SimContext, name: string): IamRoleResource {
  const view = requireRole(ctx, name);
  const stored = view.source === 'api' ? storedRole(ctx, view.name) : undefined;
  if (!stored) {
    throw iamError.unmodifiable(
      `Cannot perform the operation on the role ${name}: the simulator loaded it from the CloudFormation template, change it there.`,
    );
  }
  return stored;
}

function tagList(tags: Readonly<Record<string, string>>): Array<{ Key: string; Value: string }> {
  return Object.keys(tags)
    .sort()
    .map((key) => ({ Key: key, Value: tags[key] ?? '' }));
}

/** The `Role` structure; ListRoles leaves out the boundary and tags, as IAM does. */
function roleShape(role: RoleView, detail: 'full' | 'list'): Record<string, unknown> {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: new Date(role.createdAt),
    AssumeRolePolicyDocument: encodePolicyDocument(role.trustPolicy),
    ...(role.description !== undefined ? { Description: role.description } : {}),
    MaxSessionDuration: role.maxSessionDuration,
    ...(detail === 'full' && role.boundaryArn
      ? {
          PermissionsBoundary: {
            PermissionsBoundaryType: 'Policy',
            PermissionsBoundaryArn: role.boundaryArn,
          },
        }
      : {}),
    ...(detail === 'full' && Object.keys(role.tags).length > 0 ? { Tags: tagList(role.tags) } : {}),
  };
}

/** Tags as IAM validates them: key 1–128, value 0–256, no duplicate keys (case-insensitive). */
function validTags(input: OperationInput): Record<string, string> {
  const tags = requestedTags(input);
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128)
      throw constraint(key, 'tags.member.key', 'Member must have length less than or equal to 128');
    if (value.length > 256)
      throw constraint(value, 'tags.member.value', 'Member must have length less than or equal to 256');
    if (seen.has(key.toLowerCase())) {
      throw iamError.invalidInput(
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      );
    }
    seen.add(key.toLowerCase());
  }
  if (Object.keys(tags).length > MAX_TAGS) {
    throw iamError.limitExceeded(`The number of tags has reached the maximum limit of ${MAX_TAGS}.`);
  }
  return tags;
}

/** `Marker` / `MaxItems` paging over an ordered list; the marker is the next item's key. */
function page<T>(
  input: OperationInput,
  items: readonly T[],
  keyOf: (item: T) => string,
): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const maxItems = readInteger(input, 'MaxItems') ?? 100;
  if (maxItems < 1 || maxItems > 1000) {
    throw constraint(String(maxItems), 'maxItems', 'Member must have value between 1 and 1000');
  }
  const marker = readString(input, 'Marker');
  const start = marker === undefined ? 0 : items.findIndex((item) => keyOf(item) >= marker);
  const from = start < 0 ? items.length : start;
  const slice = items.slice(from, from + maxItems);
  const next = items[from + maxItems];
  return next === undefined
    ? { items: slice, IsTruncated: false }
    : { items: slice, IsTruncated: true, Marker: keyOf(next) };
}

function createRole(input: OperationInput, ctx: SimContext) {
  connectApiRoles(ctx);
  const name = roleName(input);
  const trustPolicy = readString(input, 'AssumeRolePolicyDocument');
  if (trustPolicy === undefined) {
    throw constraint(undefined, 'assumeRolePolicyDocument', 'Member must not be null');
  }
  const path = validPath(input);
  const description = validDescription(input);
  const maxSessionDuration = readInteger(input, 'MaxSessionDuration') ?? DEFAULT_SESSION_SECONDS;
  if (maxSessionDuration < 3600 || maxSessionDuration > 43200) {
    throw constraint(
      String(maxSessionDuration),
      'maxSessionDuration',
      'Member must have value between 3600 and 43200',
    );
  }
  const tags = validTags(input);
  validateTrustPolicy(trustPolicy);
  const boundaryArn = readString(input, 'PermissionsBoundary');
  if (boundaryArn !== undefined) requireBoundaryPolicy(ctx, boundaryArn);
  // Role names are unique without regard to case, across the template's roles too.
  const taken = ctx.iam.listRoles().some((role) => role.roleName.toLowerCase() === name.toLowerCase());
  if (taken) throw iamError.alreadyExists(`Role with name ${name} already exists.`);

  const role = ctx.store.put<IamRoleResource>({
    type: ROLE_TYPE,
    id: name,
    arn: roleArn(ctx.accountId, path, name),
    roleId: roleIdFor(ctx.ids.uuid()),
    path,
    ...(description !== undefined ? { description } : {}),
    maxSessionDuration,
    assumeRolePolicyDocument: trustPolicy,
    inlinePolicies: {},
    attachedPolicyArns: [],
    ...(boundaryArn !== undefined ? { permissionsBoundaryArn: boundaryArn } : {}),
    tags,
    createdAt: ctx.clock.now(),
  });
  return { Role: roleShape(viewOf(role), 'full') };
}

function getRole(input: OperationInput, ctx: SimContext) {
  return { Role: roleShape(requireRole(ctx, roleName(input)), 'full') };
}

function deleteRole(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  if (profilesOfRole(ctx, role.id).length > 0) {
    throw iamError.deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
  }
  if (Object.keys(role.inlinePolicies).length > 0) {
    throw iamError.deleteConflict('Cannot delete entity, must delete policies first.');
  }
  if (role.attachedPolicyArns.length > 0) {
    throw iamError.deleteConflict('Cannot delete entity, must detach all policies first.');
  }
  ctx.store.delete(ROLE_TYPE, role.id);
  ctx.iam.deleteRole(role.id);
  return {};
}

function listRoles(input: OperationInput, ctx: SimContext) {
  connectApiRoles(ctx);
  const prefix = readString(input, 'PathPrefix') ?? '/';
  const roles = ctx.iam
    .listRoles()
    .map((record) => findRole(ctx, record.roleName))
    .filter((role): role is RoleView => role?.path.startsWith(prefix) === true)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { items, ...paging } = page(input, roles, (role) => role.name);
  return { Roles: items.map((role) => roleShape(role, 'list')), ...paging };
}

function putRolePolicy(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  const policyName = requiredName(input, 'PolicyName', 'policyName', POLICY_NAME);
  const document = readString(input, 'PolicyDocument');
  if (document === undefined) throw constraint(undefined, 'policyDocument', 'Member must not be null');
  const statements = identityPolicyStatements(document);
  role.inlinePolicies = { ...role.inlinePolicies, [policyName]: { document, statements } };
  return {};
}

function requireInlinePolicy(input: OperationInput, ctx: SimContext) {
  const role = requireRole(ctx, roleName(input));
  const policyName = requiredName(input, 'PolicyName', 'policyName', POLICY_NAME);
  const stored = storedRole(ctx, role.name);
  const document = stored
    ? stored.inlinePolicies[policyName]?.document
    : role.inlinePolicyNames.includes(policyName)
      ? JSON.stringify({
          Version: '2012-10-17',
          Statement: ctx.iam.role(role.name)?.inlinePolicies.get(policyName) ?? [],
        })
      : undefined;
  if (document === undefined) {
    throw iamError.noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
  }
  return { role, policyName, document };
}

function getRolePolicy(input: OperationInput, ctx: SimContext) {
  const { role, policyName, document } = requireInlinePolicy(input, ctx);
  return { RoleName: role.name, PolicyName: policyName, PolicyDocument: encodePolicyDocument(document) };
}

function deleteRolePolicy(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  const { policyName } = requireInlinePolicy(input, ctx);
  const { [policyName]: _deleted, ...rest } = role.inlinePolicies;
  role.inlinePolicies = rest;
  return {};
}

function listRolePolicies(input: OperationInput, ctx: SimContext) {
  const role = requireRole(ctx, roleName(input));
  const { items, ...paging } = page(input, [...role.inlinePolicyNames].sort(), (name) => name);
  return { PolicyNames: items, ...paging };
}

function attachRolePolicy(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  const arn = readString(input, 'PolicyArn');
  if (arn === undefined) throw constraint(undefined, 'policyArn', 'Member must not be null');
  if (findPolicy(ctx, arn) === undefined) {
    throw iamError.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  }
  if (role.attachedPolicyArns.includes(arn)) return {};
  if (role.attachedPolicyArns.length >= MAX_ATTACHED_POLICIES) {
    throw iamError.limitExceeded(`Cannot exceed quota for PoliciesPerRole: ${MAX_ATTACHED_POLICIES}`);
  }
  role.attachedPolicyArns = [...role.attachedPolicyArns, arn];
  return {};
}

function detachRolePolicy(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  const arn = readString(input, 'PolicyArn');
  if (arn === undefined) throw constraint(undefined, 'policyArn', 'Member must not be null');
  if (!role.attachedPolicyArns.includes(arn)) throw iamError.noSuchEntity(`Policy ${arn} was not found.`);
  role.attachedPolicyArns = role.attachedPolicyArns.filter((attached) => attached !== arn);
  return {};
}

function listAttachedRolePolicies(input: OperationInput, ctx: SimContext) {
  const role = requireRole(ctx, roleName(input));
  const prefix = readString(input, 'PathPrefix') ?? '/';
  const attached = role.attachedPolicyArns
    .map((arn) => {
      const [, path = '/', name = arn] = /^arn:[^:]+:iam::[^:]*:policy(\/(?:.*\/)?)([^/]+)$/.exec(arn) ?? [];
      return { path, PolicyName: name, PolicyArn: arn };
    })
    .filter((policy) => policy.path.startsWith(prefix));
  const { items, ...paging } = page(input, attached, (policy) => policy.PolicyArn);
  return {
    AttachedPolicies: items.map(({ PolicyName, PolicyArn }) => ({ PolicyName, PolicyArn })),
    ...paging,
  };
}

function tagRole(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  const merged = { ...role.tags, ...validTags(input) };
  if (Object.keys(merged).length > MAX_TAGS) {
    throw iamError.limitExceeded(`The number of tags has reached the maximum limit of ${MAX_TAGS}.`);
  }
  role.tags = merged;
  return {};
}

function untagRole(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  const remove = new Set(readStringList(input, 'TagKeys'));
  role.tags = Object.fromEntries(Object.entries(role.tags).filter(([key]) => !remove.has(key)));
  return {};
}

function listRoleTags(input: OperationInput, ctx: SimContext) {
  const role = requireRole(ctx, roleName(input));
  const { items, ...paging } = page(input, tagList(role.tags), (tag) => tag.Key);
  return { Tags: items, ...paging };
}

/** A managed policy (AWS or customer) a role may take as its permissions boundary, or `NoSuchEntity`. */
function requireBoundaryPolicy(ctx: SimContext, arn: string): PolicyView {
  const policy = findPolicy(ctx, arn);
  if (policy === undefined) {
    throw iamError.noSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);
  }
  return policy;
}

function putRolePermissionsBoundary(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  const arn = readString(input, 'PermissionsBoundary');
  if (arn === undefined) throw constraint(undefined, 'permissionsBoundary', 'Member must not be null');
  requireBoundaryPolicy(ctx, arn);
  role.permissionsBoundaryArn = arn;
  return {};
}

function deleteRolePermissionsBoundary(input: OperationInput, ctx: SimContext) {
  const role = requireOwnRole(ctx, roleName(input));
  role.permissionsBoundaryArn = undefined;
  return {};
}

/** IAM quota "Managed policy size": 6,144 characters, white space not counted. */
const MAX_MANAGED_POLICY_CHARACTERS = 6144;

function requiredPolicyArn(input: OperationInput): string {
  const arn = readString(input, 'PolicyArn');
  if (arn === undefined) throw constraint(undefined, 'policyArn', 'Member must not be null');
  if (arn.length < 20 || arn.length > 2048) {
    throw constraint(arn, 'policyArn', 'Member must have length greater than or equal to 20');
  }
  return arn;
}

function requirePolicy(ctx: SimContext, arn: string): PolicyView {
  const policy = findPolicy(ctx, arn);
  if (policy === undefined) throw iamError.noSuchEntity(`Policy ${arn} was not found.`);
  return policy;
}

/** How many roles attach the policy, and how many use it as their boundary. */
function usageOf(ctx: SimContext, arn: string): { attached: number; boundary: number } {
  connectApiRoles(ctx);
  const roles = ctx.iam.listRoles();
  return {
    attached: roles.filter((role) => role.managedPolicyArns.includes(arn)).length,
    boundary: roles.filter((role) => role.boundaryArn === arn).length,
  };
}

/** The `Policy` structure; ListPolicies leaves out the description and tags, as IAM does. */
function policyShape(ctx: SimContext, policy: PolicyView, detail: 'full' | 'list'): Record<string, unknown> {
  const usage = usageOf(ctx, policy.arn);
  return {
    PolicyName: policy.name,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: 'v1',
    AttachmentCount: usage.attached,
    PermissionsBoundaryUsageCount: usage.boundary,
    IsAttachable: true,
    ...(detail === 'full' && policy.description !== undefined ? { Description: policy.description } : {}),
    CreateDate: new Date(policy.createdAt),
    UpdateDate: new Date(policy.createdAt),
    ...(detail === 'full' && Object.keys(policy.tags).length > 0 ? { Tags: tagList(policy.tags) } : {}),
  };
}

function createPolicy(input: OperationInput, ctx: SimContext) {
  const name = requiredName(input, 'PolicyName', 'policyName', POLICY_NAME);
  const path = validPath(input);
  const description = validDescription(input);
  const document = readString(input, 'PolicyDocument');
  if (document === undefined) throw constraint(undefined, 'policyDocument', 'Member must not be null');
  const tags = validTags(input);
  const statements = identityPolicyStatements(document);
  if (document.replace(/\s/g, '').length > MAX_MANAGED_POLICY_CHARACTERS) {
    throw iamError.limitExceeded(`Cannot exceed quota for PolicySize: ${MAX_MANAGED_POLICY_CHARACTERS}`);
  }
  const arn = policyArn(ctx.accountId, path, name);
  // CreatePolicy: "IAM user, group, role, and policy names must be unique within the account. Names
  // are not distinguished by case." (whatever the path).
  const taken = listAllPolicies(ctx).some(
    (policy) => policy.source !== 'aws' && policy.name.toLowerCase() === name.toLowerCase(),
  );
  if (taken) {
    throw iamError.alreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
  }
  const now = ctx.clock.now();
  const policy = ctx.store.put<IamPolicyResource>({
    type: POLICY_TYPE,
    id: arn,
    arn,
    policyName: name,
    policyId: policyIdFor(ctx.ids.uuid()),
    path,
    ...(description !== undefined ? { description } : {}),
    document,
    statements,
    tags,
    createdAt: now,
    updatedAt: now,
  });
  return { Policy: policyShape(ctx, requirePolicy(ctx, policy.arn), 'full') };
}

function getPolicy(input: OperationInput, ctx: SimContext) {
  return { Policy: policyShape(ctx, requirePolicy(ctx, requiredPolicyArn(input)), 'full') };
}

function getPolicyVersion(input: OperationInput, ctx: SimContext) {
  const arn = requiredPolicyArn(input);
  const versionId = readString(input, 'VersionId');
  if (versionId === undefined) throw constraint(undefined, 'versionId', 'Member must not be null');
  const policy = requirePolicy(ctx, arn);
  if (versionId !== 'v1') {
    throw iamError.noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
  }
  return {
    PolicyVersion: {
      Document: encodePolicyDocument(policy.document),
      VersionId: 'v1',
      IsDefaultVersion: true,
      CreateDate: new Date(policy.createdAt),
    },
  };
}

function deletePolicy(input: OperationInput, ctx: SimContext) {
  const arn = requiredPolicyArn(input);
  const policy = requirePolicy(ctx, arn);
  if (policy.source !== 'api') {
    throw iamError.unmodifiable(
      policy.source === 'template'
        ? `Cannot perform the operation on the policy ${arn}: the simulator loaded it from the CloudFormation template, change it there.`
        : `Cannot delete the AWS managed policy ${arn}.`,
    );
  }
  const usage = usageOf(ctx, arn);
  // DeletePolicy: "you must first detach the policy from all users, groups, and roles"; a policy used
  // as a permissions boundary is refused the same way (docs/aws-facts.md#customer-managed-policies-and-permissions-boundaries).
  if (usage.attached > 0 || usage.boundary > 0) {
    throw iamError.deleteConflict('Cannot delete a policy attached to entities.');
  }
  ctx.store.delete(POLICY_TYPE, arn);
  return {};
}

function listPolicies(input: OperationInput, ctx: SimContext) {
  const scope = readString(input, 'Scope') ?? 'All';
  if (!['All', 'AWS', 'Local'].includes(scope)) {
    throw constraint(scope, 'scope', 'Member must satisfy enum value set: [All, AWS, Local]');
  }
  const prefix = readString(input, 'PathPrefix') ?? '/';
  const onlyAttached = readBoolean(input, 'OnlyAttached') ?? false;
  const usageFilter = readString(input, 'PolicyUsageFilter');
  const policies = listAllPolicies(ctx)
    .filter((policy) => scope === 'All' || (scope === 'AWS') === (policy.source === 'aws'))
    .filter((policy) => policy.path.startsWith(prefix))
    .filter((policy) => {
      const usage = usageOf(ctx, policy.arn);
      if (usageFilter === 'PermissionsPolicy' && onlyAttached) return usage.attached > 0;
      if (usageFilter === 'PermissionsBoundary' && onlyAttached) return usage.boundary > 0;
      return !onlyAttached || usage.attached + usage.boundary > 0;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { items, ...paging } = page(input, policies, (policy) => policy.name);
  return { Policies: items.map((policy) => policyShape(ctx, policy, 'list')), ...paging };
}

const PROFILE_NAME = /^[\w+=,.@-]{1,128}$/;

function profileName(input: OperationInput): string {
  return requiredName(input, 'InstanceProfileName', 'instanceProfileName', PROFILE_NAME);
}

function profileShape(ctx: SimContext, profile: InstanceProfileResource): Record<string, unknown> {
  return {
    Path: profile.path,
    InstanceProfileName: profile.id,
    InstanceProfileId: profile.instanceProfileId,
    Arn: profile.arn,
    CreateDate: new Date(profile.createdAt),
    Roles: profile.roles
      .map((name) => findRole(ctx, name))
      .filter((role): role is RoleView => role !== undefined)
      .map((role) => roleShape(role, 'list')),
    ...(Object.keys(profile.tags).length > 0 ? { Tags: tagList(profile.tags) } : {}),
  };
}

function createInstanceProfile(input: OperationInput, ctx: SimContext) {
  const name = profileName(input);
  const path = validPath(input);
  const tags = validTags(input);
  const taken = ctx.store
    .list<InstanceProfileResource>(INSTANCE_PROFILE_TYPE)
    .some((profile) => profile.id.toLowerCase() === name.toLowerCase());
  if (taken) throw iamError.alreadyExists(`Instance Profile ${name} already exists.`);
  const profile = ctx.store.put<InstanceProfileResource>({
    type: INSTANCE_PROFILE_TYPE,
    id: name,
    arn: instanceProfileArn(ctx.accountId, path, name),
    instanceProfileId: `AIPA${roleIdFor(ctx.ids.uuid()).slice(4)}`,
    path,
    roles: [],
    tags,
    createdAt: ctx.clock.now(),
  });
  return { InstanceProfile: profileShape(ctx, profile) };
}

function getInstanceProfile(input: OperationInput, ctx: SimContext) {
  return { InstanceProfile: profileShape(ctx, requireInstanceProfile(ctx, profileName(input))) };
}

function addRoleToInstanceProfile(input: OperationInput, ctx: SimContext) {
  const profile = requireInstanceProfile(ctx, profileName(input));
  const role = requireRole(ctx, roleName(input));
  if (profile.roles.includes(role.name)) {
    throw iamError.alreadyExists(
      `Role ${role.name} is already associated with instance profile ${profile.id}.`,
    );
  }
  if (profile.roles.length >= 1) {
    throw iamError.limitExceeded('Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1');
  }
  ctx.store.put<InstanceProfileResource>({ ...profile, roles: [role.name] });
  return {};
}

function removeRoleFromInstanceProfile(input: OperationInput, ctx: SimContext) {
  const profile = requireInstanceProfile(ctx, profileName(input));
  const name = roleName(input);
  if (!profile.roles.includes(name)) {
    throw iamError.noSuchEntity(`The role with name ${name} cannot be found.`);
  }
  ctx.store.put<InstanceProfileResource>({
    ...profile,
    roles: profile.roles.filter((role) => role !== name),
  });
  return {};
}

function deleteInstanceProfile(input: OperationInput, ctx: SimContext) {
  const profile = requireInstanceProfile(ctx, profileName(input));
  if (profile.roles.length > 0) {
    throw iamError.deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
  }
  ctx.store.delete(INSTANCE_PROFILE_TYPE, profile.id);
  return {};
}

function listInstanceProfilesForRole(input: OperationInput, ctx: SimContext) {
  const role = requireRole(ctx, roleName(input));
  const profiles = profilesOfRole(ctx, role.name).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { items, ...paging } = page(input, profiles, (profile) => profile.id);
  return { InstanceProfiles: items.map((profile) => profileShape(ctx, profile)), ...paging };
}

export const iam: ServiceDefinition = {
  signingName: 'iam',
  protocol: 'query',
  xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  operations: {
    CreateRole: createRole,
    GetRole: getRole,
    DeleteRole: deleteRole,
    ListRoles: listRoles,
    PutRolePolicy: putRolePolicy,
    GetRolePolicy: getRolePolicy,
    DeleteRolePolicy: deleteRolePolicy,
    ListRolePolicies: listRolePolicies,
    AttachRolePolicy: attachRolePolicy,
    DetachRolePolicy: detachRolePolicy,
    ListAttachedRolePolicies: listAttachedRolePolicies,
    TagRole: tagRole,
    UntagRole: untagRole,
    ListRoleTags: listRoleTags,
    PutRolePermissionsBoundary: putRolePermissionsBoundary,
    DeleteRolePermissionsBoundary: deleteRolePermissionsBoundary,
    CreatePolicy: createPolicy,
    GetPolicy: getPolicy,
    GetPolicyVersion: getPolicyVersion,
    DeletePolicy: deletePolicy,
    ListPolicies: listPolicies,
    CreateInstanceProfile: createInstanceProfile,
    GetInstanceProfile: getInstanceProfile,
    AddRoleToInstanceProfile: addRoleToInstanceProfile,
    RemoveRoleFromInstanceProfile: removeRoleFromInstanceProfile,
    DeleteInstanceProfile: deleteInstanceProfile,
    ListInstanceProfilesForRole: listInstanceProfilesForRole,
  },
  authorize: iamAuthorizers,
  // IAM's throttling answer; AWS publishes no per-operation rate for these calls.
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
};
