import { ensureExecutionRole, ensureTaskRoles } from '../../shared/aws/iam';
import { requireEnv } from '../../shared/config';
import { environmentTags } from '../../shared/domain/naming';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ExecutionRoleState, type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/**
 * The environment's IAM roles for its tasks, before any task definition names them: the task execution
 * role (its policy set to the spec's secrets, log groups and ECR pulls) and a task role per service that
 * declares `iam` statements (its policy exactly those statements, under the deployment's permissions
 * boundary, TASK_ROLE_BOUNDARY_ARN), each created with the environment's tags. Provisioning and every
 * update run it, since an update may change the secrets or the statements; a task role no longer
 * declared is deleted by remove-task-roles once the update's tasks are stable.
 */
export const handler = defineStep<ProvisionEvent, ExecutionRoleState>(
  {
    name: 'create-execution-role',
    totalSteps: stepCount,
    run: async (_event, { environment, ref }) => {
      const options = {
        region: requireEnv('AWS_REGION'),
        tags: environmentTags(ref, environment.spec.tags),
      };
      const { roleArn } = await ensureExecutionRole(ref, environment.spec, options);
      const declares = environment.spec.services.some((service) => service.iam !== undefined);
      const taskRoleArns = declares
        ? await ensureTaskRoles(ref, environment.spec, {
            ...options,
            boundaryArn: requireEnv('TASK_ROLE_BOUNDARY_ARN'),
          })
        : {};
      return {
        output: { executionRoleArn: roleArn, taskRoleArns },
        // Task roles are not recorded: found by name (a record would outlive a role an update deletes).
        resources: { executionRole: roleArn },
      };
    },
  },
  stepStore,
);
