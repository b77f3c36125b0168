/**
 * What IAM evaluates for each ECS operation the simulator implements (Service Authorization
 * Reference, "Actions, resources, and condition keys for Amazon Elastic Container Service"), so a
 * role's ECS grants are refused locally where AWS refuses them:
 * - each action on its resource ARN (`cluster/<name>`, `service/<cluster>/<name>`,
 *   `task/<cluster>/<id>`, `task-definition/<family>:<revision>`, `capacity-provider/<name>`,
 *   `container-instance/<cluster>/<id>`) with the resource's stored tags as `aws:ResourceTag/…` and
 *   `ecs:ResourceTag/…`, and `ecs:cluster` (the cluster's ARN) where the action takes it;
 * - creates carry `aws:RequestTag/…` and `aws:TagKeys`; a create with tags is also authorised as
 *   `ecs:TagResource` with `ecs:CreateAction` (ECS guide, "Grant permission to tag resources on
 *   creation": only when tags are specified);
 * - RegisterTaskDefinition and RunTask pass the task's roles (`taskRoleArn`, `executionRoleArn`,
 *   RunTask's overrides) as `iam:PassRole` to `ecs-tasks.amazonaws.com`; CreateService passes its
 *   `role` to `ecs.amazonaws.com`;
 * - operations without a resource type (ListClusters, ListServices, ListTaskDefinitions,
 *   ListTaskDefinitionFamilies, DescribeTaskDefinition, DeregisterTaskDefinition, the account
 *   settings operations) are authorised on `*`.
 * See docs/aws-facts.md#iam-for-ecs.
 */
import { type AccessRequest, passRole, requestTagContext, resourceTagContext } from '../../iam/access';
import type { Authorizer, OperationInput, SimContext } from '../../kernel';
import type { InputReader } from '../operation-input';
import { findCapacityProvider } from './capacity-providers';
import { arnPrefix, clusterArnOf, lastSegment, reader } from './model';
import { findTaggable } from './tags';
import { nextRevision, resolveTaskDefinition } from './task-definitions';

const TASK_ROLE_SERVICE = 'ecs-tasks.amazonaws.com';

/** The tags a request names (`[{ key, value }]`); malformed entries are left to the operation. */
function requestedTags(r: InputReader, key = 'tags'): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of r.objects(key)) {
    const name = tag.string('key');
    if (name !== undefined) tags[name] = tag.string('value') ?? '';
  }
  return tags;
}

/** `aws:ResourceTag/…` and `ecs:ResourceTag/…` of the record an ARN names (none when it does not exist). */
function resourceTags(ctx: SimContext, arn: string): Record<string, string> {
  const tags = findTaggable(ctx, arn)?.tags;
  return { ...resourceTagContext(tags), ...resourceTagContext(tags, 'ecs') };
}

/** The cluster an operation acts in: its ARN (the `ecs:cluster` value) and its name. */
function clusterOf(ctx: SimContext, r: InputReader): { arn: string; name: string } {
  const arn = clusterArnOf(ctx, r.string('cluster'));
  return { arn, name: lastSegment(arn) };
}

/** An action on one existing resource, with its tags and, when given, the cluster it is in. */
function onArn(ctx: SimContext, action: string, arn: string, clusterArn?: string): AccessRequest {
  return {
    action: `ecs:${action}`,
    resource: arn,
    context: { ...resourceTags(ctx, arn), ...(clusterArn ? { 'ecs:cluster': clusterArn } : {}) },
  };
}

const onAnyResource =
  (action: string): Authorizer =>
  () => [{ action: `ecs:${action}`, resource: '*' }];

/**
 * A create: the action on the new resource with the request's tags (and `extra` keys), plus
 * `ecs:TagResource` on `tagged` (the new resource, by default) when the request carries tags.
 */
function createRequests(
  action: string,
  resource: string,
  tags: Record<string, string>,
  extra: Record<string, string> = {},
  tagged = resource,
): AccessRequest[] {
  const requested = requestTagContext(tags);
  const requests: AccessRequest[] = [
    { action: `ecs:${action}`, resource, context: { ...extra, ...requested } },
  ];
  if (Object.keys(tags).length > 0) {
    requests.push({
      action: 'ecs:TagResource',
      resource: tagged,
      context: { ...requested, 'ecs:CreateAction': action },
    });
  }
  return requests;
}

/** `task-definition/<family>:<revision>` as the reference names it (`family`, `family:rev` or an ARN). */
function taskDefinitionArnOf(ctx: SimContext, reference: string): string {
  const definition = resolveTaskDefinition(ctx, reference);
  if (definition) return definition.arn;
  return reference.startsWith('arn:') ? reference : `${arnPrefix(ctx)}:task-definition/${reference}`;
}

