/**
 * What an environment's task execution role may do: the policy ECS's agents act under when they start
 * the environment's tasks. Pure, so the exact resources are decided (and tested) here, and
 * shared/aws/iam.ts only puts the document on the role.
 *
 * ECS needs, for a task to start: `secretsmanager:GetSecretValue` / `ssm:GetParameters` on each secret
 * a container definition names, `logs:CreateLogStream` / `logs:PutLogEvents` on its awslogs group, and
 * the ECR pull actions for private images. The role grants exactly the spec's secrets and the
 * environment's own log groups; ECR images are not scoped yet, so the pulls are on `*`.
 */
import { type EnvironmentRef, names } from './naming';
import type { EnvironmentSpec } from './spec';

export interface PolicyStatement {
  Effect: 'Allow';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: { Service: string };
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The one inline policy of the execution role (PutRolePolicy replaces it whole on every run). */
export const EXECUTION_ROLE_POLICY_NAME = 'berth-task-execution';

/** Who may assume the execution role: ECS's task agents, as for every task execution role. */
export const ECS_TASKS_TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
};

/**
 * A role's inline policies together hold at most 10,240 characters, white space not counted (IAM
 * quotas); PutRolePolicy answers LimitExceeded beyond.
 */
export const ROLE_POLICY_SIZE_MAX = 10_240;

/** Where the execution role lives: the partition and account of its ARN, the Region of the tasks. */
export interface PolicyScope {
  partition: string;
  account: string;
  region: string;
}

/** Secrets Manager's random suffix: a hyphen and six characters after the secret's name. */
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;

/**
 * The IAM resource of one `valueFrom`: an SSM parameter ARN as it is; a Secrets Manager ARN without
 * ECS's `:json-key:version-stage:version-id` selector. Secrets Manager authorises GetSecretValue on the
 * secret's complete ARN, which ends in `-` and six random characters; an ARN without them (a partial
 * ARN) is widened by exactly that suffix, `-??????`, as Secrets Manager's guide writes such policies.
 * A name that itself ends in `-` and six characters is taken as complete, as Secrets Manager does.
 */
export function secretResource(valueFrom: string): { action: string; resource: string } {
  const parts = valueFrom.split(':');
  if (parts[2] === 'ssm') return { action: 'ssm:GetParameters', resource: valueFrom };
  const secret = parts.slice(0, 7).join(':');
  const name = parts[6] ?? '';
  return {
    action: 'secretsmanager:GetSecretValue',
    resource: SECRET_SUFFIX.test(name) ? secret : `${secret}-??????`,
  };
}

/** The ARN pattern of every log group of the environment (`/berth/<team>/<name>/…`) and its streams. */
export function environmentLogGroups(scope: PolicyScope, env: EnvironmentRef): string {
  // A `*` in an ARN's last part also matches colons, so it covers `…:log-stream:<stream>` too.
  return `arn:${scope.partition}:logs:${scope.region}:${scope.account}:log-group:${names.logGroup(env, '')}*`;
}

/**
 * The execution role's policy for `spec`: its secrets (one statement per kind that has any), the
 * environment's log groups and ECR pulls. Resources are sorted and unique, so a spec that did not
 * change gives the same document.
 */
export function executionRolePolicy(
  scope: PolicyScope,
  env: EnvironmentRef,
  spec: Pick<EnvironmentSpec, 'services'>,
): PolicyDocument {
  const byAction = new Map<string, Set<string>>();
  for (const service of spec.services) {
    for (const valueFrom of Object.values(service.secrets)) {
      const { action, resource } = secretResource(valueFrom);
      const resources = byAction.get(action) ?? new Set<string>();
      resources.add(resource);
      byAction.set(action, resources);
    }
  }
  const secretStatements = ['secretsmanager:GetSecretValue', 'ssm:GetParameters'].flatMap(
    (action): PolicyStatement[] => {
      const resources = byAction.get(action);
      return resources ? [{ Effect: 'Allow', Action: action, Resource: [...resources].sort() }] : [];
    },
  );
  return {
    Version: '2012-10-17',
    Statement: [
      ...secretStatements,
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: environmentLogGroups(scope, env),
      },
      // ecr:GetAuthorizationToken has no resource type: AWS requires '*'.
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      // Images are any registry's for now (the spec does not name ECR repositories), hence '*'.
      {
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        Resource: '*',
      },
    ],
  };
}

/** The size IAM counts against ROLE_POLICY_SIZE_MAX: the JSON without white space outside strings. */
export function policySize(policy: PolicyDocument): number {
  return JSON.stringify(policy).length;
}
