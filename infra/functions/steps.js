/**
 * Workflow steps: invoked by the state machines only (no HTTP events). Each has its own log group and
 * the table (the environment record, its events and the CIDR allocations; transactions are authorised
 * per item), plus exactly the AWS calls of its code (shared/aws/*.ts). Creates require berth's tag in
 * the request (aws:RequestTag/berth:managed-by), changes and deletes the tag on the resource; '*' only
 * where AWS has no resource-level permissions (tests/unit/template.test.ts checks the allow-list).
 */
const {
  allow,
  arn,
  getAtt,
  requestTagBerth,
  resourceTagBerth,
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
} = require('../grants');

const { stepTable, putEvents } = grants;

/** A step: its handler under functions/steps/, and one minute unless it says otherwise. */
function step(file, permissions, settings = {}) {
  return { handler: `functions/steps/${file}.handler`, timeout: 60, ...settings, permissions };
}

const ecsClusterArns = [arn('ecs', 'cluster/*'), arn('ecs', 'capacity-provider/*')];
const autoScalingGroupArn = arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/berth-*');
const berthLogGroups = arn('logs', 'log-group:/berth/*');
const hostedZones = arn('route53', 'hostedzone/*', { region: false, account: false });
const launchTemplates = arn('ec2', 'launch-template/*');
const instanceRoles = arn('iam', 'role/berth-env-*-instance', { region: false });
const instanceProfiles = arn('iam', 'instance-profile/berth-env-*-instance', { region: false });
const vpcEndpoints = arn('ec2', 'vpc-endpoint/*');

/**
 * Route 53 record changes limited to `actions` on A (alias) records and their TXT ownership markers,
 * with names matching the deployment's dnsRecordNamePatterns (serverless.yml; `*` by default). Route 53
 * puts every name of the batch in route53:ChangeResourceRecordSetsNormalizedRecordNames, lower case and
 * without the trailing dot, so ForAllValues holds only when each one matches. Which team may use which
 * name lives in DynamoDB (team policies), which a static grant cannot read: the team policy refuses
 * another team's names at request time, and the TXT ownership marker keeps berth off records it did not
 * make (docs/aws-facts.md#dns-record-ownership).
 */
function recordChanges(actions) {
  return {
    'ForAllValues:StringEquals': {
      'route53:ChangeResourceRecordSetsActions': actions,
      'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'TXT'],
    },
    'ForAllValues:StringLike': {
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': '${self:custom.dnsRecordNamePatterns}',
    },
  };
}

