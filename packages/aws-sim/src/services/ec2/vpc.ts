/** Availability zones, VPCs and subnets. */
import { readBoolean, readRecord, readString, readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext } from '../../kernel';
import { requireWithinQuota } from '../quotas';
import {
  applyFilters,
  cidrContains,
  cidrsOverlap,
  find,
  type InternetGateway,
  invalidValue,
  type NetworkInterface,
  notFound,
  paginate,
  parseCidr,
  type RouteTable,
  readFilters,
  requireParam,
  type SecurityGroup,
  type Subnet,
  selectByIds,
  tagSet,
  tagsAtCreation,
  type Vpc,
} from './model';
import { freeAddresses } from './network-interfaces';
import { createMainRouteTable } from './routes';
import { createDefaultSecurityGroup } from './security-groups';
import { vpcHasEndpoints } from './vpc-endpoints';

const zoneLetters = ['a', 'b', 'c', 'd', 'e', 'f'];

/** The region's zones (`us-east-1a` … `us-east-1f`, ids `use1-az1` …). */
export function availabilityZones(ctx: SimContext): Array<{ zoneName: string; zoneId: string }> {
  const short = ctx.region.replace(/^(\w{2})-(\w)\w*-(\d+)$/, '$1$2$3');
  return zoneLetters.map((letter, index) => ({
    zoneName: `${ctx.region}${letter}`,
    zoneId: `${short}-az${index + 1}`,
  }));
}

export function describeAvailabilityZones(input: OperationInput, ctx: SimContext): unknown {
  const names = readStringList(input, 'ZoneName');
  const ids = readStringList(input, 'ZoneId');
  const zones = availabilityZones(ctx)
    .map((zone) => ({
      zoneState: 'available',
      optInStatus: 'opt-in-not-required',
      messageSet: [],
      regionName: ctx.region,
      zoneName: zone.zoneName,
      zoneId: zone.zoneId,
      groupName: ctx.region,
      networkBorderGroup: ctx.region,
      zoneType: 'availability-zone',
    }))
    .filter(
      (zone) =>
        (names.length === 0 || names.includes(zone.zoneName)) &&
        (ids.length === 0 || ids.includes(zone.zoneId)),
    );
  for (const name of names) {
    if (!zones.some((zone) => zone.zoneName === name)) throw invalidValue('zoneName', name);
  }
  const filters = readFilters(input);
  const fields: Record<string, (zone: (typeof zones)[number]) => string> = {
    'zone-name': (zone) => zone.zoneName,
    'zone-id': (zone) => zone.zoneId,
    state: (zone) => zone.zoneState,
    'region-name': (zone) => zone.regionName,
    'zone-type': (zone) => zone.zoneType,
    'group-name': (zone) => zone.groupName,
  };
  const selected = zones.filter((zone) =>
    filters.every((filter) => {
      const read = fields[filter.name];
      if (!read) throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
      return filter.values.includes(read(zone));
    }),
  );
  return { availabilityZoneInfo: selected };
}

function vpcView(vpc: Vpc, ctx: SimContext, state = 'available') {
  return {
    cidrBlock: vpc.cidrBlock,
    dhcpOptionsId: 'default',
    state,
    vpcId: vpc.id,
    ownerId: ctx.accountId,
    instanceTenancy: 'default',
    cidrBlockAssociationSet: [
      {
        associationId: vpc.cidrAssociationId,
        cidrBlock: vpc.cidrBlock,
        cidrBlockState: { state: 'associated' },
      },
    ],
    isDefault: vpc.isDefault === true,
    tagSet: tagSet(vpc.tags),
  };
}

/** A `/16`–`/28` aligned block; AWS's codes differ for a malformed block and one of the wrong size. */
function requireBlock(text: string, rangeError: (cidr: string) => AwsError) {
  const cidr = parseCidr(text);
  if (!cidr) throw invalidValue('cidrBlock', text, 'This is not a valid CIDR block.');
  if (cidr.prefix < 16 || cidr.prefix > 28) throw rangeError(text);
  return cidr;
}

