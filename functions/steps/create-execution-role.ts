import { ensureExecutionRole } from '../../shared/aws/iam';
import { requireEnv } from '../../shared/config';
import { environmentTags } from '../../shared/domain/naming';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ExecutionRoleState, type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/**
 * The environment's task execution role, before any task definition names it: created with the
 * environment's tags, its policy set to the spec's secrets, log groups and ECR pulls. Provisioning and
 * every update run it, since an update may change the secrets.
 */
export const handler = defineStep<ProvisionEvent, ExecutionRoleState>(
  {
    name: 'create-execution-role',
    totalSteps: stepCount,
    run: async (_event, { environment, ref }) => {
      const { roleArn } = await ensureExecutionRole(ref, environment.spec, {
        region: requireEnv('AWS_REGION'),
        tags: environmentTags(ref, environment.spec.tags),
      });
      return { output: { executionRoleArn: roleArn }, resources: { executionRole: roleArn } };
    },
  },
  stepStore,
);
