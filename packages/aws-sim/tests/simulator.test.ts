/** The simulator's core: routing, wire protocols, throttling, fault injection and the control API. */
import {
  CreateVpcCommand,
  DescribeVpcsCommand,
  EC2Client,
  type EC2ServiceException,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { AwsError, HttpAnswer, type ServiceDefinition } from '../src/kernel';
import { nestFormParams } from '../src/protocols/form';
import { type RunningSimulator, startSimulator } from '../src/server';
import { ec2 as ec2Service } from '../src/services/ec2';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A tiny service per protocol, to test the wire layers without depending on other teams' services. */
const echo = (input: Record<string, unknown>) => ({ Echo: input });
const fail = () => {
  throw new AwsError('ThingNotFound', 'no <such> thing & more', 404);
};
const testServices: ServiceDefinition[] = [
  {
    signingName: 'qtest',
    protocol: 'query',
    xmlNamespace: 'urn:qtest',
    operations: { Echo: echo, Fail: fail },
  },
  {
    signingName: 'jtest',
    protocol: 'json',
    targetPrefix: 'JTest_2020',
    jsonVersion: '1.1',
    operations: { Echo: echo, Fail: fail },
  },
  {
    signingName: 'rtest',
    protocol: 'rest-json',
    routes: [
      { method: 'POST', path: '/things/{Name}', operation: 'Echo', successStatus: 201 },
      { method: 'GET', path: '/fail', operation: 'Fail' },
    ],
    operations: { Echo: echo, Fail: fail },
  },
  {
    signingName: 'xtest',
    protocol: 'rest-xml',
    xmlNamespace: 'urn:xtest',
    routes: [{ method: 'POST', path: '/zones/{Id}/items', operation: 'Echo' }],
    operations: {
      Echo: (input) =>
        new HttpAnswer({ Items: [{ Item: { Id: input.Id } }, { Item: { Id: 'two' } }] }, 202, {
          location: '/x',
        }),
    },
  },
  ec2Service,
];

function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;
}

let simulator: RunningSimulator;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, timeScale: 0.001, services: testServices, seed: 3 });
});

afterAll(async () => {
  await simulator.close();
});

beforeEach(() => simulator.sim.reset());

