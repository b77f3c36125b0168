/**
 * What the use cases that write a spec (create, update; from the API and from Slack) are given:
 * the table, the workflow starter, the status notifier, the team and AWS account quota policies and the price Region,
 * each from its own memoised factory, the team policies, and the task roles the deployment lets berth pass.
 */
import type { Dependencies } from '../app/ports';
import { requireEnv } from '../config';
import { accountQuotaPolicy } from './account-quotas';
import { quotaPolicy } from './quota-policy';
import { region } from './region';
import { statusNotifier } from './status-notifier';
import { environmentStore } from './table';
import { teamPolicies } from './team-policies';
import { workflowStarter } from './workflow-starter';

export function specWriteDependencies(): Dependencies {
  return {
    store: environmentStore(),
    workflows: workflowStarter(),
    notifier: statusNotifier(),
    quotas: quotaPolicy(),
    accountQuotas: accountQuotaPolicy(),
    region: region(),
    taskRoleArnPattern: requireEnv('TASK_ROLE_ARN_PATTERN'),
    policies: teamPolicies(),
  };
}
