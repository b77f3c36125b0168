import { ensureLogGroup, registerTaskDefinition } from '../../shared/aws/service';
import { requireEnv } from '../../shared/config';
import { environmentTags } from '../../shared/domain/naming';
import { required } from '../../shared/domain/required';
import { matchesArnPattern } from '../../shared/domain/task-roles';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import {
  type PreparedService,
  type ProvisionEvent,
  serviceSpec,
  stepCount,
} from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** The service's taskRoleArn is outside the roles this deployment lets berth pass to ECS. */
class TaskRoleNotAllowed extends Error {
  override readonly name = 'TaskRoleNotAllowed';

  constructor(taskRoleArn: string, pattern: string) {
    super(`task role ${taskRoleArn} does not match ${pattern}, the roles berth may pass to ECS`);
  }
}

/** The service declares `iam` but create-execution-role handed on no task role for it. */
class TaskRoleMissing extends Error {
  override readonly name = 'TaskRoleMissing';

  constructor(service: string) {
    super(`create-execution-role made no task role for service ${service}, which declares iam statements`);
  }
}

/**
 * A service's log group and task definition (naming the environment's execution role, and as task role
 * the one berth created from the service's `iam` statements or its own `taskRoleArn`): independent of
 * the network waits, so done in parallel with them.
 */
export const handler = defineStep<ProvisionEvent, PreparedService>(
  {
    name: 'prepare-service',
    instance: (event) => event.service,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const service = serviceSpec(environment, required(event.service, 'service'));
      // A spec accepted under an earlier pattern: say why, rather than let iam:PassRole refuse it.
      if (service.taskRoleArn !== undefined) {
        const pattern = requireEnv('TASK_ROLE_ARN_PATTERN');
        if (!matchesArnPattern(service.taskRoleArn, pattern))
          throw new TaskRoleNotAllowed(service.taskRoleArn, pattern);
      }
      // The two are exclusive (the spec refuses both): the created role stands where taskRoleArn would.
      const createdRole = event.taskRoleArns?.[service.name];
      if (service.iam !== undefined && createdRole === undefined) throw new TaskRoleMissing(service.name);
      const withRole = createdRole === undefined ? service : { ...service, taskRoleArn: createdRole };
      const tags = environmentTags(ref, environment.spec.tags);
      const logGroup = await ensureLogGroup(ref, service, tags);
      const taskDefinitionArn = await registerTaskDefinition(ref, withRole, {
        capacity: environment.spec.cluster.capacity,
        executionRoleArn: required(event.executionRoleArn, 'executionRoleArn'),
        logGroup,
        region: requireEnv('AWS_REGION'),
        tags,
      });
      const output: PreparedService = { service: service.name, logGroup, taskDefinitionArn };
      return { output };
    },
  },
  stepStore,
);
