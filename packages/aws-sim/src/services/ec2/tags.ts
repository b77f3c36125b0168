/** CreateTags / DeleteTags / DescribeTags across every EC2 resource type in the store. */
import { readRecordList, readString, readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext, type SimResource } from '../../kernel';
import { notFound, paginate, type ResourcePrefix, readFilters, readTags, resourceKinds } from './model';

function isPrefix(prefix: string): prefix is ResourcePrefix {
  return prefix in resourceKinds;
}

/** The resource an EC2 id names (`vpc-…`, `subnet-…`, `i-…`); EC2's NotFound or `InvalidID` otherwise. */
export function resourceById(ctx: SimContext, id: string): { resource: SimResource; prefix: ResourcePrefix } {
  const prefix = id.slice(0, id.indexOf('-'));
  if (!isPrefix(prefix)) throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  const resource = ctx.store.get<SimResource>(resourceKinds[prefix].type, id);
  if (!resource) throw notFound(prefix, id);
  return { resource, prefix };
}

function resourceIds(input: OperationInput): string[] {
  const ids = readStringList(input, 'ResourceId');
  if (ids.length === 0)
    throw new AwsError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  return ids;
}

export function createTags(input: OperationInput, ctx: SimContext): unknown {
  const tags = readTags(readRecordList(input, 'Tag'));
  const resources = resourceIds(input).map((id) => resourceById(ctx, id).resource);
  for (const resource of resources) {
    if (Object.keys({ ...resource.tags, ...tags }).length > 50) {
      throw new AwsError(
        'TagLimitExceeded',
        `The maximum number of tags (50) for resource ${resource.id} has been reached.`,
      );
    }
  }
  for (const resource of resources) Object.assign(resource.tags, tags);
  return { return: true };
}

export function deleteTags(input: OperationInput, ctx: SimContext): unknown {
  const resources = resourceIds(input).map((id) => resourceById(ctx, id).resource);
  const wanted = readRecordList(input, 'Tag');
  for (const resource of resources) {
    if (wanted.length === 0) resource.tags = {};
    for (const tag of wanted) {
      const key = readString(tag, 'Key') ?? '';
      const value = readString(tag, 'Value');
      // With a value, only a tag holding exactly that value goes (an empty value included).
      if (resource.tags[key] !== undefined && (value === undefined || resource.tags[key] === value))
        delete resource.tags[key];
    }
  }
  return { return: true };
}

export function describeTags(input: OperationInput, ctx: SimContext): unknown {
  const filters = readFilters(input);
  const knownFilters = ['resource-id', 'resource-type', 'key', 'value'];
  for (const filter of filters) {
    if (!knownFilters.includes(filter.name))
      throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
  }
  const rows = Object.entries(resourceKinds).flatMap(([, kind]) =>
    ctx.store.list<SimResource>(kind.type).flatMap((resource) =>
      Object.entries(resource.tags).map(([key, value]) => ({
        resourceId: resource.id,
        resourceType: kind.tagType,
        key,
        value,
      })),
    ),
  );
  const selected = rows.filter((row) =>
    filters.every((filter) => {
      const field = {
        'resource-id': row.resourceId,
        'resource-type': row.resourceType,
        key: row.key,
        value: row.value,
      }[filter.name];
      return field !== undefined && filter.values.includes(field);
    }),
  );
  const { page, nextToken } = paginate(selected, input, { min: 5, max: 1000 });
  return { tagSet: page, nextToken };
}
