/**
 * What an EC2 environment's container instances may do: the policy of its own instance role (one per
 * environment, `berth-<environment id>-instance`, with an instance profile of the same name). Pure, so
 * the exact resources are decided and tested here; shared/aws/iam.ts only puts the document on the role.
 *
 * The ECS agent registers the instance in its cluster, polls for work and reports task and container
 * state; AWS's AmazonEC2ContainerServiceforEC2Role grants those on `*` (and ECR pulls, log writes and
 * CreateCluster besides), so with one role for every environment an instance of team A could register
 * into team B's cluster and receive its tasks. This role names only the environment's cluster and its
 * container instances (docs/aws-facts.md#per-environment-container-instance-roles). Tasks use their own
 * execution role for image pulls and logs, so the instances need neither.
 */
import type { PolicyDocument, PolicyScope } from './execution-role';

/** The one inline policy of the instance role (PutRolePolicy replaces it whole on every run). */
export const INSTANCE_ROLE_POLICY_NAME = 'berth-container-instance';

/** Who may assume the instance role: EC2, for the instances launched with its profile. */
export const EC2_TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** The container-instance policy for the cluster `clusterName` of the environment. */
export function instanceRolePolicy(scope: PolicyScope, clusterName: string): PolicyDocument {
  const ecs = `arn:${scope.partition}:ecs:${scope.region}:${scope.account}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        // Registration and state reports name the cluster.
        Effect: 'Allow',
        Action: [
          'ecs:RegisterContainerInstance',
          'ecs:DeregisterContainerInstance',
          'ecs:SubmitTaskStateChange',
          'ecs:SubmitContainerStateChange',
          'ecs:SubmitAttachmentStateChanges',
        ],
        Resource: `${ecs}:cluster/${clusterName}`,
      },
      {
        // Polling and telemetry name the container instance, within the cluster.
        Effect: 'Allow',
        Action: ['ecs:Poll', 'ecs:StartTelemetrySession'],
        Resource: `${ecs}:container-instance/${clusterName}/*`,
      },
      {
        // DiscoverPollEndpoint supports no resource-level permissions: `*` is the only resource.
        Effect: 'Allow',
        Action: 'ecs:DiscoverPollEndpoint',
        Resource: '*',
      },
    ],
  };
}
