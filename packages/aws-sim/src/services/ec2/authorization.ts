/**
 * The IAM requests of every simulated EC2 operation, as the Service Authorization Reference lists
 * them for Amazon EC2 (docs/aws-facts.md#iam-enforcement-in-the-simulator): the action on the ARN of
 * each resource type the action names, with `aws:RequestTag/…` + `aws:TagKeys` on the resource being
 * created and `aws:ResourceTag/…` (and EC2's alias `ec2:ResourceTag/…`) on the existing ones.
 *
 * Why it exists: berth's roles grant creates only with its tag in the request and changes only on
 * resources carrying it, so the simulator must build exactly the requests EC2 evaluates, including the
 * implicit `ec2:CreateTags` (with `ec2:CreateAction`) that tagging on create needs. The caller's
 * `ec2:RunInstances` check that Auto Scaling makes for a launch template is built here too
 * (`launchTemplateUseRequests`), since its resource types are EC2's.
 *
 * A resource named by id that does not exist is left out: the operation then answers EC2's own
 * NotFound code, as it does when there is nothing to evaluate tags on.
 */
import type { AccessRequest } from '../../iam/access';
import { arnOf, passRole, requestTagContext, resourceTagContext } from '../../iam/access';
import type { IamState } from '../../iam/identities';
import { readRecord, readRecordList, readString, readStringList } from '../../input';
import type { Authorizer, OperationInput, SimContext, SimResource } from '../../kernel';
import { roleNameOfInstanceProfile } from '../iam/instance-profiles';
import type { LaunchTemplate, RouteTable, SecurityGroup, Subnet } from './model';
import { type ResourcePrefix, resourceKinds } from './model';

type Context = Record<string, string | readonly string[]>;

/** `arn:aws:ec2:<region>:<account>:<type>/<id>`; `*` as the id names a resource being created. */
export function ec2Arn(ctx: SimContext, type: string, id = '*'): string {
  return arnOf(ctx, 'ec2', `${type}/${id}`);
}

/** The tag keys of an existing EC2 resource: `aws:ResourceTag/…` and EC2's `ec2:ResourceTag/…`. */
function existingTagContext(tags: Readonly<Record<string, string>>): Context {
  return { ...resourceTagContext(tags), ...resourceTagContext(tags, 'ec2') };
}

/** The action on one existing resource, or nothing when the id names none (the operation answers NotFound). */
function onExisting(
  ctx: SimContext,
  action: string,
  prefix: ResourcePrefix,
  id: string | undefined,
  extra: Context = {},
): AccessRequest[] {
  if (id === undefined || id === '') return [];
  const kind = resourceKinds[prefix];
  const resource = ctx.store.get<SimResource>(kind.type, id);
  if (resource === undefined) return [];
  return [
    {
      action,
      resource: ec2Arn(ctx, kind.tagType, id),
      context: { ...existingTagContext(resource.tags), ...extra },
    },
  ];
}

/** The tags of the request's `TagSpecification` entries for one resource type (others are the operation's to reject). */
function specifiedTags(input: OperationInput, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of readRecordList(input, 'TagSpecification')) {
    if (readString(spec, 'ResourceType') !== resourceType) continue;
    for (const tag of readRecordList(spec, 'Tag')) {
      const key = readString(tag, 'Key');
      if (key !== undefined && key !== '') tags[key] = readString(tag, 'Value') ?? '';
    }
  }
  return tags;
}

/** True when the request carries a `TagSpecification` for the resource type (even one without tags). */
function hasSpecification(input: OperationInput, resourceType: string): boolean {
  return readRecordList(input, 'TagSpecification').some(
    (spec) => readString(spec, 'ResourceType') === resourceType,
  );
}

/**
 * Tagging on create: `ec2:CreateTags` on the new resource with `ec2:CreateAction` and the request's
 * tags, only when the request tags it (EC2 guide, "Grant permission to tag resources during creation").
 */
function createTags(
  resource: string,
  createAction: string,
  tags: Readonly<Record<string, string>>,
): AccessRequest[] {
  if (Object.keys(tags).length === 0) return [];
  return [
    {
      action: 'ec2:CreateTags',
      resource,
      context: { ...requestTagContext(tags), 'ec2:CreateAction': createAction },
    },
  ];
}

