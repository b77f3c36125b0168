import { type NatGatewayRef, routeAppSubnetsThroughNat } from '../../shared/aws/network';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** Default routes of the application subnets through the (now available) NAT gateways. */
export const handler = defineStep(
  {
    name: 'route-through-nat',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent & { natGateways?: NatGatewayRef[] }, { ref }) => {
      const network = required(event.network, 'network');
      // The gateways the wait ended with (a failed one replaced), else the ones create-network made.
      const natGateways = event.natGateways ?? network.natGateways;
      await routeAppSubnetsThroughNat(
        ref,
        network.routeTables.app,
        natGateways.map((nat) => nat.id),
      );
      return { output: {} };
    },
  },
  stepStore,
);
