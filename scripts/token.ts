/**
 * Prints a local bearer token, alone on one line, so that
 *   TOKEN=$(npm run -s token -- --team payments)
 * works. Errors and usage go to stderr with exit code 1.
 */
import { parseArgs } from 'node:util';
import { signLocalToken } from '../local/auth';

const USAGE =
  'usage: npx tsx scripts/token.ts --team <team> [--team <team>…] [--admin] [--subject <name>] [--expires <8h>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      team: { type: 'string', multiple: true, default: [] },
      admin: { type: 'boolean', default: false },
      subject: { type: 'string' },
      expires: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const token = await signLocalToken({
    teams: values.team,
    admin: values.admin,
    subject: values.subject,
    expiresIn: values.expires,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exitCode = 1;
});
