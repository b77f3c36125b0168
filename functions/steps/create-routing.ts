import {
  deleteListenerRule,
  describeServiceRules,
  ensureListenerRule,
  ensureListeners,
  ensureTargetGroup,
} from '../../shared/aws/load-balancer';
import { openServicePorts } from '../../shared/aws/network';
import { planPriorities } from '../../shared/domain/listener-priorities';
import { environmentTags } from '../../shared/domain/naming';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import {
  type LoadBalancerState,
  type ProvisionEvent,
  type RoutingState,
  stepCount,
} from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/**
 * The service group open to the load balancer on every service's port (an update's new or changed
 * port, before the service rolls out on it), listeners (80, and 443 with a certificate), a target
 * group and a listener rule per service. Ports no service uses any more close after the rollout.
 */
export const handler = defineStep(
  {
    name: 'create-routing',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment, ref }) => {
      const network = required(event.network, 'network');
      const loadBalancer = required(event.loadBalancer, 'loadBalancer');
      const { spec } = environment;
      const tags = environmentTags(ref, spec.tags);
      await openServicePorts(
        ref,
        network.securityGroups,
        spec.services.map((service) => service.port),
      );
      const listeners = await ensureListeners(ref, loadBalancer.arn, spec.loadBalancer.certificateArn, tags);
      // Rules go on the listener that serves traffic: 443 when there is a certificate (80 redirects).
      const listenerArn = listeners.routingListenerArn;
      // Existing rules keep their priorities, so an update that adds or removes a service moves no other.
      const existing = await describeServiceRules(ref, listenerArn);
      const priorities = planPriorities(
        spec.services,
        Object.fromEntries(existing.map((rule) => [rule.service, rule.priority])),
      );
      const targetGroups: Record<string, string> = {};
      for (const service of spec.services) {
        const targetGroupArn = await ensureTargetGroup(ref, service, network.vpcId, tags);
        targetGroups[service.name] = targetGroupArn;
        const priority = priorities[service.name];
        if (priority === undefined) throw new Error(`no listener priority planned for ${service.name}`);
        await ensureListenerRule(ref, listenerArn, service, targetGroupArn, priority, tags);
      }
      // A listener that now redirects (80, once there is a certificate) keeps no forward rules: they
      // would take precedence over its redirect and go on serving plain HTTP. The 443 rules exist by now.
      if (listeners.httpsListenerArn !== undefined) {
        for (const rule of await describeServiceRules(ref, listeners.httpListenerArn)) {
          await deleteListenerRule(rule.ruleArn);
        }
      }
      // An update hands in the routing it recorded too: only the load balancer's own fields carry
      // over, so a listener this run removed (443, after the certificate was dropped) is not passed on.
      const { arn, dnsName, canonicalHostedZoneId } = loadBalancer;
      const output: RoutingState & LoadBalancerState = {
        arn,
        dnsName,
        canonicalHostedZoneId,
        httpListenerArn: listeners.httpListenerArn,
        ...(listeners.httpsListenerArn ? { httpsListenerArn: listeners.httpsListenerArn } : {}),
        targetGroups,
      };
      return { output, resources: { targetGroups: Object.values(targetGroups) } };
    },
  },
  stepStore,
);
