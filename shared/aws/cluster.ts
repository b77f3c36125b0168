/**
 * Every ECS cluster, capacity-provider, Auto Scaling, launch-template and SSM call of berth: the
 * environment's cluster (Fargate or EC2 capacity) and its teardown.
 *
 * Idempotency: CreateCluster answers an ACTIVE cluster of the same name, but the other creates fail on
 * a second call, so every `ensure*` first looks its resource up by a deterministic name (the cluster
 * name, and `berth-<cluster>` for the launch template, Auto Scaling group and capacity provider) and
 * creates only what is missing. Every create carries the environment's tags, so a crash between
 * "created" and "recorded" leaks nothing: the teardown finds the resource by tag.
 *
 * No function here waits. `teardownClusterPass` does what it can and reports what still blocks it
 * (instances terminating, a capacity provider still attached); the workflow calls it again later.
 * Throttling and 5xx errors propagate: the caller classifies them (`isTransient` in network.ts).
 */
import {
  AlreadyExistsFault,
  AutoScalingClient,
  type AutoScalingGroup,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  paginateDescribeAutoScalingGroups,
  ResourceInUseFault,
  ScalingActivityInProgressFault,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  type _InstanceType,
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  type LaunchTemplate,
  paginateDescribeLaunchTemplates,
} from '@aws-sdk/client-ec2';
import {
  type CapacityProvider,
  type CapacityProviderStrategyItem,
  type Cluster,
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  DeleteCapacityProviderCommand,
  DeleteClusterCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  ECSClient,
  PutClusterCapacityProvidersCommand,
  paginateListClusters,
  UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ecsOptimizedAmiParameter } from '../domain/instance-architecture';
import { type EnvironmentRef, names, TAG_ENVIRONMENT, tagList } from '../domain/naming';
import { required } from '../domain/required';
import type { EnvironmentSpec } from '../domain/spec';
import { ec2CapacityName, ecsTags, ecsTagValue } from './ecs-shapes';
import { errorCode, hasCode } from './errors';
import { stepCalls, stepCallsToThrottledApis } from './retry-budget';
import { deleteEnvironmentTaskDefinitions } from './task-definitions';
import { type Blocker, messageOf, type TeardownProgress } from './teardown';
import { traced } from './tracing';

/** Region, credentials and endpoints come from the environment (`AWS_ENDPOINT_URL_ECS`, `…_AUTO_SCALING`…). */
const defaultClients: ClusterClients = {
  ecs: /* @__PURE__ */ traced(/* @__PURE__ */ new ECSClient(stepCalls)),
  autoScaling: /* @__PURE__ */ traced(/* @__PURE__ */ new AutoScalingClient(stepCalls)),
  ec2: /* @__PURE__ */ traced(/* @__PURE__ */ new EC2Client(stepCallsToThrottledApis)),
  ssm: /* @__PURE__ */ traced(/* @__PURE__ */ new SSMClient(stepCalls)),
};

/** The SDK clients this module calls; tests pass their own. */
export interface ClusterClients {
  ecs: ECSClient;
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  ssm: SSMClient;
}

export type ClusterSpec = EnvironmentSpec['cluster'];
export type Ec2CapacitySpec = NonNullable<ClusterSpec['ec2']>;

export interface ClusterRef {
  clusterArn: string;
  clusterName: string;
}

export interface Ec2CapacityOptions {
  clusterName: string;
  /** The application-tier subnets: container instances never go into the public tier. */
  subnetIds: readonly string[];
  securityGroupId: string;
  instanceProfileArn: string;
  tags: Record<string, string>;
}

export interface Ec2Capacity {
  launchTemplateId: string;
  autoScalingGroupArn: string;
  capacityProviderName: string;
}

/** Root device of the ECS-optimised Amazon Linux 2023 AMI. */
const ROOT_DEVICE = '/dev/xvda';

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

async function describeCluster(clusterName: string, ecs: ECSClient): Promise<Cluster | undefined> {
  const { clusters = [] } = await ecs.send(
    new DescribeClustersCommand({ clusters: [clusterName], include: ['TAGS'] }),
  );
  return clusters.find((cluster) => cluster.clusterName === clusterName);
}

