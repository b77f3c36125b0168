/**
 * Every Route 53 call of berth: the optional A alias record that points an environment's domain name
 * at its Application Load Balancer.
 *
 * Route 53 record sets cannot be tagged (only hosted zones and health checks can), so berth marks its
 * own: a TXT record of the same name, `"berth:environment=<environment id>"`, created in the same
 * atomic change batch as the alias with CREATE (never UPSERT). A name that already has an A or TXT
 * record berth did not make for this environment is refused, not overwritten; teardown deletes only
 * a record whose marker names the environment (and the alias only while it still points at the
 * environment's ALB), so naming someone else's record can neither take it over nor delete it
 * (docs/aws-facts.md#dns-record-ownership).
 *
 * Nothing here waits: a change is `PENDING` until Route 53 has propagated it (usually within a
 * minute), and the workflow polls `changeStatus` until `INSYNC`. Throttling (`Throttling`,
 * `PriorRequestNotComplete`) and 5xx errors propagate.
 */
import {
  type ChangeBatch,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { stepCalls } from './retry-budget';
import { traced } from './tracing';

/** Region, credentials and endpoint come from the environment (`AWS_ENDPOINT_URL_ROUTE_53`). */
const defaultClient = /* @__PURE__ */ traced(/* @__PURE__ */ new Route53Client(stepCalls));

export interface AliasTarget {
  /** The ALB's DNS name. */
  dnsName: string;
  /** The ALB's canonical hosted zone id (not the zone the record lives in). */
  canonicalHostedZoneId: string;
}

export type ChangeStatus = 'PENDING' | 'INSYNC';

/** Route 53 answers ids as `/change/C123` and `/hostedzone/Z123`; berth keeps the bare id. */
function bareId(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

/**
 * A record name as Route 53 lists it: lower case, a trailing dot, and `*` as `\052` (Route 53 escapes
 * characters outside a–z, 0–9, `-` and `_` in names it returns).
 */
function canonicalName(name: string): string {
  const lower = name.toLowerCase().replaceAll('\\052', '*');
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function changeIdOf(answer: { ChangeInfo?: { Id?: string } }): string {
  const id = answer.ChangeInfo?.Id;
  if (id === undefined || id === '') throw new Error('Route 53 returned no change id');
  return bareId(id);
}

function aliasRecord(recordName: string, target: AliasTarget): ResourceRecordSet {
  return {
    Name: recordName,
    Type: 'A',
    AliasTarget: {
      HostedZoneId: target.canonicalHostedZoneId,
      DNSName: target.dnsName,
      // Route 53 then answers only while the ALB has a healthy target in some AZ.
      EvaluateTargetHealth: true,
    },
  };
}

const OWNER_PREFIX = 'berth:environment=';

/** The TXT record that says which environment made the records of `recordName`. */
function ownerRecord(recordName: string, environmentId: string): ResourceRecordSet {
  return {
    Name: recordName,
    Type: 'TXT',
    TTL: 300,
    ResourceRecords: [{ Value: `"${OWNER_PREFIX}${environmentId}"` }],
  };
}

/** The name already holds records berth did not make for this environment: nothing was changed. */
export class DnsRecordNotOwned extends Error {
  constructor(recordName: string) {
    super(
      `${recordName} already has an A or TXT record that this environment did not create; berth ` +
        'never overwrites a record it does not own: choose another name or remove that record',
    );
    this.name = 'DnsRecordNotOwned';
  }
}

function change(client: Route53Client, hostedZoneId: string, batch: ChangeBatch): Promise<string> {
  return client
    .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, ChangeBatch: batch }))
    .then(changeIdOf);
}

/**
 * Points `recordName` at the ALB for `environmentId`; the change id. The alias and its ownership
 * marker are CREATEd together; when they exist already (a re-run of the step), the alias is
 * repointed only if the marker names this environment, otherwise `DnsRecordNotOwned`.
 */
