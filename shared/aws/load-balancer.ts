/**
 * Every Elastic Load Balancing v2 call of berth: the environment's Application Load Balancer, its
 * listeners (80, and 443 with a certificate), one target group per service, the listener rules that
 * route to them — and their teardown.
 *
 * Idempotency: CreateLoadBalancer and CreateTargetGroup are idempotent by name with the same
 * settings; a different setting answers `DuplicateLoadBalancerName` / `DuplicateTargetGroupName`, and
 * then the resource is looked up by name and accepted only when its `berth:environment` tag is this
 * environment's. Listeners are found by port and rules by the target group they forward to, before
 * anything is created. Every create carries its tags (`Tags`), so a crash between "created" and
 * "recorded" leaks nothing: the teardown finds the resource by tag.
 *
 * Nothing here waits: `ensureLoadBalancer` returns a `provisioning` ALB and the workflow polls
 * `loadBalancerState`; `teardownLoadBalancerPass` reports what still blocks it and is called again.
 *
 * Throttling (`Throttling`, "Rate exceeded") and 5xx errors propagate: the SDK retries them first,
 * the workflow's Retry next. Only the errors a verb handles are translated.
 */
import {
  type Action,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DuplicateListenerException,
  DuplicateLoadBalancerNameException,
  DuplicateTargetGroupNameException,
  ElasticLoadBalancingV2Client,
  type Listener,
  ListenerNotFoundException,
  type LoadBalancer,
  LoadBalancerNotFoundException,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  PriorityInUseException,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeRules,
  paginateDescribeTargetGroups,
  ResourceInUseException,
  type Rule,
  type RuleCondition,
  RuleNotFoundException,
  SetRulePrioritiesCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { nextFreePriority } from '../domain/listener-priorities';
import {
  type EnvironmentRef,
  environmentTags,
  envKey,
  names,
  TAG_ENVIRONMENT,
  tagList,
} from '../domain/naming';
import { required } from '../domain/required';
import type { EnvironmentSpec, ServiceSpec } from '../domain/spec';
import { isElbNotFound } from './elb-errors';
import { hasCode, ReadAfterCreateLag } from './errors';
import { stepCallsToThrottledApis } from './retry-budget';
import {
  type Blocker,
  chunks,
  collect,
  messageOf,
  refusedBecauseGone,
  type TeardownProgress,
} from './teardown';
import { traced } from './tracing';

/**
 * Region, credentials and endpoint come from the environment (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2`).
 */
const defaultClient = /* @__PURE__ */ traced(
  /* @__PURE__ */ new ElasticLoadBalancingV2Client(stepCallsToThrottledApis),
);

export type LoadBalancerSpec = EnvironmentSpec['loadBalancer'];
export type LoadBalancerState = 'provisioning' | 'active' | 'active_impaired' | 'failed';

export interface LoadBalancerRef {
  arn: string;
  dnsName: string;
  /** The ALB's Route 53 zone: what an alias record names as its `HostedZoneId`. */
  canonicalHostedZoneId: string;
  state: LoadBalancerState;
}

export interface LoadBalancerPlacement {
  /** Public subnets (internal scheme: application subnets), two or more AZs. */
  subnetIds: string[];
  securityGroupId: string;
  /** The caller's tags; the `berth:*` tags are added. */
  tags: Record<string, string>;
}

export interface ListenerArns {
  httpListenerArn: string;
  httpsListenerArn?: string;
  /** The listener that carries the service rules: HTTPS when there is a certificate, else HTTP. */
  routingListenerArn: string;
}

/** A rule of the listener that forwards to one of this environment's target groups. */
export interface ServiceRule {
  service: string;
  ruleArn: string;
  priority: number;
  targetGroupArn: string;
}

/** The ALB security policy: TLS 1.3 and 1.2 only (ELB "Security policies for your ALB"). */
export const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
/** Deregistration delay of every target group: AWS's 300 s default makes deploys and teardown slow. */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** DescribeTags takes at most 20 resource ARNs per call (docs/aws-facts.md#batch-limits). */
const TAGS_PER_CALL = 20;

// ---------------------------------------------------------------------------------------------
// Errors and helpers
// ---------------------------------------------------------------------------------------------

/** A resource with berth's deterministic name exists but is tagged for another environment (or none). */
export class ResourceOwnedElsewhere extends Error {
  override readonly name = 'ResourceOwnedElsewhere';

  constructor(
    /** The name of the resource. */
    readonly resource: string,
    readonly arn: string,
    /** Its `berth:environment` tag, for logs only: another team's environment is not shown to users. */
    readonly owner: string | undefined,
  ) {
    super(`${resource} already exists and belongs to another environment; berth will not adopt it`);
  }
}

/** Tags of each ARN (missing ones left out). DescribeTags takes ≤ 20 ARNs and fails whole on one missing. */
async function describeTags(
  arns: readonly string[],
  client: ElasticLoadBalancingV2Client,
): Promise<Map<string, Record<string, string>>> {
  const tags = new Map<string, Record<string, string>>();
  const record = (
    descriptions: { ResourceArn?: string; Tags?: { Key?: string; Value?: string }[] }[] = [],
  ) => {
    for (const description of descriptions) {
      if (description.ResourceArn === undefined) continue;
      const map: Record<string, string> = {};
      for (const tag of description.Tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? '';
      tags.set(description.ResourceArn, map);
    }
  };
  for (const chunk of chunks(arns, TAGS_PER_CALL)) {
    try {
      record((await client.send(new DescribeTagsCommand({ ResourceArns: chunk }))).TagDescriptions);
    } catch (error) {
      // `*NotFound` for one ARN (deleted since it was listed) fails the whole call: ask one by one.
      if (!isElbNotFound(error)) throw error;
      for (const arn of chunk) {
        try {
          record((await client.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions);
        } catch (single) {
          if (!isElbNotFound(single)) throw single;
        }
      }
    }
  }
  return tags;
}

/** Throws `ResourceOwnedElsewhere` unless the resource's `berth:environment` tag is this environment. */
async function verifyOwnership(
  env: EnvironmentRef,
  resource: string,
  arn: string,
  client: ElasticLoadBalancingV2Client,
): Promise<void> {
  const owner = (await describeTags([arn], client)).get(arn)?.[TAG_ENVIRONMENT];
  if (owner !== env.id) throw new ResourceOwnedElsewhere(resource, arn, owner);
}

/**
 * Whether an ELB resource still exists, asked by `describe`, a Describe of it alone (granted on `*`):
 * its `*NotFound` says it is gone. With `refusedBecauseGone`, a tag-conditioned delete refused for a
 * deleted ALB a pass still listed counts as done
 * (docs/aws-facts.md#deleting-what-is-already-gone-under-a-tag-condition).
 */
async function stillExists(describe: () => Promise<unknown>): Promise<boolean> {
  try {
    await describe();
    return true;
  } catch (error) {
    if (isElbNotFound(error)) return false;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Load balancer
// ---------------------------------------------------------------------------------------------

function toLoadBalancerState(code: string | undefined): LoadBalancerState {
  switch (code) {
    case 'provisioning':
    case 'active':
    case 'active_impaired':
    case 'failed':
      return code;
    default:
      throw new Error(`ELBv2 returned an unknown load balancer state: ${String(code)}`);
  }
}

function loadBalancerRef(lb: LoadBalancer): LoadBalancerRef {
  return {
    arn: required(lb.LoadBalancerArn, 'load balancer ARN'),
    dnsName: required(lb.DNSName, 'load balancer DNS name'),
    canonicalHostedZoneId: required(lb.CanonicalHostedZoneId, 'canonical hosted zone id'),
    state: toLoadBalancerState(lb.State?.Code),
  };
}

async function describeLoadBalancerByName(
  name: string,
  client: ElasticLoadBalancingV2Client,
): Promise<LoadBalancer> {
  const answer = await client.send(new DescribeLoadBalancersCommand({ Names: [name] }));
  return required(answer.LoadBalancers?.[0], `load balancer named ${name}`);
}

/** Creates the environment's ALB, or adopts its own existing one; sets the idle timeout. Does not wait. */
export async function ensureLoadBalancer(
  env: EnvironmentRef,
  spec: LoadBalancerSpec,
  placement: LoadBalancerPlacement,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<LoadBalancerRef> {
  const name = names.loadBalancer(env);
  let loadBalancer: LoadBalancer;
  try {
    const created = await client.send(
      new CreateLoadBalancerCommand({
        Name: name,
        Type: 'application',
        Scheme: spec.scheme,
        IpAddressType: 'ipv4',
        Subnets: placement.subnetIds,
        SecurityGroups: [placement.securityGroupId],
        Tags: tagList(environmentTags(env, placement.tags)),
      }),
    );
    loadBalancer = required(created.LoadBalancers?.[0], 'load balancer');
  } catch (error) {
    // Right after berth attached the VPC's internet gateway, ELB may not see it yet: a later attempt
    // will (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling).
    const noGateway = /^VPC (vpc-[0-9a-f]+) has no internet gateway$/.exec(messageOf(error));
    if (
      spec.scheme === 'internet-facing' &&
      noGateway?.[1] &&
      hasCode(error, 'InvalidSubnet', 'InvalidSubnetException')
    )
      throw new ReadAfterCreateLag(noGateway[1], error);
    // DuplicateLoadBalancerName: the name exists with other settings (subnets, groups, scheme).
    if (!(error instanceof DuplicateLoadBalancerNameException)) throw error;
    loadBalancer = await describeLoadBalancerByName(name, client);
  }
  const ref = loadBalancerRef(loadBalancer);
  // Checked on both paths: with the same settings CreateLoadBalancer answers an existing ALB, whoever
  // made it, and without an error.
  await verifyOwnership(env, `load balancer ${name}`, ref.arn, client);
  await setIdleTimeout(ref.arn, spec.idleTimeoutSeconds, client);
  return ref;
}

/** The ALB's idle timeout (attribute `idle_timeout.timeout_seconds`, 1–4000 s); idempotent. */
export async function setIdleTimeout(
  arn: string,
  seconds: number,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<void> {
  await client.send(
    new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: arn,
      Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: String(seconds) }],
    }),
  );
}

/** The ALB's state: the workflow waits for `active` (or stops at `failed`). */
export async function loadBalancerState(
  arn: string,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<LoadBalancerState> {
  const answer = await client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
  return toLoadBalancerState(required(answer.LoadBalancers?.[0], 'load balancer').State?.Code);
}

// ---------------------------------------------------------------------------------------------
// Listeners
// ---------------------------------------------------------------------------------------------

/** Nothing matched: an RFC 9457 body. ALB fixed responses allow only text/plain, text/css, text/html,
 * application/javascript and application/json (FixedResponseActionConfig), not application/problem+json. */
const NOT_FOUND_ACTION: Action = {
  Type: 'fixed-response',
  FixedResponseConfig: {
    StatusCode: '404',
    ContentType: 'application/json',
    MessageBody: JSON.stringify({ title: 'Not Found', status: 404 }),
  },
};

/** Every field spelled out: AWS fills the omitted ones (`#{host}`…), and the comparison must match. */
const REDIRECT_TO_HTTPS_ACTION: Action = {
  Type: 'redirect',
  RedirectConfig: {
    Protocol: 'HTTPS',
    Port: '443',
    Host: '#{host}',
    Path: '/#{path}',
    Query: '#{query}',
    StatusCode: 'HTTP_301',
  },
};

interface WantedListener {
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  certificateArn?: string;
  sslPolicy?: string;
  defaultAction: Action;
}

function wantedListeners(certificateArn: string | undefined): WantedListener[] {
  if (certificateArn === undefined) return [{ port: 80, protocol: 'HTTP', defaultAction: NOT_FOUND_ACTION }];
  return [
    { port: 80, protocol: 'HTTP', defaultAction: REDIRECT_TO_HTTPS_ACTION },
    { port: 443, protocol: 'HTTPS', certificateArn, sslPolicy: SSL_POLICY, defaultAction: NOT_FOUND_ACTION },
  ];
}

/** The parts of an action berth sets, for comparison (AWS adds `Order`, `ForwardConfig`…). */
function actionKey(action: Action): string {
  return JSON.stringify({
    type: action.Type,
    fixed: action.FixedResponseConfig && {
      status: action.FixedResponseConfig.StatusCode,
      contentType: action.FixedResponseConfig.ContentType,
      body: action.FixedResponseConfig.MessageBody,
    },
    redirect: action.RedirectConfig && {
      protocol: action.RedirectConfig.Protocol,
      port: action.RedirectConfig.Port,
      host: action.RedirectConfig.Host,
      path: action.RedirectConfig.Path,
      query: action.RedirectConfig.Query,
      status: action.RedirectConfig.StatusCode,
    },
    forward: forwardedTargetGroups([action]),
  });
}

function listenerMatches(listener: Listener, wanted: WantedListener): boolean {
  const actions = listener.DefaultActions ?? [];
  const certificates = (listener.Certificates ?? []).map((certificate) => certificate.CertificateArn);
  return (
    listener.Protocol === wanted.protocol &&
    actions.length === 1 &&
    actions[0] !== undefined &&
    actionKey(actions[0]) === actionKey(wanted.defaultAction) &&
    (wanted.certificateArn === undefined ||
      (certificates.length === 1 && certificates[0] === wanted.certificateArn)) &&
    (wanted.sslPolicy === undefined || listener.SslPolicy === wanted.sslPolicy)
  );
}

function listenerSettings(wanted: WantedListener) {
  return {
    Port: wanted.port,
    Protocol: wanted.protocol,
    DefaultActions: [wanted.defaultAction],
    ...(wanted.certificateArn === undefined
      ? {}
      : { Certificates: [{ CertificateArn: wanted.certificateArn }], SslPolicy: wanted.sslPolicy }),
  };
}

async function describeListeners(
  loadBalancerArn: string,
  client: ElasticLoadBalancingV2Client,
): Promise<Listener[]> {
  return collect(
    paginateDescribeListeners({ client }, { LoadBalancerArn: loadBalancerArn }),
    (page) => page.Listeners,
  );
}

/** One listener as wanted: created when its port is free, modified when it differs. */
async function ensureListener(
  loadBalancerArn: string,
  wanted: WantedListener,
  existing: Listener | undefined,
  tags: Record<string, string>,
  client: ElasticLoadBalancingV2Client,
): Promise<string> {
  let current = existing;
  if (current === undefined) {
    try {
      const created = await client.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          ...listenerSettings(wanted),
          Tags: tagList(tags),
        }),
      );
      return required(created.Listeners?.[0]?.ListenerArn, 'listener ARN');
    } catch (error) {
      // DuplicateListener: another run created this port since we looked; modify that one instead.
      if (!(error instanceof DuplicateListenerException)) throw error;
      current = (await describeListeners(loadBalancerArn, client)).find(
        (listener) => listener.Port === wanted.port,
      );
      if (current === undefined) throw error;
    }
  }
  const arn = required(current.ListenerArn, 'listener ARN');
  if (!listenerMatches(current, wanted)) {
    await client.send(new ModifyListenerCommand({ ListenerArn: arn, ...listenerSettings(wanted) }));
  }
  return arn;
}

/**
 * Port 80 with a default 404, or with a certificate 80 → 443 redirect plus 443 HTTPS with the 404.
 * Existing listeners are modified, never duplicated; a listener on any other port (a 443 left from
 * a removed certificate) is deleted, and its rules with it — the caller then ensures the rules on
 * `routingListenerArn`.
 */
export async function ensureListeners(
  env: EnvironmentRef,
  loadBalancerArn: string,
  certificateArn: string | undefined,
  tags: Record<string, string>,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<ListenerArns> {
  const allTags = environmentTags(env, tags);
  const existing = await describeListeners(loadBalancerArn, client);
  const arns = new Map<number, string>();
  for (const wanted of wantedListeners(certificateArn)) {
    const current = existing.find((listener) => listener.Port === wanted.port);
    arns.set(wanted.port, await ensureListener(loadBalancerArn, wanted, current, allTags, client));
  }
  for (const stray of existing) {
    if (stray.Port === undefined || arns.has(stray.Port) || stray.ListenerArn === undefined) continue;
    try {
      await client.send(new DeleteListenerCommand({ ListenerArn: stray.ListenerArn }));
    } catch (error) {
      if (!(error instanceof ListenerNotFoundException)) throw error;
    }
  }
  const httpListenerArn = required(arns.get(80), 'HTTP listener');
  const httpsListenerArn = arns.get(443);
  return httpsListenerArn === undefined
    ? { httpListenerArn, routingListenerArn: httpListenerArn }
    : { httpListenerArn, httpsListenerArn, routingListenerArn: httpsListenerArn };
}

// ---------------------------------------------------------------------------------------------
// Target groups
// ---------------------------------------------------------------------------------------------

function healthCheckSettings(service: ServiceSpec) {
  const check = service.healthCheck;
  return {
    HealthCheckEnabled: true,
    HealthCheckProtocol: 'HTTP' as const,
    HealthCheckPort: 'traffic-port',
    HealthCheckPath: check.path,
    HealthCheckIntervalSeconds: check.intervalSeconds,
    HealthCheckTimeoutSeconds: check.timeoutSeconds,
    HealthyThresholdCount: check.healthyThreshold,
    UnhealthyThresholdCount: check.unhealthyThreshold,
    Matcher: { HttpCode: check.matcher },
  };
}

/** The service's target group (IP targets, the spec's health check, 30 s deregistration delay); its ARN. */
export async function ensureTargetGroup(
  env: EnvironmentRef,
  service: ServiceSpec,
  vpcId: string,
  tags: Record<string, string>,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<string> {
  const name = names.targetGroup(env, service.name);
  let arn: string;
  let settingsChanged = false;
  try {
    const created = await client.send(
      new CreateTargetGroupCommand({
        Name: name,
        TargetType: 'ip',
        Protocol: 'HTTP',
        Port: service.port,
        VpcId: vpcId,
        ...healthCheckSettings(service),
        Tags: tagList(environmentTags(env, tags)),
      }),
    );
    arn = required(created.TargetGroups?.[0]?.TargetGroupArn, 'target group ARN');
  } catch (error) {
    // DuplicateTargetGroupName: the group exists with other settings — usually a changed health
    // check, which ModifyTargetGroup applies. (Port and VPC cannot change; ECS registers each target
    // with its own port, so the group's port is only a default.)
    if (!(error instanceof DuplicateTargetGroupNameException)) throw error;
    const answer = await client.send(new DescribeTargetGroupsCommand({ Names: [name] }));
    arn = required(answer.TargetGroups?.[0]?.TargetGroupArn, `target group named ${name}`);
    settingsChanged = true;
  }
  // Checked on both paths: with the same settings CreateTargetGroup answers an existing group, whoever
  // made it, and without an error.
  await verifyOwnership(env, `target group ${name}`, arn, client);
  if (settingsChanged) {
    await client.send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, ...healthCheckSettings(service) }));
  }
  await client.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: arn,
      Attributes: [
        { Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_SECONDS) },
      ],
    }),
  );
  return arn;
}