/** The environment's cluster with Container Insights on or off, and Fargate capacity providers as its default. */
export async function ensureCluster(
  env: EnvironmentRef,
  spec: ClusterSpec,
  tags: Record<string, string>,
  clients: ClusterClients = defaultClients,
): Promise<ClusterRef> {
  const clusterName = names.cluster(env);
  const existing = await describeCluster(clusterName, clients.ecs);
  if (existing?.status === 'ACTIVE') {
    return { clusterArn: required(existing.clusterArn, 'clusterArn'), clusterName };
  }
  // EC2 capacity is associated later by ensureEc2Capacity: its capacity provider needs the group first.
  const fargate = spec.capacity === 'FARGATE' || spec.capacity === 'FARGATE_SPOT';
  const { cluster } = await clients.ecs.send(
    new CreateClusterCommand({
      clusterName,
      settings: [{ name: 'containerInsights', value: spec.containerInsights ? 'enabled' : 'disabled' }],
      ...(fargate
        ? {
            capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
            defaultCapacityProviderStrategy: [{ capacityProvider: spec.capacity, weight: 1, base: 0 }],
          }
        : {}),
      tags: ecsTags(tags),
    }),
  );
  return { clusterArn: required(cluster?.clusterArn, 'clusterArn'), clusterName };
}

/**
 * Container Insights of an existing cluster follows the spec (UpdateClusterSettings, only when it
 * differs; docs/aws-facts.md#what-an-update-applies-in-place). Answers whether it changed anything.
 */
export async function applyContainerInsights(
  clusterName: string,
  enabled: boolean,
  ecs: ECSClient = defaultClients.ecs,
): Promise<boolean> {
  const { clusters = [] } = await ecs.send(
    new DescribeClustersCommand({ clusters: [clusterName], include: ['SETTINGS'] }),
  );
  const cluster = clusters.find((candidate) => candidate.clusterName === clusterName);
  if (cluster?.status !== 'ACTIVE') throw new Error(`cluster ${clusterName} is not ACTIVE`);
  const current = cluster.settings?.find((setting) => setting.name === 'containerInsights')?.value;
  // `enhanced` (set outside berth) is a kind of enabled: keep it rather than downgrade it.
  if (enabled === (current === 'enabled' || current === 'enhanced')) return false;
  await ecs.send(
    new UpdateClusterSettingsCommand({
      cluster: clusterName,
      settings: [{ name: 'containerInsights', value: enabled ? 'enabled' : 'disabled' }],
    }),
  );
  return true;
}

/** Every ACTIVE cluster tagged with the environment (normally one). */
export async function findEnvironmentClusters(environmentId: string, ecs: ECSClient): Promise<Cluster[]> {
  const arns: string[] = [];
  for await (const page of paginateListClusters({ client: ecs }, {})) arns.push(...(page.clusterArns ?? []));
  const found: Cluster[] = [];
  // DescribeClusters takes at most 100 clusters per call.
  for (let start = 0; start < arns.length; start += 100) {
    const { clusters = [] } = await ecs.send(
      new DescribeClustersCommand({ clusters: arns.slice(start, start + 100), include: ['TAGS'] }),
    );
    found.push(
      ...clusters.filter(
        (cluster) =>
          cluster.status === 'ACTIVE' && ecsTagValue(cluster.tags, TAG_ENVIRONMENT) === environmentId,
      ),
    );
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// EC2 capacity
// ---------------------------------------------------------------------------------------------

/**
 * The AMI to launch: the spec's own, or the current ECS-optimised Amazon Linux 2023 AMI of the
 * instance type's architecture (arm64 for Graviton types: an x86_64 AMI would fail every launch).
 */
export async function resolveEcsAmi(
  amiId: string | undefined,
  instanceType: string,
  ssm: SSMClient = defaultClients.ssm,
): Promise<string> {
  if (amiId !== undefined) return amiId;
  const name = ecsOptimizedAmiParameter(instanceType);
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
  return required(Parameter?.Value, `value of ${name}`);
}

/**
 * The user data that makes the ECS agent join `clusterName` (EC2 wants it base64-encoded), with
 * `ECS_AWSVPC_BLOCK_IMDS=true`: awsvpc tasks cannot reach the instance metadata service, so a task
 * never borrows the container instance's role (docs/aws-facts.md#container-instances-and-the-metadata-service).
 */
export function containerInstanceUserData(clusterName: string): string {
  return Buffer.from(
    `#!/bin/bash\necho ECS_CLUSTER=${clusterName} >> /etc/ecs/ecs.config\n` +
      'echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config\n',
    'utf8',
  ).toString('base64');
}

async function findLaunchTemplate(name: string, ec2: EC2Client): Promise<LaunchTemplate | undefined> {
  // A filter answers an empty list; LaunchTemplateNames would fail with InvalidLaunchTemplateName.NotFoundException.
  const { LaunchTemplates = [] } = await ec2.send(
    new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [name] }] }),
  );
  return LaunchTemplates[0];
}

