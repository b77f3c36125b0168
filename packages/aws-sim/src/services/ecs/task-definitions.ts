/**
 * Task definitions: registration with Fargate's CPU/memory combinations, the 64 KiB size limit and
 * revision numbering, describe, deregister, DeleteTaskDefinitions (DELETE_IN_PROGRESS, then gone once
 * no task or deployment uses the revision; records stay, so revisions keep counting) and listing:
 * ListTaskDefinitions filters by the exact family, ListTaskDefinitionFamilies by a prefix
 * (docs/aws-facts.md#task-definitions-ami-architecture-and-derived-names).
 */
import type { OperationInput, SimContext } from '../../kernel';
import { epochSeconds, InputReader, paginate } from '../operation-input';
import { strictness } from '../strictness';
import {
  arnPrefix,
  clientException,
  type EcsServiceResource,
  includes,
  invalidParameter,
  plain,
  reader,
  readTags,
  type TaskDefinitionResource,
  type TaskResource,
  tagsOut,
  taskDefinitionNotFound,
} from './model';
import { taskStatus } from './task-lifecycle';

/** RegisterTaskDefinition refuses a request larger than this many bytes (ClientException). */
const MAX_TASK_DEFINITION_BYTES = 65536;

/** Valid Fargate task sizes: CPU units → allowed memory (MiB), from "Task CPU and memory". */
const FARGATE_SIZES: Record<string, number[]> = {
  '256': [512, 1024, 2048],
  '512': steps(1024, 4096, 1024),
  '1024': steps(2048, 8192, 1024),
  '2048': steps(4096, 16384, 1024),
  '4096': steps(8192, 30720, 1024),
  '8192': steps(16384, 61440, 4096),
  '16384': steps(32768, 122880, 8192),
};

function steps(from: number, to: number, by: number): number[] {
  return Array.from({ length: (to - from) / by + 1 }, (_, index) => from + index * by);
}

/** Task-level cpu/memory as AWS stores them: units and MiB as text (`"1 vCPU"` → `"1024"`, `"2 GB"` → `"2048"`). */
function normaliseSize(value: string | undefined, unit: 'vcpu' | 'gb'): string | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*([\d.]+)\s*(vcpu|gb)?\s*$/i.exec(value);
  if (!match?.[1])
    throw clientException(`Invalid ${unit === 'vcpu' ? "'cpu'" : "'memory'"} setting for task.`);
  const amount = Number(match[1]);
  return match[2] && match[2].toLowerCase() === unit ? String(Math.round(amount * 1024)) : String(amount);
}

export function resolveTaskDefinition(
  ctx: SimContext,
  reference: string,
): TaskDefinitionResource | undefined {
  const all = ctx.store.list<TaskDefinitionResource>('ecs-task-definition');
  if (reference.startsWith('arn:')) return all.find((definition) => definition.arn === reference);
  const [family, revision] = reference.split(':');
  if (revision !== undefined) {
    return all.find((definition) => definition.family === family && definition.revision === Number(revision));
  }
  return all
    .filter((definition) => definition.family === family && definition.status === 'ACTIVE')
    .sort((a, b) => b.revision - a.revision)[0];
}

/** The revision the family's next registration gets (revisions keep counting past deleted ones). */
export function nextRevision(ctx: SimContext, family: string): number {
  return (
    ctx.store
      .list<TaskDefinitionResource>('ecs-task-definition')
      .filter((definition) => definition.family === family)
      .reduce((highest, definition) => Math.max(highest, definition.revision), 0) + 1
  );
}

/**
 * True once a revision submitted for deletion is purged: ECS deletes it when no task that has not
 * stopped and no service that is not INACTIVE still refers to it. Computed when asked, so no timer runs.
 */
function isPurged(ctx: SimContext, definition: TaskDefinitionResource): boolean {
  if (definition.status !== 'DELETE_IN_PROGRESS') return false;
  const runningTask = ctx.store
    .list<TaskResource>('ecs-task')
    .some((task) => task.taskDefinitionArn === definition.arn && taskStatus(ctx, task) !== 'STOPPED');
  if (runningTask) return false;
  return !ctx.store
    .list<EcsServiceResource>('ecs-service')
    .some(
      (service) =>
        service.status !== 'INACTIVE' &&
        (service.taskDefinition === definition.arn ||
          service.deployments.some((deployment) => deployment.taskDefinition === definition.arn)),
    );
}

/** The revisions the account still has: every record but those purged after DeleteTaskDefinitions. */
function existingDefinitions(ctx: SimContext): TaskDefinitionResource[] {
  return ctx.store
    .list<TaskDefinitionResource>('ecs-task-definition')
    .filter((definition) => !isPurged(ctx, definition));
}

