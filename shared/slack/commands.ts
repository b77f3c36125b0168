/**
 * `POST /slack/commands`: the `/berth` slash command. Slack waits 3 s for the answer, so this only
 * checks the signature, calls one use case (create and delete only record and start a workflow)
 * and answers with an ephemeral message; the workflow's progress reaches the user later through the
 * response_url (notifier.ts). Whatever the user typed, the answer is a message, never a 5xx.
 */
import { createEnvironment } from '../app/create';
import { UseCaseError } from '../app/errors';
import { getEnvironmentByName, listEnvironments } from '../app/reads';
import { callerForSlackUser } from '../app/slack-users';
import { getTeamPolicy } from '../app/team-policies';
import type { Caller } from '../domain/caller';
import type { Environment } from '../domain/environment';
import { requestFromTemplate } from '../domain/templates';
import * as z from '../domain/zod';
import { type HttpRequest, type HttpResponse, logger } from '../http/handler';
import { HttpProblem } from '../http/problem';
import { parseSlackCommand, type SlackCommand } from './command';
import {
  alreadyDeletingMessage,
  ambiguousNameMessage,
  chooseTeamMessage,
  createdMessage,
  deleteConfirmation,
  failureMessage,
  internalErrorMessage,
  listMessage,
  notFoundMessage,
  policyMessage,
  type SlackMessage,
  statusMessage,
  unmappedMessage,
  usageMessage,
} from './messages';
import type { SlackDependencies } from './ports';
import { readSignedForm } from './request';
import { RESPONSE_URL_LIFETIME_MS, responseUrlAllowed } from './response-url';

/** The fields of Slack's slash-command request that berth reads (it sends more). */
const slashCommandSchema = z.object({
  team_id: z.string().check(z.minLength(1)),
  user_id: z.string().check(z.minLength(1)),
  command: z._default(z.string().check(z.minLength(1)), '/berth'),
  text: z._default(z.string(), ''),
  response_url: z.url({ protocol: /^https?$/ }),
});
type SlashCommand = z.output<typeof slashCommandSchema>;

/** How many environments `list` shows; a Slack message is no place for pages. */
const LIST_LIMIT = 20;

export async function handleSlashCommand(
  deps: SlackDependencies,
  request: HttpRequest,
): Promise<HttpResponse> {
  const form = readSignedForm(deps, request);
  const parsed = slashCommandSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    throw new HttpProblem('bad-request', 'Bad Request', 'the body is not a Slack slash command');
  }
  if (!responseUrlAllowed(parsed.data.response_url, deps.responseUrlOrigins)) {
    throw new HttpProblem('bad-request', 'Bad Request', "the response_url is not on Slack's host");
  }
  return { status: 200, body: await answer(deps, parsed.data) };
}

async function answer(deps: SlackDependencies, request: SlashCommand): Promise<SlackMessage> {
  const command = parseSlackCommand(request.text);
  if (command.kind === 'help') return usageMessage(request.command);
  if (command.kind === 'invalid') return usageMessage(request.command, command.problem);

  try {
    const caller = await callerForSlackUser(deps, request.team_id, request.user_id);
    if (!caller) return unmappedMessage(request.team_id, request.user_id, deps.adminContact);
    return await run(deps, caller, command, request);
  } catch (error) {
    if (error instanceof UseCaseError) return failureMessage(error);
    logger.error('Slack command failed', { error, command: command.kind });
    return internalErrorMessage();
  }
}

async function run(
  deps: SlackDependencies,
  caller: Caller,
  command: Exclude<SlackCommand, { kind: 'help' | 'invalid' }>,
  request: SlashCommand,
): Promise<SlackMessage> {
  switch (command.kind) {
    case 'create': {
      // One team needs no saying; with several, guessing would create in the wrong one.
      const team = command.team ?? (caller.teams.length === 1 ? caller.teams[0] : undefined);
      if (team === undefined) return chooseTeamMessage(caller.teams, deps.adminContact);
      const body = requestFromTemplate(command.template, {
        name: command.name,
        team,
        image: command.image,
        size: command.size,
      });
      const outcome = await createEnvironment(deps, caller, body);
      if (outcome.kind === 'dry-run') throw new Error('a Slack create is never a dry run');
      const now = (deps.now ?? (() => new Date()))();
      await deps.slack.saveResponseUrl({
        environmentId: outcome.environment.id,
        responseUrl: request.response_url,
        expiresAt: new Date(now.getTime() + RESPONSE_URL_LIFETIME_MS),
        sent: 0,
        // The answer below already says it was requested.
        lastStatus: 'REQUESTED',
      });
      return createdMessage(outcome.environment, command.template, command.size);
    }
    case 'status': {
      const found = await findByName(deps, caller, command.name, command.team);
      return 'environment' in found ? statusMessage(found.environment) : found.message;
    }
    case 'delete': {
      const found = await findByName(deps, caller, command.name, command.team);
      if (!('environment' in found)) return found.message;
      const { environment } = found;
      if (environment.status === 'DELETING' || environment.status === 'DELETED') {
        return alreadyDeletingMessage(environment);
      }
      return deleteConfirmation(environment);
    }
    case 'policy': {
      const team = command.team ?? (caller.teams.length === 1 ? caller.teams[0] : undefined);
      if (team === undefined) return chooseTeamMessage(caller.teams, deps.adminContact);
      if (!deps.policies) throw new Error('the Slack command was built without team policies');
      return policyMessage(await getTeamPolicy({ policies: deps.policies }, caller, team));
    }
    case 'list': {
      const page = await listEnvironments(deps, caller, {
        limit: LIST_LIMIT,
        ...(command.team ? { team: command.team } : {}),
      });
      const teams = command.team ? [command.team] : caller.teams;
      return listMessage(page.items, teams, page.nextCursor !== undefined);
    }
  }
}

/**
 * The environment called `name` in the given team or, without one, in whichever of the caller's
 * teams has it; a name found in several teams needs `team=`.
 */
async function findByName(
  deps: SlackDependencies,
  caller: Caller,
  name: string,
  team: string | undefined,
): Promise<{ environment: Environment } | { message: SlackMessage }> {
  const teams = team ? [team] : caller.teams;
  if (teams.length === 0) return { message: chooseTeamMessage([], deps.adminContact) };
  const found = (
    await Promise.all(
      teams.map((candidate) => unlessNotFound(getEnvironmentByName(deps, caller, candidate, name))),
    )
  ).filter((environment): environment is Environment => environment !== undefined);
  const [first, second] = found;
  if (first === undefined) return { message: notFoundMessage(name, teams) };
  if (second !== undefined)
    return {
      message: ambiguousNameMessage(
        name,
        found.map((item) => item.team),
      ),
    };
  return { environment: first };
}

async function unlessNotFound(lookup: Promise<Environment>): Promise<Environment | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof UseCaseError && error.kind === 'not-found') return undefined;
    throw error;
  }
}
