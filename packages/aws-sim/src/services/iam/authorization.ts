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
import { requestTagContext, resourceTagContext } from '../../iam/access';
import { readRecordList, readString, readStringList } from '../../input';
import type { Authorizer, OperationInput, SimContext } from '../../kernel';
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

const authorizers: Record<string, Authorizer> = {
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
