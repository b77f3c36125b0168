/**
 * The event bus's resource policy in the packaged template: status events (source `berth`) may be
 * published only by the roles of berth's own functions that publish them, so no other principal of
 * the account can send a receiver a fake status event (docs/aws-facts.md#event-bus-policy).
 */
import { STATUS_EVENT_SOURCE } from '../../shared/domain/status-event';
import { type PackagedService, packageService } from '../support/osls-package';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

let packaged: PackagedService | undefined;
let resources: Record<string, Resource> = {};

beforeAll(() => {
  packaged = packageService({ stage: 'dev', account: '000000000000', label: 'bus-policy' });
  resources = (packaged.template as { Resources: Record<string, Resource> }).Resources;
}, 900_000);

afterAll(() => {
  packaged?.remove();
});

/** Roles (logical ids) whose inline policy allows events:PutEvents. */
function rolesAllowedToPublish(): string[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .filter(([, resource]) =>
      JSON.stringify(resource.Properties.Policies ?? []).includes('"events:PutEvents"'),
    )
    .map(([logicalId]) => logicalId)
    .sort();
}

function busPolicy(): Resource {
  const policies = Object.values(resources).filter(
    (resource) => resource.Type === 'AWS::Events::EventBusPolicy',
  );
  expect(policies).toHaveLength(1);
  const [policy] = policies;
  if (policy === undefined) throw new Error('no event bus policy');
  return policy;
}

describe('the event bus policy', () => {
  it("applies to berth's own bus and denies PutEvents of berth status events to any other principal", () => {
    const { EventBusName, Statement } = busPolicy().Properties;
    expect(EventBusName).toEqual({ Ref: 'EventBus' });
    expect(Statement).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
      Condition: { 'ForAnyValue:StringEquals': { 'events:source': [STATUS_EVENT_SOURCE] } },
    });
  });

  it('exempts exactly the roles whose policy lets them publish, and they exist', () => {
    const statement = busPolicy().Properties.Statement as {
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [string, string] }[] } };
    };
    const exempted = statement.Condition.ArnNotEquals['aws:PrincipalArn'].map((arn) => {
      expect(arn['Fn::GetAtt'][1]).toBe('Arn');
      return arn['Fn::GetAtt'][0];
    });
    expect(exempted.length).toBeGreaterThan(0);
    expect([...exempted].sort()).toEqual(rolesAllowedToPublish());
  });
});