export async function claimAliasRecord(
  hostedZoneId: string,
  recordName: string,
  environmentId: string,
  target: AliasTarget,
  client: Route53Client = defaultClient,
): Promise<string> {
  try {
    return await change(client, hostedZoneId, {
      Comment: `berth: alias to the load balancer of ${environmentId}`,
      Changes: [
        { Action: 'CREATE', ResourceRecordSet: aliasRecord(recordName, target) },
        { Action: 'CREATE', ResourceRecordSet: ownerRecord(recordName, environmentId) },
      ],
    });
  } catch (error) {
    if (!(error instanceof InvalidChangeBatch && /already exists/i.test(error.message))) throw error;
  }
  const owner = await findRecord(hostedZoneId, recordName, 'TXT', client);
  if (!ownerMarkerNames(owner, environmentId)) throw new DnsRecordNotOwned(recordName);
  return change(client, hostedZoneId, {
    Comment: `berth: alias to the load balancer of ${environmentId}`,
    Changes: [{ Action: 'UPSERT', ResourceRecordSet: aliasRecord(recordName, target) }],
  });
}

function ownerMarkerNames(record: ResourceRecordSet | undefined, environmentId: string): boolean {
  return (record?.ResourceRecords ?? []).some((value) => value.Value === `"${OWNER_PREFIX}${environmentId}"`);
}

/** Whether a change has reached all Route 53 name servers (`INSYNC`) or not yet (`PENDING`). */
export async function changeStatus(
  changeId: string,
  client: Route53Client = defaultClient,
): Promise<ChangeStatus> {
  const status = (await client.send(new GetChangeCommand({ Id: changeId }))).ChangeInfo?.Status;
  if (status !== 'PENDING' && status !== 'INSYNC') {
    throw new Error(`Route 53 returned an unknown change status: ${String(status)}`);
  }
  return status;
}

/** The record of `type` named `recordName` in the zone, if any (one item, starting at that name and type). */
async function findRecord(
  hostedZoneId: string,
  recordName: string,
  type: 'A' | 'TXT',
  client: Route53Client,
): Promise<ResourceRecordSet | undefined> {
  const answer = await client.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      StartRecordName: recordName,
      StartRecordType: type,
      MaxItems: 1,
    }),
  );
  const [record] = answer.ResourceRecordSets ?? [];
  const sameName = record?.Name !== undefined && canonicalName(record.Name) === canonicalName(recordName);
  // A weighted or latency record has a SetIdentifier: berth never makes those, so it is not ours.
  return sameName && record?.Type === type && record.SetIdentifier === undefined ? record : undefined;
}

/**
 * Deletes the alias and marker `environmentId` made; the change id, or undefined when there was
 * nothing of this environment's to delete. Without a marker naming the environment nothing is
 * touched. With `target`, the alias goes only while it points at that ALB (the marker goes anyway).
 */
export async function releaseAliasRecord(
  hostedZoneId: string,
  recordName: string,
  environmentId: string,
  options: { target?: Pick<AliasTarget, 'dnsName'> } = {},
  client: Route53Client = defaultClient,
): Promise<string | undefined> {
  let owner: ResourceRecordSet | undefined;
  let record: ResourceRecordSet | undefined;
  try {
    owner = await findRecord(hostedZoneId, recordName, 'TXT', client);
    if (!owner || !ownerMarkerNames(owner, environmentId)) return undefined;
    record = await findRecord(hostedZoneId, recordName, 'A', client);
  } catch (error) {
    // NoSuchHostedZone: the zone is gone, and its records with it.
    if (error instanceof NoSuchHostedZone) return undefined;
    throw error;
  }
  const alias = record?.AliasTarget?.DNSName;
  const aliasIsOurs =
    record !== undefined &&
    alias !== undefined &&
    (options.target === undefined || canonicalName(alias) === canonicalName(options.target.dnsName));
  try {
    // A DELETE must repeat each record exactly as it is, hence the lookups above.
    return await change(client, hostedZoneId, {
      Changes: [
        ...(aliasIsOurs && record ? [{ Action: 'DELETE' as const, ResourceRecordSet: record }] : []),
        { Action: 'DELETE', ResourceRecordSet: owner },
      ],
    });
  } catch (error) {
    // InvalidChangeBatch "…but it was not found": deleted since the lookup, which is what we wanted.
    if (error instanceof InvalidChangeBatch && /not found/i.test(error.message)) return undefined;
    throw error;
  }
}