/**
 * A create: the action on `<type>/*` with the request tags, then on the parents the SAR lists for it,
 * then the implicit CreateTags.
 */
function creating(
  operation: string,
  type: string,
  parents: (input: OperationInput, ctx: SimContext) => AccessRequest[] = () => [],
): Authorizer {
  return (input, ctx) => {
    const tags = specifiedTags(input, type);
    const resource = ec2Arn(ctx, type);
    return [
      { action: `ec2:${operation}`, resource, context: requestTagContext(tags) },
      ...parents(input, ctx),
      ...createTags(resource, operation, tags),
    ];
  };
}

/** An operation on existing resources named by input members: `[prefix, member]` pairs, in SAR order. */
function onMembers(operation: string, ...members: Array<[ResourcePrefix, string]>): Authorizer {
  return (input, ctx) =>
    members.flatMap(([prefix, member]) =>
      onExisting(ctx, `ec2:${operation}`, prefix, readString(input, member)),
    );
}

/** The Describe calls EC2 authorises on `*` only (the SAR lists no resource type for them). */
function onEverything(operation: string): Authorizer {
  return () => [{ action: `ec2:${operation}`, resource: '*' }];
}

/** The security group an operation names by `GroupId`, or by `GroupName` as the operation finds it. */
function securityGroupOf(input: OperationInput, ctx: SimContext): string | undefined {
  const groupId = readString(input, 'GroupId');
  if (groupId !== undefined && groupId !== '') return groupId;
  const groupName = readString(input, 'GroupName');
  return ctx.store.list<SecurityGroup>('security-group').find((group) => group.groupName === groupName)?.id;
}

/**
 * Authorize…: the group, and, only when the request has TagSpecifications, the new
 * `security-group-rule/*` with its tags and the implicit CreateTags (SAR: "policies using the
 * security-group-rule resource-level permission are only enforced when the API request includes
 * TagSpecifications").
 */
function authorizeRules(operation: string): Authorizer {
  return (input, ctx) => {
    const action = `ec2:${operation}`;
    const onGroup = onExisting(ctx, action, 'sg', securityGroupOf(input, ctx));
    if (!hasSpecification(input, 'security-group-rule')) return onGroup;
    const tags = specifiedTags(input, 'security-group-rule');
    const resource = ec2Arn(ctx, 'security-group-rule');
    return [
      ...onGroup,
      { action, resource, context: requestTagContext(tags) },
      ...createTags(resource, operation, tags),
    ];
  };
}

function isPrefix(prefix: string): prefix is ResourcePrefix {
  return prefix in resourceKinds;
}

/** The store's kind for an id (`vpc-…` → vpc), or undefined for an id EC2 would reject. */
function prefixOf(id: string): ResourcePrefix | undefined {
  const prefix = id.slice(0, id.indexOf('-'));
  return isPrefix(prefix) ? prefix : undefined;
}

/** CreateTags / DeleteTags: the action on each resource named, with its tags and the tags of the request. */
function tagging(operation: 'CreateTags' | 'DeleteTags'): Authorizer {
  return (input, ctx) => {
    const entries = readRecordList(input, 'Tag');
    const keys = entries.flatMap((tag) => {
      const key = readString(tag, 'Key');
      return key === undefined || key === '' ? [] : [key];
    });
    // DeleteTags may name a key without a value; only tags with a value are request tags.
    const withValues: Record<string, string> = {};
    for (const tag of entries) {
      const key = readString(tag, 'Key');
      const value = readString(tag, 'Value');
      if (key !== undefined && key !== '' && (value !== undefined || operation === 'CreateTags'))
        withValues[key] = value ?? '';
    }
    const requestContext: Context = {
      ...requestTagContext(withValues),
      ...(keys.length > 0 ? { 'aws:TagKeys': keys } : {}),
    };
    return readStringList(input, 'ResourceId').flatMap((id) => {
      const prefix = prefixOf(id);
      return prefix === undefined ? [] : onExisting(ctx, `ec2:${operation}`, prefix, id, requestContext);
    });
  };
}

