/**
 * What ECS does with a task's execution role before its containers start, and how the task ends
 * when the role falls short.
 *
 * Why it exists: ECS (the Fargate agent) acts as the task definition's `executionRoleArn` to get the
 * registry auth of ECR images, every secret the containers name (Secrets Manager, and the KMS key a
 * secret is encrypted with; SSM Parameter Store), to pull the image, and to create the `awslogs` log
 * stream. A missing permission is no API error: the task is placed, then stops with
 * `stopCode: TaskFailedToStart` and a `stoppedReason` in ECS's own wording (see
 * docs/aws-facts.md#ecs-task-start-and-the-execution-role). This module asks the simulated IAM the same questions
 * (`IamState.roleAllows`) and answers that wording, or nothing when the task starts.
 *
 * Only roles the simulator knows are checked (the template's roles and those made through the IAM
 * API): fixtures made with the operator's credentials name made-up role ARNs, and an unknown ARN
 * means "not modelled" here, not "does not exist" (the operator itself is never evaluated either).
 * Nothing is checked while enforcement is off.
 *
 * Before the role, the network: a task whose subnet has no way out (no NAT gateway, no public IP
 * behind an internet gateway) reaches ECR, S3, Secrets Manager / SSM and CloudWatch Logs only through
 * VPC endpoints, and stops with ECS's timeout wording otherwise (`egressFailureReason`; switch:
 * `PUT /_local/egress`).
 *
 * There is no simulated Secrets Manager; `registerSecretKey` records that a secret is encrypted with
 * a customer managed KMS key, which is all ECS's start needs to know (GetSecretValue then also needs
 * `kms:Decrypt` on that key, via Secrets Manager). A secret named by a partial ARN is judged on its
 * complete ARN (with Secrets Manager's six-character suffix), as AWS does.
 */
import type { AccessRequest } from '../../iam/access';
import type { Decision } from '../../iam/policy';
import type { SimContext, SimResource } from '../../kernel';
import { natState } from '../ec2/gateways';
import type { InternetGateway, NatGateway } from '../ec2/model';
import { egressEnforced, egressOf, type TaskNetwork } from '../ec2/vpc-endpoints';
import { lastSegment, reader, type TaskDefinitionResource } from './model';

/** A secret the simulator knows is encrypted with a customer managed key (see `registerSecretKey`). */
interface SecretKeyResource extends SimResource {
  type: 'secretsmanager-secret';
  /** The secret's ARN. */
  id: string;
  kmsKeyArn: string;
}

/** Secrets Manager's random suffix: a hyphen and six characters after the secret's name. */
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;

/**
 * The complete ARN of a secret, which IAM judges GetSecretValue on: a partial ARN (no `-` and six
 * characters after the name) stands for the one secret of that name, whose ARN has them; the simulator
 * makes them up, the same for the same name. A name that itself ends in `-` and six characters is
 * taken as complete, as Secrets Manager does.
 */
function completeSecretArn(secretArn: string): string {
  const name = secretArn.split(':')[6] ?? '';
  if (SECRET_SUFFIX.test(name)) return secretArn;
  // FNV-1a of the name, as six characters: stable across tasks and runs.
  let hash = 0x811c9dc5;
  for (const char of name) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = Array.from({ length: 6 }, (_, index) =>
    alphabet.charAt((hash >>> (index * 5)) % alphabet.length),
  );
  return `${secretArn}-${suffix.join('')}`;
}

/**
 * Records that the Secrets Manager secret `secretArn` (complete or partial) is encrypted with the KMS
 * key `kmsKeyId` (an ARN, or a key id in the simulator's account and region), as
 * `CreateSecret --kms-key-id` would.
 */
