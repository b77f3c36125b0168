/**
 * The signing secrets (Slack's, the callback master), read once per Lambda container from the SSM
 * SecureString parameter its environment variable names (`…_PARAMETER`), never from the template.
 * A failed read is not kept, so the next invocation tries again.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { readSecretParameter } from '../aws/parameters';
import { requireEnv } from '../config';

export type SigningSecretVariable = 'SLACK_SIGNING_SECRET_PARAMETER' | 'CALLBACK_SIGNING_SECRET_PARAMETER';

const secrets = new Map<SigningSecretVariable, Promise<string>>();

/** The secret in the parameter `variable` names; the first call per container reads SSM. */
export function signingSecret(variable: SigningSecretVariable, client?: SSMClient): Promise<string> {
  const cached = secrets.get(variable);
  if (cached) return cached;
  const reading = Promise.resolve()
    .then(() => readSecretParameter(requireEnv(variable), client))
    .catch((error: unknown) => {
      secrets.delete(variable);
      throw error;
    });
  secrets.set(variable, reading);
  return reading;
}