async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('form parameters', () => {
  it('nests ec2 list parameters into arrays of structures', () => {
    const input = nestFormParams(
      [
        ['Filter.2.Name', 'vpc-id'],
        ['Filter.1.Name', 'tag:team'],
        ['Filter.1.Value.1', 'a'],
        ['Filter.1.Value.2', 'b'],
        ['Filter.2.Value.1', 'vpc-1'],
        ['TagSpecification.1.Tag.1.Key', 'k'],
        ['SubnetId.1', 's1'],
      ],
      'ec2',
    );
    expect(input).toEqual({
      Filter: [
        { Name: 'tag:team', Value: ['a', 'b'] },
        { Name: 'vpc-id', Value: ['vpc-1'] },
      ],
      TagSpecification: [{ Tag: [{ Key: 'k' }] }],
      SubnetId: ['s1'],
    });
  });

  it('drops awsQuery member segments and turns entry lists into maps', () => {
    const input = nestFormParams(
      [
        ['Subnets.member.1', 'a'],
        ['Tags.member.1.Key', 'k'],
        ['Attributes.entry.1.key', 'x'],
        ['Attributes.entry.1.value', 'y'],
        ['__proto__.polluted', 'yes'],
      ],
      'query',
    );
    expect(input).toEqual({ Subnets: ['a'], Tags: [{ Key: 'k' }], Attributes: { x: 'y' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('wire protocols', () => {
  it('answers awsQuery with a Result wrapper and member lists, and errors as ErrorResponse', async () => {
    const ok = await fetch(simulator.url, {
      method: 'POST',
      headers: { authorization: authorization('qtest'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=Echo&Version=1&Names.member.1=a%26b',
    });
    const text = await ok.text();
    expect(text).toContain(
      '<EchoResponse xmlns="urn:qtest"><EchoResult><Echo><Names><member>a&amp;b</member></Names></Echo></EchoResult>',
    );
    expect(text).toMatch(/<ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata>/);
    const bad = await fetch(simulator.url, {
      method: 'POST',
      headers: { authorization: authorization('qtest') },
      body: 'Action=Fail&Version=1',
    });
    expect(bad.status).toBe(404);
    expect(await bad.text()).toContain(
      '<ErrorResponse xmlns="urn:qtest"><Error><Type>Sender</Type><Code>ThingNotFound</Code><Message>no &lt;such&gt; thing &amp; more</Message></Error>',
    );
  });

  it('answers awsJson with JSON and errors with __type and x-amzn-errortype', async () => {
    const headers = { 'x-amz-target': 'JTest_2020.Echo', 'content-type': 'application/x-amz-json-1.1' };
    const ok = await fetch(simulator.url, { method: 'POST', headers, body: '{"Count":2}' });
    expect(await ok.json()).toEqual({ Echo: { Count: 2 } });
    const bad = await fetch(simulator.url, {
      method: 'POST',
      headers: { ...headers, 'x-amz-target': 'JTest_2020.Fail' },
      body: '{}',
    });
    expect(bad.status).toBe(404);
    expect(bad.headers.get('x-amzn-errortype')).toBe('ThingNotFound');
    expect(await bad.json()).toEqual({ __type: 'ThingNotFound', message: 'no <such> thing & more' });
    const unknown = await fetch(simulator.url, {
      method: 'POST',
      headers: { ...headers, 'x-amz-target': 'JTest_2020.Nope' },
      body: '{}',
    });
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  it('routes rest-json by method and path, with labels, query and body merged', async () => {
    const ok = await fetch(`${simulator.url}/things/my%20thing?limit=3`, {
      method: 'POST',
      headers: { authorization: authorization('rtest'), 'content-type': 'application/json' },
      body: '{"Size":1}',
    });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ Echo: { limit: '3', Size: 1, Name: 'my thing' } });
    const bad = await fetch(`${simulator.url}/fail`, { headers: { authorization: authorization('rtest') } });
    expect(bad.headers.get('x-amzn-errortype')).toBe('ThingNotFound');
  });

  it('parses rest-xml bodies and writes inline lists, status and headers from an HttpAnswer', async () => {
    const response = await fetch(`${simulator.url}/zones/Z1/items`, {
      method: 'POST',
      headers: { authorization: authorization('xtest') },
      body: '<?xml version="1.0"?><EchoRequest><Name>n</Name></EchoRequest>',
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('/x');
    expect(await response.text()).toContain(
      '<EchoResponse xmlns="urn:xtest"><Items><Item><Id>Z1</Id></Item><Item><Id>two</Id></Item></Items></EchoResponse>',
    );
  });

  it('falls back to the Action field when a request is unsigned', async () => {
    const response = await fetch(simulator.url, {
      method: 'POST',
      body: 'Action=DescribeVpcs&Version=2016-11-15',
    });
    expect(await response.text()).toContain(
      '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">',
    );
  });

  it('answers EC2 errors in the EC2 error document', async () => {
    const response = await fetch(simulator.url, {
      method: 'POST',
      headers: { authorization: authorization('ec2') },
      body: 'Action=DeleteVpc&Version=2016-11-15&VpcId=vpc-00000000000000000',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /<Response><Errors><Error><Code>InvalidVpcID.NotFound<\/Code><Message>.*<\/Message><\/Error><\/Errors><RequestID>.+<\/RequestID><\/Response>/,
    );
  });
});

describe('throttling', () => {
  let realTime: RunningSimulator;

  beforeAll(async () => {
    // Scale 1: AWS's own refill (5 per second) is too slow to hide a burst of 60.
    // Real time: a new VPC's read-after-create window would last seconds (ec2-consistency.test.ts covers it).
    realTime = await startSimulator({ port: 0, timeScale: 1, services: [ec2Service], consistency: false });
  });

  afterAll(async () => {
    await realTime.close();
  });

  beforeEach(() => realTime.sim.reset());

  async function vpcIn(client: EC2Client): Promise<string> {
    const { Vpc } = await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    return Vpc?.VpcId ?? '';
  }

  it('answers RequestLimitExceeded (503) beyond the burst of 50 mutating calls when retries are off', async () => {
    const client = new EC2Client({
      endpoint: realTime.url,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    const vpcId = await vpcIn(client);
    const results = await Promise.allSettled(
      // ModifyVpcAttribute's own bucket holds 50; 70 calls outrun its refill of 5 a second.
      Array.from({ length: 70 }, () =>
        client.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } })),
      ),
    );
    const rejected = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as EC2ServiceException] : [],
    );
    expect(rejected.length).toBeGreaterThanOrEqual(9);
    expect(rejected[0]?.name).toBe('RequestLimitExceeded');
    expect(rejected[0]?.$metadata.httpStatusCode).toBe(503);
    const { calls } = realTime.sim.callCounts();
    expect(calls.ec2?.ModifyVpcAttribute).toMatchObject({ count: 70, throttled: rejected.length });
    client.destroy();
  });

  it('lets the SDK default retries recover from a modest burst', async () => {
    // 15 of the 25 calls are throttled at once; the SDK retries a throttled call after a random
    // 0–1 s, then 0–2 s. At 20 tokens a second a cluster of early retries could be throttled twice
    // more (it happened once in CI); at 50 a second any 300 ms of the first window refills all 15.
    realTime.sim.limiter.options.overrides = { 'ec2:mutating': { burst: 10, refillPerSecond: 50 } };
    const client = new EC2Client({ endpoint: realTime.url, region: 'us-east-1', credentials });
    const vpcId = await vpcIn(client);
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () =>
        client.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } })),
      ),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(realTime.sim.callCounts().calls.ec2?.ModifyVpcAttribute?.throttled).toBeGreaterThan(0);
    realTime.sim.limiter.options.overrides = {};
    client.destroy();
  });

  it('can be switched off', async () => {
    const off = await startSimulator({ port: 0, timeScale: 1, services: [ec2Service], rateLimits: false });
    const client = new EC2Client({ endpoint: off.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 70 }, () => client.send(new DescribeVpcsCommand({}))),
    );
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    client.destroy();
    await off.close();
  });
});

describe('fault injection', () => {
  let client: EC2Client;

  beforeAll(() => {
    client = new EC2Client({ endpoint: simulator.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  });

  afterAll(() => client.destroy());

  async function errorOf(promise: Promise<unknown>): Promise<string | undefined> {
    try {
      await promise;
      return undefined;
    } catch (error) {
      return (error as Error).name;
    }
  }

  it('fires a count fault that many times, then disappears', async () => {
    const added = await control('POST', '/_local/faults', {
      service: 'ec2',
      operation: 'CreateVpc',
      code: 'InsufficientCapacity',
      status: 500,
      count: 2,
    });
    expect(added.status).toBe(201);
    expect(await errorOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })))).toBe(
      'InsufficientCapacity',
    );
    expect(await errorOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })))).toBe(
      'InsufficientCapacity',
    );
    expect(await errorOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })))).toBeUndefined();
    expect((await control('GET', '/_local/faults')).json).toEqual({ faults: [] });
    expect(simulator.sim.callCounts().calls.ec2?.CreateVpc).toMatchObject({ count: 3, faulted: 2 });
  });

  it('fires a probability-1 fault only for calls whose input matches', async () => {
    await control('POST', '/_local/faults', [
      { operation: 'CreateVpc', code: 'Unavailable', status: 503, probability: 1, match: '10.9.0.0' },
    ]);
    expect(await errorOf(client.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })))).toBe(
      'Unavailable',
    );
    expect(await errorOf(client.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' })))).toBeUndefined();
    await control('DELETE', '/_local/faults');
    expect(await errorOf(client.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })))).toBeUndefined();
  });

  it('lets the first calls through when a fault starts after them', async () => {
    await control('POST', '/_local/faults', {
      service: 'ec2',
      operation: 'CreateVpc',
      code: 'VpcLimitExceeded',
      status: 400,
      count: 1,
      after: 2,
    });
    const outcomes = [];
    for (let call = 0; call < 4; call += 1) {
      outcomes.push(await errorOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))));
    }
    expect(outcomes).toEqual([undefined, undefined, 'VpcLimitExceeded', undefined]);
  });

  it('accepts faults at start', async () => {
    const faulty = await startSimulator({
      port: 0,
      services: [ec2Service],
      faults: [{ operation: 'DescribeVpcs', code: 'InternalError', status: 500, count: 1 }],
    });
    const other = new EC2Client({ endpoint: faulty.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    expect(await errorOf(other.send(new DescribeVpcsCommand({})))).toBe('InternalError');
    other.destroy();
    await faulty.close();
  });

  it('rejects a malformed fault', async () => {
    expect((await control('POST', '/_local/faults', { code: 'X' })).status).toBe(400);
  });
});

