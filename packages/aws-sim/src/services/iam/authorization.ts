/**
 * The IAM requests of the simulated IAM operations, as the Service Authorization Reference lists them
 * for AWS Identity and Access Management (docs/aws-facts.md#iam-enforcement-in-the-simulator).
 *
 * Why it exists: berth's steps will create a task execution role per environment and task roles per
 * service, and its own role will be scoped by path, tags and boundary. Each action is on the role ARN
 * (`arn:aws:iam::<account>:role<path><name>`); an existing role carries its tags as
 * `aws:ResourceTag/…` and IAM's alias `iam:ResourceTag/…`; CreateRole carries the requested tags and
 * boundary; the policy actions carry the role's boundary as `iam:PermissionsBoundary`, and
 * Attach/Detach the policy as `iam:PolicyARN`. A CreateRole with tags also needs `iam:TagRole`.
 */
import type { AccessRequest } from '../../iam/access';
import { passRole, requestTagContext, resourceTagContext } from '../../iam/access';
import { readRecordList, readString, readStringList } from '../../input';
import type { Authorizer, OperationInput, SimContext } from '../../kernel';
import { instanceProfileArn, storedInstanceProfile } from './instance-profiles';
import { policyArn as customerPolicyArn, findPolicy } from './policies';
import { connectApiRoles, roleArn } from './roles';

type Context = Record<string, string | readonly string[]>;

/** The tags of a request's `Tags` list (`[{ Key, Value }]`). */
export function requestedTags(input: OperationInput): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of readRecordList(input, 'Tags')) {
    const key = readString(tag, 'Key');
    if (key !== undefined) tags[key] = readString(tag, 'Value') ?? '';
  }
  return tags;
}

/** The role named by `RoleName` as IAM evaluates it: its ARN and, when it exists, its tags and boundary. */
function namedRole(
  input: OperationInput,
  ctx: SimContext,
): { arn: string; tags: Context; boundaryArn?: string } {
  const roleName = readString(input, 'RoleName') ?? '';
  const role = ctx.iam.role(roleName);
  if (role === undefined) return { arn: roleArn(ctx.accountId, '/', roleName), tags: {} };
  return {
    arn: role.roleArn,
    tags: { ...resourceTagContext(role.tags), ...resourceTagContext(role.tags, 'iam') },
    ...(role.boundaryArn ? { boundaryArn: role.boundaryArn } : {}),
  };
}

/** `iam:<action>` on the named role, with its tags and (for the policy actions) its boundary. */
function onRole(
  action: string,
  options: { boundary?: boolean; extra?: (input: OperationInput) => Context } = {},
): Authorizer {
  return (input, ctx) => {
    const role = namedRole(input, ctx);
    const boundary: Context =
      options.boundary && role.boundaryArn ? { 'iam:PermissionsBoundary': role.boundaryArn } : {};
    return [
      {
        action: `iam:${action}`,
        resource: role.arn,
        context: { ...role.tags, ...boundary, ...(options.extra?.(input) ?? {}) },
      },
    ];
  };
}

const createRole: Authorizer = (input, ctx) => {
  const path = readString(input, 'Path') ?? '/';
  const resource = roleArn(ctx.accountId, path, readString(input, 'RoleName') ?? '');
  const tags = requestTagContext(requestedTags(input));
  const boundary = readString(input, 'PermissionsBoundary');
  const requests: AccessRequest[] = [
    {
      action: 'iam:CreateRole',
      resource,
      context: { ...tags, ...(boundary ? { 'iam:PermissionsBoundary': boundary } : {}) },
    },
  ];
  // IAM authorises tags given on create as a TagRole on the new role too.
  if (Object.keys(tags).length > 0) requests.push({ action: 'iam:TagRole', resource, context: tags });
  return requests;
};

const policyArn = (input: OperationInput): Context => {
  const arn = readString(input, 'PolicyArn');
  return arn ? { 'iam:PolicyARN': arn } : {};
};

/** `iam:<action>` on the named instance profile, with its tags when it exists. */
function onProfile(action: string): Authorizer {
  return (input, ctx) => {
    const name = readString(input, 'InstanceProfileName') ?? '';
    const profile = storedInstanceProfile(ctx, name);
    return [
      {
        action: `iam:${action}`,
        resource: profile?.arn ?? instanceProfileArn(ctx.accountId, '/', name),
        context: profile
          ? { ...resourceTagContext(profile.tags), ...resourceTagContext(profile.tags, 'iam') }
          : {},
      },
    ];
  };
}

const createInstanceProfile: Authorizer = (input, ctx) => {
  const resource = instanceProfileArn(
    ctx.accountId,
    readString(input, 'Path') ?? '/',
    readString(input, 'InstanceProfileName') ?? '',
  );
  const tags = requestTagContext(requestedTags(input));
  const requests: AccessRequest[] = [{ action: 'iam:CreateInstanceProfile', resource, context: tags }];
  if (Object.keys(tags).length > 0)
    requests.push({ action: 'iam:TagInstanceProfile', resource, context: tags });
  return requests;
};

