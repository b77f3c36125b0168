/**
 * Roles that AWS services assume on berth's behalf (not functions' roles), declared with the same
 * grants as the functions that hand them over.
 */
const { allow, arn, grants } = require('./grants');

module.exports = {
  // Assumed by EventBridge Scheduler (schedule jobs) and EventBridge Pipes (queue jobs) to start job tasks.
  JobsRole: {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: '${self:custom.jobsRoleName}',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: ['scheduler.amazonaws.com', 'pipes.amazonaws.com'] },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'run-job-tasks',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              grants.runJobTasks,
              grants.tagJobTasks,
              grants.passTaskRoles,
              // Pipes reads its source queue with the pipe's role.
              allow(
                ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
                arn('sqs', 'berth-*'),
              ),
            ],
          },
        },
      ],
    },
  },
};
