/**
 * EC2's resource records in the shared `ResourceStore`, and what every EC2 operation shares:
 * required parameters, TagSpecifications, Describe filters, pagination and CIDR arithmetic.
 * Inputs follow the ec2 protocol's convention (protocols/form.ts): `Filter: [{ Name, Value: [] }]`,
 * `TagSpecification: [{ ResourceType, Tag: [{ Key, Value }] }]`, id lists such as `VpcId: []`.
 */
import { readInteger, readRecordList, readString, readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext, type SimResource } from '../../kernel';

export interface Vpc extends SimResource {
  type: 'vpc';
  cidrBlock: string;
  cidrAssociationId: string;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  /** The main route table and default security group made with the VPC (deleted with it). */
  mainRouteTableId: string;
  defaultSecurityGroupId: string;
  /** The account's default VPC (seeded per Region; it counts toward the VPC quota). */
  isDefault?: boolean;
}

export interface Subnet extends SimResource {
  type: 'subnet';
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  availabilityZoneId: string;
  mapPublicIpOnLaunch: boolean;
  /** Next host offset handed to an ENI (AWS reserves the first four addresses and the last). */
  nextHost: number;
}

export interface InternetGateway extends SimResource {
  type: 'internet-gateway';
  attachedVpcId?: string;
  /** Simulated time from which NAT gateways and load balancers see the attachment (consistency.ts). */
  attachmentVisibleAt?: number;
}

