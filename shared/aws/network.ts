/**
 * Every EC2 call of berth's network: one VPC with public, application and database subnets in 2–3
 * AZs, an internet gateway, route tables, security groups and NAT gateways — and their teardown.
 *
 * Idempotency: CreateVpc, CreateSubnet and most other creates have no client token, so each `ensure*`
 * first looks its resource up by the `berth:environment` tag plus a `berth:part` tag (`vpc`,
 * `subnet-app-1`, `rt-public`, `sg-alb`, `nat-0`, `eip-0`…) and creates only what is missing. Every
 * create carries TagSpecifications, so a crash between "created" and "recorded" leaks nothing: the
 * next run (or the teardown) finds the resource by tag. CreateNatGateway also takes a ClientToken,
 * because a NAT gateway is invisible to Describe for a while after it is created.
 *
 * No function here waits: NAT gateways are created and returned `pending`; the workflow polls
 * `describeNatGateways` and then calls `routeAppSubnetsThroughNat`. Teardown verbs report what still
 * blocks them and the workflow calls `teardownNetworkPass` again later.
 *
 * Throttling and 5xx errors propagate (the SDK retries them first, the workflow's Retry next);
 * `isTransient` tells a step which errors those are.
 */
import { createHash } from 'node:crypto';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  type Filter,
  type InternetGateway,
  type IpPermission,
  ModifyVpcAttributeCommand,
  type NatGateway,
  paginateDescribeInternetGateways,
  paginateDescribeNatGateways,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
  ReleaseAddressCommand,
  ReplaceRouteCommand,
  type ResourceType,
  RevokeSecurityGroupIngressCommand,
  type RouteTable,
  type SecurityGroup,
  type Subnet,
  type Tag,
  type TagSpecification,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { formatCidr, parseCidr, planSubnets, type SubnetPlan } from '../domain/cidr';
import {
  type EnvironmentRef,
  environmentTags,
  envKey,
  names,
  TAG_ENVIRONMENT,
  tagList,
} from '../domain/naming';
import { type NatMode, natGatewayCount, natGatewayForZone } from '../domain/nat-gateways';
import { chooseZones, type IngressRule, planIngress, planServiceIngress } from '../domain/network-access';
import { required } from '../domain/required';
import type { EnvironmentSpec } from '../domain/spec';
import { errorCode, hasCode, isNotFound } from './errors';
import { readAfterCreate } from './read-after-create';
import { stepCallsToThrottledApis } from './retry-budget';
import { type Blocker, collect, type TeardownProgress } from './teardown';
import { traced } from './tracing';

/** Region, credentials and endpoint come from the environment (`AWS_REGION`, `AWS_ENDPOINT_URL_EC2`). */
const defaultEc2 = /* @__PURE__ */ traced(/* @__PURE__ */ new EC2Client(stepCallsToThrottledApis));

/** Which piece of the environment's network a resource is: how `ensure*` finds it again. */
export const TAG_PART = 'berth:part';

export type NetworkSpec = EnvironmentSpec['network'];
export type { NatMode };
export type Tier = keyof SubnetPlan;
const TIERS: readonly Tier[] = ['public', 'app', 'database'];

export interface SubnetIds {
  public: string[];
  app: string[];
  database: string[];
}

export interface RouteTableIds {
  public: string;
  /** One per AZ, so that per-AZ NAT gateways keep each zone's egress in that zone. */
  app: string[];
  database: string;
}

export interface SecurityGroupIds {
  alb: string;
  service: string;
  database: string;
}

export interface NatGatewayRef {
  id: string;
  allocationId: string;
  subnetId: string;
}

export interface NetworkResources {
  vpcId: string;
  cidr: string;
  zones: string[];
  subnets: SubnetIds;
  internetGatewayId: string;
  routeTables: RouteTableIds;
  securityGroups: SecurityGroupIds;
  natGateways: NatGatewayRef[];
}

export type NatGatewayState = 'pending' | 'available' | 'failed' | 'deleting' | 'deleted';

export interface NatGatewayStatus {
  id: string;
  state: NatGatewayState;
  failureCode?: string;
  failureMessage?: string;
}

const ANYWHERE = '0.0.0.0/0';

// ---------------------------------------------------------------------------------------------
// Tags and lookups
// ---------------------------------------------------------------------------------------------

function tagSpecifications(
  env: EnvironmentRef,
  resourceType: ResourceType,
  part: string,
): TagSpecification[] {
  const tags = environmentTags(env, { Name: names.resource(env, part), [TAG_PART]: part });
  return [{ ResourceType: resourceType, Tags: tagList(tags) }];
}

function environmentFilters(environmentId: string, part?: string): Filter[] {
  const filters: Filter[] = [{ Name: `tag:${TAG_ENVIRONMENT}`, Values: [environmentId] }];
  if (part !== undefined) filters.push({ Name: `tag:${TAG_PART}`, Values: [part] });
  return filters;
}

function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

function partOf(resource: { Tags?: Tag[] }): string | undefined {
  return tagValue(resource.Tags, TAG_PART);
}

function byPart<T extends { Tags?: Tag[] }>(resources: T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const resource of resources) {
    const part = partOf(resource);
    if (part !== undefined && !map.has(part)) map.set(part, resource);
  }
  return map;
}

const subnetPart = (tier: Tier, zone: number) => `subnet-${tier}-${zone}`;
const appRouteTablePart = (zone: number) => `rt-app-${zone}`;
const natPart = (index: number) => `nat-${index}`;
const addressPart = (index: number) => `eip-${index}`;

async function describeVpcs(filters: Filter[], ec2: EC2Client): Promise<Vpc[]> {
  return collect(paginateDescribeVpcs({ client: ec2 }, { Filters: filters }), (page) => page.Vpcs);
}

async function describeSubnets(filters: Filter[], ec2: EC2Client): Promise<Subnet[]> {
  return collect(paginateDescribeSubnets({ client: ec2 }, { Filters: filters }), (page) => page.Subnets);
}

