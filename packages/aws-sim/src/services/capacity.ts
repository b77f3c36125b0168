/**
 * The switches of the simulator's capacity model, both on by default because AWS behaves so
 * (docs/aws-facts.md#subnet-addresses-and-eni-capacity):
 * - `subnetAddresses`: a subnet offers its size less the five addresses AWS reserves, one per ENI;
 *   an ENI in a full subnet is refused (`InsufficientFreeAddressesInSubnet`), a load balancer needs 8
 *   free addresses in each of its subnets, a task that gets no ENI stops with `TaskFailedToStart`.
 * - `instanceEnis`: an EC2 container instance takes as many `awsvpc` tasks as its instance type has
 *   ENIs beyond the primary one (or, with `awsvpcTrunking`, its branch-ENI limit).
 *
 * `GET /_local/capacity` reads them, `PUT /_local/capacity` with either field changes them; a reset
 * turns both back on. State lives beside the resource store, one per simulator.
 */
import type { ResourceStore, SimContext } from '../kernel';

export interface CapacitySettings {
  subnetAddresses: boolean;
  instanceEnis: boolean;
}

const defaults = (): CapacitySettings => ({ subnetAddresses: true, instanceEnis: true });

const states = new WeakMap<ResourceStore, CapacitySettings>();

/** The capacity switches of this simulator. */
export function capacitySettings(ctx: Pick<SimContext, 'store'>): CapacitySettings {
  let state = states.get(ctx.store);
  if (!state) {
    const created = defaults();
    state = created;
    states.set(ctx.store, created);
    ctx.store.onReset(() => Object.assign(created, defaults()));
  }
  return state;
}

/** Applies a control-API body (`{ subnetAddresses?, instanceEnis? }`); throws a message on bad input. */
export function updateCapacitySettings(ctx: Pick<SimContext, 'store'>, body: unknown): CapacitySettings {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error('the body is an object such as { "subnetAddresses": false }');
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'subnetAddresses' && key !== 'instanceEnis') throw new Error(`unknown setting ${key}`);
    if (typeof record[key] !== 'boolean') throw new Error(`${key} must be true or false`);
  }
  const state = capacitySettings(ctx);
  if (typeof record.subnetAddresses === 'boolean') state.subnetAddresses = record.subnetAddresses;
  if (typeof record.instanceEnis === 'boolean') state.instanceEnis = record.instanceEnis;
  return { ...state };
}
