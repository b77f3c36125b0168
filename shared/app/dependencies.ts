/**
 * The real dependencies of the use cases, built once per Lambda container (SDK clients reuse their
 * connections across invocations). Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>`
 * variables, so a local run differs from AWS only in its environment.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { optionalEnv, requireEnv } from '../config';
import { FALLBACK_PRICE_REGION } from '../domain/prices';
import { StepFunctionsStarter } from '../workflow/executions';
import type { Dependencies } from './environments';
import { EventBridgeNotifier, type StatusNotifier } from './notifier';
import { defaultQuotaPolicy } from './quota-policy';
import { defaultStore } from './table';

let dependencies: Dependencies | undefined;
let notifier: StatusNotifier | undefined;

/** Status events on berth's bus: the API and the workflow steps both announce changes. */
export function defaultNotifier(): StatusNotifier {
  notifier ??= new EventBridgeNotifier(requireEnv('EVENT_BUS_NAME'));
  return notifier;
}

export function defaultDependencies(): Dependencies {
  dependencies ??= {
    store: defaultStore(),
    workflows: new StepFunctionsStarter(new SFNClient({}), {
      provision: requireEnv('PROVISION_STATE_MACHINE_ARN'),
      teardown: requireEnv('TEARDOWN_STATE_MACHINE_ARN'),
      update: requireEnv('UPDATE_STATE_MACHINE_ARN'),
    }),
    notifier: defaultNotifier(),
    quotas: defaultQuotaPolicy(),
    // Lambda sets AWS_REGION; environments are built in the control plane's own Region.
    region: optionalEnv('AWS_REGION', FALLBACK_PRICE_REGION),
  };
  return dependencies;
}
