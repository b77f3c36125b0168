/**
 * The VPC endpoints of an environment without NAT gateways: ECR API and Docker, CloudWatch Logs,
 * Secrets Manager / SSM as the spec needs (Interface, private DNS, in the application subnets, behind
 * a security group that admits 443 from the services' group) and S3 (Gateway, on the application
 * route tables). Which ones: shared/domain/vpc-endpoints.ts; why:
 * docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat.
 *
 * Idempotency: each endpoint carries `berth:part` = `endpoint-<service>` and is found by tag first;
 * CreateVpcEndpoint also takes a ClientToken derived from the environment, the service and any
 * earlier endpoint of that part that failed, so a retried create answers the same endpoint. Nothing
 * waits here: `describeVpcEndpointStates` is polled by the workflow.
 */
import { createHash } from 'node:crypto';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  EC2Client,
  type Filter,
  paginateDescribeSecurityGroups,
  paginateDescribeVpcEndpoints,
  type ResourceType,
  type Tag,
  type TagSpecification,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  type EnvironmentRef,
  environmentTags,
  envKey,
  names,
  TAG_ENVIRONMENT,
  tagList,
} from '../domain/naming';
import { required } from '../domain/required';
import { ENDPOINT_PORT, type EndpointType, type PlannedEndpoint } from '../domain/vpc-endpoints';
import { hasCode } from './errors';
import { TAG_PART } from './network';
import { readAfterCreate } from './read-after-create';
import { stepCallsToThrottledApis } from './retry-budget';
import { type Blocker, collect, type TeardownProgress } from './teardown';
import { traced } from './tracing';

/** Region, credentials and endpoint come from the environment (`AWS_REGION`, `AWS_ENDPOINT_URL_EC2`). */
const defaultEc2 = /* @__PURE__ */ traced(/* @__PURE__ */ new EC2Client(stepCallsToThrottledApis));

const GROUP_PART = 'sg-endpoints';
const endpointPart = (service: string) => `endpoint-${service}`;

export type VpcEndpointState =
  | 'pendingAcceptance'
  | 'pending'
  | 'available'
  | 'deleting'
  | 'deleted'
  | 'rejected'
  | 'failed'
  | 'expired';

/** One endpoint of the environment, as the outputs list it. */
export interface EndpointRef {
  service: string;
  type: EndpointType;
  id: string;
}

/** What the endpoints step hands on: the endpoints and their security group (none without endpoints). */
export interface VpcEndpointsState {
  securityGroupId?: string;
  endpoints: EndpointRef[];
}

/** `ensureVpcEndpoints`' answer: also whether every endpoint was already `available`. */
export interface EnsuredVpcEndpoints extends VpcEndpointsState {
  allAvailable: boolean;
}

/** The network pieces the endpoints go into. */
export interface EndpointNetwork {
  vpcId: string;
  appSubnetIds: readonly string[];
  appRouteTableIds: readonly string[];
  serviceGroupId: string;
}

function tagSpecifications(
  env: EnvironmentRef,
  resourceType: ResourceType,
  part: string,
): TagSpecification[] {
  const tags = environmentTags(env, { Name: names.resource(env, part), [TAG_PART]: part });
  return [{ ResourceType: resourceType, Tags: tagList(tags) }];
}

function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

function environmentFilters(environmentId: string): Filter[] {
  return [{ Name: `tag:${TAG_ENVIRONMENT}`, Values: [environmentId] }];
}

async function describeEndpoints(filters: Filter[], ec2: EC2Client): Promise<VpcEndpoint[]> {
  return collect(
    paginateDescribeVpcEndpoints({ client: ec2 }, { Filters: filters }),
    (page) => page.VpcEndpoints,
  );
}

/**
 * An endpoint's state as EC2 sends it (`pendingAcceptance`, `available`…; the SDK's enum spells the
 * same values capitalised, so both read the same here).
 */
function stateOf(endpoint: VpcEndpoint): string {
  const state = String(endpoint.State ?? '');
  return state.charAt(0).toLowerCase() + state.slice(1);
}

const LIVE: readonly string[] = ['pendingAcceptance', 'pending', 'available'];
const isLive = (endpoint: VpcEndpoint) => LIVE.includes(stateOf(endpoint));

