import { getTeamQuotas } from '../../shared/app/quotas';
import { authenticatedHandler } from '../../shared/http/handler';
import { quotaPolicy } from '../../shared/wiring/quota-policy';

/** GET /teams/{team}/quotas → the team's limits and current use (members of the team and admins). */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const quotas = await getTeamQuotas({ quotas: quotaPolicy() }, caller, params.team ?? '');
  return { status: 200, body: quotas };
});
