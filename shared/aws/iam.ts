/**
 * Every IAM call of berth: the roles it creates for an environment — its task execution role, whose
 * inline policy grants exactly the spec's secrets, the environment's log groups and ECR pulls
 * (shared/domain/execution-role.ts), its container-instance role, and a task role per service that
 * declares `iam` statements, under the deployment's permissions boundary (shared/domain/task-roles.ts)
 * — and their deletion at teardown (task roles also when an update drops a service's `iam`).
 *
 * Names are deterministic (shared/domain/naming.ts), so roles are found by name (GetRole), never by
 * listing (ListRoles needs Resource '*'). Idempotency: GetRole first, CreateRole carries the
 * environment's tags (so the role is berth's from its first instant), EntityAlreadyExists means a
 * concurrent run made it; PutRolePolicy replaces the one inline policy whole. A role with berth's name
 * but another environment's tag is neither adopted nor deleted.
 *
 * IAM has one endpoint per partition (the SDK resolves it from any Region); `AWS_ENDPOINT_URL_IAM`
 * points the client elsewhere (the simulated AWS) like every other client. Nothing here waits.
 */
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  type InstanceProfile,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  paginateListInstanceProfilesForRole,
  paginateListRolePolicies,
  RemoveRoleFromInstanceProfileCommand,
  type Role,
} from '@aws-sdk/client-iam';
import {
  ECS_TASKS_TRUST,
  EXECUTION_ROLE_POLICY_NAME,
  type ExecutionRoleSpec,
  executionRolePolicy,
  type PolicyDocument,
  type PolicyScope,
} from '../domain/execution-role';
import { EC2_TRUST, INSTANCE_ROLE_POLICY_NAME, instanceRolePolicy } from '../domain/instance-role';
import { type EnvironmentRef, environmentRoleNames, names, TAG_ENVIRONMENT, tagList } from '../domain/naming';
import type { EnvironmentSpec } from '../domain/spec';
import { TASK_ROLE_POLICY_NAME, TASK_ROLE_TRUST, taskRolePolicy } from '../domain/task-roles';
import { errorCode, hasCode } from './errors';
import { ResourceOwnedElsewhere } from './load-balancer';
import { stepCalls } from './retry-budget';
import { type Blocker, collect, messageOf, type TeardownProgress } from './teardown';
import { traced } from './tracing';

/** Region, credentials and endpoint come from the environment (`AWS_ENDPOINT_URL_IAM`). */
const defaultClient = /* @__PURE__ */ traced(/* @__PURE__ */ new IAMClient(stepCalls));

// IAM's Query protocol answers the code without the SDK's `Exception` suffix; match either spelling.
const NO_SUCH_ENTITY = ['NoSuchEntity', 'NoSuchEntityException'];
const ALREADY_EXISTS = ['EntityAlreadyExists', 'EntityAlreadyExistsException'];
/** DeleteRole while a policy or instance profile is still attached; another pass may succeed. */
const BLOCKING = [
  'DeleteConflict',
  'DeleteConflictException',
  'ConcurrentModification',
  'ConcurrentModificationException',
];

export interface ExecutionRoleOptions {
  /** The Region the environment's tasks run in (their log groups' ARNs). */
  region: string;
  /** The environment's tags, set on the role by CreateRole itself. */
  tags: Record<string, string>;
}

/** The role, or undefined when IAM has none by that name. */
async function findRole(roleName: string, client: IAMClient): Promise<Role | undefined> {
  try {
    return (await client.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (error) {
    if (hasCode(error, ...NO_SUCH_ENTITY)) return undefined;
    throw error;
  }
}

function ownerOf(role: Role): string | undefined {
  return role.Tags?.find((tag) => tag.Key === TAG_ENVIRONMENT)?.Value;
}

/** `arn:<partition>:iam::<account>:role/<name>` → the partition and account the policy's ARNs need. */
function scopeOf(roleArn: string, region: string): PolicyScope {
  const [, partition, , , account] = roleArn.split(':');
  if (!partition || !account)
    throw new Error(`IAM returned a role ARN without partition or account: ${roleArn}`);
  return { partition, account, region };
}

/**
 * The environment's role `roleName`, created (tagged, and under `boundaryArn` when one is given) if
 * missing and checked to be this environment's, its one inline policy set to what `policyFor` makes of
 * the role's scope. A role found under another boundary (the deployment changed it) is put under
 * `boundaryArn` before its policy is written: berth's grants let it write a task role's policy only
 * while the role has that boundary. Answers its ARN.
 */
async function ensureRole(
  env: EnvironmentRef,
  role: {
    name: string;
    trust: PolicyDocument;
    description: string;
    policyName: string;
    boundaryArn?: string;
  },
  policyFor: (scope: PolicyScope) => PolicyDocument,
  options: ExecutionRoleOptions,
  client: IAMClient,
): Promise<string> {
  let found = await findRole(role.name, client);
  if (!found) {
    try {
      found = (
        await client.send(
          new CreateRoleCommand({
            RoleName: role.name,
            AssumeRolePolicyDocument: JSON.stringify(role.trust),
            Description: role.description,
            Tags: tagList(options.tags),
            ...(role.boundaryArn !== undefined ? { PermissionsBoundary: role.boundaryArn } : {}),
          }),
        )
      ).Role;
    } catch (error) {
      if (!hasCode(error, ...ALREADY_EXISTS)) throw error;
      found = await findRole(role.name, client);
    }
  }
  const roleArn = found?.Arn;
  if (!found || !roleArn) throw new Error(`role ${role.name} was neither found nor created`);
  const owner = ownerOf(found);
  if (owner !== env.id) throw new ResourceOwnedElsewhere(role.name, roleArn, owner);
  if (
    role.boundaryArn !== undefined &&
    found.PermissionsBoundary?.PermissionsBoundaryArn !== role.boundaryArn
  ) {
    await client.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: role.name, PermissionsBoundary: role.boundaryArn }),
    );
  }
  await client.send(
    new PutRolePolicyCommand({
      RoleName: role.name,
      PolicyName: role.policyName,
      PolicyDocument: JSON.stringify(policyFor(scopeOf(roleArn, options.region))),
    }),
  );
  return roleArn;
}

