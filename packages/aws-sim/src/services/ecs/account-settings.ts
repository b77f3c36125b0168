/**
 * ECS account settings (PutAccountSetting, PutAccountSettingDefault, ListAccountSettings,
 * DeleteAccountSetting), kept for what the simulator acts on: `awsvpcTrunking`, which a container
 * instance reads when it is launched (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
 *
 * A setting is held per principal (an IAM role or user ARN) or for the account (the root user's
 * ARN, which PutAccountSettingDefault writes). A principal's effective value is its own, else the
 * account's, else AWS's default. PutAccountSetting without `principalArn` sets the caller's own (the
 * role of a role session; the operator's credentials stand for the root user). State lives beside the
 * resource store and a reset forgets it.
 */
import type { OperationInput, ResourceStore, SimContext } from '../../kernel';
import { invalidParameter, reader } from './model';

/** Settings ECS accepts, with AWS's value when nobody has set one. */
const DEFAULTS: Readonly<Record<string, string>> = {
  serviceLongArnFormat: 'enabled',
  taskLongArnFormat: 'enabled',
  containerInstanceLongArnFormat: 'enabled',
  awsvpcTrunking: 'disabled',
  containerInsights: 'disabled',
  dualStackIPv6: 'disabled',
  fargateFIPSMode: 'disabled',
  tagResourceAuthorization: 'on',
  fargateTaskRetirementWaitPeriod: '7',
  guardDutyActivate: 'off',
  defaultLogDriverMode: 'blocking',
};

const ENABLED_DISABLED = ['enabled', 'disabled'];

/** Values each setting takes (ECS API reference, PutAccountSetting `value`). */
const VALUES: Readonly<Record<string, readonly string[]>> = {
  serviceLongArnFormat: ENABLED_DISABLED,
  taskLongArnFormat: ENABLED_DISABLED,
  containerInstanceLongArnFormat: ENABLED_DISABLED,
  awsvpcTrunking: ENABLED_DISABLED,
  containerInsights: ['enabled', 'disabled', 'enhanced'],
  dualStackIPv6: ENABLED_DISABLED,
  fargateFIPSMode: ENABLED_DISABLED,
  tagResourceAuthorization: ['on', 'off'],
  fargateTaskRetirementWaitPeriod: ['0', '7', '14'],
  guardDutyActivate: ['on', 'off'],
  defaultLogDriverMode: ['blocking', 'non-blocking'],
};

/** principal ARN → setting name → value. */
type SettingsState = Map<string, Map<string, string>>;

const states = new WeakMap<ResourceStore, SettingsState>();

function stateOf(ctx: Pick<SimContext, 'store'>): SettingsState {
  let state = states.get(ctx.store);
  if (!state) {
    const created: SettingsState = new Map();
    state = created;
    states.set(ctx.store, created);
    ctx.store.onReset(() => created.clear());
  }
  return state;
}

const rootArn = (ctx: SimContext) => `arn:aws:iam::${ctx.accountId}:root`;

/** The ARN a request stands for: the caller's role, or the root user for the operator's credentials. */
function callerArn(ctx: SimContext): string {
  const caller = ctx.caller;
  if (!caller) return rootArn(ctx);
  return ctx.iam.role(caller.roleName)?.roleArn ?? `arn:aws:iam::${ctx.accountId}:role/${caller.roleName}`;
}

function readSetting(input: OperationInput): { name: string; value: string } {
  const r = reader(input);
  const name = r.requiredString('name');
  const value = r.requiredString('value');
  const allowed = VALUES[name];
  if (!allowed) throw invalidParameter(`Invalid setting name: ${name}.`);
  if (!allowed.includes(value)) {
    throw invalidParameter(`Invalid value ${value} for setting ${name}: use one of ${allowed.join(', ')}.`);
  }
  return { name, value };
}

function put(ctx: SimContext, principalArn: string, name: string, value: string) {
  const state = stateOf(ctx);
  const settings = state.get(principalArn) ?? new Map<string, string>();
  settings.set(name, value);
  state.set(principalArn, settings);
  return { setting: { name, value, principalArn, type: 'user' } };
}

export function putAccountSetting(input: OperationInput, ctx: SimContext) {
  const { name, value } = readSetting(input);
  return put(ctx, reader(input).string('principalArn') ?? callerArn(ctx), name, value);
}

export function putAccountSettingDefault(input: OperationInput, ctx: SimContext) {
  const { name, value } = readSetting(input);
  return put(ctx, rootArn(ctx), name, value);
}

export function deleteAccountSetting(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('name');
  if (!VALUES[name]) throw invalidParameter(`Invalid setting name: ${name}.`);
  const principalArn = r.string('principalArn') ?? callerArn(ctx);
  const settings = stateOf(ctx).get(principalArn);
  const value = settings?.get(name) ?? effectiveSetting(ctx, principalArn, name);
  settings?.delete(name);
  return { setting: { name, value, principalArn, type: 'user' } };
}

/** The value `name` has for `principalArn`: its own, else the account's, else AWS's default. */
export function effectiveSetting(ctx: SimContext, principalArn: string | undefined, name: string): string {
  const state = stateOf(ctx);
  const own = principalArn === undefined ? undefined : state.get(principalArn)?.get(name);
  return own ?? state.get(rootArn(ctx))?.get(name) ?? DEFAULTS[name] ?? 'disabled';
}

export function listAccountSettings(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.string('name');
  const value = r.string('value');
  if (name !== undefined && !VALUES[name]) throw invalidParameter(`Invalid setting name: ${name}.`);
  const principalArn = r.string('principalArn') ?? callerArn(ctx);
  const names = name === undefined ? Object.keys(DEFAULTS) : [name];
  const settings = r.boolean('effectiveSettings')
    ? names.map((setting) => ({
        name: setting,
        value: effectiveSetting(ctx, principalArn, setting),
        principalArn,
        type: 'user',
      }))
    : names.flatMap((setting) => {
        const own = stateOf(ctx).get(principalArn)?.get(setting);
        return own === undefined ? [] : [{ name: setting, value: own, principalArn, type: 'user' }];
      });
  return { settings: settings.filter((setting) => value === undefined || setting.value === value) };
}
