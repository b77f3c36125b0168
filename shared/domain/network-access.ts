/**
 * Who may reach what inside an environment's VPC, and in which zones it lives. Three security groups
 * chain traffic inward — the ALB takes 80/443 from the allowed CIDRs, services take their container
 * ports from the ALB group only, databases take their ports from the service group only — so nothing
 * behind the load balancer is reachable from outside even when a CIDR list is wide. Decided here,
 * without the SDK; shared/aws/network.ts creates the groups and converges their rules to this plan.
 */
import { formatCidr, parseCidr } from './cidr';

/** Database engines' ports the database security group opens to the service group (PostgreSQL, MySQL). */
export const DATABASE_PORTS: readonly number[] = [5432, 3306];
const ALB_PORTS: readonly number[] = [80, 443];

/** One ingress rule: TCP on one port from a CIDR or from another security group. */
export interface IngressRule {
  port: number;
  source: { cidr: string } | { groupId: string };
  description: string;
}

export interface IngressPlan {
  alb: IngressRule[];
  service: IngressRule[];
  database: IngressRule[];
}

/** The ingress rules of the three groups, given the ids AWS gave the groups traffic comes from. */
export function planIngress(options: {
  allowedIngressCidrs: readonly string[];
  containerPorts: readonly number[];
  albGroupId: string;
  serviceGroupId: string;
}): IngressPlan {
  // AWS stores a source CIDR as its network address; compare and send it that way.
  const sources = [
    ...new Set(
      options.allowedIngressCidrs.map((cidr) => formatCidr(parseCidr(cidr, { allowHostBits: true }))),
    ),
  ];
  return {
    alb: ALB_PORTS.flatMap((port) =>
      sources.map((cidr) => ({ port, source: { cidr }, description: `HTTP(S) ${port} from allowed CIDR` })),
    ),
    service: planServiceIngress(options.containerPorts, options.albGroupId),
    database: DATABASE_PORTS.map((port) => ({
      port,
      source: { groupId: options.serviceGroupId },
      description: `database port ${port} from services`,
    })),
  };
}

/**
 * The service group's ingress: each port some service listens on, from the load balancer group only
 * (one rule per port, so a port no service uses any more is one rule to revoke).
 */
export function planServiceIngress(containerPorts: readonly number[], albGroupId: string): IngressRule[] {
  const ports = [...new Set(containerPorts)].sort((a, b) => a - b);
  return ports.map((port) => ({
    port,
    source: { groupId: albGroupId },
    description: `container port ${port} from the load balancer`,
  }));
}

export class NotEnoughZones extends Error {
  override readonly name = 'NotEnoughZones';

  constructor(available: number, needed: number) {
    super(`the Region has ${available} available zones, ${needed} are needed`);
  }
}

/**
 * The zones an environment uses: the first `count` by name, so every retry and every later update
 * picks the same ones (subnet `i` of each tier lives in zone `i`).
 */
export function chooseZones(available: readonly string[], count: number): string[] {
  const zones = [...available].sort();
  if (zones.length < count) throw new NotEnoughZones(zones.length, count);
  return zones.slice(0, count);
}
