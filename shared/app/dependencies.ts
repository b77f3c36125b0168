/**
 * The real dependencies of the use cases, built once per Lambda container (SDK clients reuse their
 * connections across invocations). Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>`
 * variables, so a local run differs from AWS only in its environment.
 */
import type { Dependencies } from './environments';
import { defaultQuotaPolicy } from './quota-policy';
import { defaultWriteDependencies } from './workflow-dependencies';

export { defaultNotifier } from './workflow-dependencies';

let dependencies: Dependencies | undefined;

/** Everything create and update need: the workflow starter and notifier, and the team quotas. */
export function defaultDependencies(): Dependencies {
  dependencies ??= { ...defaultWriteDependencies(), quotas: defaultQuotaPolicy() };
  return dependencies;
}
