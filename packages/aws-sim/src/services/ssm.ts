/**
 * Simulated AWS Systems Manager Parameter Store (awsJson 1.1, `AmazonSSM`): the public ECS-optimised
 * AMI parameters berth reads to pick a container-instance AMI, and the account's own parameters
 * (PutParameter: String or SecureString, as `npm start` stores berth's signing secrets). Any other
 * name is `ParameterNotFound`, as for a parameter that does not exist. A SecureString's value is
 * answered only WithDecryption; without it, an opaque stand-in for the ciphertext.
 *
 * The AMI ids are fixed, made-up `ami-` ids (exported as `ECS_OPTIMIZED_AMIS`) so the simulated
 * EC2 can recognise them as ECS-optimised images when a launch template uses one.
 *
 * IAM: reads are authorised on the parameter's ARN, which for public parameters has no account
 * (`arn:aws:ssm:<region>::parameter/aws/service/…`).
 */
import { createHash } from 'node:crypto';
import type { Authorizer } from '../kernel';
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { epochSeconds, InputReader } from './operation-input';

interface PublicAmi {
  imageId: string;
  imageName: string;
  os: string;
}

const PREFIX = '/aws/service/ecs/optimized-ami';

/** The public "recommended" ECS-optimised AMIs, by parameter path (without `/image_id`). */
export const ECS_OPTIMIZED_AMIS: Record<string, PublicAmi> = {
  [`${PREFIX}/amazon-linux-2023/recommended`]: {
    imageId: 'ami-0a1b2c3d4e5f60001',
    imageName: 'al2023-ami-ecs-hvm-2023.0.20250101-kernel-6.1-x86_64',
    os: 'Amazon Linux 2023',
  },
  [`${PREFIX}/amazon-linux-2023/arm64/recommended`]: {
    imageId: 'ami-0a1b2c3d4e5f60002',
    imageName: 'al2023-ami-ecs-hvm-2023.0.20250101-kernel-6.1-arm64',
    os: 'Amazon Linux 2023',
  },
  [`${PREFIX}/amazon-linux-2/recommended`]: {
    imageId: 'ami-0a1b2c3d4e5f60003',
    imageName: 'amzn2-ami-ecs-hvm-2.0.20250101-x86_64-ebs',
    os: 'Amazon Linux 2',
  },
  [`${PREFIX}/amazon-linux-2/arm64/recommended`]: {
    imageId: 'ami-0a1b2c3d4e5f60004',
    imageName: 'amzn2-ami-ecs-hvm-2.0.20250101-arm64-ebs',
    os: 'Amazon Linux 2',
  },
};

/**
 * The architecture of one of the public ECS-optimised AMIs (named `…-x86_64…` or `…-arm64…`), or
 * undefined for an AMI the simulator does not know (it keeps no image catalogue).
 */
export function publicAmiArchitecture(imageId: string): 'x86_64' | 'arm64' | undefined {
  const ami = Object.values(ECS_OPTIMIZED_AMIS).find((candidate) => candidate.imageId === imageId);
  if (!ami) return undefined;
  return ami.imageName.includes('arm64') ? 'arm64' : 'x86_64';
}

/** Fixed so `LastModifiedDate` does not move between calls (public parameters change rarely). */
const PUBLISHED_AT = Date.UTC(2025, 0, 1);

/** The value of a public parameter, or undefined when no such parameter exists. */
function publicParameterValue(name: string): string | undefined {
  const exact = ECS_OPTIMIZED_AMIS[name];
  if (exact) {
    // The `recommended` parameter itself is a JSON document describing the AMI.
    return JSON.stringify({
      ecs_agent_version: '1.89.2',
      ecs_runtime_version: 'Docker version 25.0.6',
      image_id: exact.imageId,
      image_name: exact.imageName,
      os: exact.os,
      schema_version: 1,
      source_image_name: exact.imageName.replace('-ecs-', '-'),
    });
  }
  const field = name.slice(name.lastIndexOf('/') + 1);
  const ami = ECS_OPTIMIZED_AMIS[name.slice(0, name.lastIndexOf('/'))];
  if (!ami) return undefined;
  if (field === 'image_id') return ami.imageId;
  if (field === 'image_name') return ami.imageName;
  if (field === 'os') return ami.os;
  return undefined;
}

const invalid = (message: string) => new AwsError('ValidationException', message, 400);

