/**
 * Every message berth writes to Slack (mrkdwn text and Block Kit), in one place so that the command,
 * the button and the progress notifier speak alike.
 */
import type { UseCaseError } from '../app/errors';
import type { Environment } from '../domain/environment';
import type { Status } from '../domain/status';
import type { TeamPolicyView } from '../domain/team-policy';
import { describeTeamPolicy } from '../domain/team-policy-description';
import { usageText } from './command';

/** A Block Kit block; berth builds only sections and action rows. */
export type SlackBlock = Record<string, unknown>;

/** A slash-command answer or a response_url message. */
export interface SlackMessage {
  response_type?: 'ephemeral' | 'in_channel';
  /** Shown in notifications and by clients without Block Kit; always set. */
  text: string;
  blocks?: SlackBlock[];
  replace_original?: boolean;
  delete_original?: boolean;
}

/** action_id of the confirmation buttons; the button value is the environment id. */
export const DELETE_ACTION = 'berth-delete-confirm';
export const CANCEL_ACTION = 'berth-delete-cancel';

/** Slack reads `&`, `<` and `>` as markup (links, mentions); text from elsewhere must be escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function ephemeral(text: string, blocks?: SlackBlock[]): SlackMessage {
  return { response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) };
}

export function usageMessage(command: string, problem?: string): SlackMessage {
  return ephemeral(problem ? `${problem}\n\n${usageText(command)}` : usageText(command));
}

export function unmappedMessage(
  slackTeamId: string,
  slackUserId: string,
  adminContact: string,
): SlackMessage {
  return ephemeral(
    `:wave: Your Slack account is not linked to a berth team yet. Please ask ${escapeMrkdwn(adminContact)} ` +
      `to map you (workspace \`${slackTeamId}\`, user \`${slackUserId}\`) to your team(s); then try again.`,
  );
}

export function chooseTeamMessage(teams: string[], adminContact: string): SlackMessage {
  if (teams.length === 0) {
    return ephemeral(
      `Your Slack account is linked to no berth team: add \`team=<team>\`, or ask ${escapeMrkdwn(adminContact)} to map you.`,
    );
  }
  return ephemeral(`You belong to several teams (${teams.join(', ')}): add \`team=<team>\` to say which.`);
}

export function ambiguousNameMessage(name: string, teams: string[]): SlackMessage {
  return ephemeral(
    `Teams ${teams.join(', ')} each have an environment named *${escapeMrkdwn(name)}*: add \`team=<team>\` to say which.`,
  );
}

export function notFoundMessage(name: string, teams: string[]): SlackMessage {
  const where = teams.length === 1 ? `team *${teams[0]}*` : `your teams (${teams.join(', ')})`;
  return ephemeral(`I can't find an environment named *${escapeMrkdwn(name)}* in ${where}.`);
}

/** A use case refused the request: say why in the user's terms, never as a server error. */
export function failureMessage(error: UseCaseError): SlackMessage {
  if (error.kind === 'unavailable') {
    return ephemeral(
      ':hourglass: berth could not start the workflow just now. Please try again in a minute.',
    );
  }
  const fields = (error.errors ?? []).map(
    (field) => `• \`${escapeMrkdwn(slackArgumentOf(field.path))}\`: ${escapeMrkdwn(field.message)}`,
  );
  return ephemeral([`:no_entry: ${escapeMrkdwn(error.detail)}`, ...fields].join('\n'));
}

