/**
 * Load balancers: CreateLoadBalancer (idempotent by name, `provisioning` until the latency model's
 * `loadBalancerActive`, one ENI per subnet, `InvalidSubnet` for a subnet with fewer than 8 free
 * addresses), DescribeLoadBalancers, DeleteLoadBalancer (listeners and
 * rules at once, the ALB and then its ENIs later) and their attributes.
 */
import type { OperationInput, SimContext } from '../../kernel';
import { drawSeconds } from '../../latency';
import { capacitySettings } from '../capacity';
import { attachedInternetGateway } from '../ec2/consistency';
import type { Subnet } from '../ec2/model';
import { createNetworkInterface, freeAddresses, releaseNetworkInterface } from '../ec2/network-interfaces';
import { isoTimestamp, paginate } from '../operation-input';
import { requireWithinQuota } from '../quotas';
import {
  ALB_HOSTED_ZONES,
  arnPrefix,
  attributeList,
  DEFAULT_LOAD_BALANCER_ATTRIBUTES,
  deleteListenerAndRules,
  error,
  findLoadBalancerByName,
  type ListenerResource,
  type LoadBalancerResource,
  readAttributes,
  reader,
  readTags,
  requireLoadBalancer,
  sameData,
  subnetPlacement,
  validateName,
  validationError,
} from './model';

/** Free addresses CreateLoadBalancer asks of each subnet. */
const ELB_FREE_ADDRESSES = 8;

function loadBalancerState(ctx: SimContext, lb: LoadBalancerResource): string {
  return ctx.clock.reached(lb.activeAt) ? 'active' : 'provisioning';
}

function loadBalancerOutput(ctx: SimContext, lb: LoadBalancerResource) {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: ALB_HOSTED_ZONES[ctx.region] ?? 'Z35SXDOTRQ7X7K',
    CreatedTime: isoTimestamp(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: loadBalancerState(ctx, lb) },
    Type: 'application',
    AvailabilityZones: lb.zones.map((zone) => ({
      ZoneName: zone.zoneName,
      SubnetId: zone.subnetId,
      LoadBalancerAddresses: [],
    })),
    SecurityGroups: lb.securityGroups,
    IpAddressType: lb.ipAddressType,
  };
}

export function createLoadBalancer(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('Name');
  validateName(name, 'Load balancer');
  if (name.startsWith('internal-')) throw validationError("Load balancer name cannot start with 'internal-'");
  const type = r.string('Type') ?? 'application';
  if (type !== 'application')
    throw validationError(`Load balancer type '${type}' is not supported by this simulator`);
  const scheme = r.string('Scheme') ?? 'internet-facing';
  const ipAddressType = r.string('IpAddressType') ?? 'ipv4';
  const subnetIds = [
    ...r.strings('Subnets'),
    ...r.objects('SubnetMappings').map((m) => m.requiredString('SubnetId')),
  ];
  const securityGroups = r.strings('SecurityGroups');
  const tags = readTags(r);
  const settings = {
    type,
    scheme,
    ipAddressType,
    subnets: [...subnetIds].sort(),
    securityGroups: [...securityGroups].sort(),
  };

  const existing = findLoadBalancerByName(ctx, name);
  if (existing) {
    const existingSettings = {
      type: 'application',
      scheme: existing.scheme,
      ipAddressType: existing.ipAddressType,
      subnets: existing.zones.map((zone) => zone.subnetId).sort(),
      securityGroups: [...existing.securityGroups].sort(),
    };
    if (existing.goneAt !== undefined || !sameData(settings, existingSettings)) {
      throw error(
        'DuplicateLoadBalancerName',
        `A load balancer with the same name '${name}' exists, but with different settings`,
      );
    }
    return { LoadBalancers: [loadBalancerOutput(ctx, existing)] };
  }

  const placements = subnetIds.map((subnetId) => {
    const placement = subnetPlacement(ctx, subnetId);
    if (!placement) throw error('SubnetNotFound', `The subnet ID '${subnetId}' is not valid`);
    return { subnetId, ...placement };
  });
  const zones = new Set(placements.map((placement) => placement.availabilityZone));
  if (zones.size < 2 || zones.size !== placements.length) {
    throw validationError('At least two subnets in two different Availability Zones must be specified');
  }
  const vpcIds = new Set(placements.map((placement) => placement.vpcId));
  const [vpcId] = vpcIds;
  if (vpcIds.size !== 1 || vpcId === undefined)
    throw error('InvalidSubnet', 'The subnets must all be in the same VPC');
  // Right after AttachInternetGateway, ELB may not see the gateway yet (read-after-create consistency,
  // docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling).
  if (scheme === 'internet-facing' && attachedInternetGateway(ctx, vpcId) === 'attaching')
    throw error('InvalidSubnet', `VPC ${vpcId} has no internet gateway`);
  // ELB scales into free addresses of each subnet (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
  if (capacitySettings(ctx).subnetAddresses) {
    for (const { subnetId } of placements) {
      const subnet = ctx.store.get<Subnet>('subnet', subnetId);
      if (subnet && freeAddresses(ctx, subnet) < ELB_FREE_ADDRESSES) {
        throw error(
          'InvalidSubnet',
          `Not enough IP space available in ${subnetId}. ELB requires at least ${ELB_FREE_ADDRESSES} free IP addresses in each subnet.`,
        );
      }
    }
  }

  // docs/aws-facts.md#account-quotas-and-the-service-quotas-api
  requireWithinQuota(ctx, 'elasticloadbalancing', 'L-53DA6B97', ctx.store.list('load-balancer').length, () =>
    error(
      'TooManyLoadBalancers',
      "You've reached the limit on the number of load balancers for your AWS account.",
    ),
  );
  const hex = ctx.ids.hex(16);
  const resourcePath = `app/${name}/${hex}`;
  const arn = `${arnPrefix(ctx)}:loadbalancer/${resourcePath}`;
  const dnsSuffix = `${Math.floor(1e8 + ctx.random() * 9e8)}.${ctx.region}.elb.amazonaws.com`;
  const lb: LoadBalancerResource = {
    type: 'load-balancer',
    id: arn,
    arn,
    name,
    resourcePath,
    scheme,
    ipAddressType,
    vpcId,
    securityGroups,
    zones: placements.map((placement) => ({
      subnetId: placement.subnetId,
      zoneName: placement.availabilityZone,
      networkInterfaceId: createNetworkInterface(ctx, {
        subnetId: placement.subnetId,
        groups: securityGroups,
        description: `ELB ${resourcePath}`,
        requesterId: 'amazon-elb',
      }).id,
    })),
    dnsName: scheme === 'internal' ? `internal-${name}-${dnsSuffix}` : `${name}-${dnsSuffix}`,
    activeAt: ctx.clock.deadline(drawSeconds(ctx, ctx.latency.loadBalancerActive)),
    attributes: { ...DEFAULT_LOAD_BALANCER_ATTRIBUTES },
    tags,
    createdAt: ctx.clock.now(),
  };
  ctx.store.put(lb);
  return { LoadBalancers: [loadBalancerOutput(ctx, lb)] };
}

