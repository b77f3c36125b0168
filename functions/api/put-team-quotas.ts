import { putTeamQuotas } from '../../shared/app/quotas';
import { authenticatedHandler } from '../../shared/http/handler';
import { quotaPolicy } from '../../shared/wiring/quota-policy';

/** PUT /teams/{team}/quotas → replaces the team's limit overrides (admins only); answers as GET. */
export const handler = authenticatedHandler(
  async ({ caller, params, body }) => {
    const quotas = await putTeamQuotas({ quotas: quotaPolicy() }, caller, params.team ?? '', body);
    return { status: 200, body: quotas };
  },
  { body: true },
);