/** The route table holding an association, and the subnet it associates (none for the main association). */
function disassociateRouteTable(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const associationId = readString(input, 'AssociationId');
  for (const table of ctx.store.list<RouteTable>('route-table')) {
    const association = table.associations.find((candidate) => candidate.associationId === associationId);
    if (association === undefined) continue;
    return [
      ...onExisting(ctx, 'ec2:DisassociateRouteTable', 'rtb', table.id),
      ...onExisting(ctx, 'ec2:DisassociateRouteTable', 'subnet', association.subnetId),
    ];
  }
  return [];
}

/** A launch template by `LaunchTemplateId`, else by `LaunchTemplateName` (undefined when there is none). */
export function launchTemplateOf(input: OperationInput, ctx: SimContext): LaunchTemplate | undefined {
  const id = readString(input, 'LaunchTemplateId');
  if (id !== undefined && id !== '') return ctx.store.get<LaunchTemplate>('launch-template', id);
  const name = readString(input, 'LaunchTemplateName');
  return ctx.store
    .list<LaunchTemplate>('launch-template')
    .find((template) => template.launchTemplateName === name);
}

/** CreateNatGateway's parents: the subnet, the address (public gateways), the subnet's VPC. */
function natGatewayParents(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const action = 'ec2:CreateNatGateway';
  const subnetId = readString(input, 'SubnetId');
  const subnet = subnetId === undefined ? undefined : ctx.store.get<Subnet>('subnet', subnetId);
  return [
    ...onExisting(ctx, action, 'subnet', subnetId),
    ...onExisting(ctx, action, 'eipalloc', readString(input, 'AllocationId')),
    ...onExisting(ctx, action, 'vpc', subnet?.vpcId),
  ];
}

/** The VPC a create goes into (CreateSubnet, CreateRouteTable, CreateSecurityGroup). */
function inVpc(operation: string): (input: OperationInput, ctx: SimContext) => AccessRequest[] {
  return (input, ctx) => onExisting(ctx, `ec2:${operation}`, 'vpc', readString(input, 'VpcId'));
}

/**
 * CreateVpcEndpoint (SAR): the new `vpc-endpoint/*` with the request tags, then the VPC and each
 * subnet, security group and route table named, then the implicit CreateTags.
 */
function vpcEndpointParents(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const action = 'ec2:CreateVpcEndpoint';
  const each = (prefix: ResourcePrefix, member: string) =>
    readStringList(input, member).flatMap((id) => onExisting(ctx, action, prefix, id));
  return [
    ...onExisting(ctx, action, 'vpc', readString(input, 'VpcId')),
    ...each('subnet', 'SubnetId'),
    ...each('sg', 'SecurityGroupId'),
    ...each('rtb', 'RouteTableId'),
  ];
}

/** CreateVpcEndpoint's requests, the new endpoint's with `ec2:VpceServiceName` (a SAR condition key). */
function createVpcEndpoint(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const [endpoint, ...rest] = creating('CreateVpcEndpoint', 'vpc-endpoint', vpcEndpointParents)(input, ctx);
  const serviceName = readString(input, 'ServiceName');
  if (endpoint === undefined || serviceName === undefined) return rest;
  return [{ ...endpoint, context: { ...endpoint.context, 'ec2:VpceServiceName': serviceName } }, ...rest];
}

/** DeleteVpcEndpoints: the action on each endpoint named. */
function deleteVpcEndpoints(input: OperationInput, ctx: SimContext): AccessRequest[] {
  return readStringList(input, 'VpcEndpointId').flatMap((id) =>
    onExisting(ctx, 'ec2:DeleteVpcEndpoints', 'vpce', id),
  );
}

