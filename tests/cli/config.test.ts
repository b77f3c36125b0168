import { type ConfigSources, resolveConfig } from '../../cli/config';

const FILE = '/home/dev/.config/berth/config.json';

function sources(overrides: Partial<ConfigSources> & { files?: Record<string, string> } = {}): ConfigSources {
  const files = overrides.files ?? {};
  return {
    flags: overrides.flags ?? {},
    env: overrides.env ?? {},
    homedir: '/home/dev',
    readFile: (path) => files[path],
  };
}

describe('resolveConfig', () => {
  it('prefers flags over the environment over the config file, value by value', () => {
    const config = resolveConfig(
      sources({
        flags: { token: 'from-flag' },
        env: { BERTH_API_URL: 'https://env.example.com', BERTH_TOKEN: 'from-env' },
        files: { [FILE]: JSON.stringify({ apiUrl: 'https://file.example.com', token: 'from-file' }) },
      }),
    );

    expect(config).toEqual({ apiUrl: 'https://env.example.com', token: 'from-flag' });
  });

  it('falls back to ~/.config/berth/config.json', () => {
    const config = resolveConfig(
      sources({ files: { [FILE]: JSON.stringify({ apiUrl: 'https://file.example.com/', token: 't' }) } }),
    );

    expect(config).toEqual({ apiUrl: 'https://file.example.com', token: 't' });
  });

  it('reads the file named by BERTH_CONFIG, and XDG_CONFIG_HOME when set', () => {
    expect(
      resolveConfig(
        sources({
          env: { BERTH_CONFIG: '/etc/berth.json' },
          files: { '/etc/berth.json': '{"apiUrl":"http://127.0.0.1:3000","token":"t"}' },
        }),
      ).apiUrl,
    ).toBe('http://127.0.0.1:3000');
    expect(
      resolveConfig(
        sources({
          env: { XDG_CONFIG_HOME: '/xdg' },
          files: { '/xdg/berth/config.json': '{"apiUrl":"https://xdg.example.com","token":"t"}' },
        }),
      ).apiUrl,
    ).toBe('https://xdg.example.com');
  });

  it('names each missing value and every place it may come from', () => {
    expect(() => resolveConfig(sources({ env: { BERTH_API_URL: 'https://b.example.com' } }))).toThrow(
      `Missing a token: pass --token, set BERTH_TOKEN or put "token" in ${FILE}`,
    );
    expect(() => resolveConfig(sources())).toThrow(/Missing the API URL: pass --api-url.*\nMissing a token/);
  });

  it('treats a blank value as missing', () => {
    expect(() =>
      resolveConfig(sources({ flags: { apiUrl: 'https://b.example.com' }, env: { BERTH_TOKEN: '  ' } })),
    ).toThrow('Missing a token');
  });

  it('refuses a BERTH_CONFIG file that does not exist, or a file that is not a JSON object of strings', () => {
    expect(() => resolveConfig(sources({ env: { BERTH_CONFIG: '/nope.json' } }))).toThrow(
      'Config file /nope.json (from BERTH_CONFIG) does not exist',
    );
    expect(() => resolveConfig(sources({ files: { [FILE]: '{"apiUrl":' } }))).toThrow('is not valid JSON');
    expect(() => resolveConfig(sources({ files: { [FILE]: '["x"]' } }))).toThrow('must hold a JSON object');
    expect(() => resolveConfig(sources({ files: { [FILE]: '{"token": 42}' } }))).toThrow(
      '"token" must be a string',
    );
  });

  it('refuses an API URL that is not http(s)', () => {
    expect(() => resolveConfig(sources({ flags: { apiUrl: 'berth.example.com', token: 't' } }))).toThrow(
      'is not a URL',
    );
    expect(() =>
      resolveConfig(sources({ flags: { apiUrl: 'ftp://berth.example.com', token: 't' } })),
    ).toThrow('must start with https:// or http://');
  });
});
