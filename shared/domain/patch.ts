/**
 * PATCH semantics: the body is a JSON Merge Patch (RFC 7396) of the environment request. Objects
 * merge key by key, `null` removes a key (so its default applies again on re-parse), and anything
 * else — arrays included — replaces the value whole. The merged document is validated again with
 * the spec schema; `immutableChanges` then lists what an update cannot change in place.
 */
import type { EnvironmentSpec } from './spec';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * RFC 7396 §2 MergePatch(target, patch). Pure: neither argument is modified. Keys are copied with
 * `Object.fromEntries` (define, not assign), so a `__proto__` key in a body stays an ordinary key
 * for the strict schema to reject instead of changing a prototype.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result = new Map<string, unknown>(isObject(target) ? Object.entries(target) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else result.set(key, applyMergePatch(result.get(key), value));
  }
  return Object.fromEntries(result);
}

/** Structural equality of two parsed spec values (strings, numbers, booleans, arrays, plain objects). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]))
    );
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && sameValue(a[key], b[key]))
    );
  }
  return a === b;
}

interface ImmutableField {
  /** Dotted path of the field, as `SPEC_FIELD_RULES` in tests/unit/patch.test.ts enumerates it. */
  path: string;
  read: (spec: EnvironmentSpec) => unknown;
  /** Why it cannot change in place: the 422 reports it beside the field. */
  reason: string;
  /** A field that may be added to an environment without it, but not changed or removed once set. */
  onceSet?: true;
}

const RECREATE = 'create a new environment with the new value instead';
const LAUNCH_TEMPLATE =
  'running container instances keep the launch template they started from; changing it in place would leave them on the old one';

/**
 * Fields an update cannot change: they decide the VPC, the cluster or the records' identity, or AWS
 * offers no way to change them in place (docs/aws-facts.md#what-an-update-applies-in-place).
 */
export const IMMUTABLE_FIELDS: readonly ImmutableField[] = [
  { path: 'name', read: (spec) => spec.name, reason: `it names every resource; ${RECREATE}` },
  { path: 'team', read: (spec) => spec.team, reason: `it owns the environment's records; ${RECREATE}` },
  // "auto" stays "auto" (the allocated block lives in resources); any other change re-addresses the VPC.
  {
    path: 'network.cidr',
    read: (spec) => spec.network.cidr,
    reason: `a VPC's primary CIDR block cannot change; ${RECREATE}`,
  },
  {
    path: 'network.availabilityZones',
    read: (spec) => spec.network.availabilityZones,
    reason: `the subnet plan of every tier follows it; ${RECREATE}`,
  },
  {
    path: 'network.natGateways',
    read: (spec) => spec.network.natGateways,
    reason: `changing the NAT topology replaces NAT gateways, Elastic IPs and the application subnets' routes while tasks use them; ${RECREATE}`,
  },
  {
    path: 'cluster.capacity',
    read: (spec) => spec.cluster.capacity,
    reason: `services keep the capacity they were created on; ${RECREATE}`,
  },
  {
    path: 'cluster.ec2.instanceType',
    read: (spec) => spec.cluster.ec2?.instanceType,
    reason: LAUNCH_TEMPLATE,
  },
  { path: 'cluster.ec2.amiId', read: (spec) => spec.cluster.ec2?.amiId, reason: LAUNCH_TEMPLATE },
  {
    path: 'cluster.ec2.rootVolumeGiB',
    read: (spec) => spec.cluster.ec2?.rootVolumeGiB,
    reason: LAUNCH_TEMPLATE,
  },
  { path: 'cluster.ec2.keyPair', read: (spec) => spec.cluster.ec2?.keyPair, reason: LAUNCH_TEMPLATE },
  {
    path: 'loadBalancer.scheme',
    read: (spec) => spec.loadBalancer.scheme,
    reason: `a load balancer's scheme cannot be modified after it is created; ${RECREATE}`,
  },
  {
    path: 'tags',
    read: (spec) => spec.tags,
    reason: `tags are written onto each resource when it is created; ${RECREATE}`,
  },
  // A record may be added later; moving or removing one would leave the old record answering.
  {
    path: 'dns.hostedZoneId',
    read: (spec) => spec.dns?.hostedZoneId,
    reason: `the existing alias record would stay behind; ${RECREATE}`,
    onceSet: true,
  },
  {
    path: 'dns.recordName',
    read: (spec) => spec.dns?.recordName,
    reason: `the existing alias record would stay behind; ${RECREATE}`,
    onceSet: true,
  },
];

/**
 * Every other field of the spec, and what applies it when an update changes it. Together with
 * `IMMUTABLE_FIELDS` it covers every leaf field of the schema (tests/unit/patch.test.ts proves it),
 * so no field can be accepted by PATCH and then ignored. Paths of array items read `services[].image`.
 */
