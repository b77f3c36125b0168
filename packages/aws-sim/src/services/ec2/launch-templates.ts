/** Launch templates (one version each: berth creates a template per cluster and replaces it whole). */
import { readRecord, readString, readStringList } from '../../input';
import { AwsError, type OperationInput, type SimContext } from '../../kernel';
import { launchTemplateDataView } from './launch-template-data';
import {
  applyFilters,
  isoTime,
  type LaunchTemplate,
  paginate,
  readFilters,
  requireParam,
  tagSet,
  tagsAtCreation,
} from './model';

function launchTemplateView(template: LaunchTemplate, ctx: SimContext) {
  return {
    launchTemplateId: template.id,
    launchTemplateName: template.launchTemplateName,
    createTime: isoTime(template.createdAt),
    createdBy: `arn:aws:iam::${ctx.accountId}:root`,
    defaultVersionNumber: 1,
    latestVersionNumber: 1,
    tagSet: tagSet(template.tags),
  };
}

function idNotFound(id: string): AwsError {
  return new AwsError(
    'InvalidLaunchTemplateId.NotFound',
    `The specified launch template, with template ID ${id}, does not exist.`,
  );
}

function nameNotFound(): AwsError {
  return new AwsError(
    'InvalidLaunchTemplateName.NotFoundException',
    'At least one of the launch templates specified in the request does not exist.',
  );
}

/** A launch template by id or name (Auto Scaling and ECS read its data through this). */
export function findLaunchTemplate(ctx: SimContext, ref: { id?: string; name?: string }): LaunchTemplate {
  if (ref.id)
    return ctx.store.require<LaunchTemplate>('launch-template', ref.id, () => idNotFound(ref.id ?? ''));
  const template = ctx.store
    .list<LaunchTemplate>('launch-template')
    .find((candidate) => candidate.launchTemplateName === ref.name);
  if (!template) throw nameNotFound();
  return template;
}

export function createLaunchTemplate(input: OperationInput, ctx: SimContext): unknown {
  const name = requireParam(input, 'LaunchTemplateName');
  if (!/^[a-zA-Z0-9().\-/_]{3,128}$/.test(name)) {
    throw new AwsError(
      'InvalidLaunchTemplateName.MalformedException',
      `The launch template name '${name}' is malformed.`,
    );
  }
  const data = readRecord(input, 'LaunchTemplateData');
  if (!data)
    throw new AwsError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  if (
    ctx.store.list<LaunchTemplate>('launch-template').some((template) => template.launchTemplateName === name)
  ) {
    throw new AwsError(
      'InvalidLaunchTemplateName.AlreadyExistsException',
      `Launch template name already in use.`,
    );
  }
  const template = ctx.store.put<LaunchTemplate>({
    type: 'launch-template',
    id: ctx.ids.ec2('lt'),
    tags: tagsAtCreation(input, 'launch-template'),
    createdAt: ctx.clock.now(),
    launchTemplateName: name,
    data,
    versionDescription: readString(input, 'VersionDescription'),
  });
  return { launchTemplate: launchTemplateView(template, ctx) };
}

export function describeLaunchTemplates(input: OperationInput, ctx: SimContext): unknown {
  const ids = readStringList(input, 'LaunchTemplateId');
  const names = readStringList(input, 'LaunchTemplateName');
  let templates = ctx.store.list<LaunchTemplate>('launch-template');
  if (ids.length > 0) templates = ids.map((id) => findLaunchTemplate(ctx, { id }));
  if (names.length > 0) templates = names.map((name) => findLaunchTemplate(ctx, { name }));
  const filtered = applyFilters(templates, readFilters(input), {
    'launch-template-name': (template) => template.launchTemplateName,
    'launch-template-id': (template) => template.id,
  });
  const { page, nextToken } = paginate(filtered, input, { min: 1, max: 200 });
  return { launchTemplates: page.map((template) => launchTemplateView(template, ctx)), nextToken };
}

export function describeLaunchTemplateVersions(input: OperationInput, ctx: SimContext): unknown {
  const template = findLaunchTemplate(ctx, {
    id: readString(input, 'LaunchTemplateId'),
    name: readString(input, 'LaunchTemplateName'),
  });
  return {
    launchTemplateVersionSet: [
      {
        launchTemplateId: template.id,
        launchTemplateName: template.launchTemplateName,
        versionNumber: 1,
        versionDescription: template.versionDescription,
        createTime: isoTime(template.createdAt),
        createdBy: `arn:aws:iam::${ctx.accountId}:root`,
        defaultVersion: true,
        launchTemplateData: launchTemplateDataView(template.data),
      },
    ],
  };
}

export function deleteLaunchTemplate(input: OperationInput, ctx: SimContext): unknown {
  const id = readString(input, 'LaunchTemplateId');
  const name = readString(input, 'LaunchTemplateName');
  if (!id && !name)
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter LaunchTemplateId or LaunchTemplateName',
    );
  const template = findLaunchTemplate(ctx, { id, name });
  ctx.store.delete('launch-template', template.id);
  return { launchTemplate: launchTemplateView(template, ctx) };
}
