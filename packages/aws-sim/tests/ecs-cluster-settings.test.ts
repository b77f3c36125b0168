/**
 * UpdateClusterSettings as AWS answers it: the named setting replaced on an ACTIVE cluster,
 * InvalidParameterException for an unknown setting or value and for no settings,
 * ClusterNotFoundException for a cluster that does not exist, and IAM on the cluster with its tags.
 */
import {
  type ClusterSetting,
  type ClusterSettingName,
  CreateClusterCommand,
  DescribeClustersCommand,
  ECSClient,
  UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import { ecs } from '../src/services/ecs';
import { arn, asRole, refusalOf } from './iam-session';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let operator: ECSClient;

beforeAll(async () => {
  services = await startServices([ecs]);
  operator = new ECSClient(services.clientConfig);
});

afterAll(async () => {
  operator.destroy();
  await services.running.close();
});

beforeEach(() => {
  services.running.sim.reset();
  services.running.sim.iam.enforce = false;
});

async function insightsOf(cluster: string): Promise<string | undefined> {
  const { clusters = [] } = await operator.send(
    new DescribeClustersCommand({ clusters: [cluster], include: ['SETTINGS'] }),
  );
  return clusters[0]?.settings?.find((setting) => setting.name === 'containerInsights')?.value;
}

async function cluster(name: string, tags = [{ key: 'berth:managed-by', value: 'berth' }]): Promise<void> {
  await operator.send(
    new CreateClusterCommand({
      clusterName: name,
      settings: [{ name: 'containerInsights', value: 'enabled' }],
      tags,
    }),
  );
}

describe('UpdateClusterSettings', () => {
  it('turns Container Insights off on an existing cluster', async () => {
    // Prepare
    await cluster('shop');

    // Act
    const { cluster: answered } = await operator.send(
      new UpdateClusterSettingsCommand({
        cluster: 'shop',
        settings: [{ name: 'containerInsights', value: 'disabled' }],
      }),
    );

    // Assess
    expect(answered?.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }]);
    expect(await insightsOf('shop')).toBe('disabled');
  });

  it.each<[string, ClusterSetting[]]>([
    // The SDK's type admits only containerInsights: the cast sends what a hand-made request could.
    ['an unknown setting', [{ name: 'insights' as ClusterSettingName, value: 'enabled' }]],
    ['an unknown value', [{ name: 'containerInsights', value: 'on' }]],
    ['no settings', []],
  ])('refuses %s with InvalidParameterException and changes nothing', async (_case, settings) => {
    // Prepare
    await cluster('shop');

    // Act
    const refusal = await refusalOf(
      operator.send(new UpdateClusterSettingsCommand({ cluster: 'shop', settings })),
    );

    // Assess
    expect(refusal.name).toBe('InvalidParameterException');
    expect(await insightsOf('shop')).toBe('enabled');
  });

  it('answers ClusterNotFoundException for a cluster that does not exist', async () => {
    // Act
    const refusal = await refusalOf(
      operator.send(
        new UpdateClusterSettingsCommand({
          cluster: 'missing',
          settings: [{ name: 'containerInsights', value: 'enabled' }],
        }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('ClusterNotFoundException');
  });
});

describe('UpdateClusterSettings and IAM', () => {
  // As infra/functions/steps.js grants it to update-settings: only on clusters carrying berth's tag.
  const grants = [
    {
      Sid: 'Settings',
      Effect: 'Allow' as const,
      Action: 'ecs:UpdateClusterSettings',
      Resource: arn('ecs', 'cluster/*'),
      Condition: { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } },
    },
  ];

  it('lets a role with the grant change a cluster berth tagged', async () => {
    // Prepare
    await cluster('shop');
    services.running.sim.iam.enforce = true;
    const client = new ECSClient(asRole(services, 'UpdateSettingsRole', grants));

    // Act
    await client.send(
      new UpdateClusterSettingsCommand({
        cluster: 'shop',
        settings: [{ name: 'containerInsights', value: 'disabled' }],
      }),
    );

    // Assess
    client.destroy();
    expect(await insightsOf('shop')).toBe('disabled');
  });

  it('refuses a cluster without berth’s tag with AccessDeniedException naming the action', async () => {
    // Prepare
    await cluster('someone-else', []);
    services.running.sim.iam.enforce = true;
    const client = new ECSClient(asRole(services, 'UpdateSettingsRole', grants));

    // Act
    const refusal = await refusalOf(
      client.send(
        new UpdateClusterSettingsCommand({
          cluster: 'someone-else',
          settings: [{ name: 'containerInsights', value: 'disabled' }],
        }),
      ),
    );

    // Assess
    client.destroy();
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(
      `ecs:UpdateClusterSettings on resource: ${arn('ecs', 'cluster/someone-else')}`,
    );
    services.running.sim.iam.enforce = false;
    expect(await insightsOf('someone-else')).toBe('enabled');
  });
});
