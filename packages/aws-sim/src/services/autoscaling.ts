/**
 * Simulated Amazon EC2 Auto Scaling (awsQuery, API version 2011-01-01): the group operations berth
 * uses for EC2-backed clusters.
 *
 * Behaviour kept from AWS:
 * - A group launches `DesiredCapacity` instances from its launch template across the subnets of
 *   `VPCZoneIdentifier` (round robin), each with an ENI (ec2 helpers). Instances are `Pending` until
 *   the latency model's `ec2InstanceRunning`, then `InService`; a terminating instance is gone after
 *   `ec2InstanceTerminated`, and its ENI with it.
 * - ECS registration is kept simple: the group reads the cluster name from the launch template's
 *   user data (`ECS_CLUSTER=name`, base64 as EC2 stores it); each instance registers as a container
 *   instance of that cluster when it is InService, and deregisters when it is terminated.
 * - Scale-in (UpdateAutoScalingGroup to fewer instances) skips instances protected from scale in.
 * - DeleteAutoScalingGroup without `ForceDelete` answers `ScalingActivityInProgress` while instances
 *   are launching or terminating and `ResourceInUse` while instances remain; with it, every instance
 *   terminates and the group is `Delete in progress` until the last one is gone.
 * - Throttling is `Throttling` / 400 "Rate exceeded" (Auto Scaling publishes no buckets; these are
 *   the ELBv2-like 40/10 describe, 20/5 mutating).
 *
 * Not simulated: launch configurations, mixed instances policies, scaling policies and lifecycle
 * hooks, warm pools, instance refresh, health replacement, SetInstanceProtection.
 *
 * Store type: `autoscaling-group` (id = group name; instances live inside the group record).
 */
import { AwsError, type OperationInput, type ServiceDefinition, type SimContext } from '../kernel';
import { drawSeconds } from '../latency';
import { autoscalingAuthorization } from './autoscaling-authorization';
import type { AutoScalingGroupResource, GroupInstance, GroupTag } from './autoscaling-model';
import { findLaunchTemplate } from './ec2/launch-templates';
import type { Subnet } from './ec2/model';
import { createNetworkInterface, releaseNetworkInterface } from './ec2/network-interfaces';
import { deregisterContainerInstance, registerContainerInstance } from './ecs/container-instances';
import { roleNameOfInstanceProfile } from './iam/instance-profiles';
import { InputReader, type InvalidInput, isoTimestamp, paginate } from './operation-input';
import { publicAmiArchitecture } from './ssm';
import { strictness } from './strictness';

const error = (code: string, message: string) => new AwsError(code, message, 400);
const validationError: InvalidInput = (message) => error('ValidationError', message);
const reader = (input: OperationInput) => new InputReader(input, validationError);

