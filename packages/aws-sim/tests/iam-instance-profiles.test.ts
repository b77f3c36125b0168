/**
 * Instance profiles of the simulated IAM API through the SDK v3 IAM client: one role per profile,
 * AWS's refusals (LimitExceeded, DeleteConflict both ways, NoSuchEntity), iam:PassRole on
 * AddRoleToInstanceProfile, and the role an instance launched with the profile acts as.
 */
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  GetInstanceProfileCommand,
  IAMClient,
  ListInstanceProfilesForRoleCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import type { Statement } from '../src/iam/policy';
import { iam } from '../src/services/iam';
import { roleNameOfInstanceProfile } from '../src/services/iam/instance-profiles';
import { ACCOUNT, asRole, refusalOf } from './iam-session';
import { iamSuite } from './support/iam-suite';

const ec2Trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const suite = iamSuite([iam]);

async function roleAndProfile(name: string): Promise<void> {
  await suite.operator.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: ec2Trust }));
  await suite.operator.send(
    new CreateInstanceProfileCommand({
      InstanceProfileName: name,
      Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
    }),
  );
}

describe('instance profiles', () => {
  it('creates a profile, adds its role and answers both', async () => {
    // Prepare
    await roleAndProfile('berth-env-a-instance');

    // Act
    await suite.operator.send(
      new AddRoleToInstanceProfileCommand({
        InstanceProfileName: 'berth-env-a-instance',
        RoleName: 'berth-env-a-instance',
      }),
    );
    const { InstanceProfile } = await suite.operator.send(
      new GetInstanceProfileCommand({ InstanceProfileName: 'berth-env-a-instance' }),
    );

    // Assess
    expect(InstanceProfile).toMatchObject({
      InstanceProfileName: 'berth-env-a-instance',
      Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/berth-env-a-instance`,
      InstanceProfileId: expect.stringMatching(/^AIPA/),
      Roles: [expect.objectContaining({ RoleName: 'berth-env-a-instance' })],
      Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
    });
    expect(roleNameOfInstanceProfile(suite.services.running.sim.ctx, 'berth-env-a-instance')).toBe(
      'berth-env-a-instance',
    );
  });

  it('refuses a second role in one profile with LimitExceeded', async () => {
    // Prepare
    await roleAndProfile('one');
    await suite.operator.send(new CreateRoleCommand({ RoleName: 'two', AssumeRolePolicyDocument: ec2Trust }));
    await suite.operator.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'one', RoleName: 'one' }),
    );

    // Act
    const refusal = await refusalOf(
      suite.operator.send(
        new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'one', RoleName: 'two' }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('LimitExceededException');
    expect(refusal.message).toBe('Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1');
  });

  it('refuses to delete a profile that holds a role, or a role in a profile (DeleteConflict), then both go in order', async () => {
    // Prepare
    await roleAndProfile('held');
    await suite.operator.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'held', RoleName: 'held' }),
    );

    // Act
    const profileFirst = await refusalOf(
      suite.operator.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'held' })),
    );
    const roleFirst = await refusalOf(suite.operator.send(new DeleteRoleCommand({ RoleName: 'held' })));
    await suite.operator.send(
      new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'held', RoleName: 'held' }),
    );
    await suite.operator.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'held' }));
    await suite.operator.send(new DeleteRoleCommand({ RoleName: 'held' }));

    // Assess
    expect(profileFirst.name).toBe('DeleteConflictException');
    expect(roleFirst.name).toBe('DeleteConflictException');
    const gone = await refusalOf(
      suite.operator.send(new GetInstanceProfileCommand({ InstanceProfileName: 'held' })),
    );
    expect(gone.name).toBe('NoSuchEntityException');
    expect(gone.message).toBe('Instance Profile held cannot be found.');
  });

  it('lists the profiles of a role', async () => {
    // Prepare
    await roleAndProfile('listed');
    await suite.operator.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'listed', RoleName: 'listed' }),
    );

    // Act
    const { InstanceProfiles = [] } = await suite.operator.send(
      new ListInstanceProfilesForRoleCommand({ RoleName: 'listed' }),
    );

    // Assess
    expect(InstanceProfiles.map((profile) => profile.InstanceProfileName)).toEqual(['listed']);
  });

  it('refuses a second profile of the same name with EntityAlreadyExists', async () => {
    // Prepare
    await roleAndProfile('twice');

    // Act
    const refusal = await refusalOf(
      suite.operator.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'Twice' })),
    );

    // Assess
    expect(refusal.name).toBe('EntityAlreadyExistsException');
  });
});

describe('authorisation', () => {
  const profiles = `arn:aws:iam::${ACCOUNT}:instance-profile/berth-*`;
  const roles = `arn:aws:iam::${ACCOUNT}:role/berth-*`;
  const manage: Statement = {
    Effect: 'Allow',
    Action: ['iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:GetInstanceProfile'],
    Resource: profiles,
  };

  it('refuses AddRoleToInstanceProfile without iam:PassRole on the role, and allows it with', async () => {
    // Prepare
    await suite.operator.send(
      new CreateRoleCommand({ RoleName: 'berth-env-b-instance', AssumeRolePolicyDocument: ec2Trust }),
    );
    await suite.operator.send(
      new CreateInstanceProfileCommand({ InstanceProfileName: 'berth-env-b-instance' }),
    );
    const without = new IAMClient(asRole(suite.services, 'ProfileMaker', [manage]));
    const withPass = new IAMClient(
      asRole(suite.services, 'ProfileMakerPass', [
        manage,
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: roles },
      ]),
    );
    const add = new AddRoleToInstanceProfileCommand({
      InstanceProfileName: 'berth-env-b-instance',
      RoleName: 'berth-env-b-instance',
    });

    // Act
    const refusal = await refusalOf(without.send(add));
    await withPass.send(add);

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain(
      `iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/berth-env-b-instance`,
    );
    const { InstanceProfile } = await suite.operator.send(
      new GetInstanceProfileCommand({ InstanceProfileName: 'berth-env-b-instance' }),
    );
    expect(InstanceProfile?.Roles?.map((role) => role.RoleName)).toEqual(['berth-env-b-instance']);
    without.destroy();
    withPass.destroy();
  });

  it('refuses CreateInstanceProfile with tags without iam:TagInstanceProfile', async () => {
    // Prepare
    const client = new IAMClient(asRole(suite.services, 'ProfileMakerNoTag', [manage]));

    // Act
    const refusal = await refusalOf(
      client.send(
        new CreateInstanceProfileCommand({
          InstanceProfileName: 'berth-env-c-instance',
          Tags: [{ Key: 'berth:managed-by', Value: 'berth' }],
        }),
      ),
    );

    // Assess
    expect(refusal.message).toContain('iam:TagInstanceProfile');
    client.destroy();
  });
});
