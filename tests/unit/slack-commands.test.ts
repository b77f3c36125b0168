import { environmentRequestSchema } from '../../shared/domain/spec';
import { requestFromTemplate, SIZE_NAMES, TEMPLATE_NAMES } from '../../shared/domain/templates';
import { parseSlackCommand, unformatSlackText, usageText } from '../../shared/slack/command';
import { escapeMrkdwn, usageMessage } from '../../shared/slack/messages';

function problemOf(text: string): string {
  const command = parseSlackCommand(text);
  if (command.kind !== 'invalid') throw new Error(`expected "${text}" to be refused, got ${command.kind}`);
  return command.problem;
}

describe('parsing /berth', () => {
  it('reads create with its defaults', () => {
    expect(parseSlackCommand('create shop-dev image=nginx:1.27')).toEqual({
      kind: 'create',
      name: 'shop-dev',
      image: 'nginx:1.27',
      size: 'small',
      template: 'web',
    });
  });

  it('reads every create option in any order, option names in any case', () => {
    expect(
      parseSlackCommand('  create  TEMPLATE=worker shop-dev size=medium team=payments image=a/b:1 '),
    ).toEqual({
      kind: 'create',
      name: 'shop-dev',
      image: 'a/b:1',
      team: 'payments',
      size: 'medium',
      template: 'worker',
    });
  });

  it('reads status, list and delete, with and without team=', () => {
    expect(parseSlackCommand('status shop-dev')).toEqual({ kind: 'status', name: 'shop-dev' });
    expect(parseSlackCommand('Delete shop-dev team=payments')).toEqual({
      kind: 'delete',
      name: 'shop-dev',
      team: 'payments',
    });
    expect(parseSlackCommand('list')).toEqual({ kind: 'list' });
    expect(parseSlackCommand('list team=search')).toEqual({ kind: 'list', team: 'search' });
  });

  it('reads policy, with and without team=', () => {
    expect(parseSlackCommand('policy')).toEqual({ kind: 'policy' });
    expect(parseSlackCommand('policy team=payments')).toEqual({ kind: 'policy', team: 'payments' });
    expect(parseSlackCommand('policy payments')).toMatchObject({ kind: 'invalid' });
  });

  it('treats empty text and help as a request for help', () => {
    expect(parseSlackCommand('')).toEqual({ kind: 'help' });
    expect(parseSlackCommand('   ')).toEqual({ kind: 'help' });
    expect(parseSlackCommand('help')).toEqual({ kind: 'help' });
  });

  it('undoes the link formatting and escaping Slack applies to command text', () => {
    expect(unformatSlackText('<http://registry.example.com/app:1|registry.example.com/app:1>')).toBe(
      'registry.example.com/app:1',
    );
    expect(parseSlackCommand('create web image=<http://ghcr.io/org/app:2|ghcr.io/org/app:2>')).toMatchObject({
      image: 'ghcr.io/org/app:2',
    });
    expect(unformatSlackText('a &lt;b&gt; &amp;amp;')).toBe('a <b> &amp;');
  });

  it('refuses an unknown subcommand, naming it', () => {
    expect(problemOf('deploy shop-dev')).toContain('`deploy`');
  });

  it('refuses create without a name or without image=', () => {
    expect(problemOf('create image=nginx:1.27')).toContain('name');
    expect(problemOf('create shop-dev')).toContain('`image=`');
  });

  it('refuses unknown, repeated and empty options', () => {
    expect(problemOf('create shop-dev image=a cpu=512')).toContain('`cpu=`');
    expect(problemOf('status shop-dev image=a')).toContain('`image=`');
    expect(problemOf('create shop-dev image=a image=b')).toContain('twice');
    expect(problemOf('create shop-dev image=')).toContain('needs a value');
  });

  it('refuses sizes and templates it does not offer, listing the ones it does', () => {
    expect(problemOf('create shop-dev image=a size=huge')).toMatch(/small or medium/);
    expect(problemOf('create shop-dev image=a template=db')).toMatch(/web or worker/);
  });

  it('refuses extra words rather than ignoring them', () => {
    expect(problemOf('delete shop-dev now')).toContain('`now`');
    expect(problemOf('list everything')).toContain('`everything`');
  });
});

describe('usage', () => {
  it('lists every subcommand under the command name the user typed', () => {
    const text = usageText('/berth-dev');

    for (const subcommand of ['create', 'status', 'list', 'delete', 'policy', 'help']) {
      expect(text).toContain(`/berth-dev ${subcommand}`);
    }
    expect(text).toContain('size=small|medium');
    expect(text).toContain('template=web|worker');
  });

  it('answers a mistake ephemerally with the problem first and the usage after', () => {
    const message = usageMessage('/berth', "I don't know the subcommand `x`.");

    expect(message.response_type).toBe('ephemeral');
    expect(message.text.startsWith("I don't know the subcommand `x`.")).toBe(true);
    expect(message.text).toContain('/berth create <name>');
  });

  it('escapes text that Slack would read as links or mentions', () => {
    expect(escapeMrkdwn('<!channel> & <http://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
  });
});

describe('templates', () => {
  it.each(TEMPLATE_NAMES.flatMap((template) => SIZE_NAMES.map((size) => [template, size] as const)))(
    'template %s with size %s makes a request the API accepts',
    (template, size) => {
      const request = requestFromTemplate(template, {
        name: 'shop-dev',
        team: 'payments',
        image: 'nginx:1.27',
        size,
      });

      const parsed = environmentRequestSchema.safeParse(request);

      expect(parsed.error?.issues).toBeUndefined();
    },
  );

  it('maps sizes to Fargate cpu and memory', () => {
    const medium = requestFromTemplate('web', { name: 'a', team: 't', image: 'nginx:1.27', size: 'medium' });

    expect(medium.services[0]).toMatchObject({ cpu: 512, memory: 1024 });
  });

  it('leaves a bad image to the spec schema, which refuses it', () => {
    const request = requestFromTemplate('web', {
      name: 'shop-dev',
      team: 'payments',
      image: 'NOT AN IMAGE',
      size: 'small',
    });

    expect(environmentRequestSchema.safeParse(request).success).toBe(false);
  });
});
