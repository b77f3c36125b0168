/**
 * Role sessions for IAM tests: a role with exactly the given statements, loaded into a running
 * simulator as the template's roles are, and client settings signed with credentials issued for it.
 * A test then calls through the SDK as that role and sees what AWS would answer it.
 */
import type { Statement } from '../src/iam/policy';
import type { RunningSimulator } from '../src/server';
import type { SimulatedServices } from './simulated-services';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

/** `arn:aws:<service>:us-east-1:000000000000:<resource>`. */
export function arn(service: string, resource: string): string {
  return `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
}

/** A template holding one role named `roleName` with `statements` as its inline policy. */
export function roleTemplate(roleName: string, statements: readonly Statement[]): unknown {
  return {
    Resources: {
      [roleName.replace(/[^A-Za-z0-9]/g, '')]: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: roleName,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          },
          Policies: [
            { PolicyName: 'test', PolicyDocument: { Version: '2012-10-17', Statement: statements } },
          ],
        },
      },
    },
  };
}

/**
 * Client settings (as `services.clientConfig`) signed as a session of a new role with `statements`.
 * Loading the same role name again replaces its statements.
 */
export function asRole(
  services: SimulatedServices,
  roleName: string,
  statements: readonly Statement[],
): SimulatedServices['clientConfig'] {
  const credentials = sessionOf(services.running, roleName, statements);
  return { ...services.clientConfig, credentials };
}

export function sessionOf(
  running: RunningSimulator,
  roleName: string,
  statements: readonly Statement[],
): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  running.sim.loadTemplateRoles(roleTemplate(roleName, statements));
  return running.sim.iam.issueCredentials(roleName, `${roleName}-session`);
}

/** The error a promise rejects with (fails the test when it resolves). */
export function refusalOf(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; $metadata?: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: { name: string; message: string }) => error,
  );
}
