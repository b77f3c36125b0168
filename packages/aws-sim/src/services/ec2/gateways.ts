/**
 * Internet gateways, Elastic IP addresses and NAT gateways.
 *
 * A NAT gateway's life is computed from timestamps, so no timers run: invisible to Describe until
 * `visibleAt` (AWS's eventual consistency right after the create), `pending` until `settlesAt`,
 * then `available` or `failed`; after DeleteNatGateway `deleting` until `deletedAt`, then `deleted`
 * (still listed for an hour, as AWS does). Its ENI outlives it by the latency model's `eniRelease`.
 */
import { readString, readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext } from '../../kernel';
import { drawSeconds } from '../../latency';
import { capacitySettings } from '../capacity';
import { requireWithinQuota } from '../quotas';
import { attachedInternetGateway, isVisible, visibleFrom } from './consistency';
import {
  applyFilters,
  type ElasticIp,
  find,
  type InternetGateway,
  isoTime,
  type NatGateway,
  type NetworkInterface,
  notFound,
  paginate,
  readFilters,
  requireParam,
  type Subnet,
  selectByIds,
  tagSet,
  tagsAtCreation,
  type Vpc,
} from './model';
import { createNetworkInterface, freeAddresses, releaseNetworkInterface } from './network-interfaces';

/** How long a deleted or failed NAT gateway stays listed (AWS: about an hour). */
const natListedAfterEndSeconds = 3600;

// --- Internet gateways -------------------------------------------------------------------------

function internetGatewayView(igw: InternetGateway, ctx: SimContext) {
  return {
    attachmentSet: igw.attachedVpcId ? [{ state: 'available', vpcId: igw.attachedVpcId }] : [],
    internetGatewayId: igw.id,
    ownerId: ctx.accountId,
    tagSet: tagSet(igw.tags),
  };
}

export function createInternetGateway(input: OperationInput, ctx: SimContext): unknown {
  // docs/aws-facts.md#account-quotas-and-the-service-quotas-api (the default VPC's gateway counts too)
  requireWithinQuota(
    ctx,
    'vpc',
    'L-A4707A72',
    ctx.store.list<InternetGateway>('internet-gateway').length,
    () =>
      new AwsError(
        'InternetGatewayLimitExceeded',
        'The maximum number of internet gateways has been reached.',
      ),
  );
  const igw = ctx.store.put<InternetGateway>({
    type: 'internet-gateway',
    id: ctx.ids.ec2('igw'),
    tags: tagsAtCreation(input, 'internet-gateway'),
    createdAt: ctx.clock.now(),
  });
  return { internetGateway: internetGatewayView(igw, ctx) };
}

export function describeInternetGateways(input: OperationInput, ctx: SimContext): unknown {
  const gateways = selectByIds(
    ctx.store.list<InternetGateway>('internet-gateway'),
    readStringList(input, 'InternetGatewayId'),
    (id) => notFound('igw', id),
  );
  const filtered = applyFilters(gateways, readFilters(input), {
    'internet-gateway-id': (igw) => igw.id,
    'attachment.vpc-id': (igw) => igw.attachedVpcId,
    'attachment.state': (igw) => (igw.attachedVpcId ? 'available' : undefined),
    'owner-id': () => ctx.accountId,
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 1000 });
  return { internetGatewaySet: page.map((igw) => internetGatewayView(igw, ctx)), nextToken };
}

export function attachInternetGateway(input: OperationInput, ctx: SimContext): unknown {
  const igw = find<InternetGateway>(ctx, 'igw', requireParam(input, 'InternetGatewayId'));
  const vpc = find<Vpc>(ctx, 'vpc', requireParam(input, 'VpcId'));
  if (igw.attachedVpcId) {
    throw new AwsError(
      'Resource.AlreadyAssociated',
      `resource ${igw.id} is already attached to network ${igw.attachedVpcId}`,
    );
  }
  if (ctx.store.list<InternetGateway>('internet-gateway').some((other) => other.attachedVpcId === vpc.id)) {
    throw new AwsError('InvalidParameterValue', `Network ${vpc.id} already has an internet gateway attached`);
  }
  igw.attachedVpcId = vpc.id;
  igw.attachmentVisibleAt = visibleFrom(ctx);
  return { return: true };
}