// ---------------------------------------------------------------------------------------------
// Listener rules
// ---------------------------------------------------------------------------------------------

function forwardedTargetGroups(actions: readonly Action[]): string[] {
  const arns = new Set<string>();
  for (const action of actions) {
    if (action.Type !== 'forward') continue;
    if (action.TargetGroupArn !== undefined) arns.add(action.TargetGroupArn);
    for (const group of action.ForwardConfig?.TargetGroups ?? []) {
      if (group.TargetGroupArn !== undefined) arns.add(group.TargetGroupArn);
    }
  }
  return [...arns].sort();
}

function ruleConditions(service: ServiceSpec): RuleCondition[] {
  const { pathPatterns, hostHeaders } = service.routing;
  const conditions: RuleCondition[] = [
    { Field: 'path-pattern', PathPatternConfig: { Values: [...pathPatterns] } },
  ];
  if (hostHeaders.length > 0) {
    conditions.push({ Field: 'host-header', HostHeaderConfig: { Values: [...hostHeaders] } });
  }
  return conditions;
}

/** Conditions as `field=values` lines: AWS echoes values both in `Values` and in the `…Config`. */
function conditionsKey(conditions: readonly RuleCondition[]): string {
  return conditions
    .map((condition) => {
      const values = new Set([
        ...(condition.Values ?? []),
        ...(condition.PathPatternConfig?.Values ?? []),
        ...(condition.HostHeaderConfig?.Values ?? []),
      ]);
      return `${condition.Field}=${[...values].sort().join(',')}`;
    })
    .sort()
    .join(';');
}

