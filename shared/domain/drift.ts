/**
 * Drift: where an environment's AWS resources no longer match what berth built from its spec —
 * someone scaled a service in the console, edited a health check, deleted a rule or a tag.
 *
 * This module is pure: `findDifferences` compares the desired spec with an `ObservedEnvironment`
 * snapshot (what AWS answered, built by shared/aws/observe.ts) and lists each difference. A resource
 * the runtime record names but AWS no longer has is a difference (`exists`: true → false), never an
 * error, and nothing below it is compared.
 */
import { environmentIdSchema } from './environment';
import {
  type EnvironmentRef,
  environmentTags,
  names,
  TAG_ENVIRONMENT,
  TAG_MANAGED_BY,
  TAG_TEAM,
} from './naming';
import { natGatewayCount } from './nat-gateways';
import type { EnvironmentSpec, ServiceSpec } from './spec';
import * as z from './zod';

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

export const driftValueSchema = z.meta(
  z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]),
  { description: 'null when AWS reports no value (an absent tag, a log group that never expires).' },
);

export const driftDifferenceSchema = z.object({
  resource: z.meta(z.string(), {
    description: 'kind/name of the AWS resource, e.g. service/web, target-group/a1b2c3d4-web, vpc/vpc-0abc.',
    examples: ['service/web'],
  }),
  field: z.meta(z.string(), {
    description: 'What differs: exists, desiredCount, image, healthCheck.path, tags.berth:team…',
    examples: ['desiredCount'],
  }),
  expected: driftValueSchema,
  actual: driftValueSchema,
});

export const driftReportSchema = z.object({
  environmentId: environmentIdSchema,
  checkedAt: z.iso.datetime({ offset: true }),
  drifted: z.meta(z.boolean(), { description: 'True when differences is not empty.' }),
  differences: z.array(driftDifferenceSchema),
});

export type DriftValue = z.output<typeof driftValueSchema>;
export type DriftDifference = z.output<typeof driftDifferenceSchema>;
export type DriftReport = z.output<typeof driftReportSchema>;

// ---------------------------------------------------------------------------------------------
// What berth built (the store's `runtime` attribute) and what AWS answered
// ---------------------------------------------------------------------------------------------

/**
 * The part of the store-internal `runtime` record (written by record-ready) that drift reads. Not
 * strict: the record holds more (route tables, security groups) than drift compares.
 */
export const builtResourcesSchema = z.object({
  network: z.object({
    vpcId: z.string(),
    subnets: z.object({
      public: z.array(z.string()),
      app: z.array(z.string()),
      database: z.array(z.string()),
    }),
    natGateways: z.array(z.object({ id: z.string() })),
  }),
  loadBalancer: z.object({
    arn: z.string(),
    httpListenerArn: z.string(),
    httpsListenerArn: z.optional(z.string()),
    /** Target group ARN per service name. */
    targetGroups: z.record(z.string(), z.string()),
  }),
  cluster: z.object({ clusterName: z.string() }),
});

export type BuiltResources = z.output<typeof builtResourcesSchema>;

/** What the observer needs: the environment, the services its spec names, and what was built. */
export interface ObservationTarget {
  ref: EnvironmentRef;
  serviceNames: string[];
  built: BuiltResources;
}

export type Tags = Readonly<Record<string, string>>;

/** One resource as AWS answered for it; `id` names it in differences (an AWS id or berth's name). */
export type Observed<T extends object = object> =
  | ({ id: string; found: true } & T)
  | { id: string; found: false };

export interface ObservedHealthCheck {
  path?: string;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  matcher?: string;
}

export interface ObservedService {
  name: string;
  service: Observed<{ status: string; desiredCount: number; tags: Tags }>;
  /** The service's current task definition; absent when the service itself is missing. */
  taskDefinition?: Observed<{ image?: string; cpu?: string; memory?: string }>;
  targetGroup: Observed<{ healthCheck: ObservedHealthCheck; tags: Tags }>;
  /** The rule of the serving listener that forwards to the service's target group. */
  listenerRule: Observed<{ priority?: number; pathPatterns: string[]; hostHeaders: string[] }>;
  logGroup: Observed<{ retentionDays?: number }>;
}

