import { deleteTaskRoles } from '../../shared/aws/iam';
import { knownNames } from '../../shared/domain/environment';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/** A task role that could not be deleted yet (DeleteConflict: someone attached a policy or profile). */
class TaskRoleBlocked extends Error {
  override readonly name = 'TaskRoleBlocked';
}

/**
 * After an update's rollout: the task roles of services the update removed or that no longer declare
 * `iam` are deleted, as teardown deletes them. Only now — until the new tasks were stable, the previous
 * revision's tasks ran as the role, and a circuit-breaker rollback would have started them again.
 * Candidates are the services the last READY run recorded and the spec's; one that never had a role
 * is simply not found.
 */
export const handler = defineStep<ProvisionEvent, { removed: string[] }>(
  {
    name: 'remove-task-roles',
    totalSteps: stepCount,
    run: async (_event, { environment, ref }) => {
      const declared = new Set(
        environment.spec.services
          .filter((service) => service.iam !== undefined)
          .map((service) => service.name),
      );
      const removed = knownNames(environment, 'services').filter((service) => !declared.has(service));
      const pass = await deleteTaskRoles(ref, removed);
      const [first] = pass.blocked;
      if (first) throw new TaskRoleBlocked(`${first.resource}: ${first.code}: ${first.message}`);
      return { output: { removed } };
    },
  },
  stepStore,
);
