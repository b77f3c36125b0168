/**
 * Managed policies of the simulated IAM API: the customer managed policies created with CreatePolicy
 * (resources of the store, type `iam-policy`, id = ARN, forgotten by a reset), those the template
 * declares (`AWS::IAM::ManagedPolicy`, held by `IamState`, outliving a reset), and the AWS managed
 * policies the simulator has copies of (iam/managed-policies.ts).
 *
 * Why it exists: berth gives each service's task role a permissions boundary, by default a customer
 * managed policy of its own template. A role's attached policies and boundary are looked up here by
 * ARN, so a role is evaluated with the statements of whichever kind of policy it names, and an ARN
 * none of them knows is IAM's `NoSuchEntity`. Facts and sources: docs/aws-facts.md#customer-managed-policies-and-permissions-boundaries.
 */
import type { IamState } from '../../iam/identities';
import { MANAGED_POLICIES } from '../../iam/managed-policies';
import type { Statement } from '../../iam/policy';
import type { ResourceStore, SimContext, SimResource } from '../../kernel';
import { stableIamId } from './ids';

export const POLICY_TYPE = 'iam-policy';

export interface IamPolicyResource extends SimResource {
  type: typeof POLICY_TYPE;
  /** The policy's ARN. */
  id: string;
  arn: string;
  policyName: string;
  policyId: string;
  path: string;
  description?: string;
  /** The document of v1, the only (and default) version, as the caller sent it. */
  document: string;
  statements: readonly Statement[];
  updatedAt: number;
}

/** A managed policy of any kind, as IAM shows it and the evaluator reads it. */
export interface PolicyView {
  readonly source: 'api' | 'template' | 'aws';
  readonly arn: string;
  readonly name: string;
  readonly path: string;
  readonly policyId: string;
  readonly description?: string;
  readonly document: string;
  readonly statements: readonly Statement[];
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: number;
}

/** `arn:aws:iam::<account>:policy<path><name>`. */
export function policyArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:policy${path}${name}`;
}

/** Path and name of a policy ARN (`…:policy/service/name` → `/service/`, `name`). */
export function policyNameAndPath(arn: string): { path: string; name: string } {
  const [, path = '/', name = arn] = /^arn:[^:]+:iam::[^:]*:policy(\/(?:.*\/)?)([^/]+)$/.exec(arn) ?? [];
  return { path, name };
}

/** A stable `ANPA…` id for a policy (template and AWS policies have none stored). */
export function policyIdFor(seed: string): string {
  return stableIamId('ANPA', seed);
}

export function storedPolicy(store: ResourceStore, arn: string): IamPolicyResource | undefined {
  return store.get<IamPolicyResource>(POLICY_TYPE, arn);
}

function viewOfStored(policy: IamPolicyResource): PolicyView {
  return {
    source: 'api',
    arn: policy.arn,
    name: policy.policyName,
    path: policy.path,
    policyId: policy.policyId,
    ...(policy.description !== undefined ? { description: policy.description } : {}),
    document: policy.document,
    statements: policy.statements,
    tags: policy.tags,
    createdAt: policy.createdAt,
  };
}

/**
 * Looks managed policies up by ARN: the store's (API-created), the template's (through `IamState`),
 * then the AWS managed copies (matched in the `aws` partition).
 */
export type PolicyLookup = (arn: string) => PolicyView | undefined;

export function policyLookup(
  store: ResourceStore,
  templatePolicies: Pick<IamState, 'templatePolicy'>,
): PolicyLookup {
  return (arn) => {
    const stored = storedPolicy(store, arn);
    if (stored) return viewOfStored(stored);
    const template = templatePolicies.templatePolicy(arn);
    if (template) {
      return {
        source: 'template',
        arn: template.policyArn,
        name: template.policyName,
        path: template.path,
        policyId: policyIdFor(template.policyArn),
        ...(template.description !== undefined ? { description: template.description } : {}),
        document: template.document,
        statements: template.statements,
        tags: {},
        createdAt: template.createdAt,
      };
    }
    const aws = MANAGED_POLICIES.get(arn.replace(/^arn:[^:]+:/, 'arn:aws:'));
    if (aws) {
      const { path, name } = policyNameAndPath(aws.arn);
      return {
        source: 'aws',
        arn,
        name,
        path,
        policyId: policyIdFor(aws.arn),
        document: JSON.stringify({ Version: '2012-10-17', Statement: aws.statements }),
        statements: aws.statements,
        tags: {},
        createdAt: 0,
      };
    }
    return undefined;
  };
}

/** The managed policy of that ARN, of any kind, for this simulator. */
export function findPolicy(ctx: SimContext, arn: string): PolicyView | undefined {
  return policyLookup(ctx.store, ctx.iam)(arn);
}

/** Every managed policy the simulator knows: API-created, the template's, and the AWS copies. */
export function listAllPolicies(ctx: SimContext): PolicyView[] {
  const lookup = policyLookup(ctx.store, ctx.iam);
  const arns = [
    ...ctx.store.list<IamPolicyResource>(POLICY_TYPE).map((policy) => policy.arn),
    ...ctx.iam.listTemplatePolicies().map((policy) => policy.policyArn),
    ...MANAGED_POLICIES.keys(),
  ];
  return [...new Set(arns)]
    .map((arn) => lookup(arn))
    .filter((policy): policy is PolicyView => policy !== undefined);
}