/** Every operation the simulated EC2 serves, with the requests EC2 evaluates for it. */
export const ec2Authorization: Record<string, Authorizer> = {
  AllocateAddress: creating('AllocateAddress', 'elastic-ip'),
  AssociateRouteTable: onMembers('AssociateRouteTable', ['rtb', 'RouteTableId'], ['subnet', 'SubnetId']),
  AttachInternetGateway: onMembers('AttachInternetGateway', ['igw', 'InternetGatewayId'], ['vpc', 'VpcId']),
  AuthorizeSecurityGroupEgress: authorizeRules('AuthorizeSecurityGroupEgress'),
  AuthorizeSecurityGroupIngress: authorizeRules('AuthorizeSecurityGroupIngress'),
  CreateInternetGateway: creating('CreateInternetGateway', 'internet-gateway'),
  // The template's data (instance profile, AMI, groups) is not checked here but where it is used
  // (RunInstances, an Auto Scaling group): EC2 guide, "IAM permissions required for launch templates".
  CreateLaunchTemplate: creating('CreateLaunchTemplate', 'launch-template'),
  CreateNatGateway: creating('CreateNatGateway', 'natgateway', natGatewayParents),
  CreateRoute: onMembers('CreateRoute', ['rtb', 'RouteTableId']),
  CreateRouteTable: creating('CreateRouteTable', 'route-table', inVpc('CreateRouteTable')),
  CreateSecurityGroup: creating('CreateSecurityGroup', 'security-group', inVpc('CreateSecurityGroup')),
  CreateSubnet: creating('CreateSubnet', 'subnet', inVpc('CreateSubnet')),
  CreateTags: tagging('CreateTags'),
  CreateVpc: creating('CreateVpc', 'vpc'),
  CreateVpcEndpoint: createVpcEndpoint,
  DeleteInternetGateway: onMembers('DeleteInternetGateway', ['igw', 'InternetGatewayId']),
  DeleteLaunchTemplate: (input, ctx) =>
    onExisting(ctx, 'ec2:DeleteLaunchTemplate', 'lt', launchTemplateOf(input, ctx)?.id),
  DeleteNatGateway: onMembers('DeleteNatGateway', ['nat', 'NatGatewayId']),
  DeleteNetworkInterface: onMembers('DeleteNetworkInterface', ['eni', 'NetworkInterfaceId']),
  DeleteRoute: onMembers('DeleteRoute', ['rtb', 'RouteTableId']),
  DeleteRouteTable: onMembers('DeleteRouteTable', ['rtb', 'RouteTableId']),
  DeleteSecurityGroup: (input, ctx) =>
    onExisting(ctx, 'ec2:DeleteSecurityGroup', 'sg', securityGroupOf(input, ctx)),
  DeleteSubnet: onMembers('DeleteSubnet', ['subnet', 'SubnetId']),
  DeleteTags: tagging('DeleteTags'),
  DeleteVpc: onMembers('DeleteVpc', ['vpc', 'VpcId']),
  DeleteVpcEndpoints: deleteVpcEndpoints,
  DescribeAddresses: onEverything('DescribeAddresses'),
  DescribeAvailabilityZones: onEverything('DescribeAvailabilityZones'),
  DescribeInternetGateways: onEverything('DescribeInternetGateways'),
  DescribeLaunchTemplates: onEverything('DescribeLaunchTemplates'),
  DescribeLaunchTemplateVersions: onEverything('DescribeLaunchTemplateVersions'),
  DescribeNatGateways: onEverything('DescribeNatGateways'),
  DescribeNetworkInterfaces: onEverything('DescribeNetworkInterfaces'),
  DescribeRouteTables: onEverything('DescribeRouteTables'),
  DescribeSecurityGroups: onEverything('DescribeSecurityGroups'),
  DescribeSubnets: onEverything('DescribeSubnets'),
  DescribeTags: onEverything('DescribeTags'),
  // Unlike the other Describe calls, the SAR gives this one the vpc resource type.
  DescribeVpcAttribute: onMembers('DescribeVpcAttribute', ['vpc', 'VpcId']),
  DescribeVpcs: onEverything('DescribeVpcs'),
  DescribeVpcEndpoints: onEverything('DescribeVpcEndpoints'),
  DetachInternetGateway: onMembers('DetachInternetGateway', ['igw', 'InternetGatewayId'], ['vpc', 'VpcId']),
  DisassociateRouteTable: disassociateRouteTable,
  ModifySubnetAttribute: onMembers('ModifySubnetAttribute', ['subnet', 'SubnetId']),
  ModifyVpcAttribute: onMembers('ModifyVpcAttribute', ['vpc', 'VpcId']),
  ReleaseAddress: onMembers('ReleaseAddress', ['eipalloc', 'AllocationId']),
  ReplaceRoute: onMembers('ReplaceRoute', ['rtb', 'RouteTableId']),
  RevokeSecurityGroupEgress: (input, ctx) =>
    onExisting(ctx, 'ec2:RevokeSecurityGroupEgress', 'sg', securityGroupOf(input, ctx)),
  RevokeSecurityGroupIngress: (input, ctx) =>
    onExisting(ctx, 'ec2:RevokeSecurityGroupIngress', 'sg', securityGroupOf(input, ctx)),
};

