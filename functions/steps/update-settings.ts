import { applyContainerInsights, resizeEc2Capacity } from '../../shared/aws/cluster';
import { setIdleTimeout } from '../../shared/aws/load-balancer';
import { ensureLoadBalancerIngress, type NetworkResources } from '../../shared/aws/network';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ClusterState, type LoadBalancerState, stepCount } from '../../shared/workflow/provision';
import type { StepEvent } from '../../shared/workflow/step';
import { defineStep } from '../../shared/workflow/step';

interface UpdateSettingsEvent extends StepEvent {
  network?: Pick<NetworkResources, 'securityGroups'>;
  loadBalancer?: Pick<LoadBalancerState, 'arn'>;
  cluster?: Pick<ClusterState, 'clusterName'>;
  /** The execution's input: `changed` lists the settings this update changed (shared/app/update.ts). */
  request?: { changed?: unknown };
}

/**
 * The environment-wide settings an update applies in place (shared/domain/patch.ts `APPLIED_FIELDS`):
 * the load balancer's allowed CIDRs and idle timeout, Container Insights, and the EC2 capacity's
 * Auto Scaling bounds. Each is read back and changed only where it differs, so a re-run is a no-op.
 */
export const handler = defineStep<UpdateSettingsEvent, { changed: string[] }>(
  {
    name: 'update-settings',
    totalSteps: stepCount,
    run: async (event, { environment, ref }) => {
      const network = required(event.network, 'network');
      const loadBalancer = required(event.loadBalancer, 'loadBalancer');
      const cluster = required(event.cluster, 'cluster');
      const { spec } = environment;
      const requested = Array.isArray(event.request?.changed) ? event.request.changed : [];
      const changed: string[] = [];

      await ensureLoadBalancerIngress(ref, network.securityGroups.alb, spec.network.allowedIngressCidrs);
      await setIdleTimeout(loadBalancer.arn, spec.loadBalancer.idleTimeoutSeconds);
      if (await applyContainerInsights(cluster.clusterName, spec.cluster.containerInsights)) {
        changed.push('cluster.containerInsights');
      }
      if (spec.cluster.capacity === 'EC2' && spec.cluster.ec2) {
        const resized = await resizeEc2Capacity(cluster.clusterName, spec.cluster.ec2, {
          desiredCapacityChanged: requested.includes('cluster.ec2.desiredCapacity'),
        });
        if (resized) changed.push('cluster.ec2');
      }
      return { output: { changed } };
    },
  },
  stepStore,
);