async function describeInternetGateways(filters: Filter[], ec2: EC2Client): Promise<InternetGateway[]> {
  return collect(
    paginateDescribeInternetGateways({ client: ec2 }, { Filters: filters }),
    (page) => page.InternetGateways,
  );
}

async function describeRouteTables(filters: Filter[], ec2: EC2Client): Promise<RouteTable[]> {
  return collect(
    paginateDescribeRouteTables({ client: ec2 }, { Filters: filters }),
    (page) => page.RouteTables,
  );
}

async function describeSecurityGroups(filters: Filter[], ec2: EC2Client): Promise<SecurityGroup[]> {
  return collect(
    paginateDescribeSecurityGroups({ client: ec2 }, { Filters: filters }),
    (page) => page.SecurityGroups,
  );
}

async function describeNatGatewayList(filters: Filter[], ec2: EC2Client): Promise<NatGateway[]> {
  return collect(
    paginateDescribeNatGateways({ client: ec2 }, { Filter: filters }),
    (page) => page.NatGateways,
  );
}

// ---------------------------------------------------------------------------------------------
// Provisioning
// ---------------------------------------------------------------------------------------------

/** The first `count` available zones of the Region by name (stable, so re-runs pick the same zones). */
export async function listAvailabilityZones(count: number, ec2: EC2Client = defaultEc2): Promise<string[]> {
  const { AvailabilityZones = [] } = await ec2.send(
    new DescribeAvailabilityZonesCommand({
      Filters: [
        { Name: 'state', Values: ['available'] },
        // Local Zones and Wavelength Zones cannot host the ALB and NAT gateways berth needs.
        { Name: 'zone-type', Values: ['availability-zone'] },
      ],
    }),
  );
  return chooseZones(
    AvailabilityZones.flatMap((zone) => (zone.ZoneName ? [zone.ZoneName] : [])),
    count,
  );
}

/** The environment's VPC with `cidr` and DNS support and hostnames on (needed by ECS service discovery and ECR endpoints). */
export async function ensureVpc(
  env: EnvironmentRef,
  cidr: string,
  ec2: EC2Client = defaultEc2,
): Promise<string> {
  readAfterCreate(ec2);
  const wanted = formatCidr(parseCidr(cidr));
  const [existing] = await describeVpcs(environmentFilters(env.id, 'vpc'), ec2);
  let vpcId = existing?.VpcId;
  if (existing && existing.CidrBlock !== wanted) {
    throw new Error(`VPC ${vpcId} of environment ${env.id} has CIDR ${existing.CidrBlock}, not ${wanted}`);
  }
  if (vpcId === undefined) {
    const { Vpc: created } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: wanted, TagSpecifications: tagSpecifications(env, 'vpc', 'vpc') }),
    );
    vpcId = required(created?.VpcId, 'VpcId');
  }
  // ModifyVpcAttribute takes one attribute per call (InvalidParameterCombination otherwise).
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  return vpcId;
}

/** The planned subnets of every tier, subnet `i` of each tier in `zones[i]`. */
export async function ensureSubnets(
  env: EnvironmentRef,
  vpcId: string,
  plan: SubnetPlan,
  zones: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<SubnetIds> {
  readAfterCreate(ec2);
  const existing = byPart(
    await describeSubnets([...environmentFilters(env.id), { Name: 'vpc-id', Values: [vpcId] }], ec2),
  );
  const ids: SubnetIds = { public: [], app: [], database: [] };
  for (const tier of TIERS) {
    for (const [zoneIndex, cidr] of plan[tier].entries()) {
      const zone = zones[zoneIndex];
      if (zone === undefined) throw new RangeError(`no zone for subnet ${zoneIndex} of the ${tier} tier`);
      const part = subnetPart(tier, zoneIndex);
      const found = existing.get(part);
      if (found && (found.CidrBlock !== cidr || found.AvailabilityZone !== zone)) {
        throw new Error(
          `subnet ${found.SubnetId} (${part}) is ${found.CidrBlock} in ${found.AvailabilityZone}, not ${cidr} in ${zone}`,
        );
      }
      let subnetId = found?.SubnetId;
      if (subnetId === undefined) {
        const { Subnet: created } = await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: cidr,
            AvailabilityZone: zone,
            TagSpecifications: tagSpecifications(env, 'subnet', part),
          }),
        );
        subnetId = required(created?.SubnetId, 'SubnetId');
      }
      ids[tier].push(subnetId);
    }
  }
  return ids;
}

/** The environment's internet gateway, attached to the VPC. */
export async function ensureInternetGateway(
  env: EnvironmentRef,
  vpcId: string,
  ec2: EC2Client = defaultEc2,
): Promise<string> {
  readAfterCreate(ec2);
  const [existing] = await describeInternetGateways(environmentFilters(env.id, 'igw'), ec2);
  let gatewayId = existing?.InternetGatewayId;
  if (gatewayId === undefined) {
    const { InternetGateway: created } = await ec2.send(
      new CreateInternetGatewayCommand({
        TagSpecifications: tagSpecifications(env, 'internet-gateway', 'igw'),
      }),
    );
    gatewayId = required(created?.InternetGatewayId, 'InternetGatewayId');
  }
  const attachedHere = (gateway: InternetGateway | undefined) =>
    gateway?.Attachments?.some((attachment) => attachment.VpcId === vpcId) ?? false;
  if (!attachedHere(existing)) {
    try {
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpcId }));
    } catch (error) {
      // Resource.AlreadyAssociated: a concurrent run attached it first — fine if it is to this VPC.
      if (!hasCode(error, 'Resource.AlreadyAssociated')) throw error;
      const [again] = await describeInternetGateways(
        [{ Name: 'internet-gateway-id', Values: [gatewayId] }],
        ec2,
      );
      if (!attachedHere(again)) throw error;
    }
  }
  return gatewayId;
}