function taskDefinitionOutput(definition: TaskDefinitionResource) {
  return {
    ...definition.body,
    taskDefinitionArn: definition.arn,
    revision: definition.revision,
    status: definition.status,
    ...(definition.deleteRequestedAt !== undefined
      ? { deleteRequestedAt: epochSeconds(definition.deleteRequestedAt) }
      : {}),
  };
}

export function registerTaskDefinition(input: OperationInput, ctx: SimContext) {
  const size = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (size > MAX_TASK_DEFINITION_BYTES && strictness(ctx).taskDefinitionSize) {
    throw clientException(
      `Actual length: '${size}'. Max allowed length is '${MAX_TASK_DEFINITION_BYTES}' bytes.`,
    );
  }
  const r = new InputReader(input, clientException);
  const family = r.requiredString('family');
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
    throw clientException(
      'Family contains invalid characters (letters, numbers, hyphens and underscores only).',
    );
  }
  const containerReaders = r.objects('containerDefinitions');
  if (containerReaders.length === 0) throw clientException('Container list cannot be empty.');
  const requires = r.strings('requiresCompatibilities');
  const networkMode = r.string('networkMode') ?? 'bridge';
  const cpu = normaliseSize(r.string('cpu'), 'vcpu');
  const memory = normaliseSize(r.string('memory'), 'gb');
  const executionRoleArn = r.string('executionRoleArn');
  const containers = containerReaders.map((container) => {
    const name = container.string('name');
    const image = container.string('image');
    if (!name) throw clientException('Container.name should not be null or empty.');
    if (!image) throw clientException('Container.image should not be null or empty.');
    const logDriver = container.object('logConfiguration')?.string('logDriver');
    if (requires.includes('FARGATE') && logDriver === 'awslogs' && !executionRoleArn) {
      throw clientException(
        'Fargate requires task definition to have execution role ARN to support log driver awslogs.',
      );
    }
    return {
      name,
      image,
      essential: container.boolean('essential') ?? true,
      ports: container.objects('portMappings').flatMap((mapping) => {
        const port = mapping.number('containerPort');
        return port === undefined ? [] : [port];
      }),
    };
  });
  if (new Set(containers.map((container) => container.name)).size !== containers.length) {
    throw clientException('Container names must be unique within a task definition.');
  }
  if (!containers.some((container) => container.essential)) {
    throw clientException('A task definition must have at least one essential container.');
  }
  const fargateSizeValid =
    cpu !== undefined && memory !== undefined && (FARGATE_SIZES[cpu] ?? []).includes(Number(memory));
  if (requires.includes('FARGATE')) {
    if (networkMode !== 'awsvpc') throw clientException("Fargate only supports network mode 'awsvpc'.");
    if (cpu === undefined) throw clientException("Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined)
      throw clientException("Fargate requires that 'memory' be defined at the task level.");
    if (!fargateSizeValid) {
      throw clientException(
        `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
      );
    }
  }
  const revision = nextRevision(ctx, family);
  const arn = `${arnPrefix(ctx)}:task-definition/${family}:${revision}`;
  const { tags: _tags, ...echoed } = input;
  const fargateCompatible = networkMode === 'awsvpc' && fargateSizeValid;
  const now = ctx.clock.now();
  const definition = ctx.store.put<TaskDefinitionResource>({
    type: 'ecs-task-definition',
    id: arn,
    arn,
    family,
    revision,
    status: 'ACTIVE',
    networkMode,
    containers,
    fargateCompatible,
    body: {
      ...(plain(echoed) as Record<string, unknown>),
      containerDefinitions: containerReaders.map((container) => ({
        ...(plain(container.input) as Record<string, unknown>),
        essential: container.boolean('essential') ?? true,
        portMappings: container.objects('portMappings').map((mapping) => ({
          ...(plain(mapping.input) as Record<string, unknown>),
          hostPort:
            mapping.number('hostPort') ?? (networkMode === 'awsvpc' ? mapping.number('containerPort') : 0),
          protocol: mapping.string('protocol') ?? 'tcp',
        })),
      })),
      networkMode,
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memory } : {}),
      volumes: plain(input.volumes) ?? [],
      placementConstraints: plain(input.placementConstraints) ?? [],
      requiresCompatibilities: requires,
      compatibilities: fargateCompatible ? ['EC2', 'FARGATE'] : ['EC2'],
      requiresAttributes: [],
      registeredAt: epochSeconds(now),
      registeredBy: `arn:aws:iam::${ctx.accountId}:root`,
    },
    tags: readTags(r),
    createdAt: now,
  });
  return { taskDefinition: taskDefinitionOutput(definition), tags: tagsOut(definition.tags) };
}

export function describeTaskDefinition(input: OperationInput, ctx: SimContext) {
  const r = new InputReader(input, clientException);
  const definition = resolveTaskDefinition(ctx, r.requiredString('taskDefinition'));
  if (!definition || isPurged(ctx, definition)) throw taskDefinitionNotFound();
  return {
    taskDefinition: taskDefinitionOutput(definition),
    ...(includes(r, 'TAGS') ? { tags: tagsOut(definition.tags) } : {}),
  };
}

export function deregisterTaskDefinition(input: OperationInput, ctx: SimContext) {
  const reference = new InputReader(input, clientException).requiredString('taskDefinition');
  if (!reference.includes(':')) throw clientException('Invalid revision number. Number: ');
  const definition = resolveTaskDefinition(ctx, reference);
  if (!definition) throw taskDefinitionNotFound();
  if (definition.status === 'ACTIVE') definition.status = 'INACTIVE';
  return {
    taskDefinition: { ...taskDefinitionOutput(definition), deregisteredAt: epochSeconds(ctx.clock.now()) },
  };
}

/**
 * Submits revisions for deletion: an INACTIVE one turns DELETE_IN_PROGRESS (running tasks and
 * services keep it), anything else is a per-revision failure rather than an error, with AWS's reasons.
 */
export function deleteTaskDefinitions(input: OperationInput, ctx: SimContext) {
  const references = reader(input).strings('taskDefinitions');
  if (references.length === 0 || references.length > 10) {
    throw invalidParameter('taskDefinitions must contain between 1 and 10 task definitions.');
  }
  const deleted: ReturnType<typeof taskDefinitionOutput>[] = [];
  const failures: Array<{ arn: string; reason: string }> = [];
  for (const reference of references) {
    const arn = reference.startsWith('arn:') ? reference : `${arnPrefix(ctx)}:task-definition/${reference}`;
    // A revision is required: `family` alone is not a deletable identifier.
    const hasRevision = /:\d+$/.test(reference);
    const definition = hasRevision ? resolveTaskDefinition(ctx, reference) : undefined;
    if (!hasRevision) {
      failures.push({
        arn,
        reason:
          'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.',
      });
    } else if (!definition) {
      failures.push({
        arn,
        reason:
          'The specified task definition does not exist. Specify a valid account, family, revision and try again.',
      });
    } else if (definition.status === 'ACTIVE') {
      failures.push({
        arn: definition.arn,
        reason:
          'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
      });
    } else {
      definition.status = 'DELETE_IN_PROGRESS';
      definition.deleteRequestedAt ??= ctx.clock.now();
      // Being deleted: no longer a resource of the account, though Describe still answers it.
      definition.endedAt ??= definition.deleteRequestedAt;
      deleted.push(taskDefinitionOutput(definition));
    }
  }
  return { taskDefinitions: deleted, failures };
}

/** ListTaskDefinitions: `familyPrefix` is the full family name, not a prefix, whatever its name says. */
export function listTaskDefinitions(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const family = r.string('familyPrefix');
  const status = r.string('status') ?? 'ACTIVE';
  const arns = existingDefinitions(ctx)
    .filter((definition) => definition.status === status)
    .filter(
      (definition) =>
        family === undefined ||
        (strictness(ctx).exactTaskFamily
          ? definition.family === family
          : definition.family.startsWith(family)),
    )
    .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision)
    .map((definition) => definition.arn);
  if (r.string('sort') === 'DESC') arns.reverse();
  const { page, nextToken } = paginate(
    arns,
    r.string('nextToken'),
    r.number('maxResults'),
    invalidParameter,
    100,
  );
  return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
}

/**
 * ListTaskDefinitionFamilies: families whose name starts with `familyPrefix`. `status` ACTIVE keeps
 * families with an ACTIVE revision, INACTIVE those without one, ALL (the default) both; a family
 * whose every revision is purged is no longer listed.
 */
export function listTaskDefinitionFamilies(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const prefix = r.string('familyPrefix') ?? '';
  const status = r.string('status') ?? 'ALL';
  if (!['ACTIVE', 'INACTIVE', 'ALL'].includes(status)) {
    throw invalidParameter(`Invalid status: ${status}. Valid values are ACTIVE, INACTIVE and ALL.`);
  }
  const activeFamilies = new Set<string>();
  const families = new Set<string>();
  for (const definition of existingDefinitions(ctx)) {
    if (!definition.family.startsWith(prefix)) continue;
    families.add(definition.family);
    if (definition.status === 'ACTIVE') activeFamilies.add(definition.family);
  }
  const listed = [...families]
    .filter((family) => status === 'ALL' || (status === 'ACTIVE') === activeFamilies.has(family))
    .sort();
  const { page, nextToken } = paginate(
    listed,
    r.string('nextToken'),
    r.number('maxResults'),
    invalidParameter,
    100,
  );
  return { families: page, ...(nextToken ? { nextToken } : {}) };
}
