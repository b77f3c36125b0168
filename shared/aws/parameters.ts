/**
 * Reading berth's own secrets from SSM Parameter Store: SecureString parameters the deployer creates
 * (README, "Signing secrets"). GetParameter WithDecryption answers the plaintext; with the AWS managed
 * key `aws/ssm` the caller needs only `ssm:GetParameter` (docs/aws-facts.md#signing-secrets-in-ssm).
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { requestCalls } from './retry-budget';

/** Region, credentials and endpoint come from the environment (`AWS_ENDPOINT_URL_SSM`). */
const defaultClient = /* @__PURE__ */ new SSMClient(requestCalls);

/** The parameter exists but has no value (never for a SecureString SSM stored). */
export class EmptySecretParameter extends Error {
  constructor(readonly parameterName: string) {
    super(`SSM parameter ${parameterName} has no value`);
    this.name = 'EmptySecretParameter';
  }
}

/** The decrypted value of a SecureString parameter; AWS errors (ParameterNotFound, AccessDenied…) as thrown. */
export async function readSecretParameter(name: string, client: SSMClient = defaultClient): Promise<string> {
  const answer = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = answer.Parameter?.Value;
  if (value === undefined || value === '') throw new EmptySecretParameter(name);
  return value;
}