type RouteTarget = { gatewayId: string } | { natGatewayId: string };

function routeTargetId(target: RouteTarget): string {
  return 'gatewayId' in target ? target.gatewayId : target.natGatewayId;
}

/** The route table tagged `part`, associated with exactly these subnets of ours. */
async function ensureRouteTable(
  env: EnvironmentRef,
  vpcId: string,
  part: string,
  subnetIds: readonly string[],
  existing: Map<string, RouteTable>,
  ec2: EC2Client,
): Promise<string> {
  const found = existing.get(part);
  let routeTableId = found?.RouteTableId;
  if (routeTableId === undefined) {
    const { RouteTable: created } = await ec2.send(
      new CreateRouteTableCommand({
        VpcId: vpcId,
        TagSpecifications: tagSpecifications(env, 'route-table', part),
      }),
    );
    routeTableId = required(created?.RouteTableId, 'RouteTableId');
  }
  const associated = new Set(found?.Associations?.flatMap((association) => association.SubnetId ?? []) ?? []);
  for (const subnetId of subnetIds) {
    if (!associated.has(subnetId)) await associateSubnet(routeTableId, subnetId, ec2);
  }
  return routeTableId;
}

/** Associates a subnet with a route table, moving it off another table it is explicitly associated with. */
async function associateSubnet(routeTableId: string, subnetId: string, ec2: EC2Client): Promise<void> {
  try {
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }));
    return;
  } catch (error) {
    // Resource.AlreadyAssociated: a subnet has at most one explicit association.
    if (!hasCode(error, 'Resource.AlreadyAssociated')) throw error;
  }
  const [current] = await describeRouteTables([{ Name: 'association.subnet-id', Values: [subnetId] }], ec2);
  const association = current?.Associations?.find((candidate) => candidate.SubnetId === subnetId);
  if (current?.RouteTableId === routeTableId) return;
  if (association?.RouteTableAssociationId === undefined) {
    throw new Error(`subnet ${subnetId} is associated with another route table that cannot be found`);
  }
  await ec2.send(new DisassociateRouteTableCommand({ AssociationId: association.RouteTableAssociationId }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }));
}

/** The 0.0.0.0/0 route of a route table points at `target` (created, or replaced if it pointed elsewhere). */
async function ensureDefaultRoute(
  routeTable: RouteTable | undefined,
  routeTableId: string,
  target: RouteTarget,
  ec2: EC2Client,
) {
  const targetId = routeTargetId(target);
  const current = (table: RouteTable | undefined) =>
    table?.Routes?.find((route) => route.DestinationCidrBlock === ANYWHERE);
  const pointsAtTarget = (table: RouteTable | undefined) => {
    const route = current(table);
    return route !== undefined && (route.GatewayId === targetId || route.NatGatewayId === targetId);
  };
  if (pointsAtTarget(routeTable)) return;
  const input = {
    RouteTableId: routeTableId,
    DestinationCidrBlock: ANYWHERE,
    ...('gatewayId' in target ? { GatewayId: target.gatewayId } : { NatGatewayId: target.natGatewayId }),
  };
  if (current(routeTable) === undefined) {
    try {
      await ec2.send(new CreateRouteCommand(input));
      return;
    } catch (error) {
      // RouteAlreadyExists: another run created it; done if it has the same target.
      if (!hasCode(error, 'RouteAlreadyExists')) throw error;
      const [again] = await describeRouteTables([{ Name: 'route-table-id', Values: [routeTableId] }], ec2);
      if (pointsAtTarget(again)) return;
    }
  }
  // A stale target (a NAT gateway that was replaced, a blackhole): ReplaceRoute swaps it atomically.
  await ec2.send(new ReplaceRouteCommand(input));
}

/** Route tables: public (0.0.0.0/0 → IGW), one application table per AZ (NAT routes come later), database (local only). */
export async function ensureRouteTables(
  env: EnvironmentRef,
  vpcId: string,
  subnets: SubnetIds,
  internetGatewayId: string,
  ec2: EC2Client = defaultEc2,
): Promise<RouteTableIds> {
  readAfterCreate(ec2);
  const existing = byPart(
    await describeRouteTables([...environmentFilters(env.id), { Name: 'vpc-id', Values: [vpcId] }], ec2),
  );
  const publicId = await ensureRouteTable(env, vpcId, 'rt-public', subnets.public, existing, ec2);
  await ensureDefaultRoute(existing.get('rt-public'), publicId, { gatewayId: internetGatewayId }, ec2);
  const app: string[] = [];
  for (const [zone, subnetId] of subnets.app.entries()) {
    app.push(await ensureRouteTable(env, vpcId, appRouteTablePart(zone), [subnetId], existing, ec2));
  }
  const database = await ensureRouteTable(env, vpcId, 'rt-database', subnets.database, existing, ec2);
  return { public: publicId, app, database };
}

function ruleKey(
  protocol: string | undefined,
  from: number | undefined,
  to: number | undefined,
  source: string,
): string {
  return `${protocol}|${from}|${to}|${source}`;
}

function wantedRuleKey(rule: IngressRule): string {
  return ruleKey('tcp', rule.port, rule.port, 'cidr' in rule.source ? rule.source.cidr : rule.source.groupId);
}

function rulePermission(rule: IngressRule): IpPermission {
  return {
    IpProtocol: 'tcp',
    FromPort: rule.port,
    ToPort: rule.port,
    ...('cidr' in rule.source
      ? { IpRanges: [{ CidrIp: rule.source.cidr, Description: rule.description }] }
      : { UserIdGroupPairs: [{ GroupId: rule.source.groupId, Description: rule.description }] }),
  };
}