describe('control API', () => {
  it('reports health with the registered services', async () => {
    const { json } = await control('GET', '/_local/health');
    expect(json).toMatchObject({
      status: 'ok',
      services: ['ec2', 'jtest', 'qtest', 'rtest', 'xtest'],
      region: 'us-east-1',
    });
  });

  it('reads and changes the time scale', async () => {
    expect((await control('PUT', '/_local/time-scale', { scale: 0.01 })).json).toEqual({ scale: 0.01 });
    expect((await control('GET', '/_local/time-scale')).json).toEqual({ scale: 0.01 });
    expect((await control('PUT', '/_local/time-scale', { scale: 0 })).status).toBe(400);
    await control('PUT', '/_local/time-scale', { scale: 0.001 });
  });

  it('lists resources by type, filtered by tag, counts calls and resets', async () => {
    const client = new EC2Client({ endpoint: simulator.url, region: 'us-east-1', credentials });
    await client.send(
      new CreateVpcCommand({
        CidrBlock: '10.0.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'berth:environment', Value: 'env-1' }] }],
      }),
    );
    await client.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    const tagged = (await control('GET', '/_local/resources?tag=berth:environment=env-1')).json as {
      resources: Record<string, Array<{ id: string; tags: Record<string, string>; cidrBlock: string }>>;
    };
    expect(Object.keys(tagged.resources)).toEqual(['vpc']);
    expect(tagged.resources.vpc?.[0]).toMatchObject({
      tags: { 'berth:environment': 'env-1' },
      cidrBlock: '10.0.0.0/16',
    });
    const all = (await control('GET', '/_local/resources')).json as { resources: Record<string, unknown[]> };
    // The two VPCs' main route tables and the default VPC's.
    expect(all.resources['route-table']).toHaveLength(3);
    expect((await control('GET', '/_local/calls')).json).toMatchObject({
      total: 2,
      calls: { ec2: { CreateVpc: { count: 2 } } },
    });
    await control('POST', '/_local/reset');
    // Only the account's own resources come back: the default VPC, untagged.
    const afterReset = (await control('GET', '/_local/resources?tag=berth:environment')).json;
    expect(afterReset).toEqual({ resources: {} });
    expect((await control('GET', '/_local/resources?type=vpc')).json).toMatchObject({
      resources: { vpc: [expect.objectContaining({ isDefault: true })] },
    });
    expect((await control('GET', '/_local/calls')).json).toEqual({ total: 0, calls: {} });
    client.destroy();
  });

  it('answers 404 for an unknown control route', async () => {
    expect((await control('GET', '/_local/nothing')).status).toBe(404);
  });
});
