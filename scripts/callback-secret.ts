/**
 * Prints a team's callback signing secret, for the platform team to hand to that team's receiver:
 *   CALLBACK_SIGNING_SECRET=<the stage's master> npm run callback-secret -- --team <team>
 * The secret is derived (shared/app/callbacks.ts, `teamCallbackSecret`); nothing is stored.
 */
import { parseArgs } from 'node:util';
import { teamCallbackSecret } from '../shared/app/callbacks';
import { TEAM_NAME_PATTERN } from '../shared/http/identity';

const { values } = parseArgs({ options: { team: { type: 'string' } } });
const master = process.env.CALLBACK_SIGNING_SECRET ?? '';
if (!values.team || !TEAM_NAME_PATTERN.test(values.team)) {
  process.stderr.write('usage: CALLBACK_SIGNING_SECRET=<master> npm run callback-secret -- --team <team>\n');
  process.exit(1);
}
if (master === '') {
  process.stderr.write('CALLBACK_SIGNING_SECRET (the stage master secret) is not set\n');
  process.exit(1);
}
process.stdout.write(`${teamCallbackSecret(master, values.team)}\n`);
