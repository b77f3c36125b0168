/**
 * What AWS reports about an environment, for the drift report: read-only Describe calls across EC2,
 * ELBv2, ECS and CloudWatch Logs, turned into the domain's `ObservedEnvironment`. Nothing here writes.
 *
 * Missing resources are data, not errors: a resource the runtime record names that AWS no longer has
 * comes back `found: false`. Most Describe calls fail whole when one named resource is gone, so EC2
 * is asked through `*-id` filters (absent ids are simply not listed), and ELBv2 calls that fail on a
 * missing ARN are retried one ARN at a time. Calls are batched to each API's limit: ECS
 * DescribeServices ≤ 10 services, ELBv2 DescribeTags and DescribeTargetGroups ≤ 20 ARNs.
 *
 * Throttling, 5xx and permission errors propagate: the report would be wrong without the answer.
 */
import { CloudWatchLogsClient, paginateDescribeLogGroups } from '@aws-sdk/client-cloudwatch-logs';
import {
  EC2Client,
  type Filter,
  paginateDescribeNatGateways,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
  type Tag,
} from '@aws-sdk/client-ec2';
import {
  type Cluster,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Tag as EcsTag,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Listener,
  ListenerNotFoundException,
  LoadBalancerNotFoundException,
  paginateDescribeListeners,
  paginateDescribeRules,
  type Rule,
  type RuleCondition,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type {
  BuiltResources,
  ObservationTarget,
  ObservedEnvironment,
  ObservedService,
  Tags,
} from '../domain/drift';
import { type EnvironmentRef, names } from '../domain/naming';
import { isElbNotFound } from './elb-errors';
import { hasCode } from './errors';
import { requestCalls } from './retry-budget';
import { chunks, collect } from './teardown';

/** Region, credentials and endpoints come from the environment (`AWS_ENDPOINT_URL_<SERVICE>`). */
const defaultClients: ObserveClients = {
  ec2: /* @__PURE__ */ new EC2Client(requestCalls),
  elbv2: /* @__PURE__ */ new ElasticLoadBalancingV2Client(requestCalls),
  ecs: /* @__PURE__ */ new ECSClient(requestCalls),
  logs: /* @__PURE__ */ new CloudWatchLogsClient(requestCalls),
};

/** The SDK clients this module calls; tests pass their own. */
export interface ObserveClients {
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
}

/** DescribeServices takes at most 10 services per call. */
const DESCRIBE_SERVICES_MAX = 10;
/** DescribeTags takes at most 20 ARNs; DescribeTargetGroups is asked in the same batches. */
const ELB_ARNS_MAX = 20;

const missing = (id: string): { id: string; found: false } => ({ id, found: false });

function ec2Tags(tags: Tag[] | undefined): Tags {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? '';
  return map;
}

function ecsTagMap(tags: EcsTag[] | undefined): Tags {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.key !== undefined) map[tag.key] = tag.value ?? '';
  return map;
}

// ---------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------

