import { defaultQuotaPolicy } from '../../shared/app/quota-policy';
import { putTeamQuotas } from '../../shared/app/quotas';
import { authenticatedHandler } from '../../shared/http/handler';

/** PUT /teams/{team}/quotas → replaces the team's limit overrides (admins only); answers as GET. */
export const handler = authenticatedHandler(
  async ({ caller, params, body }) => {
    const quotas = await putTeamQuotas({ quotas: defaultQuotaPolicy() }, caller, params.team ?? '', body);
    return { status: 200, body: quotas };
  },
  { body: true },
);