export interface ObservedEnvironment {
  vpc: Observed<{ tags: Tags }>;
  subnets: Observed[];
  /** The recorded NAT gateways with the state AWS reports (deleted ones stay listed for about an hour). */
  natGateways: Observed<{ state: string }>[];
  loadBalancer: Observed<{ tags: Tags }>;
  listeners: Observed[];
  cluster: Observed<{ tags: Tags; containerInsights?: string }>;
  services: ObservedService[];
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

const BERTH_TAG_KEYS = [TAG_ENVIRONMENT, TAG_TEAM, TAG_MANAGED_BY] as const;
/** NAT gateway states that still route traffic (or soon will). */
const LIVE_NAT_STATES = ['pending', 'available'];

/** A set of condition values in one canonical order, so order in AWS's answer is not drift. */
function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  const left = sorted(a);
  const right = sorted(b);
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

/** `"512"` (ECS answers task sizes as strings) → 512; anything else as it is, or null. */
function numeric(value: string | undefined): number | string | null {
  if (value === undefined) return null;
  return /^\d+$/.test(value) ? Number(value) : value;
}

class Differences {
  readonly list: DriftDifference[] = [];

  add(resource: string, field: string, expected: DriftValue, actual: DriftValue): void {
    this.list.push({ resource, field, expected, actual });
  }

  /** Records a value that differs; `undefined` from AWS is reported as null. */
  compare(resource: string, field: string, expected: DriftValue, actual: DriftValue | undefined): void {
    if (actual !== expected) this.add(resource, field, expected, actual ?? null);
  }

  /** True when the resource exists; otherwise records it as missing. */
  exists<T extends object>(
    resource: string,
    observed: Observed<T>,
  ): observed is { id: string; found: true } & T {
    if (!observed.found) this.add(resource, 'exists', true, false);
    return observed.found;
  }

