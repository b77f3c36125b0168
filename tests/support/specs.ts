/** Environment specs for tests: a parsed spec of team `payments` named `shop` with the given services. */
import { type EnvironmentSpec, environmentRequestSchema } from '../../shared/domain/spec';

/** Each service is named `svc<i>` and routed on its own path (two services may not share a path pattern). */
export function shopSpec(services: Record<string, unknown>[]): EnvironmentSpec {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: 'payments',
    services: services.map((service, index) => ({
      name: `svc${index}`,
      image: 'nginx:1.27',
      routing: { pathPatterns: [`/svc${index}/*`] },
      ...service,
    })),
  });
}
