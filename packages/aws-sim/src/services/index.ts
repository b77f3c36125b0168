import type { ServiceDefinition } from '../kernel';
import { autoscaling } from './autoscaling';
import { ec2 } from './ec2';
import { ecs } from './ecs';
import { elbv2 } from './elbv2';
import { eventbridge } from './eventbridge';
import { iam } from './iam';
import { logs } from './logs';
import { pipes } from './pipes';
import { route53 } from './route53';
import { scheduler } from './scheduler';
import { serviceQuotas } from './service-quotas';
import { sqs } from './sqs';
import { ssm } from './ssm';
import { sts } from './sts';

export const services: ServiceDefinition[] = [
  autoscaling,
  ec2,
  ecs,
  elbv2,
  eventbridge,
  iam,
  logs,
  pipes,
  route53,
  scheduler,
  serviceQuotas,
  sqs,
  ssm,
  sts,
];
