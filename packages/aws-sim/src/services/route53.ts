/**
 * Simulated Amazon Route 53 (rest-xml, API version 2013-04-01): just enough hosted-zone support for
 * tests to make a zone, and the record-set changes berth makes (A alias records to an ALB).
 *
 * Behaviour kept from AWS:
 * - Hosted-zone ids are `Z0` + 19 characters and answered as `/hostedzone/<id>`; change ids as
 *   `/change/<id>`. The SDK and the CLI strip those prefixes from inputs; both forms are accepted.
 * - A change batch is validated change by change against a working copy and applied atomically:
 *   CREATE of an existing set or DELETE of a missing (or different) set fails the whole batch with
 *   `InvalidChangeBatch` and the messages AWS uses.
 * - Every change is `PENDING` until the latency model's `route53Sync` has passed, then `INSYNC`
 *   (computed from the clock on read; no timers).
 * - Throttling is `Throttling` / 400 "Rate exceeded", per-operation buckets as the Route 53
 *   developer guide's "Throttling for Amazon Route 53 API requests" publishes them.
 *
 * IAM: zone operations are authorised on `arn:aws:route53:::hostedzone/<id>`, record changes with
 * the batch's actions, types and normalised names as condition keys (`route53Authorizers`).
 *
 * Store types: `hosted-zone`, `route53-record` (id `<zone>|<name>|<type>|<set identifier>`), and
 * `route53-change` (bookkeeping for GetChange, kept in the store so a reset clears it).
 */

import type { AccessRequest } from '../iam/access';
import { isRecord } from '../input';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  HttpAnswer,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { drawSeconds } from '../latency';
import { InputReader, isoTimestamp } from './operation-input';

/** Canonical hosted-zone id of Application Load Balancers in us-east-1 (ELB endpoints table). */
export const ALB_CANONICAL_HOSTED_ZONE_ID = 'Z35SXDOTRQ7X7K';

const ALB_HOSTED_ZONES: Record<string, string> = {
  'us-east-1': ALB_CANONICAL_HOSTED_ZONE_ID,
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-2': 'Z1H1FL5HABSF5',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'eu-central-1': 'Z215JYRZR1TBD5',
};

export interface HostedZoneResource extends SimResource {
  type: 'hosted-zone';
  name: string;
  callerReference: string;
  comment?: string;
  privateZone: boolean;
  nameServers: string[];
}

/** A record set as Route 53 returns it (already normalised: lower-case name with a trailing dot). */
export interface RecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
}

export interface RecordSetResource extends SimResource {
  type: 'route53-record';
  zoneId: string;
  recordSet: RecordSet;
}

interface ChangeResource extends SimResource {
  type: 'route53-change';
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

const invalidInput = (message: string) => new AwsError('InvalidInput', message, 400);
const noSuchHostedZone = (id: string) => () =>
  new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);

/**
 * Route 53 answers lists as a wrapper element holding one element per item, named by the model
 * (`<HostedZones><HostedZone>…`); the rest-xml writer takes that as a list of one-key objects.
 */
function xmlList<T>(memberName: string, items: T[]): Array<Record<string, T>> {
  return items.map((item) => ({ [memberName]: item }));
}

/**
 * The body fields of a rest-xml request: the protocol layer may hand the parsed document with or
 * without its root element (`<ChangeResourceRecordSetsRequest>`), so unwrap it when present.
 */
function bodyOf(input: OperationInput, rootElement: string): OperationInput {
  const root = input[rootElement];
  return isRecord(root) ? { ...input, ...root } : input;
}

/** `/hostedzone/Z0…` or `Z0…` → `Z0…`. */
function bareId(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

/** DNS names as Route 53 stores them: lower case, trailing dot, `*` escaped as `\052`. */
export function normaliseDnsName(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\*/g, '\\052');
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function isValidDomainName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > 253) return false;
  return bare.split('.').every((label) => /^(\\052|\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$/i.test(label));
}

function randomCharacters(ctx: SimContext, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from({ length }, () => alphabet[Math.floor(ctx.random() * alphabet.length)] ?? 'A').join('');
}

function recordKey(zoneId: string, recordSet: Pick<RecordSet, 'Name' | 'Type' | 'SetIdentifier'>): string {
  return `${zoneId}|${recordSet.Name}|${recordSet.Type}|${recordSet.SetIdentifier ?? ''}`;
}