/** A group's ingress permissions, one permission per source, keyed like `wantedRuleKey`. */
function existingIngress(group: SecurityGroup | undefined): Map<string, IpPermission> {
  const rules = new Map<string, IpPermission>();
  for (const permission of group?.IpPermissions ?? []) {
    const { IpProtocol, FromPort, ToPort } = permission;
    for (const range of permission.IpRanges ?? []) {
      if (range.CidrIp === undefined) continue;
      rules.set(ruleKey(IpProtocol, FromPort, ToPort, range.CidrIp), {
        IpProtocol,
        FromPort,
        ToPort,
        IpRanges: [range],
      });
    }
    for (const pair of permission.UserIdGroupPairs ?? []) {
      if (pair.GroupId === undefined) continue;
      rules.set(ruleKey(IpProtocol, FromPort, ToPort, pair.GroupId), {
        IpProtocol,
        FromPort,
        ToPort,
        UserIdGroupPairs: [{ GroupId: pair.GroupId }],
      });
    }
    for (const range of permission.Ipv6Ranges ?? []) {
      if (range.CidrIpv6 === undefined) continue;
      rules.set(ruleKey(IpProtocol, FromPort, ToPort, range.CidrIpv6), {
        IpProtocol,
        FromPort,
        ToPort,
        Ipv6Ranges: [range],
      });
    }
  }
  return rules;
}

/**
 * The group's ingress is exactly `rules`: missing ones authorised, others revoked. Either half may be
 * left out (`authorize: false`, `revoke: false`) where an update does them at different times.
 */
async function ensureIngress(
  env: EnvironmentRef,
  group: SecurityGroup | undefined,
  groupId: string,
  part: string,
  rules: readonly IngressRule[],
  ec2: EC2Client,
  options: { authorize?: boolean; revoke?: boolean } = {},
): Promise<void> {
  const existing = existingIngress(group);
  const wanted = new Map(rules.map((rule) => [wantedRuleKey(rule), rule]));
  const missing =
    options.authorize === false
      ? []
      : [...wanted].filter(([key]) => !existing.has(key)).map(([, rule]) => rule);
  const extra =
    options.revoke === false
      ? []
      : [...existing].filter(([key]) => !wanted.has(key)).map(([, permission]) => permission);
  if (missing.length > 0) {
    const authorize = (permissions: IpPermission[]) =>
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: permissions,
          TagSpecifications: tagSpecifications(env, 'security-group-rule', part),
        }),
      );
    try {
      await authorize(missing.map(rulePermission));
    } catch (error) {
      // InvalidPermission.Duplicate fails the whole request: a concurrent run added some of these
      // rules. Add them one by one, each duplicate counting as done.
      if (!hasCode(error, 'InvalidPermission.Duplicate')) throw error;
      for (const rule of missing) {
        try {
          await authorize([rulePermission(rule)]);
        } catch (single) {
          if (!hasCode(single, 'InvalidPermission.Duplicate')) throw single;
        }
      }
    }
  }
  if (extra.length > 0) {
    const revoke = (permissions: IpPermission[]) =>
      ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: permissions }));
    try {
      await revoke(extra);
    } catch (error) {
      // InvalidPermission.NotFound revokes nothing: a concurrent run took some of these rules away.
      // Revoke them one by one, each one already gone counting as done.
      if (!hasCode(error, 'InvalidPermission.NotFound')) throw error;
      for (const permission of extra) {
        try {
          await revoke([permission]);
        } catch (single) {
          if (!hasCode(single, 'InvalidPermission.NotFound')) throw single;
        }
      }
    }
  }
}

async function ensureSecurityGroup(
  env: EnvironmentRef,
  vpcId: string,
  part: string,
  description: string,
  existing: Map<string, SecurityGroup>,
  ec2: EC2Client,
): Promise<string> {
  const found = existing.get(part)?.GroupId;
  if (found !== undefined) return found;
  const groupName = names.resource(env, part);
  try {
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: groupName,
        Description: description,
        VpcId: vpcId,
        TagSpecifications: tagSpecifications(env, 'security-group', part),
      }),
    );
    return required(GroupId, 'GroupId');
  } catch (error) {
    // InvalidGroup.Duplicate: the name is taken in this VPC — by a concurrent run of this step.
    if (!hasCode(error, 'InvalidGroup.Duplicate')) throw error;
    const [group] = await describeSecurityGroups(
      [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: [groupName] },
      ],
      ec2,
    );
    return required(group?.GroupId, `GroupId of ${groupName}`);
  }
}

/**
 * Security groups and their ingress: ALB (80/443 from the allowed CIDRs), service (the container
 * ports from the ALB group only), database (5432/3306 from the service group only). Rules not
 * wanted are revoked, so a changed `allowedIngressCidrs` converges. Egress stays AWS's default.
 */
