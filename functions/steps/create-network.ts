import { provisionNetwork } from '../../shared/aws/network';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** VPC, subnets in three tiers, internet gateway, route tables, security groups, NAT gateways (not waited for). */
export const handler = defineStep(
  {
    name: 'create-network',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const { cidr } = required(event.cidr, 'cidr');
      const ports = [...new Set(environment.spec.services.map((service) => service.port))];
      const network = await provisionNetwork(ref, environment.spec.network, cidr, ports);
      return {
        output: { ...network, natCount: network.natGateways.length },
        resources: {
          vpc: network.vpcId,
          subnets: [...network.subnets.public, ...network.subnets.app, ...network.subnets.database],
          securityGroups: Object.values(network.securityGroups),
          natGateways: network.natGateways.map((nat) => nat.id),
        },
      };
    },
  },
  stepStore,
);
