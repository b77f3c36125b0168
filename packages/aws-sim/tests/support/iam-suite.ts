/**
 * The set-up the IAM API test files share: the simulator with the services a file needs, started
 * before its tests and closed after them, reset before each test with IAM enforced, and an IAM client
 * on the default credentials, which no role holds (the test's own hands: it may do anything).
 */
import { IAMClient } from '@aws-sdk/client-iam';
import type { Statement } from '../../src/iam/policy';
import type { ServiceDefinition } from '../../src/kernel';
import { type SimulatedServices, startServices } from '../simulated-services';

/** A trust policy (as CreateRole takes it) that lets ECS tasks assume the role. */
export const ecsTasksTrustPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

/** A policy document (as PutRolePolicy and CreatePolicy take it) of `statements`. */
export function policyDocument(statements: readonly Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export interface IamSuite {
  /** The running simulator and client settings pointing at it. */
  readonly services: SimulatedServices;
  /** An IAM client on the default credentials. */
  readonly operator: IAMClient;
  /** Client settings signed as a session (`<role>-session`) of a role the simulator has already. */
  sessionOf(roleName: string): SimulatedServices['clientConfig'];
}

/**
 * Registers the hooks of the file or `describe` block it is called in; the fields are there from its
 * `beforeAll` on (read them in hooks and tests, not when the file loads).
 */
export function iamSuite(definitions: ServiceDefinition[]): IamSuite {
  const suite = {} as { services: SimulatedServices; operator: IAMClient };

  beforeAll(async () => {
    suite.services = await startServices(definitions);
    suite.operator = new IAMClient(suite.services.clientConfig);
  });

  afterAll(async () => {
    suite.operator.destroy();
    await suite.services.running.close();
  });

  beforeEach(() => {
    suite.services.running.sim.reset();
    suite.services.running.sim.iam.enforce = true;
  });

  return Object.assign(suite, {
    sessionOf(roleName: string): SimulatedServices['clientConfig'] {
      const credentials = suite.services.running.sim.iam.issueCredentials(roleName, `${roleName}-session`);
      return { ...suite.services.clientConfig, credentials };
    },
  });
}