export interface Route {
  destinationCidrBlock: string;
  gatewayId?: string;
  natGatewayId?: string;
  origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTableAssociation {
  associationId: string;
  /** Absent on the main association. */
  subnetId?: string;
  main: boolean;
}

export interface RouteTable extends SimResource {
  type: 'route-table';
  vpcId: string;
  routes: Route[];
  associations: RouteTableAssociation[];
}

export interface ElasticIp extends SimResource {
  type: 'elastic-ip';
  publicIp: string;
}

export interface NatGateway extends SimResource {
  type: 'nat-gateway';
  subnetId: string;
  vpcId: string;
  connectivityType: 'public' | 'private';
  allocationId?: string;
  networkInterfaceId: string;
  privateIp: string;
  clientToken?: string;
  /** Simulated time at which it leaves `pending`. */
  settlesAt: number;
  failure?: { code: string; message: string };
  deleteRequestedAt?: number;
  deletedAt?: number;
}

export interface SecurityGroupRule {
  ruleId: string;
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  referencedGroupId?: string;
  description?: string;
}

export interface SecurityGroup extends SimResource {
  type: 'security-group';
  groupName: string;
  description: string;
  vpcId: string;
  isDefault: boolean;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
}

/** An elastic network interface; other services create theirs through `createNetworkInterface`. */
export interface NetworkInterface extends SimResource {
  type: 'network-interface';
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  groups: string[];
  description: string;
  /** `interface`, `nat_gateway`, `network_load_balancer`… as EC2 reports it. */
  interfaceType: string;
  /** Who made it on the account's behalf (`amazon-elb`, `AWSECS…`); absent for the account's own. */
  requesterId?: string;
  requesterManaged: boolean;
  /** `in-use` while its owner holds it; `available` once released (it still blocks deletes until gone). */
  status: 'in-use' | 'available';
  privateIpAddress: string;
  macAddress: string;
}

export interface LaunchTemplate extends SimResource {
  type: 'launch-template';
  launchTemplateName: string;
  /** `LaunchTemplateData` as given (ec2 protocol convention: strings, nested lists). */
  data: OperationInput;
  versionDescription?: string;
}

/** EC2 resource-id prefix → store type and the NotFound code EC2 answers for it. */
export const resourceKinds = {
  vpc: { type: 'vpc', notFound: 'InvalidVpcID.NotFound', noun: 'vpc', tagType: 'vpc' },
  subnet: { type: 'subnet', notFound: 'InvalidSubnetID.NotFound', noun: 'subnet', tagType: 'subnet' },
  igw: {
    type: 'internet-gateway',
    notFound: 'InvalidInternetGatewayID.NotFound',
    noun: 'internetGateway',
    tagType: 'internet-gateway',
  },
  rtb: {
    type: 'route-table',
    notFound: 'InvalidRouteTableID.NotFound',
    noun: 'routeTable',
    tagType: 'route-table',
  },
  eipalloc: {
    type: 'elastic-ip',
    notFound: 'InvalidAllocationID.NotFound',
    noun: 'allocation',
    tagType: 'elastic-ip',
  },
  nat: {
    type: 'nat-gateway',
    notFound: 'InvalidNatGatewayID.NotFound',
    noun: 'natGateway',
    tagType: 'natgateway',
  },
  sg: {
    type: 'security-group',
    notFound: 'InvalidGroup.NotFound',
    noun: 'security group',
    tagType: 'security-group',
  },
  eni: {
    type: 'network-interface',
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    noun: 'networkInterface',
    tagType: 'network-interface',
  },
  lt: {
    type: 'launch-template',
    notFound: 'InvalidLaunchTemplateId.NotFound',
    noun: 'launch template',
    tagType: 'launch-template',
  },
  i: { type: 'instance', notFound: 'InvalidInstanceID.NotFound', noun: 'instance', tagType: 'instance' },
  vpce: {
    type: 'vpc-endpoint',
    notFound: 'InvalidVpcEndpointId.NotFound',
    noun: 'vpcEndpoint',
    tagType: 'vpc-endpoint',
  },
} as const;

export type ResourcePrefix = keyof typeof resourceKinds;

/** EC2's NotFound error for an id (`The vpc ID 'vpc-1' does not exist`). */
export function notFound(prefix: ResourcePrefix, id: string): AwsError {
  const kind = resourceKinds[prefix];
  if (prefix === 'sg') return new AwsError(kind.notFound, `The security group '${id}' does not exist`);
  return new AwsError(kind.notFound, `The ${kind.noun} ID '${id}' does not exist`);
}

export function find<T extends SimResource>(ctx: SimContext, prefix: ResourcePrefix, id: string): T {
  return ctx.store.require<T>(resourceKinds[prefix].type, id, () => notFound(prefix, id));
}

export function requireParam(input: OperationInput, key: string): string {
  const value = readString(input, key);
  if (value === undefined || value === '') {
    throw new AwsError('MissingParameter', `The request must contain the parameter ${key}`);
  }
  return value;
}

export function invalidValue(parameter: string, value: string, why = ''): AwsError {
  return new AwsError(
    'InvalidParameterValue',
    `Value (${value}) for parameter ${parameter} is invalid.${why ? ` ${why}` : ''}`,
  );
}

/** `tagSet` as EC2 writes it; omitted when the resource has no tags, as EC2 does. */
export function tagSet(tags: Record<string, string>): Array<{ key: string; value: string }> | undefined {
  const entries = Object.entries(tags);
  return entries.length === 0 ? undefined : entries.map(([key, value]) => ({ key, value }));
}

/** Tags from `Tag: [{ Key, Value }]` entries. */
export function readTags(entries: OperationInput[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of entries) {
    const key = readString(entry, 'Key');
    if (key === undefined || key === '')
      throw new AwsError('InvalidParameterValue', 'Tag keys must not be empty');
    if (key.toLowerCase().startsWith('aws:')) {
      throw new AwsError(
        'InvalidParameterValue',
        `Tag keys starting with 'aws:' are reserved for internal use`,
      );
    }
    tags[key] = readString(entry, 'Value') ?? '';
  }
  if (Object.keys(tags).length > 50)
    throw new AwsError('TagLimitExceeded', 'The maximum number of tags is 50');
  return tags;
}

/** Tags applied at creation (`TagSpecification.N`); a spec for another resource type is an error, as in EC2. */
export function tagsAtCreation(input: OperationInput, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of readRecordList(input, 'TagSpecification')) {
    const type = readString(spec, 'ResourceType');
    if (type !== resourceType) {
      throw new AwsError(
        'InvalidParameterValue',
        `'${type ?? ''}' is not a valid taggable resource type for this operation.`,
      );
    }
    Object.assign(tags, readTags(readRecordList(spec, 'Tag')));
  }
  return tags;
}