/** An IAM role named by ARN or by name (CreateService's `role` takes either). */
function roleArnOf(ctx: SimContext, role: string | undefined): string | undefined {
  if (role === undefined || role === '' || role.startsWith('arn:')) return role;
  return `arn:aws:iam::${ctx.accountId}:role/${role}`;
}

function serviceArnOf(ctx: SimContext, clusterName: string, nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : `${arnPrefix(ctx)}:service/${clusterName}/${nameOrArn}`;
}

function taskArnOf(ctx: SimContext, clusterName: string, idOrArn: string): string {
  return idOrArn.startsWith('arn:') ? idOrArn : `${arnPrefix(ctx)}:task/${clusterName}/${idOrArn}`;
}

function capacityProviderArnOf(ctx: SimContext, nameOrArn: string): string {
  const provider = findCapacityProvider(ctx, nameOrArn);
  if (provider) return provider.arn;
  return nameOrArn.startsWith('arn:') ? nameOrArn : `${arnPrefix(ctx)}:capacity-provider/${nameOrArn}`;
}

/** One service of the cluster the call names, by its `service` member. */
const onService =
  (action: string): Authorizer =>
  (input, ctx) => {
    const r = reader(input);
    const cluster = clusterOf(ctx, r);
    return [onArn(ctx, action, serviceArnOf(ctx, cluster.name, r.string('service') ?? ''), cluster.arn)];
  };

/** One cluster, by its `cluster` member (the default cluster when absent). */
const onCluster =
  (action: string): Authorizer =>
  (input, ctx) => [onArn(ctx, action, clusterOf(ctx, reader(input)).arn)];

/** One tagged resource, by its `resourceArn` member. */
const onResourceArn =
  (action: string, extra: (input: OperationInput) => Record<string, string | string[]>): Authorizer =>
  (input, ctx) => {
    const arn = reader(input).string('resourceArn') ?? '';
    const request = onArn(ctx, action, arn);
    return [{ ...request, context: { ...request.context, ...extra(input) } }];
  };

function registerTaskDefinition(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const r = reader(input);
  const family = r.string('family') ?? '';
  const arn = `${arnPrefix(ctx)}:task-definition/${family}:${nextRevision(ctx, family)}`;
  return [
    ...createRequests('RegisterTaskDefinition', arn, requestedTags(r)),
    ...passRole(r.string('taskRoleArn'), TASK_ROLE_SERVICE),
    ...passRole(r.string('executionRoleArn'), TASK_ROLE_SERVICE),
  ];
}

function runTask(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const r = reader(input);
  const cluster = clusterOf(ctx, r);
  const reference = r.string('taskDefinition') ?? '';
  const definitionArn = taskDefinitionArnOf(ctx, reference);
  const definition = resolveTaskDefinition(ctx, reference)?.body ?? {};
  const overrides = r.object('overrides');
  const roleOf = (key: 'taskRoleArn' | 'executionRoleArn') => {
    const given = definition[key];
    return overrides?.string(key) ?? (typeof given === 'string' ? given : undefined);
  };
  const [run, ...tagging] = createRequests(
    'RunTask',
    definitionArn,
    requestedTags(r),
    { 'ecs:cluster': cluster.arn },
    `${arnPrefix(ctx)}:task/${cluster.name}/*`,
  );
  if (run === undefined) return [];
  return [
    { ...run, context: { ...resourceTags(ctx, definitionArn), ...run.context } },
    ...tagging,
    ...passRole(roleOf('taskRoleArn'), TASK_ROLE_SERVICE),
    ...passRole(roleOf('executionRoleArn'), TASK_ROLE_SERVICE),
  ];
}

