/**
 * The `/berth` slash command's text → what the user asked for. Only the command's own vocabulary is
 * checked here (subcommands, option names, sizes, templates); names, images and teams are checked
 * by the use cases, with the same rules as the HTTP API.
 */
import {
  DEFAULT_SIZE,
  DEFAULT_TEMPLATE,
  isSizeName,
  isTemplateName,
  SIZE_NAMES,
  type SizeName,
  TEMPLATE_NAMES,
  TEMPLATES,
  type TemplateName,
} from '../domain/templates';

export type SlackCommand =
  | { kind: 'help' }
  | { kind: 'create'; name: string; image: string; team?: string; size: SizeName; template: TemplateName }
  | { kind: 'status'; name: string; team?: string }
  | { kind: 'list'; team?: string }
  | { kind: 'delete'; name: string; team?: string }
  | { kind: 'policy'; team?: string }
  /** The text could not be understood; `problem` says why in words for the user. */
  | { kind: 'invalid'; problem: string };

type Subcommand = Exclude<SlackCommand['kind'], 'invalid'>;

interface Grammar {
  /** Positional arguments, in order. */
  positional: string[];
  /** `key=value` options; the required ones first. */
  options: string[];
  required: string[];
}

const GRAMMAR: Record<Subcommand, Grammar> = {
  create: { positional: ['name'], options: ['image', 'team', 'size', 'template'], required: ['image'] },
  status: { positional: ['name'], options: ['team'], required: [] },
  list: { positional: [], options: ['team'], required: [] },
  delete: { positional: ['name'], options: ['team'], required: [] },
  policy: { positional: [], options: ['team'], required: [] },
  help: { positional: [], options: [], required: [] },
};

const SUBCOMMANDS = Object.keys(GRAMMAR) as Subcommand[];

/**
 * Slack escapes `&`, `<` and `>` in command text and may turn things that look like links
 * (`registry.example.com/app:1`) into `<http://…|label>`; the user meant what they typed.
 */
export function unformatSlackText(text: string): string {
  return text
    .replace(/<([^<>|]*)\|([^<>]*)>/g, '$2')
    .replace(/<([^<>]*)>/g, '$1')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function isSubcommand(word: string): word is Subcommand {
  return (SUBCOMMANDS as string[]).includes(word);
}

function invalid(problem: string): SlackCommand {
  return { kind: 'invalid', problem };
}

/** Parses the text after the command, e.g. `create shop-dev image=nginx:1.27 size=medium`. */
export function parseSlackCommand(text: string): SlackCommand {
  const words = unformatSlackText(text).trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined) return { kind: 'help' };
  const subcommand = first.toLowerCase();
  if (!isSubcommand(subcommand)) return invalid(`I don't know the subcommand \`${first}\`.`);
  const grammar = GRAMMAR[subcommand];

  const positional: string[] = [];
  const options = new Map<string, string>();
  for (const word of rest) {
    const equals = word.indexOf('=');
    if (equals < 0) {
      positional.push(word);
      continue;
    }
    const key = word.slice(0, equals).toLowerCase();
    const value = word.slice(equals + 1);
    if (!grammar.options.includes(key)) {
      return invalid(`\`${subcommand}\` takes no option \`${key}=\`.`);
    }
    if (options.has(key)) return invalid(`\`${key}=\` is given twice.`);
    if (value === '') return invalid(`\`${key}=\` needs a value.`);
    options.set(key, value);
  }
  if (positional.length < grammar.positional.length) {
    return invalid(`\`${subcommand}\` needs the environment's ${grammar.positional.join(' and ')}.`);
  }
  if (positional.length > grammar.positional.length) {
    const extra = positional.slice(grammar.positional.length).join(' ');
    return invalid(`I don't understand \`${extra}\` (options are written \`key=value\`).`);
  }
  const missing = grammar.required.find((key) => !options.has(key));
  if (missing) return invalid(`\`${subcommand}\` needs \`${missing}=\`.`);

  const name = positional[0] ?? '';
  const team = options.get('team');
  const withTeam = team === undefined ? {} : { team };
  switch (subcommand) {
    case 'help':
      return { kind: 'help' };
    case 'list':
    case 'policy':
      return { kind: subcommand, ...withTeam };
    case 'status':
    case 'delete':
      return { kind: subcommand, name, ...withTeam };
    case 'create': {
      const size = options.get('size') ?? DEFAULT_SIZE;
      if (!isSizeName(size))
        return invalid(`\`size=${size}\` is not a size: use ${SIZE_NAMES.join(' or ')}.`);
      const template = options.get('template') ?? DEFAULT_TEMPLATE;
      if (!isTemplateName(template)) {
        return invalid(`\`template=${template}\` is not a template: use ${TEMPLATE_NAMES.join(' or ')}.`);
      }
      return { kind: 'create', name, image: options.get('image') ?? '', size, template, ...withTeam };
    }
  }
}

/** How to use the command, in Slack mrkdwn; `command` is the command as the user typed it. */
export function usageText(command = '/berth'): string {
  const templates = TEMPLATE_NAMES.map((name) => `\`${name}\` ${TEMPLATES[name].description}`).join('; ');
  return [
    '*berth* creates and manages ECS environments for your team:',
    `• \`${command} create <name> image=<image> [team=<team>] [size=${SIZE_NAMES.join('|')}] [template=${TEMPLATE_NAMES.join('|')}]\``,
    `• \`${command} status <name> [team=<team>]\``,
    `• \`${command} list [team=<team>]\``,
    `• \`${command} delete <name> [team=<team>]\` (asks for confirmation)`,
    `• \`${command} policy [team=<team>]\` (what the team may ask for: DNS zones, images, secrets, EC2, sizes)`,
    `• \`${command} help\``,
    `Templates: ${templates}. Defaults: template=${DEFAULT_TEMPLATE}, size=${DEFAULT_SIZE}; team= is needed when you belong to several teams.`,
  ].join('\n');
}
