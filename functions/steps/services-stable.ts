import { serviceStatus } from '../../shared/aws/service';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { nextPoll, type PollResult, SCHEDULES } from '../../shared/workflow/polling';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep, StepFailed } from '../../shared/workflow/step';

const STEP = 'services-stable';

/**
 * One check of the services inside the wait loop: ready once each serves from the wanted revision —
 * its rollout completed, or every new task running and healthy in its target group while the old
 * tasks still drain. A rollout the circuit breaker failed or rolled back ends here.
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
      const statuses = await serviceStatus(platform.cluster.clusterName, names, undefined, {
        checkTargets: true,
      });
      const failed = statuses.find((status) => status.rolloutState === 'FAILED');
      if (failed) {
        throw new StepFailed({
          step: STEP,
          code: 'DeploymentFailed',
          message: `service ${failed.name}: ${failed.rolloutStateReason ?? failed.lastEvent ?? 'the deployment failed'}`,
        });
      }
      const wanted = (name: string) =>
        platform.services.find((prepared) => prepared.service === name)?.taskDefinitionArn;
      // The circuit breaker's rollback becomes a new PRIMARY deployment of the *previous* revision:
      // it serves, but not what was asked for. That is a failed rollout, reported as one.
      const rolledBack = statuses.find((status) => {
        const revision = wanted(status.name);
        return status.serving && revision !== undefined && status.taskDefinition !== revision;
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
        statuses.length === names.length && statuses.every((status) => status.serving),
      );
      if (poll.exhausted) {
        const waiting = statuses
          .filter((status) => !status.serving)
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
