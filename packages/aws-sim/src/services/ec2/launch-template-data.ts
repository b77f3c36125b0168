/**
 * A launch template's data as DescribeLaunchTemplateVersions answers it. CreateLaunchTemplate stores
 * the `RequestLaunchTemplateData` members as the ec2 query protocol names them (`SecurityGroupId: []`,
 * `BlockDeviceMapping: [{ Ebs: {…} }]`, `TagSpecification: [{ Tag: [] }]`); the answer is the model's
 * `ResponseLaunchTemplateData`, whose lists are `…Set` elements (`securityGroupIdSet`,
 * `blockDeviceMappingSet`, `tagSpecificationSet` with `tagSet`) and whose other members are the
 * lowerCamel names. The SDK reads only those names, so the conversion is spelled out per member
 * below; members outside the tables are not echoed.
 */
import { isRecord } from '../../input';
import type { OperationInput } from '../../kernel';
import { XmlList } from '../../protocols/xml';

/**
 * How one request member becomes a response element:
 * - a string: a scalar, written under that element name;
 * - `{ struct, fields }`: a structure;
 * - `{ list, fields? , item? }`: a list, of structures when `fields` is given, else of strings;
 *   items are `<item>` unless the model names them otherwise (`item`).
 */
type Rule = string | { struct: string; fields: Rules } | { list: string; fields?: Rules; item?: string };

type Rules = Readonly<Record<string, Rule>>;

const tag: Rules = { Key: 'key', Value: 'value' };

const ebs: Rules = {
  DeleteOnTermination: 'deleteOnTermination',
  Encrypted: 'encrypted',
  Iops: 'iops',
  KmsKeyId: 'kmsKeyId',
  SnapshotId: 'snapshotId',
  Throughput: 'throughput',
  VolumeSize: 'volumeSize',
  VolumeType: 'volumeType',
};

const blockDeviceMapping: Rules = {
  DeviceName: 'deviceName',
  Ebs: { struct: 'ebs', fields: ebs },
  NoDevice: 'noDevice',
  VirtualName: 'virtualName',
};

const networkInterface: Rules = {
  AssociatePublicIpAddress: 'associatePublicIpAddress',
  DeleteOnTermination: 'deleteOnTermination',
  Description: 'description',
  DeviceIndex: 'deviceIndex',
  // The one list of this shape whose items the model does not call `item`.
  SecurityGroupId: { list: 'groupSet', item: 'groupId' },
  InterfaceType: 'interfaceType',
  NetworkCardIndex: 'networkCardIndex',
  NetworkInterfaceId: 'networkInterfaceId',
  PrivateIpAddress: 'privateIpAddress',
  SecondaryPrivateIpAddressCount: 'secondaryPrivateIpAddressCount',
  SubnetId: 'subnetId',
};

const launchTemplateData: Rules = {
  BlockDeviceMapping: { list: 'blockDeviceMappingSet', fields: blockDeviceMapping },
  DisableApiStop: 'disableApiStop',
  DisableApiTermination: 'disableApiTermination',
  EbsOptimized: 'ebsOptimized',
  IamInstanceProfile: { struct: 'iamInstanceProfile', fields: { Arn: 'arn', Name: 'name' } },
  ImageId: 'imageId',
  InstanceInitiatedShutdownBehavior: 'instanceInitiatedShutdownBehavior',
  InstanceType: 'instanceType',
  KernelId: 'kernelId',
  KeyName: 'keyName',
  MetadataOptions: {
    struct: 'metadataOptions',
    fields: {
      HttpEndpoint: 'httpEndpoint',
      HttpProtocolIpv6: 'httpProtocolIpv6',
      HttpPutResponseHopLimit: 'httpPutResponseHopLimit',
      HttpTokens: 'httpTokens',
      InstanceMetadataTags: 'instanceMetadataTags',
    },
  },
  Monitoring: { struct: 'monitoring', fields: { Enabled: 'enabled' } },
  NetworkInterface: { list: 'networkInterfaceSet', fields: networkInterface },
  RamDiskId: 'ramDiskId',
  SecurityGroup: { list: 'securityGroupSet' },
  SecurityGroupId: { list: 'securityGroupIdSet' },
  TagSpecification: {
    list: 'tagSpecificationSet',
    fields: { ResourceType: 'resourceType', Tag: { list: 'tagSet', fields: tag } },
  },
  UserData: 'userData',
};

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function convertList(value: unknown, rule: { fields?: Rules; item?: string }): unknown[] | XmlList {
  const items = (Array.isArray(value) ? value : []).flatMap((item): unknown[] => {
    if (rule.fields) return isRecord(item) ? [convert(item, rule.fields)] : [];
    return isScalar(item) ? [String(item)] : [];
  });
  return rule.item === undefined ? items : new XmlList(rule.item, items);
}

function convert(input: OperationInput, rules: Rules): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const [member, rule] of Object.entries(rules)) {
    const value = input[member];
    if (value === undefined || value === null) continue;
    if (typeof rule === 'string') {
      if (isScalar(value)) output[rule] = String(value);
    } else if ('struct' in rule) {
      if (isRecord(value)) output[rule.struct] = convert(value, rule.fields);
    } else {
      output[rule.list] = convertList(value, rule);
    }
  }
  return output;
}

/** The stored `LaunchTemplateData` input as the `launchTemplateData` element of a version. */
export function launchTemplateDataView(data: OperationInput): Record<string, unknown> {
  return convert(data, launchTemplateData);
}