/** The resource types RunInstances tags at launch from a template's TagSpecifications. */
const LAUNCH_TAGGED_TYPES = ['instance', 'volume', 'network-interface'] as const;

/**
 * What using a launch template asks of the caller, as Auto Scaling checks it when a group is created
 * or updated with one (Auto Scaling guide, "Launch template support"): `ec2:RunInstances` on every
 * resource of the launch (SAR scenario EC2-VPC-EBS-Subnet) with `ec2:LaunchTemplate`, `ec2:CreateTags`
 * with `ec2:CreateAction = RunInstances` for the template's tags, and `iam:PassRole` of the instance
 * profile's role to EC2.
 */
export function launchTemplateUseRequests(
  ctx: SimContext,
  template: LaunchTemplate,
  subnetIds: readonly string[],
): AccessRequest[] {
  const templateArn = ec2Arn(ctx, 'launch-template', template.id);
  const launch: Context = { 'ec2:LaunchTemplate': templateArn };
  const data = template.data;
  const requests: AccessRequest[] = [
    {
      action: 'ec2:RunInstances',
      resource: templateArn,
      context: { ...existingTagContext(template.tags), ...launch },
    },
  ];
  const imageId = readString(data, 'ImageId');
  // AMIs are regional and have no account in their ARN.
  if (imageId !== undefined && imageId !== '')
    requests.push({
      action: 'ec2:RunInstances',
      resource: `arn:aws:ec2:${ctx.region}::image/${imageId}`,
      context: launch,
    });
  for (const type of LAUNCH_TAGGED_TYPES) {
    const tags = specifiedTags(data, type);
    requests.push({
      action: 'ec2:RunInstances',
      resource: ec2Arn(ctx, type),
      context: { ...requestTagContext(tags), ...launch },
    });
  }
  for (const subnetId of subnetIds)
    requests.push(...onExisting(ctx, 'ec2:RunInstances', 'subnet', subnetId, launch));
  for (const groupId of securityGroupsOf(data))
    requests.push(...onExisting(ctx, 'ec2:RunInstances', 'sg', groupId, launch));
  const keyName = readString(data, 'KeyName');
  if (keyName !== undefined && keyName !== '')
    requests.push({
      action: 'ec2:RunInstances',
      resource: ec2Arn(ctx, 'key-pair', keyName),
      context: launch,
    });
  for (const type of LAUNCH_TAGGED_TYPES)
    requests.push(...createTags(ec2Arn(ctx, type), 'RunInstances', specifiedTags(data, type)));
  requests.push(...passRole(instanceProfileRole(ctx, data), 'ec2.amazonaws.com'));
  return requests;
}

/** The template's security groups: `SecurityGroupId`, and those of its network interfaces. */
function securityGroupsOf(data: OperationInput): string[] {
  const direct = readStringList(data, 'SecurityGroupId');
  const onInterfaces = readRecordList(data, 'NetworkInterface').flatMap((eni) =>
    readStringList(eni, 'SecurityGroupId'),
  );
  return [...new Set([...direct, ...onInterfaces])];
}

/**
 * The role in the template's instance profile. The simulator keeps no instance profiles, so the
 * profile's role is the role of the same name (as the IAM console creates them, and as berth's
 * template declares its profile); a role it does not know is still named by that ARN, so the check
 * is made and refuses.
 */
function instanceProfileRole(ctx: SimContext, data: OperationInput): string | undefined {
  const profile = readRecord(data, 'IamInstanceProfile');
  if (profile === undefined) return undefined;
  const arn = readString(profile, 'Arn');
  const profileName =
    arn !== undefined && arn !== '' ? arn.slice(arn.lastIndexOf('/') + 1) : readString(profile, 'Name');
  if (profileName === undefined || profileName === '') return undefined;
  const name = roleNameOfInstanceProfile(ctx, profileName);
  if (name === undefined) return undefined;
  return roleArnOf(ctx.iam, ctx.accountId, name);
}

function roleArnOf(iam: IamState, accountId: string, roleName: string): string {
  return iam.role(roleName)?.roleArn ?? `arn:aws:iam::${accountId}:role/${roleName}`;
}
