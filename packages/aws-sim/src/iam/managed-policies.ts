/**
 * Built-in copies of the AWS managed policies berth's template attaches (`ManagedPolicyArns`).
 *
 * Why it exists: a managed policy's statements live in AWS, not in the template, so the evaluator
 * needs a copy to judge the roles that attach one. Only the policies the template attaches are here;
 * the loader refuses any other managed policy ARN rather than guess its contents. Each copy names its
 * source; see docs/aws-facts.md#iam-policy-evaluation. The copies are keyed by the ARN in the `aws`
 * partition (`arn:aws:iam::aws:policy/…`); the loader resolves `${AWS::Partition}` before looking up.
 */
import type { Statement } from './policy';

export interface ManagedPolicy {
  readonly arn: string;
  readonly statements: readonly Statement[];
  /** Where the copy comes from, and whether it is the policy's current version. */
  readonly source: string;
}

/**
 * AmazonECSTaskExecutionRolePolicy, verbatim as the AWS Batch User Guide prints it:
 * "AWS Batch IAM execution role" (https://docs.aws.amazon.com/batch/latest/userguide/execution-IAM-role.html).
 * The Amazon ECS Developer Guide's "Amazon ECS task execution IAM role"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html) names the
 * policy; its entry in the AWS Managed Policy Reference was not at hand to compare versions.
 */
const ecsTaskExecution: ManagedPolicy = {
  arn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
  source:
    'AWS Batch User Guide, "AWS Batch IAM execution role" (https://docs.aws.amazon.com/batch/latest/userguide/execution-IAM-role.html)',
  statements: [
    {
      Effect: 'Allow',
      Action: [
        'ecr:GetAuthorizationToken',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ],
      Resource: '*',
    },
  ],
};

/**
 * AmazonEC2ContainerServiceforEC2Role — NOT the current version. The AWS Managed Policy Reference
 * lists it at v10 (edited February 12, 2026,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2ContainerServiceforEC2Role.html),
 * but its JSON was not found in the sources available when this was written. What is modelled is the
 * version printed in the older "Amazon ECS Managed Policies and Trust Relationships" page
 * (http://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_managed_policies.html). Later
 * versions add permissions (tagging on creation, among others) that this copy does not grant, so the
 * copy errs towards refusing. Replace it with the current JSON when it is at hand.
 */
const ecsForEc2: ManagedPolicy = {
  arn: 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role',
  source:
    'older Amazon ECS Developer Guide page "Amazon ECS Managed Policies and Trust Relationships" ' +
    '(http://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_managed_policies.html); not the current v10',
  statements: [
    {
      Effect: 'Allow',
      Action: [
        'ecs:CreateCluster',
        'ecs:DeregisterContainerInstance',
        'ecs:DiscoverPollEndpoint',
        'ecs:Poll',
        'ecs:RegisterContainerInstance',
        'ecs:StartTelemetrySession',
        'ecs:Submit*',
        'ecr:GetAuthorizationToken',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ],
      Resource: '*',
    },
  ],
};

export const MANAGED_POLICIES: ReadonlyMap<string, ManagedPolicy> = new Map(
  [ecsTaskExecution, ecsForEc2].map((policy) => [policy.arn, policy]),
);
