import { ensureLoadBalancer } from '../../shared/aws/load-balancer';
import { environmentTags } from '../../shared/domain/naming';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type LoadBalancerState, type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** The Application Load Balancer in the public subnets (returned provisioning; the workflow waits). */
export const handler = defineStep(
  {
    name: 'create-load-balancer',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const network = required(event.network, 'network');
      const loadBalancer = await ensureLoadBalancer(ref, environment.spec.loadBalancer, {
        subnetIds: network.subnets.public,
        securityGroupId: network.securityGroups.alb,
        tags: environmentTags(ref, environment.spec.tags),
      });
      const output: LoadBalancerState = {
        arn: loadBalancer.arn,
        dnsName: loadBalancer.dnsName,
        canonicalHostedZoneId: loadBalancer.canonicalHostedZoneId,
      };
      return { output, resources: { loadBalancer: loadBalancer.arn } };
    },
  },
  stepStore,
);
