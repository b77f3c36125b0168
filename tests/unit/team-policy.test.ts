/**
 * Team policies (shared/domain/team-policy.ts): each rule refuses what it does not allow, at the JSON
 * Pointer of the field and naming itself, and accepts what it allows; the built-in default keeps a new
 * team productive but grants no DNS zone, secrets only under its prefix, no AMI and no key pair.
 */
import full from '../../examples/full.json';
import paymentsPolicy from '../../examples/payments-policy.json';
import { toJsonPointer } from '../../shared/domain/issues';
import { type EnvironmentRequest, environmentRequestSchema } from '../../shared/domain/spec';
import {
  BUILT_IN_TEAM_POLICY,
  effectivePolicy,
  fullImageReference,
  isUnderSuffix,
  parseTeamPolicyDefaults,
  policyProblems,
  secretName,
  type TeamPolicy,
  type TeamPolicyOverrides,
  teamPolicyOverridesSchema,
} from '../../shared/domain/team-policy';

const TEAM = 'payments';
const ZONE = 'Z0123456789ABC';
const SECRET = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
const PARAMETER = (name: string) => `arn:aws:ssm:eu-west-1:123456789012:parameter${name}`;

function spec(overrides: Partial<EnvironmentRequest> = {}) {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: TEAM,
    services: [{ name: 'api', image: 'nginx:1.27' }],
    ...overrides,
  });
}

function policy(overrides: TeamPolicyOverrides = {}): TeamPolicy {
  return effectivePolicy(BUILT_IN_TEAM_POLICY, overrides, TEAM);
}

/** The refused fields as `pointer rule`. */
function refusals(request: Partial<EnvironmentRequest>, overrides: TeamPolicyOverrides = {}): string[] {
  return policyProblems(spec(request), policy(overrides)).map(
    (problem) => `${toJsonPointer(problem.path)} ${problem.rule}`,
  );
}

const ec2 = (fields: Record<string, unknown>): Partial<EnvironmentRequest> => ({
  cluster: {
    capacity: 'EC2',
    ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 2, desiredCapacity: 1, ...fields },
  },
});

describe('the built-in default', () => {
  it('accepts a minimal environment with any image', () => {
    expect(refusals({ services: [{ name: 'api', image: 'ghcr.io/acme/api:1.0' }] })).toEqual([]);
  });

  it('refuses a DNS record until an admin grants the zone, naming /dns/hostedZoneId', () => {
    const problems = policyProblems(
      spec({ dns: { hostedZoneId: ZONE, recordName: 'shop.example.com' } }),
      policy(),
    );

    expect(problems.map((problem) => toJsonPointer(problem.path))).toEqual(['/dns/hostedZoneId']);
    expect(problems[0]?.rule).toBe('hostedZones');
    expect(problems[0]?.message).toContain(`PUT /teams/${TEAM}/policy`);
  });

  it("accepts secrets under the team's own prefixes and refuses another team's", () => {
    const secrets = {
      OWN: SECRET('berth/payments/db'),
      OWN_PARAMETER: PARAMETER('/berth/payments/key'),
      OTHER: SECRET('berth/billing/db'),
      OTHER_PARAMETER: PARAMETER('/berth/billing/key'),
      UNSCOPED: SECRET('payments/db'),
    };

    expect(refusals({ services: [{ name: 'api', image: 'nginx:1.27', secrets }] })).toEqual([
      '/services/0/secrets/OTHER secretPrefixes.secretsManager',
      '/services/0/secrets/OTHER_PARAMETER secretPrefixes.ssmParameters',
      '/services/0/secrets/UNSCOPED secretPrefixes.secretsManager',
    ]);
  });

  it('accepts EC2 with the ECS-optimised AMI, refuses an AMI id and a key pair', () => {
    expect(refusals(ec2({}))).toEqual([]);
    expect(refusals(ec2({ amiId: 'ami-0abcdef1234567890', keyPair: 'ops' }))).toEqual([
      '/cluster/ec2/amiId ec2.amiIds',
      '/cluster/ec2/keyPair ec2.keyPairs',
    ]);
  });
});

