/**
 * Named starting specs for front doors that cannot send a whole environment request (the Slack
 * command takes one line). A template only fills in a request: the result is validated by the same
 * schema as any `POST /environments` body, so a template can never create what the API would refuse.
 */
import type { EnvironmentRequest } from './spec';

/** Task sizes offered by name; each pair is a valid Fargate size (ECS "Task CPU and memory" table). */
export const SIZES = {
  small: { cpu: 256, memory: 512 },
  medium: { cpu: 512, memory: 1024 },
} as const;
export type SizeName = keyof typeof SIZES;
export const SIZE_NAMES = Object.keys(SIZES) as SizeName[];

export interface TemplateInput {
  name: string;
  team: string;
  image: string;
  size: SizeName;
}

interface Template {
  description: string;
  build(input: TemplateInput): EnvironmentRequest;
}

export const TEMPLATES = {
  web: {
    description: 'a public web service behind an internet-facing load balancer, two tasks',
    build: ({ name, team, image, size }) => ({
      name,
      team,
      services: [{ name: 'web', image, ...SIZES[size], port: 80, desiredCount: 2 }],
    }),
  },
  worker: {
    description:
      'one task on Fargate Spot behind an internal load balancer (not reachable from the internet)',
    build: ({ name, team, image, size }) => ({
      name,
      team,
      cluster: { capacity: 'FARGATE_SPOT' },
      loadBalancer: { scheme: 'internal' },
      services: [{ name: 'worker', image, ...SIZES[size], port: 8080, desiredCount: 1 }],
    }),
  },
} as const satisfies Record<string, Template>;
export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as TemplateName[];
export const DEFAULT_TEMPLATE: TemplateName = 'web';
export const DEFAULT_SIZE: SizeName = 'small';

export function isTemplateName(value: string): value is TemplateName {
  return Object.hasOwn(TEMPLATES, value);
}

export function isSizeName(value: string): value is SizeName {
  return Object.hasOwn(SIZES, value);
}

/** The environment request a template makes for these values (not yet validated). */
export function requestFromTemplate(template: TemplateName, input: TemplateInput): EnvironmentRequest {
  return TEMPLATES[template].build(input);
}