export interface Filter {
  name: string;
  values: string[];
}

export function readFilters(input: OperationInput): Filter[] {
  return readRecordList(input, 'Filter').map((filter) => ({
    name: readString(filter, 'Name') ?? '',
    values: readStringList(filter, 'Value'),
  }));
}

/** What a filter name reads from a resource (a value, several values, or none). */
export type FilterFields<T> = Record<
  string,
  (resource: T) => string | number | boolean | undefined | Array<string | undefined>
>;

function globMatches(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const expression = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`).test(value);
}

/**
 * Resources passing every filter (AND across filters, OR across a filter's values; `*` and `?`
 * wildcards, as EC2 allows). `tag:<key>`, `tag-key` and `tag-value` work for every type.
 */
export function applyFilters<T extends SimResource>(
  resources: T[],
  filters: Filter[],
  fields: FilterFields<T>,
): T[] {
  for (const filter of filters) {
    if (
      !filter.name.startsWith('tag:') &&
      !['tag-key', 'tag-value'].includes(filter.name) &&
      !fields[filter.name]
    ) {
      throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    }
  }
  return resources.filter((resource) =>
    filters.every((filter) => {
      let candidates: Array<string | undefined>;
      if (filter.name.startsWith('tag:')) candidates = [resource.tags[filter.name.slice(4)]];
      else if (filter.name === 'tag-key') candidates = Object.keys(resource.tags);
      else if (filter.name === 'tag-value') candidates = Object.values(resource.tags);
      else {
        const read = fields[filter.name];
        const value = read ? read(resource) : undefined;
        candidates = (Array.isArray(value) ? value : [value]).map((item) =>
          item === undefined ? undefined : String(item),
        );
      }
      return candidates.some(
        (candidate) =>
          candidate !== undefined && filter.values.some((value) => globMatches(value, candidate)),
      );
    }),
  );
}

/** Resources by the ids asked for (every id must exist), or all of them. */
export function selectByIds<T extends SimResource>(
  resources: T[],
  ids: string[],
  missing: (id: string) => AwsError,
): T[] {
  if (ids.length === 0) return resources;
  const byId = new Map(resources.map((resource) => [resource.id, resource]));
  return ids.map((id) => {
    const resource = byId.get(id);
    if (!resource) throw missing(id);
    return resource;
  });
}

/**
 * MaxResults / NextToken paging. The token is the offset in the (stable, creation-ordered) result;
 * `bounds` are the MaxResults limits EC2 documents for the operation.
 */
export function paginate<T>(
  items: T[],
  input: OperationInput,
  bounds: { min: number; max: number },
): { page: T[]; nextToken?: string } {
  const maxResults = readInteger(input, 'MaxResults');
  const token = readString(input, 'NextToken');
  let offset = 0;
  if (token) {
    offset = Number.parseInt(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
      10,
    );
    if (!Number.isInteger(offset) || offset < 0)
      throw new AwsError('InvalidPaginationToken', `Invalid pagination token: ${token}`);
  }
  if (maxResults === undefined) return { page: items.slice(offset) };
  if (maxResults < bounds.min || maxResults > bounds.max) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter must be between ${bounds.min} and ${bounds.max}.`,
    );
  }
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length
    ? { page, nextToken: Buffer.from(`offset:${next}`).toString('base64url') }
    : { page };
}

/** ISO-8601 text of a simulated timestamp, as EC2 writes times. */
export function isoTime(millis: number): string {
  return new Date(millis).toISOString();
}

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

/** An aligned IPv4 CIDR block, or undefined when the text is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return { network: address, prefix };
}

export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.network >= outer.network &&
    inner.network + cidrSize(inner) <= outer.network + cidrSize(outer)
  );
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

export function ipv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}
