/**
 * Where berth's signing secrets live: SecureString parameters in SSM Parameter Store, one per stage,
 * created by the deployer (README, "Signing secrets") and by `npm start` locally. The functions get
 * the name, never the value.
 */

/** `/berth/<stage>/<key>`; the stage is osls's variable unless given (local/start.ts gives it). */
function signingSecretParameter(key, stage = '${sls:stage}') {
  return `/berth/${stage}/${key}`;
}

// The secrets, by the variable a deployer or `npm start` takes the value from.
const SIGNING_SECRETS = [
  { valueVariable: 'SLACK_SIGNING_SECRET', key: 'slack-signing-secret' },
  { valueVariable: 'CALLBACK_SIGNING_SECRET', key: 'callback-signing-secret' },
];

module.exports = { signingSecretParameter, SIGNING_SECRETS };
