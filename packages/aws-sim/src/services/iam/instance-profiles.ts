/**
 * Instance profiles of the simulated IAM API: the container for the one role an EC2 instance gets.
 * berth creates one per EC2 environment (the role's name), so the instances of one environment act as
 * a role that names only that environment's cluster.
 *
 * AWS's rules kept (IAM API reference, AddRoleToInstanceProfile / DeleteInstanceProfile /
 * DeleteRole): a profile holds at most one role (`LimitExceeded`, a quota that cannot be raised); the
 * caller of AddRoleToInstanceProfile needs `iam:PassRole` on the role; a profile that still holds a
 * role, and a role still in a profile, cannot be deleted (`DeleteConflict`). Stored as
 * `iam-instance-profile` resources keyed by name (found by tag, forgotten by a reset). Facts and
 * sources: docs/aws-facts.md#per-environment-container-instance-roles.
 */
import type { SimContext, SimResource } from '../../kernel';
import { iamError } from './roles';

export const INSTANCE_PROFILE_TYPE = 'iam-instance-profile';

export interface InstanceProfileResource extends SimResource {
  type: typeof INSTANCE_PROFILE_TYPE;
  /** The profile's name. */
  id: string;
  arn: string;
  instanceProfileId: string;
  path: string;
  /** Names of its roles (at most one). */
  roles: string[];
}

/** `arn:aws:iam::<account>:instance-profile<path><name>`. */
export function instanceProfileArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:instance-profile${path}${name}`;
}

export function storedInstanceProfile(ctx: SimContext, name: string): InstanceProfileResource | undefined {
  return ctx.store.get<InstanceProfileResource>(INSTANCE_PROFILE_TYPE, name);
}

export function requireInstanceProfile(ctx: SimContext, name: string): InstanceProfileResource {
  const profile = storedInstanceProfile(ctx, name);
  if (!profile) throw iamError.noSuchEntity(`Instance Profile ${name} cannot be found.`);
  return profile;
}

/** The profiles that hold `roleName`. */
export function profilesOfRole(ctx: SimContext, roleName: string): InstanceProfileResource[] {
  return ctx.store
    .list<InstanceProfileResource>(INSTANCE_PROFILE_TYPE)
    .filter((profile) => profile.roles.includes(roleName));
}

/**
 * The role an instance launched with the profile acts as: a stored profile's role (none when it holds
 * no role), else — for profiles the template declares, which the simulator does not store — the role
 * of the same name, as CloudFormation templates and the IAM console name them.
 */
export function roleNameOfInstanceProfile(ctx: SimContext, profileName: string): string | undefined {
  const stored = storedInstanceProfile(ctx, profileName);
  return stored ? stored.roles[0] : profileName;
}
