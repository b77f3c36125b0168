/**
 * What an environment's task execution role may do: the policy ECS's agents act under when they start
 * the environment's tasks. Pure, so the exact resources are decided (and tested) here, and
 * shared/aws/iam.ts only puts the document on the role.
 *
 * ECS needs, for a task to start: `secretsmanager:GetSecretValue` / `ssm:GetParameters` on each secret
 * a container definition names, `logs:CreateLogStream` / `logs:PutLogEvents` on its awslogs group, and
 * the ECR pull actions for private images. The role grants exactly the spec's secrets, the
 * environment's own log groups and the ECR repositories of its images
 * (docs/aws-facts.md#execution-role-pulls-named-by-repository).
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

/** An ECR repository name: path components of lowercase letters and digits joined by `.`, `_` or `-`. */
const REPOSITORY_COMPONENT = '[a-z0-9]+(?:[._-][a-z0-9]+)*';

/**
 * A private ECR image: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag][@digest]`;
 * the repository may hold slashes, a tag follows the last `:` after the last `/`, a digest follows `@`.
 */
const ECR_IMAGE = new RegExp(
  '^(\\d{12})\\.dkr\\.ecr(?:-fips)?\\.([a-z]{2}(?:-[a-z]+)+-\\d+)\\.amazonaws\\.com(\\.cn)?/' +
    `((?:${REPOSITORY_COMPONENT}/)*${REPOSITORY_COMPONENT})` +
    '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$',
);

/**
 * The ARN of the ECR repository `image` is pulled from, in the repository's own partition, Region and
 * account (which may differ from the role's: a cross-account pull is also authorised by the
 * repository's policy); undefined for an image of any other registry (Docker Hub, public.ecr.aws,
 * ghcr.io…), which ECS pulls without the execution role.
 */
export function ecrRepositoryArn(image: string): string | undefined {
  const [, account, region, china, repository] = ECR_IMAGE.exec(image) ?? [];
  if (account === undefined || region === undefined || repository === undefined) return undefined;
  const partition = china ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}

/**
 * What the execution role's policy depends on: the services, and the jobs, whose own images run with
 * this role too (required, so no caller can drop them without saying so).
 */
export type ExecutionRoleSpec = Pick<EnvironmentSpec, 'services'> & {
  jobs: ReadonlyArray<Pick<EnvironmentSpec['jobs'][number], 'image'>>;
};

/** Every image ECS pulls with the execution role: each service's, and each job's own (not a service's). */
function imagesOf(spec: ExecutionRoleSpec): string[] {
  return [...spec.services.map((service) => service.image), ...spec.jobs.flatMap((job) => job.image ?? [])];
}

/** The ECR statements for `repositories` (sorted ARNs): none when every image is public. */
function ecrStatements(repositories: string[]): PolicyStatement[] {
  if (repositories.length === 0) return [];
  return [
    // ecr:GetAuthorizationToken has no resource type: AWS requires '*'.
    { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: repositories,
    },
  ];
}

/**
 * The execution role's policy for `spec`: its secrets (one statement per kind that has any), the
 * environment's log groups and pulls from exactly the ECR repositories of its images. Resources are
 * sorted and unique, so a spec that did not change gives the same document.
 */
export function executionRolePolicy(
  scope: PolicyScope,
  env: EnvironmentRef,
  spec: ExecutionRoleSpec,
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
  const repositories = [...new Set(imagesOf(spec).flatMap((image) => ecrRepositoryArn(image) ?? []))].sort();
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
      ...ecrStatements(repositories),
    ],
  };
}

/** The size IAM counts against ROLE_POLICY_SIZE_MAX: the JSON without white space outside strings. */
export function policySize(policy: PolicyDocument): number {
  return JSON.stringify(policy).length;
}
