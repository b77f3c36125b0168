import { optionalEnv, requireEnv } from '../../shared/config';
import { CidrAllocator } from '../../shared/store/cidr';
import { documentClient, environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

const allocator = new CidrAllocator(documentClient(), requireEnv('TABLE_NAME'));

/** Takes the VPC CIDR from the pool (or checks an explicit one) atomically: no two environments overlap. */
export const handler = defineStep<ProvisionEvent, { cidr: string }>(
  {
    name: 'allocate-cidr',
    totalSteps: stepCount,
    run: async (event, { environment }) => {
      const cidr = await allocator.allocate(
        event.environmentId,
        environment.spec.network.cidr,
        optionalEnv('CIDR_POOL', '10.0.0.0/8'),
      );
      return { output: { cidr }, resources: { cidr } };
    },
  },
  stepStore,
);
