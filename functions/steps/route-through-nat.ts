import { routeAppSubnetsThroughNat } from '../../shared/aws/network';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** Default routes of the application subnets through the (now available) NAT gateways. */
export const handler = defineStep(
  {
    name: 'route-through-nat',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { ref }) => {
      const network = required(event.network, 'network');
      await routeAppSubnetsThroughNat(
        ref,
        network.routeTables.app,
        network.natGateways.map((nat) => nat.id),
      );
      return { output: {} };
    },
  },
  stepStore,
);