/** Parameter names may be given as ARNs; public parameters have no account in theirs. */
function nameOf(nameOrArn: string): string {
  const match = /^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

/** A parameter of the account (PutParameter). */
export interface ParameterResource extends SimResource {
  type: 'ssm-parameter';
  name: string;
  parameterType: 'String' | 'SecureString';
  value: string;
  version: number;
  lastModifiedAt: number;
}

function publicParameterView(ctx: SimContext, name: string, value: string): Record<string, unknown> {
  return {
    Name: name,
    Type: 'String',
    Value: value,
    Version: 1,
    LastModifiedDate: epochSeconds(PUBLISHED_AT),
    ARN: `arn:aws:ssm:${ctx.region}::parameter${name}`,
    DataType: 'text',
  };
}

/** WithDecryption is ignored for String parameters; a SecureString without it answers its ciphertext. */
function ownParameterView(parameter: ParameterResource, withDecryption: boolean): Record<string, unknown> {
  const encrypted = parameter.parameterType === 'SecureString' && !withDecryption;
  return {
    Name: parameter.name,
    Type: parameter.parameterType,
    Value: encrypted
      ? createHash('sha256').update(`alias/aws/ssm:${parameter.value}`).digest('base64')
      : parameter.value,
    Version: parameter.version,
    LastModifiedDate: epochSeconds(parameter.lastModifiedAt),
    ARN: parameter.arn,
    DataType: 'text',
  };
}

function parameterView(
  ctx: SimContext,
  name: string,
  withDecryption: boolean,
): Record<string, unknown> | undefined {
  const own = ctx.store.get<ParameterResource>('ssm-parameter', parameterArn(ctx, name));
  if (own) return ownParameterView(own, withDecryption);
  const value = publicParameterValue(name);
  return value === undefined ? undefined : publicParameterView(ctx, name, value);
}

function getParameter(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const name = nameOf(reader.requiredString('Name'));
  const parameter = parameterView(ctx, name, reader.boolean('WithDecryption') ?? false);
  if (parameter === undefined) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`, 400);
  return { Parameter: parameter };
}

function putParameter(input: OperationInput, ctx: SimContext): unknown {
  const reader = new InputReader(input, invalid);
  const name = reader.requiredString('Name');
  const value = reader.requiredString('Value');
  const type = reader.string('Type') ?? 'String';
  if (type !== 'String' && type !== 'SecureString') {
    throw invalid(`The simulator stores String and SecureString parameters only, not ${type}.`);
  }
  if (/^\/?(aws|ssm)/i.test(name)) {
    throw invalid(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`);
  }
  const arn = parameterArn(ctx, name);
  const existing = ctx.store.get<ParameterResource>('ssm-parameter', arn);
  if (existing && reader.boolean('Overwrite') !== true) {
    throw new AwsError(
      'ParameterAlreadyExists',
      'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      400,
    );
  }
  const now = ctx.clock.now();
  const version = (existing?.version ?? 0) + 1;
  ctx.store.put<ParameterResource>({
    type: 'ssm-parameter',
    id: arn,
    arn,
    tags: existing?.tags ?? {},
    createdAt: existing?.createdAt ?? now,
    lastModifiedAt: now,
    name,
    parameterType: type,
    value,
    version,
  });
  return { Version: version, Tier: 'Standard' };
}

function getParameters(input: OperationInput, ctx: SimContext): unknown {
  const names = new InputReader(input, invalid).strings('Names');
  if (names.length === 0 || names.length > 10) {
    throw invalid(
      `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10`,
    );
  }
  const parameters: Record<string, unknown>[] = [];
  const invalidParameters: string[] = [];
  const withDecryption = new InputReader(input, invalid).boolean('WithDecryption') ?? false;
  for (const requested of names) {
    const parameter = parameterView(ctx, nameOf(requested), withDecryption);
    if (parameter === undefined) invalidParameters.push(requested);
    else parameters.push(parameter);
  }
  return { Parameters: parameters, InvalidParameters: invalidParameters };
}

/**
 * The ARN IAM evaluates a parameter read on: `parameter/<name without its leading slash>` (a version
 * or label selector, `name:3`, is not part of it); AWS's public parameters under `/aws/service/`
 * belong to no account, so their ARN has none. A name given as an ARN is taken as it is.
 */
export function parameterArn(ctx: Pick<SimContext, 'region' | 'accountId'>, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  const name = nameOrArn.split(':')[0] ?? nameOrArn;
  const path = name.startsWith('/') ? name.slice(1) : name;
  const account = path.startsWith('aws/service/') ? '' : ctx.accountId;
  return `arn:aws:ssm:${ctx.region}:${account}:parameter/${path}`;
}

/** GetParameter and PutParameter on the parameter; GetParameters on each parameter it names. */
const ssmAuthorizers: Record<string, Authorizer> = {
  PutParameter: (input, ctx) => [
    {
      action: 'ssm:PutParameter',
      resource: parameterArn(ctx, new InputReader(input, invalid).requiredString('Name')),
    },
  ],
  GetParameter: (input, ctx) => [
    {
      action: 'ssm:GetParameter',
      resource: parameterArn(ctx, new InputReader(input, invalid).requiredString('Name')),
    },
  ],
  GetParameters: (input, ctx) =>
    [...new Set(new InputReader(input, invalid).strings('Names'))].map((name) => ({
      action: 'ssm:GetParameters',
      resource: parameterArn(ctx, name),
    })),
};

export const ssm: ServiceDefinition = {
  signingName: 'ssm',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'AmazonSSM',
  operations: { GetParameter: getParameter, GetParameters: getParameters, PutParameter: putParameter },
  // A refusal is awsJson's `AccessDeniedException` 400, as Systems Manager answers it.
  authorize: ssmAuthorizers,
  // Parameter Store's default (standard) throughput for GetParameter/GetParameters is 40 TPS.
  rateLimits: { default: { burst: 40, refillPerSecond: 40 } },
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
};