/**
 * AddRoleToInstanceProfile: on the profile, and (the API reference's note) iam:PassRole on the role,
 * which goes to EC2 instances: AWS documents `iam:AssociatedResourceArn` as
 * `arn:aws:ec2:*:<account>:instance/*` for it; the simulator also sets `iam:PassedToService` to
 * `ec2.amazonaws.com`, the service the role is passed to (docs/aws-facts.md#per-environment-container-instance-roles).
 */
const addRoleToInstanceProfile: Authorizer = (input, ctx) => [
  ...onProfile('AddRoleToInstanceProfile')(input, ctx),
  ...passRole(namedRole(input, ctx).arn, 'ec2.amazonaws.com').map((request) => ({
    ...request,
    context: {
      ...request.context,
      'iam:AssociatedResourceArn': `arn:aws:ec2:*:${ctx.accountId}:instance/*`,
    },
  })),
];

/**
 * PutRolePermissionsBoundary carries the boundary being set as `iam:PermissionsBoundary` (so a grant
 * can require the caller to set one particular boundary); DeleteRolePermissionsBoundary carries the
 * role's current one.
 */
const putRolePermissionsBoundary: Authorizer = (input, ctx) => {
  const role = namedRole(input, ctx);
  const boundary = readString(input, 'PermissionsBoundary');
  return [
    {
      action: 'iam:PutRolePermissionsBoundary',
      resource: role.arn,
      context: { ...role.tags, ...(boundary ? { 'iam:PermissionsBoundary': boundary } : {}) },
    },
  ];
};

/** `iam:<action>` on the policy named by `PolicyArn`, with its tags when it exists. */
function onPolicy(action: string): Authorizer {
  return (input, ctx) => {
    const arn = readString(input, 'PolicyArn') ?? '';
    const policy = arn === '' ? undefined : findPolicy(ctx, arn);
    return [{ action: `iam:${action}`, resource: arn || '*', context: resourceTagContext(policy?.tags) }];
  };
}

/** CreatePolicy on the new policy's ARN, with the request tags; tags on create also need iam:TagPolicy. */
const createPolicy: Authorizer = (input, ctx) => {
  const resource = customerPolicyArn(
    ctx.accountId,
    readString(input, 'Path') ?? '/',
    readString(input, 'PolicyName') ?? '',
  );
  const tags = requestTagContext(requestedTags(input));
  const requests: AccessRequest[] = [{ action: 'iam:CreatePolicy', resource, context: tags }];
  if (Object.keys(tags).length > 0) requests.push({ action: 'iam:TagPolicy', resource, context: tags });
  return requests;
};

const authorizers: Record<string, Authorizer> = {
  CreateInstanceProfile: createInstanceProfile,
  GetInstanceProfile: onProfile('GetInstanceProfile'),
  AddRoleToInstanceProfile: addRoleToInstanceProfile,
  RemoveRoleFromInstanceProfile: onProfile('RemoveRoleFromInstanceProfile'),
  DeleteInstanceProfile: onProfile('DeleteInstanceProfile'),
  ListInstanceProfilesForRole: onRole('ListInstanceProfilesForRole'),
  CreateRole: createRole,
  GetRole: onRole('GetRole'),
  DeleteRole: onRole('DeleteRole'),
  // ListRoles names no resource type: AWS evaluates it on `*`.
  ListRoles: () => [{ action: 'iam:ListRoles', resource: '*' }],
  PutRolePolicy: onRole('PutRolePolicy', { boundary: true }),
  GetRolePolicy: onRole('GetRolePolicy'),
  DeleteRolePolicy: onRole('DeleteRolePolicy', { boundary: true }),
  ListRolePolicies: onRole('ListRolePolicies'),
  AttachRolePolicy: onRole('AttachRolePolicy', { boundary: true, extra: policyArn }),
  DetachRolePolicy: onRole('DetachRolePolicy', { boundary: true, extra: policyArn }),
  ListAttachedRolePolicies: onRole('ListAttachedRolePolicies'),
  TagRole: onRole('TagRole', { extra: (input) => requestTagContext(requestedTags(input)) }),
  UntagRole: onRole('UntagRole', {
    extra: (input): Context => {
      const keys = readStringList(input, 'TagKeys');
      return keys.length > 0 ? { 'aws:TagKeys': keys } : {};
    },
  }),
  ListRoleTags: onRole('ListRoleTags'),
  PutRolePermissionsBoundary: putRolePermissionsBoundary,
  DeleteRolePermissionsBoundary: onRole('DeleteRolePermissionsBoundary', { boundary: true }),
  CreatePolicy: createPolicy,
  GetPolicy: onPolicy('GetPolicy'),
  GetPolicyVersion: onPolicy('GetPolicyVersion'),
  DeletePolicy: onPolicy('DeletePolicy'),
  // ListPolicies names no resource type: AWS evaluates it on `*`.
  ListPolicies: () => [{ action: 'iam:ListPolicies', resource: '*' }],
};

/** Each authorizer reads roles through `IamState`, which must see the store's roles first. */
export const iamAuthorizers: Record<string, Authorizer> = Object.fromEntries(
  Object.entries(authorizers).map(([operation, authorize]): [string, Authorizer] => [
    operation,
    (input, ctx) => {
      connectApiRoles(ctx);
      return authorize(input, ctx);
    },
  ]),
);