async function observeNetwork(
  network: BuiltResources['network'],
  ec2: EC2Client,
): Promise<Pick<ObservedEnvironment, 'vpc' | 'subnets' | 'natGateways'>> {
  const subnetIds = [...network.subnets.public, ...network.subnets.app, ...network.subnets.database];
  const natIds = network.natGateways.map((nat) => nat.id);
  const byId = (name: string, ids: string[]): Filter[] => [{ Name: name, Values: ids }];
  const [vpcs, subnets, nats] = await Promise.all([
    collect(
      paginateDescribeVpcs({ client: ec2 }, { Filters: byId('vpc-id', [network.vpcId]) }),
      (page) => page.Vpcs,
    ),
    subnetIds.length === 0
      ? []
      : collect(
          paginateDescribeSubnets({ client: ec2 }, { Filters: byId('subnet-id', subnetIds) }),
          (page) => page.Subnets,
        ),
    natIds.length === 0
      ? []
      : collect(
          paginateDescribeNatGateways({ client: ec2 }, { Filter: byId('nat-gateway-id', natIds) }),
          (page) => page.NatGateways,
        ),
  ]);
  const vpc = vpcs.find((candidate) => candidate.VpcId === network.vpcId);
  const foundSubnets = new Set(subnets.flatMap((subnet) => subnet.SubnetId ?? []));
  return {
    vpc: vpc ? { id: network.vpcId, found: true, tags: ec2Tags(vpc.Tags) } : missing(network.vpcId),
    subnets: subnetIds.map((id) => ({ id, found: foundSubnets.has(id) })),
    natGateways: natIds.map((id) => {
      const nat = nats.find((candidate) => candidate.NatGatewayId === id);
      return nat ? { id, found: true, state: nat.State ?? 'unknown' } : missing(id);
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Load balancer
// ---------------------------------------------------------------------------------------------

/** Calls `describe` for each batch of ARNs; a batch failing on a missing ARN is asked again one by one. */
async function describeEach<Item>(
  arns: readonly string[],
  describe: (batch: string[]) => Promise<Item[]>,
): Promise<Item[]> {
  const items: Item[] = [];
  for (const batch of chunks(arns, ELB_ARNS_MAX)) {
    try {
      items.push(...(await describe(batch)));
    } catch (error) {
      if (!isElbNotFound(error)) throw error;
      for (const arn of batch) {
        try {
          items.push(...(await describe([arn])));
        } catch (single) {
          if (!isElbNotFound(single)) throw single;
        }
      }
    }
  }
  return items;
}

async function describeElbTags(arns: readonly string[], elbv2: ElasticLoadBalancingV2Client) {
  const descriptions = await describeEach(
    arns,
    async (batch) =>
      (await elbv2.send(new DescribeTagsCommand({ ResourceArns: batch }))).TagDescriptions ?? [],
  );
  const tags = new Map<string, Tags>();
  for (const description of descriptions) {
    if (description.ResourceArn !== undefined) tags.set(description.ResourceArn, ec2Tags(description.Tags));
  }
  return tags;
}

async function loadBalancerExists(arn: string, elbv2: ElasticLoadBalancingV2Client): Promise<boolean> {
  try {
    const answer = await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
    return (answer.LoadBalancers ?? []).some((lb) => lb.LoadBalancerArn === arn);
  } catch (error) {
    if (error instanceof LoadBalancerNotFoundException) return false;
    throw error;
  }
}

async function describeListeners(
  loadBalancerArn: string,
  elbv2: ElasticLoadBalancingV2Client,
): Promise<Listener[]> {
  try {
    return await collect(
      paginateDescribeListeners({ client: elbv2 }, { LoadBalancerArn: loadBalancerArn }),
      (page) => page.Listeners,
    );
  } catch (error) {
    if (error instanceof LoadBalancerNotFoundException) return [];
    throw error;
  }
}

async function describeRules(listenerArn: string, elbv2: ElasticLoadBalancingV2Client): Promise<Rule[]> {
  try {
    return await collect(
      paginateDescribeRules({ client: elbv2 }, { ListenerArn: listenerArn }),
      (page) => page.Rules,
    );
  } catch (error) {
    if (error instanceof ListenerNotFoundException) return [];
    throw error;
  }
}

/** The values of one condition field; AWS echoes them both in `Values` and in the field's `…Config`. */
function conditionValues(
  conditions: readonly RuleCondition[],
  field: 'path-pattern' | 'host-header',
): string[] {
  const values = new Set<string>();
  for (const condition of conditions) {
    if (condition.Field !== field) continue;
    const config = field === 'path-pattern' ? condition.PathPatternConfig : condition.HostHeaderConfig;
    for (const value of [...(condition.Values ?? []), ...(config?.Values ?? [])]) values.add(value);
  }
  return [...values];
}

function forwardsTo(rule: Rule, targetGroupArn: string): boolean {
  return (rule.Actions ?? []).some(
    (action) =>
      action.Type === 'forward' &&
      (action.TargetGroupArn === targetGroupArn ||
        (action.ForwardConfig?.TargetGroups ?? []).some((group) => group.TargetGroupArn === targetGroupArn)),
  );
}

interface ObservedLoadBalancing {
  loadBalancer: ObservedEnvironment['loadBalancer'];
  listeners: ObservedEnvironment['listeners'];
  perService: Map<string, Pick<ObservedService, 'targetGroup' | 'listenerRule'>>;
}

async function observeLoadBalancing(
  ref: EnvironmentRef,
  serviceNames: readonly string[],
  built: BuiltResources['loadBalancer'],
  elbv2: ElasticLoadBalancingV2Client,
): Promise<ObservedLoadBalancing> {
  const groupArns = Object.values(built.targetGroups);
  const [exists, groups, tags] = await Promise.all([
    loadBalancerExists(built.arn, elbv2),
    describeEach<TargetGroup>(
      groupArns,
      async (batch) =>
        (await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: batch }))).TargetGroups ?? [],
    ),
    describeElbTags([built.arn, ...groupArns], elbv2),
  ]);
  const listeners = exists ? await describeListeners(built.arn, elbv2) : [];
  const recordedListeners = [
    { id: 'HTTP:80', arn: built.httpListenerArn },
    ...(built.httpsListenerArn ? [{ id: 'HTTPS:443', arn: built.httpsListenerArn }] : []),
  ];
  const liveListeners = new Set(listeners.flatMap((listener) => listener.ListenerArn ?? []));
  // Service rules sit on the listener that serves traffic: 443 when there is a certificate.
  const routingListener = built.httpsListenerArn ?? built.httpListenerArn;
  const rules = liveListeners.has(routingListener) ? await describeRules(routingListener, elbv2) : [];

  const perService = new Map<string, Pick<ObservedService, 'targetGroup' | 'listenerRule'>>();
  for (const name of serviceNames) {
    const groupName = names.targetGroup(ref, name);
    const arn = built.targetGroups[name];
    const group =
      arn === undefined ? undefined : groups.find((candidate) => candidate.TargetGroupArn === arn);
    const rule =
      arn === undefined
        ? undefined
        : rules.find((candidate) => !candidate.IsDefault && forwardsTo(candidate, arn));
    const priority = rule === undefined ? undefined : Number(rule.Priority);
    perService.set(name, {
      targetGroup:
        group === undefined || arn === undefined
          ? missing(groupName)
          : {
              id: groupName,
              found: true,
              tags: tags.get(arn) ?? {},
              healthCheck: {
                ...(group.HealthCheckPath !== undefined ? { path: group.HealthCheckPath } : {}),
                ...(group.HealthCheckIntervalSeconds !== undefined
                  ? { intervalSeconds: group.HealthCheckIntervalSeconds }
                  : {}),
                ...(group.HealthCheckTimeoutSeconds !== undefined
                  ? { timeoutSeconds: group.HealthCheckTimeoutSeconds }
                  : {}),
                ...(group.HealthyThresholdCount !== undefined
                  ? { healthyThreshold: group.HealthyThresholdCount }
                  : {}),
                ...(group.UnhealthyThresholdCount !== undefined
                  ? { unhealthyThreshold: group.UnhealthyThresholdCount }
                  : {}),
                ...(group.Matcher?.HttpCode !== undefined ? { matcher: group.Matcher.HttpCode } : {}),
              },
            },
      listenerRule:
        rule === undefined
          ? missing(name)
          : {
              id: name,
              found: true,
              ...(priority !== undefined && Number.isInteger(priority) ? { priority } : {}),
              pathPatterns: conditionValues(rule.Conditions ?? [], 'path-pattern'),
              hostHeaders: conditionValues(rule.Conditions ?? [], 'host-header'),
            },
    });
  }
  return {
    loadBalancer: exists
      ? { id: names.loadBalancer(ref), found: true, tags: tags.get(built.arn) ?? {} }
      : missing(names.loadBalancer(ref)),
    listeners: recordedListeners.map(({ id, arn }) => ({ id, found: liveListeners.has(arn) })),
    perService,
  };
}

// ---------------------------------------------------------------------------------------------
// Cluster, services, task definitions, log groups
// ---------------------------------------------------------------------------------------------

async function describeCluster(clusterName: string, ecs: ECSClient): Promise<Cluster | undefined> {
  const { clusters = [] } = await ecs.send(
    new DescribeClustersCommand({ clusters: [clusterName], include: ['TAGS', 'SETTINGS'] }),
  );
  // A deleted cluster is still answered, INACTIVE, for a while.
  return clusters.find((cluster) => cluster.clusterName === clusterName && cluster.status !== 'INACTIVE');
}

async function describeServices(clusterName: string, serviceNames: readonly string[], ecs: ECSClient) {
  const services: Service[] = [];
  for (const batch of chunks(serviceNames, DESCRIBE_SERVICES_MAX)) {
    try {
      const answer = await ecs.send(
        new DescribeServicesCommand({ cluster: clusterName, services: batch, include: ['TAGS'] }),
      );
      services.push(...(answer.services ?? []));
    } catch (error) {
      if (hasCode(error, 'ClusterNotFoundException')) return [];
      throw error;
    }
  }
  // A deleted service stays INACTIVE in DescribeServices for a while: gone as far as drift goes.
  return services.filter((service) => service.status !== 'INACTIVE');
}

/** `family:revision` of a task definition ARN, what the console shows. */
function revisionOf(taskDefinitionArn: string): string {
  return /:task-definition\/(.+)$/.exec(taskDefinitionArn)?.[1] ?? taskDefinitionArn;
}

async function observeTaskDefinition(
  taskDefinitionArn: string,
  containerName: string,
  ecs: ECSClient,
): Promise<NonNullable<ObservedService['taskDefinition']>> {
  const id = revisionOf(taskDefinitionArn);
  try {
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
    );
    if (taskDefinition === undefined) return missing(id);
    const containers = taskDefinition.containerDefinitions ?? [];
    const container = containers.find((candidate) => candidate.name === containerName) ?? containers[0];
    return {
      id,
      found: true,
      ...(container?.image !== undefined ? { image: container.image } : {}),
      ...(taskDefinition.cpu !== undefined ? { cpu: taskDefinition.cpu } : {}),
      ...(taskDefinition.memory !== undefined ? { memory: taskDefinition.memory } : {}),
    };
  } catch (error) {
    // A deleted revision: ClientException "Unable to describe task definition."
    if (hasCode(error, 'ClientException')) return missing(id);
    throw error;
  }
}