export function describeLoadBalancers(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('LoadBalancerArns');
  const names = r.strings('Names');
  let found: LoadBalancerResource[];
  if (arns.length > 0) {
    found = arns.map((arn) => requireLoadBalancer(ctx, arn));
  } else if (names.length > 0) {
    found = names.map((name) => {
      const lb = findLoadBalancerByName(ctx, name);
      if (!lb) throw error('LoadBalancerNotFound', `Load balancers '[${name}]' not found`);
      return lb;
    });
  } else {
    found = ctx.store.list<LoadBalancerResource>('load-balancer');
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return {
    LoadBalancers: page.map((lb) => loadBalancerOutput(ctx, lb)),
    ...(nextToken ? { NextMarker: nextToken } : {}),
  };
}

export function deleteLoadBalancer(input: OperationInput, ctx: SimContext) {
  const arn = reader(input).requiredString('LoadBalancerArn');
  const lb = ctx.store.get<LoadBalancerResource>('load-balancer', arn);
  // "If the load balancer does not exist or has already been deleted, the call succeeds."
  if (!lb || lb.goneAt !== undefined) return {};
  if (lb.attributes['deletion_protection.enabled'] === 'true') {
    throw error(
      'OperationNotPermitted',
      `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`,
    );
  }
  for (const listener of ctx.store.list<ListenerResource>('listener')) {
    if (listener.loadBalancerArn === arn) deleteListenerAndRules(ctx, listener);
  }
  const deletedAfter = drawSeconds(ctx, ctx.latency.loadBalancerDeleted);
  lb.goneAt = ctx.clock.deadline(deletedAfter);
  for (const zone of lb.zones) {
    releaseNetworkInterface(
      ctx,
      zone.networkInterfaceId,
      deletedAfter + drawSeconds(ctx, ctx.latency.eniRelease),
    );
  }
  return {};
}

export function modifyLoadBalancerAttributes(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const lb = requireLoadBalancer(ctx, r.requiredString('LoadBalancerArn'));
  const changes = readAttributes(r, DEFAULT_LOAD_BALANCER_ATTRIBUTES);
  const idle = changes['idle_timeout.timeout_seconds'];
  if (idle !== undefined && !(Number.isInteger(Number(idle)) && Number(idle) >= 1 && Number(idle) <= 4000)) {
    throw error('InvalidConfigurationRequest', 'Idle timeout must be between 1 and 4000 seconds');
  }
  Object.assign(lb.attributes, changes);
  return { Attributes: attributeList(lb.attributes) };
}

export function describeLoadBalancerAttributes(input: OperationInput, ctx: SimContext) {
  const lb = requireLoadBalancer(ctx, reader(input).requiredString('LoadBalancerArn'));
  return { Attributes: attributeList(lb.attributes) };
}
