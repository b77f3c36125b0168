/**
 * Every IAM call of berth: the roles it creates for an environment — today its task execution role,
 * whose inline policy grants exactly the spec's secrets, the environment's log groups and ECR pulls
 * (shared/domain/execution-role.ts) — and their deletion at teardown.
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
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  paginateListRolePolicies,
  type Role,
} from '@aws-sdk/client-iam';
import {
  ECS_TASKS_TRUST,
  EXECUTION_ROLE_POLICY_NAME,
  executionRolePolicy,
  type PolicyScope,
} from '../domain/execution-role';
import { type EnvironmentRef, environmentRoleNames, names, TAG_ENVIRONMENT, tagList } from '../domain/naming';
import type { EnvironmentSpec } from '../domain/spec';
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
 * The environment's task execution role, created if missing, its policy set to what `spec` needs now
 * (an update may add or drop secrets). Answers its ARN for the task definitions.
 */
export async function ensureExecutionRole(
  env: EnvironmentRef,
  spec: Pick<EnvironmentSpec, 'services'>,
  options: ExecutionRoleOptions,
  client: IAMClient = defaultClient,
): Promise<{ roleArn: string }> {
  const roleName = names.executionRole(env);
  let role = await findRole(roleName, client);
  if (!role) {
    try {
      role = (
        await client.send(
          new CreateRoleCommand({
            RoleName: roleName,
            AssumeRolePolicyDocument: JSON.stringify(ECS_TASKS_TRUST),
            Description: `berth: task execution role of environment ${env.id} (${env.team}/${env.name})`,
            Tags: tagList(options.tags),
          }),
        )
      ).Role;
    } catch (error) {
      if (!hasCode(error, ...ALREADY_EXISTS)) throw error;
      role = await findRole(roleName, client);
    }
  }
  const roleArn = role?.Arn;
  if (!role || !roleArn) throw new Error(`role ${roleName} was neither found nor created`);
  const owner = ownerOf(role);
  if (owner !== env.id) throw new ResourceOwnedElsewhere(roleName, roleArn, owner);
  const policy = executionRolePolicy(scopeOf(roleArn, options.region), env, spec);
  await client.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: EXECUTION_ROLE_POLICY_NAME,
      PolicyDocument: JSON.stringify(policy),
    }),
  );
  return { roleArn };
}

/** One role gone: its inline policies first (DeleteRole refuses a role that still has any), then itself. */
async function deleteRole(roleName: string, client: IAMClient): Promise<Blocker | undefined> {
  try {
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
 * A teardown pass over the environment's roles: each one found by name and carrying this
 * environment's tag is deleted; one never created (or already gone) is done. Run it once no task of
 * the environment runs any more: ECS's agents use the execution role until a task has stopped.
 */
export async function deleteEnvironmentRoles(
  env: Pick<EnvironmentRef, 'id'>,
  client: IAMClient = defaultClient,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const roleName of environmentRoleNames(env)) {
    const role = await findRole(roleName, client);
    // Absent, or someone else's role under berth's name: nothing of this environment to delete.
    if (!role || ownerOf(role) !== env.id) continue;
    const blocker = await deleteRole(roleName, client);
    if (blocker) blocked.push(blocker);
  }
  return { done: blocked.length === 0, blocked };
}
