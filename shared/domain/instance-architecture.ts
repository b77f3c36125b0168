/**
 * The processor architecture of an EC2 instance type, and the ECS-optimised AMI that runs on it.
 * An AMI boots only on its own architecture: a Graviton (arm64) type launched from the x86_64 AMI is
 * refused by EC2 and Auto Scaling, so every launch of the environment's capacity would fail
 * (docs/aws-facts.md#task-definitions-ami-architecture-and-derived-names).
 */

export type Architecture = 'x86_64' | 'arm64';

/**
 * EC2's naming convention: `<series><generation><options>.<size>`, and an option `g` marks an AWS
 * Graviton processor (m7g, c7gn, r8gd, t4g, im4gn, x2gd…). The first-generation Graviton family
 * `a1` predates the convention. Everything else berth runs is x86_64.
 */
export function instanceArchitecture(instanceType: string): Architecture {
  const family = instanceType.split('.')[0] ?? '';
  if (family === 'a1') return 'arm64';
  const options = /^[a-z]+\d+([a-z-]*)$/.exec(family)?.[1] ?? '';
  return options.includes('g') ? 'arm64' : 'x86_64';
}

/** The public SSM parameter of the current ECS-optimised Amazon Linux 2023 AMI for `instanceType`. */
export function ecsOptimizedAmiParameter(instanceType: string): string {
  return instanceArchitecture(instanceType) === 'arm64'
    ? '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id'
    : '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';
}
