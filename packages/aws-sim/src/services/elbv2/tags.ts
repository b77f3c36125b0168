/**
 * AddTags, RemoveTags and DescribeTags by ARN, for load balancers, target groups, listeners and rules.
 */
import type { OperationInput, SimContext, SimResource } from '../../kernel';
import { tagListOf } from '../operation-input';
import {
  error,
  listenerNotFound,
  loadBalancerNotFound,
  reader,
  ruleNotFound,
  targetGroupNotFound,
  validationError,
} from './model';

const TAGGABLE_TYPES = ['load-balancer', 'target-group', 'listener', 'listener-rule'] as const;

function requireTaggable(ctx: SimContext, arn: string): SimResource {
  for (const type of TAGGABLE_TYPES) {
    const resource = ctx.store.get(type, arn);
    if (resource) return resource;
  }
  if (arn.includes(':loadbalancer/')) throw loadBalancerNotFound();
  if (arn.includes(':targetgroup/')) throw targetGroupNotFound();
  if (arn.includes(':listener-rule/')) throw ruleNotFound();
  if (arn.includes(':listener/')) throw listenerNotFound();
  throw validationError(`'${arn}' is not a valid load balancer, target group, listener or rule ARN`);
}

export function addTags(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const keys = r.objects('Tags').map((tag) => tag.requiredString('Key'));
  if (new Set(keys).size !== keys.length) throw error('DuplicateTagKeys', 'Tag keys must be unique');
  const tags = r.tagList('Tags');
  const resources = r.strings('ResourceArns').map((arn) => requireTaggable(ctx, arn));
  for (const resource of resources) {
    const merged = { ...resource.tags, ...tags };
    if (Object.keys(merged).length > 50)
      throw error('TooManyTags', 'You have reached the limit on the number of tags');
    resource.tags = merged;
  }
  return {};
}

export function removeTags(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const keys = r.strings('TagKeys');
  for (const resource of r.strings('ResourceArns').map((arn) => requireTaggable(ctx, arn))) {
    for (const key of keys) delete resource.tags[key];
  }
  return {};
}

export function describeTags(input: OperationInput, ctx: SimContext) {
  const arns = reader(input).strings('ResourceArns');
  if (arns.length === 0 || arns.length > 20)
    throw validationError('Between 1 and 20 resource ARNs must be specified');
  return {
    TagDescriptions: arns.map((arn) => ({
      ResourceArn: arn,
      Tags: tagListOf(requireTaggable(ctx, arn).tags),
    })),
  };
}
