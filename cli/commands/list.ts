import { STATUSES } from '../../shared/domain/status';
import type { CommandDefinition } from '../args';
import { printJson } from '../describe';
import { type EnvironmentView, listAllEnvironments } from '../environment-view';
import { EXIT } from '../exit-codes';
import { renderTable } from '../table';

export const LIST_HEADERS = ['ID', 'NAME', 'TEAM', 'STATUS', 'PERCENT', 'URL'] as const;

export function listRow(environment: EnvironmentView): string[] {
  return [
    environment.id,
    environment.name,
    environment.team,
    environment.status,
    `${Math.round(environment.progress.percent)}%`,
    environment.outputs.url ?? '-',
  ];
}

export const listCommand: CommandDefinition = {
  name: 'list',
  summary: "List your teams' environments, newest first.",
  usage: 'list [--team <team>] [--status <status>]',
  arguments: [],
  options: {
    team: { type: 'string', valueName: '<team>', description: "only this team's environments" },
    status: {
      type: 'string',
      valueName: '<status>',
      description: `only this status: ${STATUSES.join(', ')}`,
    },
  },
  examples: ['berth list', 'berth list --team payments --status READY', 'berth list --json'],
  async run(context, input) {
    // Statuses are upper case on the wire; `--status ready` is what people type. The API rejects the rest (400).
    const status = input.options.string('status')?.toUpperCase();
    const { raw, environments } = await listAllEnvironments(context.client, {
      team: input.options.string('team'),
      status,
    });
    if (context.json) printJson(context.stdout, { items: raw });
    else if (environments.length === 0) context.stdout.write('No environments.\n');
    else context.stdout.write(`${renderTable(LIST_HEADERS, environments.map(listRow))}\n`);
    return EXIT.ok;
  },
};