/** Records a change as PENDING; it reads as INSYNC once the latency model's sync time has passed. */
function submitChange(ctx: SimContext, comment?: string): ChangeResource {
  const submittedAt = ctx.clock.now();
  const change: ChangeResource = {
    type: 'route53-change',
    id: `C${randomCharacters(ctx, 20)}`,
    tags: {},
    createdAt: submittedAt,
    submittedAt,
    insyncAt: submittedAt + drawSeconds(ctx, ctx.latency.route53Sync) * 1000,
    ...(comment !== undefined ? { comment } : {}),
  };
  return ctx.store.put(change);
}

function changeInfo(ctx: SimContext, change: ChangeResource): Record<string, unknown> {
  return {
    Id: `/change/${change.id}`,
    Status: ctx.clock.reached(change.insyncAt) ? 'INSYNC' : 'PENDING',
    SubmittedAt: isoTimestamp(change.submittedAt),
    ...(change.comment !== undefined ? { Comment: change.comment } : {}),
  };
}

function recordCount(ctx: SimContext, zoneId: string): number {
  return ctx.store.list<RecordSetResource>('route53-record').filter((record) => record.zoneId === zoneId)
    .length;
}

function hostedZoneView(ctx: SimContext, zone: HostedZoneResource): Record<string, unknown> {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: zone.callerReference,
    Config: {
      ...(zone.comment !== undefined ? { Comment: zone.comment } : {}),
      PrivateZone: zone.privateZone,
    },
    ResourceRecordSetCount: recordCount(ctx, zone.id),
  };
}

function requireZone(ctx: SimContext, rawId: string): HostedZoneResource {
  const id = bareId(rawId);
  return ctx.store.require<HostedZoneResource>('hosted-zone', id, noSuchHostedZone(id));
}

function createHostedZone(input: OperationInput, ctx: SimContext): unknown {
  const body = new InputReader(bodyOf(input, 'CreateHostedZoneRequest'), invalidInput);
  const rawName = body.requiredString('Name');
  const callerReference = body.requiredString('CallerReference');
  if (!isValidDomainName(rawName))
    throw new AwsError('InvalidDomainName', `${rawName} is not a valid domain name.`, 400);
  const duplicate = ctx.store
    .list<HostedZoneResource>('hosted-zone')
    .some((zone) => zone.callerReference === callerReference);
  if (duplicate) {
    throw new AwsError(
      'HostedZoneAlreadyExists',
      `A hosted zone has already been created with the specified caller reference.`,
      409,
    );
  }
  const config = body.object('HostedZoneConfig');
  const vpc = body.object('VPC');
  const name = normaliseDnsName(rawName);
  const zoneNumber = Math.floor(ctx.random() * 2000);
  const nameServers = [
    `ns-${zoneNumber}.awsdns-${zoneNumber % 64}.org`,
    `ns-${zoneNumber + 512}.awsdns-${zoneNumber % 64}.co.uk`,
    `ns-${zoneNumber % 512}.awsdns-${zoneNumber % 64}.net`,
    `ns-${zoneNumber % 1024}.awsdns-${zoneNumber % 64}.com`,
  ];
  const comment = config?.string('Comment');
  const zone = ctx.store.put<HostedZoneResource>({
    type: 'hosted-zone',
    id: `Z0${randomCharacters(ctx, 19)}`,
    tags: {},
    createdAt: ctx.clock.now(),
    name,
    callerReference,
    ...(comment !== undefined ? { comment } : {}),
    privateZone: config?.boolean('PrivateZone') ?? vpc !== undefined,
    nameServers,
  });
  // Route 53 creates the zone's NS and SOA record sets with it.
  putRecord(ctx, zone.id, {
    Name: name,
    Type: 'NS',
    TTL: 172800,
    ResourceRecords: nameServers.map((server) => ({ Value: `${server}.` })),
  });
  putRecord(ctx, zone.id, {
    Name: name,
    Type: 'SOA',
    TTL: 900,
    ResourceRecords: [{ Value: `${nameServers[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` }],
  });
  const change = submitChange(ctx);
  const answer = {
    HostedZone: hostedZoneView(ctx, zone),
    ChangeInfo: changeInfo(ctx, change),
    DelegationSet: { NameServers: xmlList('NameServer', nameServers) },
    ...(vpc ? { VPC: vpc.input } : {}),
  };
  // 201 Created with the new zone's URL, as the API reference documents.
  return new HttpAnswer(answer, 201, {
    Location: `https://route53.amazonaws.com/2013-04-01/hostedzone/${zone.id}`,
  });
}

