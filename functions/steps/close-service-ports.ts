import { closeUnusedServicePorts } from '../../shared/aws/network';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/**
 * After an update's rollout: the service group takes exactly the ports its services now listen on
 * from the load balancer group. A port a service left (or a removed service's) is revoked only now,
 * so the old tasks kept serving on it until the new ones were healthy.
 */
export const handler = defineStep<ProvisionEvent, { ports: number[] }>(
  {
    name: 'close-service-ports',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const network = required(event.network, 'network');
      const ports = [...new Set(environment.spec.services.map((service) => service.port))];
      await closeUnusedServicePorts(ref, network.securityGroups, ports);
      return { output: { ports } };
    },
  },
  stepStore,
);
