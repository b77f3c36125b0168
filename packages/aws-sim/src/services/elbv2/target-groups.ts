/**
 * Target groups: create (idempotent by name), describe, modify, attributes, delete (`ResourceInUse`
 * while a listener or rule forwards to it), and RegisterTargets / DeregisterTargets /
 * DescribeTargetHealth over `./target-health`.
 */
import type { OperationInput, SimContext, SimResource } from '../../kernel';
import { type InputReader, paginate } from '../operation-input';
import { requireWithinQuota } from '../quotas';
import {
  arnPrefix,
  attributeList,
  DEFAULT_TARGET_GROUP_ATTRIBUTES,
  error,
  type HealthCheck,
  readAttributes,
  reader,
  readTags,
  requireLoadBalancer,
  requireTargetGroup,
  sameData,
  type TargetGroupResource,
  type TargetRecord,
  validateName,
  validationError,
} from './model';
import {
  deregisterTarget,
  liveTargets,
  loadBalancersOf,
  registerTarget,
  targetHealth,
} from './target-health';

function targetGroupOutput(ctx: SimContext, tg: TargetGroupResource) {
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: tg.healthCheck.protocol,
    HealthCheckPort: tg.healthCheck.port,
    HealthCheckEnabled: tg.healthCheck.enabled,
    HealthCheckIntervalSeconds: tg.healthCheck.intervalSeconds,
    HealthCheckTimeoutSeconds: tg.healthCheck.timeoutSeconds,
    HealthyThresholdCount: tg.healthCheck.healthyThreshold,
    UnhealthyThresholdCount: tg.healthCheck.unhealthyThreshold,
    HealthCheckPath: tg.healthCheck.path,
    Matcher: { HttpCode: tg.healthCheck.matcher },
    LoadBalancerArns: loadBalancersOf(ctx, tg.arn),
    TargetType: tg.targetType,
    ProtocolVersion: tg.protocolVersion,
    IpAddressType: tg.ipAddressType,
  };
}

/** Health-check fields of CreateTargetGroup / ModifyTargetGroup applied over `base`. */
function readHealthCheck(r: InputReader, base: HealthCheck): HealthCheck {
  const check: HealthCheck = {
    protocol: r.string('HealthCheckProtocol') ?? base.protocol,
    port: r.string('HealthCheckPort') ?? base.port,
    path: r.string('HealthCheckPath') ?? base.path,
    intervalSeconds: r.number('HealthCheckIntervalSeconds') ?? base.intervalSeconds,
    timeoutSeconds: r.number('HealthCheckTimeoutSeconds') ?? base.timeoutSeconds,
    healthyThreshold: r.number('HealthyThresholdCount') ?? base.healthyThreshold,
    unhealthyThreshold: r.number('UnhealthyThresholdCount') ?? base.unhealthyThreshold,
    matcher: r.object('Matcher')?.string('HttpCode') ?? base.matcher,
    enabled: r.boolean('HealthCheckEnabled') ?? base.enabled,
  };
  if (check.intervalSeconds < 5 || check.intervalSeconds > 300) {
    throw validationError('Health check interval must be between 5 and 300 seconds');
  }
  if (
    check.timeoutSeconds < 2 ||
    check.timeoutSeconds > 120 ||
    check.timeoutSeconds >= check.intervalSeconds
  ) {
    throw validationError(
      'Health check timeout must be between 2 and 120 seconds and smaller than the interval',
    );
  }
  for (const threshold of [check.healthyThreshold, check.unhealthyThreshold]) {
    if (threshold < 2 || threshold > 10)
      throw validationError('Health check thresholds must be between 2 and 10');
  }
  if (!check.path.startsWith('/')) throw validationError("Health check path must begin with a '/' character");
  return check;
}

const DEFAULT_HEALTH_CHECK: HealthCheck = {
  protocol: 'HTTP',
  port: 'traffic-port',
  path: '/',
  intervalSeconds: 30,
  timeoutSeconds: 5,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  matcher: '200',
  enabled: true,
};

