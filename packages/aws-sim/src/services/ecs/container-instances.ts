/**
 * Container instances: no ECS operation makes them, the Auto Scaling simulation registers and
 * deregisters its instances here (apart from the rest of ECS so that Auto Scaling depends on this
 * small module only, and ECS never on Auto Scaling's operations).
 */
import type { SimContext } from '../../kernel';
import { arnPrefix, type ClusterResource, type ContainerInstanceResource, clusterArnOf } from './model';

/**
 * Registers an EC2 instance of an Auto Scaling group as a container instance of `clusterName` from
 * `registeredAt` on (when its ECS agent would have started). No-op when the cluster is not ACTIVE.
 */
export function registerContainerInstance(
  ctx: SimContext,
  registration: {
    clusterName: string;
    ec2InstanceId: string;
    registeredAt: number;
    tags?: Record<string, string>;
  },
): void {
  const cluster = ctx.store.get<ClusterResource>('ecs-cluster', clusterArnOf(ctx, registration.clusterName));
  if (cluster?.status !== 'ACTIVE') return;
  const arn = `${arnPrefix(ctx)}:container-instance/${cluster.name}/${ctx.ids.hex(32)}`;
  ctx.store.put<ContainerInstanceResource>({
    type: 'ecs-container-instance',
    id: arn,
    arn,
    clusterArn: cluster.arn,
    ec2InstanceId: registration.ec2InstanceId,
    registeredAt: registration.registeredAt,
    tags: registration.tags ?? {},
    createdAt: ctx.clock.now(),
  });
}

/** The instance is terminating: its container instance is gone at `at`. */
export function deregisterContainerInstance(ctx: SimContext, ec2InstanceId: string, at: number): void {
  for (const instance of ctx.store.list<ContainerInstanceResource>('ecs-container-instance')) {
    if (instance.ec2InstanceId === ec2InstanceId) instance.goneAt = at;
  }
}
