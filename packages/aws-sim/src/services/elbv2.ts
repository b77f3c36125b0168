/**
 * Simulated Elastic Load Balancing v2 (awsQuery, API version 2015-12-01), Application Load Balancers
 * only: the load balancer, target group, listener, rule and tag operations berth's provisioning,
 * update and teardown call.
 *
 * Behaviour kept from AWS:
 * - CreateLoadBalancer, CreateTargetGroup and CreateListener are idempotent: the same name (port)
 *   with the same settings answers the existing resource; different settings fail with
 *   `DuplicateLoadBalancerName` / `DuplicateTargetGroupName` / `DuplicateListener`.
 * - A new ALB is `provisioning` until the latency model's `loadBalancerActive` has passed. It has one
 *   ENI per subnet (ec2 helpers); DeleteLoadBalancer removes its listeners and rules at once, the ALB
 *   itself after `loadBalancerDeleted`, and its ENIs `eniRelease` after that, so subnets and security
 *   groups answer `DependencyViolation` meanwhile. Deleting a missing ALB succeeds, as documented.
 * - Target health is computed from the clock: `initial` until interval × healthy threshold after
 *   registration, then `healthy`; a target whose simulated app fails the check (ECS tasks whose image
 *   contains `unhealthy`) turns `unhealthy` after interval × unhealthy threshold. Deregistered targets
 *   are `draining` for the group's `deregistration_delay.timeout_seconds` (default 300). Targets of a
 *   group no listener or rule forwards to are `unused` (`Target.NotInUse`).
 * - DeleteTargetGroup answers `ResourceInUse` while a listener or rule forwards to the group.
 * - Throttling is `Throttling` / 400 "Rate exceeded": describes 40 burst / 10 per s, others 20 / 5.
 *
 * Not simulated: Network and Gateway Load Balancers, instance/lambda targets, trust stores, mutual
 * TLS, capacity reservations, SetSubnets/SetSecurityGroups, certificate lists of listeners.
 *
 * Store types: `load-balancer`, `target-group`, `listener`, `listener-rule` (ids are their ARNs).
 *
 * IAM: every operation's requests are in `./elbv2/authorize.ts` (creates with the request tags and
 * the implicit `AddTags`, changes with the stored tags, Describe* on `*`).
 *
 * This file is the dispatcher; the implementation is in `./elbv2/`, one file per resource family
 * (`model.ts` is what they share; `target-health.ts` is also what the simulated ECS calls).
 */
import type { ServiceDefinition } from '../kernel';
import { elbv2Authorizers } from './elbv2/authorize';
import { createListener, deleteListener, describeListeners, modifyListener } from './elbv2/listeners';
import {
  createLoadBalancer,
  deleteLoadBalancer,
  describeLoadBalancerAttributes,
  describeLoadBalancers,
  modifyLoadBalancerAttributes,
} from './elbv2/load-balancers';
import { createRule, deleteRule, describeRules, modifyRule, setRulePriorities } from './elbv2/rules';
import { addTags, describeTags, removeTags } from './elbv2/tags';
import {
  createTargetGroup,
  deleteTargetGroup,
  deregisterTargets,
  describeTargetGroupAttributes,
  describeTargetGroups,
  describeTargetHealth,
  modifyTargetGroup,
  modifyTargetGroupAttributes,
  registerTargets,
} from './elbv2/target-groups';

export type { LoadBalancerResource, TargetGroupResource, TargetRecord } from './elbv2/model';
export {
  deregisterTarget,
  deregistrationDelaySeconds,
  findTargetGroup,
  healthCheckVerdictAt,
  loadBalancersOf,
  registerTarget,
} from './elbv2/target-health';

export const elbv2: ServiceDefinition = {
  signingName: 'elasticloadbalancing',
  protocol: 'query',
  xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  operations: {
    CreateLoadBalancer: createLoadBalancer,
    DescribeLoadBalancers: describeLoadBalancers,
    DeleteLoadBalancer: deleteLoadBalancer,
    ModifyLoadBalancerAttributes: modifyLoadBalancerAttributes,
    DescribeLoadBalancerAttributes: describeLoadBalancerAttributes,
    CreateTargetGroup: createTargetGroup,
    DescribeTargetGroups: describeTargetGroups,
    ModifyTargetGroup: modifyTargetGroup,
    ModifyTargetGroupAttributes: modifyTargetGroupAttributes,
    DescribeTargetGroupAttributes: describeTargetGroupAttributes,
    DeleteTargetGroup: deleteTargetGroup,
    RegisterTargets: registerTargets,
    DeregisterTargets: deregisterTargets,
    DescribeTargetHealth: describeTargetHealth,
    CreateListener: createListener,
    DescribeListeners: describeListeners,
    ModifyListener: modifyListener,
    DeleteListener: deleteListener,
    CreateRule: createRule,
    DescribeRules: describeRules,
    ModifyRule: modifyRule,
    SetRulePriorities: setRulePriorities,
    DeleteRule: deleteRule,
    AddTags: addTags,
    RemoveTags: removeTags,
    DescribeTags: describeTags,
  },
  // IAM requests of each operation (./elbv2/authorize.ts); a refusal is query's `AccessDenied` 403.
  authorize: elbv2Authorizers,
  // ELBv2 does not publish per-API buckets; these are the observed "describe 40/10" (docs/aws-facts.md#api-throttling).
  rateLimitCategory: (operation) => (operation.startsWith('Describe') ? 'describe' : 'mutate'),
  rateLimits: {
    describe: { burst: 40, refillPerSecond: 10 },
    mutate: { burst: 20, refillPerSecond: 5 },
  },
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
};