export function createTargetGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('Name');
  validateName(name, 'Target group');
  const targetType = r.string('TargetType') ?? 'instance';
  if (targetType !== 'ip' && targetType !== 'instance') {
    throw validationError(`Target type '${targetType}' is not supported by this simulator`);
  }
  const protocol = r.string('Protocol') ?? 'HTTP';
  const port = r.number('Port');
  const vpcId = r.string('VpcId');
  if (port === undefined || vpcId === undefined) {
    throw validationError(
      'A port, protocol and VPC ID must be specified for target groups of this target type',
    );
  }
  if (port < 1 || port > 65535) throw validationError('Port must be between 1 and 65535');
  const healthCheck = readHealthCheck(r, { ...DEFAULT_HEALTH_CHECK, protocol });
  const settings = { protocol, port, vpcId, targetType, healthCheck };

  const existing = ctx.store.list<TargetGroupResource>('target-group').find((tg) => tg.name === name);
  if (existing) {
    const { protocol: p, port: po, vpcId: v, targetType: t, healthCheck: h } = existing;
    if (!sameData(settings, { protocol: p, port: po, vpcId: v, targetType: t, healthCheck: h })) {
      throw error(
        'DuplicateTargetGroupName',
        'A target group with the same name exists, but with different settings',
      );
    }
    return { TargetGroups: [targetGroupOutput(ctx, existing)] };
  }
  // The VPC is checked only when the EC2 simulation knows VPCs at all (unit tests may not).
  if (ctx.store.list('vpc').length > 0 && !ctx.store.get('vpc', vpcId)) {
    throw validationError(`The VPC ID '${vpcId}' is not found`);
  }
  requireWithinQuota(ctx, 'elasticloadbalancing', 'L-B22855CB', ctx.store.list('target-group').length, () =>
    error(
      'TooManyTargetGroups',
      "You've reached the limit on the number of target groups for your AWS account.",
    ),
  );
  const arn = `${arnPrefix(ctx)}:targetgroup/${name}/${ctx.ids.hex(16)}`;
  const tg = ctx.store.put<TargetGroupResource>({
    type: 'target-group',
    id: arn,
    arn,
    name,
    protocol,
    protocolVersion: r.string('ProtocolVersion') ?? 'HTTP1',
    port,
    vpcId,
    targetType,
    ipAddressType: r.string('IpAddressType') ?? 'ipv4',
    healthCheck,
    attributes: { ...DEFAULT_TARGET_GROUP_ATTRIBUTES },
    targets: [],
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { TargetGroups: [targetGroupOutput(ctx, tg)] };
}

export function describeTargetGroups(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('TargetGroupArns');
  const names = r.strings('Names');
  const loadBalancerArn = r.string('LoadBalancerArn');
  let found: TargetGroupResource[];
  if (arns.length > 0) {
    found = arns.map((arn) => requireTargetGroup(ctx, arn));
  } else if (names.length > 0) {
    found = names.map((name) => {
      const tg = ctx.store
        .list<TargetGroupResource>('target-group')
        .find((candidate) => candidate.name === name);
      if (!tg) throw error('TargetGroupNotFound', `Target groups '[${name}]' not found`);
      return tg;
    });
  } else {
    found = ctx.store.list<TargetGroupResource>('target-group');
    if (loadBalancerArn !== undefined) {
      requireLoadBalancer(ctx, loadBalancerArn);
      found = found.filter((tg) => loadBalancersOf(ctx, tg.arn).includes(loadBalancerArn));
    }
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return {
    TargetGroups: page.map((tg) => targetGroupOutput(ctx, tg)),
    ...(nextToken ? { NextMarker: nextToken } : {}),
  };
}

export function modifyTargetGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  tg.healthCheck = readHealthCheck(r, tg.healthCheck);
  return { TargetGroups: [targetGroupOutput(ctx, tg)] };
}

export function modifyTargetGroupAttributes(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  const changes = readAttributes(r, DEFAULT_TARGET_GROUP_ATTRIBUTES);
  const delay = changes['deregistration_delay.timeout_seconds'];
  if (
    delay !== undefined &&
    !(Number.isInteger(Number(delay)) && Number(delay) >= 0 && Number(delay) <= 3600)
  ) {
    throw validationError('Deregistration delay must be between 0 and 3600 seconds');
  }
  Object.assign(tg.attributes, changes);
  return { Attributes: attributeList(tg.attributes) };
}

export function describeTargetGroupAttributes(input: OperationInput, ctx: SimContext) {
  const tg = requireTargetGroup(ctx, reader(input).requiredString('TargetGroupArn'));
  return { Attributes: attributeList(tg.attributes) };
}

export function deleteTargetGroup(input: OperationInput, ctx: SimContext) {
  const arn = reader(input).requiredString('TargetGroupArn');
  const tg = ctx.store.get<TargetGroupResource>('target-group', arn);
  if (!tg) return {};
  const users = loadBalancersOf(ctx, arn);
  if (users.length > 0) {
    throw error('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
  }
  ctx.store.delete('target-group', arn);
  return {};
}

function readTargets(
  r: InputReader,
  tg: TargetGroupResource,
): Array<{ id: string; port: number; zone?: string }> {
  const targets = r.objects('Targets').map((target) => ({
    id: target.requiredString('Id'),
    port: target.number('Port') ?? tg.port,
    zone: target.string('AvailabilityZone'),
  }));
  if (targets.length === 0) throw validationError('Targets must contain at least one target');
  return targets;
}

/** The simulated app behind an IP: ECS marks its tasks' apps; anything else answers 200. */
function appHealthyAt(ctx: SimContext, ip: string): boolean {
  const task = ctx.store
    .list<SimResource & { privateIp?: string; appHealth?: string }>('ecs-task')
    .find((candidate) => candidate.privateIp === ip);
  return task?.appHealth === undefined || task.appHealth === 'healthy';
}

export function registerTargets(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  for (const target of readTargets(r, tg)) {
    if (tg.targetType === 'ip' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(target.id)) {
      throw error('InvalidTarget', `The IP address '${target.id}' is not a valid IPv4 address`);
    }
    const current = tg.targets.find(
      (t) => t.id === target.id && t.port === target.port && t.deregisteredAt === undefined,
    );
    if (current) continue;
    registerTarget(ctx, tg.arn, {
      id: target.id,
      port: target.port,
      ...(target.zone ? { availabilityZone: target.zone } : {}),
      registeredAt: ctx.clock.now(),
      appHealthy: appHealthyAt(ctx, target.id),
    });
  }
  return {};
}

export function deregisterTargets(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  for (const target of readTargets(r, tg)) {
    const registered = tg.targets.some((t) => t.id === target.id && t.port === target.port);
    if (!registered) {
      throw error(
        'InvalidTarget',
        `The following targets are not registered in target group: '${target.id}'`,
      );
    }
    deregisterTarget(ctx, tg.arn, target.id, target.port, ctx.clock.now());
  }
  return {};
}

export function describeTargetHealth(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  const inUse = loadBalancersOf(ctx, tg.arn).length > 0;
  const live = liveTargets(ctx, tg);
  const asked = r.objects('Targets').map((target) => ({
    id: target.requiredString('Id'),
    port: target.number('Port') ?? tg.port,
  }));
  const describe = (target: TargetRecord) => ({
    Target: {
      Id: target.id,
      Port: target.port,
      ...(target.availabilityZone ? { AvailabilityZone: target.availabilityZone } : {}),
    },
    HealthCheckPort: tg.healthCheck.port === 'traffic-port' ? String(target.port) : tg.healthCheck.port,
    TargetHealth: targetHealth(ctx, tg, target, inUse),
  });
  if (asked.length === 0) return { TargetHealthDescriptions: live.map(describe) };
  return {
    TargetHealthDescriptions: asked.map((wanted) => {
      const target = live.find((t) => t.id === wanted.id && t.port === wanted.port);
      if (target) return describe(target);
      return {
        Target: { Id: wanted.id, Port: wanted.port },
        HealthCheckPort: String(wanted.port),
        TargetHealth: {
          State: 'unused',
          Reason: 'Target.NotRegistered',
          Description: 'Target is not registered to the target group',
        },
      };
    }),
  };
}