async function describeRules(listenerArn: string, client: ElasticLoadBalancingV2Client): Promise<Rule[]> {
  return collect(paginateDescribeRules({ client }, { ListenerArn: listenerArn }), (page) => page.Rules);
}

function rulePriority(rule: Rule): number | undefined {
  // The default rule's priority is the string "default".
  if (rule.IsDefault || rule.Priority === undefined) return undefined;
  const priority = Number(rule.Priority);
  return Number.isInteger(priority) ? priority : undefined;
}

/** The service a target group ARN belongs to (`…:targetgroup/<envKey>-<service>/<id>`), if it is ours. */
function serviceOfTargetGroup(env: EnvironmentRef, targetGroupArn: string): string | undefined {
  const name = /:targetgroup\/([^/]+)\//.exec(targetGroupArn)?.[1];
  const prefix = `${envKey(env.id)}-`;
  return name?.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}

/** The listener's rules that forward to this environment's target groups, with their services. */
export async function describeServiceRules(
  env: EnvironmentRef,
  listenerArn: string,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<ServiceRule[]> {
  const result: ServiceRule[] = [];
  for (const rule of await describeRules(listenerArn, client)) {
    const priority = rulePriority(rule);
    const [targetGroupArn] = forwardedTargetGroups(rule.Actions ?? []);
    if (priority === undefined || targetGroupArn === undefined || rule.RuleArn === undefined) continue;
    const service = serviceOfTargetGroup(env, targetGroupArn);
    if (service !== undefined) result.push({ service, ruleArn: rule.RuleArn, priority, targetGroupArn });
  }
  return result;
}

/** How often CreateRule may meet `PriorityInUse` (rules made concurrently) before giving up. */
const PRIORITY_ATTEMPTS = 5;

/**
 * The rule that forwards the service's paths and hosts to its target group: created at `priority`
 * (the next free one on `PriorityInUse`), or the existing one modified when its conditions differ.
 */
export async function ensureListenerRule(
  env: EnvironmentRef,
  listenerArn: string,
  service: ServiceSpec,
  targetGroupArn: string,
  priority: number,
  tags: Record<string, string>,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<string> {
  const conditions = ruleConditions(service);
  const actions: Action[] = [{ Type: 'forward', TargetGroupArn: targetGroupArn }];
  let rules = await describeRules(listenerArn, client);
  const existing = rules.find(
    (rule) => !rule.IsDefault && forwardedTargetGroups(rule.Actions ?? []).includes(targetGroupArn),
  );
  if (existing !== undefined) {
    const ruleArn = required(existing.RuleArn, 'rule ARN');
    if (conditionsKey(existing.Conditions ?? []) !== conditionsKey(conditions)) {
      await client.send(
        new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: conditions, Actions: actions }),
      );
    }
    if (rulePriority(existing) !== priority) {
      try {
        await client.send(
          new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: priority }] }),
        );
      } catch (error) {
        // PriorityInUse: another rule holds it (e.g. a removed service's, deleted later); the rule
        // keeps routing at its current priority and moves on the next update.
        if (!(error instanceof PriorityInUseException)) throw error;
      }
    }
    return ruleArn;
  }
  let wanted = priority;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const created = await client.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: wanted,
          Conditions: conditions,
          Actions: actions,
          Tags: tagList(environmentTags(env, tags)),
        }),
      );
      return required(created.Rules?.[0]?.RuleArn, 'rule ARN');
    } catch (error) {
      if (!(error instanceof PriorityInUseException) || attempt >= PRIORITY_ATTEMPTS) throw error;
      rules = await describeRules(listenerArn, client);
      wanted = nextFreePriority(
        rules.flatMap((rule) => rulePriority(rule) ?? []),
        wanted,
      );
    }
  }
}

