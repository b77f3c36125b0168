/**
 * VPC endpoints to AWS services (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat):
 * Interface endpoints (an ENI per subnet, with security groups and private DNS) and Gateway endpoints
 * (S3, DynamoDB: a prefix-list route in the route tables named).
 *
 * Why it exists: without a NAT gateway, a task in a private subnet reaches ECR, S3 (image layers),
 * CloudWatch Logs and Secrets Manager / SSM only through endpoints; `egressProblem` answers what a
 * task at start would lack (ECS's task start, ../ecs/task-start.ts, turns it into ECS's wording).
 *
 * A life computed from timestamps, like a NAT gateway's: an Interface endpoint is `pending` until
 * `availableAt`, a Gateway endpoint `available` at once (AWS services accept their endpoints, so
 * `pendingAcceptance` never arises here); after DeleteVpcEndpoints `deleting` until `deletedAt`, then
 * `deleted` (listed a little longer, as AWS does). Its ENIs block DeleteSubnet / DeleteSecurityGroup /
 * DeleteVpc until the endpoint is gone (they are released then, and linger as every ENI does).
 *
 * Not modelled: endpoint policies (kept, not evaluated), the prefix-list route shown in
 * DescribeRouteTables, ModifyVpcEndpoint, endpoint services of other accounts.
 */
import { readBoolean, readString, readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext, type SimResource } from '../../kernel';
import { drawSeconds } from '../../latency';
import {
  applyFilters,
  find,
  isoTime,
  type NetworkInterface,
  paginate,
  parseCidr,
  type RouteTable,
  readFilters,
  requireParam,
  type SecurityGroup,
  type SecurityGroupRule,
  type Subnet,
  selectByIds,
  tagSet,
  tagsAtCreation,
  type Vpc,
} from './model';
import { createNetworkInterface, releaseNetworkInterface } from './network-interfaces';

export type VpcEndpointType = 'Interface' | 'Gateway';
export type VpcEndpointState = 'pending' | 'available' | 'deleting' | 'deleted';

export interface VpcEndpoint extends SimResource {
  type: 'vpc-endpoint';
  vpcId: string;
  serviceName: string;
  endpointType: VpcEndpointType;
  subnetIds: string[];
  groupIds: string[];
  routeTableIds: string[];
  privateDnsEnabled: boolean;
  networkInterfaceIds: string[];
  policyDocument?: string;
  clientToken?: string;
  /** What a repeated ClientToken must match (IdempotentParameterMismatch otherwise). */
  fingerprint?: string;
  availableAt: number;
  deleteRequestedAt?: number;
  deletedAt?: number;
}

/** Seconds an Interface endpoint stays `pending`, and a deleted one `deleting` (AWS: about a minute or two). */
const INTERFACE_AVAILABLE: [number, number] = [60, 120];
const ENDPOINT_DELETED: [number, number] = [20, 60];
/** How long a deleted endpoint stays listed as `deleted`. */
const LISTED_AFTER_DELETE_SECONDS = 600;

/**
 * The AWS services whose endpoints the simulator offers, by the part after `com.amazonaws.<region>.`,
 * with the endpoint types each supports (S3 and DynamoDB offer both; the rest Interface only).
 */
const AWS_SERVICES: Record<string, readonly VpcEndpointType[]> = {
  s3: ['Gateway', 'Interface'],
  dynamodb: ['Gateway', 'Interface'],
  'ecr.api': ['Interface'],
  'ecr.dkr': ['Interface'],
  logs: ['Interface'],
  secretsmanager: ['Interface'],
  ssm: ['Interface'],
  ssmmessages: ['Interface'],
  ec2messages: ['Interface'],
  sts: ['Interface'],
  kms: ['Interface'],
  ecs: ['Interface'],
  'ecs-agent': ['Interface'],
  'ecs-telemetry': ['Interface'],
  sqs: ['Interface'],
  monitoring: ['Interface'],
  elasticloadbalancing: ['Interface'],
  ec2: ['Interface'],
};

