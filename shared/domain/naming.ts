/**
 * Names and tags of everything berth creates. One place, so that a step, the teardown and the
 * inventory all agree on what an environment's resources are called and how they are found.
 *
 * AWS limits that shape these names: ALB and target-group names ≤ 32 characters, alphanumerics and
 * hyphens, not starting or ending with a hyphen. Environment names are unique per team only, so
 * names that must be unique per account and Region carry `envKey`, a piece of the environment id.
 */

/** Tag keys set on every resource at creation. */
export const TAG_ENVIRONMENT = 'berth:environment';
export const TAG_TEAM = 'berth:team';
export const TAG_MANAGED_BY = 'berth:managed-by';
export const MANAGED_BY = 'berth';

export const ENVIRONMENT_NAME_MAX = 20;
export const SERVICE_NAME_MAX = 20;
export const TEAM_NAME_MAX = 32;
/** A lowercase DNS label: letters, digits and inner hyphens, starting with a letter. */
/** `env-` + a lowercase ULID (26 Crockford base-32 characters; lowercase because it ends up in ALB names). */
export const ENVIRONMENT_ID_PATTERN = /^env-[0-9a-hjkmnp-tv-z]{26}$/;

export const DNS_LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

export interface EnvironmentRef {
  /** `env-` + ULID. */
  id: string;
  name: string;
  team: string;
}

/** The eight lowercase characters of the environment id that make account-wide names unique. */
export function envKey(environmentId: string): string {
  return environmentId.slice(-8).toLowerCase();
}

export const names = {
  cluster: (env: EnvironmentRef) => `${env.name}-${envKey(env.id)}`,
  loadBalancer: (env: EnvironmentRef) => `${env.name}-${envKey(env.id)}`,
  targetGroup: (env: EnvironmentRef, service: string) => `${envKey(env.id)}-${service}`,
  taskFamily: (env: EnvironmentRef, service: string) => `${env.name}-${envKey(env.id)}-${service}`,
  logGroup: (env: EnvironmentRef, service: string) => `/berth/${env.team}/${env.name}/${service}`,
  /** The name tag of EC2 resources (VPC, subnets…): what a console user sees. */
  resource: (env: EnvironmentRef, part: string) => `berth-${env.name}-${part}`,
  /**
   * The environment's task execution role. IAM role names are unique per account across every Region
   * and stage, so the whole environment id (not `envKey`): 46 characters, within IAM's 64.
   */
  executionRole: (env: Pick<EnvironmentRef, 'id'>) => `berth-${env.id}-execution`,
};

/** IAM role names: at most 64 characters of letters, digits and `+=,.@_-` (IAM quotas, name requirements). */
export const IAM_ROLE_NAME_MAX = 64;
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** Every IAM role berth creates for an environment, by name: what teardown looks for. */
export function environmentRoleNames(env: Pick<EnvironmentRef, 'id'>): string[] {
  return [names.executionRole(env)];
}

/** Tags set on every resource at creation; `extra` are the caller's own tags. */
export function environmentTags(
  env: EnvironmentRef,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...extra,
    [TAG_ENVIRONMENT]: env.id,
    [TAG_TEAM]: env.team,
    [TAG_MANAGED_BY]: MANAGED_BY,
  };
}

/** Tags in the `[{Key, Value}]` form most AWS APIs take. */
export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
