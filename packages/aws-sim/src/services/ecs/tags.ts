/**
 * TagResource, UntagResource and ListTagsForResource by ARN, for every taggable ECS record.
 */
import type { OperationInput, SimContext, SimResource } from '../../kernel';
import { error, invalidParameter, reader, readTags, tagsOut } from './model';

const TAGGABLE_TYPES = [
  'ecs-cluster',
  'ecs-service',
  'ecs-task',
  'ecs-task-definition',
  'ecs-capacity-provider',
  'ecs-container-instance',
] as const;

/** The ECS record an ARN names (any taggable type), if it exists. */
export function findTaggable(ctx: SimContext, arn: string): SimResource | undefined {
  for (const type of TAGGABLE_TYPES) {
    const resource = ctx.store.get(type, arn);
    if (resource) return resource;
  }
  return undefined;
}

function requireTaggable(ctx: SimContext, arn: string): SimResource {
  const resource = findTaggable(ctx, arn);
  if (resource) return resource;
  throw error('ResourceNotFoundException', 'The specified resource could not be found.');
}

export function tagResource(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const resource = requireTaggable(ctx, r.requiredString('resourceArn'));
  const merged = { ...resource.tags, ...readTags(r) };
  if (Object.keys(merged).length > 50) throw invalidParameter('The number of tags exceeds the limit of 50.');
  resource.tags = merged;
  return {};
}

export function untagResource(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const resource = requireTaggable(ctx, r.requiredString('resourceArn'));
  for (const key of r.strings('tagKeys')) delete resource.tags[key];
  return {};
}

export function listTagsForResource(input: OperationInput, ctx: SimContext) {
  const resource = requireTaggable(ctx, reader(input).requiredString('resourceArn'));
  return { tags: tagsOut(resource.tags) };
}
