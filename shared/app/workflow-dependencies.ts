/**
 * What a change that starts or announces a workflow needs, built once per Lambda container: the
 * table, the Step Functions starter and the status-event notifier. Apart from dependencies.ts (which
 * adds the quota policy) so that DELETE and the workflow steps bundle and load no quota schema.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { optionalEnv, requireEnv } from '../config';
import { FALLBACK_PRICE_REGION } from '../domain/prices';
import { StepFunctionsStarter } from '../workflow/executions';
import type { Dependencies } from './environments';
import { EventBridgeNotifier, type StatusNotifier } from './notifier';
import { defaultStore } from './table';

export type WriteDependencies = Omit<Dependencies, 'quotas'>;

let dependencies: WriteDependencies | undefined;
let notifier: StatusNotifier | undefined;

/** Status events on berth's bus: the API and the workflow steps both announce changes. */
export function defaultNotifier(): StatusNotifier {
  notifier ??= new EventBridgeNotifier(requireEnv('EVENT_BUS_NAME'));
  return notifier;
}

export function defaultWriteDependencies(): WriteDependencies {
  dependencies ??= {
    store: defaultStore(),
    workflows: new StepFunctionsStarter(new SFNClient({}), {
      provision: requireEnv('PROVISION_STATE_MACHINE_ARN'),
      teardown: requireEnv('TEARDOWN_STATE_MACHINE_ARN'),
      update: requireEnv('UPDATE_STATE_MACHINE_ARN'),
    }),
    notifier: defaultNotifier(),
    // Lambda sets AWS_REGION; environments are built in the control plane's own Region.
    region: optionalEnv('AWS_REGION', FALLBACK_PRICE_REGION),
  };
  return dependencies;
}