async function ensureLaunchTemplate(
  spec: Ec2CapacitySpec,
  options: Ec2CapacityOptions,
  clients: ClusterClients,
): Promise<string> {
  const name = ec2CapacityName(options.clusterName);
  const existing = await findLaunchTemplate(name, clients.ec2);
  if (existing) return required(existing.LaunchTemplateId, 'LaunchTemplateId');
  const imageId = await resolveEcsAmi(spec.amiId, spec.instanceType, clients.ssm);
  const tags = tagList(options.tags);
  try {
    const { LaunchTemplate: created } = await clients.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: name,
        LaunchTemplateData: {
          ImageId: imageId,
          // The SDK types instance types as a closed union; the spec checks the shape, EC2 the value.
          InstanceType: spec.instanceType as _InstanceType,
          IamInstanceProfile: { Arn: options.instanceProfileArn },
          SecurityGroupIds: [options.securityGroupId],
          ...(spec.keyPair !== undefined ? { KeyName: spec.keyPair } : {}),
          BlockDeviceMappings: [
            {
              DeviceName: ROOT_DEVICE,
              Ebs: {
                VolumeSize: spec.rootVolumeGiB,
                VolumeType: 'gp3',
                Encrypted: true,
                DeleteOnTermination: true,
              },
            },
          ],
          // IMDSv2 only: session tokens stop SSRF-style credential theft through the instance metadata
          // service; a hop limit of 1 keeps the token from any container behind a bridge (one more hop).
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
          UserData: containerInstanceUserData(options.clusterName),
          // Tags for what the template launches; the template's own tags are the outer TagSpecifications.
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tags },
            { ResourceType: 'volume', Tags: tags },
          ],
        },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: tags }],
      }),
    );
    return required(created?.LaunchTemplateId, 'LaunchTemplateId');
  } catch (error) {
    // A concurrent run created it between our lookup and our create.
    if (!hasCode(error, 'InvalidLaunchTemplateName.AlreadyExistsException')) throw error;
    const raced = await findLaunchTemplate(name, clients.ec2);
    return required(raced?.LaunchTemplateId, 'LaunchTemplateId');
  }
}

async function describeGroup(
  name: string,
  autoScaling: AutoScalingClient,
): Promise<AutoScalingGroup | undefined> {
  const { AutoScalingGroups = [] } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return AutoScalingGroups.find((group) => group.AutoScalingGroupName === name);
}

async function ensureAutoScalingGroup(
  spec: Ec2CapacitySpec,
  options: Ec2CapacityOptions,
  launchTemplateId: string,
  autoScaling: AutoScalingClient,
): Promise<string> {
  const name = ec2CapacityName(options.clusterName);
  let group = await describeGroup(name, autoScaling);
  if (group?.Status !== undefined) {
    throw new Error(`Auto Scaling group ${name} is "${group.Status}": wait until it is gone, then retry`);
  }
  if (!group) {
    const tags = [
      ...tagList(options.tags),
      // ECS adds this tag when a capacity provider with managed scaling takes the group; declaring it
      // here also propagates it to instances launched before that.
      { Key: 'AmazonECSManaged', Value: '' },
    ].map((tag) => ({
      ...tag,
      ResourceId: name,
      ResourceType: 'auto-scaling-group',
      PropagateAtLaunch: true,
    }));
    try {
      await autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
          MinSize: spec.minSize,
          MaxSize: spec.maxSize,
          DesiredCapacity: spec.desiredCapacity,
          VPCZoneIdentifier: options.subnetIds.join(','),
          // Managed termination protection needs it: ECS lifts the protection of instances it empties.
          NewInstancesProtectedFromScaleIn: true,
          Tags: tags,
        }),
      );
    } catch (error) {
      if (!(error instanceof AlreadyExistsFault)) throw error;
    }
    // CreateAutoScalingGroup answers nothing: the ARN comes from a describe.
    group = await describeGroup(name, autoScaling);
  }
  return required(group?.AutoScalingGroupARN, 'AutoScalingGroupARN');
}

