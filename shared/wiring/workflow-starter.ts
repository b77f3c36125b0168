/**
 * The Step Functions starter of the three workflows, built once per Lambda container: what create,
 * update and delete start their workflow with. Its own module so that the functions that start no
 * workflow bundle no Step Functions client.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { requireEnv } from '../config';
import { StepFunctionsStarter, type WorkflowStarter } from '../workflow/executions';

let starter: WorkflowStarter | undefined;

export function workflowStarter(): WorkflowStarter {
  starter ??= new StepFunctionsStarter(new SFNClient({}), {
    provision: requireEnv('PROVISION_STATE_MACHINE_ARN'),
    teardown: requireEnv('TEARDOWN_STATE_MACHINE_ARN'),
    update: requireEnv('UPDATE_STATE_MACHINE_ARN'),
  });
  return starter;
}