/** The endpoints' security group: found by tag, else created; admits 443 from the services' group. */
async function ensureEndpointGroup(
  env: EnvironmentRef,
  network: EndpointNetwork,
  ec2: EC2Client,
): Promise<string> {
  const groups = await collect(
    paginateDescribeSecurityGroups(
      { client: ec2 },
      {
        Filters: [
          ...environmentFilters(env.id),
          { Name: `tag:${TAG_PART}`, Values: [GROUP_PART] },
          { Name: 'vpc-id', Values: [network.vpcId] },
        ],
      },
    ),
    (page) => page.SecurityGroups,
  );
  const found = groups[0];
  let groupId = found?.GroupId;
  if (groupId === undefined) {
    const groupName = names.resource(env, GROUP_PART);
    try {
      const created = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: groupName,
          Description: 'berth VPC endpoints',
          VpcId: network.vpcId,
          TagSpecifications: tagSpecifications(env, 'security-group', GROUP_PART),
        }),
      );
      groupId = required(created.GroupId, 'GroupId');
    } catch (error) {
      // InvalidGroup.Duplicate: the name is taken in this VPC — by a concurrent run of this step.
      if (!hasCode(error, 'InvalidGroup.Duplicate')) throw error;
      const [named] = await collect(
        paginateDescribeSecurityGroups(
          { client: ec2 },
          {
            Filters: [
              { Name: 'vpc-id', Values: [network.vpcId] },
              { Name: 'group-name', Values: [groupName] },
            ],
          },
        ),
        (page) => page.SecurityGroups,
      );
      groupId = required(named?.GroupId, `GroupId of ${groupName}`);
    }
  }
  const admitted = found?.IpPermissions?.some(
    (permission) =>
      permission.IpProtocol === 'tcp' &&
      permission.FromPort === ENDPOINT_PORT &&
      permission.ToPort === ENDPOINT_PORT &&
      permission.UserIdGroupPairs?.some((pair) => pair.GroupId === network.serviceGroupId),
  );
  if (!admitted) {
    try {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: ENDPOINT_PORT,
              ToPort: ENDPOINT_PORT,
              UserIdGroupPairs: [{ GroupId: network.serviceGroupId, Description: 'HTTPS from the services' }],
            },
          ],
          TagSpecifications: tagSpecifications(env, 'security-group-rule', GROUP_PART),
        }),
      );
    } catch (error) {
      // InvalidPermission.Duplicate: a concurrent run authorised it first.
      if (!hasCode(error, 'InvalidPermission.Duplicate')) throw error;
    }
  }
  return groupId;
}

/**
 * CreateVpcEndpoint's ClientToken (≤ 64 ASCII characters): the same for every retry of one endpoint,
 * a new one once an earlier endpoint of the part ended `failed`/`rejected`/`expired`/`deleted`.
 */
function clientToken(environmentId: string, service: string, earlier: readonly string[]): string {
  const digest = createHash('sha256')
    .update([environmentId, service, ...[...earlier].sort()].join('|'))
    .digest('hex')
    .slice(0, 24);
  return `berth-${envKey(environmentId)}-${digest}-${service}`.slice(0, 64);
}

/** `com.amazonaws.<region>.<service>`, in the Region the EC2 client talks to. */
async function serviceName(service: string, ec2: EC2Client): Promise<string> {
  const region = await ec2.config.region();
  return `com.amazonaws.${region}.${service}`;
}

/**
 * The endpoints of `planned`, and no other endpoint of the environment: missing ones created (not
 * waited for), ones no longer planned deleted. With nothing planned, the environment's endpoints go.
 */
