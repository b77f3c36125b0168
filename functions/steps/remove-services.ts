import { deleteListenerRule, deleteTargetGroup, describeServiceRules } from '../../shared/aws/load-balancer';
import { removeServicesExcept } from '../../shared/aws/service';
import { type ProvisionEvent, required, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';
import { stepStore } from '../../shared/workflow/store';

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
      for (const rule of stale) {
        await deleteListenerRule(rule.ruleArn);
        await deleteTargetGroup(rule.targetGroupArn);
      }
      return { output: { removed: stale.map((rule) => rule.service) } };
    },
  },
  stepStore,
);
