/**
 * The environment record as stored and returned by the API, and the events of its history. These
 * schemas describe the API's responses in the OpenAPI document and let the store check what it
 * reads. Ids are made by the store, not here.
 *
 * The record objects are not strict: the store's own bookkeeping attributes are stripped by parsing
 * rather than refused, and outputs/resources grow as workflow steps add to them.
 */
import { costEstimateSchema } from './cost';
import { ENVIRONMENT_ID_PATTERN } from './naming';
import { environmentRequestSchema } from './spec';
import { STATUSES } from './status';
import * as z from './zod';

const isoTimestamp = z.iso.datetime({ offset: true });

export const environmentIdSchema = z.meta(
  z
    .string()
    .check(
      z.regex(ENVIRONMENT_ID_PATTERN, { error: 'must be an environment id: env- and a 26-character ULID' }),
    ),
  { examples: ['env-01jd5y8q7n3w0s2k4m6p8r0t2v'] },
);

export const statusSchema = z.enum(STATUSES);

export const completedStepSchema = z.object({
  step: z.string(),
  startedAt: isoTimestamp,
  finishedAt: isoTimestamp,
});

export const progressSchema = z.object({
  currentStep: z.optional(z.string()),
  percent: z.number().check(z.minimum(0), z.maximum(100)),
  completedSteps: z.array(completedStepSchema),
});

export const serviceOutputSchema = z.object({
  name: z.string(),
  url: z.string(),
  serviceArn: z.string(),
  logGroup: z.string(),
});

/** A job as provisioned: where to send its messages (queue jobs) or which schedule starts it. */
export const jobOutputSchema = z.object({
  name: z.string(),
  trigger: z.enum(['schedule', 'queue']),
  scheduleArn: z.optional(z.string()),
  queueUrl: z.meta(z.optional(z.string()), { description: 'Send a message here to start one task.' }),
  deadLetterQueueUrl: z.optional(z.string()),
  pipeArn: z.optional(z.string()),
});

/** What a caller uses once the environment is up; steps add keys as they finish, hence loose. */
export const outputsSchema = z.looseObject({
  url: z.optional(z.string()),
  loadBalancerDnsName: z.optional(z.string()),
  services: z.optional(z.array(serviceOutputSchema)),
  jobs: z.optional(z.array(jobOutputSchema)),
});

export const environmentErrorSchema = z.object({
  step: z.optional(z.string()),
  code: z.meta(z.string(), { description: 'The AWS error code (e.g. DependencyViolation) or a berth code.' }),
  message: z.string(),
});

export const environmentSchema = z.object({
  id: environmentIdSchema,
  team: z.string(),
  name: z.string(),
  createdBy: z.string(),
  spec: environmentRequestSchema,
  status: statusSchema,
  version: z.meta(z.int().check(z.minimum(1)), {
    description: 'Increments on every change; the ETag and If-Match value.',
  }),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
  progress: progressSchema,
  resources: z.meta(z.record(z.string(), z.union([z.string(), z.array(z.string())])), {
    description: 'AWS resource ids by kind (vpc, subnets, loadBalancer…): what teardown deletes.',
  }),
  outputs: outputsSchema,
  executionArn: z.optional(z.string()),
  idempotencyKey: z.optional(z.string()),
  ticket: z.optional(z.string()),
  error: z.meta(z.optional(environmentErrorSchema), { description: 'Why the last workflow failed.' }),
  cost: z.optional(costEstimateSchema),
});

export const EVENT_TYPES = [
  'status-changed',
  'step-started',
  'step-finished',
  'step-failed',
  'requested',
  'update-requested',
  'delete-requested',
] as const;

export const environmentEventSchema = z.object({
  id: z.string(),
  environmentId: environmentIdSchema,
  at: isoTimestamp,
  type: z.enum(EVENT_TYPES),
  status: z.optional(statusSchema),
  step: z.optional(z.string()),
  message: z.optional(z.string()),
  detail: z.optional(z.record(z.string(), z.unknown())),
});

/** One page of a listing; `nextCursor` is absent on the last page. */
export function pageSchemaOf<T extends z.ZodMiniType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.optional(z.string()) });
}

export const environmentPageSchema = pageSchemaOf(environmentSchema);
export const environmentEventPageSchema = pageSchemaOf(environmentEventSchema);

export type Environment = z.output<typeof environmentSchema>;
export type EnvironmentEvent = z.output<typeof environmentEventSchema>;
export type EnvironmentEventType = (typeof EVENT_TYPES)[number];
export type Progress = z.output<typeof progressSchema>;
export type EnvironmentOutputs = z.output<typeof outputsSchema>;
export type JobOutput = z.output<typeof jobOutputSchema>;

const namedOutputs = z.array(z.object({ name: z.string() }));

/**
 * Every service (or job) name the environment may have AWS resources for: the spec's, and those the
 * last READY run recorded in its outputs (an update that removed one may have failed before its
 * resources went). Once each, sorted; outputs that do not parse add nothing.
 */
export function knownNames(
  environment: {
    spec: Record<'services' | 'jobs', ReadonlyArray<{ name: string }>>;
    outputs: Record<string, unknown>;
  },
  kind: 'services' | 'jobs',
): string[] {
  const recorded = namedOutputs.safeParse(environment.outputs[kind] ?? []);
  return [
    ...new Set([
      ...environment.spec[kind].map((item) => item.name),
      ...(recorded.success ? recorded.data.map((item) => item.name) : []),
    ]),
  ].sort();
}