async function describeCapacityProvider(name: string, ecs: ECSClient): Promise<CapacityProvider | undefined> {
  const { capacityProviders = [] } = await ecs.send(
    new DescribeCapacityProvidersCommand({ capacityProviders: [name], include: ['TAGS'] }),
  );
  return capacityProviders.find((provider) => provider.name === name && provider.status === 'ACTIVE');
}

async function ensureCapacityProvider(
  options: Ec2CapacityOptions,
  autoScalingGroupArn: string,
  ecs: ECSClient,
): Promise<string> {
  const name = ec2CapacityName(options.clusterName);
  if (await describeCapacityProvider(name, ecs)) return name;
  await ecs.send(
    new CreateCapacityProviderCommand({
      name,
      autoScalingGroupProvider: {
        autoScalingGroupArn,
        managedScaling: { status: 'ENABLED', targetCapacity: 100 },
        managedTerminationProtection: 'ENABLED',
      },
      tags: ecsTags(options.tags),
    }),
  );
  return name;
}

/**
 * The cluster's EC2 capacity: launch template (ECS-optimised AMI, gp3 root volume, IMDSv2), Auto
 * Scaling group in the app subnets, capacity provider with managed scaling and termination protection,
 * associated with the cluster as its default strategy.
 */
export async function ensureEc2Capacity(
  env: EnvironmentRef,
  spec: Ec2CapacitySpec,
  options: Ec2CapacityOptions,
  clients: ClusterClients = defaultClients,
): Promise<Ec2Capacity> {
  if (options.subnetIds.length === 0)
    throw new RangeError(`environment ${env.id}: no subnets for the EC2 capacity`);
  const launchTemplateId = await ensureLaunchTemplate(spec, options, clients);
  const autoScalingGroupArn = await ensureAutoScalingGroup(
    spec,
    options,
    launchTemplateId,
    clients.autoScaling,
  );
  const capacityProviderName = await ensureCapacityProvider(options, autoScalingGroupArn, clients.ecs);

  const cluster = await describeCluster(options.clusterName, clients.ecs);
  if (cluster?.status !== 'ACTIVE') throw new Error(`cluster ${options.clusterName} is not ACTIVE`);
  const strategy: CapacityProviderStrategyItem[] = [
    { capacityProvider: capacityProviderName, weight: 1, base: 0 },
  ];
  const associated =
    cluster.capacityProviders?.includes(capacityProviderName) === true &&
    cluster.defaultCapacityProviderStrategy?.some(
      (item) => item.capacityProvider === capacityProviderName,
    ) === true;
  // PutClusterCapacityProviders replaces the whole list, and a second one during an update answers
  // UpdateInProgressException: only call it when the association is missing.
  if (!associated) {
    await clients.ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: options.clusterName,
        capacityProviders: [capacityProviderName],
        defaultCapacityProviderStrategy: strategy,
      }),
    );
  }
  return { launchTemplateId, autoScalingGroupArn, capacityProviderName };
}

/**
 * The Auto Scaling group's size follows the spec. Min and max are reconciled on every update; the
 * desired capacity only when the update changed it, because ECS managed scaling moves it between
 * updates and resetting it would fight the capacity provider. Auto Scaling itself moves a desired
 * capacity that falls outside new bounds (docs/aws-facts.md#what-an-update-applies-in-place).
 * Answers whether it changed anything.
 */
export async function resizeEc2Capacity(
  clusterName: string,
  spec: Pick<Ec2CapacitySpec, 'minSize' | 'maxSize' | 'desiredCapacity'>,
  options: { desiredCapacityChanged: boolean },
  autoScaling: AutoScalingClient = defaultClients.autoScaling,
): Promise<boolean> {
  const name = ec2CapacityName(clusterName);
  const group = await describeGroup(name, autoScaling);
  if (!group || group.Status !== undefined) throw new Error(`Auto Scaling group ${name} is not in service`);
  const setDesired = options.desiredCapacityChanged && group.DesiredCapacity !== spec.desiredCapacity;
  if (group.MinSize === spec.minSize && group.MaxSize === spec.maxSize && !setDesired) return false;
  await autoScaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      MinSize: spec.minSize,
      MaxSize: spec.maxSize,
      ...(setDesired ? { DesiredCapacity: spec.desiredCapacity } : {}),
    }),
  );
  return true;
}