function putRecord(ctx: SimContext, zoneId: string, recordSet: RecordSet): void {
  ctx.store.put<RecordSetResource>({
    type: 'route53-record',
    id: recordKey(zoneId, recordSet),
    tags: {},
    createdAt: ctx.clock.now(),
    zoneId,
    recordSet,
  });
}

function getHostedZone(input: OperationInput, ctx: SimContext): unknown {
  const zone = requireZone(ctx, new InputReader(input, invalidInput).requiredString('Id'));
  return zone.privateZone
    ? { HostedZone: hostedZoneView(ctx, zone) }
    : {
        HostedZone: hostedZoneView(ctx, zone),
        DelegationSet: { NameServers: xmlList('NameServer', zone.nameServers) },
      };
}

function deleteHostedZone(input: OperationInput, ctx: SimContext): unknown {
  const zone = requireZone(ctx, new InputReader(input, invalidInput).requiredString('Id'));
  const records = ctx.store
    .list<RecordSetResource>('route53-record')
    .filter((record) => record.zoneId === zone.id);
  if (records.some((record) => record.recordSet.Type !== 'NS' && record.recordSet.Type !== 'SOA')) {
    throw new AwsError(
      'HostedZoneNotEmpty',
      'The hosted zone contains resource records that are not SOA or NS records.',
      400,
    );
  }
  for (const record of records) ctx.store.delete('route53-record', record.id);
  ctx.store.delete('hosted-zone', zone.id);
  return { ChangeInfo: changeInfo(ctx, submitChange(ctx)) };
}

function listHostedZones(input: OperationInput, ctx: SimContext): unknown {
  const query = new InputReader(input, invalidInput);
  const maxItems = query.number('maxitems') ?? 100;
  const marker = query.string('marker');
  const zones = ctx.store.list<HostedZoneResource>('hosted-zone');
  let start = 0;
  if (marker) {
    start = zones.findIndex((zone) => zone.id === bareId(marker));
    if (start < 0) throw invalidInput(`Invalid marker: ${marker}`);
  }
  const page = zones.slice(start, start + maxItems);
  const next = zones[start + maxItems];
  return {
    HostedZones: xmlList(
      'HostedZone',
      page.map((zone) => hostedZoneView(ctx, zone)),
    ),
    ...(marker ? { Marker: marker } : {}),
    IsTruncated: next !== undefined,
    ...(next ? { NextMarker: next.id } : {}),
    MaxItems: String(maxItems),
  };
}