describe('hostedZones', () => {
  const granted = { hostedZones: [{ hostedZoneId: ZONE, recordNameSuffixes: ['payments.example.com'] }] };

  it('accepts a record under a granted suffix, and the suffix itself', () => {
    for (const recordName of [
      'shop.payments.example.com',
      'payments.example.com',
      'A.Payments.Example.com.',
    ]) {
      expect(refusals({ dns: { hostedZoneId: ZONE, recordName } }, granted)).toEqual([]);
    }
  });

  it('refuses a name outside the suffixes at /dns/recordName, a look-alike included', () => {
    for (const recordName of ['login.example.com', 'evilpayments.example.com']) {
      expect(refusals({ dns: { hostedZoneId: ZONE, recordName } }, granted)).toEqual([
        '/dns/recordName hostedZones.recordNameSuffixes',
      ]);
    }
  });

  it('refuses a zone not granted even when the name would fit another grant', () => {
    expect(
      refusals({ dns: { hostedZoneId: 'ZOTHER', recordName: 'shop.payments.example.com' } }, granted),
    ).toEqual(['/dns/hostedZoneId hostedZones']);
  });
});

describe('imagePrefixes', () => {
  const ecrOnly = { imagePrefixes: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/'] };

  it('accepts an image under a prefix, for services and jobs', () => {
    const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.0';
    expect(
      refusals(
        {
          services: [{ name: 'api', image }],
          jobs: [{ name: 'report', image, trigger: { schedule: 'rate(1 hour)' } }],
        },
        ecrOnly,
      ),
    ).toEqual([]);
  });

  it('refuses another image at /services/<i>/image and /jobs/<j>/image', () => {
    expect(
      refusals(
        {
          services: [{ name: 'api', image: 'nginx:1.27' }],
          jobs: [
            {
              name: 'report',
              image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/billing/x:1',
              trigger: { schedule: 'rate(1 hour)' },
            },
          ],
        },
        ecrOnly,
      ),
    ).toEqual(['/services/0/image imagePrefixes', '/jobs/0/image imagePrefixes']);
  });

  it('matches Docker Hub images by their full reference', () => {
    expect(fullImageReference('nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(fullImageReference('acme/api:1')).toBe('docker.io/acme/api:1');
    expect(fullImageReference('localhost/api:1')).toBe('localhost/api:1');
    expect(refusals({}, { imagePrefixes: ['docker.io/library/'] })).toEqual([]);
  });
});

describe('secretPrefixes', () => {
  it('reads the name from both ARN forms, a JSON key suffix included', () => {
    expect(secretName(`${SECRET('berth/payments/db')}:password::`)).toEqual({
      service: 'secretsManager',
      name: 'berth/payments/db-AbCdEf',
    });
    expect(secretName(PARAMETER('/berth/payments/key'))).toEqual({
      service: 'ssmParameters',
      name: '/berth/payments/key',
    });
  });

  it('accepts a prefix an admin added and refuses what is still outside', () => {
    const granted = { secretPrefixes: { secretsManager: ['shared/payments/'], ssmParameters: [] } };
    const secrets = { SHARED: SECRET('shared/payments/db'), PARAMETER: PARAMETER('/berth/payments/key') };

    expect(refusals({ services: [{ name: 'api', image: 'nginx:1.27', secrets }] }, granted)).toEqual([
      '/services/0/secrets/PARAMETER secretPrefixes.ssmParameters',
    ]);
  });
});

describe('ec2', () => {
  it('matches instance types against wildcard patterns', () => {
    const narrowed = { ec2: { instanceTypes: ['t3.*', 'm5.large'], amiIds: [], keyPairs: [] } };

    expect(refusals(ec2({ instanceType: 't3.large' }), narrowed)).toEqual([]);
    expect(refusals(ec2({ instanceType: 'm5.large' }), narrowed)).toEqual([]);
    expect(refusals(ec2({ instanceType: 'm5.xlarge' }), narrowed)).toEqual([
      '/cluster/ec2/instanceType ec2.instanceTypes',
    ]);
  });

  it('accepts a granted AMI and key pair', () => {
    const granted = { ec2: { instanceTypes: ['*'], amiIds: ['ami-0abcdef1234567890'], keyPairs: ['ops'] } };

    expect(refusals(ec2({ amiId: 'ami-0abcdef1234567890', keyPair: 'ops' }), granted)).toEqual([]);
  });
});

describe('tasks', () => {
  const small = { tasks: { maxCpu: 512, maxMemory: 1024, maxDesiredCount: 2, maxServices: 1, maxJobs: 0 } };

  it('accepts tasks within the maxima', () => {
    expect(
      refusals(
        { services: [{ name: 'api', image: 'nginx:1.27', cpu: 512, memory: 1024, desiredCount: 2 }] },
        small,
      ),
    ).toEqual([]);
  });

  it('refuses each size and count over its maximum at its own field', () => {
    expect(
      refusals(
        {
          services: [
            { name: 'api', image: 'nginx:1.27', cpu: 1024, memory: 2048, desiredCount: 3 },
            { name: 'web', image: 'nginx:1.27', routing: { pathPatterns: ['/web/*'] } },
          ],
          jobs: [{ name: 'report', service: 'api', memory: 4096, trigger: { schedule: 'rate(1 hour)' } }],
        },
        small,
      ),
    ).toEqual([
      '/services tasks.maxServices',
      '/services/0/cpu tasks.maxCpu',
      '/services/0/memory tasks.maxMemory',
      '/services/0/desiredCount tasks.maxDesiredCount',
      '/jobs tasks.maxJobs',
      '/jobs/0/memory tasks.maxMemory',
    ]);
  });
});

describe('allowedIngressCidrs', () => {
  const office = { allowedIngressCidrs: ['203.0.113.0/24', '10.0.0.0/8'] };

  it('accepts CIDRs within the allowed ones', () => {
    expect(
      refusals({ network: { allowedIngressCidrs: ['203.0.113.128/25', '10.1.0.0/16'] } }, office),
    ).toEqual([]);
  });

  it('refuses the whole internet and a wider block, each at its index', () => {
    expect(
      refusals({ network: { allowedIngressCidrs: ['10.1.0.0/16', '0.0.0.0/0', '203.0.112.0/23'] } }, office),
    ).toEqual([
      '/network/allowedIngressCidrs/1 allowedIngressCidrs',
      '/network/allowedIngressCidrs/2 allowedIngressCidrs',
    ]);
  });
});

describe('configuration', () => {
  it('keeps the built-in default for what TEAM_POLICY_DEFAULTS leaves out', () => {
    const defaults = parseTeamPolicyDefaults('{"imagePrefixes":["ghcr.io/acme/"]}');

    expect(defaults.imagePrefixes).toEqual(['ghcr.io/acme/']);
    expect(defaults.hostedZones).toEqual([]);
    expect(defaults.secretPrefixes).toEqual(BUILT_IN_TEAM_POLICY.secretPrefixes);
  });

  it('fails on a TEAM_POLICY_DEFAULTS that is not a policy', () => {
    expect(() => parseTeamPolicyDefaults('{"images":[]}')).toThrow(/TEAM_POLICY_DEFAULTS is invalid/);
    expect(() => parseTeamPolicyDefaults('{')).toThrow(/not valid JSON/);
  });

  it('puts the team into the {team} prefixes', () => {
    expect(policy().secretPrefixes).toEqual({
      secretsManager: ['berth/payments/'],
      ssmParameters: ['/berth/payments/'],
    });
  });

  it('refuses a policy body with an unknown field or a bad zone', () => {
    expect(teamPolicyOverridesSchema.safeParse({ zones: [] }).success).toBe(false);
    expect(
      teamPolicyOverridesSchema.safeParse({
        hostedZones: [{ hostedZoneId: 'bad zone', recordNameSuffixes: ['a.b'] }],
      }).success,
    ).toBe(false);
  });

  it('puts the team into the default taskRoleResources, which name no * resource and no whole service', () => {
    expect(policy().taskRoleResources).toContain('arn:*:sqs:*:*:payments_*');
    expect(policy().taskRoleResources.every((pattern) => !pattern.includes('{team}'))).toBe(true);
    for (const pattern of policy().taskRoleResources) {
      expect(pattern.split(':')[2]).toMatch(/^[a-z0-9-]+$/);
      expect(pattern.split(':').slice(5).join(':')).toMatch(/payments[_/]/);
    }
  });

  it('refuses a policy body whose taskRoleResources, certificates or taskRoleActions are not patterns of their kind', () => {
    expect(teamPolicyOverridesSchema.safeParse({ taskRoleResources: ['*'] }).success).toBe(false);
    expect(teamPolicyOverridesSchema.safeParse({ certificates: ['my-cert'] }).success).toBe(false);
    expect(teamPolicyOverridesSchema.safeParse({ taskRoleActions: ['SendMessage'] }).success).toBe(false);
    expect(
      teamPolicyOverridesSchema.safeParse({
        taskRoleResources: ['arn:aws:sqs:eu-west-1:123456789012:{team}-*'],
        certificates: ['arn:aws:acm:eu-west-1:123456789012:certificate/*'],
        taskRoleActions: ['sqs:*', '*'],
      }).success,
    ).toBe(true);
  });

  it('treats a suffix with a leading dot like one without', () => {
    expect(isUnderSuffix('shop.example.com', '.example.com')).toBe(true);
    expect(isUnderSuffix('example.com.evil.org', 'example.com')).toBe(false);
  });
});

describe("the README's examples", () => {
  it('refuses examples/full.json under the default, naming the zone, the certificate, the AMI and the key pair', () => {
    const problems = policyProblems(environmentRequestSchema.parse(full), policy());

    expect(problems.map((problem) => toJsonPointer(problem.path))).toEqual([
      '/dns/hostedZoneId',
      '/loadBalancer/certificateArn',
      '/cluster/ec2/amiId',
      '/cluster/ec2/keyPair',
    ]);
  });

  it('accepts examples/full.json once examples/payments-policy.json is the team policy', () => {
    const granted = teamPolicyOverridesSchema.parse(paymentsPolicy);

    expect(policyProblems(environmentRequestSchema.parse(full), policy(granted))).toEqual([]);
  });
});

describe('task role statements (services[].iam)', () => {
  const iam = (...statements: { actions: string[]; resources: string[] }[]) => ({
    services: [{ name: 'api', image: 'nginx:1.27', iam: { statements } }],
  });
  const SQS = (name: string) => `arn:aws:sqs:eu-west-1:123456789012:${name}`;

  it("accepts resources in the team's own namespace under the default", () => {
    const request = iam(
      { actions: ['sqs:SendMessage'], resources: [SQS('payments_orders'), SQS('payments_*')] },
      {
        actions: ['sns:Publish', 'dynamodb:Query'],
        resources: [
          'arn:aws:sns:eu-west-1:123456789012:payments_events',
          'arn:aws:dynamodb:eu-west-1:123456789012:table/payments_ledger/index/by-day',
        ],
      },
      {
        actions: ['ssm:GetParameter'],
        resources: ['arn:aws:ssm:eu-west-1:123456789012:parameter/berth/payments/x'],
      },
    );

    expect(refusals(request)).toEqual([]);
  });

  it("refuses another team's names, a whole service and an object under another team's bucket, each at its pointer", () => {
    const request = iam(
      { actions: ['sqs:SendMessage'], resources: [SQS('payments_orders'), SQS('billing_orders')] },
      {
        actions: ['s3:GetObject'],
        resources: ['arn:aws:s3:::billing-data/payments-x', `arn:aws:sqs:eu-west-1:123456789012:*`],
      },
    );

    expect(refusals(request)).toEqual([
      '/services/0/iam/statements/0/resources/1 taskRoleResources',
      '/services/0/iam/statements/1/resources/0 taskRoleResources',
      '/services/0/iam/statements/1/resources/1 taskRoleResources',
    ]);
    const [problem] = policyProblems(spec(request), policy());
    expect(problem?.message).toContain(SQS('billing_orders'));
    expect(problem?.message).toContain('team policy rule taskRoleResources');
  });

  it("keeps a team whose name starts another's out of its names: pay never reaches pay-ments_…", () => {
    const request = {
      team: 'pay',
      ...iam({ actions: ['sqs:SendMessage'], resources: [SQS('pay_orders'), SQS('pay-ments_orders')] }),
    };

    expect(
      policyProblems(spec(request), effectivePolicy(BUILT_IN_TEAM_POLICY, {}, 'pay')).map(
        (problem) => problem.path,
      ),
    ).toEqual([['services', 0, 'iam', 'statements', 0, 'resources', 1]]);
  });

  it('grants no S3 bucket by default: bucket names cannot carry the team separator', () => {
    expect(refusals(iam({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::payments_x/*'] }))).toEqual([
      '/services/0/iam/statements/0/resources/0 taskRoleResources',
    ]);
  });

  it('replaces {team} in an admin-given pattern and refuses what it does not cover', () => {
    const overrides = { taskRoleResources: ['arn:aws:sqs:eu-west-1:*:{team}-in-*'] };

    expect(
      refusals(
        iam({ actions: ['sqs:SendMessage'], resources: [SQS('payments-in-a'), SQS('payments-out')] }),
        overrides,
      ),
    ).toEqual(['/services/0/iam/statements/0/resources/1 taskRoleResources']);
  });

  it("refuses actions outside the team's taskRoleActions, case-insensitively, a wider wildcard too", () => {
    const overrides = { taskRoleActions: ['sqs:SendMessage', 's3:Get*'] };
    const request = iam({
      actions: ['sqs:sendmessage', 's3:GetObject', 's3:*', 'dynamodb:Query'],
      resources: [SQS('payments_orders')],
    });

    expect(refusals(request, overrides)).toEqual([
      '/services/0/iam/statements/0/actions/2 taskRoleActions',
      '/services/0/iam/statements/0/actions/3 taskRoleActions',
    ]);
  });

  it('allows any action by default (the permissions boundary caps what takes effect)', () => {
    expect(refusals(iam({ actions: ['kms:Decrypt'], resources: [SQS('payments_orders')] }))).toEqual([]);
  });
});

describe('certificates', () => {
  const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

  it('refuses a certificate until an admin grants it, naming /loadBalancer/certificateArn', () => {
    const problems = policyProblems(spec({ loadBalancer: { certificateArn: CERTIFICATE } }), policy());

    expect(problems.map((problem) => `${toJsonPointer(problem.path)} ${problem.rule}`)).toEqual([
      '/loadBalancer/certificateArn certificates',
    ]);
    expect(problems[0]?.message).toContain(`PUT /teams/${TEAM}/policy`);
  });

  it('accepts a granted certificate, by ARN or by pattern, and refuses one the pattern does not cover', () => {
    expect(
      refusals({ loadBalancer: { certificateArn: CERTIFICATE } }, { certificates: [CERTIFICATE] }),
    ).toEqual([]);
    expect(
      refusals(
        { loadBalancer: { certificateArn: CERTIFICATE } },
        { certificates: ['arn:aws:acm:eu-west-1:123456789012:certificate/*'] },
      ),
    ).toEqual([]);
    expect(
      refusals(
        { loadBalancer: { certificateArn: CERTIFICATE } },
        { certificates: ['arn:aws:acm:us-east-1:123456789012:certificate/*'] },
      ),
    ).toEqual(['/loadBalancer/certificateArn certificates']);
  });
});