export function createVpc(input: OperationInput, ctx: SimContext): unknown {
  const cidrText = readString(input, 'CidrBlock');
  if (!cidrText)
    throw new AwsError('MissingParameter', "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
  requireBlock(cidrText, (cidr) => new AwsError('InvalidVpc.Range', `The CIDR '${cidr}' is invalid.`));
  // docs/aws-facts.md#account-quotas-and-the-service-quotas-api (the default VPC counts too)
  requireWithinQuota(
    ctx,
    'vpc',
    'L-F678F1CE',
    ctx.store.list<Vpc>('vpc').length,
    () => new AwsError('VpcLimitExceeded', 'The maximum number of VPCs has been reached.'),
  );
  const tags = tagsAtCreation(input, 'vpc');
  const id = ctx.ids.ec2('vpc');
  const vpc = ctx.store.put<Vpc>({
    type: 'vpc',
    id,
    tags,
    createdAt: ctx.clock.now(),
    cidrBlock: cidrText,
    cidrAssociationId: ctx.ids.ec2('vpc-cidr-assoc'),
    enableDnsSupport: true,
    enableDnsHostnames: false,
    mainRouteTableId: createMainRouteTable(ctx, id, cidrText).id,
    defaultSecurityGroupId: createDefaultSecurityGroup(ctx, id).id,
  });
  // AWS answers `pending` here and `available` from the first Describe on.
  return { vpc: vpcView(vpc, ctx, 'pending') };
}

/**
 * The account's default VPC, as every account has one per Region: 172.31.0.0/16 with its main route
 * table, default security group and an attached internet gateway routed from the main table. It
 * carries no tags, so nothing that works by tag (berth's teardown) ever touches it.
 */
export function seedDefaultVpc(ctx: SimContext): void {
  const id = ctx.ids.ec2('vpc');
  const cidrBlock = '172.31.0.0/16';
  const mainRouteTable = createMainRouteTable(ctx, id, cidrBlock);
  ctx.store.put<Vpc>({
    type: 'vpc',
    id,
    tags: {},
    createdAt: ctx.clock.now(),
    cidrBlock,
    cidrAssociationId: ctx.ids.ec2('vpc-cidr-assoc'),
    enableDnsSupport: true,
    enableDnsHostnames: true,
    mainRouteTableId: mainRouteTable.id,
    defaultSecurityGroupId: createDefaultSecurityGroup(ctx, id).id,
    isDefault: true,
  });
  const gateway = ctx.store.put<InternetGateway>({
    type: 'internet-gateway',
    id: ctx.ids.ec2('igw'),
    tags: {},
    createdAt: ctx.clock.now(),
    attachedVpcId: id,
  });
  mainRouteTable.routes.push({
    destinationCidrBlock: '0.0.0.0/0',
    gatewayId: gateway.id,
    origin: 'CreateRoute',
  });
}

export function describeVpcs(input: OperationInput, ctx: SimContext): unknown {
  const vpcs = selectByIds(ctx.store.list<Vpc>('vpc'), readStringList(input, 'VpcId'), (id) =>
    notFound('vpc', id),
  );
  const filtered = applyFilters(vpcs, readFilters(input), {
    'vpc-id': (vpc) => vpc.id,
    'cidr-block': (vpc) => vpc.cidrBlock,
    cidr: (vpc) => vpc.cidrBlock,
    'cidr-block-association.cidr-block': (vpc) => vpc.cidrBlock,
    state: () => 'available',
    'is-default': (vpc) => String(vpc.isDefault === true),
    'owner-id': () => ctx.accountId,
    'dhcp-options-id': () => 'default',
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 1000 });
  return { vpcSet: page.map((vpc) => vpcView(vpc, ctx)), nextToken };
}

export function modifyVpcAttribute(input: OperationInput, ctx: SimContext): unknown {
  const vpc = find<Vpc>(ctx, 'vpc', requireParam(input, 'VpcId'));
  const dnsSupport = readBoolean(readRecord(input, 'EnableDnsSupport') ?? {}, 'Value');
  const dnsHostnames = readBoolean(readRecord(input, 'EnableDnsHostnames') ?? {}, 'Value');
  if (dnsSupport !== undefined && dnsHostnames !== undefined) {
    throw new AwsError(
      'InvalidParameterCombination',
      'Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames',
    );
  }
  if (dnsSupport === undefined && dnsHostnames === undefined) {
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter EnableDnsSupport or EnableDnsHostnames',
    );
  }
  if (dnsSupport !== undefined) vpc.enableDnsSupport = dnsSupport;
  if (dnsHostnames !== undefined) vpc.enableDnsHostnames = dnsHostnames;
  return { return: true };
}

