/**
 * Simulated Service Quotas (awsJson 1.1, `ServiceQuotasV20190624`): the account's applied quota
 * values and AWS's defaults for the quotas in quotas.ts, which the simulated EC2, ELBv2 and ECS
 * enforce. RequestServiceQuotaIncrease records a PENDING request and changes nothing (AWS reviews
 * it); the control API (`PUT /_local/quotas`) sets values as an approved increase would.
 *
 * Errors as AWS answers them: an unknown service or quota code is `NoSuchResourceException`, a
 * malformed input `IllegalArgumentException`; see docs/aws-facts.md#account-quotas-and-the-service-quotas-api
 *
 * IAM: GetServiceQuota and RequestServiceQuotaIncrease are authorised on the quota's ARN
 * (`arn:aws:servicequotas:<region>:<account>:<serviceCode>/<quotaCode>`), the reads of defaults and
 * lists on `*`.
 */
import {
  type Authorizer,
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
} from '../kernel';
import { epochSeconds, InputReader } from './operation-input';
import {
  appliedValue,
  QUOTA_DEFINITIONS,
  type QuotaDefinition,
  quotaDefinition,
  quotaRequests,
} from './quotas';

const illegal = (message: string) => new AwsError('IllegalArgumentException', message, 400);

function reader(input: OperationInput): InputReader {
  return new InputReader(input, illegal);
}

function quotaArn(ctx: SimContext, definition: QuotaDefinition, account: string): string {
  return `arn:aws:servicequotas:${ctx.region}:${account}:${definition.serviceCode}/${definition.quotaCode}`;
}

function quotaView(ctx: SimContext, definition: QuotaDefinition, applied: boolean): Record<string, unknown> {
  return {
    ServiceCode: definition.serviceCode,
    ServiceName: definition.serviceName,
    QuotaArn: quotaArn(ctx, definition, applied ? ctx.accountId : ''),
    QuotaCode: definition.quotaCode,
    QuotaName: definition.quotaName,
    Value: applied ? appliedValue(ctx, definition) : definition.defaultValue,
    Unit: 'None',
    Adjustable: definition.adjustable,
    GlobalQuota: false,
    QuotaAppliedAtLevel: 'ACCOUNT',
    Description: definition.description,
  };
}

function knownService(serviceCode: string): void {
  if (!QUOTA_DEFINITIONS.some((definition) => definition.serviceCode === serviceCode)) {
    throw new AwsError(
      'NoSuchResourceException',
      'The request failed because the specified service does not exist.',
    );
  }
}

/** The quota the input names, or AWS's NoSuchResourceException. */
function requestedQuota(input: OperationInput): QuotaDefinition {
  const r = reader(input);
  const serviceCode = r.requiredString('ServiceCode');
  const quotaCode = r.requiredString('QuotaCode');
  knownService(serviceCode);
  const definition = quotaDefinition(serviceCode, quotaCode);
  if (!definition) {
    throw new AwsError(
      'NoSuchResourceException',
      `The request failed because the specified quota ${quotaCode} does not exist for service ${serviceCode}.`,
    );
  }
  return definition;
}

function listOf(input: OperationInput, ctx: SimContext, applied: boolean): Record<string, unknown> {
  const r = reader(input);
  const serviceCode = r.requiredString('ServiceCode');
  knownService(serviceCode);
  const maxResults = r.number('MaxResults') ?? 100;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
    throw illegal('MaxResults must be between 1 and 100.');
  const all = QUOTA_DEFINITIONS.filter(
    (definition) =>
      definition.serviceCode === serviceCode &&
      (r.string('QuotaCode') === undefined || definition.quotaCode === r.string('QuotaCode')),
  );
  const token = r.string('NextToken');
  const start = token === undefined ? 0 : Number.parseInt(token, 10);
  if (!Number.isInteger(start) || start < 0 || start > all.length) throw illegal('Invalid NextToken.');
  const page = all.slice(start, start + maxResults);
  const next = start + page.length;
  return {
    Quotas: page.map((definition) => quotaView(ctx, definition, applied)),
    ...(next < all.length ? { NextToken: String(next) } : {}),
  };
}

function requestIncrease(input: OperationInput, ctx: SimContext): unknown {
  const definition = requestedQuota(input);
  const desired = reader(input).number('DesiredValue');
  if (desired === undefined) throw illegal('DesiredValue is required.');
  if (!definition.adjustable) {
    throw illegal(`The quota ${definition.quotaCode} is not adjustable.`);
  }
  if (desired <= appliedValue(ctx, definition)) {
    throw illegal('The desired value must be greater than the current quota value.');
  }
  const now = epochSeconds(ctx.clock.now());
  const request = {
    Id: ctx.ids.hex(32),
    ServiceCode: definition.serviceCode,
    ServiceName: definition.serviceName,
    QuotaCode: definition.quotaCode,
    QuotaName: definition.quotaName,
    DesiredValue: desired,
    Status: 'PENDING',
    Created: now,
    LastUpdated: now,
    Requester: ctx.caller?.arn ?? `arn:aws:iam::${ctx.accountId}:root`,
    QuotaArn: quotaArn(ctx, definition, ctx.accountId),
    GlobalQuota: false,
    Unit: 'None',
    QuotaRequestedAtLevel: 'ACCOUNT',
  };
  quotaRequests(ctx).push(request);
  return { RequestedQuota: request };
}

/** The quota's ARN for the quota-scoped operations; lists and defaults need `*`. */
const onQuota =
  (action: string): Authorizer =>
  (input, ctx) => {
    const r = reader(input);
    return [
      {
        action,
        resource: `arn:aws:servicequotas:${ctx.region}:${ctx.accountId}:${r.string('ServiceCode') ?? ''}/${r.string('QuotaCode') ?? ''}`,
      },
    ];
  };

export const serviceQuotas: ServiceDefinition = {
  signingName: 'servicequotas',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'ServiceQuotasV20190624',
  operations: {
    GetServiceQuota: (input, ctx) => ({ Quota: quotaView(ctx, requestedQuota(input), true) }),
    GetAWSDefaultServiceQuota: (input, ctx) => ({ Quota: quotaView(ctx, requestedQuota(input), false) }),
    ListServiceQuotas: (input, ctx) => listOf(input, ctx, true),
    ListAWSDefaultServiceQuotas: (input, ctx) => listOf(input, ctx, false),
    RequestServiceQuotaIncrease: requestIncrease,
  },
  authorize: {
    GetServiceQuota: onQuota('servicequotas:GetServiceQuota'),
    RequestServiceQuotaIncrease: onQuota('servicequotas:RequestServiceQuotaIncrease'),
  },
  // Each action its own bucket, at the rates the Service Quotas User Guide lists (requests per second
  // plus the additional burst); actions it lists no rate for take the smallest it lists.
  rateLimits: {
    GetServiceQuota: { burst: 10, refillPerSecond: 5 },
    GetAWSDefaultServiceQuota: { burst: 10, refillPerSecond: 5 },
    ListServiceQuotas: { burst: 20, refillPerSecond: 10 },
    ListAWSDefaultServiceQuotas: { burst: 20, refillPerSecond: 10 },
    default: { burst: 10, refillPerSecond: 5 },
  },
  rateLimitCategory: (operation) => operation,
  throttle: { code: 'TooManyRequestsException', status: 400, message: 'Rate exceeded' },
};
