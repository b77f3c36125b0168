import { putTeamPolicy } from '../../shared/app/team-policies';
import { authenticatedHandler } from '../../shared/http/handler';
import { teamPolicies } from '../../shared/wiring/team-policies';

/** PUT /teams/{team}/policy → replaces the team's own rules (admins only); answers as GET. */
export const handler = authenticatedHandler(
  async ({ caller, params, body }) => {
    const policy = await putTeamPolicy({ policies: teamPolicies() }, caller, params.team ?? '', body);
    return { status: 200, body: policy };
  },
  { body: true },
);