export function describeVpcAttribute(input: OperationInput, ctx: SimContext): unknown {
  const vpc = find<Vpc>(ctx, 'vpc', requireParam(input, 'VpcId'));
  const attribute = requireParam(input, 'Attribute');
  if (attribute === 'enableDnsSupport')
    return { vpcId: vpc.id, enableDnsSupport: { value: vpc.enableDnsSupport } };
  if (attribute === 'enableDnsHostnames')
    return { vpcId: vpc.id, enableDnsHostnames: { value: vpc.enableDnsHostnames } };
  throw invalidValue('attribute', attribute);
}

export function deleteVpc(input: OperationInput, ctx: SimContext): unknown {
  const vpc = find<Vpc>(ctx, 'vpc', requireParam(input, 'VpcId'));
  const inVpc = <T extends { vpcId?: string }>(items: T[]) => items.some((item) => item.vpcId === vpc.id);
  const blocked =
    inVpc(ctx.store.list<Subnet>('subnet')) ||
    inVpc(ctx.store.list<NetworkInterface>('network-interface')) ||
    ctx.store.list<InternetGateway>('internet-gateway').some((igw) => igw.attachedVpcId === vpc.id) ||
    ctx.store
      .list<SecurityGroup>('security-group')
      .some((group) => group.vpcId === vpc.id && !group.isDefault) ||
    ctx.store
      .list<RouteTable>('route-table')
      .some((table) => table.vpcId === vpc.id && table.id !== vpc.mainRouteTableId) ||
    // Gateway endpoints hold no ENI, yet still block (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat).
    vpcHasEndpoints(ctx, vpc.id);
  if (blocked)
    throw new AwsError('DependencyViolation', `The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
  ctx.store.delete('route-table', vpc.mainRouteTableId);
  ctx.store.delete('security-group', vpc.defaultSecurityGroupId);
  ctx.store.delete('vpc', vpc.id);
  return { return: true };
}

function subnetView(subnet: Subnet, ctx: SimContext) {
  return {
    availabilityZone: subnet.availabilityZone,
    availabilityZoneId: subnet.availabilityZoneId,
    availableIpAddressCount: Math.max(0, freeAddresses(ctx, subnet)),
    cidrBlock: subnet.cidrBlock,
    defaultForAz: false,
    mapPublicIpOnLaunch: subnet.mapPublicIpOnLaunch,
    state: 'available',
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    ownerId: ctx.accountId,
    assignIpv6AddressOnCreation: false,
    ipv6CidrBlockAssociationSet: [],
    tagSet: tagSet(subnet.tags),
    subnetArn: `arn:aws:ec2:${ctx.region}:${ctx.accountId}:subnet/${subnet.id}`,
  };
}

export function createSubnet(input: OperationInput, ctx: SimContext): unknown {
  const vpc = find<Vpc>(ctx, 'vpc', requireParam(input, 'VpcId'));
  const cidrText = requireParam(input, 'CidrBlock');
  const invalidRange = (cidr: string) =>
    new AwsError('InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`);
  const cidr = requireBlock(cidrText, invalidRange);
  const vpcCidr = parseCidr(vpc.cidrBlock);
  if (!vpcCidr || !cidrContains(vpcCidr, cidr)) throw invalidRange(cidrText);
  const siblings = ctx.store.list<Subnet>('subnet').filter((subnet) => subnet.vpcId === vpc.id);
  for (const sibling of siblings) {
    const other = parseCidr(sibling.cidrBlock);
    if (other && cidrsOverlap(other, cidr)) {
      throw new AwsError('InvalidSubnet.Conflict', `The CIDR '${cidrText}' conflicts with another subnet`);
    }
  }
  const zones = availabilityZones(ctx);
  const zoneName = readString(input, 'AvailabilityZone');
  const zoneId = readString(input, 'AvailabilityZoneId');
  const zone =
    zoneName !== undefined
      ? zones.find((candidate) => candidate.zoneName === zoneName)
      : zoneId !== undefined
        ? zones.find((candidate) => candidate.zoneId === zoneId)
        : zones[Math.floor(ctx.random() * 3)];
  if (!zone) {
    throw invalidValue(
      zoneName !== undefined ? 'availabilityZone' : 'availabilityZoneId',
      zoneName ?? zoneId ?? '',
      `Subnets can currently only be created in the following availability zones: ${zones.map((z) => z.zoneName).join(', ')}.`,
    );
  }
  const subnet = ctx.store.put<Subnet>({
    type: 'subnet',
    id: ctx.ids.ec2('subnet'),
    tags: tagsAtCreation(input, 'subnet'),
    createdAt: ctx.clock.now(),
    vpcId: vpc.id,
    cidrBlock: cidrText,
    availabilityZone: zone.zoneName,
    availabilityZoneId: zone.zoneId,
    mapPublicIpOnLaunch: false,
    nextHost: 4,
  });
  return { subnet: subnetView(subnet, ctx) };
}