function groupNotFound(name: string): AwsError {
  return validationError(`AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
}

function requireGroup(ctx: SimContext, name: string): AutoScalingGroupResource {
  return ctx.store.require<AutoScalingGroupResource>('autoscaling-group', name, () => groupNotFound(name));
}

/** Instances not yet terminated (the store keeps groups; instances are pruned here). */
function liveInstances(ctx: SimContext, group: AutoScalingGroupResource): GroupInstance[] {
  group.instances = group.instances.filter((instance) => !ctx.clock.reached(instance.terminatedAt));
  return group.instances;
}

function lifecycleState(ctx: SimContext, instance: GroupInstance): string {
  if (instance.terminatingAt !== undefined) return 'Terminating';
  return ctx.clock.reached(instance.inServiceAt) ? 'InService' : 'Pending';
}

/** The ECS cluster named in user data, which EC2 keeps base64-encoded. */
function clusterNameFromUserData(userData: string | undefined): string | undefined {
  if (!userData) return undefined;
  const decoded = /^[A-Za-z0-9+/=\s]+$/.test(userData)
    ? Buffer.from(userData, 'base64').toString('utf8')
    : userData;
  return (
    /ECS_CLUSTER=([A-Za-z0-9_-]+)/.exec(decoded)?.[1] ?? /ECS_CLUSTER=([A-Za-z0-9_-]+)/.exec(userData)?.[1]
  );
}

/**
 * An instance type's architecture by EC2's naming convention: an option `g` after the generation
 * marks Graviton (m7g, c7gn, t4g…), as does the `a1` family; the rest is x86_64.
 */
function instanceTypeArchitecture(instanceType: string): 'x86_64' | 'arm64' {
  const family = instanceType.split('.')[0] ?? '';
  const options = /^[a-z]+\d+([a-z-]*)$/.exec(family)?.[1] ?? '';
  return family === 'a1' || options.includes('g') ? 'arm64' : 'x86_64';
}

/**
 * Auto Scaling validates a group's launch template when the group is created or updated: an AMI whose
 * architecture is not the instance type's is refused with EC2's message
 * (docs/aws-facts.md#task-definitions-ami-architecture-and-derived-names). AMIs the simulator does not
 * know are let through.
 */
function checkArchitecture(instanceType: string, imageId: string | undefined): void {
  const image = imageId === undefined ? undefined : publicAmiArchitecture(imageId);
  const instance = instanceTypeArchitecture(instanceType);
  if (image === undefined || image === instance) return;
  throw validationError(
    `You must use a valid fully-formed launch template. The architecture '${instance}' of the specified instance type does not match the architecture '${image}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.`,
  );
}

function readLaunchTemplate(ctx: SimContext, r: InputReader) {
  const given = r.object('LaunchTemplate');
  if (!given)
    throw validationError(
      'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
    );
  const id = given.string('LaunchTemplateId');
  const name = given.string('LaunchTemplateName');
  let template: ReturnType<typeof findLaunchTemplate>;
  try {
    template = findLaunchTemplate(ctx, { ...(id ? { id } : {}), ...(name ? { name } : {}) });
  } catch {
    throw validationError(
      `You must use a valid fully-formed launch template. The specified launch template, with template ${id ? `ID ${id}` : `name ${name ?? ''}`}, does not exist.`,
    );
  }
  const data = new InputReader(template.data, validationError);
  if (strictness(ctx).amiArchitecture) {
    checkArchitecture(data.string('InstanceType') ?? 't3.micro', data.string('ImageId'));
  }
  return {
    reference: {
      LaunchTemplateId: template.id,
      LaunchTemplateName: template.launchTemplateName,
      Version: given.string('Version') ?? '$Default',
    },
    instanceType: data.string('InstanceType') ?? 't3.micro',
    securityGroups: data.strings('SecurityGroupId'),
    principalArn: instanceProfileRoleArn(ctx, data),
    clusterName: clusterNameFromUserData(data.string('UserData')),
  };
}

/**
 * The role of the launch template's instance profile, which the ECS agent registers as (its
 * `awsvpcTrunking` setting counts): a profile of the IAM API's its role, a template's the role of its
 * name (services/iam/instance-profiles.ts).
 */
function instanceProfileRoleArn(ctx: SimContext, data: InputReader): string | undefined {
  const profile = data.object('IamInstanceProfile');
  const arn = profile?.string('Arn');
  const name = roleNameOfInstanceProfile(
    ctx,
    arn ? arn.slice(arn.lastIndexOf('/') + 1) : (profile?.string('Name') ?? ''),
  );
  if (!name) return undefined;
  return ctx.iam.role(name)?.roleArn ?? `arn:aws:iam::${ctx.accountId}:role/${name}`;
}

/** What a launch needs of the launch template. */
interface LaunchSettings {
  securityGroups: string[];
  instanceType: string;
  principalArn?: string | undefined;
}

function readSubnets(ctx: SimContext, zoneIdentifier: string | undefined): string[] {
  const subnets = (zoneIdentifier ?? '')
    .split(',')
    .map((subnet) => subnet.trim())
    .filter((subnet) => subnet !== '');
  if (subnets.length === 0)
    throw validationError('No default VPC for this user: VPCZoneIdentifier must be given.');
  for (const subnetId of subnets) {
    if (!ctx.store.get<Subnet>('subnet', subnetId))
      throw validationError(`The subnet ID '${subnetId}' does not exist`);
  }
  return subnets;
}

