import { describeNatGateways } from '../../shared/aws/network';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { nextPoll, type PollResult, SCHEDULES } from '../../shared/workflow/polling';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep, StepFailed } from '../../shared/workflow/step';

const STEP = 'nat-gateways-available';

/** One check of the NAT gateways' readiness inside the workflow's wait loop; `failed` ends provisioning. */
export const handler = defineStep<ProvisionEvent, PollResult>(
  {
    name: STEP,
    mode: 'poll',
    isDone: (output) => output.ready,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent) => {
      const network = required(event.network, 'network');
      const states = await describeNatGateways(network.natGateways.map((nat) => nat.id));
      const failed = states.find((nat) => nat.state === 'failed');
      if (failed) {
        throw new StepFailed({
          step: STEP,
          code: failed.failureCode ?? 'NatGatewayFailed',
          message: `NAT gateway ${failed.id} failed: ${failed.failureMessage ?? 'no reason given'}`,
        });
      }
      const poll = nextPoll(
        SCHEDULES.natGateways,
        event.poll,
        states.every((nat) => nat.state === 'available'),
      );
      if (poll.exhausted) {
        throw new StepFailed({
          step: STEP,
          code: 'WaitTimedOut',
          message: 'the NAT gateways did not become available',
        });
      }
      return { output: poll };
    },
  },
  stepStore,
);