export async function ensureSecurityGroups(
  env: EnvironmentRef,
  vpcId: string,
  ports: readonly number[],
  allowedIngressCidrs: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<SecurityGroupIds> {
  readAfterCreate(ec2);
  const groups = await describeSecurityGroups(
    [...environmentFilters(env.id), { Name: 'vpc-id', Values: [vpcId] }],
    ec2,
  );
  const existing = byPart(groups);
  const alb = await ensureSecurityGroup(env, vpcId, 'sg-alb', 'berth load balancer', existing, ec2);
  const service = await ensureSecurityGroup(env, vpcId, 'sg-service', 'berth services', existing, ec2);
  const database = await ensureSecurityGroup(env, vpcId, 'sg-database', 'berth databases', existing, ec2);
  const plan = planIngress({
    allowedIngressCidrs,
    containerPorts: ports,
    albGroupId: alb,
    serviceGroupId: service,
  });
  await ensureIngress(env, existing.get('sg-alb'), alb, 'sg-alb', plan.alb, ec2);
  await ensureIngress(env, existing.get('sg-service'), service, 'sg-service', plan.service, ec2);
  await ensureIngress(env, existing.get('sg-database'), database, 'sg-database', plan.database, ec2);
  return { alb, service, database };
}

/**
 * The load balancer group's ingress alone follows `allowedIngressCidrs` (80/443 from each CIDR):
 * what an update applies in place. Added CIDRs are authorised and removed ones revoked; idempotent.
 */
export async function ensureLoadBalancerIngress(
  env: EnvironmentRef,
  albGroupId: string,
  allowedIngressCidrs: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<void> {
  const [group] = await describeSecurityGroups([{ Name: 'group-id', Values: [albGroupId] }], ec2);
  if (!group) throw new Error(`security group ${albGroupId} of the load balancer was not found`);
  // Only the ALB group's rules are planned here; the other groups' sources are not needed for them.
  const plan = planIngress({ allowedIngressCidrs, containerPorts: [], albGroupId, serviceGroupId: '' });
  await ensureIngress(env, group, albGroupId, 'sg-alb', plan.alb, ec2);
}

async function serviceGroup(groupId: string, ec2: EC2Client): Promise<SecurityGroup> {
  const [group] = await describeSecurityGroups([{ Name: 'group-id', Values: [groupId] }], ec2);
  if (!group) throw new Error(`security group ${groupId} of the services was not found`);
  return group;
}

/**
 * Opens each port in `ports` on the service group to the load balancer group (what an update does
 * before a service rolls out on a new port); rules for other ports stay. Idempotent
 * (docs/aws-facts.md#security-groups-and-alb-health-checks).
 */
export async function openServicePorts(
  env: EnvironmentRef,
  groups: Pick<SecurityGroupIds, 'alb' | 'service'>,
  ports: readonly number[],
  ec2: EC2Client = defaultEc2,
): Promise<void> {
  const group = await serviceGroup(groups.service, ec2);
  const rules = planServiceIngress(ports, groups.alb);
  await ensureIngress(env, group, groups.service, 'sg-service', rules, ec2, { revoke: false });
}

/**
 * Revokes the service group's rules for ports not in `ports` (after a rollout, once no task listens on
 * them any more); what `openServicePorts` opened stays. Idempotent.
 */
export async function closeUnusedServicePorts(
  env: EnvironmentRef,
  groups: Pick<SecurityGroupIds, 'alb' | 'service'>,
  ports: readonly number[],
  ec2: EC2Client = defaultEc2,
): Promise<void> {
  const group = await serviceGroup(groups.service, ec2);
  const rules = planServiceIngress(ports, groups.alb);
  await ensureIngress(env, group, groups.service, 'sg-service', rules, ec2, { authorize: false });
}

/**
 * CreateNatGateway's ClientToken (≤ 64 ASCII characters): the same for every retry of one NAT, but a
 * new one once a previous attempt `failed`, or the token would hand back the failed gateway.
 */
function natClientToken(
  environmentId: string,
  index: number,
  subnetId: string,
  allocationId: string,
  failed: string[],
): string {
  const digest = createHash('sha256')
    .update([environmentId, index, subnetId, allocationId, ...failed.sort()].join('|'))
    .digest('hex')
    .slice(0, 32);
  return `berth-${envKey(environmentId)}-${natPart(index)}-${digest}`;
}

/** Elastic IPs and NAT gateways for the mode (none | single | per-az), in the public subnets; returned pending, not waited for. */
export async function ensureNatGateways(
  env: EnvironmentRef,
  mode: NatMode,
  publicSubnetIds: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<NatGatewayRef[]> {
  readAfterCreate(ec2);
  const count = natGatewayCount({ natGateways: mode, availabilityZones: publicSubnetIds.length });
  if (count === 0) return [];
  const { Addresses = [] } = await ec2.send(
    new DescribeAddressesCommand({ Filters: environmentFilters(env.id) }),
  );
  const addresses = byPart(Addresses);
  const gateways = await describeNatGatewayList(
    [...environmentFilters(env.id), { Name: 'state', Values: ['pending', 'available', 'failed'] }],
    ec2,
  );
  const refs: NatGatewayRef[] = [];
  for (let index = 0; index < count; index++) {
    const subnetId = publicSubnetIds[index];
    if (subnetId === undefined) throw new RangeError(`no public subnet for NAT gateway ${index}`);
    let allocationId = addresses.get(addressPart(index))?.AllocationId;
    if (allocationId === undefined) {
      const allocated = await ec2.send(
        new AllocateAddressCommand({
          Domain: 'vpc',
          TagSpecifications: tagSpecifications(env, 'elastic-ip', addressPart(index)),
        }),
      );
      allocationId = required(allocated.AllocationId, 'AllocationId');
      // A NAT gateway handed an address EC2 does not know yet ends `failed` (InvalidAllocationID.NotFound):
      // wait until a Describe naming it answers (readAfterCreate retries the NotFound).
      await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
    }
    const mine = gateways.filter((gateway) => partOf(gateway) === natPart(index));
    const live = mine.find((gateway) => gateway.State === 'pending' || gateway.State === 'available');
    let natGatewayId = live?.NatGatewayId;
    if (natGatewayId === undefined) {
      const failed = mine.flatMap((gateway) =>
        gateway.State === 'failed' && gateway.NatGatewayId ? [gateway.NatGatewayId] : [],
      );
      const { NatGateway: created } = await ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: subnetId,
          AllocationId: allocationId,
          ConnectivityType: 'public',
          ClientToken: natClientToken(env.id, index, subnetId, allocationId, failed),
          TagSpecifications: tagSpecifications(env, 'natgateway', natPart(index)),
        }),
      );
      natGatewayId = required(created?.NatGatewayId, 'NatGatewayId');
    }
    refs.push({ id: natGatewayId, allocationId, subnetId });
  }
  return refs;
}

/**
 * Replaces a NAT gateway that ended `failed` (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling):
 * deletes it and creates another in the same subnet with the same address, tagged like the first, under
 * a client token that names every failed predecessor (the old token would hand the failed one back).
 * Idempotent: a retry finds the replacement by its token. Answers the new gateway's id.
 */
