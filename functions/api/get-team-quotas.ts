import { defaultQuotaPolicy } from '../../shared/app/quota-policy';
import { getTeamQuotas } from '../../shared/app/quotas';
import { authenticatedHandler } from '../../shared/http/handler';

/** GET /teams/{team}/quotas → the team's limits and current use (members of the team and admins). */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const quotas = await getTeamQuotas({ quotas: defaultQuotaPolicy() }, caller, params.team ?? '');
  return { status: 200, body: quotas };
});
