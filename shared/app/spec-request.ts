/**
 * A request body checked against the spec schema, then against what the deployment allows, for the
 * use cases that take a spec (create, update). Apart from them so each stays one use case; importing
 * it bundles the spec schema, which only those two need.
 */
import { capacityProblems } from '../domain/capacity';
import { toJsonPointer } from '../domain/issues';
import {
  type EnvironmentSpec,
  environmentRequestSchema,
  formatIssues,
  scheduleFrequencyProblems,
} from '../domain/spec';
import { executionPolicyProblems, taskRolePolicyProblems, taskRoleProblems } from '../domain/task-roles';
import { egressProblems } from '../domain/vpc-endpoints';
import { UseCaseError } from './errors';

/** Validates a request body against the spec schema; defaults applied. */
export function validateSpec(body: unknown): EnvironmentSpec {
  const parsed = environmentRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new UseCaseError(
      'bad-request',
      'Invalid environment request',
      'the request body does not describe a valid environment; see errors',
      formatIssues(parsed.error),
    );
  }
  return parsed.data;
}

/**
 * A valid spec that this deployment cannot build: a `taskRoleArn` outside the roles berth may pass to
 * ECS, secrets too many for the execution role's policy, `iam` statements too many for a task role's, a job scheduled more often than every 5
 * minutes, or an image a network without NAT cannot pull (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat). 422 naming each field, before anything
 * is written or a dry run answers.
 */
export function assertDeployable(spec: EnvironmentSpec, options: { taskRoleArnPattern?: string }): void {
  const { taskRoleArnPattern } = options;
  const problems = [
    ...(taskRoleArnPattern === undefined ? [] : taskRoleProblems(spec, taskRoleArnPattern)),
    ...executionPolicyProblems(spec),
    ...taskRolePolicyProblems(spec),
    // A VPC or EC2 capacity too small for its tasks (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
    ...capacityProblems(spec),
    ...egressProblems(spec),
    // Each scheduled start is a RunTask: no job more often than every MIN_SCHEDULE_INTERVAL_MINUTES.
    ...scheduleFrequencyProblems(spec),
  ];
  if (problems.length === 0) return;
  throw new UseCaseError(
    'unprocessable',
    'Not allowed by this deployment',
    'the spec is valid, but this deployment of berth cannot build it; see errors',
    problems.map(({ path, message }) => ({ path: toJsonPointer(path), message })),
  );
}