export function registerSecretKey(ctx: SimContext, secretArn: string, kmsKeyId: string): void {
  const kmsKeyArn = kmsKeyId.startsWith('arn:')
    ? kmsKeyId
    : `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${kmsKeyId}`;
  const complete = completeSecretArn(secretArn);
  ctx.store.put<SecretKeyResource>({
    type: 'secretsmanager-secret',
    id: complete,
    arn: complete,
    kmsKeyArn,
    tags: {},
    createdAt: ctx.clock.now(),
  });
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag][@digest]`: an image ECR serves. */
const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]+))?$/;

interface EcrImage {
  image: string;
  host: string;
  repository: string;
  repositoryArn: string;
  /** What the registry is asked the manifest of: the tag, the digest, or `latest`. */
  reference: string;
}

function ecrImageOf(image: string): EcrImage | undefined {
  const match = ECR_IMAGE.exec(image);
  const [, account, region, repository, tag, digest] = match ?? [];
  if (account === undefined || region === undefined || repository === undefined) return undefined;
  return {
    image,
    host: image.slice(0, image.indexOf('/')),
    repository,
    repositoryArn: `arn:aws:ecr:${region}:${account}:repository/${repository}`,
    reference: tag ?? digest ?? 'latest',
  };
}

/** A secret as the container names it (`secretArn`) and as IAM judges it (`completeArn`). */
type Secret =
  | { store: 'asm'; secretArn: string; completeArn: string }
  | { store: 'ssm'; parameterArn: string };

/**
 * A `valueFrom`: a Secrets Manager ARN (possibly with `:json-key:version-stage:version-id` after the
 * secret's own seven parts), an SSM parameter ARN, or a parameter name in the task's region.
 */
function secretOf(ctx: SimContext, valueFrom: string): Secret {
  if (/^arn:aws[a-z-]*:secretsmanager:/.test(valueFrom)) {
    const secretArn = valueFrom.split(':').slice(0, 7).join(':');
    return { store: 'asm', secretArn, completeArn: completeSecretArn(secretArn) };
  }
  if (/^arn:aws[a-z-]*:ssm:/.test(valueFrom)) return { store: 'ssm', parameterArn: valueFrom };
  const name = valueFrom.startsWith('/') ? valueFrom : `/${valueFrom}`;
  return { store: 'ssm', parameterArn: `arn:aws:ssm:${ctx.region}:${ctx.accountId}:parameter${name}` };
}

interface LogStream {
  streamArn: string;
}

interface StartPlan {
  images: EcrImage[];
  secrets: Secret[];
  logStreams: LogStream[];
}

/** Everything the execution role is used for when this task starts, read from the task definition. */
function planOf(ctx: SimContext, definition: TaskDefinitionResource, taskId: string): StartPlan {
  const plan: StartPlan = { images: [], secrets: [], logStreams: [] };
  for (const container of reader(definition.body).objects('containerDefinitions')) {
    const image = ecrImageOf(container.string('image') ?? '');
    if (image) plan.images.push(image);
    const logConfiguration = container.object('logConfiguration');
    const valueFroms = [
      ...container.objects('secrets'),
      ...(logConfiguration?.objects('secretOptions') ?? []),
    ].flatMap((secret) => secret.string('valueFrom') ?? []);
    for (const valueFrom of valueFroms) plan.secrets.push(secretOf(ctx, valueFrom));
    const options = logConfiguration?.object('options');
    const group = options?.string('awslogs-group');
    if (logConfiguration?.string('logDriver') === 'awslogs' && group !== undefined) {
      // The awslogs driver names the stream <prefix>/<container>/<task id> (the task id alone without a prefix).
      const prefix = options?.string('awslogs-stream-prefix');
      const stream = prefix ? `${prefix}/${container.string('name') ?? ''}/${taskId}` : taskId;
      const region = options?.string('awslogs-region') ?? ctx.region;
      plan.logStreams.push({
        streamArn: `arn:aws:logs:${region}:${ctx.accountId}:log-group:${group}:log-stream:${stream}`,
      });
    }
  }
  return plan;
}

/** Where a container's image comes from: an ECR repository of the task's Region, or anywhere else. */
function registryOf(
  ctx: SimContext,
  image: string,
): { ecr: EcrImage | undefined; host: string; path: string; reference: string } {
  const ecr = ecrImageOf(image);
  if (ecr)
    return {
      ecr: ecr.host.includes(`.${ctx.region}.`) ? ecr : undefined,
      host: ecr.host,
      path: ecr.repository,
      reference: ecr.reference,
    };
  // Docker's rules: no registry host (no dot, colon or `localhost` before the first slash) means Docker Hub.
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const rest = hasHost ? image.slice(slash + 1) : image;
  const [name = rest, digest] = rest.split('@');
  const colon = name.lastIndexOf(':');
  const repository = colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  return {
    ecr: undefined,
    host: hasHost ? first : 'registry-1.docker.io',
    path: hasHost || repository.includes('/') ? repository : `library/${repository}`,
    reference: digest ?? tag ?? 'latest',
  };
}

/** A public-looking address AWS's service would resolve to, for the timeout's wording. */
function serviceAddress(ctx: SimContext): string {
  const octet = () => Math.floor(ctx.random() * 254) + 1;
  return `52.${octet()}.${octet()}.${octet()}`;
}

/**
 * The `stoppedReason` of a task that cannot reach what starting it takes, or undefined: without a
 * NAT gateway or a public IP behind an internet gateway, ECR's API and registry, S3 (image layers),
 * Secrets Manager / SSM and CloudWatch Logs only through VPC endpoints; an image of any other
 * registry not at all. The calls time out (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat).
 */
function egressFailureReason(
  ctx: SimContext,
  definition: TaskDefinitionResource,
  taskId: string,
  network: TaskNetwork,
): string | undefined {
  const egress = egressOf(
    ctx,
    network,
    (id) => {
      const nat = ctx.store.get<NatGateway>('nat-gateway', id);
      return nat !== undefined && natState(nat, ctx) === 'available';
    },
    (id, vpcId) => ctx.store.get<InternetGateway>('internet-gateway', id)?.attachedVpcId === vpcId,
  );
  if (egress === undefined || egress.internet) return undefined;
  const timeout = () => `dial tcp ${serviceAddress(ctx)}:443: i/o timeout`;
  const retrieval =
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ';
  const containers = reader(definition.body).objects('containerDefinitions');
  const images = containers.map((container) => registryOf(ctx, container.string('image') ?? ''));
  // 1. Execution resources: the registry auth of ECR images, then the secrets.
  if (images.some((image) => image.ecr) && !egress.reaches('ecr.api')) {
    return `${retrieval}unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.${ctx.region}.amazonaws.com/": ${timeout()}`;
  }
  const plan = planOf(ctx, definition, taskId);
  for (const secret of plan.secrets) {
    const [service, what] =
      secret.store === 'asm' ? ['secretsmanager', 'secret from asm'] : ['ssm', 'secrets from ssm'];
    if (!egress.reaches(service)) {
      return `${retrieval}unable to retrieve ${what}: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadline exceeded`;
    }
  }
  // 2. The images: the manifest from the registry, the layers from S3 (ECR keeps them there).
  for (const [index, image] of images.entries()) {
    const name = containers[index]?.string('image') ?? '';
    const ref = image.ecr
      ? name
      : `${image.host === 'registry-1.docker.io' ? 'docker.io' : image.host}/${image.path}:${image.reference}`;
    if (!image.ecr || !egress.reaches('ecr.dkr')) {
      return `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${ref}: failed to do request: Head "https://${image.host}/v2/${image.path}/manifests/${image.reference}": ${timeout()}`;
    }
    if (!egress.reaches('s3')) {
      return `CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-${ctx.region}-starport-layer-bucket.s3.${ctx.region}.amazonaws.com/": ${timeout()}`;
    }
  }
  // 3. The awslogs driver creates its stream when the container starts.
  if (plan.logStreams.length > 0 && !egress.reaches('logs')) {
    return `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "https://logs.${ctx.region}.amazonaws.com/": ${timeout()} : exit status 1`;
  }
  return undefined;
}

