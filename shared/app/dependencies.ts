/**
 * The real dependencies of the use cases, built once per Lambda container (SDK clients reuse their
 * connections across invocations). Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>`
 * variables, so a local run differs from AWS only in its environment.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '../config';
import { EnvironmentStore } from '../store/environments';
import { StepFunctionsStarter } from '../workflow/executions';
import type { Dependencies } from './environments';

let dependencies: Dependencies | undefined;
let store: EnvironmentStore | undefined;

export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** The table only: what the workflow steps need (they never start workflows). */
export function defaultStore(): EnvironmentStore {
  store ??= new EnvironmentStore(documentClient(), requireEnv('TABLE_NAME'));
  return store;
}

export function defaultDependencies(): Dependencies {
  dependencies ??= {
    store: defaultStore(),
    workflows: new StepFunctionsStarter(new SFNClient({}), {
      provision: requireEnv('PROVISION_STATE_MACHINE_ARN'),
      teardown: requireEnv('TEARDOWN_STATE_MACHINE_ARN'),
      update: requireEnv('UPDATE_STATE_MACHINE_ARN'),
    }),
  };
  return dependencies;
}
