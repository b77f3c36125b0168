import { describeVpcEndpointStates } from '../../shared/aws/endpoints';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { nextPoll, type PollResult, SCHEDULES } from '../../shared/workflow/polling';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep, StepFailed } from '../../shared/workflow/step';

const STEP = 'vpc-endpoints-available';

/** One check of the VPC endpoints inside the workflow's wait loop: tasks start only once all are available. */
export const handler = defineStep<ProvisionEvent, PollResult>(
  {
    name: STEP,
    mode: 'poll',
    isDone: (output) => output.ready,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent) => {
      const { endpoints } = required(event.endpoints, 'endpoints');
      const states = await describeVpcEndpointStates(endpoints.map((endpoint) => endpoint.id));
      const broken = states.find((endpoint) =>
        ['failed', 'rejected', 'expired', 'deleted'].includes(endpoint.state),
      );
      if (broken) {
        throw new StepFailed({
          step: STEP,
          code: 'VpcEndpointFailed',
          message: `VPC endpoint ${broken.id} is ${broken.state}`,
        });
      }
      const poll = nextPoll(
        SCHEDULES.vpcEndpoints,
        event.poll,
        states.every((endpoint) => endpoint.state === 'available'),
      );
      if (poll.exhausted) {
        throw new StepFailed({
          step: STEP,
          code: 'WaitTimedOut',
          message: 'the VPC endpoints did not become available',
        });
      }
      return { output: poll };
    },
  },
  stepStore,
);