/**
 * The environment's task execution role, created if missing, its policy set to what `spec` needs now
 * (an update may add or drop secrets). Answers its ARN for the task definitions.
 */
export async function ensureExecutionRole(
  env: EnvironmentRef,
  spec: ExecutionRoleSpec,
  options: ExecutionRoleOptions,
  client: IAMClient = defaultClient,
): Promise<{ roleArn: string }> {
  const roleArn = await ensureRole(
    env,
    {
      name: names.executionRole(env),
      trust: ECS_TASKS_TRUST,
      description: `berth: task execution role of environment ${env.id} (${env.team}/${env.name})`,
      policyName: EXECUTION_ROLE_POLICY_NAME,
    },
    (scope) => executionRolePolicy(scope, env, spec),
    options,
    client,
  );
  return { roleArn };
}

export interface TaskRoleOptions extends ExecutionRoleOptions {
  /** The managed policy every task role berth creates is bounded by (deploy parameter taskRoleBoundaryArn). */
  boundaryArn: string;
}

/**
 * A task role for each service of `spec` that declares `iam` statements, `berth-<environment id>-task-<service>`:
 * created if missing (tagged, under the boundary), its policy set to exactly the statements. Answers
 * each role's ARN by service name, for the task definitions. Roles of services that no longer declare
 * `iam` are left to `deleteTaskRoles`, once no task uses them.
 */
export async function ensureTaskRoles(
  env: EnvironmentRef,
  spec: Pick<EnvironmentSpec, 'services'>,
  options: TaskRoleOptions,
  client: IAMClient = defaultClient,
): Promise<Record<string, string>> {
  const roleArns: Record<string, string> = {};
  for (const service of spec.services) {
    const { iam } = service;
    if (iam === undefined) continue;
    roleArns[service.name] = await ensureRole(
      env,
      {
        name: names.taskRole(env, service.name),
        trust: TASK_ROLE_TRUST,
        description: `berth: task role of service ${service.name} of environment ${env.id} (${env.team}/${env.name})`,
        policyName: TASK_ROLE_POLICY_NAME,
        boundaryArn: options.boundaryArn,
      },
      () => taskRolePolicy(iam),
      options,
      client,
    );
  }
  return roleArns;
}

async function findInstanceProfile(name: string, client: IAMClient): Promise<InstanceProfile | undefined> {
  try {
    return (await client.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
  } catch (error) {
    if (hasCode(error, ...NO_SUCH_ENTITY)) return undefined;
    throw error;
  }
}

/**
 * The role and instance profile of an EC2 environment's container instances, both named
 * `berth-<environment id>-instance`, created if missing (tagged), the role's policy naming only the
 * environment's cluster (shared/domain/instance-role.ts). Answers the profile's ARN for the launch
 * template. A profile of that name holding another role is someone else's: ResourceOwnedElsewhere.
 */
export async function ensureInstanceRole(
  env: EnvironmentRef,
  clusterName: string,
  options: ExecutionRoleOptions,
  client: IAMClient = defaultClient,
): Promise<{ roleArn: string; instanceProfileArn: string }> {
  const name = names.instanceRole(env);
  const roleArn = await ensureRole(
    env,
    {
      name,
      trust: EC2_TRUST,
      description: `berth: container instances of environment ${env.id} (${env.team}/${env.name})`,
      policyName: INSTANCE_ROLE_POLICY_NAME,
    },
    (scope) => instanceRolePolicy(scope, clusterName),
    options,
    client,
  );
  let profile = await findInstanceProfile(name, client);
  if (!profile) {
    try {
      profile = (
        await client.send(
          new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: tagList(options.tags) }),
        )
      ).InstanceProfile;
    } catch (error) {
      if (!hasCode(error, ...ALREADY_EXISTS)) throw error;
      profile = await findInstanceProfile(name, client);
    }
  }
  const instanceProfileArn = profile?.Arn;
  if (!profile || !instanceProfileArn)
    throw new Error(`instance profile ${name} was neither found nor created`);
  const roles = (profile.Roles ?? []).map((role) => role.RoleName);
  if (roles.length > 0 && !roles.includes(name)) {
    throw new ResourceOwnedElsewhere(name, instanceProfileArn, roles.join(','));
  }
  if (roles.length === 0) {
    try {
      await client.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
    } catch (error) {
      // A concurrent run added it first (EntityAlreadyExists, or LimitExceeded once it holds the role).
      if (!hasCode(error, ...ALREADY_EXISTS, 'LimitExceeded', 'LimitExceededException')) throw error;
    }
  }
  return { roleArn, instanceProfileArn };
}

