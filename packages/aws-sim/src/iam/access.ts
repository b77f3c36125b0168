/**
 * What one simulated call asks of IAM: the authorisation requests (action, resource ARN, condition
 * keys) AWS evaluates for it, including the implicit ones (`ec2:CreateTags` for TagSpecifications,
 * `iam:PassRole` for a role handed to a service). Each service module states them per operation in
 * its `authorize` table (kernel.ts `Authorizer`); an operation without an entry is evaluated as `<prefix>:<Operation>` on
 * `*`, which only a statement with `Resource: "*"` allows — so a forgotten mapping fails closed for
 * every resource-scoped grant (docs/aws-facts.md#iam-enforcement-in-the-simulator).
 */
/** One request context as the evaluator takes it (see ./policy.ts `Request`). */
export interface AccessRequest {
  /** `service:Action`, e.g. `ec2:CreateVpc`. */
  readonly action: string;
  /** The resource ARN (`…:vpc/*` for a resource being created), or `*` where AWS has none. */
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** `arn:aws:<service>:<region>:<account>:<resource>` in the simulator's region and account. */
export function arnOf(ctx: { region: string; accountId: string }, service: string, resource: string): string {
  return `arn:aws:${service}:${ctx.region}:${ctx.accountId}:${resource}`;
}

/** `aws:RequestTag/<key>` for every tag of the request, and `aws:TagKeys` (empty when none). */
export function requestTagContext(tags: Readonly<Record<string, string>>): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(tags)) context[`aws:RequestTag/${key}`] = value;
  const keys = Object.keys(tags);
  if (keys.length > 0) context['aws:TagKeys'] = keys;
  return context;
}

/** `aws:ResourceTag/<key>` for every tag the resource carries (none for a resource not found). */
export function resourceTagContext(
  tags: Readonly<Record<string, string>> | undefined,
  prefix = 'aws',
): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags ?? {})) context[`${prefix}:ResourceTag/${key}`] = value;
  return context;
}

/**
 * `iam:PassRole` for a role handed to a service (a task definition's roles, a launch template's
 * instance profile, a schedule's or pipe's role): AWS checks it on the caller, with the service as
 * `iam:PassedToService`. Nothing when no role is passed.
 */
export function passRole(roleArn: unknown, passedToService: string): AccessRequest[] {
  if (typeof roleArn !== 'string' || roleArn === '') return [];
  return [{ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': passedToService } }];
}
