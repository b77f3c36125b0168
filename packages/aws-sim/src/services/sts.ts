/**
 * Simulated AWS STS (awsQuery, API version 2011-06-15): GetCallerIdentity only, which berth uses to
 * learn the account id it builds ARNs with. The operator's credentials are the local IAM user; a
 * role session the simulator issued credentials for is answered as AWS answers an assumed role.
 *
 * IAM: GetCallerIdentity needs no permission ("No permissions are required to perform this
 * operation"): a role without any grant still gets its identity, and an explicit Deny cannot hide it.
 */
import { createHash } from 'node:crypto';
import type { Authorizer, OperationInput, ServiceDefinition, SimContext } from '../kernel';

/** The identity of the operator's credentials. */
export const LOCAL_CALLER = { userName: 'berth-local', userId: 'AIDAQAAAAAAAAAAAAAAAA' } as const;

/**
 * A role's unique id as IAM shows it (`AROA` + 17 characters). The simulator keeps none, so it is
 * derived from the role's ARN: stable for a role, different between roles.
 */
export function roleIdOf(roleArn: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(roleArn).digest();
  const suffix = [...digest.subarray(0, 17)].map((byte) => alphabet[byte % alphabet.length] ?? 'A').join('');
  return `AROA${suffix}`;
}

function getCallerIdentity(_input: OperationInput, ctx: SimContext): unknown {
  const caller = ctx.caller;
  if (caller) {
    const roleArn =
      ctx.iam.role(caller.roleName)?.roleArn ?? `arn:aws:iam::${ctx.accountId}:role/${caller.roleName}`;
    // An assumed role's UserId is `<role id>:<session name>`; its Arn names the session.
    return { UserId: `${roleIdOf(roleArn)}:${caller.sessionName}`, Account: ctx.accountId, Arn: caller.arn };
  }
  return {
    UserId: LOCAL_CALLER.userId,
    Account: ctx.accountId,
    Arn: `arn:aws:iam::${ctx.accountId}:user/${LOCAL_CALLER.userName}`,
  };
}

const stsAuthorizers: Record<string, Authorizer> = {
  GetCallerIdentity: () => [],
};

export const sts: ServiceDefinition = {
  signingName: 'sts',
  protocol: 'query',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  operations: { GetCallerIdentity: getCallerIdentity },
  authorize: stsAuthorizers,
  // AWS documents STS throttling (`Throttling`, 400, "Rate exceeded") but publishes no default
  // rate for GetCallerIdentity; a generous bucket keeps tests from tripping over it.
  rateLimits: { default: { burst: 600, refillPerSecond: 600 } },
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
};
