/**
 * Simulated AWS STS (awsQuery, API version 2011-06-15): GetCallerIdentity only, which berth uses to
 * learn the account id it builds ARNs with. Every caller is the same local IAM user.
 */
import type { OperationInput, ServiceDefinition, SimContext } from '../kernel';

/** The identity of every local caller. */
export const LOCAL_CALLER = { userName: 'berth-local', userId: 'AIDAQAAAAAAAAAAAAAAAA' } as const;

function getCallerIdentity(_input: OperationInput, ctx: SimContext): unknown {
  return {
    UserId: LOCAL_CALLER.userId,
    Account: ctx.accountId,
    Arn: `arn:aws:iam::${ctx.accountId}:user/${LOCAL_CALLER.userName}`,
  };
}

export const sts: ServiceDefinition = {
  signingName: 'sts',
  protocol: 'query',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  operations: { GetCallerIdentity: getCallerIdentity },
  // AWS documents STS throttling (`Throttling`, 400, "Rate exceeded") but publishes no default
  // rate for GetCallerIdentity; a generous bucket keeps tests from tripping over it.
  rateLimits: { default: { burst: 600, refillPerSecond: 600 } },
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
};