  /** The three berth tags every resource carries from its creation. */
  tags(resource: string, wanted: Tags, actual: Tags): void {
    for (const key of BERTH_TAG_KEYS) this.compare(resource, `tags.${key}`, wanted[key] ?? null, actual[key]);
  }
}

function compareService(
  env: EnvironmentRef,
  spec: ServiceSpec,
  observed: ObservedService | undefined,
  wantedTags: Tags,
  found: Differences,
): void {
  const resource = `service/${spec.name}`;
  if (observed === undefined) {
    found.add(resource, 'exists', true, false);
    return;
  }
  const { service, taskDefinition, targetGroup, listenerRule, logGroup } = observed;
  if (found.exists(resource, service)) {
    found.compare(resource, 'status', 'ACTIVE', service.status);
    found.compare(resource, 'desiredCount', spec.desiredCount, service.desiredCount);
    found.tags(resource, wantedTags, service.tags);
  }
  if (taskDefinition !== undefined) {
    const definition = `task-definition/${taskDefinition.id}`;
    if (found.exists(definition, taskDefinition)) {
      found.compare(definition, 'image', spec.image, taskDefinition.image);
      found.compare(definition, 'cpu', spec.cpu, numeric(taskDefinition.cpu));
      found.compare(definition, 'memory', spec.memory, numeric(taskDefinition.memory));
    }
  }

  const group = `target-group/${targetGroup.id}`;
  if (found.exists(group, targetGroup)) {
    const wanted = spec.healthCheck;
    const actual = targetGroup.healthCheck;
    found.compare(group, 'healthCheck.path', wanted.path, actual.path);
    found.compare(group, 'healthCheck.intervalSeconds', wanted.intervalSeconds, actual.intervalSeconds);
    found.compare(group, 'healthCheck.timeoutSeconds', wanted.timeoutSeconds, actual.timeoutSeconds);
    found.compare(group, 'healthCheck.healthyThreshold', wanted.healthyThreshold, actual.healthyThreshold);
    found.compare(
      group,
      'healthCheck.unhealthyThreshold',
      wanted.unhealthyThreshold,
      actual.unhealthyThreshold,
    );
    found.compare(group, 'healthCheck.matcher', wanted.matcher, actual.matcher);
    found.tags(group, wantedTags, targetGroup.tags);
  }

  const rule = `listener-rule/${listenerRule.id}`;
  if (found.exists(rule, listenerRule)) {
    const { pathPatterns, hostHeaders, priority } = spec.routing;
    if (!sameValues(pathPatterns, listenerRule.pathPatterns)) {
      found.add(rule, 'pathPatterns', sorted(pathPatterns), sorted(listenerRule.pathPatterns));
    }
    // ALB matches host names case-insensitively, so only a different name is drift.
    const wantedHosts = hostHeaders.map((host) => host.toLowerCase());
    const actualHosts = listenerRule.hostHeaders.map((host) => host.toLowerCase());
    if (!sameValues(wantedHosts, actualHosts)) {
      found.add(rule, 'hostHeaders', sorted(wantedHosts), sorted(actualHosts));
    }
    // Without an explicit priority berth picks one, and any priority it holds is as good.
    if (priority !== undefined) found.compare(rule, 'priority', priority, listenerRule.priority);
  }

  const logs = `log-group/${names.logGroup(env, spec.name)}`;
  if (found.exists(logs, logGroup)) {
    found.compare(logs, 'retentionDays', spec.logging.retentionDays, logGroup.retentionDays);
  }
}

/**
 * Every difference between the desired spec and what AWS reports, in a stable order: network, load
 * balancer, cluster, then each service of the spec.
 */
export function findDifferences(
  env: EnvironmentRef,
  spec: EnvironmentSpec,
  observed: ObservedEnvironment,
): DriftDifference[] {
  const found = new Differences();
  const wantedTags = environmentTags(env);

  const vpc = `vpc/${observed.vpc.id}`;
  if (found.exists(vpc, observed.vpc)) found.tags(vpc, wantedTags, observed.vpc.tags);
  for (const subnet of observed.subnets) found.exists(`subnet/${subnet.id}`, subnet);
  const wantedNat = natGatewayCount(spec.network);
  if (observed.natGateways.length !== wantedNat) {
    found.add(vpc, 'natGateways', wantedNat, observed.natGateways.length);
  }
  for (const nat of observed.natGateways) {
    const resource = `nat-gateway/${nat.id}`;
    if (found.exists(resource, nat) && !LIVE_NAT_STATES.includes(nat.state)) {
      found.add(resource, 'state', 'available', nat.state);
    }
  }

  const loadBalancer = `load-balancer/${names.loadBalancer(env)}`;
  if (found.exists(loadBalancer, observed.loadBalancer)) {
    found.tags(loadBalancer, wantedTags, observed.loadBalancer.tags);
  }
  for (const listener of observed.listeners) found.exists(`listener/${listener.id}`, listener);

  const cluster = `cluster/${observed.cluster.id}`;
  if (found.exists(cluster, observed.cluster)) {
    found.tags(cluster, wantedTags, observed.cluster.tags);
    const insights = observed.cluster.containerInsights;
    // `enhanced` is Container Insights with more metrics: on, as a spec with containerInsights asks.
    const on = insights === 'enabled' || insights === 'enhanced';
    if (on !== spec.cluster.containerInsights) {
      found.add(
        cluster,
        'containerInsights',
        spec.cluster.containerInsights ? 'enabled' : 'disabled',
        insights ?? null,
      );
    }
  }

  for (const service of spec.services) {
    compareService(
      env,
      service,
      observed.services.find((candidate) => candidate.name === service.name),
      wantedTags,
      found,
    );
  }
  return found.list;
}

/** The report of one check. */
export function driftReport(
  env: EnvironmentRef,
  spec: EnvironmentSpec,
  observed: ObservedEnvironment,
  checkedAt: Date,
): DriftReport {
  const differences = findDifferences(env, spec, observed);
  return {
    environmentId: env.id,
    checkedAt: checkedAt.toISOString(),
    drifted: differences.length > 0,
    differences,
  };
}
