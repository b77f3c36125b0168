/**
 * DNS ownership across teams, through the real workflows: a record name is claimed with CREATE and a
 * TXT marker naming the environment, so another team's environment naming the same record neither
 * takes it over (it ends FAILED, the record unchanged) nor deletes it when torn down.
 */
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

let stack: WorkflowStack;
let route53: Route53Client;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
  route53 = new Route53Client({
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  route53.destroy();
  await stack.stop();
});

function team(label: string): { team: string; caller: Caller } {
  const name = `dns${process.pid % 10_000}-${label}`;
  return { team: name, caller: memberOf(name) };
}

async function create(caller: Caller, body: Record<string, unknown>): Promise<Environment> {
  const outcome = await createEnvironment(stack.deps, caller, body);
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  return getEnvironment(stack.deps, caller, outcome.environment.id);
}

async function destroy(caller: Caller, id: string): Promise<Environment> {
  await deleteEnvironment(stack.deps, caller, id);
  await stack.settle(id);
  return getEnvironment(stack.deps, caller, id);
}

async function recordsNamed(zone: string, name: string): Promise<ResourceRecordSet[]> {
  const answer = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
  return (answer.ResourceRecordSets ?? []).filter((record) => record.Name === `${name}.`);
}

it("refuses another team's record, leaves it unchanged, and deletes only the owner's at its teardown", async () => {
  // Prepare: team A's environment owns shop.example.com.
  const zone = (
    await route53.send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `dns-${Date.now()}` }),
    )
  ).HostedZone?.Id?.replace('/hostedzone/', '');
  if (!zone) throw new Error('no hosted zone');
  const a = team('a');
  const b = team('b');
  const dns = { hostedZoneId: zone, recordName: 'shop.example.com' };
  // An admin granted both teams the zone: ownership of the record is what keeps them apart here.
  for (const granted of [a, b]) {
    await stack.grantTeamPolicy(granted.team, {
      hostedZones: [{ hostedZoneId: zone, recordNameSuffixes: ['example.com'] }],
    });
  }
  const owner = await create(a.caller, {
    name: 'shop',
    team: a.team,
    dns,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  expect(owner.status).toBe('READY');
  const before = await recordsNamed(zone, 'shop.example.com');

  // Act: team B names the same record.
  const taker = await create(b.caller, {
    name: 'taker',
    team: b.team,
    dns,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  const takerDeleted = await destroy(b.caller, taker.id);

  // Assess: B failed on the record, and neither its provisioning nor its teardown touched A's.
  expect(taker.status).toBe('FAILED');
  expect(taker.error).toMatchObject({ step: 'dns', code: 'DnsRecordNotOwned' });
  expect(takerDeleted.status).toBe('DELETED');
  expect(await recordsNamed(zone, 'shop.example.com')).toEqual(before);
  expect(before.map((record) => record.Type).sort()).toEqual(['A', 'TXT']);

  // Act / Assess: A's own teardown removes its alias and marker.
  const ownerDeleted = await destroy(a.caller, owner.id);
  expect(ownerDeleted.status).toBe('DELETED');
  expect(await recordsNamed(zone, 'shop.example.com')).toEqual([]);
});
