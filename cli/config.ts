/**
 * Where the CLI finds the API and the caller's token: flags, then BERTH_API_URL / BERTH_TOKEN, then
 * a JSON file (BERTH_CONFIG, else $XDG_CONFIG_HOME/berth/config.json, else
 * ~/.config/berth/config.json). Each value is taken from the first source that has it, so a flag
 * can override one value of the file and keep the other.
 */
import { join } from 'node:path';
import { usageError } from './exit-codes';

export interface CliConfig {
  apiUrl: string;
  token: string;
}

export interface ConfigSources {
  flags: { apiUrl?: string | undefined; token?: string | undefined };
  env: NodeJS.ProcessEnv;
  homedir: string;
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): string | undefined;
}

export function configFilePath(env: NodeJS.ProcessEnv, homedir: string): string {
  if (env.BERTH_CONFIG) return env.BERTH_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir, '.config');
  return join(base, 'berth', 'config.json');
}

interface FileConfig {
  apiUrl?: string;
  token?: string;
}

function readConfigFile(path: string, sources: ConfigSources, explicit: boolean): FileConfig {
  const text = sources.readFile(path);
  if (text === undefined) {
    // A file named by BERTH_CONFIG that is not there is a mistake worth reporting; the default one is optional.
    if (explicit) throw usageError(`Config file ${path} (from BERTH_CONFIG) does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(
      `Config file ${path} is not valid JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw usageError(`Config file ${path} must hold a JSON object such as {"apiUrl": "…", "token": "…"}`);
  }
  const config: FileConfig = {};
  for (const key of ['apiUrl', 'token'] as const) {
    const value: unknown = (parsed as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw usageError(`Config file ${path}: "${key}" must be a string`);
    config[key] = value;
  }
  return config;
}

function firstNonEmpty(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '')?.trim();
}

/** Resolves both values or throws a usage error naming each missing one and where it may be given. */
export function resolveConfig(sources: ConfigSources): CliConfig {
  const path = configFilePath(sources.env, sources.homedir);
  const file = readConfigFile(path, sources, Boolean(sources.env.BERTH_CONFIG));
  const apiUrl = firstNonEmpty(sources.flags.apiUrl, sources.env.BERTH_API_URL, file.apiUrl);
  const token = firstNonEmpty(sources.flags.token, sources.env.BERTH_TOKEN, file.token);

  const missing: string[] = [];
  if (apiUrl === undefined)
    missing.push(`the API URL: pass --api-url, set BERTH_API_URL or put "apiUrl" in ${path}`);
  if (token === undefined) missing.push(`a token: pass --token, set BERTH_TOKEN or put "token" in ${path}`);
  if (apiUrl === undefined || token === undefined) {
    throw usageError(...missing.map((what) => `Missing ${what}`));
  }
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw usageError(`The API URL "${apiUrl}" is not a URL (expected e.g. https://berth.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usageError(`The API URL "${apiUrl}" must start with https:// or http://`);
  }
  // Paths are appended to it (`/environments`), so a trailing slash would double up.
  return { apiUrl: apiUrl.replace(/\/+$/, ''), token };
}