export const ecsAuthorizers: Record<string, Authorizer> = {
  CreateCluster: (input, ctx) => {
    const r = reader(input);
    return createRequests('CreateCluster', clusterArnOf(ctx, r.string('clusterName')), requestedTags(r));
  },
  DescribeClusters: (input, ctx) => {
    const asked = reader(input).strings('clusters');
    return (asked.length > 0 ? asked : ['default']).map((name) =>
      onArn(ctx, 'DescribeClusters', clusterArnOf(ctx, name)),
    );
  },
  ListClusters: onAnyResource('ListClusters'),
  DeleteCluster: onCluster('DeleteCluster'),
  PutClusterCapacityProviders: onCluster('PutClusterCapacityProviders'),
  UpdateClusterSettings: onCluster('UpdateClusterSettings'),
  CreateCapacityProvider: (input, ctx) => {
    const r = reader(input);
    const arn = `${arnPrefix(ctx)}:capacity-provider/${r.string('name') ?? ''}`;
    return createRequests('CreateCapacityProvider', arn, requestedTags(r));
  },
  DescribeCapacityProviders: (input, ctx) => {
    const asked = reader(input).strings('capacityProviders');
    // Listing them all names no provider: any provider of the account.
    if (asked.length === 0) {
      return [{ action: 'ecs:DescribeCapacityProviders', resource: `${arnPrefix(ctx)}:capacity-provider/*` }];
    }
    return asked.map((name) => onArn(ctx, 'DescribeCapacityProviders', capacityProviderArnOf(ctx, name)));
  },
  DeleteCapacityProvider: (input, ctx) => [
    onArn(
      ctx,
      'DeleteCapacityProvider',
      capacityProviderArnOf(ctx, reader(input).string('capacityProvider') ?? ''),
    ),
  ],
  RegisterTaskDefinition: registerTaskDefinition,
  DescribeTaskDefinition: onAnyResource('DescribeTaskDefinition'),
  DeregisterTaskDefinition: onAnyResource('DeregisterTaskDefinition'),
  DeleteTaskDefinitions: (input, ctx) =>
    reader(input)
      .strings('taskDefinitions')
      .map((reference) => onArn(ctx, 'DeleteTaskDefinitions', taskDefinitionArnOf(ctx, reference))),
  ListTaskDefinitions: onAnyResource('ListTaskDefinitions'),
  ListTaskDefinitionFamilies: onAnyResource('ListTaskDefinitionFamilies'),
  CreateService: (input, ctx) => {
    const r = reader(input);
    const cluster = clusterOf(ctx, r);
    const arn = serviceArnOf(ctx, cluster.name, r.string('serviceName') ?? '');
    return [
      ...createRequests('CreateService', arn, requestedTags(r), { 'ecs:cluster': cluster.arn }),
      ...passRole(roleArnOf(ctx, r.string('role')), 'ecs.amazonaws.com'),
    ];
  },
  DescribeServices: (input, ctx) => {
    const r = reader(input);
    const cluster = clusterOf(ctx, r);
    return r
      .strings('services')
      .map((name) => onArn(ctx, 'DescribeServices', serviceArnOf(ctx, cluster.name, name), cluster.arn));
  },
  UpdateService: onService('UpdateService'),
  DeleteService: onService('DeleteService'),
  ListServices: (input, ctx) => [
    {
      action: 'ecs:ListServices',
      resource: '*',
      context: { 'ecs:cluster': clusterOf(ctx, reader(input)).arn },
    },
  ],
  RunTask: runTask,
  DescribeTasks: (input, ctx) => {
    const r = reader(input);
    const cluster = clusterOf(ctx, r);
    return r
      .strings('tasks')
      .map((id) => onArn(ctx, 'DescribeTasks', taskArnOf(ctx, cluster.name, id), cluster.arn));
  },
  // ListTasks is authorised on a container instance; a listing that names none is on any of the cluster's.
  ListTasks: (input, ctx) => {
    const r = reader(input);
    const cluster = clusterOf(ctx, r);
    const instance = r.string('containerInstance');
    const resource =
      instance === undefined
        ? `${arnPrefix(ctx)}:container-instance/${cluster.name}/*`
        : instance.startsWith('arn:')
          ? instance
          : `${arnPrefix(ctx)}:container-instance/${cluster.name}/${instance}`;
    return [onArn(ctx, 'ListTasks', resource, cluster.arn)];
  },
  StopTask: (input, ctx) => {
    const r = reader(input);
    const cluster = clusterOf(ctx, r);
    return [onArn(ctx, 'StopTask', taskArnOf(ctx, cluster.name, r.string('task') ?? ''), cluster.arn)];
  },
  // Account settings have no resource type: IAM authorises them on `*`.
  PutAccountSetting: onAnyResource('PutAccountSetting'),
  PutAccountSettingDefault: onAnyResource('PutAccountSettingDefault'),
  DeleteAccountSetting: onAnyResource('DeleteAccountSetting'),
  ListAccountSettings: onAnyResource('ListAccountSettings'),
  TagResource: onResourceArn('TagResource', (input) => requestTagContext(requestedTags(reader(input)))),
  UntagResource: onResourceArn('UntagResource', (input): Record<string, string[]> => {
    const keys = reader(input).strings('tagKeys');
    return keys.length > 0 ? { 'aws:TagKeys': keys } : {};
  }),
  ListTagsForResource: onResourceArn('ListTagsForResource', () => ({})),
};
