import { claimAliasRecord } from '../../shared/aws/dns';
import { required } from '../../shared/domain/required';
import { environmentStore as stepStore } from '../../shared/wiring/table';
import { type ProvisionEvent, stepCount } from '../../shared/workflow/provision';
import { defineStep } from '../../shared/workflow/step';

/**
 * The Route 53 alias record to the load balancer, when the spec asks for one: created with its
 * ownership marker, never overwriting a record another environment or anyone else made.
 */
export const handler = defineStep<ProvisionEvent, { recordName?: string }>(
  {
    name: 'dns',
    totalSteps: stepCount,
    run: async (event: ProvisionEvent, { environment }) => {
      const platform = required(event.platform, 'platform');
      const { dns } = environment.spec;
      if (!dns) return { output: {} };
      await claimAliasRecord(dns.hostedZoneId, dns.recordName, environment.id, {
        dnsName: platform.loadBalancer.dnsName,
        canonicalHostedZoneId: platform.loadBalancer.canonicalHostedZoneId,
      });
      return {
        output: { recordName: dns.recordName },
        resources: { dnsRecord: `${dns.hostedZoneId}/${dns.recordName}` },
      };
    },
  },
  stepStore,
);
