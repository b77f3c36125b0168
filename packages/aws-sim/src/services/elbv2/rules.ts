/**
 * Listener rules: conditions, priorities, CreateRule, DescribeRules (the default rule included),
 * ModifyRule, SetRulePriorities and DeleteRule; actions are read by `./listeners`.
 */
import type { OperationInput, SimContext } from '../../kernel';
import { type InputReader, paginate } from '../operation-input';
import { requireWithinQuota } from '../quotas';
import { readActions } from './listeners';
import {
  arnPrefix,
  error,
  type ListenerResource,
  type RuleResource,
  reader,
  readTags,
  requireListener,
  ruleNotFound,
  rulesOf,
  validationError,
} from './model';

function ruleOutput(rule: RuleResource) {
  return {
    RuleArn: rule.arn,
    Priority: String(rule.priority),
    Conditions: rule.conditions,
    Actions: rule.actions,
    IsDefault: false,
  };
}

function defaultRuleOutput(listener: ListenerResource) {
  return {
    RuleArn: listener.defaultRuleArn,
    Priority: 'default',
    Conditions: [],
    Actions: listener.defaultActions,
    IsDefault: true,
  };
}

/** Rule conditions (path-pattern, host-header, …) kept as AWS echoes them: `Values` and the `…Config`. */
function readConditions(readers: InputReader[]): Record<string, unknown>[] {
  const configKeys: Record<string, string> = {
    'path-pattern': 'PathPatternConfig',
    'host-header': 'HostHeaderConfig',
    'http-request-method': 'HttpRequestMethodConfig',
    'source-ip': 'SourceIpConfig',
  };
  if (readers.length === 0) throw validationError('A rule must have at least one condition');
  return readers.map((condition) => {
    const field = condition.requiredString('Field');
    const configKey = configKeys[field];
    if (!configKey) throw validationError(`Condition field '${field}' is not supported by this simulator`);
    const values = [
      ...condition.strings('Values'),
      ...(condition.object(configKey)?.strings('Values') ?? []),
    ];
    if (values.length === 0) throw validationError(`A '${field}' condition must have at least one value`);
    const unique = [...new Set(values)];
    return { Field: field, Values: unique, [configKey]: { Values: unique } };
  });
}

function readPriority(r: InputReader, key = 'Priority'): number {
  const priority = r.number(key);
  if (priority === undefined || !Number.isInteger(priority) || priority < 1 || priority > 50000) {
    throw validationError('Priority must be between 1 and 50000');
  }
  return priority;
}

export function createRule(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const listener = requireListener(ctx, r.requiredString('ListenerArn'));
  const priority = readPriority(r);
  const conditions = readConditions(r.objects('Conditions'));
  const actions = readActions(ctx, r.objects('Actions'), listener.loadBalancerArn);
  if (rulesOf(ctx, listener.arn).some((rule) => rule.priority === priority)) {
    throw error('PriorityInUse', `Priority '${priority}' is currently in use`);
  }
  // The quota is per load balancer, over all its listeners; default rules are not counted.
  const listenersOfBalancer = new Set(
    ctx.store
      .list<ListenerResource>('listener')
      .filter((other) => other.loadBalancerArn === listener.loadBalancerArn)
      .map((other) => other.arn),
  );
  requireWithinQuota(
    ctx,
    'elasticloadbalancing',
    'L-7EED9B64',
    ctx.store.list<RuleResource>('listener-rule').filter((rule) => listenersOfBalancer.has(rule.listenerArn))
      .length,
    () => error('TooManyRules', "You've reached the limit on the number of rules per load balancer."),
  );
  const listenerPath = listener.arn.split(':listener/')[1] ?? '';
  const arn = `${arnPrefix(ctx)}:listener-rule/${listenerPath}/${ctx.ids.hex(16)}`;
  const rule = ctx.store.put<RuleResource>({
    type: 'listener-rule',
    id: arn,
    arn,
    listenerArn: listener.arn,
    priority,
    conditions,
    actions,
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { Rules: [ruleOutput(rule)] };
}

/** A stored rule, or the listener whose default rule has this ARN. */
function findRule(ctx: SimContext, arn: string): { rule?: RuleResource; defaultOf?: ListenerResource } {
  const rule = ctx.store.get<RuleResource>('listener-rule', arn);
  if (rule) return { rule };
  const defaultOf = ctx.store
    .list<ListenerResource>('listener')
    .find((listener) => listener.defaultRuleArn === arn);
  if (defaultOf) return { defaultOf };
  throw ruleNotFound();
}

export function describeRules(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('RuleArns');
  const listenerArn = r.string('ListenerArn');
  let found: ReturnType<typeof ruleOutput>[];
  if (arns.length > 0) {
    found = arns.map((arn) => {
      const { rule, defaultOf } = findRule(ctx, arn);
      return rule ? ruleOutput(rule) : defaultRuleOutput(defaultOf as ListenerResource);
    });
  } else if (listenerArn !== undefined) {
    const listener = requireListener(ctx, listenerArn);
    const rules = rulesOf(ctx, listener.arn).sort((a, b) => a.priority - b.priority);
    found = [...rules.map(ruleOutput), defaultRuleOutput(listener)];
  } else {
    throw validationError('You must specify either listener ARN or rule ARNs');
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return { Rules: page, ...(nextToken ? { NextMarker: nextToken } : {}) };
}

export function modifyRule(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const { rule, defaultOf } = findRule(ctx, r.requiredString('RuleArn'));
  const conditionReaders = r.objects('Conditions');
  const actionReaders = r.objects('Actions');
  if (defaultOf) {
    if (conditionReaders.length > 0)
      throw error('OperationNotPermitted', 'Conditions cannot be set on a default rule');
    if (actionReaders.length > 0)
      defaultOf.defaultActions = readActions(ctx, actionReaders, defaultOf.loadBalancerArn);
    return { Rules: [defaultRuleOutput(defaultOf)] };
  }
  if (!rule) throw ruleNotFound();
  const listener = requireListener(ctx, rule.listenerArn);
  if (conditionReaders.length > 0) rule.conditions = readConditions(conditionReaders);
  if (actionReaders.length > 0) rule.actions = readActions(ctx, actionReaders, listener.loadBalancerArn);
  return { Rules: [ruleOutput(rule)] };
}

export function setRulePriorities(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const changes = r.objects('RulePriorities').map((change) => {
    const { rule } = findRule(ctx, change.requiredString('RuleArn'));
    if (!rule) throw error('OperationNotPermitted', 'The priority of a default rule cannot be changed');
    return { rule, priority: readPriority(change) };
  });
  // All changes are checked against the rules' priorities after the whole batch (swaps are allowed).
  const moved = new Set(changes.map((change) => change.rule.arn));
  for (const change of changes) {
    const clash =
      rulesOf(ctx, change.rule.listenerArn).some(
        (other) => !moved.has(other.arn) && other.priority === change.priority,
      ) ||
      changes.some(
        (other) =>
          other !== change &&
          other.rule.listenerArn === change.rule.listenerArn &&
          other.priority === change.priority,
      );
    if (clash) throw error('PriorityInUse', `Priority '${change.priority}' is currently in use`);
  }
  for (const change of changes) change.rule.priority = change.priority;
  return { Rules: changes.map((change) => ruleOutput(change.rule)) };
}

export function deleteRule(input: OperationInput, ctx: SimContext) {
  const { rule } = findRule(ctx, reader(input).requiredString('RuleArn'));
  if (!rule) throw error('OperationNotPermitted', 'Default rules cannot be deleted');
  ctx.store.delete('listener-rule', rule.id);
  return {};
}