/** How AWS words a refusal after "is not authorized to perform: X on resource: Y". */
function why(decision: Decision, action: string): string {
  return decision.decision === 'ExplicitDeny'
    ? 'with an explicit deny in an identity-based policy'
    : `because no identity-based policy allows the ${action} action`;
}

/**
 * The `stoppedReason` of a task whose execution role may not do what starting it takes, or
 * undefined when it starts. `taskArn` names the role session (`assumed-role/<role>/<task id>`).
 */
export function startFailureReason(
  ctx: SimContext,
  definition: TaskDefinitionResource,
  taskArn: string,
  network?: TaskNetwork,
): string | undefined {
  // Egress first: a call that cannot leave the subnet is never authorised or refused.
  if (network !== undefined && egressEnforced(ctx)) {
    const unreachable = egressFailureReason(ctx, definition, lastSegment(taskArn), network);
    if (unreachable !== undefined) return unreachable;
  }
  const executionRoleArn = definition.body.executionRoleArn;
  if (!ctx.iam.enforce || typeof executionRoleArn !== 'string') return undefined;
  const role = ctx.iam.roleByArn(executionRoleArn);
  if (role === undefined) return undefined;
  const taskId = lastSegment(taskArn);
  const session = `arn:aws:sts::${ctx.accountId}:assumed-role/${role.roleName}/${taskId}`;
  const refused = (request: AccessRequest): Decision | undefined => {
    const decision = ctx.iam.roleAllows(role.roleArn, request);
    return decision.decision === 'Allow' ? undefined : decision;
  };
  const accessDenied = (request: AccessRequest, decision: Decision) =>
    `AccessDeniedException: User: ${session} is not authorized to perform: ${request.action} on resource: ` +
    `${request.resource} ${why(decision, request.action)} status code: 400, request id: ${ctx.ids.uuid()}`;
  const plan = planOf(ctx, definition, taskId);
  const retrieval =
    'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ';

  // 1. Execution resources: the registry auth of ECR images, then the secrets.
  if (plan.images.length > 0) {
    const request = { action: 'ecr:GetAuthorizationToken', resource: '*' };
    const decision = refused(request);
    if (decision) {
      return `${retrieval}unable to retrieve ecr registry auth: service call has been retried 3 time(s): ${accessDenied(request, decision)}`;
    }
  }
  for (const secret of plan.secrets) {
    if (secret.store === 'ssm') {
      const request = { action: 'ssm:GetParameters', resource: secret.parameterArn };
      const decision = refused(request);
      if (decision) {
        return `${retrieval}unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${accessDenied(request, decision)}`;
      }
      continue;
    }
    const fetchFailed = `${retrieval}unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${secret.secretArn} from secrets manager: `;
    const request = { action: 'secretsmanager:GetSecretValue', resource: secret.completeArn };
    const decision = refused(request);
    if (decision) return fetchFailed + accessDenied(request, decision);
    const key = ctx.store.get<SecretKeyResource>('secretsmanager-secret', secret.completeArn);
    if (key) {
      const decrypt = {
        action: 'kms:Decrypt',
        resource: key.kmsKeyArn,
        context: { 'kms:ViaService': `secretsmanager.${ctx.region}.amazonaws.com` },
      };
      if (refused(decrypt)) {
        return `${fetchFailed}AccessDeniedException: Access to KMS is not allowed status code: 400, request id: ${ctx.ids.uuid()}`;
      }
    }
  }
  // 2. The image: its manifest, then its layers.
  for (const image of plan.images) {
    if (refused({ action: 'ecr:BatchGetImage', resource: image.repositoryArn })) {
      return `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${image.image}: pulling from host ${image.host} failed with status code [manifests ${image.reference}]: 403 Forbidden`;
    }
    if (refused({ action: 'ecr:GetDownloadUrlForLayer', resource: image.repositoryArn })) {
      return `CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: unexpected status code https://${image.host}/v2/${image.repository}/blobs/sha256:${ctx.ids.hex(64)}: 403 Forbidden`;
    }
  }
  // 3. The awslogs driver creates its stream when the container starts.
  for (const { streamArn } of plan.logStreams) {
    const request = { action: 'logs:CreateLogStream', resource: streamArn };
    const decision = refused(request);
    if (decision) {
      return `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ${accessDenied(request, decision)}`;
    }
    // A refused PutLogEvents loses the container's logs but does not stop the task: it is only
    // recorded in the denial log (roleAllows records every refusal).
    refused({ action: 'logs:PutLogEvents', resource: streamArn });
  }
  return undefined;
}
