/**
 * EC2's read-after-create consistency (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling):
 * for a moment after a create, a call naming the new id may answer its NotFound code
 * (`InvalidVpcID.NotFound`, `InvalidGroup.NotFound`…). `readAfterCreate(client)` teaches an EC2 client
 * the ids it has just created (from the answers of its Create and AllocateAddress calls, or handed over
 * with `justCreated`) and retries a call refused with NotFound *for one of those ids*, with growing
 * pauses, as AWS advises; once the pauses are spent it throws `ReadAfterCreateLag`, which the workflow
 * retries like throttling (`isTransient`). A NotFound for any other id stays what it was: permanent.
 * Calls that take a resource apart are never retried for them NotFound means "already gone".
 */

import type { EC2Client } from '@aws-sdk/client-ec2';
import { errorCode, ReadAfterCreateLag } from './errors';

/** Pauses before each retry, in milliseconds (half fixed, half random); about 3 s in all at most. */
export const READ_AFTER_CREATE_PAUSES_MS: readonly number[] = [100, 200, 400, 800, 1600];

/** How long an id counts as just created (AWS's windows last seconds; this bounds the memory kept). */
const FRESH_FOR_MS = 10 * 60 * 1000;

const ID = /\b(?:vpc|subnet|igw|rtb|eipalloc|sg|nat|lt)-[0-9a-f]{8,17}\b/g;

/** The id prefix each NotFound code is about. */
const PREFIX_OF_CODE: Record<string, string> = {
  'InvalidVpcID.NotFound': 'vpc',
  'InvalidSubnetID.NotFound': 'subnet',
  'InvalidGroup.NotFound': 'sg',
  'InvalidRouteTableID.NotFound': 'rtb',
  'InvalidAllocationID.NotFound': 'eipalloc',
  'InvalidInternetGatewayID.NotFound': 'igw',
  'InvalidGatewayID.NotFound': 'igw',
  'InvalidNatGatewayID.NotFound': 'nat',
  NatGatewayNotFound: 'nat',
  'InvalidLaunchTemplateId.NotFound': 'lt',
};

const TAKES_APART = /^(Delete|Release|Detach|Disassociate|Revoke)/;
const CREATES = /^(Create|Allocate)/;

export interface ReadAfterCreateOptions {
  /** Ids created elsewhere (an earlier step of the same workflow) that calls may name right away. */
  justCreated?: readonly string[];
  /** Pauses before each retry (tests shorten them). */
  pausesMs?: readonly number[];
}

interface Memory {
  fresh: Map<string, number>;
  pausesMs: readonly number[];
}

const memories = new WeakMap<EC2Client, Memory>();

function idsIn(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(...(value.match(ID) ?? []));
  else if (Array.isArray(value)) for (const item of value) idsIn(item, into);
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) {
      // Tags and filters name nothing the call acts on.
      if (key !== 'TagSpecifications' && key !== 'Tags' && key !== 'Filters' && key !== 'Filter')
        idsIn(item, into);
    }
  return into;
}

function remember(memory: Memory, ids: readonly string[]): void {
  const now = Date.now();
  for (const [id, until] of memory.fresh) if (until < now) memory.fresh.delete(id);
  for (const id of ids) memory.fresh.set(id, now + FRESH_FOR_MS);
}

/** The just-created id a NotFound answer is about, if it is about one. */
function laggingId(memory: Memory, error: unknown, input: unknown): string | undefined {
  const code = errorCode(error);
  const prefix = code === undefined ? undefined : PREFIX_OF_CODE[code];
  if (prefix === undefined) return undefined;
  const message = error instanceof Error ? error.message : '';
  const named = message.match(ID) ?? idsIn(input).filter((id) => id.startsWith(`${prefix}-`));
  return named.find((id) => memory.fresh.has(id));
}

function pause(milliseconds: number): Promise<void> {
  const wait = milliseconds / 2 + Math.random() * (milliseconds / 2);
  return new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * The client, from now on retrying read-after-create NotFound answers for ids it created (or was told
 * were just created). Idempotent: a client is taught once, later calls only add `justCreated` ids.
 */
export function readAfterCreate(client: EC2Client, options: ReadAfterCreateOptions = {}): EC2Client {
  let memory = memories.get(client);
  if (!memory) {
    const taught: Memory = { fresh: new Map(), pausesMs: options.pausesMs ?? READ_AFTER_CREATE_PAUSES_MS };
    memory = taught;
    memories.set(client, taught);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        for (let attempt = 0; ; attempt += 1) {
          try {
            const result = await next(args);
            if (CREATES.test(command)) remember(taught, idsIn(result.output));
            return result;
          } catch (error) {
            const id = TAKES_APART.test(command) ? undefined : laggingId(taught, error, args.input);
            if (id === undefined) throw error;
            const wait = taught.pausesMs[attempt];
            if (wait === undefined) throw new ReadAfterCreateLag(id, error);
            await pause(wait);
          }
        }
      },
      { step: 'initialize', name: 'berthReadAfterCreate', override: true },
    );
  }
  if (options.justCreated) remember(memory, options.justCreated);
  return client;
}