export function detachInternetGateway(input: OperationInput, ctx: SimContext): unknown {
  const igw = find<InternetGateway>(ctx, 'igw', requireParam(input, 'InternetGatewayId'));
  const vpcId = requireParam(input, 'VpcId');
  if (igw.attachedVpcId !== vpcId) {
    throw new AwsError('Gateway.NotAttached', `resource ${igw.id} is not attached to network ${vpcId}`);
  }
  // AWS refuses while public addresses (a NAT gateway's EIP) are mapped in the VPC.
  const mapped = ctx.store
    .list<NatGateway>('nat-gateway')
    .some((nat) => nat.vpcId === vpcId && natHoldsAddress(nat, ctx));
  if (mapped) {
    throw new AwsError(
      'DependencyViolation',
      `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
    );
  }
  igw.attachedVpcId = undefined;
  igw.attachmentVisibleAt = undefined;
  return { return: true };
}

export function deleteInternetGateway(input: OperationInput, ctx: SimContext): unknown {
  const igw = find<InternetGateway>(ctx, 'igw', requireParam(input, 'InternetGatewayId'));
  if (igw.attachedVpcId) {
    throw new AwsError(
      'DependencyViolation',
      `The internetGateway '${igw.id}' has dependencies and cannot be deleted.`,
    );
  }
  ctx.store.delete('internet-gateway', igw.id);
  return { return: true };
}

// --- Elastic IP addresses ------------------------------------------------------------------------

/** The NAT gateway an address is associated with, if any. */
function addressHolder(address: ElasticIp, ctx: SimContext): NatGateway | undefined {
  return ctx.store
    .list<NatGateway>('nat-gateway')
    .find((nat) => nat.allocationId === address.id && natHoldsAddress(nat, ctx));
}

function addressView(address: ElasticIp, ctx: SimContext) {
  const holder = addressHolder(address, ctx);
  const eni = holder
    ? ctx.store.get<NetworkInterface>('network-interface', holder.networkInterfaceId)
    : undefined;
  return {
    publicIp: address.publicIp,
    allocationId: address.id,
    domain: 'vpc',
    associationId: holder ? `eipassoc-${address.id.slice('eipalloc-'.length)}` : undefined,
    networkInterfaceId: eni?.id,
    networkInterfaceOwnerId: eni ? ctx.accountId : undefined,
    privateIpAddress: eni?.privateIpAddress,
    publicIpv4Pool: 'amazon',
    networkBorderGroup: ctx.region,
    tagSet: tagSet(address.tags),
  };
}

export function allocateAddress(input: OperationInput, ctx: SimContext): unknown {
  const domain = readString(input, 'Domain') ?? 'vpc';
  if (domain !== 'vpc')
    throw new AwsError('InvalidParameterValue', `Value (${domain}) for parameter domain is invalid.`);
  requireWithinQuota(
    ctx,
    'ec2',
    'L-0263D0A3',
    ctx.store.list<ElasticIp>('elastic-ip').length,
    () => new AwsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.'),
  );
  const taken = new Set(ctx.store.list<ElasticIp>('elastic-ip').map((address) => address.publicIp));
  let publicIp: string;
  do {
    const octet = () => Math.floor(ctx.random() * 254) + 1;
    publicIp = `3.${208 + Math.floor(ctx.random() * 16)}.${octet()}.${octet()}`;
  } while (taken.has(publicIp));
  const address = ctx.store.put<ElasticIp>({
    type: 'elastic-ip',
    id: ctx.ids.ec2('eipalloc'),
    tags: tagsAtCreation(input, 'elastic-ip'),
    createdAt: ctx.clock.now(),
    publicIp,
  });
  return {
    publicIp,
    allocationId: address.id,
    publicIpv4Pool: 'amazon',
    networkBorderGroup: ctx.region,
    domain: 'vpc',
  };
}

export function describeAddresses(input: OperationInput, ctx: SimContext): unknown {
  let addresses = selectByIds(
    ctx.store.list<ElasticIp>('elastic-ip'),
    readStringList(input, 'AllocationId'),
    (id) => notFound('eipalloc', id),
  );
  const publicIps = readStringList(input, 'PublicIp');
  for (const ip of publicIps) {
    if (!addresses.some((address) => address.publicIp === ip)) {
      throw new AwsError('InvalidAddress.NotFound', `Address '${ip}' not found.`);
    }
  }
  if (publicIps.length > 0) addresses = addresses.filter((address) => publicIps.includes(address.publicIp));
  const filtered = applyFilters(addresses, readFilters(input), {
    'allocation-id': (address) => address.id,
    'public-ip': (address) => address.publicIp,
    domain: () => 'vpc',
    'association-id': (address) => addressView(address, ctx).associationId,
    'network-interface-id': (address) => addressView(address, ctx).networkInterfaceId,
    'private-ip-address': (address) => addressView(address, ctx).privateIpAddress,
    'network-border-group': () => ctx.region,
  });
  return { addressesSet: filtered.map((address) => addressView(address, ctx)) };
}

export function releaseAddress(input: OperationInput, ctx: SimContext): unknown {
  const address = find<ElasticIp>(ctx, 'eipalloc', requireParam(input, 'AllocationId'));
  // Non-default VPC: an associated address must be disassociated first (AWS: InvalidIPAddress.InUse).
  if (addressHolder(address, ctx))
    throw new AwsError('InvalidIPAddress.InUse', `Address ${address.id} is in use.`);
  ctx.store.delete('elastic-ip', address.id);
  return { return: true };
}

// --- NAT gateways --------------------------------------------------------------------------------

export type NatGatewayState = 'pending' | 'failed' | 'available' | 'deleting' | 'deleted';

export function natState(nat: NatGateway, ctx: SimContext): NatGatewayState {
  const now = ctx.clock.now();
  if (nat.deletedAt !== undefined && now >= nat.deletedAt) return 'deleted';
  if (nat.deleteRequestedAt !== undefined) return 'deleting';
  if (now < nat.settlesAt) return 'pending';
  return nat.failure ? 'failed' : 'available';
}

/** A NAT gateway holds its Elastic IP from creation until it is deleted or has failed. */
function natHoldsAddress(nat: NatGateway, ctx: SimContext): boolean {
  // A failed gateway gave its address back when it failed, deleting it or not.
  if (nat.failure && ctx.clock.reached(nat.settlesAt)) return false;
  const state = natState(nat, ctx);
  return state === 'pending' || state === 'available' || state === 'deleting';
}

/** The NAT gateway if Describe can see it yet (see the module comment). */
export function visibleNatGateway(ctx: SimContext, id: string): NatGateway | undefined {
  const nat = ctx.store.get<NatGateway>('nat-gateway', id);
  return nat && isVisible(ctx, nat) ? nat : undefined;
}

/** DescribeNatGateways' and DeleteNatGateway's code (CreateRoute answers `InvalidNatGatewayID.NotFound`). */
function natNotFound(id: string): AwsError {
  return new AwsError('NatGatewayNotFound', `NAT gateway ${id} was not found`);
}

function natGatewayView(nat: NatGateway, ctx: SimContext) {
  const state = natState(nat, ctx);
  const address = nat.allocationId ? ctx.store.get<ElasticIp>('elastic-ip', nat.allocationId) : undefined;
  const addressStatus = {
    pending: 'associating',
    available: 'succeeded',
    failed: 'failed',
    deleting: 'disassociating',
    deleted: 'succeeded',
  }[state];
  return {
    createTime: isoTime(nat.createdAt),
    deleteTime: nat.deletedAt !== undefined && state === 'deleted' ? isoTime(nat.deletedAt) : undefined,
    failureCode: state === 'failed' ? nat.failure?.code : undefined,
    failureMessage: state === 'failed' ? nat.failure?.message : undefined,
    natGatewayAddressSet: [
      {
        allocationId: nat.allocationId,
        networkInterfaceId: state === 'failed' ? undefined : nat.networkInterfaceId,
        privateIp: nat.privateIp === '' ? undefined : nat.privateIp,
        publicIp: address?.publicIp,
        associationId:
          nat.allocationId && state !== 'failed'
            ? `eipassoc-${nat.allocationId.slice('eipalloc-'.length)}`
            : undefined,
        isPrimary: true,
        status: addressStatus,
      },
    ],
    natGatewayId: nat.id,
    state,
    subnetId: nat.subnetId,
    vpcId: nat.vpcId,
    connectivityType: nat.connectivityType,
    tagSet: tagSet(nat.tags),
  };
}

export function createNatGateway(input: OperationInput, ctx: SimContext): unknown {
  const subnetId = requireParam(input, 'SubnetId');
  const allocationId = readString(input, 'AllocationId');
  const connectivityType = readString(input, 'ConnectivityType') ?? 'public';
  if (connectivityType !== 'public' && connectivityType !== 'private') {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${connectivityType}) for parameter connectivityType is invalid.`,
    );
  }
  const clientToken = readString(input, 'ClientToken');
  if (clientToken) {
    const earlier = ctx.store.list<NatGateway>('nat-gateway').find((nat) => nat.clientToken === clientToken);
    if (earlier) {
      if (earlier.subnetId !== subnetId || earlier.allocationId !== allocationId) {
        throw new AwsError(
          'IdempotentParameterMismatch',
          'Client token already used before with different parameters.',
        );
      }
      return { clientToken, natGateway: natGatewayView(earlier, ctx) };
    }
  }
  const subnet = find<Subnet>(ctx, 'subnet', subnetId);
  if (connectivityType === 'public' && !allocationId) {
    throw new AwsError('MissingParameter', 'The request must contain the parameter AllocationId');
  }
  if (allocationId) {
    const address = find<ElasticIp>(ctx, 'eipalloc', allocationId);
    if (addressHolder(address, ctx)) {
      throw new AwsError(
        'Resource.AlreadyAssociated',
        `Elastic IP address [${allocationId}] is already associated`,
      );
    }
  }
  // Pending, available and deleting NAT gateways count against the quota of their subnet's zone.
  requireWithinQuota(
    ctx,
    'vpc',
    'L-FE5A380F',
    ctx.store
      .list<NatGateway>('nat-gateway')
      .filter(
        (other) =>
          natHoldsAddress(other, ctx) &&
          ctx.store.get<Subnet>('subnet', other.subnetId)?.availabilityZone === subnet.availabilityZone,
      ).length,
    () => new AwsError('NatGatewayLimitExceeded', 'The maximum number of NAT gateways has been reached.'),
  );
  const tags = tagsAtCreation(input, 'natgateway');
  const id = ctx.ids.ec2('nat');
  const now = ctx.clock.now();
  const settlesAt = now + drawSeconds(ctx, ctx.latency.natGatewayAvailable) * 1000;
  // The gateway takes its address and finds the VPC's internet gateway after the call returns: one
  // still inside its read-after-create window makes it end `failed` (NatGateway.failureMessage's wording).
  const address = allocationId ? ctx.store.get<ElasticIp>('elastic-ip', allocationId) : undefined;
  let failure: NatGateway['failure'];
  if (connectivityType === 'public' && attachedInternetGateway(ctx, subnet.vpcId) !== 'visible') {
    failure = {
      code: 'Gateway.NotAttached',
      message: `Network ${subnet.vpcId} has no Internet gateway attached`,
    };
  } else if (address && !isVisible(ctx, address)) {
    failure = {
      code: 'InvalidAllocationID.NotFound',
      message: `Elastic IP address ${address.id} could not be associated with this NAT gateway`,
    };
  } else if (ctx.random() < ctx.latency.natGatewayFailureRate) {
    failure = {
      code: 'InternalError',
      message: 'Your NAT gateway failed to create due to an internal error. Please try again.',
    };
  }
  // A subnet without a free address: the gateway gets no ENI and fails
  // (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
  if (!failure && capacitySettings(ctx).subnetAddresses && freeAddresses(ctx, subnet) < 1) {
    failure = {
      code: 'InsufficientFreeAddressesInSubnet',
      message: 'Subnet has insufficient free addresses to create this NAT gateway',
    };
  }
  const eni =
    failure?.code === 'InsufficientFreeAddressesInSubnet'
      ? undefined
      : createNetworkInterface(ctx, {
          subnetId: subnet.id,
          description: `Interface for NAT Gateway ${id}`,
          interfaceType: 'nat_gateway',
          requesterId: 'AWSNATGateway',
        });
  // A failed NAT gateway gives its ENI and address back when it fails.
  if (failure && eni) eni.goneAt = settlesAt;
  const nat = ctx.store.put<NatGateway>({
    type: 'nat-gateway',
    id,
    tags,
    createdAt: now,
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    connectivityType,
    allocationId,
    networkInterfaceId: eni?.id ?? '',
    privateIp: eni?.privateIpAddress ?? '',
    clientToken,
    // Invisible to Describe until then, while the consistency windows are on.
    visibleAt: now + drawSeconds(ctx, ctx.latency.natGatewayVisible) * 1000,
    settlesAt,
    failure,
    goneAt: failure ? settlesAt + natListedAfterEndSeconds * 1000 : undefined,
    endedAt: failure ? settlesAt : undefined,
  });
  return { clientToken, natGateway: natGatewayView(nat, ctx) };
}