async function observeLogGroups(ref: EnvironmentRef, logs: CloudWatchLogsClient) {
  // One listing under the environment's prefix instead of one call per service.
  const groups = await collect(
    paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix: names.logGroup(ref, '') }),
    (page) => page.logGroups,
  );
  return new Map(
    groups.flatMap((group) => (group.logGroupName ? [[group.logGroupName, group] as const] : [])),
  );
}

async function observeContainers(
  ref: EnvironmentRef,
  serviceNames: readonly string[],
  clusterName: string,
  clients: ObserveClients,
): Promise<{
  cluster: ObservedEnvironment['cluster'];
  perService: Map<string, Omit<ObservedService, 'targetGroup' | 'listenerRule'>>;
}> {
  const [cluster, logGroups] = await Promise.all([
    describeCluster(clusterName, clients.ecs),
    observeLogGroups(ref, clients.logs),
  ]);
  const services =
    cluster === undefined ? [] : await describeServices(clusterName, serviceNames, clients.ecs);
  const perService = new Map<string, Omit<ObservedService, 'targetGroup' | 'listenerRule'>>();
  await Promise.all(
    serviceNames.map(async (name) => {
      const service = services.find((candidate) => candidate.serviceName === name);
      const logGroupName = names.logGroup(ref, name);
      const logGroup = logGroups.get(logGroupName);
      const observedLogGroup: ObservedService['logGroup'] = logGroup
        ? {
            id: logGroupName,
            found: true,
            ...(logGroup.retentionInDays !== undefined ? { retentionDays: logGroup.retentionInDays } : {}),
          }
        : missing(logGroupName);
      if (service === undefined) {
        perService.set(name, { name, service: missing(name), logGroup: observedLogGroup });
        return;
      }
      const taskDefinition =
        service.taskDefinition === undefined
          ? undefined
          : await observeTaskDefinition(service.taskDefinition, name, clients.ecs);
      perService.set(name, {
        name,
        service: {
          id: name,
          found: true,
          status: service.status ?? 'UNKNOWN',
          desiredCount: service.desiredCount ?? 0,
          tags: ecsTagMap(service.tags),
        },
        ...(taskDefinition !== undefined ? { taskDefinition } : {}),
        logGroup: observedLogGroup,
      });
    }),
  );
  const insights = cluster?.settings?.find((setting) => setting.name === 'containerInsights')?.value;
  return {
    cluster:
      cluster === undefined
        ? missing(clusterName)
        : {
            id: clusterName,
            found: true,
            tags: ecsTagMap(cluster.tags),
            ...(insights !== undefined ? { containerInsights: insights } : {}),
          },
    perService,
  };
}

