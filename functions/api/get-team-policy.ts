import { getTeamPolicy } from '../../shared/app/team-policies';
import { authenticatedHandler } from '../../shared/http/handler';
import { teamPolicies } from '../../shared/wiring/team-policies';

/** GET /teams/{team}/policy → the rules in force for the team (members of the team and admins). */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const policy = await getTeamPolicy({ policies: teamPolicies() }, caller, params.team ?? '');
  return { status: 200, body: policy };
});
