/**
 * What an environment costs per month, estimated from its spec and the price table in `prices.ts`.
 * The estimate is the running baseline a team commits to (NAT gateways, public addresses, the load
 * balancer, tasks or instances, logs); traffic-driven charges are represented by stated baselines,
 * never guessed silently: every baseline is listed in `assumptions`.
 */

import { natGatewayCount } from './nat-gateways';
import { FALLBACK_PRICE_REGION, PRICES, type RegionPrices } from './prices';
import type { EnvironmentSpec } from './spec';
import { interfaceEndpointZones } from './vpc-endpoints';
import * as z from './zod';

/** AWS bills a month as 730 hours in its pricing examples. */
export const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
/** Baseline traffic through each NAT gateway (image pulls, outbound API calls). */
export const NAT_DATA_GB_PER_GATEWAY = 10;
/** Baseline traffic through the Interface VPC endpoints without NAT (image pulls, logs, secrets). */
export const ENDPOINT_DATA_GB = 10;
/** Baseline load-balancer capacity units in use on average (a lightly used ALB). */
export const ALB_LCUS = 1;
/** Baseline log volume each running task writes. */
export const LOG_GB_PER_TASK = 1;
/** Long retentions reach their steady state only after years; the estimate counts the first year. */
const MAX_STORED_LOG_DAYS = 365;

export const costLineSchema = z.object({
  item: z.string(),
  quantity: z.number(),
  unit: z.string(),
  monthly: z.meta(z.number(), { description: 'USD per month, rounded to the cent.' }),
});

export const costEstimateSchema = z.meta(
  z.object({
    currency: z.literal('USD'),
    monthly: z.meta(z.number(), { description: 'The sum of the lines, USD per month.' }),
    region: z.string(),
    lines: z.array(costLineSchema),
    assumptions: z.array(z.string()),
    priceDate: z.meta(z.string(), {
      description: 'When the prices used were read from the AWS pricing pages.',
    }),
  }),
  { description: 'Estimated monthly cost of the environment at on-demand list prices.' },
);

export type CostLine = z.output<typeof costLineSchema>;
export type CostEstimate = z.output<typeof costEstimateSchema>;

/** Rounds half up to the cent; through micro-dollars first, so 16.425 (16.42499… in binary) gives 16.43. */
const roundCents = (value: number) => Math.round(Math.round(value * 1e6) / 1e4) / 100;
/** Quantities keep a few decimals (0.25 vCPU × 730 h), without float noise such as 182.50000000001. */
const roundQuantity = (value: number) => Math.round(value * 10000) / 10000;

