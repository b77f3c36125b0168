/**
 * AWS list prices berth uses to estimate what an environment costs, kept in the repo so that an
 * estimate can always be traced to the figures behind it. Prices change: update `date` with the
 * figures, and add a region by copying a table from the pricing pages in `source`.
 *
 * All figures are on-demand, Linux, USD, without tax, free tier or savings plans.
 */

export interface RegionPrices {
  /** The day these figures were read from the pricing pages (ISO date). */
  date: string;
  source: readonly string[];
  natGatewayHour: number;
  natGatewayDataGb: number;
  /** Every public IPv4 address, attached or not, since February 2024. */
  publicIpv4Hour: number;
  albHour: number;
  albLcuHour: number;
  fargateVcpuHour: number;
  fargateGbHour: number;
  /** Fargate Spot is priced per region and moves with spare capacity; this is the typical discount. */
  fargateSpotDiscount: number;
  /** An Interface VPC endpoint, per Availability Zone it is in (Gateway endpoints are free). */
  vpcInterfaceEndpointZoneHour: number;
  /** Data processed by Interface endpoints (first petabyte a month). */
  vpcInterfaceEndpointDataGb: number;
  logsIngestedGb: number;
  logsStoredGbMonth: number;
  ebsGp3GbMonth: number;
  /** Approximate on-demand hourly prices of common instance types; others are not estimated. */
  ec2InstanceHour: Readonly<Record<string, number>>;
}

export const PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': {
    date: '2026-11-26',
    source: [
      'https://aws.amazon.com/vpc/pricing/',
      'https://aws.amazon.com/elasticloadbalancing/pricing/',
      'https://aws.amazon.com/fargate/pricing/',
      'https://aws.amazon.com/cloudwatch/pricing/',
      'https://aws.amazon.com/ebs/pricing/',
      'https://aws.amazon.com/ec2/pricing/on-demand/',
      // The two VPC endpoint figures were read on 2026-12-07.
      'https://aws.amazon.com/privatelink/pricing/',
    ],
    natGatewayHour: 0.045,
    natGatewayDataGb: 0.045,
    publicIpv4Hour: 0.005,
    albHour: 0.0225,
    albLcuHour: 0.008,
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    fargateSpotDiscount: 0.7,
    vpcInterfaceEndpointZoneHour: 0.01,
    vpcInterfaceEndpointDataGb: 0.01,
    logsIngestedGb: 0.5,
    logsStoredGbMonth: 0.03,
    ebsGp3GbMonth: 0.08,
    ec2InstanceHour: {
      't3.micro': 0.0104,
      't3.small': 0.0208,
      't3.medium': 0.0416,
      't3.large': 0.0832,
      't3.xlarge': 0.1664,
      't3.2xlarge': 0.3328,
      't3a.medium': 0.0376,
      't3a.large': 0.0752,
      't4g.medium': 0.0336,
      't4g.large': 0.0672,
      'm5.large': 0.096,
      'm5.xlarge': 0.192,
      'm5.2xlarge': 0.384,
      'm6i.large': 0.096,
      'm6i.xlarge': 0.192,
      'm6g.large': 0.077,
      'm7g.large': 0.0816,
      'm7g.xlarge': 0.1632,
      'c5.large': 0.085,
      'c6i.large': 0.085,
      'c7g.large': 0.0725,
      'r5.large': 0.126,
      'r6i.large': 0.126,
    },
  },
};

/** The region whose table stands in for a region without one (its prices are among the lowest). */
export const FALLBACK_PRICE_REGION = 'us-east-1';
