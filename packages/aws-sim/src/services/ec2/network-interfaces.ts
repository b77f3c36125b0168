/**
 * Elastic network interfaces. Other simulated services own ENIs too (a load balancer's, an awsvpc
 * task's, an instance's) and make them with `createNetworkInterface`; when their owner goes they call
 * `releaseNetworkInterface`, and the ENI lingers (status `available`) until `goneAt`, blocking
 * DeleteSubnet / DeleteSecurityGroup / DeleteVpc with `DependencyViolation` as in AWS.
 *
 * Every ENI, lingering ones included, holds one address of its subnet; a subnet offers its size less
 * the five AWS reserves, and an ENI in a full subnet is refused with `InsufficientFreeAddressesInSubnet`
 * (docs/aws-facts.md#subnet-addresses-and-eni-capacity; off with `PUT /_local/capacity`).
 */
import { readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext } from '../../kernel';
import { drawSeconds } from '../../latency';
import { capacitySettings } from '../capacity';
import {
  applyFilters,
  cidrSize,
  find,
  ipv4,
  type NetworkInterface,
  notFound,
  paginate,
  parseCidr,
  readFilters,
  requireParam,
  type SecurityGroup,
  type Subnet,
  selectByIds,
  tagSet,
} from './model';

export interface NewNetworkInterface {
  subnetId: string;
  /** Security group ids (same VPC as the subnet); none for a NAT gateway's ENI. */
  groups?: string[];
  description?: string;
  /** EC2's interface type: `interface` (default), `nat_gateway`, `load_balancer`… */
  interfaceType?: string;
  /** The AWS service acting for the account (`amazon-elb`, `amazon-ecs`); makes it requester-managed. */
  requesterId?: string;
  tags?: Record<string, string>;
}

/** AWS keeps the first four addresses of a subnet and its last one. */
const RESERVED_ADDRESSES = 5;

/** Addresses a subnet still offers: its size less the five AWS reserves and one per live ENI. */
export function freeAddresses(ctx: SimContext, subnet: Subnet): number {
  const cidr = parseCidr(subnet.cidrBlock);
  const used = networkInterfacesOf(ctx, { subnetId: subnet.id }).length;
  return (cidr ? cidrSize(cidr) : 0) - RESERVED_ADDRESSES - used;
}

/** EC2's answer when a subnet has no address left for an ENI. */
export function insufficientAddresses(): AwsError {
  return new AwsError(
    'InsufficientFreeAddressesInSubnet',
    'The specified subnet does not have enough free addresses to satisfy the request.',
  );
}

/**
 * The lowest address of the subnet no live ENI holds (a released one is handed out again). A full
 * subnet refuses, unless the capacity model is off: then addresses run on past the end, as before.
 */
function freeHost(ctx: SimContext, subnet: Subnet): string {
  const cidr = parseCidr(subnet.cidrBlock);
  if (!cidr) return '0.0.0.0';
  const held = new Set(networkInterfacesOf(ctx, { subnetId: subnet.id }).map((eni) => eni.privateIpAddress));
  for (let host = 4; host < cidrSize(cidr) - 1; host += 1) {
    const address = ipv4(cidr.network + host);
    if (!held.has(address)) return address;
  }
  if (capacitySettings(ctx).subnetAddresses) throw insufficientAddresses();
  subnet.nextHost = Math.max(subnet.nextHost, cidrSize(cidr)) + 1;
  return ipv4(cidr.network + subnet.nextHost - 1);
}

/**
 * Makes an in-use ENI with the lowest free private address of the subnet. Throws EC2's NotFound
 * errors, and `InsufficientFreeAddressesInSubnet` when the subnet is full.
 */
export function createNetworkInterface(ctx: SimContext, spec: NewNetworkInterface): NetworkInterface {
  const subnet = find<Subnet>(ctx, 'subnet', spec.subnetId);
  for (const groupId of spec.groups ?? []) {
    const group = find<SecurityGroup>(ctx, 'sg', groupId);
    if (group.vpcId !== subnet.vpcId) {
      throw new AwsError(
        'InvalidParameterValue',
        `Security group ${groupId} and subnet ${subnet.id} belong to different networks.`,
      );
    }
  }
  const host = freeHost(ctx, subnet);
  const mac = Array.from({ length: 5 }, () =>
    Math.floor(ctx.random() * 256)
      .toString(16)
      .padStart(2, '0'),
  );
  return ctx.store.put<NetworkInterface>({
    type: 'network-interface',
    id: ctx.ids.ec2('eni'),
    tags: { ...spec.tags },
    createdAt: ctx.clock.now(),
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    groups: [...(spec.groups ?? [])],
    description: spec.description ?? '',
    interfaceType: spec.interfaceType ?? 'interface',
    requesterId: spec.requesterId,
    requesterManaged: spec.requesterId !== undefined,
    status: 'in-use',
    privateIpAddress: host,
    macAddress: ['0e', ...mac].join(':'),
  });
}