export async function replaceFailedNatGateway(
  env: EnvironmentRef,
  index: number,
  nat: NatGatewayRef,
  failedIds: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<string> {
  readAfterCreate(ec2);
  try {
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.id }));
  } catch (error) {
    if (!isNotFound(error) && !hasCode(error, 'NatGatewayNotFound')) throw error;
  }
  const { NatGateway: created } = await ec2.send(
    new CreateNatGatewayCommand({
      SubnetId: nat.subnetId,
      AllocationId: nat.allocationId,
      ConnectivityType: 'public',
      ClientToken: natClientToken(env.id, index, nat.subnetId, nat.allocationId, [...failedIds]),
      TagSpecifications: tagSpecifications(env, 'natgateway', natPart(index)),
    }),
  );
  return required(created?.NatGatewayId, 'NatGatewayId');
}

function natGatewayState(state: string | undefined): NatGatewayState {
  switch (state) {
    case 'available':
    case 'failed':
    case 'deleting':
    case 'deleted':
      return state;
    default:
      return 'pending';
  }
}

/**
 * The states of these NAT gateways, in the same order. A gateway Describe does not know yet counts
 * as `pending`: right after CreateNatGateway, AWS may answer InvalidNatGatewayID.NotFound (eventual
 * consistency). Filtering by `nat-gateway-id` instead of passing NatGatewayIds makes such ids absent
 * rather than failing the whole call.
 */