/** Deletes a removed service's rule; a rule already gone counts as deleted. */
export async function deleteListenerRule(
  ruleArn: string,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<void> {
  try {
    await client.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
  } catch (error) {
    if (error instanceof RuleNotFoundException) return;
    const describe = () => client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    if (!(await refusedBecauseGone(error, () => stillExists(describe)))) throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Teardown
// ---------------------------------------------------------------------------------------------

export interface LoadBalancerInventory {
  loadBalancers: { arn: string; name?: string }[];
  listeners: { arn: string; loadBalancerArn: string }[];
  /** Non-default rules of the listeners (default rules go with their listener). */
  rules: { arn: string; listenerArn: string }[];
  targetGroups: { arn: string; name?: string }[];
}

/** ARNs the environment's record holds, deleted besides those found by tag. */
export interface RecordedLoadBalancerResources {
  loadBalancerArns?: string[];
  listenerArns?: string[];
  ruleArns?: string[];
  targetGroupArns?: string[];
}

function progress(blocked: Blocker[]): TeardownProgress {
  return { done: blocked.length === 0, blocked };
}

/** Deletes a removed service's target group; `ResourceInUse` (a rule still forwards to it) is reported. */
export async function deleteTargetGroup(
  targetGroupArn: string,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<TeardownProgress> {
  try {
    await client.send(new DeleteTargetGroupCommand({ TargetGroupArn: targetGroupArn }));
  } catch (error) {
    if (error instanceof TargetGroupNotFoundException) return progress([]);
    // ResourceInUse: a listener or rule still forwards to it, or its ALB is still being deleted.
    if (error instanceof ResourceInUseException) {
      return progress([{ resource: targetGroupArn, code: 'ResourceInUse', message: messageOf(error) }]);
    }
    const describe = () =>
      client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] }));
    if (!(await refusedBecauseGone(error, () => stillExists(describe)))) throw error;
  }
  return progress([]);
}