export const APPLIED_FIELDS: Readonly<Record<string, string>> = {
  'network.allowedIngressCidrs': 'update-settings: the load balancer security group ingress on 80/443',
  'cluster.containerInsights': 'update-settings: ECS UpdateClusterSettings',
  'cluster.ec2.minSize': 'update-settings: UpdateAutoScalingGroup',
  'cluster.ec2.maxSize': 'update-settings: UpdateAutoScalingGroup',
  'cluster.ec2.desiredCapacity': 'update-settings: UpdateAutoScalingGroup',
  'loadBalancer.idleTimeoutSeconds': 'update-settings: ModifyLoadBalancerAttributes',
  'loadBalancer.certificateArn': 'create-routing: the HTTPS listener and the 80 → 443 redirect',
  'services[].name': 'create-service and remove-services: services added and removed',
  'services[].image': 'prepare-service: a new task definition revision',
  'services[].cpu': 'prepare-service: a new task definition revision',
  'services[].memory': 'prepare-service: a new task definition revision',
  'services[].port':
    'prepare-service, create-routing, create-service and close-service-ports: the container port, its rule from the load balancer group, the target',
  'services[].environment': 'prepare-service: a new task definition revision',
  'services[].secrets': 'create-execution-role and prepare-service: the role policy and a new revision',
  'services[].taskRoleArn': 'prepare-service: a new task definition revision',
  'services[].iam.statements[].actions':
    "create-execution-role, prepare-service and remove-task-roles: the task role's policy (created, replaced, or deleted once the services are stable)",
  'services[].iam.statements[].resources':
    "create-execution-role, prepare-service and remove-task-roles: the task role's policy (created, replaced, or deleted once the services are stable)",
  'services[].desiredCount': 'create-service: UpdateService',
  'services[].healthCheck.path': 'create-routing: ModifyTargetGroup',
  'services[].healthCheck.intervalSeconds': 'create-routing: ModifyTargetGroup',
  'services[].healthCheck.timeoutSeconds': 'create-routing: ModifyTargetGroup',
  'services[].healthCheck.healthyThreshold': 'create-routing: ModifyTargetGroup',
  'services[].healthCheck.unhealthyThreshold': 'create-routing: ModifyTargetGroup',
  'services[].healthCheck.matcher': 'create-routing: ModifyTargetGroup',
  'services[].healthCheck.gracePeriodSeconds': 'create-service: UpdateService',
  'services[].routing.pathPatterns': 'create-routing: ModifyRule',
  'services[].routing.hostHeaders': 'create-routing: ModifyRule',
  'services[].routing.priority': 'create-routing: SetRulePriorities',
  'services[].placement.preset': 'create-service: UpdateService placement',
  'services[].placement.strategies[].type': 'create-service: UpdateService placement',
  'services[].placement.strategies[].field': 'create-service: UpdateService placement',
  'services[].placement.constraints[].type': 'create-service: UpdateService placement',
  'services[].placement.constraints[].expression': 'create-service: UpdateService placement',
  'services[].logging.retentionDays': 'prepare-service: PutRetentionPolicy',
  'services[].deployment.minimumHealthyPercent': 'create-service: UpdateService',
  'services[].deployment.maximumPercent': 'create-service: UpdateService',
  'services[].deployment.circuitBreaker': 'create-service: UpdateService',
  'jobs[].name': 'create-jobs: jobs added and removed',
  'jobs[].service': 'create-jobs: the job task definition',
  'jobs[].image': 'create-jobs: the job task definition',
  'jobs[].command': 'create-jobs: the schedule or pipe target',
  'jobs[].cpu': 'create-jobs: the schedule or pipe target',
  'jobs[].memory': 'create-jobs: the schedule or pipe target',
  'jobs[].trigger.schedule': 'create-jobs: UpdateSchedule',
  'jobs[].trigger.timezone': 'create-jobs: UpdateSchedule',
  'jobs[].trigger.queue.visibilityTimeoutSeconds': 'create-jobs: SetQueueAttributes',
  'jobs[].trigger.queue.maxReceiveCount': 'create-jobs: SetQueueAttributes',
  ticket: 'the environment record: status events carry the new ticket',
  callbackUrl: 'the environment record: status events are delivered to the new URL',
};

/**
 * The dotted paths (`network.cidr`) of fields that differ between `before` and `after` but cannot
 * change in place; empty when the update may proceed. The API answers 422 naming them.
 */
export function immutableChanges(before: EnvironmentSpec, after: EnvironmentSpec): string[] {
  return IMMUTABLE_FIELDS.filter(({ read, onceSet }) => {
    const was = read(before);
    if (onceSet && was === undefined) return false;
    return !sameValue(was, read(after));
  }).map(({ path }) => path);
}

/** Why the field at `path` cannot change in place (for the 422 beside it). */
export function immutableReason(path: string): string {
  return IMMUTABLE_FIELDS.find((field) => field.path === path)?.reason ?? 'cannot change in place';
}

/** The value at a dotted path (`cluster.ec2.minSize`) of a spec, or undefined. */
function valueAt(spec: EnvironmentSpec, path: string): unknown {
  let value: unknown = spec;
  for (const key of path.split('.')) value = isObject(value) ? value[key] : undefined;
  return value;
}

/**
 * The applied fields outside arrays (`cluster.ec2.desiredCapacity`…) that differ between `before`
 * and `after`. The update workflow receives them: a setting AWS also moves on its own between
 * updates (an Auto Scaling group's desired capacity) is set only when the update changed it.
 */
export function changedSettings(before: EnvironmentSpec, after: EnvironmentSpec): string[] {
  return Object.keys(APPLIED_FIELDS).filter(
    (path) => !path.includes('[]') && !sameValue(valueAt(before, path), valueAt(after, path)),
  );
}
