/**
 * What CreateService, UpdateService and RunTask read beyond plain fields: launch type or capacity
 * provider strategy with the network configuration, load balancers, placement rules and the
 * deployment configuration, validated with ECS's messages.
 */
import type { SimContext } from '../../kernel';
import type { SecurityGroup, Subnet } from '../ec2/model';
import { findTargetGroup, loadBalancersOf } from '../elbv2/target-health';
import type { InputReader } from '../operation-input';
import {
  type ClusterResource,
  invalidParameter,
  isFargateProvider,
  type Placement,
  plain,
  readStrategy,
  type ServiceLoadBalancer,
  type TaskDefinitionResource,
} from './model';

/** Launch type / capacity provider strategy / network configuration of CreateService and RunTask. */
export function readPlacement(
  ctx: SimContext,
  r: InputReader,
  cluster: ClusterResource,
  definition: TaskDefinitionResource,
  current?: Placement,
): Placement {
  const launchType =
    r.string('launchType') ??
    (current && !r.has('capacityProviderStrategy') ? current.launchType : undefined);
  const given = readStrategy(r, 'capacityProviderStrategy');
  if (r.string('launchType') !== undefined && given.length > 0) {
    throw invalidParameter(
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  }
  let strategy = given.length > 0 ? given : launchType ? [] : (current?.capacityProviderStrategy ?? []);
  if (!launchType && strategy.length === 0) strategy = cluster.defaultCapacityProviderStrategy;
  for (const item of strategy) {
    if (!cluster.capacityProviders.includes(item.capacityProvider)) {
      throw invalidParameter(
        'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
      );
    }
  }
  const effectiveLaunchType = launchType ?? (strategy.length === 0 ? 'EC2' : undefined);
  if (effectiveLaunchType && !['EC2', 'FARGATE', 'EXTERNAL'].includes(effectiveLaunchType)) {
    throw invalidParameter(`launchType '${effectiveLaunchType}' is not valid.`);
  }
  const fargate =
    effectiveLaunchType === 'FARGATE' ||
    (strategy.length > 0 && strategy.every((item) => isFargateProvider(item.capacityProvider)));
  if (fargate && !definition.fargateCompatible) {
    throw invalidParameter('Task definition does not support launch_type FARGATE.');
  }
  const network = r.object('networkConfiguration')?.object('awsvpcConfiguration');
  const networkConfiguration = network
    ? { awsvpcConfiguration: plain(network.input) as Record<string, unknown> }
    : current?.networkConfiguration;
  const subnets = network ? network.strings('subnets') : (current?.subnets ?? []);
  const securityGroups = network ? network.strings('securityGroups') : (current?.securityGroups ?? []);
  if (definition.networkMode === 'awsvpc') {
    if (!networkConfiguration) {
      throw invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    if (subnets.length === 0 || subnets.length > 16) throw invalidParameter('subnets can not be empty.');
    for (const subnetId of subnets) {
      if (!ctx.store.get<Subnet>('subnet', subnetId)) {
        throw invalidParameter(
          `Error retrieving subnet information for [${subnetId}]: The subnet ID '${subnetId}' does not exist (ErrorCode: InvalidSubnetID.NotFound)`,
        );
      }
    }
    for (const groupId of securityGroups) {
      if (!ctx.store.get<SecurityGroup>('security-group', groupId)) {
        throw invalidParameter(
          `Error retrieving security group information for [${groupId}]: The security group '${groupId}' does not exist (ErrorCode: InvalidGroup.NotFound)`,
        );
      }
    }
  } else if (network) {
    throw invalidParameter(
      'Network Configuration is not valid for the given networkMode of this task definition.',
    );
  }
  if (networkConfiguration) {
    const awsvpc = networkConfiguration.awsvpcConfiguration as Record<string, unknown>;
    awsvpc.assignPublicIp = awsvpc.assignPublicIp ?? 'DISABLED';
    awsvpc.securityGroups = securityGroups;
  }
  return {
    ...(effectiveLaunchType ? { launchType: effectiveLaunchType } : {}),
    capacityProviderStrategy: strategy,
    fargate,
    ...(networkConfiguration ? { networkConfiguration } : {}),
    subnets,
    securityGroups,
  };
}

export function readServiceLoadBalancers(
  ctx: SimContext,
  r: InputReader,
  definition: TaskDefinitionResource,
): ServiceLoadBalancer[] {
  return r.objects('loadBalancers').map((lb) => {
    const targetGroupArn = lb.string('targetGroupArn');
    if (!targetGroupArn)
      throw invalidParameter(
        'Only target groups of Application Load Balancers are supported (targetGroupArn).',
      );
    const tg = findTargetGroup(ctx, targetGroupArn);
    if (!tg) {
      throw invalidParameter(
        'Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.',
      );
    }
    if (loadBalancersOf(ctx, tg.arn).length === 0) {
      throw invalidParameter(
        `The target group with targetGroupArn ${tg.arn} does not have an associated load balancer.`,
      );
    }
    if (definition.networkMode === 'awsvpc' && tg.targetType !== 'ip') {
      throw invalidParameter(
        `The provided target group ${tg.arn} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.`,
      );
    }
    const containerName = lb.requiredString('containerName');
    const containerPort = lb.number('containerPort');
    const container = definition.containers.find((candidate) => candidate.name === containerName);
    if (!container)
      throw invalidParameter(`The container ${containerName} does not exist in the task definition.`);
    if (containerPort === undefined || !container.ports.includes(containerPort)) {
      throw invalidParameter(
        `The container ${containerName} did not have a container port ${containerPort ?? ''} defined.`,
      );
    }
    return { targetGroupArn: tg.arn, containerName, containerPort };
  });
}

const PLACEMENT_STRATEGY_TYPES = ['random', 'spread', 'binpack'];

const PLACEMENT_CONSTRAINT_TYPES = ['distinctInstance', 'memberOf'];

/** Placement strategies and constraints apply to EC2 capacity only (Fargate spreads across zones itself). */
export function readPlacementRules(r: InputReader, placement: Placement) {
  const strategies = r.objects('placementStrategy').map((item) => {
    const type = item.requiredString('type');
    if (!PLACEMENT_STRATEGY_TYPES.includes(type))
      throw invalidParameter(`Invalid placement strategy type: ${type}.`);
    const field = item.string('field');
    if (type === 'binpack' && !['cpu', 'memory'].includes(field ?? '')) {
      throw invalidParameter('binpack placement strategies need the field cpu or memory.');
    }
    if (type === 'spread' && !field) throw invalidParameter('spread placement strategies need a field.');
    return { type, ...(field ? { field } : {}) };
  });
  const constraints = r.objects('placementConstraints').map((item) => {
    const type = item.requiredString('type');
    if (!PLACEMENT_CONSTRAINT_TYPES.includes(type))
      throw invalidParameter(`Invalid placement constraint type: ${type}.`);
    const expression = item.string('expression');
    if (type === 'memberOf' && !expression)
      throw invalidParameter('memberOf placement constraints need an expression.');
    return { type, ...(expression ? { expression } : {}) };
  });
  if (placement.fargate && (strategies.length > 0 || constraints.length > 0)) {
    throw invalidParameter(
      'Placement strategies and constraints are not supported with FARGATE launch type.',
    );
  }
  return { strategies, constraints };
}

export function readDeploymentConfiguration(
  r: InputReader,
  current?: Record<string, unknown>,
): Record<string, unknown> {
  const given = r.object('deploymentConfiguration');
  const breaker = given?.object('deploymentCircuitBreaker');
  const currentBreaker = (current?.deploymentCircuitBreaker ?? { enable: false, rollback: false }) as Record<
    string,
    unknown
  >;
  const maximumPercent = given?.number('maximumPercent') ?? current?.maximumPercent ?? 200;
  const minimumHealthyPercent =
    given?.number('minimumHealthyPercent') ?? current?.minimumHealthyPercent ?? 100;
  return {
    deploymentCircuitBreaker: breaker
      ? { enable: breaker.boolean('enable') ?? false, rollback: breaker.boolean('rollback') ?? false }
      : currentBreaker,
    maximumPercent,
    minimumHealthyPercent,
  };
}
