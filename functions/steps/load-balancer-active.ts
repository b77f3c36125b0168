import { loadBalancerState } from '../../shared/aws/load-balancer';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { nextPoll, type PollResult, SCHEDULES } from '../../shared/workflow/polling';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep, StepFailed } from '../../shared/workflow/step';

const STEP = 'load-balancer-active';

/** One check of the load balancer's state inside the workflow's wait loop. */
export const handler = defineStep<ProvisionEvent, PollResult>(
  {
    name: STEP,
    mode: 'poll',
    isDone: (output) => output.ready,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent) => {
      const loadBalancer = required(event.loadBalancer, 'loadBalancer');
      const state = await loadBalancerState(loadBalancer.arn);
      if (state === 'failed') {
        throw new StepFailed({
          step: STEP,
          code: 'LoadBalancerFailed',
          message: `${loadBalancer.arn} failed`,
        });
      }
      const poll = nextPoll(
        SCHEDULES.loadBalancer,
        event.poll,
        state === 'active' || state === 'active_impaired',
      );
      if (poll.exhausted) {
        throw new StepFailed({
          step: STEP,
          code: 'WaitTimedOut',
          message: 'the load balancer did not become active',
        });
      }
      return { output: poll };
    },
  },
  stepStore,
);
