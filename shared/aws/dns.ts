/**
 * Every Route 53 call of berth: the optional A alias record that points an environment's domain name
 * at its Application Load Balancer.
 *
 * Route 53 record sets cannot be tagged (only hosted zones and health checks can), so the teardown
 * cannot find them by tag as it finds everything else: berth finds its record from the spec's `dns`
 * (hosted zone id and record name) and the ALB values recorded on the environment, and deletes it
 * only when it is still an alias to that ALB.
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

/** Points `recordName` at the ALB (UPSERT of an A alias: creates or replaces it); the change id. */
export async function upsertAliasRecord(
  hostedZoneId: string,
  recordName: string,
  target: AliasTarget,
  client: Route53Client = defaultClient,
): Promise<string> {
  const batch: ChangeBatch = {
    Comment: 'berth: alias to the environment load balancer',
    Changes: [{ Action: 'UPSERT', ResourceRecordSet: aliasRecord(recordName, target) }],
  };
  return changeIdOf(
    await client.send(
      new ChangeResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, ChangeBatch: batch }),
    ),
  );
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

/** The A record named `recordName` in the zone, if any (one page, starting at that name). */
async function findARecord(
  hostedZoneId: string,
  recordName: string,
  client: Route53Client,
): Promise<ResourceRecordSet | undefined> {
  const answer = await client.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      StartRecordName: recordName,
      StartRecordType: 'A',
      MaxItems: 1,
    }),
  );
  const [record] = answer.ResourceRecordSets ?? [];
  const sameName = record?.Name !== undefined && canonicalName(record.Name) === canonicalName(recordName);
  // A weighted or latency record has a SetIdentifier: berth never makes those, so it is not ours.
  return sameName && record?.Type === 'A' && record.SetIdentifier === undefined ? record : undefined;
}

/**
 * Deletes the alias record; the change id, or undefined when there was nothing of berth's to delete.
 * With `target`, only an alias to that ALB is deleted (the name may have been repointed since).
 */
export async function deleteAliasRecord(
  hostedZoneId: string,
  recordName: string,
  options: { target?: Pick<AliasTarget, 'dnsName'> } = {},
  client: Route53Client = defaultClient,
): Promise<string | undefined> {
  let record: ResourceRecordSet | undefined;
  try {
    record = await findARecord(hostedZoneId, recordName, client);
  } catch (error) {
    // NoSuchHostedZone: the zone is gone, and its records with it.
    if (error instanceof NoSuchHostedZone) return undefined;
    throw error;
  }
  const alias = record?.AliasTarget;
  if (record === undefined || alias?.DNSName === undefined) return undefined;
  if (
    options.target !== undefined &&
    canonicalName(alias.DNSName) !== canonicalName(options.target.dnsName)
  ) {
    return undefined;
  }
  try {
    // A DELETE must repeat the record exactly as it is, hence the lookup above.
    const batch: ChangeBatch = { Changes: [{ Action: 'DELETE', ResourceRecordSet: record }] };
    return changeIdOf(
      await client.send(
        new ChangeResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, ChangeBatch: batch }),
      ),
    );
  } catch (error) {
    // InvalidChangeBatch "…but it was not found": deleted since the lookup, which is what we wanted.
    if (error instanceof InvalidChangeBatch && /not found/i.test(error.message)) return undefined;
    throw error;
  }
}