export async function describeNatGateways(
  ids: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<NatGatewayStatus[]> {
  if (ids.length === 0) return [];
  let gateways: NatGateway[] = [];
  try {
    gateways = await describeNatGatewayList([{ Name: 'nat-gateway-id', Values: [...ids] }], ec2);
  } catch (error) {
    // DescribeNatGateways spells it NatGatewayNotFound (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling).
    if (!hasCode(error, 'NatGatewayNotFound', 'InvalidNatGatewayID.NotFound')) throw error;
  }
  return ids.map((id) => {
    const gateway = gateways.find((candidate) => candidate.NatGatewayId === id);
    const status: NatGatewayStatus = { id, state: natGatewayState(gateway?.State) };
    if (gateway?.FailureCode) status.failureCode = gateway.FailureCode;
    if (gateway?.FailureMessage) status.failureMessage = gateway.FailureMessage;
    return status;
  });
}

/** 0.0.0.0/0 of each application route table → the NAT gateway of its AZ (or the single one); call once they are available. */
export async function routeAppSubnetsThroughNat(
  env: EnvironmentRef,
  appRouteTableIds: readonly string[],
  natGatewayIds: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<void> {
  if (natGatewayIds.length === 0 || appRouteTableIds.length === 0) return;
  // Only the environment's own tables: a wrong id must not re-route someone else's subnets.
  const tables = await describeRouteTables(
    [...environmentFilters(env.id), { Name: 'route-table-id', Values: [...appRouteTableIds] }],
    ec2,
  );
  for (const [zone, routeTableId] of appRouteTableIds.entries()) {
    const table = tables.find((candidate) => candidate.RouteTableId === routeTableId);
    if (!table) throw new Error(`route table ${routeTableId} is not one of environment ${env.id}`);
    const nat = natGatewayForZone(zone, natGatewayIds.length);
    const natGatewayId = nat === undefined ? undefined : natGatewayIds[nat];
    if (natGatewayId === undefined) continue;
    await ensureDefaultRoute(table, routeTableId, { natGatewayId }, ec2);
  }
}

/**
 * The whole network in dependency order: zones, VPC, subnets, internet gateway, route tables,
 * security groups, NAT gateways (created, not waited for). The workflow then waits for the NAT
 * gateways (`describeNatGateways`) and calls `routeAppSubnetsThroughNat`.
 */
export async function provisionNetwork(
  env: EnvironmentRef,
  network: NetworkSpec,
  cidr: string,
  containerPorts: readonly number[] = [],
  ec2: EC2Client = defaultEc2,
): Promise<NetworkResources> {
  // Every id made below is used at once: retry EC2's read-after-create NotFound for them.
  readAfterCreate(ec2);
  const zones = await listAvailabilityZones(network.availabilityZones, ec2);
  const plan = planSubnets(cidr, zones.length);
  const vpcId = await ensureVpc(env, cidr, ec2);
  const subnets = await ensureSubnets(env, vpcId, plan, zones, ec2);
  const internetGatewayId = await ensureInternetGateway(env, vpcId, ec2);
  const routeTables = await ensureRouteTables(env, vpcId, subnets, internetGatewayId, ec2);
  const securityGroups = await ensureSecurityGroups(
    env,
    vpcId,
    containerPorts,
    network.allowedIngressCidrs,
    ec2,
  );
  const natGateways = await ensureNatGateways(env, network.natGateways, subnets.public, ec2);
  return {
    vpcId,
    cidr: formatCidr(parseCidr(cidr)),
    zones,
    subnets,
    internetGatewayId,
    routeTables,
    securityGroups,
    natGateways,
  };
}

// ---------------------------------------------------------------------------------------------
// Teardown
// ---------------------------------------------------------------------------------------------

/** Everything of an environment's network that still exists, found by the environment tag. */
export interface NetworkInventory {
  vpcs: { id: string; cidr?: string }[];
  subnets: { id: string; vpcId?: string }[];
  internetGateways: { id: string; attachedVpcIds: string[] }[];
  /** Explicit (non-main) subnet associations: they block DeleteRouteTable. */
  routeTables: { id: string; associationIds: string[] }[];
  /** Ingress rules that reference other groups: they block deleting the referenced group. */
  securityGroups: { id: string; groupReferences: IpPermission[] }[];
  /** Every NAT gateway not yet `deleted`. */
  natGateways: { id: string; state: NatGatewayState; allocationIds: string[] }[];
  addresses: { allocationId: string; associationId?: string }[];
  /** Network interfaces in the environment's VPCs, tagged or not (NAT, ALB and task ENIs are AWS's). */
  networkInterfaces: {
    id: string;
    subnetId?: string;
    status?: string;
    type?: string;
    requesterManaged: boolean;
    description?: string;
  }[];
}

/** Codes meaning "something still depends on it; try again later". */
const BLOCKING_CODES = new Set([
  'DependencyViolation',
  'InvalidIPAddress.InUse',
  'InvalidNetworkInterface.InUse',
  // DetachInternetGateway while the VPC still has mapped public addresses (a NAT gateway's EIP).
  'Resource.AlreadyAssociated',
]);

type DeleteOutcome = 'deleted' | 'gone' | 'blocked';

/** Runs one delete: `*.NotFound` means gone already, a blocking code is recorded; anything else propagates. */
async function attemptDelete(
  resource: string,
  blocked: Blocker[],
  remove: () => Promise<unknown>,
  explain = '',
): Promise<DeleteOutcome> {
  try {
    await remove();
    return 'deleted';
  } catch (error) {
    if (isNotFound(error)) return 'gone';
    const code = errorCode(error);
    if (code !== undefined && BLOCKING_CODES.has(code)) {
      const message = error instanceof Error ? error.message : String(error);
      blocked.push({ resource, code, message: explain ? `${message} (${explain})` : message });
      return 'blocked';
    }
    throw error;
  }
}

function progress(blocked: Blocker[]): TeardownProgress {
  return { done: blocked.length === 0, blocked };
}

/** Lists everything the environment's network still has (tag `berth:environment`), NAT gateways not `deleted`. */
export async function findNetwork(
  environmentId: string,
  ec2: EC2Client = defaultEc2,
): Promise<NetworkInventory> {
  const tagged = environmentFilters(environmentId);
  const [vpcs, subnets, gateways, tables, groups, nats, addresses] = await Promise.all([
    describeVpcs(tagged, ec2),
    describeSubnets(tagged, ec2),
    describeInternetGateways(tagged, ec2),
    describeRouteTables(tagged, ec2),
    describeSecurityGroups(tagged, ec2),
    describeNatGatewayList(
      [...tagged, { Name: 'state', Values: ['pending', 'available', 'failed', 'deleting'] }],
      ec2,
    ),
    ec2.send(new DescribeAddressesCommand({ Filters: tagged })),
  ]);
  const vpcIds = vpcs.flatMap((vpc) => vpc.VpcId ?? []);
  const interfaces =
    vpcIds.length === 0
      ? []
      : await collect(
          paginateDescribeNetworkInterfaces(
            { client: ec2 },
            { Filters: [{ Name: 'vpc-id', Values: vpcIds }] },
          ),
          (page) => page.NetworkInterfaces,
        );
  return {
    vpcs: vpcs.flatMap((vpc) => (vpc.VpcId ? [{ id: vpc.VpcId, cidr: vpc.CidrBlock }] : [])),
    subnets: subnets.flatMap((subnet) =>
      subnet.SubnetId ? [{ id: subnet.SubnetId, vpcId: subnet.VpcId }] : [],
    ),
    internetGateways: gateways.flatMap((gateway) =>
      gateway.InternetGatewayId
        ? [
            {
              id: gateway.InternetGatewayId,
              attachedVpcIds: gateway.Attachments?.flatMap((a) => a.VpcId ?? []) ?? [],
            },
          ]
        : [],
    ),
    routeTables: tables.flatMap((table) =>
      table.RouteTableId
        ? [
            {
              id: table.RouteTableId,
              associationIds: (table.Associations ?? []).flatMap((association) =>
                !association.Main && association.RouteTableAssociationId
                  ? [association.RouteTableAssociationId]
                  : [],
              ),
            },
          ]
        : [],
    ),
    securityGroups: groups.flatMap((group) =>
      group.GroupId
        ? [
            {
              id: group.GroupId,
              groupReferences: (group.IpPermissions ?? []).flatMap((permission) =>
                permission.UserIdGroupPairs?.length
                  ? [
                      {
                        IpProtocol: permission.IpProtocol,
                        FromPort: permission.FromPort,
                        ToPort: permission.ToPort,
                        UserIdGroupPairs: permission.UserIdGroupPairs.map((pair) => ({
                          GroupId: pair.GroupId,
                        })),
                      },
                    ]
                  : [],
              ),
            },
          ]
        : [],
    ),
    natGateways: nats.flatMap((nat) =>
      nat.NatGatewayId
        ? [
            {
              id: nat.NatGatewayId,
              state: natGatewayState(nat.State),
              allocationIds: nat.NatGatewayAddresses?.flatMap((address) => address.AllocationId ?? []) ?? [],
            },
          ]
        : [],
    ),
    addresses: (addresses.Addresses ?? []).flatMap((address) =>
      address.AllocationId
        ? [{ allocationId: address.AllocationId, associationId: address.AssociationId }]
        : [],
    ),
    networkInterfaces: interfaces.flatMap((eni) =>
      eni.NetworkInterfaceId
        ? [
            {
              id: eni.NetworkInterfaceId,
              subnetId: eni.SubnetId,
              status: eni.Status,
              type: eni.InterfaceType,
              requesterManaged: eni.RequesterManaged ?? false,
              description: eni.Description,
            },
          ]
        : [],
    ),
  };
}

/** Deletes NAT gateways (idempotent); one still `deleting` blocks until AWS has finished. */
export async function deleteNatGateways(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const nat of network.natGateways) {
    if (nat.state === 'deleted') continue;
    const outcome =
      nat.state === 'deleting'
        ? 'deleted'
        : await attemptDelete(nat.id, blocked, () =>
            ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.id })),
          );
    // DeleteNatGateway returns at once; the gateway (with its ENI and address) lingers while `deleting`.
    if (outcome === 'deleted') {
      blocked.push({
        resource: nat.id,
        code: 'NatGatewayDeleting',
        message: `NAT gateway ${nat.id} is still deleting`,
      });
    }
  }
  return progress(blocked);
}

