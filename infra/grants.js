/**
 * IAM statements that several functions need, named by what they grant, plus the ARN helpers the
 * declarations in infra/functions/ build their own statements with. Everything here is plain
 * CloudFormation (Fn::Sub / Fn::GetAtt), so the packaged template shows exactly what AWS evaluates.
 */

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; region or account left out where the ARN has none. */
function arn(service, resource, { region = true, account = true } = {}) {
  const regionPart = region ? '${AWS::Region}' : '';
  const accountPart = account ? '${AWS::AccountId}' : '';
  return { 'Fn::Sub': `arn:\${AWS::Partition}:${service}:${regionPart}:${accountPart}:${resource}` };
}

function getAtt(logicalId, attribute = 'Arn') {
  return { 'Fn::GetAtt': [logicalId, attribute] };
}

function allow(action, resource, condition) {
  return {
    Effect: 'Allow',
    Action: action,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  };
}

// berth tags every resource it creates with berth:managed-by=berth at creation (TagSpecifications,
// Tags): creates must carry the tag, changes and deletes act only on resources that carry it.
const requestTagBerth = { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } };
const resourceTagBerth = { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } };

const tableArns = [getAtt('Table'), { 'Fn::Sub': '${Table.Arn}/index/gsi1' }];

const stateMachineArnPrefix = '${self:custom.stateMachineArnPrefix}';
const executionArns = ['provision', 'update'].map((machine) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:berth-\${sls:stage}-${machine}:*`,
}));

const ec2NetworkArns = [
  'vpc/*',
  'subnet/*',
  'internet-gateway/*',
  'route-table/*',
  'security-group/*',
  'security-group-rule/*',
  'elastic-ip/*',
  'natgateway/*',
].map((resource) => arn('ec2', resource));

const elbArns = ['loadbalancer/app/*', 'listener/app/*', 'listener-rule/app/*', 'targetgroup/*'].map(
  (resource) => arn('elasticloadbalancing', resource),
);

const ecsClusterOfAccount = { ArnLike: { 'ecs:cluster': arn('ecs', 'cluster/*') } };

// The IAM roles berth creates at run time are named berth-<environment id>-… (shared/domain/naming.ts):
// `env-` in the id keeps them apart from the task roles teams name (berth-task-* by default).
const berthRoles = arn('iam', 'role/berth-env-*', { region: false });
const executionRoles = arn('iam', 'role/berth-env-*-execution', { region: false });
// A service's task role, created from its `iam` statements: berth-<environment id>-task-<service>.
const taskRoles = arn('iam', 'role/berth-env-*-task-*', { region: false });

// The permissions boundary every task role berth creates must carry (deploy parameter
// taskRoleBoundaryArn, serverless.yml; by default the stage's TaskRoleBoundary policy). The grants
// that create a task role or change its policy or boundary require exactly it as
// iam:PermissionsBoundary, so the step cannot make a role that escapes it (IAM User Guide, "Delegating
// responsibility to others using permissions boundaries"; docs/aws-facts.md#task-roles-berth-creates-and-their-boundary).
const taskRoleBoundaryArn = '${self:custom.taskRoleBoundaryArn}';
const withTaskRoleBoundary = { 'iam:PermissionsBoundary': taskRoleBoundaryArn };

// The task roles a spec's taskRoleArn may name (deploy parameter taskRoleArnPattern, serverless.yml): the
// one osls variable both the PassRole grants and the functions that check specs (TASK_ROLE_ARN_PATTERN) use.
const taskRoleArnPattern = '${self:custom.taskRoleArnPattern}';

/** Items with these partition-key prefixes only (dynamodb:LeadingKeys), on the table itself. */
function leadingKeys(prefix) {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}#*`] } };
}

/** One state machine's StartExecution (ARNs are built from the stage, so no Ref is needed). */
function startExecution(machine) {
  return allow('states:StartExecution', `${stateMachineArnPrefix}-${machine}`);
}

// Transactions are authorised per item (Put/Update/Delete/ConditionCheckItem); there is no
// TransactWriteItems action.
const itemWrites = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