// ---------------------------------------------------------------------------------------------
// Teardown
// ---------------------------------------------------------------------------------------------

/** Codes of DeleteCluster meaning "something still runs in it; try again later". */
const CLUSTER_BLOCKING_CODES = [
  'ClusterContainsServicesException',
  'ClusterContainsContainerInstancesException',
  'ClusterContainsTasksException',
  'ClusterContainsCapacityProviderException',
  'UpdateInProgressException',
  // "The Cluster cannot be deleted while Cluster Scoped Capacity Providers are attached": the
  // association is removed asynchronously after PutClusterCapacityProviders.
  'ClientException',
];

async function findCapacityProviders(environmentId: string, ecs: ECSClient): Promise<CapacityProvider[]> {
  const found: CapacityProvider[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new DescribeCapacityProvidersCommand({ include: ['TAGS'], nextToken }));
    found.push(
      ...(page.capacityProviders ?? []).filter(
        (provider) =>
          provider.status === 'ACTIVE' && ecsTagValue(provider.tags, TAG_ENVIRONMENT) === environmentId,
      ),
    );
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

async function findGroups(
  environmentId: string,
  autoScaling: AutoScalingClient,
): Promise<AutoScalingGroup[]> {
  const groups: AutoScalingGroup[] = [];
  const pages = paginateDescribeAutoScalingGroups(
    { client: autoScaling },
    { Filters: [{ Name: `tag:${TAG_ENVIRONMENT}`, Values: [environmentId] }] },
  );
  for await (const page of pages) groups.push(...(page.AutoScalingGroups ?? []));
  return groups;
}

async function findLaunchTemplates(environmentId: string, ec2: EC2Client): Promise<LaunchTemplate[]> {
  const templates: LaunchTemplate[] = [];
  const pages = paginateDescribeLaunchTemplates(
    { client: ec2 },
    { Filters: [{ Name: `tag:${TAG_ENVIRONMENT}`, Values: [environmentId] }] },
  );
  for await (const page of pages) templates.push(...(page.LaunchTemplates ?? []));
  return templates;
}

/** Removes every capacity provider from the cluster (Fargate's included), so that the EC2 one can be deleted. */
async function detachCapacityProviders(cluster: Cluster, ecs: ECSClient, blocked: Blocker[]): Promise<void> {
  const custom = (cluster.capacityProviders ?? []).filter(
    (name) => name !== 'FARGATE' && name !== 'FARGATE_SPOT',
  );
  if (custom.length === 0) return;
  try {
    await ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: cluster.clusterArn,
        capacityProviders: [],
        defaultCapacityProviderStrategy: [],
      }),
    );
  } catch (error) {
    // ResourceInUseException: a service (still DRAINING) uses the provider; UpdateInProgressException: scaling.
    if (!hasCode(error, 'ResourceInUseException', 'UpdateInProgressException')) throw error;
    blocked.push({
      resource: required(cluster.clusterArn, 'clusterArn'),
      code: errorCode(error) ?? 'Unknown',
      message: messageOf(error),
    });
  }
}

async function deleteCapacityProviders(
  providers: CapacityProvider[],
  ecs: ECSClient,
  blocked: Blocker[],
): Promise<void> {
  for (const provider of providers) {
    const name = required(provider.name, 'capacity provider name');
    try {
      const { capacityProvider } = await ecs.send(
        new DeleteCapacityProviderCommand({ capacityProvider: name }),
      );
      // Still associated with a cluster: AWS accepts the call and answers updateStatus DELETE_FAILED.
      if (capacityProvider?.updateStatus === 'DELETE_FAILED') {
        blocked.push({
          resource: name,
          code: 'DELETE_FAILED',
          message: capacityProvider.updateStatusReason ?? 'deletion failed',
        });
      }
    } catch (error) {
      if (!hasCode(error, 'UpdateInProgressException', 'ResourceInUseException')) throw error;
      blocked.push({ resource: name, code: errorCode(error) ?? 'Unknown', message: messageOf(error) });
    }
  }
}

