/**
 * IAM for the local Step Functions endpoint: the API functions' StartExecution, DescribeExecution and
 * StopExecution are judged by the same evaluator and roles as the simulated AWS's calls, on the
 * resources AWS authorises them on (the state machine for StartExecution, the execution otherwise;
 * Service Authorization Reference, "Actions defined by AWS Step Functions").
 */
import type { AccessRequest } from '@berth/aws-sim/iam/access';
import { denialMessage, type IamState } from '@berth/aws-sim/iam/identities';
import type { StartStepFunctionsOptions } from '@berth/sfn-local/server';

type Authorize = NonNullable<StartStepFunctionsOptions['authorize']>;

export function stepFunctionsAuthorizer(iam: IamState): Authorize {
  return ({ accessKeyId, operation, input }) => {
    const caller = iam.principalOf(accessKeyId);
    if (caller === undefined || !iam.enforce) return undefined;
    const resource =
      operation === 'StartExecution' || operation === 'DescribeStateMachine'
        ? input.stateMachineArn
        : input.executionArn;
    const request: AccessRequest = {
      action: `states:${operation}`,
      resource: typeof resource === 'string' ? resource : '*',
    };
    const verdict = iam.authorize(caller, [request]);
    return verdict.allowed ? undefined : denialMessage(caller.arn, verdict.request, verdict.decision);
  };
}
