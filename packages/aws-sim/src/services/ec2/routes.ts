/** Route tables, routes and subnet associations. */
import { readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext } from '../../kernel';
import { natState, visibleNatGateway } from './gateways';
import {
  applyFilters,
  find,
  type InternetGateway,
  invalidValue,
  type NatGateway,
  notFound,
  paginate,
  parseCidr,
  type Route,
  type RouteTable,
  readFilters,
  requireParam,
  type Subnet,
  selectByIds,
  tagSet,
  tagsAtCreation,
  type Vpc,
} from './model';

/** The main route table every VPC is born with (only the `local` route). */
export function createMainRouteTable(ctx: SimContext, vpcId: string, cidrBlock: string): RouteTable {
  return ctx.store.put<RouteTable>({
    type: 'route-table',
    id: ctx.ids.ec2('rtb'),
    tags: {},
    createdAt: ctx.clock.now(),
    vpcId,
    routes: [{ destinationCidrBlock: cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
    associations: [{ associationId: ctx.ids.ec2('rtbassoc'), main: true }],
  });
}

/** `active`, or `blackhole` once the target is gone (a detached gateway, a deleted NAT gateway). */
function routeState(route: Route, table: RouteTable, ctx: SimContext): 'active' | 'blackhole' {
  if (route.gatewayId === 'local') return 'active';
  if (route.gatewayId) {
    const igw = ctx.store.get<InternetGateway>('internet-gateway', route.gatewayId);
    return igw?.attachedVpcId === table.vpcId ? 'active' : 'blackhole';
  }
  if (route.natGatewayId) {
    const nat = ctx.store.get<NatGateway>('nat-gateway', route.natGatewayId);
    const state = nat ? natState(nat, ctx) : 'deleted';
    return state === 'pending' || state === 'available' ? 'active' : 'blackhole';
  }
  return 'blackhole';
}

function routeTableView(table: RouteTable, ctx: SimContext) {
  return {
    routeTableId: table.id,
    vpcId: table.vpcId,
    ownerId: ctx.accountId,
    routeSet: table.routes.map((route) => ({
      destinationCidrBlock: route.destinationCidrBlock,
      gatewayId: route.gatewayId,
      natGatewayId: route.natGatewayId,
      origin: route.origin,
      state: routeState(route, table, ctx),
    })),
    associationSet: table.associations.map((association) => ({
      main: association.main,
      routeTableAssociationId: association.associationId,
      routeTableId: table.id,
      subnetId: association.subnetId,
      associationState: { state: 'associated' },
    })),
    propagatingVgwSet: [],
    tagSet: tagSet(table.tags),
  };
}

export function createRouteTable(input: OperationInput, ctx: SimContext): unknown {
  const vpc = find<Vpc>(ctx, 'vpc', requireParam(input, 'VpcId'));
  const table = ctx.store.put<RouteTable>({
    type: 'route-table',
    id: ctx.ids.ec2('rtb'),
    tags: tagsAtCreation(input, 'route-table'),
    createdAt: ctx.clock.now(),
    vpcId: vpc.id,
    routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
    associations: [],
  });
  return { routeTable: routeTableView(table, ctx) };
}

export function describeRouteTables(input: OperationInput, ctx: SimContext): unknown {
  const tables = selectByIds(
    ctx.store.list<RouteTable>('route-table'),
    readStringList(input, 'RouteTableId'),
    (id) => notFound('rtb', id),
  );
  const filtered = applyFilters(tables, readFilters(input), {
    'route-table-id': (table) => table.id,
    'vpc-id': (table) => table.vpcId,
    'owner-id': () => ctx.accountId,
    'association.main': (table) =>
      table.associations.some((association) => association.main) ? 'true' : 'false',
    'association.subnet-id': (table) => table.associations.map((association) => association.subnetId),
    'association.route-table-association-id': (table) =>
      table.associations.map((association) => association.associationId),
    'association.route-table-id': (table) => (table.associations.length > 0 ? table.id : undefined),
    'route.destination-cidr-block': (table) => table.routes.map((route) => route.destinationCidrBlock),
    'route.gateway-id': (table) => table.routes.map((route) => route.gatewayId),
    'route.nat-gateway-id': (table) => table.routes.map((route) => route.natGatewayId),
    'route.state': (table) => table.routes.map((route) => routeState(route, table, ctx)),
  });
  const { page, nextToken } = paginate(filtered, input, { min: 5, max: 100 });
  return { routeTableSet: page.map((table) => routeTableView(table, ctx)), nextToken };
}

/** A route's target: `GatewayId` (an internet gateway attached to the table's VPC) or `NatGatewayId`. */
function readRouteTarget(
  input: OperationInput,
  table: RouteTable,
  ctx: SimContext,
): Pick<Route, 'gatewayId' | 'natGatewayId'> {
  const gatewayId = input.GatewayId;
  const natGatewayId = input.NatGatewayId;
  if (typeof gatewayId === 'string' && gatewayId !== '') {
    const igw = ctx.store.get<InternetGateway>('internet-gateway', gatewayId);
    if (!igw) throw new AwsError('InvalidGatewayID.NotFound', `The gateway ID '${gatewayId}' does not exist`);
    if (igw.attachedVpcId !== table.vpcId) {
      throw new AwsError(
        'InvalidParameterValue',
        `route table ${table.id} and network gateway ${gatewayId} belong to different networks`,
      );
    }
    return { gatewayId };
  }
  if (typeof natGatewayId === 'string' && natGatewayId !== '') {
    // Right after CreateNatGateway the id is not yet known here either (eventual consistency).
    const nat = visibleNatGateway(ctx, natGatewayId);
    if (!nat) throw notFound('nat', natGatewayId);
    if (nat.vpcId !== table.vpcId) {
      throw new AwsError(
        'InvalidParameterValue',
        `route table ${table.id} and NAT gateway ${natGatewayId} belong to different networks`,
      );
    }
    return { natGatewayId };
  }
  throw new AwsError(
    'MissingParameter',
    'The request must contain a route target: GatewayId or NatGatewayId',
  );
}

export function createRoute(input: OperationInput, ctx: SimContext): unknown {
  const table = find<RouteTable>(ctx, 'rtb', requireParam(input, 'RouteTableId'));
  const destination = requireParam(input, 'DestinationCidrBlock');
  if (!parseCidr(destination)) throw invalidValue('destinationCidrBlock', destination);
  const route: Route = {
    destinationCidrBlock: destination,
    origin: 'CreateRoute',
    ...readRouteTarget(input, table, ctx),
  };
  if (table.routes.some((existing) => existing.destinationCidrBlock === destination)) {
    throw new AwsError('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
  }
  table.routes.push(route);
  return { return: true };
}

/**
 * Points an existing route at a new target (one target per route: the old one is dropped). With no
 * route for the destination AWS answers `InvalidParameterValue` ("… Use CreateRoute instead."),
 * not `InvalidRoute.NotFound` as DeleteRoute does.
 */
export function replaceRoute(input: OperationInput, ctx: SimContext): unknown {
  const table = find<RouteTable>(ctx, 'rtb', requireParam(input, 'RouteTableId'));
  const destination = requireParam(input, 'DestinationCidrBlock');
  if (!parseCidr(destination)) throw invalidValue('destinationCidrBlock', destination);
  const index = table.routes.findIndex((candidate) => candidate.destinationCidrBlock === destination);
  const route = table.routes[index];
  if (!route) {
    throw new AwsError(
      'InvalidParameterValue',
      `There is no route defined for '${destination}' in the route table. Use CreateRoute instead.`,
    );
  }
  if (route.gatewayId === 'local') {
    throw new AwsError(
      'InvalidParameterValue',
      `cannot replace local route ${destination} in route table ${table.id}`,
    );
  }
  table.routes[index] = {
    destinationCidrBlock: destination,
    origin: route.origin,
    ...readRouteTarget(input, table, ctx),
  };
  return { return: true };
}

export function deleteRoute(input: OperationInput, ctx: SimContext): unknown {
  const table = find<RouteTable>(ctx, 'rtb', requireParam(input, 'RouteTableId'));
  const destination = requireParam(input, 'DestinationCidrBlock');
  const route = table.routes.find((candidate) => candidate.destinationCidrBlock === destination);
  if (!route) {
    throw new AwsError(
      'InvalidRoute.NotFound',
      `no route with destination-cidr-block ${destination} in route table ${table.id}`,
    );
  }
  if (route.gatewayId === 'local') {
    throw new AwsError(
      'InvalidParameterValue',
      `cannot remove local route ${destination} in route table ${table.id}`,
    );
  }
  table.routes = table.routes.filter((candidate) => candidate !== route);
  return { return: true };
}

export function associateRouteTable(input: OperationInput, ctx: SimContext): unknown {
  const table = find<RouteTable>(ctx, 'rtb', requireParam(input, 'RouteTableId'));
  const subnet = find<Subnet>(ctx, 'subnet', requireParam(input, 'SubnetId'));
  if (subnet.vpcId !== table.vpcId) {
    throw new AwsError(
      'InvalidParameterValue',
      `Route table ${table.id} and subnet ${subnet.id} belong to different networks`,
    );
  }
  const existing = ctx.store
    .list<RouteTable>('route-table')
    .some((candidate) => candidate.associations.some((association) => association.subnetId === subnet.id));
  if (existing) {
    throw new AwsError(
      'Resource.AlreadyAssociated',
      `the specified association for route table ${table.id} conflicts with an existing association`,
    );
  }
  const associationId = ctx.ids.ec2('rtbassoc');
  table.associations.push({ associationId, subnetId: subnet.id, main: false });
  return { associationId, associationState: { state: 'associated' } };
}

export function disassociateRouteTable(input: OperationInput, ctx: SimContext): unknown {
  const associationId = requireParam(input, 'AssociationId');
  for (const table of ctx.store.list<RouteTable>('route-table')) {
    const association = table.associations.find((candidate) => candidate.associationId === associationId);
    if (!association) continue;
    if (association.main) {
      throw new AwsError(
        'InvalidParameterValue',
        `cannot disassociate the main route table association ${associationId}`,
      );
    }
    table.associations = table.associations.filter((candidate) => candidate !== association);
    return {};
  }
  throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
}

export function deleteRouteTable(input: OperationInput, ctx: SimContext): unknown {
  const table = find<RouteTable>(ctx, 'rtb', requireParam(input, 'RouteTableId'));
  if (table.associations.length > 0) {
    throw new AwsError(
      'DependencyViolation',
      `The routeTable '${table.id}' has dependencies and cannot be deleted.`,
    );
  }
  ctx.store.delete('route-table', table.id);
  return { return: true };
}
