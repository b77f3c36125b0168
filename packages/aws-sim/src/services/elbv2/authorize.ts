/**
 * What IAM evaluates for each ELBv2 operation (Service Authorization Reference, "Actions, resources,
 * and condition keys for AWS Elastic Load Balancing V2"), so a role's ELB grants are refused locally
 * where AWS would refuse them:
 * - creates carry `aws:RequestTag/…` and `aws:TagKeys`; a create with `Tags` is also authorised as
 *   `elasticloadbalancing:AddTags` on the new resource with `elasticloadbalancing:CreateAction`
 *   (ELB guide, "tag resources during creation");
 * - CreateListener is authorised on its load balancer and CreateRule on its listener, with that
 *   parent's tags, as the reference lists them;
 * - changes and deletes are authorised on the resource's ARN with its stored tags
 *   (`aws:ResourceTag/…` and `elasticloadbalancing:ResourceTag/…`);
 * - every Describe* has no resource type, so it is authorised on `*`.
 */
import { type AccessRequest, requestTagContext, resourceTagContext } from '../../iam/access';
import type { Authorizer, OperationInput, SimContext, SimResource } from '../../kernel';
import { arnPrefix, reader } from './model';

const PREFIX = 'elasticloadbalancing';
const TAGGABLE_TYPES = ['load-balancer', 'target-group', 'listener', 'listener-rule'] as const;

/** The stored tags of an ELB resource by ARN; none for one that does not exist (or a default rule). */
function storedTags(ctx: SimContext, arn: string): Record<string, string> | undefined {
  for (const type of TAGGABLE_TYPES) {
    const resource = ctx.store.get<SimResource>(type, arn);
    if (resource) return resource.tags;
  }
  return undefined;
}

/** Both tag keys ELB defines on existing resources: the global one and the service's own. */
function resourceTags(ctx: SimContext, arn: string): Record<string, string> {
  const tags = storedTags(ctx, arn);
  return { ...resourceTagContext(tags), ...resourceTagContext(tags, PREFIX) };
}

/** A change or delete of one existing resource. */
function onArn(action: string, ctx: SimContext, arn: string): AccessRequest {
  return { action: `${PREFIX}:${action}`, resource: arn, context: resourceTags(ctx, arn) };
}

/** An operation named by one ARN parameter (`LoadBalancerArn`, `TargetGroupArn`…). */
function byArnParameter(action: string, parameter: string): Authorizer {
  return (input, ctx) => [onArn(action, ctx, reader(input).requiredString(parameter))];
}

const onAnyResource =
  (action: string): Authorizer =>
  () => [{ action: `${PREFIX}:${action}`, resource: '*' }];

/**
 * A create: the action on `resource` (the new resource's ARN pattern, or the parent it is created
 * on, whose tags `parentArn` contributes), plus `AddTags` on the new resource when tags are given.
 */
function createRequests(
  ctx: SimContext,
  input: OperationInput,
  createAction: string,
  resource: string,
  newResource: string,
  parentArn?: string,
): AccessRequest[] {
  const tags = reader(input).tagList('Tags');
  const requested = requestTagContext(tags);
  const requests: AccessRequest[] = [
    {
      action: `${PREFIX}:${createAction}`,
      resource,
      context: { ...(parentArn ? resourceTags(ctx, parentArn) : {}), ...requested },
    },
  ];
  if (Object.keys(tags).length > 0) {
    requests.push({
      action: `${PREFIX}:AddTags`,
      resource: newResource,
      context: { ...requested, [`${PREFIX}:CreateAction`]: createAction },
    });
  }
  return requests;
}

/** `application` → `app`: the type segment of load balancer, listener and rule ARNs. */
function typeSegment(type: string | undefined): string {
  if (type === 'network') return 'net';
  if (type === 'gateway') return 'gwy';
  return 'app';
}

/** `…:loadbalancer/app/<name>/<id>` → `…:<child>/app/<name>/<id>/*` (a listener or rule yet to exist). */
function childPattern(parentArn: string, parentType: string, childType: string): string {
  return `${parentArn.replace(`:${parentType}/`, `:${childType}/`)}/*`;
}

