/** What a team gets back once its environment is READY: where it answers and what runs it. */
import type { StoredEnvironment } from '../store/environments';
import type { ProvisionEvent } from './provision';

/** The path a service's first routing pattern serves (`/api/*` → `/api/`), for its URL. */
function pathOf(pattern: string | undefined): string {
  if (!pattern) return '/';
  const literal = pattern.split('*')[0] ?? '/';
  return literal.startsWith('/') ? literal : `/${literal}`;
}

export function provisioningOutputs(
  environment: StoredEnvironment,
  event: ProvisionEvent,
): Record<string, unknown> {
  const { spec } = environment;
  const scheme = spec.loadBalancer.certificateArn ? 'https' : 'http';
  const dnsName = event.platform?.loadBalancer.dnsName;
  const host = spec.dns?.recordName ?? dnsName;
  const base = host ? `${scheme}://${host}` : undefined;
  const services = spec.services.map((service) => {
    const serviceHost = service.routing.hostHeaders[0] ?? host;
    const prepared = event.platform?.services.find((candidate) => candidate.service === service.name);
    return {
      name: service.name,
      url: serviceHost ? `${scheme}://${serviceHost}${pathOf(service.routing.pathPatterns[0])}` : '',
      serviceArn: event.services?.find((created) => created.service === service.name)?.serviceArn ?? '',
      logGroup: prepared?.logGroup ?? '',
    };
  });
  return {
    ...(base ? { url: base } : {}),
    ...(dnsName ? { loadBalancerDnsName: dnsName } : {}),
    ...(event.platform ? { clusterArn: event.platform.cluster.clusterArn } : {}),
    ...(event.network
      ? { vpcId: event.network.vpcId, subnets: event.network.subnets, cidr: event.network.cidr }
      : {}),
    services,
    // Without NAT, the endpoints the tasks reach AWS through (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat).
    ...(event.platform?.endpoints?.endpoints.length
      ? { vpcEndpoints: event.platform.endpoints.endpoints }
      : {}),
    // Absent when no run of the jobs step has happened (an older state machine): keep what was recorded.
    ...(event.jobs ? { jobs: event.jobs } : {}),
  };
}
