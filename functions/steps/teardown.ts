import { teardownClusterPass } from '../../shared/aws/cluster';
import { releaseAliasRecord } from '../../shared/aws/dns';
import { teardownVpcEndpointsPass } from '../../shared/aws/endpoints';
import { deleteEnvironmentRoles } from '../../shared/aws/iam';
import { teardownJobsPass } from '../../shared/aws/jobs';
import { teardownLoadBalancerPass } from '../../shared/aws/load-balancer';
import { teardownNetworkPass } from '../../shared/aws/network';
import { teardownServicesPass } from '../../shared/aws/service';
import { knownNames } from '../../shared/domain/environment';
import { names } from '../../shared/domain/naming';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { nextPoll, type PollResult, type PollState, SCHEDULES } from '../../shared/workflow/polling';
import { defineStep, type StepEvent } from '../../shared/workflow/step';
import { LONGEST_STEP_SECONDS, type SweepState, sweepProgress } from '../../shared/workflow/sweep';

/** ALBs an earlier pass of this teardown asked AWS to delete that were still listed. */
interface LoadBalancersDeleting {
  deletingLoadBalancerArns?: string[];
}

interface TeardownEvent extends StepEvent {
  poll?: PollState & SweepState & LoadBalancersDeleting;
}

export interface Blocked {
  resource: string;
  code: string;
  message: string;
}

/**
 * One pass over everything the environment has, in reverse dependency order, deleting what can go
 * now: whatever is recorded and whatever carries the environment's tag (IAM roles by their names,
 * once no task runs). Nothing here waits; what is still blocked (ENIs draining behind an ALB or NAT
 * gateway, services draining, instances terminating) is reported, and the workflow runs another pass
 * after a Wait. Every area runs each pass, so independent deletions (NAT gateways, service draining)
 * overlap instead of queueing.
 */
export const handler = defineStep<
  TeardownEvent,
  PollResult & SweepState & Required<LoadBalancersDeleting> & { blocked: Blocked[] }
>(
  {
    name: 'teardown',
    during: ['DELETING', 'ROLLING_BACK'],
    mode: 'poll',
    isDone: (output) => output.ready,
    totalSteps: 1,
    run: async (event: TeardownEvent, { environment, ref }) => {
      const blocked: Blocked[] = [];
      const { dns } = environment.spec;
      // Only records whose ownership marker names this environment, and the alias only while it
      // still points at this environment's ALB: someone may have repointed it.
      const dnsName = environment.outputs.loadBalancerDnsName;
      if (dns)
        await releaseAliasRecord(
          dns.hostedZoneId,
          dns.recordName,
          environment.id,
          dnsName ? { target: { dnsName } } : {},
        );
      const clusterName = names.cluster(ref);
      // Jobs first (then services, …): a schedule or pipe must not start tasks while the rest goes.
      const jobNames = knownNames(environment, 'jobs');
      // VPC endpoints depend on nothing else here: their pass runs beside the others, and the network
      // pass waits for it (their ENIs keep the subnets and their group busy).
      const endpointsPass = teardownVpcEndpointsPass(ref.id);
      endpointsPass.catch(() => undefined);
      const jobs = await teardownJobsPass(ref, jobNames, clusterName);
      blocked.push(...jobs.blocked);
      const services = await teardownServicesPass(ref, clusterName);
      blocked.push(...services.blocked);
      // An ALB is asked to go once per teardown: it stays listed for a while after, and asked again once
      // gone, the tag-conditioned delete is refused
      // (docs/aws-facts.md#deleting-what-is-already-gone-under-a-tag-condition).
      const loadBalancer = await teardownLoadBalancerPass(ref.id, {
        deleting: event.poll?.deletingLoadBalancerArns ?? [],
      });
      blocked.push(...loadBalancer.blocked);
      const cluster = await teardownClusterPass(ref.id, clusterName);
      blocked.push(...cluster.blocked);
      const endpoints = await endpointsPass;
      blocked.push(...endpoints.blocked);
      const network = await teardownNetworkPass(ref.id);
      blocked.push(...network.blocked);
      // Roles last: ECS's agents use the execution role (logs, secrets) until every task has stopped.
      const tasksGone = jobs.done && services.done && cluster.done;
      // Task roles by service name: the spec's services and those the last READY run recorded (an
      // update that removed one may have failed before its role went).
      const roles = tasksGone
        ? await deleteEnvironmentRoles(ref, knownNames(environment, 'services'))
        : { done: false, blocked: [] };
      blocked.push(...roles.blocked);
      // A rollback, or a DELETE that stopped a provisioning run, follows steps that may still be
      // creating: nothing is done until the longest of them must have ended (shared/workflow/sweep.ts).
      const sweep = sweepProgress(
        event.poll,
        environment.status === 'ROLLING_BACK' || environment.stoppedRunAt !== undefined,
      );
      if (sweep.pending) {
        blocked.push({
          resource: 'steps of the stopped run',
          code: 'SweepingAfterStoppedRun',
          message: `a step of the stopped run may still create resources for up to ${LONGEST_STEP_SECONDS} s`,
        });
      }
      const done =
        !sweep.pending && tasksGone && loadBalancer.done && endpoints.done && network.done && roles.done;
      const poll = nextPoll(SCHEDULES.teardown, event.poll, done);
      // Enough to show every kind of blocker in the execution history; the first one names a DELETE_FAILED.
      return {
        output: {
          ...poll,
          waited: sweep.waited,
          deletingLoadBalancerArns: loadBalancer.deletingLoadBalancerArns,
          blocked: blocked.slice(0, 25),
        },
      };
    },
  },
  stepStore,
);
