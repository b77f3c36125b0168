/**
 * Simulated Amazon ECS (awsJson 1.1, target prefix `AmazonEC2ContainerServiceV20141113`): clusters,
 * capacity providers, task definitions, services, tasks and tags — what berth provisions, updates
 * and tears down.
 *
 * The scheduler is simulated lazily: every ECS call first *reconciles* the cluster, replaying in
 * time order what happened since the last call (tasks reaching RUNNING, targets passing or failing
 * their health checks, tasks exiting, deployments finishing) — no timers.
 *
 * Behaviour kept from AWS:
 * - A task is PROVISIONING → PENDING → RUNNING after the latency model's `taskRunning`; awsvpc tasks
 *   get an ENI in one of the service's subnets (round robin). Service tasks register their IP and
 *   container port in the service's target groups when they reach RUNNING.
 * - Capacity (`./ecs/container-instances.ts`): an EC2 awsvpc task goes on a container instance with
 *   an ENI attachment point free (type's ENIs less the primary, or its branch-ENI limit with
 *   `awsvpcTrunking`, kept by the account settings operations); none free is ECS's `RESOURCE:ENI`
 *   (service event, RunTask failure). A task whose subnet has no address left stops with
 *   `TaskFailedToStart` (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
 * - A deployment is COMPLETED (and the service steady: one deployment, runningCount = desiredCount)
 *   only when all its tasks are healthy in their target groups (interval × healthy threshold after
 *   RUNNING) and the older deployments' tasks have drained (the target group's deregistration delay)
 *   and stopped (`taskStopped`).
 * - Simulated apps: an image whose name contains `unhealthy` answers the ELB health check with 500, so
 *   its tasks turn unhealthy (interval × unhealthy threshold, not before the health-check grace
 *   period) and ECS replaces them; an image containing `fail` exits with code 1 shortly after start
 *   (service tasks after 10 s, standalone tasks when they finish). Standalone tasks (RunTask) run for
 *   60 s and stop with exit code 0 otherwise.
 * - Deployment circuit breaker: failed tasks count against the deployment; at the threshold
 *   (0.5 × desired count, at least 3, at most 200) the deployment is FAILED ("tasks failed to
 *   start") and, with `rollback`, a new deployment of the last completed task definition starts.
 * - DeleteService needs `force` or desiredCount 0; the service is DRAINING until its tasks have
 *   stopped, then INACTIVE (still answered by DescribeServices for an hour, as AWS does).
 * - DeleteCluster answers `ClusterContainsServicesException`, `ClusterContainsContainerInstancesException`
 *   (instances registered by the Auto Scaling simulation), `ClusterContainsTasksException`, or the
 *   ClientException for attached cluster-scoped capacity providers.
 * - ListClusters keeps listing a deleted (INACTIVE) cluster while DescribeClusters answers it.
 * - DeleteTaskDefinitions moves INACTIVE revisions to DELETE_IN_PROGRESS and reports ACTIVE, unknown
 *   and revision-less ones as `failures`; a revision no task or deployment uses is then gone (Describe
 *   and the listings no longer answer it). The records stay, so revision numbers keep counting.
 * - ListTaskDefinitions' `familyPrefix` is the exact family; only ListTaskDefinitionFamilies matches a
 *   prefix. RegisterTaskDefinition refuses a request over 64 KiB.
 * - DeleteCapacityProvider of a provider still associated with a cluster does not throw: like AWS it
 *   answers the provider with `updateStatus: DELETE_FAILED` and the reason.
 * - Throttling is `ThrottlingException` / 400 with ECS's token buckets (docs/aws-facts.md#api-throttling).
 * - IAM: each operation is authorised on its resource ARNs with ECS's condition keys and implicit
 *   checks (`./ecs/authorize.ts`); a task whose execution role may not pull its image, read its
 *   secrets or create its log stream stops with `TaskFailedToStart` and ECS's reason
 *   (`./ecs/task-start.ts`).
 *
 * Not simulated: daemon services, service connect, service discovery registries, task sets and
 * external deployment controllers, container instance APIs, exec, task protection, CPU and memory
 * accounting on container instances (only their ENIs are counted), managed scaling.
 *
 * Store types: `ecs-cluster`, `ecs-capacity-provider`, `ecs-task-definition`, `ecs-service`,
 * `ecs-task`, `ecs-container-instance` (ids are their ARNs).
 *
 * This file is the dispatcher; the implementation is in `./ecs/`, one file per resource family
 * (`model.ts` is what they share; `scheduler.ts` and `task-lifecycle.ts` the simulated scheduler).
 */
