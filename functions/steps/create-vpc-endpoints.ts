import { type EndpointNetwork, ensureVpcEndpoints } from '../../shared/aws/endpoints';
import { errorCode, isNotFound } from '../../shared/aws/errors';
import { required } from '../../shared/domain/required';
import { plannedEndpoints } from '../../shared/domain/vpc-endpoints';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep, TransientError } from '../../shared/workflow/step';

const STEP = 'create-vpc-endpoints';

/**
 * Without NAT gateways, the VPC endpoints the tasks pull images, ship logs and read secrets through
 * (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat); created, not waited for. The same
 * step converges an update: endpoints the spec no longer needs are deleted.
 */
export const handler = defineStep(
  {
    name: STEP,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const network = required(event.network, 'network');
      const into: EndpointNetwork = {
        vpcId: network.vpcId,
        appSubnetIds: network.subnets.app,
        appRouteTableIds: network.routeTables.app,
        serviceGroupId: network.securityGroups.service,
      };
      const planned = plannedEndpoints(environment.spec);
      try {
        const { allAvailable, ...state } = await ensureVpcEndpoints(ref, into, planned);
        return {
          output: { ...state, ready: allAvailable },
          resources: {
            vpcEndpoints: state.endpoints.map((endpoint) => endpoint.id),
            ...(state.securityGroupId ? { endpointSecurityGroup: state.securityGroupId } : {}),
          },
        };
      } catch (error) {
        // The network exists; a NotFound here is EC2's read-after-create lag on the group just made.
        if (!isNotFound(error)) throw error;
        throw new TransientError({
          step: STEP,
          code: errorCode(error) ?? 'NotFound',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    },
  },
  stepStore,
);
