/**
 * Simulated Amazon EC2: the VPC networking berth provisions and tears down (VPCs, subnets, internet
 * and NAT gateways, Elastic IPs, route tables, security groups, ENIs, launch templates, tags, VPC
 * endpoints).
 * Implementation in `./ec2/`; AWS's error codes, dependency checks and eventual consistency are kept.
 *
 * Helpers for the other simulated services (ELBv2, ECS, Auto Scaling) — all take the `SimContext`
 * and throw EC2's own `AwsError`s (`InvalidSubnetID.NotFound`, `InvalidGroup.NotFound`):
 *
 *   createNetworkInterface(ctx, { subnetId, groups?, description?, interfaceType?, requesterId?, tags? })
 *       → NetworkInterface   an in-use ENI in the subnet (blocks DeleteSubnet/DeleteSecurityGroup/DeleteVpc)
 *   releaseNetworkInterface(ctx, eniId, afterSeconds?)
 *       the owner let go: the ENI turns `available` and is gone `afterSeconds` AWS seconds later
 *       (default: a draw from the latency model's `eniRelease`); unknown ids are ignored
 *   networkInterfacesOf(ctx, { subnetId?, vpcId?, groupId? }) → NetworkInterface[]
 *   findSubnet(ctx, id) → Subnet (vpcId, availabilityZone, cidrBlock)
 *   findSecurityGroup(ctx, id) → SecurityGroup          findVpc(ctx, id) → Vpc
 *   findLaunchTemplate(ctx, { id?, name? }) → LaunchTemplate (`data` is the LaunchTemplateData input)
 *   availabilityZones(ctx) → [{ zoneName, zoneId }]
 *   resourceById(ctx, id) → { resource, prefix }          any EC2 id, for tagging (`i-` → store type `instance`)
 */
import type { Operation, OperationInput, ServiceDefinition, SimContext } from '../kernel';
import { ec2Authorization } from './ec2/authorization';
import { withReadAfterCreate } from './ec2/consistency';
import * as gateways from './ec2/gateways';
import * as launchTemplates from './ec2/launch-templates';
import { find, type SecurityGroup, type Subnet, type Vpc } from './ec2/model';
import * as networkInterfaces from './ec2/network-interfaces';
import * as routes from './ec2/routes';
import * as securityGroups from './ec2/security-groups';
import * as tags from './ec2/tags';
import * as vpc from './ec2/vpc';
import * as vpcEndpoints from './ec2/vpc-endpoints';

export { natState } from './ec2/gateways';
export { findLaunchTemplate } from './ec2/launch-templates';
export type {
  ElasticIp,
  InternetGateway,
  LaunchTemplate,
  NatGateway,
  NetworkInterface,
  RouteTable,
  SecurityGroup,
  Subnet,
  Vpc,
} from './ec2/model';
export {
  createNetworkInterface,
  type NewNetworkInterface,
  networkInterfacesOf,
  releaseNetworkInterface,
} from './ec2/network-interfaces';
export { resourceById } from './ec2/tags';
export { availabilityZones } from './ec2/vpc';
export { egressEnforced, egressOf, setEgressEnforced, type TaskNetwork } from './ec2/vpc-endpoints';

export function findSubnet(ctx: SimContext, id: string): Subnet {
  return find<Subnet>(ctx, 'subnet', id);
}

export function findSecurityGroup(ctx: SimContext, id: string): SecurityGroup {
  return find<SecurityGroup>(ctx, 'sg', id);
}

export function findVpc(ctx: SimContext, id: string): Vpc {
  return find<Vpc>(ctx, 'vpc', id);
}

/**
 * EC2 throttles each API action in a bucket of its own, sized by the action's category; some actions
 * have their own numbers, and a handful of Describe* calls draw from a smaller bucket when they are
 * neither filtered nor paginated (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling).
 * A `/_local/rate-limits` override keyed `ec2:<Action>` sets one action's bucket; one keyed by a
 * category (`ec2:mutating`) sets every bucket of that category.
 */
const rateLimits = {
  'non-mutating': { burst: 100, refillPerSecond: 20 },
  'unfiltered-non-mutating': { burst: 50, refillPerSecond: 10 },
  mutating: { burst: 50, refillPerSecond: 5 },
  'resource-intensive': { burst: 50, refillPerSecond: 5 },
  // The uncategorized actions berth's network calls, with the numbers AWS lists for each.
  CreateNatGateway: { burst: 10, refillPerSecond: 1 },
  DeleteNatGateway: { burst: 10, refillPerSecond: 1 },
  CreateTags: { burst: 100, refillPerSecond: 10 },
  DeleteTags: { burst: 100, refillPerSecond: 10 },
  DeleteNetworkInterface: { burst: 100, refillPerSecond: 5 },
  CreateVpcEndpoint: { burst: 4, refillPerSecond: 0.3 },
  DeleteVpcEndpoints: { burst: 4, refillPerSecond: 0.3 },
  ModifyVpcEndpoint: { burst: 4, refillPerSecond: 0.3 },
  ModifyLaunchTemplate: { burst: 100, refillPerSecond: 5 },
  CreateLaunchTemplateVersion: { burst: 100, refillPerSecond: 5 },
};

