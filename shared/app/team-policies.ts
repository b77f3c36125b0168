/**
 * Team policies: reading and setting what a team may ask for (admins set, members read), and the
 * check every create and update passes before anything is written (422 naming each refused field
 * and the rule that refused it).
 */
import type { Caller } from '../domain/caller';
import { canAccessTeam } from '../domain/caller';
import { formatIssues, toJsonPointer } from '../domain/issues';
import type { EnvironmentSpec } from '../domain/spec';
import {
  effectivePolicy,
  type PolicyProblem,
  policyProblems,
  type TeamPolicy,
  type TeamPolicyOverrides,
  type TeamPolicyView,
  teamPolicyOverridesSchema,
} from '../domain/team-policy';
import { UseCaseError } from './errors';
import type { TeamPolicySource } from './ports';
import { assertTeamName } from './team-name';

export interface TeamPolicyDependencies {
  policies: TeamPolicySource;
}

async function overridesOf(source: TeamPolicySource, team: string): Promise<TeamPolicyOverrides> {
  const parsed = teamPolicyOverridesSchema.safeParse(await source.store.getOverrides(team));
  // Only putTeamPolicy writes the item, after the same validation: anything else is our fault.
  if (!parsed.success)
    throw new Error(`the stored policy of team ${team} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** The rules in force for `team`. */
export async function policyFor(source: TeamPolicySource, team: string): Promise<TeamPolicy> {
  return effectivePolicy(source.defaults, await overridesOf(source, team), team);
}

async function view(source: TeamPolicySource, team: string): Promise<TeamPolicyView> {
  const overrides = await overridesOf(source, team);
  return { team, policy: effectivePolicy(source.defaults, overrides, team), overrides };
}

/** A team's policy; members of the team and admins may read it, and to anyone else it does not exist. */
export async function getTeamPolicy(
  deps: TeamPolicyDependencies,
  caller: Caller,
  team: string,
): Promise<TeamPolicyView> {
  assertTeamName(team);
  if (!canAccessTeam(caller, team)) {
    throw new UseCaseError(
      'not-found',
      'Not Found',
      'no such team policy exists or it belongs to another team',
    );
  }
  return view(deps.policies, team);
}

/** Replaces a team's own rules (admins only). A narrower policy refuses no existing environment. */
export async function putTeamPolicy(
  deps: TeamPolicyDependencies,
  caller: Caller,
  team: string,
  body: unknown,
): Promise<TeamPolicyView> {
  assertTeamName(team);
  if (!caller.admin)
    throw new UseCaseError('forbidden', 'Forbidden', 'only a berth admin may set team policies');
  const parsed = teamPolicyOverridesSchema.safeParse(body);
  if (!parsed.success) {
    throw new UseCaseError(
      'bad-request',
      'Invalid team policy',
      'the body must hold team policy rules; see errors',
      formatIssues(parsed.error),
    );
  }
  await deps.policies.store.putOverrides(team, parsed.data, caller.subject);
  return view(deps.policies, team);
}

/** The value at a zod path of a spec (undefined where there is none). */
function valueAt(spec: unknown, path: readonly (string | number)[]): unknown {
  let value = spec;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Reflect.get(value, part);
  }
  return value;
}

/**
 * Refuses, with 422 naming each field and rule, a spec its team's policy does not allow; nothing has
 * been written yet. On an update (`previous` given) a value the environment already had stays
 * allowed, so narrowing a policy does not stop a team from changing anything else.
 */
export async function assertAllowedByPolicy(
  source: TeamPolicySource | undefined,
  spec: EnvironmentSpec,
  previous?: EnvironmentSpec,
): Promise<void> {
  if (!source) return;
  const problems = policyProblems(spec, await policyFor(source, spec.team)).filter(
    (problem: PolicyProblem) =>
      previous === undefined ||
      JSON.stringify(valueAt(previous, problem.path)) !== JSON.stringify(valueAt(spec, problem.path)),
  );
  if (problems.length === 0) return;
  throw new UseCaseError(
    'unprocessable',
    'Not allowed by the team policy',
    `the policy of team ${spec.team} does not allow this environment; see errors (a berth admin changes it with PUT /teams/${spec.team}/policy)`,
    problems.map(({ path, rule, message }) => ({ path: toJsonPointer(path), rule, message })),
  );
}