/**
 * Takes the role out of every instance profile that holds it, and deletes the profile of its name when
 * it carries this environment's tag (berth made it; a crash may have left it empty already).
 */
async function releaseInstanceProfiles(
  env: Pick<EnvironmentRef, 'id'>,
  roleName: string,
  client: IAMClient,
): Promise<void> {
  const profiles = await collect(
    paginateListInstanceProfilesForRole({ client }, { RoleName: roleName }),
    (page) => page.InstanceProfiles,
  );
  for (const profile of profiles) {
    const profileName = profile.InstanceProfileName;
    if (!profileName) continue;
    try {
      await client.send(
        new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: profileName, RoleName: roleName }),
      );
    } catch (error) {
      if (!hasCode(error, ...NO_SUCH_ENTITY)) throw error;
    }
  }
  // Only the profile berth made for this role (its name, this environment's tag); another is left, emptied of it.
  const own = await findInstanceProfile(roleName, client);
  if (own?.Tags?.find((tag) => tag.Key === TAG_ENVIRONMENT)?.Value !== env.id) return;
  try {
    await client.send(new DeleteInstanceProfileCommand({ InstanceProfileName: roleName }));
  } catch (error) {
    if (!hasCode(error, ...NO_SUCH_ENTITY)) throw error;
  }
}

/** One role gone: its inline policies first (DeleteRole refuses a role that still has any), then itself. */
async function deleteRole(
  env: Pick<EnvironmentRef, 'id'>,
  roleName: string,
  client: IAMClient,
): Promise<Blocker | undefined> {
  try {
    // DeleteRole refuses a role still in an instance profile (an EC2 environment's instance role).
    // berth never puts a task role in one, so its deletion skips the lookups (remove-task-roles is
    // granted none of them); one someone else put in a profile is reported as DeleteConflict.
    if (!roleName.startsWith(names.taskRole(env, ''))) await releaseInstanceProfiles(env, roleName, client);
    const policyNames = await collect(
      paginateListRolePolicies({ client }, { RoleName: roleName }),
      (page) => page.PolicyNames,
    );
    for (const policyName of policyNames) {
      try {
        await client.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
      } catch (error) {
        if (!hasCode(error, ...NO_SUCH_ENTITY)) throw error;
      }
    }
    await client.send(new DeleteRoleCommand({ RoleName: roleName }));
    return undefined;
  } catch (error) {
    if (hasCode(error, ...NO_SUCH_ENTITY)) return undefined;
    if (hasCode(error, ...BLOCKING)) {
      return { resource: roleName, code: errorCode(error) ?? 'DeleteConflict', message: messageOf(error) };
    }
    throw error;
  }
}

/**
 * A teardown pass over the environment's roles — its execution and instance roles and the task roles of
 * `services`, every service it has or had: each one found by name and carrying this environment's tag
 * is deleted; one never created (or already gone) is done. Run it once no task of the environment runs
 * any more: ECS's agents use the execution role, and the containers their task role, until a task has
 * stopped.
 */
export async function deleteEnvironmentRoles(
  env: Pick<EnvironmentRef, 'id'>,
  services: readonly string[],
  client: IAMClient = defaultClient,
): Promise<TeardownProgress> {
  return deleteRoles(env, environmentRoleNames(env, services), client);
}

/**
 * The task roles of `services` (services an update removed or that no longer declare `iam`), deleted as
 * teardown deletes them. Run it once the services' new tasks are stable: until then a task of the
 * previous revision, or a circuit-breaker rollback to it, still runs as the role.
 */
export async function deleteTaskRoles(
  env: Pick<EnvironmentRef, 'id'>,
  services: readonly string[],
  client: IAMClient = defaultClient,
): Promise<TeardownProgress> {
  return deleteRoles(
    env,
    services.map((service) => names.taskRole(env, service)),
    client,
  );
}

async function deleteRoles(
  env: Pick<EnvironmentRef, 'id'>,
  roleNames: readonly string[],
  client: IAMClient,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const roleName of roleNames) {
    const role = await findRole(roleName, client);
    // Absent, or someone else's role under berth's name: nothing of this environment to delete.
    if (!role || ownerOf(role) !== env.id) continue;
    const blocker = await deleteRole(env, roleName, client);
    if (blocker) blocked.push(blocker);
  }
  return { done: blocked.length === 0, blocked };
}
