/**
 * The teardown of an environment's task definitions: every revision of its task families (services
 * and jobs, `<cluster>-<name>`) that carries the environment tag is deregistered, then submitted for
 * deletion, so that after a teardown no revision is ACTIVE or INACTIVE.
 *
 * ListTaskDefinitions' `familyPrefix` is the exact family, not a prefix; ListTaskDefinitionFamilies is
 * the one listing that matches a prefix, so the families come from it
 * (docs/aws-facts.md#task-definitions-ami-architecture-and-derived-names).
 */
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  paginateListTaskDefinitionFamilies,
  paginateListTaskDefinitions,
} from '@aws-sdk/client-ecs';
import { TAG_ENVIRONMENT } from '../domain/naming';
import { ecsTagValue } from './ecs-shapes';
import type { Blocker } from './teardown';

/** DeleteTaskDefinitions takes at most 10 revisions a call (docs/aws-facts.md#batch-limits). */
const DELETE_BATCH = 10;

/** The families whose name starts with `<cluster>-`, with or without an ACTIVE revision. */
async function familiesOf(clusterName: string, ecs: ECSClient): Promise<string[]> {
  const families: string[] = [];
  const pages = paginateListTaskDefinitionFamilies(
    { client: ecs },
    { familyPrefix: `${clusterName}-`, status: 'ALL' },
  );
  for await (const page of pages) families.push(...(page.families ?? []));
  return families;
}

/** Deregisters the family's tagged ACTIVE revisions; answers every tagged ACTIVE and INACTIVE one. */
async function deregisterFamily(family: string, environmentId: string, ecs: ECSClient): Promise<string[]> {
  const deregistered: string[] = [];
  for (const status of ['ACTIVE', 'INACTIVE'] as const) {
    for await (const page of paginateListTaskDefinitions({ client: ecs }, { familyPrefix: family, status })) {
      for (const arn of page.taskDefinitionArns ?? []) {
        // The prefix `<cluster>-` may also match another environment's longer cluster name: the tag decides.
        const { tags } = await ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
        );
        if (ecsTagValue(tags, TAG_ENVIRONMENT) !== environmentId) continue;
        if (status === 'ACTIVE') await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
        deregistered.push(arn);
      }
    }
  }
  return deregistered;
}

/**
 * Deregisters and deletes every revision of the cluster's task families tagged with the environment.
 * A revision DeleteTaskDefinitions refuses is reported in `blocked`, so the teardown tries again.
 */
export async function deleteEnvironmentTaskDefinitions(
  environmentId: string,
  clusterName: string,
  ecs: ECSClient,
  blocked: Blocker[],
): Promise<void> {
  const revisions: string[] = [];
  for (const family of await familiesOf(clusterName, ecs)) {
    revisions.push(...(await deregisterFamily(family, environmentId, ecs)));
  }
  for (let start = 0; start < revisions.length; start += DELETE_BATCH) {
    const { failures = [] } = await ecs.send(
      new DeleteTaskDefinitionsCommand({ taskDefinitions: revisions.slice(start, start + DELETE_BATCH) }),
    );
    for (const failure of failures) {
      // Gone between the listing and the delete (a concurrent pass): nothing is left to delete.
      if (/does not exist/i.test(failure.reason ?? '')) continue;
      blocked.push({
        resource: failure.arn ?? 'task definition',
        code: 'TaskDefinitionNotDeleted',
        message: failure.reason ?? failure.detail ?? 'DeleteTaskDefinitions refused the revision',
      });
    }
  }
}