async function listenersAndRules(
  loadBalancerArns: readonly string[],
  client: ElasticLoadBalancingV2Client,
): Promise<Pick<LoadBalancerInventory, 'listeners' | 'rules'>> {
  const listeners: LoadBalancerInventory['listeners'] = [];
  const rules: LoadBalancerInventory['rules'] = [];
  for (const loadBalancerArn of loadBalancerArns) {
    let found: Listener[];
    try {
      found = await describeListeners(loadBalancerArn, client);
    } catch (error) {
      if (error instanceof LoadBalancerNotFoundException) continue;
      throw error;
    }
    for (const listener of found) {
      if (listener.ListenerArn === undefined) continue;
      listeners.push({ arn: listener.ListenerArn, loadBalancerArn });
      let listenerRules: Rule[];
      try {
        listenerRules = await describeRules(listener.ListenerArn, client);
      } catch (error) {
        if (error instanceof ListenerNotFoundException) continue;
        throw error;
      }
      for (const rule of listenerRules) {
        if (!rule.IsDefault && rule.RuleArn !== undefined)
          rules.push({ arn: rule.RuleArn, listenerArn: listener.ListenerArn });
      }
    }
  }
  return { listeners, rules };
}

/**
 * Everything of ELBv2 tagged `berth:environment = environmentId`, with the listeners and rules of its
 * load balancers. ELBv2 Describe* take no tag filter, so this lists the account's load balancers and
 * target groups and reads their tags 20 ARNs at a time.
 */
