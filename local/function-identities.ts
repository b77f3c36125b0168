/**
 * Which role each function runs as, locally as on AWS. The local stack reads the roles from the same
 * serverless.yml that deploys (its `resources`, with the roles infra/stack.js generates), adds the two
 * resources osls generates that those roles name (each function's log group and the function itself),
 * loads them into the simulated AWS, and has it issue each function temporary credentials for its
 * role — as Lambda hands a function its role's credentials. Calls the function then makes are
 * evaluated against exactly that role (packages/aws-sim/src/iam/).
 */
import type { Simulator } from '@berth/aws-sim/simulator';
import {
  type FunctionSpec,
  loadServerlessProject,
  loadServerlessResources,
} from '@berth/sfn-local/definitions';

export interface FunctionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** Credentials by deployed function name (`berth-dev-createNetwork`). */
export type CredentialsByFunction = Record<string, FunctionCredentials>;

// infra/stack.js is CommonJS for osls; its naming of a function's logical ids is shared, not copied.
const { logicalStem } = require('../infra/stack') as { logicalStem: (functionKey: string) => string };

/**
 * The stack's resources as CloudFormation receives them, as far as roles need: serverless.yml's
 * `resources` plus each function's `<Stem>LogGroup` and `<Stem>LambdaFunction`, which osls generates.
 */
export async function stackTemplate(
  serverlessYmlPath: string,
  stage: string,
): Promise<{ template: { Resources: Record<string, unknown> }; functions: FunctionSpec[] }> {
  const resources = await loadServerlessResources(serverlessYmlPath, { stage });
  const project = loadServerlessProject(serverlessYmlPath, { stage });
  const generated: Record<string, unknown> = {};
  for (const fn of Object.values(project.functions)) {
    const stem = logicalStem(fn.key);
    generated[`${stem}LogGroup`] = {
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: `/aws/lambda/${fn.deployedName}` },
    };
    generated[`${stem}LambdaFunction`] = {
      Type: 'AWS::Lambda::Function',
      Properties: { FunctionName: fn.deployedName },
    };
  }
  const declared =
    typeof resources.Resources === 'object' && resources.Resources !== null ? resources.Resources : {};
  return {
    template: { Resources: { ...generated, ...(declared as Record<string, unknown>) } },
    functions: Object.values(project.functions),
  };
}

/**
 * Loads the stack's roles into the simulator and issues every function credentials for its own role.
 * A function without a role of its own would run with the provider's shared role, which berth never
 * declares: that is an error here, as a missing grant would be on AWS.
 */
export async function issueFunctionCredentials(
  simulator: Simulator,
  serverlessYmlPath: string,
  stage: string,
): Promise<CredentialsByFunction> {
  const { template, functions } = await stackTemplate(serverlessYmlPath, stage);
  simulator.loadTemplateRoles(template, `berth-${stage}`);
  const credentials: CredentialsByFunction = {};
  for (const fn of functions) {
    if (fn.role === undefined) throw new Error(`serverless.yml: function ${fn.key} has no role of its own`);
    credentials[fn.deployedName] = simulator.iam.issueCredentials(fn.role, fn.deployedName);
  }
  return credentials;
}
