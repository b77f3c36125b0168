/**
 * A step role's statements as infra/functions/steps.js declares them (or the shared ones of
 * infra/grants.js), narrowed to one AWS service and with this account's ARNs, so a module test can call
 * the simulator as that role and see what AWS would answer it (the other statements name stack
 * resources or other services).
 */
import { join, resolve } from 'node:path';
import type { Statement } from '@berth/aws-sim/iam/policy';

const ROOT = resolve(__dirname, '..', '..');
export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

/** The statements of step `functionKey` that grant `service:` actions, each narrowed to those actions. */
export function declaredGrants(functionKey: string, service: string): Statement[] {
  const steps = require(join(ROOT, 'infra', 'functions', 'steps.js')) as Record<
    string,
    { permissions: unknown[] }
  >;
  return narrowed(steps[functionKey]?.permissions ?? [], service);
}

/** The statements infra/grants.js names `grantNames` (shared by functions and service roles), narrowed alike. */
export function sharedGrants(grantNames: string[], service: string): Statement[] {
  const { grants } = require(join(ROOT, 'infra', 'grants.js')) as { grants: Record<string, unknown> };
  return narrowed(
    grantNames.map((name) => grants[name]),
    service,
  );
}

/** `permissions` with this account's ARNs, each narrowed to its `service:` actions (others dropped). */
function narrowed(permissions: unknown[], service: string): Statement[] {
  // The pseudo parameters of Fn::Sub, as CloudFormation fills them in this account and Region.
  const pseudo: Record<string, string> = { Partition: 'aws', Region: REGION, AccountId: ACCOUNT };
  const resolved = JSON.parse(
    JSON.stringify(permissions).replace(/\$\{AWS::(\w+)\}/g, (text, name: string) => pseudo[name] ?? text),
    // { "Fn::Sub": "arn:…" } without variables left is that string.
    (_key, value: unknown) =>
      typeof value === 'object' &&
      value !== null &&
      'Fn::Sub' in value &&
      typeof value['Fn::Sub'] === 'string'
        ? value['Fn::Sub']
        : value,
  ) as Statement[];
  return resolved.flatMap((statement) => {
    const actions = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter(
      (action): action is string => typeof action === 'string' && action.startsWith(`${service}:`),
    );
    return actions.length > 0 ? [{ ...statement, Action: actions }] : [];
  });
}
