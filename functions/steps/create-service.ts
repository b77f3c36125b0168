import { ensureService, serviceStatus, updateService } from '../../shared/aws/service';
import { environmentTags } from '../../shared/domain/naming';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, serviceSpec, stepCount } from '../../shared/workflow/provision';
import { defineStep, TransientError } from '../../shared/workflow/step';

/**
 * The ECS service in the application subnets behind its target group, with the circuit breaker on;
 * an existing one (an update, or a retry) is rolled to the prepared revision and desired count.
 */
export const handler = defineStep<ProvisionEvent, { service: string; serviceArn: string }>(
  {
    name: 'create-service',
    instance: (event) => event.service,
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const name = required(event.service, 'service');
      const network = required(event.network, 'network');
      const platform = required(event.platform, 'platform');
      const service = serviceSpec(environment, name);
      const prepared = platform.services.find((candidate) => candidate.service === name);
      const targetGroupArn = platform.loadBalancer.targetGroups[name];
      if (!prepared || !targetGroupArn) throw new Error(`service ${name} was not prepared`);
      const result = await ensureService(ref, service, {
        clusterName: platform.cluster.clusterName,
        taskDefinitionArn: prepared.taskDefinitionArn,
        subnetIds: network.subnets.app,
        securityGroupId: network.securityGroups.service,
        targetGroupArn,
        capacity: environment.spec.cluster.capacity,
        ...(platform.cluster.capacityProviderName
          ? { capacityProviderName: platform.cluster.capacityProviderName }
          : {}),
        tags: environmentTags(ref, environment.spec.tags),
      });
      if (result.state === 'draining') {
        // A service of this name is still draining from an earlier delete: the Retry waits it out.
        throw new TransientError({
          step: `create-service:${name}`,
          code: 'ServiceDraining',
          message: `${result.serviceArn} is still draining`,
        });
      }
      const { serviceArn } = result;
      if (!result.created) {
        // It exists (a retried step, or an update): roll it to the wanted revision and count if they differ.
        const [current] = await serviceStatus(platform.cluster.clusterName, [name]);
        if (
          current?.taskDefinition !== prepared.taskDefinitionArn ||
          current?.desiredCount !== service.desiredCount
        ) {
          // With the target group, a changed container port reaches ECS as new `loadBalancers`.
          await updateService(
            platform.cluster.clusterName,
            service,
            prepared.taskDefinitionArn,
            environment.spec,
            undefined,
            { targetGroupArn },
          );
        }
      }
      return { output: { service: name, serviceArn }, resources: { [`service:${name}`]: serviceArn } };
    },
  },
  stepStore,
);