export function describeNatGateways(input: OperationInput, ctx: SimContext): unknown {
  const visible = ctx.store.list<NatGateway>('nat-gateway').filter((nat) => isVisible(ctx, nat));
  const selected = selectByIds(visible, readStringList(input, 'NatGatewayId'), natNotFound);
  const filtered = applyFilters(selected, readFilters(input), {
    'nat-gateway-id': (nat) => nat.id,
    state: (nat) => natState(nat, ctx),
    'subnet-id': (nat) => nat.subnetId,
    'vpc-id': (nat) => nat.vpcId,
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 1000 });
  return { natGatewaySet: page.map((nat) => natGatewayView(nat, ctx)), nextToken };
}

export function deleteNatGateway(input: OperationInput, ctx: SimContext): unknown {
  const id = requireParam(input, 'NatGatewayId');
  const nat = ctx.store.get<NatGateway>('nat-gateway', id);
  if (!nat) throw natNotFound(id);
  if (nat.deleteRequestedAt === undefined) {
    const now = ctx.clock.now();
    nat.deleteRequestedAt = now;
    nat.deletedAt = now + drawSeconds(ctx, ctx.latency.natGatewayDeleted) * 1000;
    nat.goneAt = nat.deletedAt + natListedAfterEndSeconds * 1000;
    nat.endedAt = nat.deletedAt;
    const eniGoneInSeconds = (nat.deletedAt - now) / 1000 + drawSeconds(ctx, ctx.latency.eniRelease);
    releaseNetworkInterface(ctx, nat.networkInterfaceId, eniGoneInSeconds);
  }
  return { natGatewayId: nat.id };
}