export const elbv2Authorizers: Record<string, Authorizer> = {
  CreateLoadBalancer: (input, ctx) => {
    const r = reader(input);
    const pattern = `${arnPrefix(ctx)}:loadbalancer/${typeSegment(r.string('Type'))}/${r.requiredString('Name')}/*`;
    return createRequests(ctx, input, 'CreateLoadBalancer', pattern, pattern);
  },
  CreateTargetGroup: (input, ctx) => {
    const pattern = `${arnPrefix(ctx)}:targetgroup/${reader(input).requiredString('Name')}/*`;
    return createRequests(ctx, input, 'CreateTargetGroup', pattern, pattern);
  },
  CreateListener: (input, ctx) => {
    const loadBalancerArn = reader(input).requiredString('LoadBalancerArn');
    const listeners = childPattern(loadBalancerArn, 'loadbalancer', 'listener');
    return createRequests(ctx, input, 'CreateListener', loadBalancerArn, listeners, loadBalancerArn);
  },
  CreateRule: (input, ctx) => {
    const listenerArn = reader(input).requiredString('ListenerArn');
    const rules = childPattern(listenerArn, 'listener', 'listener-rule');
    return createRequests(ctx, input, 'CreateRule', listenerArn, rules, listenerArn);
  },
  DeleteLoadBalancer: byArnParameter('DeleteLoadBalancer', 'LoadBalancerArn'),
  ModifyLoadBalancerAttributes: byArnParameter('ModifyLoadBalancerAttributes', 'LoadBalancerArn'),
  DeleteTargetGroup: byArnParameter('DeleteTargetGroup', 'TargetGroupArn'),
  ModifyTargetGroup: byArnParameter('ModifyTargetGroup', 'TargetGroupArn'),
  ModifyTargetGroupAttributes: byArnParameter('ModifyTargetGroupAttributes', 'TargetGroupArn'),
  RegisterTargets: byArnParameter('RegisterTargets', 'TargetGroupArn'),
  DeregisterTargets: byArnParameter('DeregisterTargets', 'TargetGroupArn'),
  ModifyListener: byArnParameter('ModifyListener', 'ListenerArn'),
  DeleteListener: byArnParameter('DeleteListener', 'ListenerArn'),
  ModifyRule: byArnParameter('ModifyRule', 'RuleArn'),
  DeleteRule: byArnParameter('DeleteRule', 'RuleArn'),
  SetRulePriorities: (input, ctx) =>
    reader(input)
      .objects('RulePriorities')
      .map((change) => onArn('SetRulePriorities', ctx, change.requiredString('RuleArn'))),
  AddTags: (input, ctx) => {
    const r = reader(input);
    const requested = requestTagContext(r.tagList('Tags'));
    return r.strings('ResourceArns').map((arn) => {
      const request = onArn('AddTags', ctx, arn);
      return { ...request, context: { ...request.context, ...requested } };
    });
  },
  RemoveTags: (input, ctx) => {
    const r = reader(input);
    const keys = r.strings('TagKeys');
    return r.strings('ResourceArns').map((arn) => {
      const request = onArn('RemoveTags', ctx, arn);
      return {
        ...request,
        context: { ...request.context, ...(keys.length > 0 ? { 'aws:TagKeys': keys } : {}) },
      };
    });
  },
  DescribeLoadBalancers: onAnyResource('DescribeLoadBalancers'),
  DescribeLoadBalancerAttributes: onAnyResource('DescribeLoadBalancerAttributes'),
  DescribeTargetGroups: onAnyResource('DescribeTargetGroups'),
  DescribeTargetGroupAttributes: onAnyResource('DescribeTargetGroupAttributes'),
  DescribeTargetHealth: onAnyResource('DescribeTargetHealth'),
  DescribeListeners: onAnyResource('DescribeListeners'),
  DescribeRules: onAnyResource('DescribeRules'),
  DescribeTags: onAnyResource('DescribeTags'),
};