/** The short name of an AWS service endpoint of this region (`ecr.api`), or undefined for any other name. */
export function serviceOf(ctx: SimContext, serviceName: string): string | undefined {
  const prefix = `com.amazonaws.${ctx.region}.`;
  if (!serviceName.startsWith(prefix)) return undefined;
  const short = serviceName.slice(prefix.length);
  return AWS_SERVICES[short] ? short : undefined;
}

export function vpcEndpointState(endpoint: VpcEndpoint, ctx: SimContext): VpcEndpointState {
  if (endpoint.deletedAt !== undefined && ctx.clock.reached(endpoint.deletedAt)) return 'deleted';
  if (endpoint.deleteRequestedAt !== undefined) return 'deleting';
  return ctx.clock.reached(endpoint.availableAt) ? 'available' : 'pending';
}

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameter', message);
}

function endpointNotFound(id: string): AwsError {
  return new AwsError('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`);
}

/** Endpoints not yet `deleted` (a deleted one no longer holds routes, DNS names or ENIs). */
export function liveVpcEndpoints(ctx: SimContext, vpcId?: string): VpcEndpoint[] {
  return ctx.store
    .list<VpcEndpoint>('vpc-endpoint')
    .filter(
      (endpoint) =>
        (vpcId === undefined || endpoint.vpcId === vpcId) && vpcEndpointState(endpoint, ctx) !== 'deleted',
    );
}

function dnsEntries(endpoint: VpcEndpoint, ctx: SimContext) {
  if (endpoint.endpointType !== 'Interface') return [];
  const short = serviceOf(ctx, endpoint.serviceName) ?? endpoint.serviceName;
  const entries = [
    {
      dnsName: `${endpoint.id}-${endpoint.createdAt.toString(36)}.${short}.${ctx.region}.vpce.amazonaws.com`,
      hostedZoneId: 'Z7HUB22UULQXV',
    },
  ];
  if (endpoint.privateDnsEnabled) {
    const host =
      short === 'ecr.dkr'
        ? `*.dkr.ecr.${ctx.region}.amazonaws.com`
        : short === 'ecr.api'
          ? `api.ecr.${ctx.region}.amazonaws.com`
          : `${short}.${ctx.region}.amazonaws.com`;
    entries.push({ dnsName: host, hostedZoneId: 'ZONEIDPENDING' });
  }
  return entries;
}

function vpcEndpointView(endpoint: VpcEndpoint, ctx: SimContext) {
  return {
    vpcEndpointId: endpoint.id,
    vpcEndpointType: endpoint.endpointType,
    vpcId: endpoint.vpcId,
    serviceName: endpoint.serviceName,
    state: vpcEndpointState(endpoint, ctx),
    policyDocument:
      endpoint.policyDocument ??
      '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
    routeTableIdSet: endpoint.routeTableIds,
    subnetIdSet: endpoint.subnetIds,
    groupSet: endpoint.groupIds.map((groupId) => ({
      groupId,
      groupName: ctx.store.get<SecurityGroup>('security-group', groupId)?.groupName,
    })),
    ipAddressType: endpoint.endpointType === 'Interface' ? 'ipv4' : undefined,
    dnsOptions: endpoint.endpointType === 'Interface' ? { dnsRecordIpType: 'ipv4' } : undefined,
    privateDnsEnabled: endpoint.privateDnsEnabled,
    requesterManaged: false,
    networkInterfaceIdSet: endpoint.networkInterfaceIds,
    dnsEntrySet: dnsEntries(endpoint, ctx),
    creationTimestamp: isoTime(endpoint.createdAt),
    tagSet: tagSet(endpoint.tags),
    ownerId: ctx.accountId,
  };
}

/** The subnets of an Interface endpoint: in its VPC, at most one per Availability Zone. */
function readSubnets(ctx: SimContext, vpc: Vpc, ids: string[]): Subnet[] {
  const zones = new Map<string, string>();
  return ids.map((id) => {
    const subnet = find<Subnet>(ctx, 'subnet', id);
    if (subnet.vpcId !== vpc.id)
      throw invalidParameter(`The subnet ID '${id}' does not belong to the VPC '${vpc.id}'.`);
    const other = zones.get(subnet.availabilityZone);
    if (other !== undefined) {
      throw new AwsError(
        'DuplicateSubnetsInSameZone',
        `Found another VPC endpoint subnet in the availability zone of ${id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`,
      );
    }
    zones.set(subnet.availabilityZone, id);
    return subnet;
  });
}

function readGroups(ctx: SimContext, vpc: Vpc, ids: string[]): string[] {
  // Without groups, AWS gives an Interface endpoint the VPC's default security group.
  if (ids.length === 0) return [vpc.defaultSecurityGroupId];
  for (const id of ids) {
    const group = find<SecurityGroup>(ctx, 'sg', id);
    if (group.vpcId !== vpc.id)
      throw invalidParameter(`The security group '${id}' does not belong to the VPC '${vpc.id}'.`);
  }
  return [...new Set(ids)];
}

function readRouteTables(ctx: SimContext, vpc: Vpc, serviceName: string, ids: string[]): string[] {
  for (const id of ids) {
    const table = find<RouteTable>(ctx, 'rtb', id);
    if (table.vpcId !== vpc.id)
      throw invalidParameter(`The route table '${id}' does not belong to the VPC '${vpc.id}'.`);
    // A gateway endpoint adds a route to the service's prefix list; a table holds one per prefix list.
    const taken = liveVpcEndpoints(ctx, vpc.id).some(
      (endpoint) =>
        endpoint.endpointType === 'Gateway' &&
        endpoint.serviceName === serviceName &&
        endpoint.routeTableIds.includes(id),
    );
    if (taken) {
      throw new AwsError(
        'RouteAlreadyExists',
        `route table ${id} already has a route with destination-prefix-list-id ${prefixListId(ctx, serviceName)}`,
      );
    }
  }
  return [...new Set(ids)];
}

/** A stable prefix-list id per service name (`pl-` and 8 hex digits, as AWS's managed lists look). */
function prefixListId(ctx: SimContext, serviceName: string): string {
  let hash = 0x811c9dc5;
  for (const char of `${ctx.region}/${serviceName}`)
    hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return `pl-${hash.toString(16).padStart(8, '0')}`;
}

export function createVpcEndpoint(input: OperationInput, ctx: SimContext): unknown {
  const vpc = find<Vpc>(ctx, 'vpc', requireParam(input, 'VpcId'));
  const serviceName = requireParam(input, 'ServiceName');
  const typeText = readString(input, 'VpcEndpointType') ?? 'Gateway';
  if (typeText !== 'Interface' && typeText !== 'Gateway') {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${typeText}) for parameter vpcEndpointType is invalid.`,
    );
  }
  const endpointType: VpcEndpointType = typeText;
  const short = serviceOf(ctx, serviceName);
  if (short === undefined) {
    throw new AwsError('InvalidServiceName', `The Vpc Endpoint Service '${serviceName}' does not exist`);
  }
  const offered = AWS_SERVICES[short] ?? [];
  if (!offered.includes(endpointType)) {
    throw invalidParameter(
      `The Vpc Endpoint Service '${serviceName}' does not support endpoint type ${endpointType}.`,
    );
  }
  const subnetIds = readStringList(input, 'SubnetId');
  const groupIds = readStringList(input, 'SecurityGroupId');
  const routeTableIds = readStringList(input, 'RouteTableId');
  if (endpointType === 'Interface' && routeTableIds.length > 0)
    throw invalidParameter('Route table IDs are only supported for Gateway type VPC Endpoint.');
  if (endpointType === 'Gateway' && (subnetIds.length > 0 || groupIds.length > 0))
    throw invalidParameter(
      'Subnet IDs and security groups are only supported for Interface type VPC Endpoint.',
    );
  const privateDnsEnabled = endpointType === 'Interface' && (readBoolean(input, 'PrivateDnsEnabled') ?? true);
  const clientToken = readString(input, 'ClientToken');
  const fingerprint = JSON.stringify([
    vpc.id,
    serviceName,
    endpointType,
    subnetIds,
    groupIds,
    routeTableIds,
    privateDnsEnabled,
  ]);
  if (clientToken) {
    const earlier = ctx.store
      .list<VpcEndpoint>('vpc-endpoint')
      .find((endpoint) => endpoint.clientToken === clientToken);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        throw new AwsError(
          'IdempotentParameterMismatch',
          'The client token you have provided is associated with a resource that is already deleted or has different parameters. Please use a different client token.',
        );
      }
      return { vpcEndpoint: vpcEndpointView(earlier, ctx), clientToken };
    }
  }
  const tags = tagsAtCreation(input, 'vpc-endpoint');
  const subnets = endpointType === 'Interface' ? readSubnets(ctx, vpc, subnetIds) : [];
  const groups = endpointType === 'Interface' ? readGroups(ctx, vpc, groupIds) : [];
  const tables = endpointType === 'Gateway' ? readRouteTables(ctx, vpc, serviceName, routeTableIds) : [];
  if (privateDnsEnabled) {
    if (!vpc.enableDnsSupport || !vpc.enableDnsHostnames) {
      throw invalidParameter(
        `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${vpc.id}`,
      );
    }
    const conflicting = liveVpcEndpoints(ctx, vpc.id).some(
      (endpoint) => endpoint.serviceName === serviceName && endpoint.privateDnsEnabled,
    );
    if (conflicting) {
      throw invalidParameter(
        `private-dns-enabled cannot be set because there is already a conflicting DNS domain for ${serviceName} in the VPC ${vpc.id}`,
      );
    }
  }
  const id = ctx.ids.ec2('vpce');
  const interfaces = subnets.map((subnet) =>
    createNetworkInterface(ctx, {
      subnetId: subnet.id,
      groups,
      description: `VPC Endpoint Interface ${id}`,
      interfaceType: 'vpc_endpoint',
      requesterId: 'amazon-vpce',
    }),
  );
  const now = ctx.clock.now();
  const endpoint = ctx.store.put<VpcEndpoint>({
    type: 'vpc-endpoint',
    id,
    tags,
    createdAt: now,
    vpcId: vpc.id,
    serviceName,
    endpointType,
    subnetIds: subnets.map((subnet) => subnet.id),
    groupIds: groups,
    routeTableIds: tables,
    privateDnsEnabled,
    networkInterfaceIds: interfaces.map((eni) => eni.id),
    ...(readString(input, 'PolicyDocument') ? { policyDocument: readString(input, 'PolicyDocument') } : {}),
    ...(clientToken ? { clientToken, fingerprint } : {}),
    availableAt: endpointType === 'Gateway' ? now : ctx.clock.deadline(drawSeconds(ctx, INTERFACE_AVAILABLE)),
  });
  return { vpcEndpoint: vpcEndpointView(endpoint, ctx), ...(clientToken ? { clientToken } : {}) };
}

export function describeVpcEndpoints(input: OperationInput, ctx: SimContext): unknown {
  const endpoints = selectByIds(
    ctx.store.list<VpcEndpoint>('vpc-endpoint'),
    readStringList(input, 'VpcEndpointId'),
    endpointNotFound,
  );
  const filtered = applyFilters(endpoints, readFilters(input), {
    'vpc-endpoint-id': (endpoint) => endpoint.id,
    'vpc-id': (endpoint) => endpoint.vpcId,
    'service-name': (endpoint) => endpoint.serviceName,
    'vpc-endpoint-type': (endpoint) => endpoint.endpointType,
    'vpc-endpoint-state': (endpoint) => vpcEndpointState(endpoint, ctx),
    'ip-address-type': (endpoint) => (endpoint.endpointType === 'Interface' ? 'ipv4' : undefined),
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 1000 });
  return { vpcEndpointSet: page.map((endpoint) => vpcEndpointView(endpoint, ctx)), nextToken };
}

/**
 * Deletes what it can and reports the rest per id, as AWS does: an unknown id is an `unsuccessful`
 * item (`InvalidVpcEndpoint.NotFound`), not an error of the whole call.
 */
export function deleteVpcEndpoints(input: OperationInput, ctx: SimContext): unknown {
  const ids = readStringList(input, 'VpcEndpointId');
  if (ids.length === 0)
    throw new AwsError('MissingParameter', 'The request must contain the parameter VpcEndpointId');
  const unsuccessful: Array<{ error: { code: string; message: string }; resourceId: string }> = [];
  for (const id of ids) {
    const endpoint = ctx.store.get<VpcEndpoint>('vpc-endpoint', id);
    if (!endpoint || vpcEndpointState(endpoint, ctx) === 'deleted') {
      unsuccessful.push({
        error: { code: 'InvalidVpcEndpoint.NotFound', message: `The Vpc Endpoint Id '${id}' does not exist` },
        resourceId: id,
      });
      continue;
    }
    if (endpoint.deleteRequestedAt !== undefined) continue;
    endpoint.deleteRequestedAt = ctx.clock.now();
    endpoint.deletedAt = ctx.clock.deadline(drawSeconds(ctx, ENDPOINT_DELETED));
    endpoint.endedAt = endpoint.deletedAt;
    endpoint.goneAt = endpoint.deletedAt + LISTED_AFTER_DELETE_SECONDS * 1000;
    // The endpoint's ENIs go with it, then linger like every released ENI.
    const deletedIn = Math.max(0, (endpoint.deletedAt - ctx.clock.now()) / 1000);
    for (const eniId of endpoint.networkInterfaceIds) releaseNetworkInterface(ctx, eniId, deletedIn);
  }
  return { unsuccessful };
}

/** True when the VPC still has an endpoint (DeleteVpc answers DependencyViolation, as AWS does). */
export function vpcHasEndpoints(ctx: SimContext, vpcId: string): boolean {
  return liveVpcEndpoints(ctx, vpcId).length > 0;
}

// --- What a task at start can reach -------------------------------------------------------------

/** The network a task starts in: its subnet, security groups, public IP and private address. */
export interface TaskNetwork {
  subnetId: string;
  securityGroups: string[];
  assignPublicIp: boolean;
  privateIp?: string;
}

function ipNumber(address: string): number | undefined {
  const parsed = parseCidr(`${address}/32`);
  return parsed?.network;
}

function cidrHolds(cidr: string, address: string | undefined): boolean {
  const block = parseCidr(cidr);
  const ip = address === undefined ? undefined : ipNumber(address);
  if (!block || ip === undefined) return cidr === '0.0.0.0/0';
  return ip >= block.network && ip < block.network + 2 ** (32 - block.prefix);
}

function allows443(rule: SecurityGroupRule): boolean {
  if (rule.ipProtocol === '-1') return true;
  if (rule.ipProtocol !== 'tcp' && rule.ipProtocol !== '6') return false;
  return (rule.fromPort ?? 0) <= 443 && 443 <= (rule.toPort ?? 65535);
}

/**
 * Whether HTTPS from the task reaches the endpoint: the endpoint's groups admit 443 from one of the
 * task's groups (or from a block holding the task's address), and the task's groups let 443 out.
 */
function reachable(ctx: SimContext, endpoint: VpcEndpoint, task: TaskNetwork): boolean {
  const groups = (ids: string[]) =>
    ids.flatMap((id) => ctx.store.get<SecurityGroup>('security-group', id) ?? []);
  const endpointGroups = groups(endpoint.groupIds);
  const ingress = endpointGroups.some((group) =>
    group.ingress.some(
      (rule) =>
        allows443(rule) &&
        ((rule.referencedGroupId !== undefined && task.securityGroups.includes(rule.referencedGroupId)) ||
          (rule.cidrIpv4 !== undefined && cidrHolds(rule.cidrIpv4, task.privateIp))),
    ),
  );
  const endpointAddresses = endpoint.networkInterfaceIds.flatMap(
    (id) => ctx.store.get<NetworkInterface>('network-interface', id)?.privateIpAddress ?? [],
  );
  const egress = groups(task.securityGroups).some((group) =>
    group.egress.some(
      (rule) =>
        allows443(rule) &&
        ((rule.referencedGroupId !== undefined && endpoint.groupIds.includes(rule.referencedGroupId)) ||
          (rule.cidrIpv4 !== undefined &&
            (endpointAddresses.length === 0
              ? rule.cidrIpv4 === '0.0.0.0/0'
              : endpointAddresses.some((address) => cidrHolds(rule.cidrIpv4 ?? '', address))))),
    ),
  );
  return ingress && egress;
}

/** The route table a subnet uses: its explicit association, else its VPC's main table. */
function routeTableOf(ctx: SimContext, subnet: Subnet): RouteTable | undefined {
  const tables = ctx.store.list<RouteTable>('route-table').filter((table) => table.vpcId === subnet.vpcId);
  return (
    tables.find((table) => table.associations.some((association) => association.subnetId === subnet.id)) ??
    tables.find((table) => table.associations.some((association) => association.main))
  );
}

/** What a task in this network reaches: the internet, or AWS services by endpoint. */
export interface Egress {
  internet: boolean;
  /** Reaches this service (short name, `ecr.api`) through an available endpoint. */
  reaches(service: string): boolean;
}

/**
 * The task's way out, judged as AWS would route it: a default route to an `available` NAT gateway, or
 * to an attached internet gateway with a public IP on the task, is the internet; otherwise only
 * `available` endpoints of its VPC it may reach on 443 — Interface endpoints with private DNS (without
 * it the service's usual hostname resolves to public addresses), Gateway endpoints on its route table.
 * `natAvailable` tells whether a NAT gateway id is available (kept in gateways.ts).
 */
export function egressOf(
  ctx: SimContext,
  task: TaskNetwork,
  natAvailable: (natGatewayId: string) => boolean,
  internetGatewayAttached: (gatewayId: string, vpcId: string) => boolean,
): Egress | undefined {
  const subnet = ctx.store.get<Subnet>('subnet', task.subnetId);
  if (!subnet) return undefined;
  const table = routeTableOf(ctx, subnet);
  const defaultRoute = table?.routes.find((route) => route.destinationCidrBlock === '0.0.0.0/0');
  const internet =
    (defaultRoute?.natGatewayId !== undefined && natAvailable(defaultRoute.natGatewayId)) ||
    (defaultRoute?.gatewayId !== undefined &&
      defaultRoute.gatewayId !== 'local' &&
      task.assignPublicIp &&
      internetGatewayAttached(defaultRoute.gatewayId, subnet.vpcId));
  const endpoints = liveVpcEndpoints(ctx, subnet.vpcId).filter(
    (endpoint) => vpcEndpointState(endpoint, ctx) === 'available',
  );
  return {
    internet,
    reaches: (service) =>
      internet ||
      endpoints.some((endpoint) => {
        if (serviceOf(ctx, endpoint.serviceName) !== service) return false;
        if (endpoint.endpointType === 'Gateway')
          return table !== undefined && endpoint.routeTableIds.includes(table.id);
        return endpoint.privateDnsEnabled && reachable(ctx, endpoint, task);
      }),
  };
}

// --- The switch -------------------------------------------------------------------------------

const egressSwitches = new WeakMap<object, boolean>();

/** Whether task starts are held to egress (on by default, as in AWS); per simulator. */
export function egressEnforced(ctx: SimContext): boolean {
  return egressSwitches.get(ctx.store) ?? true;
}

/** Switches the egress check of task starts (control API `PUT /_local/egress`). */
export function setEgressEnforced(ctx: SimContext, enforce: boolean): void {
  egressSwitches.set(ctx.store, enforce);
}
