/**
 * The AWS account's quotas for admission: the applied values from Service Quotas (GetServiceQuota,
 * one call per quota berth's environments count against) and what EC2 shows in use that berth did
 * not make — resources without berth's `berth:managed-by` tag, such as the default VPC and its
 * internet gateway. Load balancers, target groups and Fargate vCPUs are counted from berth's own
 * reservations only (their Describe calls carry no tags); usage berth did not make there is caught
 * by AWS's refusal at build time (docs/aws-facts.md#account-quotas-and-the-service-quotas-api).
 *
 * A plain read, each call to AWS: sharing one read between containers is admission's business
 * (shared/app/account-quotas.ts `sharedQuotaReads`).
 */
import {
  DescribeAddressesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  type Filter,
  paginateDescribeInternetGateways,
  paginateDescribeNatGateways,
  paginateDescribeVpcs,
  type Tag,
} from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { MANAGED_BY, TAG_MANAGED_BY } from '../domain/naming';
import {
  ACCOUNT_DIMENSIONS,
  ACCOUNT_QUOTAS,
  type AccountAmounts,
  type AccountQuotaSnapshot,
  ZERO_ACCOUNT_USAGE,
} from '../domain/usage';
import { requestCalls } from './retry-budget';

/** Region, credentials and endpoints come from the environment (`AWS_ENDPOINT_URL_SERVICE_QUOTAS`, `…_EC2`). */
const defaultServiceQuotas = /* @__PURE__ */ new ServiceQuotasClient(requestCalls);
const defaultEc2 = /* @__PURE__ */ new EC2Client(requestCalls);

/** A quota Service Quotas does not know in this Region limits nothing berth can see. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

export interface AccountQuotaReaderOptions {
  serviceQuotas?: ServiceQuotasClient;
  ec2?: EC2Client;
}

const ownedByBerth = (tags: Tag[] | undefined) =>
  (tags ?? []).some((tag) => tag.Key === TAG_MANAGED_BY && tag.Value === MANAGED_BY);

/** A reader of the account's quotas and others' usage. */
export function accountQuotaReader(
  options: AccountQuotaReaderOptions = {},
): () => Promise<AccountQuotaSnapshot> {
  const serviceQuotas = options.serviceQuotas ?? defaultServiceQuotas;
  const ec2 = options.ec2 ?? defaultEc2;
  return () => readSnapshot(serviceQuotas, ec2);
}

async function readSnapshot(
  serviceQuotas: ServiceQuotasClient,
  ec2: EC2Client,
): Promise<AccountQuotaSnapshot> {
  const region = await serviceQuotas.config.region();
  const [quotas, external] = await Promise.all([readQuotaValues(serviceQuotas), countExternalUsage(ec2)]);
  return { account: quotas.account, region, values: quotas.values, external };
}

async function readQuotaValues(
  client: ServiceQuotasClient,
): Promise<{ account: string; values: AccountAmounts }> {
  const values = { ...ZERO_ACCOUNT_USAGE };
  let account: string | undefined;
  await Promise.all(
    ACCOUNT_DIMENSIONS.map(async (dimension) => {
      const { serviceCode, quotaCode } = ACCOUNT_QUOTAS[dimension];
      try {
        const { Quota } = await client.send(
          new GetServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode }),
        );
        values[dimension] = Quota?.Value ?? UNLIMITED;
        // arn:aws:servicequotas:<region>:<account>:<serviceCode>/<quotaCode>
        account ??= Quota?.QuotaArn?.split(':')[4] || undefined;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'NoSuchResourceException') throw error;
        values[dimension] = UNLIMITED;
      }
    }),
  );
  if (!account) throw new Error('Service Quotas answered no quota ARN to learn the account from');
  return { account, values };
}

/** NAT gateways hold a quota while pending, available or deleting. */
const liveNatGateways: Filter[] = [{ Name: 'state', Values: ['pending', 'available', 'deleting'] }];

async function countExternalUsage(ec2: EC2Client): Promise<AccountAmounts> {
  const external = { ...ZERO_ACCOUNT_USAGE };
  const count = async <T extends { Tags?: Tag[] }>(pages: AsyncIterable<T[]>) => {
    let others = 0;
    for await (const page of pages) others += page.filter((item) => !ownedByBerth(item.Tags)).length;
    return others;
  };
  const [vpcs, gateways, addresses, natZones] = await Promise.all([
    count(mapPages(paginateDescribeVpcs({ client: ec2 }, {}), (page) => page.Vpcs ?? [])),
    count(
      mapPages(paginateDescribeInternetGateways({ client: ec2 }, {}), (page) => page.InternetGateways ?? []),
    ),
    ec2
      .send(new DescribeAddressesCommand({}))
      .then(({ Addresses = [] }) => Addresses.filter((address) => !ownedByBerth(address.Tags)).length),
    externalNatGatewaysPerZone(ec2),
  ]);
  external.vpcs = vpcs;
  external.internetGateways = gateways;
  external.elasticIps = addresses;
  external.natGatewaysPerZone = natZones;
  return external;
}

/** Others' NAT gateways in the busiest zone (the quota is per zone). */
async function externalNatGatewaysPerZone(ec2: EC2Client): Promise<number> {
  const subnetIds: string[] = [];
  for await (const page of paginateDescribeNatGateways({ client: ec2 }, { Filter: liveNatGateways })) {
    for (const nat of page.NatGateways ?? []) {
      if (!ownedByBerth(nat.Tags) && nat.SubnetId) subnetIds.push(nat.SubnetId);
    }
  }
  if (subnetIds.length === 0) return 0;
  const { Subnets = [] } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...new Set(subnetIds)] }));
  const zoneOf = new Map(Subnets.map((subnet) => [subnet.SubnetId, subnet.AvailabilityZone ?? '']));
  const perZone = new Map<string, number>();
  for (const subnetId of subnetIds) {
    const zone = zoneOf.get(subnetId) ?? '';
    perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
  }
  return Math.max(...perZone.values());
}

async function* mapPages<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[]): AsyncIterable<T[]> {
  for await (const page of pages) yield items(page);
}