// ---------------------------------------------------------------------------------------------
// The snapshot
// ---------------------------------------------------------------------------------------------

/** What AWS reports now for everything the runtime record names and every service of the spec. Read-only. */
export async function observeEnvironment(
  target: ObservationTarget,
  clients: ObserveClients = defaultClients,
): Promise<ObservedEnvironment> {
  const { ref, serviceNames, built } = target;
  const [network, loadBalancing, containers] = await Promise.all([
    observeNetwork(built.network, clients.ec2),
    observeLoadBalancing(ref, serviceNames, built.loadBalancer, clients.elbv2),
    observeContainers(ref, serviceNames, built.cluster.clusterName, clients),
  ]);
  return {
    ...network,
    loadBalancer: loadBalancing.loadBalancer,
    listeners: loadBalancing.listeners,
    cluster: containers.cluster,
    services: serviceNames.map((name) => {
      const routing = loadBalancing.perService.get(name);
      const running = containers.perService.get(name);
      return {
        name,
        service: running?.service ?? missing(name),
        ...(running?.taskDefinition !== undefined ? { taskDefinition: running.taskDefinition } : {}),
        targetGroup: routing?.targetGroup ?? missing(names.targetGroup(ref, name)),
        listenerRule: routing?.listenerRule ?? missing(name),
        logGroup: running?.logGroup ?? missing(names.logGroup(ref, name)),
      };
    }),
  };
}
