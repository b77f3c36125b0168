/**
 * The team policy source, built once per Lambda container: the default from TEAM_POLICY_DEFAULTS
 * (JSON over the built-in default; the built-in one when unset) and each team's rules in the table.
 */
import type { TeamPolicySource } from '../app/ports';
import { optionalEnv, requireEnv } from '../config';
import { parseTeamPolicyDefaults } from '../domain/team-policy';
import { TeamPolicyStore } from '../store/team-policies';
import { documentClient } from './table';

let source: TeamPolicySource | undefined;

export function teamPolicies(): TeamPolicySource {
  source ??= {
    store: new TeamPolicyStore(documentClient(), requireEnv('TABLE_NAME')),
    defaults: parseTeamPolicyDefaults(optionalEnv('TEAM_POLICY_DEFAULTS', '')),
  };
  return source;
}