export async function findLoadBalancerResources(
  environmentId: string,
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<LoadBalancerInventory> {
  const [allLoadBalancers, allTargetGroups] = await Promise.all([
    collect(paginateDescribeLoadBalancers({ client }, {}), (page) => page.LoadBalancers),
    collect(paginateDescribeTargetGroups({ client }, {}), (page) => page.TargetGroups),
  ]);
  const loadBalancerArns = allLoadBalancers.flatMap((lb) => lb.LoadBalancerArn ?? []);
  const targetGroupArns = allTargetGroups.flatMap((group) => group.TargetGroupArn ?? []);
  const tags = await describeTags([...loadBalancerArns, ...targetGroupArns], client);
  const ours = (arn: string) => tags.get(arn)?.[TAG_ENVIRONMENT] === environmentId;

  const loadBalancers = allLoadBalancers.flatMap((lb) =>
    lb.LoadBalancerArn !== undefined && ours(lb.LoadBalancerArn)
      ? [{ arn: lb.LoadBalancerArn, name: lb.LoadBalancerName }]
      : [],
  );
  const targetGroups = allTargetGroups.flatMap((group) =>
    group.TargetGroupArn !== undefined && ours(group.TargetGroupArn)
      ? [{ arn: group.TargetGroupArn, name: group.TargetGroupName }]
      : [],
  );
  const { listeners, rules } = await listenersAndRules(
    loadBalancers.map((lb) => lb.arn),
    client,
  );
  return { loadBalancers, listeners, rules, targetGroups };
}

/** Adds recorded ARNs the tag search missed; recorded load balancers that no longer exist are dropped. */
async function withRecorded(
  inventory: LoadBalancerInventory,
  recorded: RecordedLoadBalancerResources,
  client: ElasticLoadBalancingV2Client,
): Promise<LoadBalancerInventory> {
  const known = (list: { arn: string }[], arn: string) => list.some((item) => item.arn === arn);
  const extraLoadBalancers: string[] = [];
  for (const arn of recorded.loadBalancerArns ?? []) {
    if (known(inventory.loadBalancers, arn)) continue;
    try {
      // DeleteLoadBalancer succeeds for a missing ALB, so only a Describe tells whether it exists.
      await client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
      extraLoadBalancers.push(arn);
    } catch (error) {
      if (!(error instanceof LoadBalancerNotFoundException)) throw error;
    }
  }
  const extra = await listenersAndRules(extraLoadBalancers, client);
  const listeners = [...inventory.listeners, ...extra.listeners];
  const rules = [...inventory.rules, ...extra.rules];
  for (const arn of recorded.listenerArns ?? []) {
    if (!known(listeners, arn)) listeners.push({ arn, loadBalancerArn: '' });
  }
  for (const arn of recorded.ruleArns ?? []) {
    if (!known(rules, arn)) rules.push({ arn, listenerArn: '' });
  }
  const targetGroups = [...inventory.targetGroups];
  for (const arn of recorded.targetGroupArns ?? []) {
    if (!known(targetGroups, arn)) targetGroups.push({ arn });
  }
  return {
    loadBalancers: [...inventory.loadBalancers, ...extraLoadBalancers.map((arn) => ({ arn }))],
    listeners,
    rules,
    targetGroups,
  };
}

/** A teardown pass's progress, and the ALBs it has asked AWS to delete that are still listed. */
export interface LoadBalancerTeardownProgress extends TeardownProgress {
  deletingLoadBalancerArns: string[];
}

/**
 * One teardown pass, no waiting: rules → listeners → load balancers → target groups. `*NotFound`
 * counts as deleted; a target group still in use is reported and retried by the next pass, as is a
 * load balancer that was deleted but may still be listed. Done when nothing is left or blocked.
 * `deleting` is what the previous pass answered in `deletingLoadBalancerArns`: those ALBs are not
 * asked again (docs/aws-facts.md#deleting-what-is-already-gone-under-a-tag-condition).
 */
export async function teardownLoadBalancerPass(
  environmentId: string,
  options: { recorded?: RecordedLoadBalancerResources; deleting?: readonly string[] } = {},
  client: ElasticLoadBalancingV2Client = defaultClient,
): Promise<LoadBalancerTeardownProgress> {
  const found = await findLoadBalancerResources(environmentId, client);
  const inventory = options.recorded ? await withRecorded(found, options.recorded, client) : found;
  const blocked: Blocker[] = [];
  for (const rule of inventory.rules) {
    await deleteListenerRule(rule.arn, client);
  }
  for (const listener of inventory.listeners) {
    try {
      await client.send(new DeleteListenerCommand({ ListenerArn: listener.arn }));
    } catch (error) {
      if (error instanceof ListenerNotFoundException) continue;
      const describe = () => client.send(new DescribeListenersCommand({ ListenerArns: [listener.arn] }));
      if (!(await refusedBecauseGone(error, () => stillExists(describe)))) throw error;
    }
  }
  const deleting: string[] = [];
  for (const loadBalancer of inventory.loadBalancers) {
    // One found this pass is reported until a later pass no longer finds it (ALB deletion is
    // asynchronous and its ENIs linger after it). It is asked to go once: asked again once gone, the
    // tag-conditioned delete is refused, as it has no tags left.
    if (!options.deleting?.includes(loadBalancer.arn)) {
      try {
        await client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: loadBalancer.arn }));
      } catch (error) {
        const describe = () =>
          client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [loadBalancer.arn] }));
        if (await refusedBecauseGone(error, () => stillExists(describe))) continue;
        throw error;
      }
    }
    deleting.push(loadBalancer.arn);
    blocked.push({
      resource: loadBalancer.arn,
      code: 'LoadBalancerDeleting',
      message: 'the load balancer is being deleted',
    });
  }
  for (const group of inventory.targetGroups) {
    blocked.push(...(await deleteTargetGroup(group.arn, client)).blocked);
  }
  return { ...progress(blocked), deletingLoadBalancerArns: deleting };
}
