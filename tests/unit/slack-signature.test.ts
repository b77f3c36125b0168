import { createHmac } from 'node:crypto';
import { responseUrlAllowed, SLACK_RESPONSE_URL_ORIGIN } from '../../shared/slack/response-url';
import { signSlackRequest, slackSignatureProblem } from '../../shared/slack/signature';

// The worked example of Slack's "Verifying requests from Slack".
const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const SLACK_TIMESTAMP = '1531420618';
const SLACK_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SLACK_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

/** Slack's example request, checked `secondsLater` after it was sent. */
function check(
  overrides: { timestamp?: string | undefined; signature?: string | undefined; body?: string } = {},
  secondsLater = 10,
) {
  const request = {
    timestamp: 'timestamp' in overrides ? overrides.timestamp : SLACK_TIMESTAMP,
    signature: 'signature' in overrides ? overrides.signature : SLACK_SIGNATURE,
    body: Buffer.from(overrides.body ?? SLACK_BODY, 'utf8'),
  };
  return slackSignatureProblem(
    SLACK_SECRET,
    request,
    new Date((Number(SLACK_TIMESTAMP) + secondsLater) * 1000),
  );
}

describe('Slack request signatures', () => {
  it("computes Slack's published signature for its example request", () => {
    expect(signSlackRequest(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY)).toBe(SLACK_SIGNATURE);
  });

  it('agrees with a plain HMAC-SHA256 over v0:timestamp:body', () => {
    const expected = `v0=${createHmac('sha256', 'other-secret').update('v0:42:a=b').digest('hex')}`;

    expect(signSlackRequest('other-secret', '42', Buffer.from('a=b'))).toBe(expected);
  });

  it("accepts Slack's example request within five minutes of its timestamp", () => {
    expect(check({}, 10)).toBeUndefined();
    expect(check({}, 299)).toBeUndefined();
  });

  it('refuses a tampered body', () => {
    expect(check({ body: SLACK_BODY.replace('text=', 'text=delete%20prod') })).toBe('bad-signature');
  });

  it('refuses a signature made with another secret', () => {
    expect(check({ signature: signSlackRequest('not-the-secret', SLACK_TIMESTAMP, SLACK_BODY) })).toBe(
      'bad-signature',
    );
  });

  it('refuses a signature of the wrong length or form without throwing', () => {
    expect(check({ signature: 'v0=abc' })).toBe('bad-signature');
    expect(check({ signature: SLACK_SIGNATURE.toUpperCase() })).toBe('bad-signature');
  });

  it('refuses a valid request replayed more than five minutes later', () => {
    expect(check({}, 301)).toBe('stale-timestamp');
    expect(check({}, 24 * 3600)).toBe('stale-timestamp');
  });

  it('refuses a timestamp more than five minutes in the future', () => {
    expect(check({}, -301)).toBe('stale-timestamp');
  });

  it('refuses a new timestamp pasted onto an old signature', () => {
    const fresh = String(Number(SLACK_TIMESTAMP) + 3600);

    expect(check({ timestamp: fresh }, 3600)).toBe('bad-signature');
  });

  it('refuses a request without the signature or timestamp header', () => {
    expect(check({ signature: undefined })).toBe('missing-headers');
    expect(check({ timestamp: undefined })).toBe('missing-headers');
    expect(check({ signature: '' })).toBe('missing-headers');
  });

  it('refuses a timestamp that is not Unix seconds', () => {
    expect(check({ timestamp: '1531420618.5' })).toBe('malformed-timestamp');
    expect(check({ timestamp: 'yesterday' })).toBe('malformed-timestamp');
  });
});

describe('responseUrlAllowed', () => {
  it.each([
    ['https://hooks.slack.com/commands/T1/123/abc', true],
    ['https://hooks.slack.com/actions/T1/123/abc', true],
    ['http://hooks.slack.com/commands/T1/123/abc', false],
    ['https://hooks.slack.com.attacker.example/x', false],
    ['https://user:pw@hooks.slack.com/x', false],
    ['https://169.254.169.254/latest', false],
    ['not a url', false],
  ])('judges %s against the default origin: %s', (url, allowed) => {
    // Prepare / Act
    const verdict = responseUrlAllowed(url, [SLACK_RESPONSE_URL_ORIGIN]);

    // Assess
    expect(verdict).toBe(allowed);
  });

  it('matches the port only when the origin names one', () => {
    // Prepare
    const anyPort = ['http://127.0.0.1'];
    const onePort = ['http://127.0.0.1:9000'];

    // Act / Assess
    expect(responseUrlAllowed('http://127.0.0.1:4321/hook', anyPort)).toBe(true);
    expect(responseUrlAllowed('http://127.0.0.1:4321/hook', onePort)).toBe(false);
    expect(responseUrlAllowed('http://127.0.0.1:9000/hook', onePort)).toBe(true);
  });
});
