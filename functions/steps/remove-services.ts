import { deleteListenerRule, deleteTargetGroup, describeServiceRules } from '../../shared/aws/load-balancer';
import { removeServicesExcept } from '../../shared/aws/service';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** Target group ARN per service, as the last READY run recorded it (`runtime.loadBalancer.targetGroups`). */
function recordedTargetGroups(runtime: Record<string, unknown> | undefined): Record<string, string> {
  const loadBalancer = runtime?.loadBalancer;
  const groups =
    typeof loadBalancer === 'object' && loadBalancer !== null && 'targetGroups' in loadBalancer
      ? loadBalancer.targetGroups
      : undefined;
  if (typeof groups !== 'object' || groups === null) return {};
  return Object.fromEntries(
    Object.entries(groups).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * After an update that removed services: deletes their ECS services, listener rules and target
 * groups. A target group still in use is left for the environment's teardown, which finds it by tag.
 */
export const handler = defineStep<ProvisionEvent, { removed: string[] }>(
  {
    name: 'remove-services',
    totalSteps: stepCount,
    run: async (event, { environment, ref }) => {
      const platform = required(event.platform, 'platform');
      const keep = environment.spec.services.map((service) => service.name);
      await removeServicesExcept(ref.id, platform.cluster.clusterName, keep);
      const listenerArn = platform.loadBalancer.httpsListenerArn ?? platform.loadBalancer.httpListenerArn;
      const stale = (await describeServiceRules(ref, listenerArn)).filter(
        (rule) => !keep.includes(rule.service),
      );
      // Also the groups the last READY run recorded: a retry after a rule went no longer finds its
      // group through the rule, and would leave it behind.
      const staleGroups = new Set(stale.map((rule) => rule.targetGroupArn));
      for (const [service, arn] of Object.entries(recordedTargetGroups(environment.runtime))) {
        if (!keep.includes(service)) staleGroups.add(arn);
      }
      for (const rule of stale) await deleteListenerRule(rule.ruleArn);
      for (const arn of staleGroups) await deleteTargetGroup(arn);
      return { output: { removed: stale.map((rule) => rule.service) } };
    },
  },
  stepStore,
);