/**
 * Lets go of an ENI: it turns `available` and disappears `afterSeconds` (AWS seconds) later —
 * by default a draw from the latency model's `eniRelease`. Unknown ids are ignored (already gone).
 */
export function releaseNetworkInterface(ctx: SimContext, id: string, afterSeconds?: number): void {
  const eni = ctx.store.get<NetworkInterface>('network-interface', id);
  if (!eni) return;
  eni.status = 'available';
  const goneAt = ctx.clock.deadline(afterSeconds ?? drawSeconds(ctx, ctx.latency.eniRelease));
  eni.goneAt = eni.goneAt === undefined ? goneAt : Math.min(eni.goneAt, goneAt);
}

/** Live ENIs, optionally of one subnet, VPC or security group. */
export function networkInterfacesOf(
  ctx: SimContext,
  where: { subnetId?: string; vpcId?: string; groupId?: string } = {},
): NetworkInterface[] {
  return ctx.store
    .list<NetworkInterface>('network-interface')
    .filter(
      (eni) =>
        (where.subnetId === undefined || eni.subnetId === where.subnetId) &&
        (where.vpcId === undefined || eni.vpcId === where.vpcId) &&
        (where.groupId === undefined || eni.groups.includes(where.groupId)),
    );
}

function networkInterfaceView(eni: NetworkInterface, ctx: SimContext) {
  return {
    networkInterfaceId: eni.id,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    description: eni.description,
    groupSet: eni.groups.map((groupId) => ({
      groupId,
      groupName: ctx.store.get<SecurityGroup>('security-group', groupId)?.groupName,
    })),
    interfaceType: eni.interfaceType,
    macAddress: eni.macAddress,
    ownerId: ctx.accountId,
    privateIpAddress: eni.privateIpAddress,
    privateIpAddressesSet: [{ privateIpAddress: eni.privateIpAddress, primary: true }],
    requesterId: eni.requesterId,
    requesterManaged: eni.requesterManaged,
    sourceDestCheck: true,
    status: eni.status,
    tagSet: tagSet(eni.tags),
  };
}

export function describeNetworkInterfaces(input: OperationInput, ctx: SimContext): unknown {
  const enis = selectByIds(
    ctx.store.list<NetworkInterface>('network-interface'),
    readStringList(input, 'NetworkInterfaceId'),
    (id) => notFound('eni', id),
  );
  const filtered = applyFilters(enis, readFilters(input), {
    'network-interface-id': (eni) => eni.id,
    'subnet-id': (eni) => eni.subnetId,
    'vpc-id': (eni) => eni.vpcId,
    'availability-zone': (eni) => eni.availabilityZone,
    'group-id': (eni) => eni.groups,
    description: (eni) => eni.description,
    'interface-type': (eni) => eni.interfaceType,
    'requester-id': (eni) => eni.requesterId,
    'requester-managed': (eni) => eni.requesterManaged,
    status: (eni) => eni.status,
    'private-ip-address': (eni) => eni.privateIpAddress,
    'owner-id': () => ctx.accountId,
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 1000 });
  return { networkInterfaceSet: page.map((eni) => networkInterfaceView(eni, ctx)), nextToken };
}

export function deleteNetworkInterface(input: OperationInput, ctx: SimContext): unknown {
  const eni = find<NetworkInterface>(ctx, 'eni', requireParam(input, 'NetworkInterfaceId'));
  // A service's ENI (or one still attached) is removed by its owner, never by the account.
  if (eni.status === 'in-use' || eni.requesterManaged) {
    throw new AwsError('InvalidNetworkInterface.InUse', `Interface: [${eni.id}] in use.`);
  }
  ctx.store.delete('network-interface', eni.id);
  return { return: true };
}
