import { ensureLogGroup, registerTaskDefinition } from '../../shared/aws/service';
import { requireEnv } from '../../shared/config';
import { environmentTags } from '../../shared/domain/naming';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import {
  type PreparedService,
  type ProvisionEvent,
  serviceSpec,
  stepCount,
} from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** A service's log group and task definition: independent of the network waits, so done in parallel with them. */
export const handler = defineStep<ProvisionEvent, PreparedService>(
  {
    name: 'prepare-service',
    instance: (event) => event.service,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const service = serviceSpec(environment, required(event.service, 'service'));
      const tags = environmentTags(ref, environment.spec.tags);
      const logGroup = await ensureLogGroup(ref, service, tags);
      const taskDefinitionArn = await registerTaskDefinition(ref, service, {
        capacity: environment.spec.cluster.capacity,
        executionRoleArn: requireEnv('ECS_TASK_EXECUTION_ROLE_ARN'),
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