/** `/services/0/image` → `image`: the spec's paths in the words of the command's arguments. */
function slackArgumentOf(path: string): string {
  return path.replace(/^\/services\/0\//, '').replace(/^\//, '') || 'request';
}

export function internalErrorMessage(): SlackMessage {
  return ephemeral(':boom: Something went wrong on our side; it has been logged. Please try again later.');
}

export function createdMessage(environment: Environment, template: string, size: string): SlackMessage {
  return ephemeral(
    `:rocket: Creating *${environment.name}* for team *${environment.team}* (\`${environment.id}\`, ` +
      `template ${template}, size ${size}). I'll post progress here.`,
  );
}

const STATUS_EMOJI: Record<Status, string> = {
  REQUESTED: ':inbox_tray:',
  PROVISIONING: ':hourglass_flowing_sand:',
  READY: ':white_check_mark:',
  ROLLING_BACK: ':warning:',
  FAILED: ':x:',
  UPDATING: ':hourglass_flowing_sand:',
  UPDATE_FAILED: ':x:',
  DELETING: ':wastebasket:',
  DELETED: ':white_check_mark:',
  DELETE_FAILED: ':x:',
};

function errorText(error: { step?: string; code: string; message: string } | undefined): string {
  if (!error) return '';
  const step = error.step ? ` at step \`${escapeMrkdwn(error.step)}\`` : '';
  return `${step}: ${escapeMrkdwn(error.code)} — ${escapeMrkdwn(error.message)}`;
}

export function statusMessage(environment: Environment): SlackMessage {
  const { progress, outputs } = environment;
  const lines = [
    `${STATUS_EMOJI[environment.status]} *${environment.name}* (team ${environment.team}, \`${environment.id}\`): *${environment.status}*, ${progress.percent}% done`,
  ];
  if (progress.currentStep) lines.push(`Current step: \`${escapeMrkdwn(progress.currentStep)}\``);
  if (outputs.url) lines.push(`URL: ${escapeMrkdwn(outputs.url)}`);
  if (environment.error) lines.push(`Last error${errorText(environment.error)}`);
  return ephemeral(lines.join('\n'));
}

export function listMessage(environments: Environment[], teams: string[], more: boolean): SlackMessage {
  if (environments.length === 0) {
    return ephemeral(`No environments in ${teams.length === 1 ? `team *${teams[0]}*` : 'your teams'} yet.`);
  }
  const lines = environments.map(
    (environment) =>
      `${STATUS_EMOJI[environment.status]} *${environment.name}* (${environment.team}) ${environment.status}` +
      (environment.outputs.url ? ` — ${escapeMrkdwn(environment.outputs.url)}` : ''),
  );
  if (more) lines.push('_…and more: the API lists them all._');
  return ephemeral(lines.join('\n'));
}

export function deleteConfirmation(environment: Environment): SlackMessage {
  const question =
    `:warning: Delete *${environment.name}* of team *${environment.team}* (\`${environment.id}\`, ${environment.status})? ` +
    'Its services, load balancer and network are torn down; this cannot be undone.';
  return ephemeral(`Delete ${environment.name} of team ${environment.team}?`, [
    { type: 'section', text: { type: 'mrkdwn', text: question } },
    {
      type: 'actions',
      block_id: 'berth-delete',
      elements: [
        {
          type: 'button',
          action_id: DELETE_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: `Delete ${environment.name}` },
          value: environment.id,
        },
        {
          type: 'button',
          action_id: CANCEL_ACTION,
          text: { type: 'plain_text', text: 'Cancel' },
          value: environment.id,
        },
      ],
    },
  ]);
}

export function alreadyDeletingMessage(environment: Environment): SlackMessage {
  return ephemeral(
    `*${environment.name}* is already ${environment.status === 'DELETED' ? 'deleted' : 'being deleted'}.`,
  );
}

/** Replaces the confirmation once the button is clicked. */
export function deletingMessage(environment: Environment): SlackMessage {
  return {
    replace_original: true,
    text: `:wastebasket: Deleting *${environment.name}* of team *${environment.team}*. I'll post here when it is gone.`,
  };
}

export function cancelledMessage(): SlackMessage {
  return { replace_original: true, text: 'Cancelled: nothing was deleted.' };
}

/** A button click that cannot be carried out: the confirmation is replaced with the reason. */
export function replacing(message: SlackMessage): SlackMessage {
  return { replace_original: true, text: message.text };
}

/** What the notifier posts for a status event. */
export interface StatusChange {
  name: string;
  team: string;
  status: Status;
  previousStatus?: Status | null;
  outputs?: { url?: string | undefined };
  error?: { step?: string; code: string; message: string };
}

export function progressMessage(change: StatusChange): SlackMessage {
  const who = `*${escapeMrkdwn(change.name)}* (team ${escapeMrkdwn(change.team)})`;
  const emoji = STATUS_EMOJI[change.status];
  const texts: Record<Status, () => string> = {
    REQUESTED: () => `${who} has been requested.`,
    PROVISIONING: () => `${who}: provisioning is under way.`,
    READY: () =>
      change.previousStatus === 'UPDATING'
        ? `${who} has been updated.`
        : `${who} is ready${change.outputs?.url ? `: ${escapeMrkdwn(change.outputs.url)}` : '.'}`,
    ROLLING_BACK: () => `${who}: provisioning failed${errorText(change.error)}. Removing what was created.`,
    FAILED: () => `${who} could not be created${errorText(change.error)}.`,
    UPDATING: () => `${who}: update under way.`,
    UPDATE_FAILED: () => `${who}: the update failed${errorText(change.error)}.`,
    DELETING: () => `${who}: teardown is under way.`,
    DELETED: () => `${who} has been deleted.`,
    DELETE_FAILED: () =>
      `${who}: teardown failed${errorText(change.error)}. \`/berth delete ${escapeMrkdwn(change.name)}\` tries again.`,
  };
  return { response_type: 'ephemeral', replace_original: false, text: `${emoji} ${texts[change.status]()}` };
}

/** Appended to the last message a response_url accepts while the workflow is still running. */
export function lastMessageNote(name: string): string {
  return `\n_Slack lets me post only 5 updates here, so this is the last one: use \`/berth status ${escapeMrkdwn(name)}\` to follow along._`;
}

/** The team's policy in force, one rule a line (as `berth policy get` prints it). */
export function policyMessage(view: TeamPolicyView): SlackMessage {
  const [heading = '', ...rules] = describeTeamPolicy(view);
  return ephemeral(
    [`:scroll: ${heading}`, ...rules.map((rule) => `• ${rule.trim()}`)].map(escapeMrkdwn).join('\n'),
  );
}
