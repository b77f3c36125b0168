/**
 * EC2's read-after-create consistency (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling):
 * a new VPC, subnet, internet gateway, route table, Elastic IP or security group is stamped with a
 * `visibleAt` drawn from the context's consistency window, and until then any call that names its
 * id answers EC2's NotFound code for it (`InvalidVpcID.NotFound`, `InvalidGroup.NotFound`…), though
 * filtered and unfiltered listings already show it. An internet gateway's attachment has a window
 * of its own: a NAT gateway or an internet-facing load balancer created inside it does not see the
 * gateway. NAT gateways keep theirs in the latency model (`natGatewayVisible`, gateways.ts), because
 * Describe/Delete answer `NatGatewayNotFound` and CreateRoute `InvalidNatGatewayID.NotFound`.
 *
 * The calls that take a resource apart (Delete*, Release*, Detach*, Disassociate*, Revoke*) are left
 * out: the simulator makes no claim about them.
 */
import type { Operation, OperationInput, SimContext, SimResource } from '../../kernel';
import { drawSeconds } from '../../latency';
import { type InternetGateway, notFound, type ResourcePrefix, resourceKinds } from './model';

/** The id prefixes whose new resources get a window (NAT gateways: see the module comment). */
const windowed = ['vpc', 'subnet', 'igw', 'rtb', 'eipalloc', 'sg'] as const satisfies ResourcePrefix[];
type Windowed = (typeof windowed)[number];

/** Where each create answers its new id. */
const createdId: Record<string, (result: Record<string, unknown>) => unknown> = {
  CreateVpc: (result) => field(result.vpc, 'vpcId'),
  CreateSubnet: (result) => field(result.subnet, 'subnetId'),
  CreateInternetGateway: (result) => field(result.internetGateway, 'internetGatewayId'),
  CreateRouteTable: (result) => field(result.routeTable, 'routeTableId'),
  AllocateAddress: (result) => result.allocationId,
  CreateSecurityGroup: (result) => result.groupId,
};

/** Input keys never read for ids: filters select (a lagging id is simply not matched), tags are data. */
const notNaming = new Set(['Filter', 'TagSpecification', 'Tag', 'ClientToken']);

/**
 * Ids an operation does not resolve when called: CreateNatGateway takes its Elastic IP afterwards (an
 * address still in its window makes the gateway end `failed`, gateways.ts), and EC2 does not fully
 * validate a launch template's data until something launches from it.
 */
const namedLater: Record<string, Set<string>> = {
  CreateNatGateway: new Set(['AllocationId']),
  CreateLaunchTemplate: new Set(['LaunchTemplateData']),
};

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function prefixOf(id: string): Windowed | undefined {
  const prefix = id.slice(0, id.indexOf('-'));
  return (windowed as readonly string[]).includes(prefix) ? (prefix as Windowed) : undefined;
}

/** A new visibility moment drawn from the window, or undefined when the windows are off. */
export function visibleFrom(ctx: SimContext): number | undefined {
  if (!ctx.consistency.enabled) return undefined;
  const [min, max] = ctx.consistency.windowSeconds;
  return ctx.clock.now() + drawSeconds({ random: ctx.consistency.random }, [min, max]) * 1000;
}

/** True once calls naming the resource see it (always, with the windows off). */
export function isVisible(ctx: SimContext, resource: Pick<SimResource, 'visibleAt'>): boolean {
  return (
    !ctx.consistency.enabled || resource.visibleAt === undefined || ctx.clock.reached(resource.visibleAt)
  );
}

/** Whether the VPC has an internet gateway attached that other services already see. */
export function attachedInternetGateway(ctx: SimContext, vpcId: string): 'visible' | 'attaching' | 'none' {
  const gateway = ctx.store
    .list<InternetGateway>('internet-gateway')
    .find((candidate) => candidate.attachedVpcId === vpcId);
  if (!gateway) return 'none';
  return isVisible(ctx, { visibleAt: gateway.attachmentVisibleAt }) ? 'visible' : 'attaching';
}

/** Every string of the input that looks like an id of a windowed kind (deep, but not filters or tags). */
function namedIds(input: unknown, skip: Set<string>, into: string[] = []): string[] {
  if (typeof input === 'string') {
    if (prefixOf(input)) into.push(input);
  } else if (Array.isArray(input)) {
    for (const item of input) namedIds(item, skip, into);
  } else if (typeof input === 'object' && input !== null) {
    for (const [key, value] of Object.entries(input)) if (!skip.has(key)) namedIds(value, skip, into);
  }
  return into;
}

const takesApart = /^(Delete|Release|Detach|Disassociate|Revoke)/;

/**
 * The operation with the windows applied: before it runs, an id it names that exists but is not yet
 * visible answers that kind's NotFound; after a create, the new resource gets its window.
 */
export function withReadAfterCreate(operationName: string, run: Operation): Operation {
  if (takesApart.test(operationName)) return run;
  const skip = new Set([...notNaming, ...(namedLater[operationName] ?? [])]);
  return async (input: OperationInput, ctx: SimContext) => {
    if (ctx.consistency.enabled) {
      for (const id of namedIds(input, skip)) {
        const prefix = prefixOf(id);
        if (!prefix) continue;
        const resource = ctx.store.get<SimResource>(resourceKinds[prefix].type, id);
        if (resource && !isVisible(ctx, resource)) throw notFound(prefix, id);
      }
    }
    const result = await run(input, ctx);
    const idOf = createdId[operationName];
    const id =
      idOf && typeof result === 'object' && result !== null
        ? idOf(result as Record<string, unknown>)
        : undefined;
    const prefix = typeof id === 'string' ? prefixOf(id) : undefined;
    if (typeof id === 'string' && prefix) {
      const resource = ctx.store.get<SimResource>(resourceKinds[prefix].type, id);
      if (resource) resource.visibleAt = visibleFrom(ctx);
    }
    return result;
  };
}
