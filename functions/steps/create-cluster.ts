import { ensureCluster, ensureEc2Capacity } from '../../shared/aws/cluster';
import { ensureInstanceRole } from '../../shared/aws/iam';
import { requireEnv } from '../../shared/config';
import { environmentTags } from '../../shared/domain/naming';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ClusterState, type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/**
 * The ECS cluster with its capacity: Fargate (Spot) providers, or an Auto Scaling group of EC2
 * instances acting as the environment's own instance role, which names only this cluster.
 */
export const handler = defineStep(
  {
    name: 'create-cluster',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const network = required(event.network, 'network');
      const { cluster } = environment.spec;
      const tags = environmentTags(ref, environment.spec.tags);
      const { clusterArn, clusterName } = await ensureCluster(ref, cluster, tags);
      const output: ClusterState = { clusterArn, clusterName };
      if (cluster.capacity === 'EC2' && cluster.ec2) {
        const { instanceProfileArn } = await ensureInstanceRole(ref, clusterName, {
          region: requireEnv('AWS_REGION'),
          tags,
        });
        const capacity = await ensureEc2Capacity(ref, cluster.ec2, {
          clusterName,
          subnetIds: network.subnets.app,
          securityGroupId: network.securityGroups.service,
          instanceProfileArn,
          tags,
        });
        output.capacityProviderName = capacity.capacityProviderName;
      }
      return { output, resources: { cluster: clusterArn } };
    },
  },
  stepStore,
);