/** Reads one `ResourceRecordSet` of a change into its normalised form. */
function readRecordSet(reader: InputReader): RecordSet {
  const type = reader.requiredString('Type').toUpperCase();
  const alias = reader.object('AliasTarget');
  const values = reader
    .objects('ResourceRecords', 'ResourceRecord')
    .map((record) => ({ Value: record.requiredString('Value') }));
  const ttl = reader.number('TTL');
  const setIdentifier = reader.string('SetIdentifier');
  const weight = reader.number('Weight');
  const recordSet: RecordSet = {
    Name: normaliseDnsName(reader.requiredString('Name')),
    Type: type,
    ...(setIdentifier !== undefined ? { SetIdentifier: setIdentifier } : {}),
    ...(weight !== undefined ? { Weight: weight } : {}),
  };
  if (alias) {
    if (ttl !== undefined || values.length > 0) {
      throw invalidInput('Invalid request: Alias record sets cannot have a TTL or resource records.');
    }
    recordSet.AliasTarget = {
      HostedZoneId: alias.requiredString('HostedZoneId'),
      DNSName: normaliseDnsName(alias.requiredString('DNSName')),
      EvaluateTargetHealth: alias.boolean('EvaluateTargetHealth') ?? false,
    };
  } else {
    if (ttl === undefined || values.length === 0) {
      throw invalidInput(
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Name=${recordSet.Name}, Type=${type}]`,
      );
    }
    recordSet.TTL = ttl;
    recordSet.ResourceRecords = values;
  }
  return recordSet;
}

function describe(recordSet: RecordSet): string {
  const identifier =
    recordSet.SetIdentifier !== undefined ? `, set-identifier='${recordSet.SetIdentifier}'` : '';
  return `[name='${recordSet.Name}', type='${recordSet.Type}'${identifier}]`;
}

function sameRecordSet(a: RecordSet, b: RecordSet): boolean {
  const values = (set: RecordSet) => (set.ResourceRecords ?? []).map((record) => record.Value).sort();
  return (
    a.TTL === b.TTL &&
    a.Weight === b.Weight &&
    JSON.stringify(values(a)) === JSON.stringify(values(b)) &&
    JSON.stringify(a.AliasTarget ?? null) === JSON.stringify(b.AliasTarget ?? null)
  );
}

/**
 * An alias must point at something that exists in the zone it names: for ELB zones, a load balancer
 * whose DNS name matches. The load balancer module's field names are its own, so match any string
 * field (AWS also accepts the `dualstack.` form of the name).
 */
function aliasTargetProblem(
  ctx: SimContext,
  zone: HostedZoneResource,
  recordSet: RecordSet,
): string | undefined {
  const alias = recordSet.AliasTarget;
  if (!alias) return undefined;
  const target = alias.DNSName.replace(/^dualstack\./, '').replace(/\.$/, '');
  const problem = `Tried to create an alias that targets ${alias.DNSName}, type ${recordSet.Type} in zone ${alias.HostedZoneId}, but the alias target name does not lie within the target zone`;
  if (alias.HostedZoneId === zone.id) {
    const exists = ctx.store
      .list<RecordSetResource>('route53-record')
      .some((record) => record.zoneId === zone.id && record.recordSet.Name === alias.DNSName);
    return exists ? undefined : problem;
  }
  const elbZone = ALB_HOSTED_ZONES[ctx.region];
  if (!target.endsWith('.elb.amazonaws.com')) return undefined;
  if (alias.HostedZoneId !== elbZone) return problem;
  const loadBalancerExists = ctx.store
    .list('load-balancer')
    .some((loadBalancer) =>
      Object.values(loadBalancer).some(
        (value) => typeof value === 'string' && value.toLowerCase() === target,
      ),
    );
  return loadBalancerExists ? undefined : problem;
}

function changeResourceRecordSets(input: OperationInput, ctx: SimContext): unknown {
  const body = new InputReader(bodyOf(input, 'ChangeResourceRecordSetsRequest'), invalidInput);
  const zone = requireZone(ctx, body.requiredString('HostedZoneId'));
  const batch = body.requiredObject('ChangeBatch');
  const changes = batch.objects('Changes', 'Change');
  if (changes.length === 0)
    throw invalidInput('Invalid request: ChangeBatch must contain at least one change.');

  // Validate against a working copy so later changes see earlier ones; apply only if all pass.
  const working = new Map<string, RecordSet>();
  for (const record of ctx.store.list<RecordSetResource>('route53-record')) {
    if (record.zoneId === zone.id) working.set(record.id, record.recordSet);
  }
  const problems: string[] = [];
  for (const change of changes) {
    const action = change.requiredString('Action');
    const recordSet = readRecordSet(change.requiredObject('ResourceRecordSet'));
    const key = recordKey(zone.id, recordSet);
    const existing = working.get(key);
    if (recordSet.Name !== zone.name && !recordSet.Name.endsWith(`.${zone.name}`)) {
      problems.push(`RRSet with DNS name ${recordSet.Name} is not permitted in zone ${zone.name}`);
      continue;
    }
    if (action === 'CREATE' || action === 'UPSERT') {
      if (action === 'CREATE' && existing) {
        problems.push(`Tried to create resource record set ${describe(recordSet)} but it already exists`);
        continue;
      }
      const aliasProblem = aliasTargetProblem(ctx, zone, recordSet);
      if (aliasProblem) {
        problems.push(aliasProblem);
        continue;
      }
      working.set(key, recordSet);
    } else if (action === 'DELETE') {
      if (!existing) {
        problems.push(`Tried to delete resource record set ${describe(recordSet)} but it was not found`);
      } else if (!sameRecordSet(existing, recordSet)) {
        problems.push(
          `Tried to delete resource record set ${describe(recordSet)} but the values provided do not match the current values`,
        );
      } else {
        working.delete(key);
      }
    } else {
      throw invalidInput(
        `Invalid XML ; cvc-enumeration-valid: Value '${action}' is not facet-valid with respect to enumeration '[CREATE, DELETE, UPSERT]'.`,
      );
    }
  }
  if (problems.length > 0) {
    throw new AwsError('InvalidChangeBatch', `[${problems.join(', ')}]`, 400);
  }

  for (const record of ctx.store.list<RecordSetResource>('route53-record')) {
    if (record.zoneId === zone.id && !working.has(record.id)) ctx.store.delete('route53-record', record.id);
  }
  for (const [key, recordSet] of working) {
    const current = ctx.store.get<RecordSetResource>('route53-record', key);
    if (current?.recordSet !== recordSet) putRecord(ctx, zone.id, recordSet);
  }
  return { ChangeInfo: changeInfo(ctx, submitChange(ctx, batch.string('Comment'))) };
}

function getChange(input: OperationInput, ctx: SimContext): unknown {
  const id = bareId(new InputReader(input, invalidInput).requiredString('Id'));
  const change = ctx.store.require<ChangeResource>(
    'route53-change',
    id,
    () => new AwsError('NoSuchChange', `A change with the specified change ID does not exist: ${id}`, 404),
  );
  return { ChangeInfo: changeInfo(ctx, change) };
}

/** Route 53 orders record sets by name with labels reversed (`com.example.www`), then by type. */
function sortKey(recordSet: RecordSet): string {
  return `${recordSet.Name.split('.').reverse().join('.')} ${recordSet.Type} ${recordSet.SetIdentifier ?? ''}`;
}

function recordSetView(recordSet: RecordSet): Record<string, unknown> {
  const { ResourceRecords, ...rest } = recordSet;
  return ResourceRecords ? { ...rest, ResourceRecords: xmlList('ResourceRecord', ResourceRecords) } : rest;
}

function listResourceRecordSets(input: OperationInput, ctx: SimContext): unknown {
  const query = new InputReader(input, invalidInput);
  const zone = requireZone(ctx, query.requiredString('HostedZoneId'));
  const maxItems = query.number('maxitems') ?? 300;
  const startName = query.string('name');
  const startType = query.string('type');
  if (startType !== undefined && startName === undefined) {
    throw invalidInput('The input is not valid: you must specify a name when you specify a type.');
  }
  const records = ctx.store
    .list<RecordSetResource>('route53-record')
    .filter((record) => record.zoneId === zone.id)
    .map((record) => record.recordSet)
    .sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  let start = 0;
  if (startName !== undefined) {
    const from = sortKey({ Name: normaliseDnsName(startName), Type: startType ?? '' });
    start = records.findIndex((recordSet) => sortKey(recordSet).localeCompare(from) >= 0);
    if (start < 0) start = records.length;
  }
  const page = records.slice(start, start + maxItems);
  const next = records[start + maxItems];
  return {
    ResourceRecordSets: xmlList('ResourceRecordSet', page.map(recordSetView)),
    IsTruncated: next !== undefined,
    ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type } : {}),
    ...(next?.SetIdentifier !== undefined ? { NextRecordIdentifier: next.SetIdentifier } : {}),
    MaxItems: String(maxItems),
  };
}

/**
 * A record name as IAM compares it in `route53:ChangeResourceRecordSetsNormalizedRecordNames`: lower
 * case, no trailing dot, and every character other than a-z, 0-9, `-`, `_` and `.` as a `\` + three
 * octal digits escape (`*` → `\052`); escapes already in the name are kept.
 */
export function normalizedRecordName(name: string): string {
  const lower = name.trim().toLowerCase();
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  return bare.replace(/\\[0-7]{3}|[^a-z0-9_.-]/gu, (match) =>
    /^\\[0-7]{3}$/.test(match)
      ? match
      : [...Buffer.from(match, 'utf8')].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join(''),
  );
}

/** Route 53 ARNs have neither Region nor account. */
function hostedZoneArn(id: string): string {
  return `arn:aws:route53:::hostedzone/${bareId(id)}`;
}

function onZone(action: string, parameter: string): Authorizer {
  return (input) => [
    {
      action: `route53:${action}`,
      resource: hostedZoneArn(new InputReader(input, invalidInput).requiredString(parameter)),
    },
  ];
}

/**
 * ChangeResourceRecordSets is one request on the zone; its three multivalued keys list the batch's
 * actions, record types and normalised record names (each value once).
 */
function changeRecordsRequest(input: OperationInput): AccessRequest[] {
  const body = new InputReader(bodyOf(input, 'ChangeResourceRecordSetsRequest'), invalidInput);
  const actions = new Set<string>();
  const types = new Set<string>();
  const names = new Set<string>();
  for (const change of body.requiredObject('ChangeBatch').objects('Changes', 'Change')) {
    const action = change.string('Action');
    const recordSet = change.object('ResourceRecordSet');
    const type = recordSet?.string('Type');
    const name = recordSet?.string('Name');
    if (action !== undefined) actions.add(action);
    if (type !== undefined) types.add(type);
    if (name !== undefined) names.add(normalizedRecordName(name));
  }
  return [
    {
      action: 'route53:ChangeResourceRecordSets',
      resource: hostedZoneArn(body.requiredString('HostedZoneId')),
      context: {
        'route53:ChangeResourceRecordSetsActions': [...actions],
        'route53:ChangeResourceRecordSetsRecordTypes': [...types],
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [...names],
      },
    },
  ];
}

/** Hosted-zone operations on `hostedzone/<id>`, GetChange on `change/<id>`, creates and lists on `*`. */
const route53Authorizers: Record<string, Authorizer> = {
  CreateHostedZone: () => [{ action: 'route53:CreateHostedZone', resource: '*' }],
  ListHostedZones: () => [{ action: 'route53:ListHostedZones', resource: '*' }],
  GetHostedZone: onZone('GetHostedZone', 'Id'),
  DeleteHostedZone: onZone('DeleteHostedZone', 'Id'),
  ListResourceRecordSets: onZone('ListResourceRecordSets', 'HostedZoneId'),
  ChangeResourceRecordSets: changeRecordsRequest,
  GetChange: (input) => [
    {
      action: 'route53:GetChange',
      resource: `arn:aws:route53:::change/${bareId(new InputReader(input, invalidInput).requiredString('Id'))}`,
    },
  ],
};

export const route53: ServiceDefinition = {
  signingName: 'route53',
  protocol: 'rest-xml',
  xmlNamespace: 'https://route53.amazonaws.com/doc/2013-04-01/',
  routes: [
    { method: 'POST', path: '/2013-04-01/hostedzone', operation: 'CreateHostedZone', successStatus: 201 },
    { method: 'GET', path: '/2013-04-01/hostedzone', operation: 'ListHostedZones' },
    { method: 'GET', path: '/2013-04-01/hostedzone/{Id}', operation: 'GetHostedZone' },
    { method: 'DELETE', path: '/2013-04-01/hostedzone/{Id}', operation: 'DeleteHostedZone' },
    {
      method: 'POST',
      path: '/2013-04-01/hostedzone/{HostedZoneId}/rrset',
      operation: 'ChangeResourceRecordSets',
    },
    {
      method: 'GET',
      path: '/2013-04-01/hostedzone/{HostedZoneId}/rrset',
      operation: 'ListResourceRecordSets',
    },
    { method: 'GET', path: '/2013-04-01/change/{Id}', operation: 'GetChange' },
  ],
  operations: {
    CreateHostedZone: createHostedZone,
    GetHostedZone: getHostedZone,
    DeleteHostedZone: deleteHostedZone,
    ListHostedZones: listHostedZones,
    ChangeResourceRecordSets: changeResourceRecordSets,
    GetChange: getChange,
    ListResourceRecordSets: listResourceRecordSets,
  },
  // A refusal is rest-xml's `AccessDenied` 403, as Route 53 answers it.
  authorize: route53Authorizers,
  // Published buckets (burst / refill per second); all other operations default to 50 / 10.
  rateLimitCategory: (operation) => (operation === 'CreateHostedZone' ? 'create-hosted-zone' : 'default'),
  rateLimits: {
    default: { burst: 50, refillPerSecond: 10 },
    'create-hosted-zone': { burst: 40, refillPerSecond: 2 },
  },
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
};

/** Exported for other simulated services and tests that need to look at a zone's records. */
export function recordSetsOf(ctx: SimContext, zoneId: string): RecordSet[] {
  return ctx.store
    .list<RecordSetResource>('route53-record')
    .filter((record) => record.zoneId === bareId(zoneId))
    .map((record) => record.recordSet);
}
