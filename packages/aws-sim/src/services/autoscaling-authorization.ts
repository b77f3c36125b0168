/**
 * The IAM requests of the simulated Auto Scaling operations, as the Service Authorization Reference
 * lists them for Amazon EC2 Auto Scaling (docs/aws-facts.md#iam-enforcement-in-the-simulator).
 *
 * Why it exists: a group is authorised on its ARN
 * (`arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>`, the
 * uuid `*` for a group being created) with its tags as `autoscaling:ResourceTag/…` and
 * `aws:ResourceTag/…`; tags on create are authorised as `autoscaling:CreateOrUpdateTags`; and a group
 * created or updated with a launch template makes Auto Scaling check the caller's `ec2:RunInstances`
 * for that template and `iam:PassRole` of its instance profile (Auto Scaling guide, "Launch template
 * support"), so a role that may create groups cannot launch what it may not launch itself.
 *
 * A group named that does not exist is left out: the operation answers its own ValidationError.
 */
import type { AccessRequest } from '../iam/access';
import { arnOf, requestTagContext, resourceTagContext } from '../iam/access';
import { isRecord, readString } from '../input';
import type { Authorizer, OperationInput, SimContext } from '../kernel';
import type { AutoScalingGroupResource } from './autoscaling-model';
import { launchTemplateOf, launchTemplateUseRequests } from './ec2/authorization';
import type { Subnet } from './ec2/model';
import { asList } from './operation-input';

type Context = Record<string, string | readonly string[]>;

/** The ARN of a group being created: its uuid is not known before it exists. */
function newGroupArn(ctx: SimContext, name: string): string {
  return arnOf(ctx, 'autoscaling', `autoScalingGroup:*:autoScalingGroupName/${name}`);
}

function groupOf(input: OperationInput, ctx: SimContext): AutoScalingGroupResource | undefined {
  const name = readString(input, 'AutoScalingGroupName');
  return name === undefined ? undefined : ctx.store.get<AutoScalingGroupResource>('autoscaling-group', name);
}

/** An existing group's tags, under both keys the SAR lists for groups. */
function groupTagContext(group: AutoScalingGroupResource): Context {
  return { ...resourceTagContext(group.tags, 'autoscaling'), ...resourceTagContext(group.tags) };
}

/** `Tags` of CreateAutoScalingGroup as a map (the query protocol may wrap the list in `member`). */
function requestTags(input: OperationInput): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of asList(input.Tags, 'member')) {
    if (!isRecord(tag)) continue;
    const key = readString(tag, 'Key');
    if (key !== undefined && key !== '') tags[key] = readString(tag, 'Value') ?? '';
  }
  return tags;
}

/** The request's `LaunchTemplate` structure, if any. */
function launchTemplateSpec(input: OperationInput): OperationInput | undefined {
  const spec = input.LaunchTemplate;
  return isRecord(spec) ? spec : undefined;
}

/** `autoscaling:LaunchTemplateVersionSpecified`: true when a version number, not `$Latest`/`$Default`, is named. */
function versionSpecified(spec: OperationInput | undefined): Context {
  if (spec === undefined) return {};
  const version = readString(spec, 'Version');
  const specified = version !== undefined && version !== '' && !version.startsWith('$');
  return { 'autoscaling:LaunchTemplateVersionSpecified': String(specified) };
}

function subnetsOf(zoneIdentifier: string | undefined): string[] {
  return (zoneIdentifier ?? '')
    .split(',')
    .map((subnet) => subnet.trim())
    .filter((subnet) => subnet !== '');
}

/** The launch checks of a group's template; none when the template does not exist (the operation refuses it). */
function launchChecks(
  ctx: SimContext,
  spec: OperationInput | undefined,
  subnetIds: readonly string[],
): AccessRequest[] {
  if (spec === undefined) return [];
  const template = launchTemplateOf(spec, ctx);
  if (template === undefined) return [];
  // Only subnets that exist are launched into; the operation answers for the others.
  const known = subnetIds.filter((id) => ctx.store.get<Subnet>('subnet', id) !== undefined);
  return launchTemplateUseRequests(ctx, template, known);
}

function createAutoScalingGroup(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const name = readString(input, 'AutoScalingGroupName') ?? '';
  const resource = newGroupArn(ctx, name);
  const tags = requestTags(input);
  const spec = launchTemplateSpec(input);
  const tagging: AccessRequest[] =
    Object.keys(tags).length === 0
      ? []
      : [{ action: 'autoscaling:CreateOrUpdateTags', resource, context: requestTagContext(tags) }];
  return [
    {
      action: 'autoscaling:CreateAutoScalingGroup',
      resource,
      context: { ...requestTagContext(tags), ...versionSpecified(spec) },
    },
    ...tagging,
    ...launchChecks(ctx, spec, subnetsOf(readString(input, 'VPCZoneIdentifier'))),
  ];
}

/** UpdateAutoScalingGroup: the group, and the launch checks only when the update names a template. */
function updateAutoScalingGroup(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const group = groupOf(input, ctx);
  if (group === undefined) return [];
  const spec = launchTemplateSpec(input);
  const zoneIdentifier = readString(input, 'VPCZoneIdentifier');
  return [
    {
      action: 'autoscaling:UpdateAutoScalingGroup',
      resource: group.arn,
      context: { ...groupTagContext(group), ...versionSpecified(spec) },
    },
    ...launchChecks(ctx, spec, zoneIdentifier === undefined ? group.subnets : subnetsOf(zoneIdentifier)),
  ];
}

/**
 * DeleteAutoScalingGroup: the group with its tags and `autoscaling:ForceDelete`. The instances a
 * forced delete terminates are terminated by Auto Scaling's service-linked role, not the caller.
 */
function deleteAutoScalingGroup(input: OperationInput, ctx: SimContext): AccessRequest[] {
  const group = groupOf(input, ctx);
  if (group === undefined) return [];
  const force = readString(input, 'ForceDelete') === 'true';
  return [
    {
      action: 'autoscaling:DeleteAutoScalingGroup',
      resource: group.arn,
      context: { ...groupTagContext(group), 'autoscaling:ForceDelete': String(force) },
    },
  ];
}

/** Every operation the simulated Auto Scaling serves, with the requests AWS evaluates for it. */
export const autoscalingAuthorization: Record<string, Authorizer> = {
  CreateAutoScalingGroup: createAutoScalingGroup,
  DeleteAutoScalingGroup: deleteAutoScalingGroup,
  // The SAR lists no resource type for Describe calls: `*` only.
  DescribeAutoScalingGroups: () => [{ action: 'autoscaling:DescribeAutoScalingGroups', resource: '*' }],
  UpdateAutoScalingGroup: updateAutoScalingGroup,
};
