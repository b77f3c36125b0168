/**
 * Which VPC endpoints an environment needs: with `natGateways: none` its tasks have no way to the
 * internet, so ECR (API and registry), S3 (image layers), CloudWatch Logs and the secret stores it
 * names are reached through endpoints (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat).
 * Pure: the adapter (shared/aws/endpoints.ts) turns the short names into `com.amazonaws.<region>.…`.
 */
export type EndpointType = 'Interface' | 'Gateway';

export interface PlannedEndpoint {
  /** The part of the service name after `com.amazonaws.<region>.` (`ecr.api`, `s3`). */
  service: string;
  type: EndpointType;
}

/** The port Interface endpoints answer on: their security group admits it from the services' group. */
export const ENDPOINT_PORT = 443;

/** A private ECR image: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>…`. */
const PRIVATE_ECR_IMAGE = /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/[^/]/;

/** True for an image a task without internet access can pull (through the ECR endpoints). */
export function isPrivateEcrImage(image: string): boolean {
  return PRIVATE_ECR_IMAGE.test(image);
}

/** True when the environment's tasks have no NAT gateway and so need endpoints. */
export function needsEndpoints(spec: { network: { natGateways: string } }): boolean {
  return spec.network.natGateways === 'none';
}

/** What the plan reads of a spec (structural, so that spec.ts can use this module without a cycle). */
interface EndpointSpec {
  network: { natGateways: string; availabilityZones: number };
  services: ReadonlyArray<{ secrets: Readonly<Record<string, string>> }>;
  cluster: { capacity: string };
}

/**
 * The endpoints, in creation order: none while a NAT gateway is the way out. Secrets Manager and SSM
 * only when a service names such a secret; ECS's own endpoints only for EC2 capacity (the container
 * agent on the instances). No STS: task-role credentials come from the ECS agent, not from STS.
 */
export function plannedEndpoints(spec: EndpointSpec): PlannedEndpoint[] {
  if (!needsEndpoints(spec)) return [];
  const secrets = spec.services.flatMap((service) => Object.values(service.secrets));
  const names = ['ecr.api', 'ecr.dkr', 'logs'];
  if (secrets.some((arn) => /^arn:[^:]+:secretsmanager:/.test(arn))) names.push('secretsmanager');
  if (secrets.some((arn) => /^arn:[^:]+:ssm:/.test(arn))) names.push('ssm');
  if (spec.cluster.capacity === 'EC2') names.push('ecs', 'ecs-agent', 'ecs-telemetry');
  return [
    ...names.map((service): PlannedEndpoint => ({ service, type: 'Interface' })),
    { service: 's3', type: 'Gateway' },
  ];
}

/** Interface endpoints are billed per Availability Zone they are in (one subnet per zone). */
export function interfaceEndpointZones(spec: EndpointSpec): number {
  return (
    plannedEndpoints(spec).filter((endpoint) => endpoint.type === 'Interface').length *
    spec.network.availabilityZones
  );
}

/** A field of a valid spec that berth cannot build, as `assertDeployable` reports it (422). */
export interface EgressProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Images no task of the environment could pull: without NAT, only private ECR images come through
 * the endpoints; Docker Hub, `public.ecr.aws` and every other registry need internet access.
 */
export function egressProblems(spec: {
  network: { natGateways: string };
  services: ReadonlyArray<{ image: string }>;
  jobs: ReadonlyArray<{ image?: string | undefined }>;
}): EgressProblem[] {
  if (!needsEndpoints(spec)) return [];
  const unreachable = (image: string) =>
    `natGateways is none, so tasks reach only private ECR images (<account>.dkr.ecr.<region>.amazonaws.com/…) through VPC endpoints; ${image} needs internet access: push it to ECR, or use natGateways single or per-az`;
  return [
    ...spec.services.flatMap((service, i) =>
      isPrivateEcrImage(service.image)
        ? []
        : [{ path: ['services', i, 'image'], message: unreachable(service.image) }],
    ),
    ...spec.jobs.flatMap((job, i) =>
      job.image === undefined || isPrivateEcrImage(job.image)
        ? []
        : [{ path: ['jobs', i, 'image'], message: unreachable(job.image) }],
    ),
  ];
}
