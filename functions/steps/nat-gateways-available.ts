import { describeNatGateways, type NatGatewayRef, replaceFailedNatGateway } from '../../shared/aws/network';
import { type NatGatewayWait, replacesFailedNatGateway } from '../../shared/domain/nat-gateways';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { nextPoll, type PollResult, type PollState, SCHEDULES } from '../../shared/workflow/polling';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep, StepFailed } from '../../shared/workflow/step';

const STEP = 'nat-gateways-available';

type NatWait = NatGatewayWait<NatGatewayRef>;

/** The wait's state comes back in `poll` (the ASL hands each check's output to the next). */
type NatGatewaysEvent = ProvisionEvent & { poll?: PollState & Partial<NatWait> };

/**
 * One check of the NAT gateways' readiness inside the workflow's wait loop. A gateway that ended
 * `failed` is deleted and replaced once, in the same place (shared/domain/nat-gateways.ts); a
 * replacement that fails too ends provisioning with the failure code AWS gave. The output carries
 * the gateways waited for, so the route step uses the replacements.
 */
export const handler = defineStep<NatGatewaysEvent, PollResult & NatWait>(
  {
    name: STEP,
    mode: 'poll',
    isDone: (output) => output.ready,
    totalSteps: stepCount,
    run: async (event, { ref }) => {
      const network = required(event.network, 'network');
      const natGateways = [...(event.poll?.natGateways ?? network.natGateways)];
      const failed = natGateways.map((_, index) => [...(event.poll?.failed?.[index] ?? [])]);
      const states = await describeNatGateways(natGateways.map((nat) => nat.id));
      let replaced = false;
      for (const [index, state] of states.entries()) {
        const nat = natGateways[index];
        if (state.state !== 'failed' || nat === undefined) continue;
        if (!replacesFailedNatGateway({ failed }, index)) {
          throw new StepFailed({
            step: STEP,
            code: state.failureCode ?? 'NatGatewayFailed',
            message: `NAT gateway ${state.id} failed after ${failed[index]?.length ?? 0} replacement(s): ${state.failureMessage ?? 'no reason given'}`,
          });
        }
        const predecessors = [...(failed[index] ?? []), nat.id];
        const replacement = await replaceFailedNatGateway(ref, index, nat, predecessors);
        natGateways[index] = { ...nat, id: replacement };
        failed[index] = predecessors;
        replaced = true;
      }
      const poll = nextPoll(
        SCHEDULES.natGateways,
        event.poll,
        !replaced && states.every((nat) => nat.state === 'available'),
      );
      if (poll.exhausted) {
        throw new StepFailed({
          step: STEP,
          code: 'WaitTimedOut',
          message: 'the NAT gateways did not become available',
        });
      }
      return {
        output: { ...poll, natGateways, failed },
        // Recorded, so the environment names the gateways it has (teardown finds them by tag anyway).
        ...(replaced ? { resources: { natGateways: natGateways.map((nat) => nat.id) } } : {}),
      };
    },
  },
  stepStore,
);
