/**
 * `npm start` stores the signing secrets in the simulated SSM as the deployer stores them in AWS
 * (README, "Signing secrets"): a SecureString at `/berth/<stage>/<key>`, from SLACK_SIGNING_SECRET and
 * CALLBACK_SIGNING_SECRET when exported. One not exported is not created, so its routes or deliveries
 * fail as they would on AWS without the parameter.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

// infra/signing-secrets.js is CommonJS for osls; the parameter names are shared, not copied.
const { SIGNING_SECRETS, signingSecretParameter } = require('../infra/signing-secrets') as {
  SIGNING_SECRETS: { valueVariable: string; key: string }[];
  signingSecretParameter: (key: string, stage: string) => string;
};

/** Puts each exported secret into SSM at `endpoint`; answers the names of the parameters written. */
export async function storeSigningSecrets(options: {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  environment: NodeJS.ProcessEnv;
  stage: string;
}): Promise<string[]> {
  const client = new SSMClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
  });
  const written: string[] = [];
  try {
    for (const { valueVariable, key } of SIGNING_SECRETS) {
      const value = options.environment[valueVariable];
      if (value === undefined || value.trim() === '') continue;
      const name = signingSecretParameter(key, options.stage);
      await client.send(
        new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }),
      );
      written.push(name);
    }
  } finally {
    client.destroy();
  }
  return written;
}