/** The estimated monthly cost of `spec` in `region`; types or regions without prices are named in assumptions. */
export function estimateMonthlyCost(spec: EnvironmentSpec, region: string): CostEstimate {
  const known = PRICES[region];
  const prices: RegionPrices | undefined = known ?? PRICES[FALLBACK_PRICE_REGION];
  if (!prices) throw new Error(`the price table has no ${FALLBACK_PRICE_REGION} entry`);
  const lines: CostLine[] = [];
  const assumptions: string[] = [
    `${HOURS_PER_MONTH} hours per month; on-demand list prices without tax, free tier or savings plans`,
  ];
  if (!known) {
    assumptions.push(`no price table for ${region}: ${FALLBACK_PRICE_REGION} prices are shown`);
  }
  const add = (item: string, quantity: number, unit: string, price: number) => {
    if (quantity <= 0) return;
    lines.push({ item, quantity: roundQuantity(quantity), unit, monthly: roundCents(quantity * price) });
  };

  const nats = natGatewayCount(spec.network);
  add('NAT gateway', nats * HOURS_PER_MONTH, 'gateway-hour', prices.natGatewayHour);
  add('NAT gateway data processed', nats * NAT_DATA_GB_PER_GATEWAY, 'GB', prices.natGatewayDataGb);
  if (nats > 0) assumptions.push(`${NAT_DATA_GB_PER_GATEWAY} GB per month through each NAT gateway`);

  // Without NAT, the tasks' endpoints (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat):
  // each Interface endpoint is billed per zone; the S3 Gateway endpoint is free.
  const endpointZones = interfaceEndpointZones(spec);
  add(
    'VPC interface endpoints',
    endpointZones * HOURS_PER_MONTH,
    'endpoint-AZ-hour',
    prices.vpcInterfaceEndpointZoneHour,
  );
  if (endpointZones > 0) {
    add('VPC endpoint data processed', ENDPOINT_DATA_GB, 'GB', prices.vpcInterfaceEndpointDataGb);
    assumptions.push(`${ENDPOINT_DATA_GB} GB per month through the VPC interface endpoints`);
  }

  // An internet-facing ALB holds one public address per AZ; each NAT gateway holds one Elastic IP.
  const albAddresses = spec.loadBalancer.scheme === 'internet-facing' ? spec.network.availabilityZones : 0;
  add('Public IPv4 address', (nats + albAddresses) * HOURS_PER_MONTH, 'address-hour', prices.publicIpv4Hour);

  add('Application Load Balancer', HOURS_PER_MONTH, 'ALB-hour', prices.albHour);
  add('Load balancer capacity units', ALB_LCUS * HOURS_PER_MONTH, 'LCU-hour', prices.albLcuHour);
  assumptions.push(`${ALB_LCUS} load balancer capacity unit (LCU) in use on average`);

  const { capacity, ec2 } = spec.cluster;
  if (capacity === 'EC2' && ec2) {
    const hourly = prices.ec2InstanceHour[ec2.instanceType];
    if (hourly === undefined) {
      assumptions.push(
        `no price for instance type ${ec2.instanceType}: its ${ec2.desiredCapacity} instance(s) are not included`,
      );
    } else {
      add(`EC2 ${ec2.instanceType}`, ec2.desiredCapacity * HOURS_PER_MONTH, 'instance-hour', hourly);
      assumptions.push('EC2 prices are approximate on-demand Linux prices');
    }
    add('EBS gp3 root volumes', ec2.desiredCapacity * ec2.rootVolumeGiB, 'GB-month', prices.ebsGp3GbMonth);
    assumptions.push('EC2 instances counted at their desired capacity; tasks run on them at no extra charge');
  } else {
    const spot = capacity === 'FARGATE_SPOT';
    const factor = spot ? 1 - prices.fargateSpotDiscount : 1;
    const label = spot ? 'Fargate Spot' : 'Fargate';
    for (const service of spec.services) {
      const taskHours = service.desiredCount * HOURS_PER_MONTH;
      add(
        `${label} vCPU (${service.name})`,
        (service.cpu / 1024) * taskHours,
        'vCPU-hour',
        prices.fargateVcpuHour * factor,
      );
      add(
        `${label} memory (${service.name})`,
        (service.memory / 1024) * taskHours,
        'GB-hour',
        prices.fargateGbHour * factor,
      );
    }
    if (spot) {
      assumptions.push(
        `Fargate Spot at ${Math.round(prices.fargateSpotDiscount * 100)}% below on-demand (the discount varies)`,
      );
    }
  }

  for (const service of spec.services) {
    const ingested = service.desiredCount * LOG_GB_PER_TASK;
    add(`CloudWatch Logs ingested (${service.name})`, ingested, 'GB', prices.logsIngestedGb);
    const storedDays = Math.min(service.logging.retentionDays, MAX_STORED_LOG_DAYS);
    add(
      `CloudWatch Logs stored (${service.name})`,
      (ingested * storedDays) / DAYS_PER_MONTH,
      'GB-month',
      prices.logsStoredGbMonth,
    );
  }
  assumptions.push(
    `${LOG_GB_PER_TASK} GB of logs per running task per month, stored for the log group's retention (at most a year counted)`,
  );
  if (spec.jobs.length > 0) assumptions.push('jobs run on demand and are not included');
  assumptions.push('not included: data transfer out, Container Insights metrics, Route 53, ECR storage');

  const monthly = roundCents(lines.reduce((sum, line) => sum + line.monthly, 0));
  return { currency: 'USD', monthly, region, lines, assumptions, priceDate: prices.date };
}