export async function ensureVpcEndpoints(
  env: EnvironmentRef,
  network: EndpointNetwork,
  planned: readonly PlannedEndpoint[],
  ec2: EC2Client = defaultEc2,
): Promise<EnsuredVpcEndpoints> {
  // The endpoints' security group is named by the calls right after its creation: retry EC2's
  // read-after-create NotFound for it (read-after-create.ts).
  readAfterCreate(ec2);
  const existing = await describeEndpoints(
    [...environmentFilters(env.id), { Name: 'vpc-id', Values: [network.vpcId] }],
    ec2,
  );
  const wantedParts = new Set(planned.map((endpoint) => endpointPart(endpoint.service)));
  const extra = existing.filter(
    (endpoint) => isLive(endpoint) && !wantedParts.has(tagValue(endpoint.Tags, TAG_PART) ?? ''),
  );
  if (extra.length > 0) {
    await ec2.send(
      new DeleteVpcEndpointsCommand({
        VpcEndpointIds: extra.flatMap((endpoint) => endpoint.VpcEndpointId ?? []),
      }),
    );
  }
  if (planned.length === 0) return { endpoints: [], allAvailable: true };
  const needsGroup = planned.some((endpoint) => endpoint.type === 'Interface');
  const groupId = needsGroup ? await ensureEndpointGroup(env, network, ec2) : undefined;
  const endpoints: EndpointRef[] = [];
  let allAvailable = true;
  for (const endpoint of planned) {
    const part = endpointPart(endpoint.service);
    const mine = existing.filter((candidate) => tagValue(candidate.Tags, TAG_PART) === part);
    const live = mine.find(isLive);
    let id = live?.VpcEndpointId;
    if (live === undefined || stateOf(live) !== 'available') allAvailable = false;
    if (id === undefined) {
      const earlier = mine.flatMap((candidate) => candidate.VpcEndpointId ?? []);
      const shape =
        endpoint.type === 'Interface'
          ? {
              SubnetIds: [...network.appSubnetIds],
              SecurityGroupIds: [required(groupId, 'endpoint security group')],
              PrivateDnsEnabled: true,
            }
          : { RouteTableIds: [...network.appRouteTableIds] };
      const { VpcEndpoint: created } = await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: network.vpcId,
          ServiceName: await serviceName(endpoint.service, ec2),
          VpcEndpointType: endpoint.type,
          ...shape,
          ClientToken: clientToken(env.id, endpoint.service, earlier),
          TagSpecifications: tagSpecifications(env, 'vpc-endpoint', part),
        }),
      );
      id = required(created?.VpcEndpointId, 'VpcEndpointId');
    }
    endpoints.push({ service: endpoint.service, type: endpoint.type, id });
  }
  return { ...(groupId ? { securityGroupId: groupId } : {}), endpoints, allAvailable };
}

/**
 * The states of these endpoints, in the same order; one Describe cannot see yet counts as `pending`
 * (filtering by id instead of naming ids makes such ids absent rather than failing the call).
 */
export async function describeVpcEndpointStates(
  ids: readonly string[],
  ec2: EC2Client = defaultEc2,
): Promise<{ id: string; state: VpcEndpointState }[]> {
  if (ids.length === 0) return [];
  const found = await describeEndpoints([{ Name: 'vpc-endpoint-id', Values: [...ids] }], ec2);
  return ids.map((id) => {
    const endpoint = found.find((candidate) => candidate.VpcEndpointId === id);
    return { id, state: endpoint ? (stateOf(endpoint) as VpcEndpointState) : 'pending' };
  });
}

/**
 * One teardown pass over the environment's endpoints (found by tag): deletes the live ones and
 * reports every endpoint still `deleting` (its ENIs keep the subnets and its group busy until then).
 */
export async function teardownVpcEndpointsPass(
  environmentId: string,
  ec2: EC2Client = defaultEc2,
): Promise<TeardownProgress> {
  const endpoints = await describeEndpoints(environmentFilters(environmentId), ec2);
  const live = endpoints.filter(isLive).flatMap((endpoint) => endpoint.VpcEndpointId ?? []);
  const deleting = endpoints
    .filter((endpoint) => stateOf(endpoint) === 'deleting')
    .flatMap((endpoint) => endpoint.VpcEndpointId ?? []);
  const gone = new Set<string>();
  if (live.length > 0) {
    const { Unsuccessful = [] } = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: live }));
    for (const item of Unsuccessful) {
      // InvalidVpcEndpoint.NotFound: deleted meanwhile; anything else is a refusal to report.
      if (item.Error?.Code === 'InvalidVpcEndpoint.NotFound' && item.ResourceId) gone.add(item.ResourceId);
      else if (item.ResourceId) {
        throw Object.assign(new Error(item.Error?.Message ?? `could not delete ${item.ResourceId}`), {
          name: item.Error?.Code ?? 'VpcEndpointNotDeleted',
        });
      }
    }
  }
  const blocked: Blocker[] = [...live.filter((id) => !gone.has(id)), ...deleting].map((id) => ({
    resource: id,
    code: 'VpcEndpointDeleting',
    message: `VPC endpoint ${id} is still deleting`,
  }));
  return { done: blocked.length === 0, blocked };
}
