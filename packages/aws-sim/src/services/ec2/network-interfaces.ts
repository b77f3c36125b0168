/**
 * Elastic network interfaces. Other simulated services own ENIs too (a load balancer's, an awsvpc
 * task's, an instance's) and make them with `createNetworkInterface`; when their owner goes they call
 * `releaseNetworkInterface`, and the ENI lingers (status `available`) until `goneAt`, blocking
 * DeleteSubnet / DeleteSecurityGroup / DeleteVpc with `DependencyViolation` as in AWS.
 */
import { readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext } from '../../kernel';
import { drawSeconds } from '../../latency';
import {
  applyFilters,
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

/** Makes an in-use ENI with the next free private address of the subnet. Throws EC2's NotFound errors. */
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
  const cidr = parseCidr(subnet.cidrBlock);
  const host = subnet.nextHost;
  subnet.nextHost += 1;
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
    privateIpAddress: cidr ? ipv4(cidr.network + host) : '0.0.0.0',
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