function checkSizes(min: number, max: number, desired: number): void {
  if (min > max)
    throw validationError(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired < min || desired > max) {
    throw validationError(
      `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`,
    );
  }
}

function launchInstances(
  ctx: SimContext,
  group: AutoScalingGroupResource,
  count: number,
  launch: LaunchSettings,
): void {
  const { securityGroups, instanceType } = launch;
  const propagated: Record<string, string> = {};
  for (const tag of group.groupTags) if (tag.PropagateAtLaunch) propagated[tag.Key] = tag.Value;
  for (let i = 0; i < count; i += 1) {
    const subnetId = group.subnets[group.launched % group.subnets.length] ?? '';
    group.launched += 1;
    const instanceId = ctx.ids.ec2('i');
    const eni = launchInterface(ctx, subnetId, securityGroups, {
      ...propagated,
      'aws:autoscaling:groupName': group.name,
    });
    // A full subnet launches nothing (EC2 answers InsufficientFreeAddressesInSubnet to the launch).
    if (!eni) continue;
    const inServiceAt = ctx.clock.deadline(drawSeconds(ctx, ctx.latency.ec2InstanceRunning));
    group.instances.push({
      instanceId,
      availabilityZone: eni.availabilityZone,
      subnetId,
      networkInterfaceId: eni.id,
      instanceType,
      protectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
      inServiceAt,
    });
    if (group.clusterName) {
      registerContainerInstance(ctx, {
        clusterName: group.clusterName,
        ec2InstanceId: instanceId,
        registeredAt: inServiceAt,
        tags: propagated,
        instanceType,
        availabilityZone: eni.availabilityZone,
        subnetId,
        ...(launch.principalArn ? { principalArn: launch.principalArn } : {}),
      });
    }
  }
}

/** The primary ENI of a new instance, or undefined when its subnet has no free address. */
function launchInterface(ctx: SimContext, subnetId: string, groups: string[], tags: Record<string, string>) {
  try {
    return createNetworkInterface(ctx, { subnetId, groups, description: '', tags });
  } catch (error) {
    if (error instanceof AwsError && error.code === 'InsufficientFreeAddressesInSubnet') return undefined;
    throw error;
  }
}

function terminateInstance(ctx: SimContext, instance: GroupInstance): void {
  if (instance.terminatingAt !== undefined) return;
  const after = drawSeconds(ctx, ctx.latency.ec2InstanceTerminated);
  instance.terminatingAt = ctx.clock.now();
  instance.terminatedAt = ctx.clock.deadline(after);
  deregisterContainerInstance(ctx, instance.instanceId, instance.terminatedAt);
  // The primary ENI is deleted with the instance.
  releaseNetworkInterface(ctx, instance.networkInterfaceId, after);
}

/** Launches or terminates (unprotected, newest first) instances to reach the desired capacity. */
function scaleToDesired(ctx: SimContext, group: AutoScalingGroupResource, launch: LaunchSettings): void {
  const live = liveInstances(ctx, group).filter((instance) => instance.terminatingAt === undefined);
  if (live.length < group.desiredCapacity) {
    launchInstances(ctx, group, group.desiredCapacity - live.length, launch);
    return;
  }
  let excess = live.length - group.desiredCapacity;
  for (const instance of [...live].reverse()) {
    if (excess <= 0) break;
    if (instance.protectedFromScaleIn) continue;
    terminateInstance(ctx, instance);
    excess -= 1;
  }
}

function readGroupTags(r: InputReader): GroupTag[] {
  return r.objects('Tags').map((tag) => ({
    Key: tag.requiredString('Key'),
    Value: tag.string('Value') ?? '',
    PropagateAtLaunch: tag.boolean('PropagateAtLaunch') ?? false,
  }));
}

function createAutoScalingGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('AutoScalingGroupName');
  if (ctx.store.get('autoscaling-group', name)) {
    throw error(
      'AlreadyExists',
      `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`,
    );
  }
  const template = readLaunchTemplate(ctx, r);
  const minSize = r.number('MinSize');
  const maxSize = r.number('MaxSize');
  if (minSize === undefined || maxSize === undefined)
    throw validationError('MinSize and MaxSize are required.');
  const desiredCapacity = r.number('DesiredCapacity') ?? minSize;
  checkSizes(minSize, maxSize, desiredCapacity);
  const subnets = readSubnets(ctx, r.string('VPCZoneIdentifier'));
  const groupTags = readGroupTags(r);
  const group = ctx.store.put<AutoScalingGroupResource>({
    type: 'autoscaling-group',
    id: name,
    arn: `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:${ctx.ids.uuid()}:autoScalingGroupName/${name}`,
    name,
    launchTemplate: template.reference,
    minSize,
    maxSize,
    desiredCapacity,
    subnets,
    groupTags,
    newInstancesProtectedFromScaleIn: r.boolean('NewInstancesProtectedFromScaleIn') ?? false,
    healthCheckType: r.string('HealthCheckType') ?? 'EC2',
    healthCheckGracePeriod: r.number('HealthCheckGracePeriod') ?? 0,
    defaultCooldown: r.number('DefaultCooldown') ?? 300,
    capacityRebalance: r.boolean('CapacityRebalance') ?? false,
    ...(template.clusterName ? { clusterName: template.clusterName } : {}),
    instances: [],
    deleting: false,
    launched: 0,
    tags: Object.fromEntries(groupTags.map((tag) => [tag.Key, tag.Value])),
    createdAt: ctx.clock.now(),
  });
  scaleToDesired(ctx, group, template);
  return {};
}

