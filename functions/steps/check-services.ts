import { serviceStatus } from '../../shared/aws/service';
import { nextPoll, type PollResult, SCHEDULES } from '../../shared/workflow/polling';
import { type ProvisionEvent, required, stepCount } from '../../shared/workflow/provision';
import { defineStep, StepFailed } from '../../shared/workflow/step';
import { stepStore } from '../../shared/workflow/store';

const STEP = 'services-stable';

/**
 * One check of the services inside the wait loop: stable means the deployment completed with all
 * tasks running and healthy in their target groups. A rollout the circuit breaker failed ends here.
 */
export const handler = defineStep<ProvisionEvent, PollResult>(
  {
    name: STEP,
    mode: 'poll',
    isDone: (output) => output.ready,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment }) => {
      const platform = required(event.platform, 'platform');
      const names = environment.spec.services.map((service) => service.name);
      const statuses = await serviceStatus(platform.cluster.clusterName, names);
      const failed = statuses.find((status) => status.rolloutState === 'FAILED');
      if (failed) {
        throw new StepFailed({
          step: STEP,
          code: 'DeploymentFailed',
          message: `service ${failed.name}: ${failed.rolloutStateReason ?? failed.lastEvent ?? 'the deployment failed'}`,
        });
      }
      // The circuit breaker's rollback completes as a new PRIMARY deployment of the *previous*
      // revision: stable, but not what was asked for. That is a failed rollout, reported as one.
      const rolledBack = statuses.find((status) => {
        const wanted = platform.services.find(
          (prepared) => prepared.service === status.name,
        )?.taskDefinitionArn;
        return status.stable && wanted !== undefined && status.taskDefinition !== wanted;
      });
      if (rolledBack) {
        throw new StepFailed({
          step: STEP,
          code: 'DeploymentFailed',
          message: `service ${rolledBack.name} was rolled back to ${rolledBack.taskDefinition}: ${rolledBack.lastEvent ?? 'the new tasks did not become healthy'}`,
        });
      }
      const poll = nextPoll(
        SCHEDULES.services,
        event.poll,
        statuses.length === names.length && statuses.every((status) => status.stable),
      );
      if (poll.exhausted) {
        const waiting = statuses
          .filter((status) => !status.stable)
          .map((status) => `${status.name} (${status.runningCount}/${status.desiredCount} running)`);
        throw new StepFailed({
          step: STEP,
          code: 'WaitTimedOut',
          message: `services did not become stable: ${waiting.join(', ')}`,
        });
      }
      return { output: poll };
    },
  },
  stepStore,
);
