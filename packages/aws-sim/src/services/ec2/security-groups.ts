/**
 * Security groups and their rules. Rules are stored one per peer (a CIDR or a group) and grouped
 * back into EC2's `IpPermission` shape for Describe. Input: `IpPermissions: [{ IpProtocol, FromPort,
 * ToPort, IpRanges: [{ CidrIp, Description }], Groups: [{ GroupId, Description }] }]` (the ec2 wire
 * names), or the flat `IpProtocol` / `FromPort` / `ToPort` / `CidrIp` form.
 */
import { readInteger, readRecordList, readString, readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext } from '../../kernel';
import {
  applyFilters,
  cidrContains,
  find,
  type NetworkInterface,
  notFound,
  paginate,
  parseCidr,
  readFilters,
  requireParam,
  type SecurityGroup,
  type SecurityGroupRule,
  selectByIds,
  tagSet,
  tagsAtCreation,
  type Vpc,
} from './model';

export type Direction = 'ingress' | 'egress';

const protocolNames: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', all: '-1' };

/** The default security group every VPC is born with: all traffic from itself, all traffic out. */
export function createDefaultSecurityGroup(ctx: SimContext, vpcId: string): SecurityGroup {
  const id = ctx.ids.ec2('sg');
  return ctx.store.put<SecurityGroup>({
    type: 'security-group',
    id,
    tags: {},
    createdAt: ctx.clock.now(),
    groupName: 'default',
    description: 'default VPC security group',
    vpcId,
    isDefault: true,
    ingress: [{ ruleId: ctx.ids.ec2('sgr'), ipProtocol: '-1', referencedGroupId: id }],
    egress: [{ ruleId: ctx.ids.ec2('sgr'), ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' }],
  });
}

function groupArn(group: SecurityGroup, ctx: SimContext): string {
  return `arn:aws:ec2:${ctx.region}:${ctx.accountId}:security-group/${group.id}`;
}

/** Rules grouped by protocol and ports, as EC2's `ipPermissions` lists them. */
function permissionsView(rules: SecurityGroupRule[], ctx: SimContext) {
  const grouped = new Map<
    string,
    { ipProtocol: string; fromPort?: number; toPort?: number; groups: unknown[]; ipRanges: unknown[] }
  >();
  for (const rule of rules) {
    const key = `${rule.ipProtocol}|${rule.fromPort}|${rule.toPort}`;
    let permission = grouped.get(key);
    if (!permission) {
      permission = {
        ipProtocol: rule.ipProtocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        groups: [],
        ipRanges: [],
      };
      grouped.set(key, permission);
    }
    if (rule.cidrIpv4) permission.ipRanges.push({ cidrIp: rule.cidrIpv4, description: rule.description });
    if (rule.referencedGroupId) {
      permission.groups.push({
        groupId: rule.referencedGroupId,
        userId: ctx.accountId,
        description: rule.description,
      });
    }
  }
  return [...grouped.values()].map((permission) => ({ ...permission, ipv6Ranges: [], prefixListIds: [] }));
}

function securityGroupView(group: SecurityGroup, ctx: SimContext) {
  return {
    ownerId: ctx.accountId,
    groupName: group.groupName,
    groupId: group.id,
    groupDescription: group.description,
    ipPermissions: permissionsView(group.ingress, ctx),
    ipPermissionsEgress: permissionsView(group.egress, ctx),
    vpcId: group.vpcId,
    securityGroupArn: groupArn(group, ctx),
    tagSet: tagSet(group.tags),
  };
}

export function createSecurityGroup(input: OperationInput, ctx: SimContext): unknown {
  const groupName = requireParam(input, 'GroupName');
  const description = requireParam(input, 'GroupDescription');
  const vpcId = readString(input, 'VpcId');
  // The simulated account has no default VPC, so a group without VpcId cannot be placed.
  if (!vpcId) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
  const vpc = find<Vpc>(ctx, 'vpc', vpcId);
  if (groupName === 'default')
    throw new AwsError('InvalidParameterValue', 'Cannot use reserved security group name: default');
  if (groupName.startsWith('sg-')) {
    throw new AwsError(
      'InvalidParameterValue',
      `Invalid security group name. Group names may not be in the format sg-*.`,
    );
  }
  const duplicate = ctx.store
    .list<SecurityGroup>('security-group')
    .some((group) => group.vpcId === vpc.id && group.groupName === groupName);
  if (duplicate) {
    throw new AwsError(
      'InvalidGroup.Duplicate',
      `The security group '${groupName}' already exists for VPC '${vpc.id}'`,
    );
  }
  const group = ctx.store.put<SecurityGroup>({
    type: 'security-group',
    id: ctx.ids.ec2('sg'),
    tags: tagsAtCreation(input, 'security-group'),
    createdAt: ctx.clock.now(),
    groupName,
    description,
    vpcId: vpc.id,
    isDefault: false,
    ingress: [],
    egress: [{ ruleId: ctx.ids.ec2('sgr'), ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' }],
  });
  return { groupId: group.id, securityGroupArn: groupArn(group, ctx), tagSet: tagSet(group.tags) };
}

/** The group named by `GroupId` (or `GroupName`, unique only per VPC, so the first match). */
function targetGroup(input: OperationInput, ctx: SimContext): SecurityGroup {
  const groupId = readString(input, 'GroupId');
  if (groupId) return find<SecurityGroup>(ctx, 'sg', groupId);
  const groupName = readString(input, 'GroupName');
  if (!groupName)
    throw new AwsError('MissingParameter', 'The request must contain the parameter groupId or groupName');
  const group = ctx.store
    .list<SecurityGroup>('security-group')
    .find((candidate) => candidate.groupName === groupName);
  if (!group) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupName}' does not exist`);
  return group;
}

/** Rules described by a request (without ids); checks protocols, ports, CIDRs and referenced groups. */
function requestedRules(
  input: OperationInput,
  group: SecurityGroup,
  ctx: SimContext,
): Array<Omit<SecurityGroupRule, 'ruleId'>> {
  const permissions = readRecordList(input, 'IpPermissions');
  if (permissions.length === 0 && readString(input, 'IpProtocol') !== undefined) {
    const flat: OperationInput = { ...input };
    const cidr = readString(input, 'CidrIp');
    if (cidr) flat.IpRanges = [{ CidrIp: cidr }];
    permissions.push(flat);
  }
  if (permissions.length === 0)
    throw new AwsError('MissingParameter', 'The request must contain the parameter ipPermissions');
  const rules: Array<Omit<SecurityGroupRule, 'ruleId'>> = [];
  for (const permission of permissions) {
    const rawProtocol = (readString(permission, 'IpProtocol') ?? '').toLowerCase();
    const ipProtocol = protocolNames[rawProtocol] ?? rawProtocol;
    if (ipProtocol === '')
      throw new AwsError('MissingParameter', 'The request must contain the parameter ipProtocol');
    let fromPort = readInteger(permission, 'FromPort');
    let toPort = readInteger(permission, 'ToPort');
    if (ipProtocol === '-1') {
      fromPort = undefined;
      toPort = undefined;
    } else if (
      (ipProtocol === 'tcp' || ipProtocol === 'udp') &&
      (fromPort === undefined || toPort === undefined)
    ) {
      throw new AwsError(
        'InvalidParameterValue',
        "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange",
      );
    } else if (fromPort !== undefined && toPort !== undefined && ipProtocol !== 'icmp' && fromPort > toPort) {
      throw new AwsError(
        'InvalidParameterValue',
        `Invalid value '${fromPort}-${toPort}' for portRange. Must be in the range 0-65535.`,
      );
    }
    const base = { ipProtocol, fromPort, toPort };
    for (const range of readRecordList(permission, 'IpRanges')) {
      const cidrIpv4 = readString(range, 'CidrIp') ?? '';
      if (!parseCidr(cidrIpv4))
        throw new AwsError('InvalidParameterValue', `CIDR block ${cidrIpv4} is malformed`);
      rules.push({ ...base, cidrIpv4, description: readString(range, 'Description') });
    }
    for (const pair of readRecordList(permission, 'Groups')) {
      const referencedGroupId = readString(pair, 'GroupId');
      if (!referencedGroupId)
        throw new AwsError('MissingParameter', 'The request must contain the parameter groupId');
      const referenced = find<SecurityGroup>(ctx, 'sg', referencedGroupId);
      if (referenced.vpcId !== group.vpcId) {
        throw new AwsError(
          'InvalidGroup.NotFound',
          `The security group '${referencedGroupId}' does not exist in VPC '${group.vpcId}'`,
        );
      }
      rules.push({ ...base, referencedGroupId, description: readString(pair, 'Description') });
    }
  }
  return rules;
}

function sameRule(a: Omit<SecurityGroupRule, 'ruleId'>, b: Omit<SecurityGroupRule, 'ruleId'>): boolean {
  return (
    a.ipProtocol === b.ipProtocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.cidrIpv4 === b.cidrIpv4 &&
    a.referencedGroupId === b.referencedGroupId
  );
}

function describeRuleForError(rule: Omit<SecurityGroupRule, 'ruleId'>): string {
  const protocol = rule.ipProtocol === '-1' ? 'ALL' : rule.ipProtocol.toUpperCase();
  const ports = rule.fromPort === undefined ? '' : `, from port: ${rule.fromPort}, to port: ${rule.toPort}`;
  return `peer: ${rule.cidrIpv4 ?? rule.referencedGroupId}, ${protocol}${ports}, ALLOW`;
}

function ruleView(rule: SecurityGroupRule, group: SecurityGroup, isEgress: boolean, ctx: SimContext) {
  return {
    securityGroupRuleId: rule.ruleId,
    groupId: group.id,
    groupOwnerId: ctx.accountId,
    isEgress,
    ipProtocol: rule.ipProtocol,
    fromPort: rule.fromPort ?? -1,
    toPort: rule.toPort ?? -1,
    cidrIpv4: rule.cidrIpv4,
    referencedGroupInfo: rule.referencedGroupId
      ? { groupId: rule.referencedGroupId, userId: ctx.accountId }
      : undefined,
    description: rule.description,
  };
}

function authorize(direction: Direction) {
  return (input: OperationInput, ctx: SimContext): unknown => {
    const group = targetGroup(input, ctx);
    const existing = group[direction];
    const added: SecurityGroupRule[] = [];
    for (const rule of requestedRules(input, group, ctx)) {
      if ([...existing, ...added].some((other) => sameRule(other, rule))) {
        throw new AwsError(
          'InvalidPermission.Duplicate',
          `the specified rule "${describeRuleForError(rule)}" already exists`,
        );
      }
      added.push({ ...rule, ruleId: ctx.ids.ec2('sgr') });
    }
    existing.push(...added);
    return {
      return: true,
      securityGroupRuleSet: added.map((rule) => ruleView(rule, group, direction === 'egress', ctx)),
    };
  };
}

function revoke(direction: Direction) {
  return (input: OperationInput, ctx: SimContext): unknown => {
    const group = targetGroup(input, ctx);
    const ruleIds = readStringList(input, 'SecurityGroupRuleId');
    const toRemove =
      ruleIds.length > 0
        ? ruleIds.map((ruleId) => group[direction].find((rule) => rule.ruleId === ruleId))
        : requestedRules(input, group, ctx).map((wanted) =>
            group[direction].find((rule) => sameRule(rule, wanted)),
          );
    // Non-default VPC: nothing is revoked unless every rule matches (AWS: InvalidPermission.NotFound).
    if (toRemove.some((rule) => rule === undefined)) {
      throw new AwsError(
        'InvalidPermission.NotFound',
        'The specified rule does not exist in this security group.',
      );
    }
    group[direction] = group[direction].filter((rule) => !toRemove.includes(rule));
    return { return: true };
  };
}

export const authorizeSecurityGroupIngress = authorize('ingress');
export const authorizeSecurityGroupEgress = authorize('egress');
export const revokeSecurityGroupIngress = revoke('ingress');
export const revokeSecurityGroupEgress = revoke('egress');

export function describeSecurityGroups(input: OperationInput, ctx: SimContext): unknown {
  let groups = selectByIds(
    ctx.store.list<SecurityGroup>('security-group'),
    readStringList(input, 'GroupId'),
    (id) => notFound('sg', id),
  );
  const names = readStringList(input, 'GroupName');
  for (const name of names) {
    if (!groups.some((group) => group.groupName === name)) {
      throw new AwsError('InvalidGroup.NotFound', `The security group '${name}' does not exist`);
    }
  }
  if (names.length > 0) groups = groups.filter((group) => names.includes(group.groupName));
  const peers = (rules: SecurityGroupRule[]) => rules.map((rule) => rule.cidrIpv4);
  const filtered = applyFilters(groups, readFilters(input), {
    'group-id': (group) => group.id,
    'group-name': (group) => group.groupName,
    'vpc-id': (group) => group.vpcId,
    description: (group) => group.description,
    'owner-id': () => ctx.accountId,
    'ip-permission.cidr': (group) => peers(group.ingress),
    'ip-permission.group-id': (group) => group.ingress.map((rule) => rule.referencedGroupId),
    'ip-permission.from-port': (group) => group.ingress.map((rule) => rule.fromPort?.toString()),
    'ip-permission.to-port': (group) => group.ingress.map((rule) => rule.toPort?.toString()),
    'ip-permission.protocol': (group) => group.ingress.map((rule) => rule.ipProtocol),
    'egress.ip-permission.cidr': (group) => peers(group.egress),
    'egress.ip-permission.group-id': (group) => group.egress.map((rule) => rule.referencedGroupId),
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 1000 });
  return { securityGroupInfo: page.map((group) => securityGroupView(group, ctx)), nextToken };
}

export function deleteSecurityGroup(input: OperationInput, ctx: SimContext): unknown {
  const group = targetGroup(input, ctx);
  if (group.isDefault) {
    throw new AwsError(
      'CannotDelete',
      `the specified group: "${group.id}" name: "default" cannot be deleted by a user`,
    );
  }
  const referenced = ctx.store
    .list<SecurityGroup>('security-group')
    .some(
      (other) =>
        other.id !== group.id &&
        [...other.ingress, ...other.egress].some((rule) => rule.referencedGroupId === group.id),
    );
  const inUse = ctx.store
    .list<NetworkInterface>('network-interface')
    .some((eni) => eni.groups.includes(group.id));
  if (referenced || inUse)
    throw new AwsError('DependencyViolation', `resource ${group.id} has a dependent object`);
  ctx.store.delete('security-group', group.id);
  return { return: true, groupId: group.id };
}

/** Who sends or receives the traffic a rule is checked against: its security groups and address ranges. */
export interface TrafficPeer {
  groupIds: readonly string[];
  /** Every range must fall inside a CIDR rule for it to match (an ALB's subnets, a target's `/32`). */
  cidrs: readonly string[];
}

function ruleAllows(rule: SecurityGroupRule, port: number, peer: TrafficPeer): boolean {
  const protocolMatches =
    rule.ipProtocol === '-1' ||
    (rule.ipProtocol === 'tcp' &&
      rule.fromPort !== undefined &&
      rule.toPort !== undefined &&
      rule.fromPort <= port &&
      port <= rule.toPort);
  if (!protocolMatches) return false;
  if (rule.referencedGroupId !== undefined) return peer.groupIds.includes(rule.referencedGroupId);
  const outer = rule.cidrIpv4 === undefined ? undefined : parseCidr(rule.cidrIpv4);
  if (!outer || peer.cidrs.length === 0) return false;
  return peer.cidrs.every((text) => {
    const inner = parseCidr(text);
    return inner !== undefined && cidrContains(outer, inner);
  });
}

/**
 * Whether any of `groupIds` lets TCP on `port` in from (`ingress`) or out to (`egress`) the peer: a
 * rule for all traffic or a port range holding `port`, whose source is one of the peer's groups or a
 * CIDR covering all of its ranges. Security groups only allow, so one matching rule is enough.
 */
export function securityGroupsAllow(
  ctx: SimContext,
  direction: Direction,
  groupIds: readonly string[],
  port: number,
  peer: TrafficPeer,
): boolean {
  return groupIds.some((id) => {
    const group = ctx.store.get<SecurityGroup>('security-group', id);
    return group?.[direction].some((rule) => ruleAllows(rule, port, peer)) ?? false;
  });
}

/** The VPC's default security group, which AWS gives a load balancer created without any. */
export function defaultSecurityGroupOf(ctx: SimContext, vpcId: string): string | undefined {
  return ctx.store
    .list<SecurityGroup>('security-group')
    .find((group) => group.vpcId === vpcId && group.isDefault)?.id;
}
