/**
 * Listeners and the actions they and their rules share (forward, redirect, fixed response): create
 * (idempotent by port), describe, modify, delete; HTTPS needs a certificate and gets a default
 * security policy.
 */
import type { OperationInput, SimContext } from '../../kernel';
import { type InputReader, paginate } from '../operation-input';
import { requireWithinQuota } from '../quotas';
import {
  type Action,
  arnPrefix,
  deleteListenerAndRules,
  error,
  type ListenerResource,
  reader,
  readTags,
  requireListener,
  requireLoadBalancer,
  requireTargetGroup,
  sameData,
  validationError,
} from './model';
import { loadBalancersOf } from './target-health';

function listenerOutput(listener: ListenerResource) {
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    ...(listener.certificates.length > 0 ? { Certificates: listener.certificates } : {}),
    ...(listener.sslPolicy ? { SslPolicy: listener.sslPolicy } : {}),
    DefaultActions: listener.defaultActions,
  };
}

/**
 * Normalises listener/rule actions to what AWS answers: forward actions name their target group
 * both as `TargetGroupArn` and in `ForwardConfig`; every action gets its `Order`.
 */
export function readActions(ctx: SimContext, readers: InputReader[], loadBalancerArn: string): Action[] {
  if (readers.length === 0) throw validationError('At least one action must be specified');
  return readers.map((action, index) => {
    const type = action.requiredString('Type');
    const order = action.number('Order') ?? index + 1;
    switch (type) {
      case 'forward': {
        const single = action.string('TargetGroupArn');
        const weighted = action
          .object('ForwardConfig')
          ?.objects('TargetGroups')
          .map((group) => ({
            TargetGroupArn: group.requiredString('TargetGroupArn'),
            Weight: group.number('Weight') ?? 1,
          }));
        const groups =
          weighted && weighted.length > 0 ? weighted : single ? [{ TargetGroupArn: single, Weight: 1 }] : [];
        if (groups.length === 0)
          throw validationError('A target group ARN must be specified for forward actions');
        for (const group of groups) {
          const tg = requireTargetGroup(ctx, group.TargetGroupArn);
          const others = loadBalancersOf(ctx, tg.arn).filter((arn) => arn !== loadBalancerArn);
          if (others.length > 0) {
            throw error(
              'TargetGroupAssociationLimit',
              `The following target groups cannot be associated with more than one load balancer: ${tg.arn}`,
            );
          }
        }
        const first = groups[0];
        return {
          Type: 'forward',
          ...(groups.length === 1 && first ? { TargetGroupArn: first.TargetGroupArn } : {}),
          Order: order,
          ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: { Enabled: false } },
        };
      }
      case 'fixed-response': {
        const config = action.requiredObject('FixedResponseConfig');
        const statusCode = config.requiredString('StatusCode');
        if (!/^[2-5]\d\d$/.test(statusCode))
          throw validationError(`Status code '${statusCode}' is not valid`);
        return {
          Type: 'fixed-response',
          Order: order,
          FixedResponseConfig: {
            StatusCode: statusCode,
            ...(config.string('ContentType') ? { ContentType: config.string('ContentType') } : {}),
            ...(config.string('MessageBody') !== undefined
              ? { MessageBody: config.string('MessageBody') }
              : {}),
          },
        };
      }
      case 'redirect': {
        const config = action.requiredObject('RedirectConfig');
        const statusCode = config.requiredString('StatusCode');
        if (statusCode !== 'HTTP_301' && statusCode !== 'HTTP_302') {
          throw validationError(
            `Redirect status code '${statusCode}' is not valid; use HTTP_301 or HTTP_302`,
          );
        }
        return {
          Type: 'redirect',
          Order: order,
          RedirectConfig: {
            Protocol: config.string('Protocol') ?? '#{protocol}',
            Port: config.string('Port') ?? '#{port}',
            Host: config.string('Host') ?? '#{host}',
            Path: config.string('Path') ?? '/#{path}',
            Query: config.string('Query') ?? '#{query}',
            StatusCode: statusCode,
          },
        };
      }
      default:
        throw validationError(`Action type '${type}' is not supported by this simulator`);
    }
  });
}

