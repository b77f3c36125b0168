/**
 * Task roles: the roles berth creates from a service's `iam` statements, and which task roles a spec
 * may name. berth's functions may pass (`iam:PassRole`) only the roles the
 * deployment allows — an ARN pattern such as `arn:aws:iam::123456789012:role/berth-task-*` — so a
 * `taskRoleArn` outside it is refused when the request is made, not minutes later when ECS refuses to
 * register the task definition. Also: a spec whose secrets would make the execution role's policy
 * larger than IAM accepts. Pure; the pattern comes from the deployment (TASK_ROLE_ARN_PATTERN).
 */
import {
  ECS_TASKS_TRUST,
  type ExecutionRoleSpec,
  executionRolePolicy,
  type PolicyDocument,
  policySize,
  ROLE_POLICY_SIZE_MAX,
} from './execution-role';
import type { EnvironmentSpec, ServiceSpec } from './spec';
import { wildcardToRegExp } from './wildcard';

export interface SpecProblem {
  /** Where in the spec, as zod paths are (`['services', 0, 'taskRoleArn']`). */
  path: (string | number)[];
  message: string;
}

/**
 * True when `arn` matches `pattern` as IAM matches a statement's Resource: each of the first five
 * colon-separated parts on its own, the sixth (the resource, which may hold colons) as the rest;
 * wildcards `*` and `?`; case-sensitive.
 */
export function matchesArnPattern(arn: string, pattern: string): boolean {
  const split = (value: string) => {
    const parts = value.split(':');
    return [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const arnParts = split(arn);
  const patternParts = split(pattern);
  if (arnParts.length !== 6 || patternParts.length !== 6 || !arn.startsWith('arn:')) return false;
  return patternParts.every((part, index) => wildcardToRegExp(part).test(arnParts[index] ?? ''));
}

/** Every `taskRoleArn` of the spec that `pattern` does not allow, at the path of the field. */
export function taskRoleProblems(spec: Pick<EnvironmentSpec, 'services'>, pattern: string): SpecProblem[] {
  return spec.services.flatMap((service, index): SpecProblem[] =>
    service.taskRoleArn === undefined || matchesArnPattern(service.taskRoleArn, pattern)
      ? []
      : [
          {
            path: ['services', index, 'taskRoleArn'],
            message: `berth may only hand ECS task roles matching ${pattern}`,
          },
        ],
  );
}

/** The longest partition, Region and account an ARN of the execution role's policy can carry. */
const LONGEST_SCOPE = { partition: 'aws-us-gov', region: 'ap-southeast-5', account: '000000000000' };

/** The execution role's policy would exceed IAM's size limit: too many distinct secrets. */
export function executionPolicyProblems(
  spec: Pick<EnvironmentSpec, 'name' | 'team'> & ExecutionRoleSpec,
): SpecProblem[] {
  // The policy names log groups by team and environment name only: the id does not change its size.
  const env = { id: '', name: spec.name, team: spec.team };
  const size = policySize(executionRolePolicy(LONGEST_SCOPE, env, spec));
  if (size <= ROLE_POLICY_SIZE_MAX) return [];
  return [
    {
      path: ['services'],
      message: `the secrets and ECR images of the services and jobs make the task execution role's policy ${size} characters, over IAM's ${ROLE_POLICY_SIZE_MAX}: name fewer distinct secrets or repositories`,
    },
  ];
}

/** The one inline policy of a task role berth creates (PutRolePolicy replaces it whole on every run). */
export const TASK_ROLE_POLICY_NAME = 'berth-task';

/** Who may assume a task role: ECS tasks, as for every task role. */
export const TASK_ROLE_TRUST = ECS_TASKS_TRUST;

/**
 * The task role's policy: exactly the service's statements, each an Allow of its actions on its
 * resources, in the order given. What takes effect is this policy within the deployment's permissions
 * boundary (docs/aws-facts.md#task-roles-berth-creates-and-their-boundary).
 */
export function taskRolePolicy(iam: NonNullable<ServiceSpec['iam']>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: iam.statements.map((statement) => ({
      Effect: 'Allow',
      Action: [...statement.actions],
      Resource: [...statement.resources],
    })),
  };
}

/** Services whose statements would make their task role's policy larger than IAM accepts. */
export function taskRolePolicyProblems(spec: Pick<EnvironmentSpec, 'services'>): SpecProblem[] {
  return spec.services.flatMap((service, index): SpecProblem[] => {
    if (service.iam === undefined) return [];
    const size = policySize(taskRolePolicy(service.iam));
    return size <= ROLE_POLICY_SIZE_MAX
      ? []
      : [
          {
            path: ['services', index, 'iam'],
            message: `these statements make the task role's policy ${size} characters, over IAM's ${ROLE_POLICY_SIZE_MAX}: use fewer or wildcard resources`,
          },
        ];
  });
}
