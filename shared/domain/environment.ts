/**
 * The environment record as stored and returned by the API, and the events of its history. These
 * schemas describe the API's responses in the OpenAPI document and let the store check what it
 * reads. Ids are made by the store, not here.
 *
 * The record objects are not strict: the store's own bookkeeping attributes are stripped by parsing
 * rather than refused, and outputs/resources grow as workflow steps add to them.
 */
import { z } from 'zod';
import { costEstimateSchema } from './cost';
import { environmentRequestSchema } from './spec';
import { STATUSES } from './status';

/** `env-` + a lowercase ULID (26 Crockford base-32 characters; lowercase because it ends up in ALB names). */
export const ENVIRONMENT_ID_PATTERN = /^env-[0-9a-hjkmnp-tv-z]{26}$/;

const isoTimestamp = z.iso.datetime({ offset: true });

export const environmentIdSchema = z
  .string()
  .regex(ENVIRONMENT_ID_PATTERN, { error: 'must be an environment id: env- and a 26-character ULID' })
  .meta({ examples: ['env-01jd5y8q7n3w0s2k4m6p8r0t2v'] });

export const statusSchema = z.enum(STATUSES);

export const completedStepSchema = z.object({
  step: z.string(),
  startedAt: isoTimestamp,
  finishedAt: isoTimestamp,
});

export const progressSchema = z.object({
  currentStep: z.string().optional(),
  percent: z.number().min(0).max(100),
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
  scheduleArn: z.string().optional(),
  queueUrl: z.string().optional().meta({ description: 'Send a message here to start one task.' }),
  deadLetterQueueUrl: z.string().optional(),
  pipeArn: z.string().optional(),
});

/** What a caller uses once the environment is up; steps add keys as they finish, hence loose. */
export const outputsSchema = z.looseObject({
  url: z.string().optional(),
  loadBalancerDnsName: z.string().optional(),
  services: z.array(serviceOutputSchema).optional(),
  jobs: z.array(jobOutputSchema).optional(),
});

export const environmentErrorSchema = z.object({
  step: z.string().optional(),
  code: z.string().meta({ description: 'The AWS error code (e.g. DependencyViolation) or a berth code.' }),
  message: z.string(),
});

export const environmentSchema = z.object({
  id: environmentIdSchema,
  team: z.string(),
  name: z.string(),
  createdBy: z.string(),
  spec: environmentRequestSchema,
  status: statusSchema,
  version: z.int().min(1).meta({ description: 'Increments on every change; the ETag and If-Match value.' }),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
  progress: progressSchema,
  resources: z
    .record(z.string(), z.union([z.string(), z.array(z.string())]))
    .meta({ description: 'AWS resource ids by kind (vpc, subnets, loadBalancer…): what teardown deletes.' }),
  outputs: outputsSchema,
  executionArn: z.string().optional(),
  idempotencyKey: z.string().optional(),
  ticket: z.string().optional(),
  error: environmentErrorSchema.optional().meta({ description: 'Why the last workflow failed.' }),
  cost: costEstimateSchema.optional(),
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
  status: statusSchema.optional(),
  step: z.string().optional(),
  message: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/** One page of a listing; `nextCursor` is absent on the last page. */
export function pageSchemaOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().optional() });
}

export const environmentPageSchema = pageSchemaOf(environmentSchema);
export const environmentEventPageSchema = pageSchemaOf(environmentEventSchema);

export type Environment = z.output<typeof environmentSchema>;
export type EnvironmentEvent = z.output<typeof environmentEventSchema>;
export type EnvironmentEventType = (typeof EVENT_TYPES)[number];
export type Progress = z.output<typeof progressSchema>;
export type EnvironmentOutputs = z.output<typeof outputsSchema>;
export type JobOutput = z.output<typeof jobOutputSchema>;