/** Protocol and certificate rules of CreateListener/ModifyListener. */
function readListenerSecurity(r: InputReader, protocol: string, current?: ListenerResource) {
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
    throw validationError(`Listener protocol '${protocol}' must be one of 'HTTPS, HTTP'`);
  }
  const given = r
    .objects('Certificates')
    .map((certificate) => ({ CertificateArn: certificate.requiredString('CertificateArn') }));
  const certificates = given.length > 0 ? given : (current?.certificates ?? []);
  for (const { CertificateArn } of certificates) {
    if (
      !/^arn:aws[\w-]*:(acm:[\w-]+:\d{12}:certificate\/|iam::\d{12}:server-certificate\/)/.test(
        CertificateArn,
      )
    ) {
      throw error('CertificateNotFound', `Certificate '${CertificateArn}' not found`);
    }
  }
  if (protocol === 'HTTPS' && certificates.length === 0) {
    throw validationError('A certificate must be specified for HTTPS listeners');
  }
  if (protocol === 'HTTP') return { certificates: [], sslPolicy: undefined };
  return {
    certificates,
    sslPolicy: r.string('SslPolicy') ?? current?.sslPolicy ?? 'ELBSecurityPolicy-2016-08',
  };
}

export function createListener(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const lb = requireLoadBalancer(ctx, r.requiredString('LoadBalancerArn'));
  const port = r.number('Port');
  if (port === undefined || port < 1 || port > 65535)
    throw validationError('Port must be between 1 and 65535');
  const protocol = r.string('Protocol') ?? 'HTTP';
  const { certificates, sslPolicy } = readListenerSecurity(r, protocol);
  const defaultActions = readActions(ctx, r.objects('DefaultActions'), lb.arn);

  const existing = ctx.store
    .list<ListenerResource>('listener')
    .find((listener) => listener.loadBalancerArn === lb.arn && listener.port === port);
  if (existing) {
    const same = sameData(
      { protocol, certificates, sslPolicy, defaultActions },
      {
        protocol: existing.protocol,
        certificates: existing.certificates,
        sslPolicy: existing.sslPolicy,
        defaultActions: existing.defaultActions,
      },
    );
    if (!same)
      throw error('DuplicateListener', 'A listener already exists on this port for this load balancer');
    return { Listeners: [listenerOutput(existing)] };
  }
  requireWithinQuota(
    ctx,
    'elasticloadbalancing',
    'L-B6DF7632',
    ctx.store.list<ListenerResource>('listener').filter((other) => other.loadBalancerArn === lb.arn).length,
    () => error('TooManyListeners', "You've reached the limit on the number of listeners per load balancer."),
  );
  const listenerHex = ctx.ids.hex(16);
  const arn = `${arnPrefix(ctx)}:listener/${lb.resourcePath}/${listenerHex}`;
  const listener = ctx.store.put<ListenerResource>({
    type: 'listener',
    id: arn,
    arn,
    loadBalancerArn: lb.arn,
    port,
    protocol,
    ...(sslPolicy ? { sslPolicy } : {}),
    certificates,
    defaultActions,
    defaultRuleArn: `${arnPrefix(ctx)}:listener-rule/${lb.resourcePath}/${listenerHex}/${ctx.ids.hex(16)}`,
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { Listeners: [listenerOutput(listener)] };
}

export function describeListeners(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('ListenerArns');
  const loadBalancerArn = r.string('LoadBalancerArn');
  let found: ListenerResource[];
  if (arns.length > 0) {
    found = arns.map((arn) => requireListener(ctx, arn));
  } else if (loadBalancerArn !== undefined) {
    requireLoadBalancer(ctx, loadBalancerArn);
    found = ctx.store
      .list<ListenerResource>('listener')
      .filter((listener) => listener.loadBalancerArn === loadBalancerArn);
  } else {
    throw validationError('You must specify either listener ARNs or a load balancer ARN');
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return { Listeners: page.map(listenerOutput), ...(nextToken ? { NextMarker: nextToken } : {}) };
}

export function modifyListener(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const listener = requireListener(ctx, r.requiredString('ListenerArn'));
  const port = r.number('Port') ?? listener.port;
  if (port !== listener.port) {
    const taken = ctx.store
      .list<ListenerResource>('listener')
      .some((other) => other.loadBalancerArn === listener.loadBalancerArn && other.port === port);
    if (taken)
      throw error('DuplicateListener', 'A listener already exists on this port for this load balancer');
  }
  const protocol = r.string('Protocol') ?? listener.protocol;
  const { certificates, sslPolicy } = readListenerSecurity(r, protocol, listener);
  const actionReaders = r.objects('DefaultActions');
  const defaultActions =
    actionReaders.length > 0
      ? readActions(ctx, actionReaders, listener.loadBalancerArn)
      : listener.defaultActions;
  Object.assign(listener, { port, protocol, certificates, sslPolicy, defaultActions });
  if (!sslPolicy) delete listener.sslPolicy;
  return { Listeners: [listenerOutput(listener)] };
}

export function deleteListener(input: OperationInput, ctx: SimContext) {
  deleteListenerAndRules(ctx, requireListener(ctx, reader(input).requiredString('ListenerArn')));
  return {};
}