function groupOutput(ctx: SimContext, group: AutoScalingGroupResource) {
  const instances = liveInstances(ctx, group);
  return {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    LaunchTemplate: group.launchTemplate,
    MinSize: group.minSize,
    MaxSize: group.maxSize,
    DesiredCapacity: group.desiredCapacity,
    DefaultCooldown: group.defaultCooldown,
    AvailabilityZones: [
      ...new Set(
        group.subnets.map(
          (subnetId) => ctx.store.get<Subnet>('subnet', subnetId)?.availabilityZone ?? `${ctx.region}a`,
        ),
      ),
    ],
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: group.healthCheckType,
    HealthCheckGracePeriod: group.healthCheckGracePeriod,
    Instances: instances.map((instance) => ({
      InstanceId: instance.instanceId,
      InstanceType: instance.instanceType,
      AvailabilityZone: instance.availabilityZone,
      LifecycleState: lifecycleState(ctx, instance),
      HealthStatus: 'Healthy',
      LaunchTemplate: group.launchTemplate,
      ProtectedFromScaleIn: instance.protectedFromScaleIn,
    })),
    CreatedTime: isoTimestamp(group.createdAt),
    SuspendedProcesses: [],
    VPCZoneIdentifier: group.subnets.join(','),
    EnabledMetrics: [],
    ...(group.deleting ? { Status: 'Delete in progress' } : {}),
    Tags: group.groupTags.map((tag) => ({
      ResourceId: group.name,
      ResourceType: 'auto-scaling-group',
      ...tag,
    })),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
    ServiceLinkedRoleARN: `arn:aws:iam::${ctx.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: group.capacityRebalance,
  };
}

function matchesFilters(
  group: AutoScalingGroupResource,
  filters: Array<{ name: string; values: string[] }>,
): boolean {
  return filters.every(({ name, values }) => {
    if (name.startsWith('tag:')) return values.includes(group.tags[name.slice(4)] ?? '\u0000');
    if (name === 'tag-key') return Object.keys(group.tags).some((key) => values.includes(key));
    if (name === 'tag-value') return Object.values(group.tags).some((value) => values.includes(value));
    throw validationError(`Filter '${name}' is not supported by this simulator`);
  });
}

function describeAutoScalingGroups(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const names = r.strings('AutoScalingGroupNames');
  const filters = r
    .objects('Filters')
    .map((filter) => ({ name: filter.requiredString('Name'), values: filter.strings('Values') }));
  // Unknown names are left out, not errors, as AWS does.
  const groups = ctx.store
    .list<AutoScalingGroupResource>('autoscaling-group')
    .filter((group) => names.length === 0 || names.includes(group.name))
    .filter((group) => matchesFilters(group, filters));
  const maxRecords = r.number('MaxRecords');
  if (maxRecords !== undefined && (maxRecords < 1 || maxRecords > 100))
    throw validationError('MaxRecords must be between 1 and 100');
  const { page, nextToken } = paginate(groups, r.string('NextToken'), maxRecords, validationError, 50);
  return {
    AutoScalingGroups: page.map((group) => groupOutput(ctx, group)),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

function updateAutoScalingGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('AutoScalingGroupName');
  const group = requireGroup(ctx, name);
  if (group.deleting)
    throw validationError(`AutoScalingGroup name not found - AutoScalingGroup ${name} is pending delete.`);
  const template = r.has('LaunchTemplate')
    ? readLaunchTemplate(ctx, r)
    : readLaunchTemplate(ctx, new InputReader({ LaunchTemplate: group.launchTemplate }, validationError));
  const minSize = r.number('MinSize') ?? group.minSize;
  const maxSize = r.number('MaxSize') ?? group.maxSize;
  const desiredCapacity =
    r.number('DesiredCapacity') ?? Math.min(maxSize, Math.max(minSize, group.desiredCapacity));
  checkSizes(minSize, maxSize, desiredCapacity);
  if (r.has('VPCZoneIdentifier')) group.subnets = readSubnets(ctx, r.string('VPCZoneIdentifier'));
  Object.assign(group, { minSize, maxSize, desiredCapacity, launchTemplate: template.reference });
  if (template.clusterName) group.clusterName = template.clusterName;
  group.newInstancesProtectedFromScaleIn =
    r.boolean('NewInstancesProtectedFromScaleIn') ?? group.newInstancesProtectedFromScaleIn;
  group.healthCheckType = r.string('HealthCheckType') ?? group.healthCheckType;
  group.healthCheckGracePeriod = r.number('HealthCheckGracePeriod') ?? group.healthCheckGracePeriod;
  scaleToDesired(ctx, group, template);
  return {};
}

function deleteAutoScalingGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('AutoScalingGroupName');
  const group = requireGroup(ctx, name);
  if (group.deleting) return {};
  const instances = liveInstances(ctx, group);
  if (r.boolean('ForceDelete') !== true && instances.length > 0) {
    if (instances.some((instance) => lifecycleState(ctx, instance) !== 'InService')) {
      throw error(
        'ScalingActivityInProgress',
        'You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.',
      );
    }
    throw error(
      'ResourceInUse',
      'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.',
    );
  }
  for (const instance of instances) terminateInstance(ctx, instance);
  group.deleting = true;
  group.desiredCapacity = 0;
  group.minSize = 0;
  group.maxSize = 0;
  group.goneAt = Math.max(ctx.clock.now(), ...instances.map((instance) => instance.terminatedAt ?? 0));
  return {};
}

export const autoscaling: ServiceDefinition = {
  signingName: 'autoscaling',
  protocol: 'query',
  xmlNamespace: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  operations: {
    CreateAutoScalingGroup: createAutoScalingGroup,
    DescribeAutoScalingGroups: describeAutoScalingGroups,
    UpdateAutoScalingGroup: updateAutoScalingGroup,
    DeleteAutoScalingGroup: deleteAutoScalingGroup,
  },
  rateLimitCategory: (operation) => (operation.startsWith('Describe') ? 'describe' : 'mutate'),
  rateLimits: {
    describe: { burst: 40, refillPerSecond: 10 },
    mutate: { burst: 20, refillPerSecond: 5 },
  },
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  // What IAM evaluates for each operation (group ARN and tags, the launch template's checks).
  authorize: autoscalingAuthorization,
};