async function deleteGroups(
  groups: AutoScalingGroup[],
  autoScaling: AutoScalingClient,
  blocked: Blocker[],
): Promise<void> {
  for (const group of groups) {
    const name = required(group.AutoScalingGroupName, 'AutoScalingGroupName');
    const instances = group.Instances?.length ?? 0;
    if (group.Status === undefined) {
      try {
        // ForceDelete terminates the instances (scale-in protection included) with the group.
        await autoScaling.send(
          new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }),
        );
      } catch (error) {
        if (error instanceof ScalingActivityInProgressFault || error instanceof ResourceInUseFault) {
          blocked.push({ resource: name, code: error.name, message: error.message });
          continue;
        }
        // Auto Scaling answers ValidationError ("AutoScalingGroup name not found") for a missing group.
        if (hasCode(error, 'ValidationError') && /not found/i.test(messageOf(error))) continue;
        throw error;
      }
    }
    blocked.push({
      resource: name,
      code: 'AutoScalingGroupDeleting',
      message: `the group is being deleted (${instances} instance(s) terminating)`,
    });
  }
}

async function deleteLaunchTemplates(
  templates: LaunchTemplate[],
  groupsLeft: number,
  ec2: EC2Client,
  blocked: Blocker[],
): Promise<void> {
  for (const template of templates) {
    const id = required(template.LaunchTemplateId, 'LaunchTemplateId');
    // The group launches from the template until its last instance is gone.
    if (groupsLeft > 0) {
      blocked.push({
        resource: id,
        code: 'AutoScalingGroupExists',
        message: 'deleted after the Auto Scaling group',
      });
      continue;
    }
    try {
      await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }));
    } catch (error) {
      if (!errorCode(error)?.includes('NotFound')) throw error;
    }
  }
}

async function deleteCluster(cluster: Cluster, ecs: ECSClient, blocked: Blocker[]): Promise<void> {
  const arn = required(cluster.clusterArn, 'clusterArn');
  try {
    await ecs.send(new DeleteClusterCommand({ cluster: arn }));
  } catch (error) {
    if (hasCode(error, 'ClusterNotFoundException')) return;
    if (!hasCode(error, ...CLUSTER_BLOCKING_CODES)) throw error;
    blocked.push({ resource: arn, code: errorCode(error) ?? 'Unknown', message: messageOf(error) });
  }
}

/**
 * One teardown pass of the environment's cluster (its services are deleted by the service module
 * first): detach and delete the capacity provider, force-delete the Auto Scaling group, delete the
 * launch template once the group is gone, deregister and delete the task definitions, delete the cluster.
 * Never waits; `done` when nothing of the environment is left.
 */
export async function teardownClusterPass(
  environmentId: string,
  clusterName?: string,
  clients: ClusterClients = defaultClients,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  const named = clusterName === undefined ? undefined : await describeCluster(clusterName, clients.ecs);
  const clusters =
    named === undefined
      ? await findEnvironmentClusters(environmentId, clients.ecs)
      : named.status === 'ACTIVE'
        ? [named]
        : [];

  for (const cluster of clusters) await detachCapacityProviders(cluster, clients.ecs, blocked);
  await deleteCapacityProviders(
    await findCapacityProviders(environmentId, clients.ecs),
    clients.ecs,
    blocked,
  );
  const groups = await findGroups(environmentId, clients.autoScaling);
  await deleteGroups(groups, clients.autoScaling, blocked);
  await deleteLaunchTemplates(
    await findLaunchTemplates(environmentId, clients.ec2),
    groups.length,
    clients.ec2,
    blocked,
  );

  const clusterNames = new Set(clusters.flatMap((cluster) => cluster.clusterName ?? []));
  if (clusterName !== undefined) clusterNames.add(clusterName);
  for (const name of clusterNames) {
    await deleteEnvironmentTaskDefinitions(environmentId, name, clients.ecs, blocked);
  }
  for (const cluster of clusters) await deleteCluster(cluster, clients.ecs, blocked);
  return { done: blocked.length === 0, blocked };
}