const resourceIntensive = new Set(['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress']);
const smallerWhenUnfiltered = new Set([
  'DescribeInstances',
  'DescribeInstanceStatus',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
]);
const nonMutating = /^(Describe|List|Search|Get)/;

/** Neither filtered nor paginated: only `DryRun` (or nothing) besides the action. */
function unfiltered(input: OperationInput): boolean {
  return !Object.keys(input).some((key) => key !== 'DryRun');
}

function rateLimitCategory(operation: string, input: OperationInput): string {
  if (operation in rateLimits) return operation;
  if (resourceIntensive.has(operation)) return 'resource-intensive';
  if (smallerWhenUnfiltered.has(operation) && unfiltered(input)) return 'unfiltered-non-mutating';
  return nonMutating.test(operation) ? 'non-mutating' : 'mutating';
}

/** Each action its own bucket; the small unfiltered buckets apart from the same action's usual one. */
function rateLimitBucket(operation: string, input: OperationInput): string {
  return smallerWhenUnfiltered.has(operation) && unfiltered(input) ? `${operation}/unfiltered` : operation;
}

function withReadAfterCreateWindows(operations: Record<string, Operation>): Record<string, Operation> {
  return Object.fromEntries(
    Object.entries(operations).map(([name, run]) => [name, withReadAfterCreate(name, run)]),
  );
}

export const ec2: ServiceDefinition = {
  signingName: 'ec2',
  protocol: 'ec2',
  xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  throttle: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  rateLimits,
  rateLimitCategory,
  rateLimitBucket,
  // Read-after-create windows around every operation (ec2/consistency.ts).
  operations: withReadAfterCreateWindows({
    AllocateAddress: gateways.allocateAddress,
    AssociateRouteTable: routes.associateRouteTable,
    AttachInternetGateway: gateways.attachInternetGateway,
    AuthorizeSecurityGroupEgress: securityGroups.authorizeSecurityGroupEgress,
    AuthorizeSecurityGroupIngress: securityGroups.authorizeSecurityGroupIngress,
    CreateInternetGateway: gateways.createInternetGateway,
    CreateLaunchTemplate: launchTemplates.createLaunchTemplate,
    CreateNatGateway: gateways.createNatGateway,
    CreateRoute: routes.createRoute,
    CreateRouteTable: routes.createRouteTable,
    CreateSecurityGroup: securityGroups.createSecurityGroup,
    CreateSubnet: vpc.createSubnet,
    CreateTags: tags.createTags,
    CreateVpc: vpc.createVpc,
    CreateVpcEndpoint: vpcEndpoints.createVpcEndpoint,
    DeleteInternetGateway: gateways.deleteInternetGateway,
    DeleteLaunchTemplate: launchTemplates.deleteLaunchTemplate,
    DeleteNatGateway: gateways.deleteNatGateway,
    DeleteNetworkInterface: networkInterfaces.deleteNetworkInterface,
    DeleteRoute: routes.deleteRoute,
    DeleteRouteTable: routes.deleteRouteTable,
    DeleteSecurityGroup: securityGroups.deleteSecurityGroup,
    DeleteSubnet: vpc.deleteSubnet,
    DeleteTags: tags.deleteTags,
    DeleteVpc: vpc.deleteVpc,
    DeleteVpcEndpoints: vpcEndpoints.deleteVpcEndpoints,
    DescribeAddresses: gateways.describeAddresses,
    DescribeAvailabilityZones: vpc.describeAvailabilityZones,
    DescribeInternetGateways: gateways.describeInternetGateways,
    DescribeLaunchTemplates: launchTemplates.describeLaunchTemplates,
    DescribeLaunchTemplateVersions: launchTemplates.describeLaunchTemplateVersions,
    DescribeNatGateways: gateways.describeNatGateways,
    DescribeNetworkInterfaces: networkInterfaces.describeNetworkInterfaces,
    DescribeRouteTables: routes.describeRouteTables,
    DescribeSecurityGroups: securityGroups.describeSecurityGroups,
    DescribeSubnets: vpc.describeSubnets,
    DescribeTags: tags.describeTags,
    DescribeVpcAttribute: vpc.describeVpcAttribute,
    DescribeVpcs: vpc.describeVpcs,
    DescribeVpcEndpoints: vpcEndpoints.describeVpcEndpoints,
    DetachInternetGateway: gateways.detachInternetGateway,
    DisassociateRouteTable: routes.disassociateRouteTable,
    ModifySubnetAttribute: vpc.modifySubnetAttribute,
    ModifyVpcAttribute: vpc.modifyVpcAttribute,
    ReleaseAddress: gateways.releaseAddress,
    ReplaceRoute: routes.replaceRoute,
    RevokeSecurityGroupEgress: securityGroups.revokeSecurityGroupEgress,
    RevokeSecurityGroupIngress: securityGroups.revokeSecurityGroupIngress,
  }),
  // What IAM evaluates for each operation (resource ARNs, tags, implicit CreateTags): ec2/authorization.ts.
  authorize: ec2Authorization,
  seed: vpc.seedDefaultVpc,
};