module.exports = {
  // Status events of the transitions this step records.
  recordStatus: step('record-status', [stepTable, putEvents]),
  allocateCidr: step('allocate-cidr', [stepTable]),
  createNetwork: step('create-network', [
    stepTable,
    grants.ec2NetworkRead,
    allow('ec2:DescribeAvailabilityZones', '*'),
    // New resources only with berth's tag in the request (every create carries TagSpecifications), and
    // tagging only as part of those creates.
    allow(
      [
        'ec2:CreateVpc',
        'ec2:CreateSubnet',
        'ec2:CreateInternetGateway',
        'ec2:CreateRouteTable',
        'ec2:CreateSecurityGroup',
        'ec2:AllocateAddress',
        'ec2:CreateNatGateway',
        'ec2:AuthorizeSecurityGroupIngress',
      ],
      ec2NetworkArns,
      requestTagBerth,
    ),
    allow('ec2:CreateTags', ec2NetworkArns, {
      StringEquals: {
        'ec2:CreateAction': [
          'CreateVpc',
          'CreateSubnet',
          'CreateInternetGateway',
          'CreateRouteTable',
          'CreateSecurityGroup',
          'AllocateAddress',
          'CreateNatGateway',
          'AuthorizeSecurityGroupIngress',
        ],
      },
    }),
    // Existing resources only when berth made them: the VPC a subnet, table or group goes into, the
    // subnet and address of a NAT gateway, attachments, associations, routes and ingress rules.
    allow(
      [
        'ec2:CreateSubnet',
        'ec2:CreateRouteTable',
        'ec2:CreateSecurityGroup',
        'ec2:CreateNatGateway',
        'ec2:ModifyVpcAttribute',
        'ec2:AttachInternetGateway',
        'ec2:AssociateRouteTable',
        'ec2:DisassociateRouteTable',
        'ec2:CreateRoute',
        'ec2:ReplaceRoute',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupIngress',
      ],
      ec2NetworkArns,
      resourceTagBerth,
    ),
  ]),
  checkNatGateways: step('nat-gateways-available', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for ec2:DescribeNatGateways.
    allow('ec2:DescribeNatGateways', '*'),
    // A gateway that ended `failed` is deleted and replaced once: the new one carries berth's tag in the
    // request, in berth's subnet with berth's address; the failed one is deleted only if berth's.
    allow('ec2:CreateNatGateway', ec2NetworkArns, requestTagBerth),
    allow('ec2:CreateTags', ec2NetworkArns, { StringEquals: { 'ec2:CreateAction': ['CreateNatGateway'] } }),
    allow(['ec2:CreateNatGateway', 'ec2:DeleteNatGateway'], ec2NetworkArns, resourceTagBerth),
  ]),
  routeThroughNat: step('route-through-nat', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for ec2:DescribeRouteTables.
    allow('ec2:DescribeRouteTables', '*'),
    allow(['ec2:CreateRoute', 'ec2:ReplaceRoute'], ec2NetworkArns, resourceTagBerth),
  ]),
  // Without NAT: the tasks' VPC endpoints and their security group (shared/aws/endpoints.ts).
  createVpcEndpoints: step('create-vpc-endpoints', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for ec2:DescribeVpcEndpoints and
    // ec2:DescribeSecurityGroups.
    allow(['ec2:DescribeVpcEndpoints', 'ec2:DescribeSecurityGroups'], '*'),
    // New endpoints (to AWS's own services only), their group and its rule only with berth's tag in
    // the request, tagging only as part of those creates.
    allow('ec2:CreateVpcEndpoint', vpcEndpoints, {
      ...requestTagBerth,
      StringLike: { 'ec2:VpceServiceName': 'com.amazonaws.*' },
    }),
    allow(
      ['ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress'],
      [arn('ec2', 'security-group/*'), arn('ec2', 'security-group-rule/*')],
      requestTagBerth,
    ),
    allow(
      'ec2:CreateTags',
      [vpcEndpoints, arn('ec2', 'security-group/*'), arn('ec2', 'security-group-rule/*')],
      {
        StringEquals: {
          'ec2:CreateAction': ['CreateVpcEndpoint', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress'],
        },
      },
    ),
    // The VPC, subnets, groups and route tables they go into, only berth's; an update deletes
    // endpoints the spec no longer needs, only berth's.
    allow(
      ['ec2:CreateVpcEndpoint', 'ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress'],
      [
        arn('ec2', 'vpc/*'),
        arn('ec2', 'subnet/*'),
        arn('ec2', 'security-group/*'),
        arn('ec2', 'route-table/*'),
      ],
      resourceTagBerth,
    ),
    allow('ec2:DeleteVpcEndpoints', vpcEndpoints, resourceTagBerth),
  ]),
  checkVpcEndpoints: step('vpc-endpoints-available', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for ec2:DescribeVpcEndpoints.
    allow('ec2:DescribeVpcEndpoints', '*'),
  ]),
  createLoadBalancer: step('create-load-balancer', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for elasticloadbalancing:DescribeLoadBalancers,
    // elasticloadbalancing:DescribeTags, nor for the EC2 reads CreateLoadBalancer makes on the caller's
    // behalf (ELB guide, "Elastic Load Balancing API permissions"): ec2:DescribeAccountAttributes,
    // ec2:DescribeAddresses, ec2:DescribeInternetGateways, ec2:DescribeSecurityGroups,
    // ec2:DescribeSubnets, ec2:DescribeVpcs.
    allow(
      [
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTags',
        'ec2:DescribeAccountAttributes',
        'ec2:DescribeAddresses',
        'ec2:DescribeInternetGateways',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
      ],
      '*',
    ),
    allow(
      'elasticloadbalancing:CreateLoadBalancer',
      arn('elasticloadbalancing', 'loadbalancer/app/*'),
      requestTagBerth,
    ),
    // ELB authorises the tags of a create as AddTags (ELB guide, "tag resources during creation").
    allow('elasticloadbalancing:AddTags', arn('elasticloadbalancing', 'loadbalancer/app/*'), {
      StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' },
    }),
    allow(
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      arn('elasticloadbalancing', 'loadbalancer/app/*'),
      resourceTagBerth,
    ),
    grants.elbServiceLinkedRole,
  ]),
  checkLoadBalancer: step('load-balancer-active', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for elasticloadbalancing:DescribeLoadBalancers.
    allow('elasticloadbalancing:DescribeLoadBalancers', '*'),
  ]),
  createRouting: step('create-routing', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for elasticloadbalancing:DescribeListeners,
    // elasticloadbalancing:DescribeRules, elasticloadbalancing:DescribeTargetGroups,
    // elasticloadbalancing:DescribeTags, ec2:DescribeSecurityGroups, nor for the EC2 reads
    // CreateTargetGroup makes on the caller's behalf (ec2:DescribeInternetGateways, ec2:DescribeVpcs).
    allow(
      [
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTags',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeInternetGateways',
        'ec2:DescribeVpcs',
      ],
      '*',
    ),
    // The service group's rule per service port, from the load balancer group: only on the group
    // berth tagged; a new rule carries berth's tag, and tagging goes only with that authorisation.
    allow('ec2:AuthorizeSecurityGroupIngress', arn('ec2', 'security-group/*'), resourceTagBerth),
    allow('ec2:AuthorizeSecurityGroupIngress', arn('ec2', 'security-group-rule/*'), requestTagBerth),
    allow('ec2:CreateTags', arn('ec2', 'security-group-rule/*'), {
      StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' },
    }),
    allow('elasticloadbalancing:CreateTargetGroup', elbArns, requestTagBerth),
    // Listeners and rules: berth's tag in the request AND on the load balancer or listener they go on
    // (ELB authorises them on that parent). As two statements either condition alone would do.
    allow(['elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateRule'], elbArns, {
      StringEquals: { ...requestTagBerth.StringEquals, ...resourceTagBerth.StringEquals },
    }),
    allow('elasticloadbalancing:AddTags', elbArns, {
      StringEquals: {
        'elasticloadbalancing:CreateAction': ['CreateListener', 'CreateRule', 'CreateTargetGroup'],
      },
    }),
    // Changes only to berth's own listeners, rules and target groups.
    // DeleteRule: adding a certificate replaces the port-80 forward rules with the 80 → 443 redirect.
    allow(
      [
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:DeleteListener',
        'elasticloadbalancing:ModifyRule',
        'elasticloadbalancing:DeleteRule',
        'elasticloadbalancing:SetRulePriorities',
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
      ],
      elbArns,
      resourceTagBerth,
    ),
    grants.elbServiceLinkedRole,
  ]),
  createCluster: step('create-cluster', [
    stepTable,
    allow('ecs:DescribeClusters', arn('ecs', 'cluster/*')),
    allow('ecs:DescribeCapacityProviders', arn('ecs', 'capacity-provider/*')),
    allow(['ecs:CreateCluster', 'ecs:CreateCapacityProvider'], ecsClusterArns, requestTagBerth),
    // ECS authorises the tags of a create as TagResource (ECS guide, "tag resources on creation").
    allow('ecs:TagResource', ecsClusterArns, {
      StringEquals: { 'ecs:CreateAction': ['CreateCluster', 'CreateCapacityProvider'] },
    }),
    allow('ecs:PutClusterCapacityProviders', arn('ecs', 'cluster/*'), resourceTagBerth),
    // EC2 capacity: the ECS-optimised AMI's public parameter (no account in its ARN).
    allow('ssm:GetParameter', arn('ssm', 'parameter/aws/service/ecs/optimized-ami/*', { account: false })),
    // Resource '*': AWS supports no resource-level permissions for ec2:DescribeLaunchTemplates and
    // autoscaling:DescribeAutoScalingGroups.
    allow(['ec2:DescribeLaunchTemplates', 'autoscaling:DescribeAutoScalingGroups'], '*'),
    allow('ec2:CreateLaunchTemplate', launchTemplates, requestTagBerth),
    // The template's own tags (CreateLaunchTemplate), and the instance and volume tags its instances get.
    allow('ec2:CreateTags', [launchTemplates, arn('ec2', 'instance/*'), arn('ec2', 'volume/*')], {
      StringEquals: { 'ec2:CreateAction': ['CreateLaunchTemplate', 'RunInstances'] },
    }),
    // CreateAutoScalingGroup with a launch template checks the caller's ec2:RunInstances (Auto Scaling
    // guide, "Amazon EC2 Auto Scaling API permissions"): only from a launch template of this account.
    allow(
      'ec2:RunInstances',
      [
        arn('ec2', 'image/*', { account: false }),
        arn('ec2', 'instance/*'),
        arn('ec2', 'volume/*'),
        arn('ec2', 'network-interface/*'),
        arn('ec2', 'subnet/*'),
        arn('ec2', 'security-group/*'),
        arn('ec2', 'key-pair/*'),
        launchTemplates,
      ],
      { ArnLike: { 'ec2:LaunchTemplate': launchTemplates } },
    ),
    // Groups are named berth-<cluster>; tags on create are authorised as CreateOrUpdateTags.
    allow(
      ['autoscaling:CreateAutoScalingGroup', 'autoscaling:CreateOrUpdateTags'],
      autoScalingGroupArn,
      requestTagBerth,
    ),
    // The environment's container-instance role and its instance profile (both berth-<env id>-instance):
    // read without a tag condition (a missing one must answer NoSuchEntity), created only with berth's
    // tag, changed only when they carry it.
    allow(['iam:GetRole', 'iam:GetInstanceProfile'], [instanceRoles, instanceProfiles]),
    allow(['iam:CreateRole', 'iam:TagRole'], instanceRoles, requestTagBerth),
    allow('iam:PutRolePolicy', instanceRoles, resourceTagBerth),
    allow(['iam:CreateInstanceProfile', 'iam:TagInstanceProfile'], instanceProfiles, requestTagBerth),
    allow('iam:AddRoleToInstanceProfile', instanceProfiles, resourceTagBerth),
    // Passing only the instance roles, only to EC2: AddRoleToInstanceProfile requires iam:PassRole,
    // and the Auto Scaling group's launch passes the role to its instances.
    allow('iam:PassRole', instanceRoles, { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }),
    // The first cluster / Auto Scaling group of an account creates the service-linked roles.
    allow(
      'iam:CreateServiceLinkedRole',
      [
        arn('iam', 'role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS', { region: false }),
        arn('iam', 'role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling', {
          region: false,
        }),
      ],
      { StringEquals: { 'iam:AWSServiceName': ['ecs.amazonaws.com', 'autoscaling.amazonaws.com'] } },
    ),
  ]),
  // The environment's task execution role and its services' task roles (shared/aws/iam.ts), found by
  // name and created with its tags; the task roles only under the deployment's permissions boundary.
  createExecutionRole: step(
    'create-execution-role',
    [
      stepTable,
      // A read without a tag condition: a role not created yet must answer NoSuchEntity, and a missing
      // resource has no tags for a condition to hold (it would answer AccessDenied).
      allow('iam:GetRole', [executionRoles, taskRoles]),
      // New roles only with berth's tag in the request; CreateRole's Tags are authorised as iam:TagRole too.
      allow(['iam:CreateRole', 'iam:TagRole'], executionRoles, requestTagBerth),
      // Its inline policy, only on a role that carries berth's tag.
      allow('iam:PutRolePolicy', executionRoles, resourceTagBerth),
      // A task role only with berth's tag and the boundary in the request; its policy and boundary
      // changed only while it carries berth's tag and (PutRolePolicy: still has, PutRolePermissionsBoundary:
      // is given) exactly that boundary. Without the condition the step could create a role without a
      // boundary, or lift it, and grant that role anything.
      allow('iam:CreateRole', taskRoles, {
        StringEquals: { ...requestTagBerth.StringEquals, ...withTaskRoleBoundary },
      }),
      allow('iam:TagRole', taskRoles, requestTagBerth),
      allow(['iam:PutRolePolicy', 'iam:PutRolePermissionsBoundary'], taskRoles, {
        StringEquals: { ...resourceTagBerth.StringEquals, ...withTaskRoleBoundary },
      }),
    ],
    { environment: { TASK_ROLE_BOUNDARY_ARN: taskRoleBoundaryArn } },
  ),
  prepareService: step(
    'prepare-service',
    [
      stepTable,
      // Service log groups live under /berth/; CloudWatch Logs authorises a create's tags as TagResource.
      allow(['logs:CreateLogGroup', 'logs:TagResource', 'logs:PutRetentionPolicy'], berthLogGroups),
      // Resource '*': AWS supports no resource-level permissions for ecs:DescribeTaskDefinition.
      allow('ecs:DescribeTaskDefinition', '*'),
      allow('ecs:RegisterTaskDefinition', arn('ecs', 'task-definition/*'), requestTagBerth),
      allow('ecs:TagResource', arn('ecs', 'task-definition/*'), {
        StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
      }),
      // The environment's execution role and the spec's task role (within the allowed pattern), to ECS tasks.
      grants.passTaskRoles,
    ],
    { environment: { TASK_ROLE_ARN_PATTERN: taskRoleArnPattern } },
  ),
  createService: step('create-service', [
    stepTable,
    grants.ecsServiceRead,
    allow('ecs:CreateService', arn('ecs', 'service/*'), requestTagBerth),
    allow('ecs:TagResource', arn('ecs', 'service/*'), {
      StringEquals: { 'ecs:CreateAction': 'CreateService' },
    }),
    allow('ecs:UpdateService', arn('ecs', 'service/*'), resourceTagBerth),
    // The first service of an account creates ECS's service-linked role.
    allow(
      'iam:CreateServiceLinkedRole',
      arn('iam', 'role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS', { region: false }),
      { StringEquals: { 'iam:AWSServiceName': 'ecs.amazonaws.com' } },
    ),
  ]),
  checkServices: step('services-stable', [
    stepTable,
    grants.ecsServiceRead,
    // The new tasks of a rollout and their target health (ready before the old tasks drain).
    allow('ecs:DescribeTasks', arn('ecs', 'task/*')),
    // Resource '*': ecs:ListTasks authorises against a container instance, which a deployment's
    // listing names none of (ecs:cluster condition instead), and AWS supports no resource-level
    // permissions for elasticloadbalancing:DescribeTargetHealth.
    allow('ecs:ListTasks', '*', ecsClusterOfAccount),
    allow('elasticloadbalancing:DescribeTargetHealth', '*'),
  ]),
  // A (alias) records and their ownership markers: CREATE, and UPSERT of an alias whose marker is this
  // environment's (read first); the hosted zone is the caller's choice, so any zone of the account.
  createDnsRecord: step('dns', [
    stepTable,
    allow('route53:ListResourceRecordSets', hostedZones),
    allow('route53:ChangeResourceRecordSets', hostedZones, recordChanges(['CREATE', 'UPSERT'])),
  ]),
  recordReady: step('record-ready', [stepTable, putEvents]),
  // After an update's rollout: the task roles of services removed or without `iam` any more, found by
  // name (reads without a tag condition, as in the teardown pass), deleted only while they carry berth's tag.
  removeTaskRoles: step('remove-task-roles', [
    stepTable,
    allow(['iam:GetRole', 'iam:ListRolePolicies'], taskRoles),
    allow(['iam:DeleteRolePolicy', 'iam:DeleteRole'], taskRoles, resourceTagBerth),
  ]),
  // Settings an update applies in place (shared/domain/patch.ts APPLIED_FIELDS), each only on what berth made.
  updateSettings: step('update-settings', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for ec2:DescribeSecurityGroups and
    // autoscaling:DescribeAutoScalingGroups.
    allow(['ec2:DescribeSecurityGroups', 'autoscaling:DescribeAutoScalingGroups'], '*'),
    // The load balancer group's CIDR rules: on the group berth tagged, new rules with berth's tag.
    allow(
      ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
      arn('ec2', 'security-group/*'),
      resourceTagBerth,
    ),
    allow('ec2:AuthorizeSecurityGroupIngress', arn('ec2', 'security-group-rule/*'), requestTagBerth),
    allow('ec2:CreateTags', arn('ec2', 'security-group-rule/*'), {
      StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' },
    }),
    allow(
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      arn('elasticloadbalancing', 'loadbalancer/app/*'),
      resourceTagBerth,
    ),
    allow('ecs:DescribeClusters', arn('ecs', 'cluster/*')),
    allow('ecs:UpdateClusterSettings', arn('ecs', 'cluster/*'), resourceTagBerth),
    allow('autoscaling:UpdateAutoScalingGroup', autoScalingGroupArn, {
      StringEquals: { 'autoscaling:ResourceTag/berth:managed-by': 'berth' },
    }),
  ]),
  // After an update's rollout: the service group's rules for ports no service uses any more are revoked.
  closeServicePorts: step('close-service-ports', [
    stepTable,
    // Resource '*': AWS supports no resource-level permissions for ec2:DescribeSecurityGroups.
    allow('ec2:DescribeSecurityGroups', '*'),
    allow('ec2:RevokeSecurityGroupIngress', arn('ec2', 'security-group/*'), resourceTagBerth),
  ]),
  removeServices: step('remove-services', [
    stepTable,
    grants.ecsListServices,
    // Resource '*': AWS supports no resource-level permissions for elasticloadbalancing:DescribeRules.
    allow('elasticloadbalancing:DescribeRules', '*'),
    grants.ecsServiceRead,
    grants.ecsServiceDelete,
    allow(
      ['elasticloadbalancing:DeleteRule', 'elasticloadbalancing:DeleteTargetGroup'],
      elbArns,
      resourceTagBerth,
    ),
  ]),
  teardownPass: step(
    'teardown',
    [
      stepTable,
      // Route 53: only the A record and marker berth made, found by listing the zone first.
      allow('route53:ListResourceRecordSets', hostedZones),
      allow('route53:ChangeResourceRecordSets', hostedZones, recordChanges('DELETE')),
      // Jobs: the environment's schedule group, pipes and queues (all named berth-<env key>…).
      allow(
        ['scheduler:GetScheduleGroup', 'scheduler:DeleteScheduleGroup'],
        arn('scheduler', 'schedule-group/berth-*'),
      ),
      // Deleting a group deletes its schedules, which Scheduler authorises as DeleteSchedule on each.
      allow('scheduler:DeleteSchedule', arn('scheduler', 'schedule/berth-*/*')),
      allow(['pipes:DescribePipe', 'pipes:DeletePipe'], arn('pipes', 'pipe/berth-*')),
      allow(['sqs:GetQueueUrl', 'sqs:DeleteQueue'], arn('sqs', 'berth-*')),
      // Resource '*': ecs:ListTasks authorises against a container instance, which a cluster-wide listing
      // names none of, so it takes '*' with the ecs:cluster condition (ECS guide, "List tasks" example);
      // AWS supports no resource-level permissions for ecs:ListTaskDefinitions,
      // ecs:ListTaskDefinitionFamilies, ecs:DescribeTaskDefinition, ecs:DeregisterTaskDefinition, nor
      // for the EC2, ELB, Auto Scaling and Logs reads below
      // (ec2:DescribeNetworkInterfaces, ec2:DescribeLaunchTemplates, autoscaling:DescribeAutoScalingGroups,
      // logs:DescribeLogGroups and the elasticloadbalancing:Describe* calls), nor for ecs:ListClusters,
      // the fallback when a cluster is not found by name (never created, or aged out of DescribeClusters).
      grants.ecsListServices,
      allow('ecs:ListTasks', '*', ecsClusterOfAccount),
      allow(
        [
          'ecs:ListTaskDefinitions',
          'ecs:ListTaskDefinitionFamilies',
          'ecs:DescribeTaskDefinition',
          'ecs:DeregisterTaskDefinition',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeLaunchTemplates',
          'autoscaling:DescribeAutoScalingGroups',
          'logs:DescribeLogGroups',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTags',
          'ecs:ListClusters',
        ],
        '*',
      ),
      grants.ec2NetworkRead,
      // ECS: reads within this account; stops and deletes only what carries berth's tag.
      allow(
        [
          'ecs:DescribeClusters',
          'ecs:DescribeCapacityProviders',
          'ecs:DescribeServices',
          'ecs:DescribeTasks',
        ],
        [
          arn('ecs', 'cluster/*'),
          arn('ecs', 'capacity-provider/*'),
          arn('ecs', 'service/*'),
          arn('ecs', 'task/*'),
        ],
      ),
      grants.ecsServiceDelete,
      allow(
        [
          'ecs:StopTask',
          'ecs:PutClusterCapacityProviders',
          'ecs:DeleteCapacityProvider',
          'ecs:DeleteTaskDefinitions',
          'ecs:DeleteCluster',
        ],
        [
          arn('ecs', 'cluster/*'),
          arn('ecs', 'capacity-provider/*'),
          arn('ecs', 'task/*'),
          arn('ecs', 'task-definition/*'),
        ],
        resourceTagBerth,
      ),
      // ForceDelete terminates the group's instances through Auto Scaling's service-linked role.
      allow('autoscaling:DeleteAutoScalingGroup', autoScalingGroupArn, {
        StringEquals: { 'autoscaling:ResourceTag/berth:managed-by': 'berth' },
      }),
      // Log groups are found under /berth/ and read for their tags; deleted only while they carry berth's
      // tag (ensureLogGroup creates them with it; the SAR lists aws:ResourceTag for `log-group`).
      allow('logs:ListTagsForResource', berthLogGroups),
      allow('logs:DeleteLogGroup', berthLogGroups, resourceTagBerth),
      allow(
        [
          'elasticloadbalancing:DeleteRule',
          'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:DeleteLoadBalancer',
          'elasticloadbalancing:DeleteTargetGroup',
        ],
        elbArns,
        resourceTagBerth,
      ),
      allow(
        [
          'ec2:DeleteNatGateway',
          'ec2:ReleaseAddress',
          'ec2:DetachInternetGateway',
          'ec2:DeleteInternetGateway',
          'ec2:DisassociateRouteTable',
          'ec2:DeleteRouteTable',
          'ec2:DeleteSubnet',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:DeleteSecurityGroup',
          'ec2:DeleteVpc',
        ],
        ec2NetworkArns,
        resourceTagBerth,
      ),
      allow('ec2:DeleteLaunchTemplate', launchTemplates, resourceTagBerth),
      // VPC endpoints without NAT: found by tag (Resource '*': AWS supports no resource-level
      // permissions for ec2:DescribeVpcEndpoints), deleted only when they carry berth's tag.
      allow('ec2:DescribeVpcEndpoints', '*'),
      allow('ec2:DeleteVpcEndpoints', vpcEndpoints, resourceTagBerth),
      // No tag condition, on purpose: berth creates no ENI. The detached ENIs teardown deletes were made
      // by AWS services (ECS, ELB, NAT) or others and carry no tag of berth's, so aws:ResourceTag (which
      // the SAR supports for `network-interface`) would refuse every one of them and leave the subnets
      // blocked. The code deletes only detached ENIs in the VPCs it found by berth's tag
      // (docs/aws-facts.md#teardown-deletes-and-berths-tag).
      allow('ec2:DeleteNetworkInterface', arn('ec2', 'network-interface/*')),
      // IAM: the environment's roles, found by name. Reads without a tag condition (a role never created
      // must answer NoSuchEntity, not AccessDenied); deletes only of roles that carry berth's tag.
      allow(['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListInstanceProfilesForRole'], berthRoles),
      allow(['iam:DeleteRolePolicy', 'iam:DeleteRole'], berthRoles, resourceTagBerth),
      // The instance role's profile: read by name (none for an execution role), emptied and deleted
      // only while it carries berth's tag.
      allow('iam:GetInstanceProfile', arn('iam', 'instance-profile/berth-env-*', { region: false })),
      allow(
        ['iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
        arn('iam', 'instance-profile/berth-env-*', { region: false }),
        resourceTagBerth,
      ),
    ],
    { timeout: 120 },
  ),
  // Scheduler/SQS/Pipes names all start with berth-<envKey> (shared/aws/jobs.ts), so no '*' is needed:
  // the step finds its resources by name, never with List* (which only take Resource '*').
  createJobs: step('create-jobs', [
    stepTable,
    allow(
      ['scheduler:CreateScheduleGroup', 'scheduler:GetScheduleGroup', 'scheduler:TagResource'],
      arn('scheduler', 'schedule-group/berth-*'),
    ),
    allow(
      [
        'scheduler:CreateSchedule',
        'scheduler:UpdateSchedule',
        'scheduler:GetSchedule',
        'scheduler:DeleteSchedule',
      ],
      arn('scheduler', 'schedule/berth-*/*'),
    ),
    allow(
      [
        'sqs:CreateQueue',
        'sqs:GetQueueUrl',
        'sqs:GetQueueAttributes',
        'sqs:SetQueueAttributes',
        'sqs:TagQueue',
        'sqs:DeleteQueue',
      ],
      arn('sqs', 'berth-*'),
    ),
    allow(
      ['pipes:CreatePipe', 'pipes:UpdatePipe', 'pipes:DescribePipe', 'pipes:DeletePipe', 'pipes:TagResource'],
      arn('pipes', 'pipe/berth-*'),
    ),
    // An image job's own task definition, as prepareService registers a service's. Resource '*': AWS
    // supports no resource-level permissions for ecs:DescribeTaskDefinition.
    allow('ecs:DescribeTaskDefinition', '*'),
    allow('ecs:RegisterTaskDefinition', arn('ecs', 'task-definition/*'), requestTagBerth),
    allow('ecs:TagResource', arn('ecs', 'task-definition/*'), {
      StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
    }),
    allow(['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:TagResource'], berthLogGroups),
    // Scheduler and Pipes are handed the jobs role; an image job's task definition the execution role.
    allow('iam:PassRole', getAtt('JobsRole'), {
      StringEquals: { 'iam:PassedToService': ['scheduler.amazonaws.com', 'pipes.amazonaws.com'] },
    }),
    grants.passTaskRoles,
  ]),
  finishTeardown: step('finish-teardown', [stepTable, putEvents]),
};
