import {
  ensureJobTaskDefinition,
  ensureQueueJob,
  ensureSchedule,
  type JobRecord,
  removeJob,
} from '../../shared/aws/jobs';
import { requireEnv } from '../../shared/config';
import { jobOutputSchema } from '../../shared/domain/environment';
import { environmentTags } from '../../shared/domain/naming';
import { required } from '../../shared/domain/required';
import type { JobSpec } from '../../shared/domain/spec';
import * as z from '../../shared/domain/zod';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

const triggerOf = (job: JobSpec): JobRecord['trigger'] => ('schedule' in job.trigger ? 'schedule' : 'queue');

/**
 * Every job of the spec: its task definition (its own, or its service's prepared one), then its
 * schedule (Scheduler → RunTask) or its queue and pipe (SQS → Pipes → RunTask). Jobs recorded by an
 * earlier run that the spec no longer names (or whose trigger changed kind) are removed.
 */
export const handler = defineStep<ProvisionEvent, JobRecord[]>(
  {
    name: 'create-jobs',
    totalSteps: stepCount,
    run: async (event, { environment, ref }) => {
      const network = required(event.network, 'network');
      const platform = required(event.platform, 'platform');
      const { spec } = environment;
      const tags = environmentTags(ref, spec.tags);
      const serviceTaskDefinitions = Object.fromEntries(
        platform.services.map((prepared) => [prepared.service, prepared.taskDefinitionArn]),
      );
      const records: JobRecord[] = [];
      for (const job of spec.jobs) {
        const task = await ensureJobTaskDefinition(ref, job, {
          capacity: spec.cluster.capacity,
          executionRoleArn: platform.executionRoleArn,
          region: requireEnv('AWS_REGION'),
          tags,
          serviceTaskDefinitions,
        });
        const target = {
          clusterArn: platform.cluster.clusterArn,
          clusterName: platform.cluster.clusterName,
          task,
          subnetIds: network.subnets.app,
          securityGroupId: network.securityGroups.service,
          capacity: spec.cluster.capacity,
          ...(platform.cluster.capacityProviderName
            ? { capacityProviderName: platform.cluster.capacityProviderName }
            : {}),
          roleArn: requireEnv('JOBS_ROLE_ARN'),
          tags,
        };
        if (triggerOf(job) === 'schedule') {
          const { scheduleArn } = await ensureSchedule(ref, job, target);
          records.push({ name: job.name, trigger: 'schedule', scheduleArn });
        } else {
          records.push({ name: job.name, trigger: 'queue', ...(await ensureQueueJob(ref, job, target)) });
        }
      }
      const recorded = z.array(jobOutputSchema).safeParse(environment.outputs.jobs ?? []);
      const dropped = (recorded.success ? recorded.data : []).filter(
        (record) => !spec.jobs.some((job) => job.name === record.name && triggerOf(job) === record.trigger),
      );
      for (const record of dropped) await removeJob(ref, record);
      return {
        output: records,
        resources: {
          schedules: records.flatMap((record) => record.scheduleArn ?? []),
          queues: records.flatMap((record) =>
            [record.queueUrl ?? [], record.deadLetterQueueUrl ?? []].flat(),
          ),
          pipes: records.flatMap((record) => record.pipeArn ?? []),
        },
      };
    },
  },
  stepStore,
);