const grants = {
  // A create whose workflow did not start deletes its records again.
  tableWrite: allow(
    ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', ...itemWrites],
    tableArns,
  ),
  tableRead: allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'], tableArns),
  // Steps: the environment record, its events and the CIDR allocations.
  stepTable: allow(['dynamodb:GetItem', 'dynamodb:Query', ...itemWrites], tableArns),
  putEvents: allow('events:PutEvents', getAtt('EventBus')),
  describeExecutions: allow('states:DescribeExecution', executionArns),
  // A delete stops a provision or update still running before the teardown starts.
  stopExecutions: allow(['states:DescribeExecution', 'states:StopExecution'], executionArns),
  // Resource '*': AWS supports no resource-level permissions for the EC2 Describe calls
  // (ec2:DescribeVpcs, ec2:DescribeSubnets, ec2:DescribeInternetGateways, ec2:DescribeRouteTables,
  // ec2:DescribeSecurityGroups, ec2:DescribeNatGateways, ec2:DescribeAddresses,
  // ec2:DescribeAvailabilityZones): they list, and berth filters by its tags.
  ec2NetworkRead: allow(
    [
      'ec2:DescribeVpcs',
      'ec2:DescribeSubnets',
      'ec2:DescribeInternetGateways',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeNatGateways',
      'ec2:DescribeAddresses',
    ],
    '*',
  ),
  // The first load balancer or target group of an account creates ELB's service-linked role.
  elbServiceLinkedRole: allow(
    'iam:CreateServiceLinkedRole',
    arn(
      'iam',
      'role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing',
      { region: false },
    ),
    { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
  ),
  // Quota-aware admission (shared/aws/service-quotas.ts): the applied value of each AWS quota an
  // environment counts against (ACCOUNT_QUOTAS in shared/domain/usage.ts), on the quota's ARN.
  serviceQuotaRead: allow(
    'servicequotas:GetServiceQuota',
    [
      'vpc/L-F678F1CE',
      'vpc/L-A4707A72',
      'vpc/L-FE5A380F',
      'ec2/L-0263D0A3',
      'elasticloadbalancing/L-53DA6B97',
      'elasticloadbalancing/L-B22855CB',
      'fargate/L-3032A538',
      'fargate/L-36FBB829',
    ].map((quota) => arn('servicequotas', quota)),
  ),
  // …and the EC2 resources in the account that berth did not make (the default VPC, others').
  // Resource '*': AWS supports no resource-level permissions for these Describe calls.
  accountUsageRead: allow(
    [
      'ec2:DescribeVpcs',
      'ec2:DescribeInternetGateways',
      'ec2:DescribeAddresses',
      'ec2:DescribeNatGateways',
      'ec2:DescribeSubnets',
    ],
    '*',
  ),
  ecsServiceRead: allow('ecs:DescribeServices', arn('ecs', 'service/*')),
  // Resource '*': AWS supports no resource-level permissions for ecs:ListServices (the ecs:cluster
  // condition keeps it to this account's clusters).
  ecsListServices: allow('ecs:ListServices', '*', ecsClusterOfAccount),
  ecsServiceDelete: allow(
    ['ecs:UpdateService', 'ecs:DeleteService'],
    arn('ecs', 'service/*'),
    resourceTagBerth,
  ),
  // berth's task families (`<environment>-<key>-<service|job>`) and clusters (`<environment>-<key>`)
  // have no fixed prefix, so RunTask is scoped by the task definition's tag: only definitions berth
  // registered (RegisterTaskDefinition requires berth's tag in the request), and, by condition, only in
  // the account's clusters. The SAR lists `task-definition*` for RunTask with `aws:ResourceTag/${TagKey}`
  // and the `ecs:cluster` key (docs/aws-facts.md#iam-for-ecs).
  runJobTasks: allow('ecs:RunTask', arn('ecs', 'task-definition/*'), {
    ...ecsClusterOfAccount,
    ...resourceTagBerth,
  }),
  // RunTask with tags needs ecs:TagResource on the tasks it creates.
  tagJobTasks: allow('ecs:TagResource', arn('ecs', 'task/*'), {
    StringEquals: { 'ecs:CreateAction': 'RunTask' },
  }),
  // A task definition names its execution role and task role; registering it and running its tasks
  // (RunTask, by berth or by Scheduler and Pipes) pass both. Only environments' execution roles, the
  // task roles berth creates (under the boundary) and the allowed task roles, only to ECS tasks.
  passTaskRoles: allow('iam:PassRole', [executionRoles, taskRoles, taskRoleArnPattern], {
    StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
  }),
};

module.exports = {
  allow,
  arn,
  getAtt,
  leadingKeys,
  startExecution,
  requestTagBerth,
  resourceTagBerth,
  tableArns,
  ec2NetworkArns,
  elbArns,
  ecsClusterOfAccount,
  berthRoles,
  executionRoles,
  taskRoles,
  taskRoleArnPattern,
  taskRoleBoundaryArn,
  withTaskRoleBoundary,
  grants,
};