import type { ServiceDefinition } from '../kernel';
import {
  deleteAccountSetting,
  listAccountSettings,
  putAccountSetting,
  putAccountSettingDefault,
} from './ecs/account-settings';
import { ecsAuthorizers } from './ecs/authorize';
import {
  createCapacityProvider,
  deleteCapacityProvider,
  describeCapacityProviders,
} from './ecs/capacity-providers';
import {
  createCluster,
  deleteCluster,
  describeClusters,
  listClusters,
  putClusterCapacityProviders,
  updateClusterSettings,
} from './ecs/clusters';
import { createService, deleteService, describeServices, listServices, updateService } from './ecs/services';
import { listTagsForResource, tagResource, untagResource } from './ecs/tags';
import {
  deleteTaskDefinitions,
  deregisterTaskDefinition,
  describeTaskDefinition,
  listTaskDefinitionFamilies,
  listTaskDefinitions,
  registerTaskDefinition,
} from './ecs/task-definitions';
import { describeTasks, listTasks, runTask, stopTaskOperation } from './ecs/tasks';

export { findCapacityProviderOfGroup } from './ecs/capacity-providers';
export { deregisterContainerInstance, registerContainerInstance } from './ecs/container-instances';
export type { ClusterResource, ContainerInstanceResource } from './ecs/model';
export { registerSecretKey } from './ecs/task-start';

/** Token buckets from "Request throttling for the Amazon ECS API" (docs/aws-facts.md#api-throttling). */
const RATE_CATEGORIES: Record<string, string> = {
  CreateService: 'service-mutation',
  UpdateService: 'service-mutation',
  DeleteService: 'service-mutation',
  CreateCluster: 'create-cluster',
  RegisterTaskDefinition: 'register-task-definition',
};

export const ecs: ServiceDefinition = {
  signingName: 'ecs',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'AmazonEC2ContainerServiceV20141113',
  operations: {
    CreateCluster: createCluster,
    DescribeClusters: describeClusters,
    ListClusters: listClusters,
    DeleteCluster: deleteCluster,
    PutClusterCapacityProviders: putClusterCapacityProviders,
    UpdateClusterSettings: updateClusterSettings,
    CreateCapacityProvider: createCapacityProvider,
    DescribeCapacityProviders: describeCapacityProviders,
    DeleteCapacityProvider: deleteCapacityProvider,
    RegisterTaskDefinition: registerTaskDefinition,
    DescribeTaskDefinition: describeTaskDefinition,
    DeregisterTaskDefinition: deregisterTaskDefinition,
    DeleteTaskDefinitions: deleteTaskDefinitions,
    ListTaskDefinitions: listTaskDefinitions,
    ListTaskDefinitionFamilies: listTaskDefinitionFamilies,
    CreateService: createService,
    DescribeServices: describeServices,
    UpdateService: updateService,
    DeleteService: deleteService,
    ListServices: listServices,
    RunTask: runTask,
    DescribeTasks: describeTasks,
    ListTasks: listTasks,
    StopTask: stopTaskOperation,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
    PutAccountSetting: putAccountSetting,
    PutAccountSettingDefault: putAccountSettingDefault,
    DeleteAccountSetting: deleteAccountSetting,
    ListAccountSettings: listAccountSettings,
  },
  authorize: ecsAuthorizers,
  rateLimitCategory: (operation) =>
    RATE_CATEGORIES[operation] ?? (/^(Describe|List)/.test(operation) ? 'describe' : 'default'),
  rateLimits: {
    'service-mutation': { burst: 50, refillPerSecond: 5 },
    'create-cluster': { burst: 20, refillPerSecond: 1 },
    'register-task-definition': { burst: 20, refillPerSecond: 1 },
    describe: { burst: 100, refillPerSecond: 20 },
    default: { burst: 50, refillPerSecond: 10 },
  },
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
};