export function describeSubnets(input: OperationInput, ctx: SimContext): unknown {
  const subnets = selectByIds(ctx.store.list<Subnet>('subnet'), readStringList(input, 'SubnetId'), (id) =>
    notFound('subnet', id),
  );
  const filtered = applyFilters(subnets, readFilters(input), {
    'subnet-id': (subnet) => subnet.id,
    'vpc-id': (subnet) => subnet.vpcId,
    'cidr-block': (subnet) => subnet.cidrBlock,
    cidr: (subnet) => subnet.cidrBlock,
    cidrBlock: (subnet) => subnet.cidrBlock,
    'availability-zone': (subnet) => subnet.availabilityZone,
    'availability-zone-id': (subnet) => subnet.availabilityZoneId,
    'default-for-az': () => 'false',
    'map-public-ip-on-launch': (subnet) => subnet.mapPublicIpOnLaunch,
    state: () => 'available',
    'owner-id': () => ctx.accountId,
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 1000 });
  return { subnetSet: page.map((subnet) => subnetView(subnet, ctx)), nextToken };
}

export function modifySubnetAttribute(input: OperationInput, ctx: SimContext): unknown {
  const subnet = find<Subnet>(ctx, 'subnet', requireParam(input, 'SubnetId'));
  const mapPublicIp = readBoolean(readRecord(input, 'MapPublicIpOnLaunch') ?? {}, 'Value');
  if (mapPublicIp !== undefined) subnet.mapPublicIpOnLaunch = mapPublicIp;
  return { return: true };
}

export function deleteSubnet(input: OperationInput, ctx: SimContext): unknown {
  const subnet = find<Subnet>(ctx, 'subnet', requireParam(input, 'SubnetId'));
  // Lingering ENIs (a deleted NAT gateway's or load balancer's) block the delete until they are gone.
  if (ctx.store.list<NetworkInterface>('network-interface').some((eni) => eni.subnetId === subnet.id)) {
    throw new AwsError(
      'DependencyViolation',
      `The subnet '${subnet.id}' has dependencies and cannot be deleted.`,
    );
  }
  for (const table of ctx.store.list<RouteTable>('route-table')) {
    table.associations = table.associations.filter((association) => association.subnetId !== subnet.id);
  }
  ctx.store.delete('subnet', subnet.id);
  return { return: true };
}