/** Releases Elastic IPs once no live NAT gateway holds them (else InvalidIPAddress.InUse). */
export async function releaseAddresses(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const address of network.addresses) {
    const holder = network.natGateways.find(
      (nat) => nat.state !== 'deleted' && nat.allocationIds.includes(address.allocationId),
    );
    if (holder) {
      // Skipping the call spares a mutating request that can only fail with InvalidIPAddress.InUse.
      blocked.push({
        resource: address.allocationId,
        code: 'InvalidIPAddress.InUse',
        message: `Elastic IP ${address.allocationId} is held by NAT gateway ${holder.id} (${holder.state})`,
      });
      continue;
    }
    await attemptDelete(address.allocationId, blocked, () =>
      ec2.send(new ReleaseAddressCommand({ AllocationId: address.allocationId })),
    );
  }
  return progress(blocked);
}

/** Detaches internet gateways from their VPCs, then deletes them. */
export async function detachAndDeleteInternetGateways(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const gateway of network.internetGateways) {
    let detached = true;
    for (const vpcId of gateway.attachedVpcIds) {
      // DependencyViolation while the VPC still has mapped public addresses (NAT gateways' EIPs);
      // Gateway.NotAttached: a previous pass detached it already.
      const outcome = await attemptDelete(gateway.id, blocked, async () => {
        try {
          await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: gateway.id, VpcId: vpcId }));
        } catch (error) {
          if (!hasCode(error, 'Gateway.NotAttached')) throw error;
        }
      });
      if (outcome === 'blocked') detached = false;
    }
    if (!detached) continue;
    await attemptDelete(gateway.id, blocked, () =>
      ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: gateway.id })),
    );
  }
  return progress(blocked);
}

/** Deletes detached ENIs left in the VPC that we may delete (AWS-managed ones go by themselves). */
export async function deleteDetachedNetworkInterfaces(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const eni of network.networkInterfaces) {
    if (eni.status !== 'available' || eni.requesterManaged) continue;
    await attemptDelete(eni.id, blocked, () =>
      ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.id })),
    );
  }
  return progress(blocked);
}

/** Disassociates route tables from their subnets, then deletes them (the VPC's main table goes with the VPC). */
export async function deleteRouteTables(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const table of network.routeTables) {
    for (const associationId of table.associationIds) {
      await attemptDelete(table.id, blocked, () =>
        ec2.send(new DisassociateRouteTableCommand({ AssociationId: associationId })),
      );
    }
    await attemptDelete(table.id, blocked, () =>
      ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.id })),
    );
  }
  return progress(blocked);
}

/**
 * Who holds an ENI, from what AWS writes into it: NAT gateways set the interface type, ALBs the
 * description `ELB app/<name>/<id>`, ECS the description of the task's attachment ARN.
 */
function eniHolder(eni: NetworkInventory['networkInterfaces'][number]): string {
  if (eni.type === 'nat_gateway') return 'NAT gateway';
  const description = eni.description ?? '';
  if (description.startsWith('ELB ')) return `load balancer ${description.slice('ELB '.length)}`;
  if (/^arn:aws[a-z-]*:ecs:/.test(description)) return 'ECS task';
  return eni.type ?? 'interface';
}

/** Deletes subnets; DependencyViolation names the ENIs still in the subnet and who holds them. */
export async function deleteSubnets(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const subnet of network.subnets) {
    const enis = network.networkInterfaces
      .filter((eni) => eni.subnetId === subnet.id)
      .map((eni) => `${eni.id} (${eniHolder(eni)}${eni.status ? `, ${eni.status}` : ''})`);
    const explain = enis.length > 0 ? `network interfaces in the subnet: ${enis.join(', ')}` : '';
    await attemptDelete(
      subnet.id,
      blocked,
      () => ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.id })),
      explain,
    );
  }
  return progress(blocked);
}

/** Revokes rules that reference other groups (they block deleting those groups), then deletes the groups. */
export async function deleteSecurityGroups(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const group of network.securityGroups) {
    if (group.groupReferences.length === 0) continue;
    try {
      await ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: group.id, IpPermissions: group.groupReferences }),
      );
    } catch (error) {
      // InvalidPermission.NotFound: a previous pass revoked them.
      if (!isNotFound(error) && !hasCode(error, 'InvalidPermission.NotFound')) throw error;
    }
  }
  for (const group of network.securityGroups) {
    await attemptDelete(group.id, blocked, () =>
      ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.id })),
    );
  }
  return progress(blocked);
}

/** Deletes the VPC (with its main route table and default security group). */
export async function deleteVpc(
  network: NetworkInventory,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const blocked: Blocker[] = [];
  for (const vpc of network.vpcs) {
    await attemptDelete(vpc.id, blocked, () => ec2.send(new DeleteVpcCommand({ VpcId: vpc.id })));
  }
  return progress(blocked);
}

/**
 * One teardown pass in reverse dependency order. Never waits: what is still blocked (a NAT gateway
 * deleting, an ENI draining → DependencyViolation) is reported, and the workflow calls again later.
 * `done` when nothing tagged with the environment is left to delete.
 */
export async function teardownNetworkPass(
  environmentId: string,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const network = await findNetwork(environmentId, ec2);
  const steps = [
    deleteNatGateways,
    releaseAddresses,
    detachAndDeleteInternetGateways,
    deleteDetachedNetworkInterfaces,
    deleteRouteTables,
    deleteSubnets,
    deleteSecurityGroups,
    deleteVpc,
  ];
  const blocked: Blocker[] = [];
  for (const step of steps) blocked.push(...(await step(network, ec2)).blocked);
  return progress(blocked);
}
