import { statusNotifier } from '../../shared/wiring/status-notifier';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { provisioningOutputs } from '../../shared/workflow/outputs';
import type { ProvisionEvent } from '../../shared/workflow/provision';
import { classify } from '../../shared/workflow/step';
import { applyTransition } from '../../shared/workflow/transitions';

/** Records the outputs (URLs, ARNs, ids), what was built, and READY — after provisioning or an update. */
export const handler = async (event: ProvisionEvent & { transition?: 'provisioned' | 'updated' }) => {
  try {
    const store = stepStore();
    const environment = await store.get(event.environmentId);
    const outputs = environment ? provisioningOutputs(environment, event) : {};
    const runtime = event.platform
      ? { network: event.network, loadBalancer: event.platform.loadBalancer, cluster: event.platform.cluster }
      : undefined;
    const ready = await applyTransition(
      store,
      {
        environmentId: event.environmentId,
        execution: event.execution,
        transition: event.transition ?? 'provisioned',
        outputs,
        ...(runtime ? { runtime } : {}),
      },
      statusNotifier(),
    );
    return { status: ready.status };
  } catch (error) {
    throw classify('ready', error);
  }
};
