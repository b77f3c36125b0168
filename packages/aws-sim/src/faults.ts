/**
 * Fault injection: make an operation fail with a chosen AWS error before it runs, to test retries,
 * compensation and error reporting. A fault fires `count` times and then disappears, or fires with
 * `probability` (default 1) for as long as it is installed. `match` narrows it to calls whose input
 * contains that text (a resource id, a tag value, a name). `operation: '*'` matches every operation.
 * `after: N` lets the first N matching calls through (to fail a later caller of a shared operation).
 */
import { AwsError, type OperationInput } from './kernel';

export interface FaultSpec {
  /** SigV4 signing name (`ec2`, `ecs`); any service when absent. */
  service?: string;
  operation: string;
  code: string;
  status: number;
  message?: string;
  count?: number;
  probability?: number;
  match?: string;
  /** Matching calls to let through before the fault starts firing. */
  after?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  /** How many times it fired. */
  fired: number;
  /** Matching calls it let through (see `after`). */
  passed: number;
}

/** Reads a fault list (the `SIM_FAULTS` variable or a control-API body); throws on a malformed one. */
export function parseFaultSpecs(value: unknown): FaultSpec[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, index) => {
    if (typeof item !== 'object' || item === null) throw new TypeError(`fault ${index}: not an object`);
    const { service, operation, code, status, message, count, probability, match, after } = item as Record<
      string,
      unknown
    >;
    if (typeof operation !== 'string' || operation === '')
      throw new TypeError(`fault ${index}: operation is required`);
    if (typeof code !== 'string' || code === '') throw new TypeError(`fault ${index}: code is required`);
    const spec: FaultSpec = { operation, code, status: typeof status === 'number' ? status : 400 };
    if (typeof service === 'string') spec.service = service;
    if (typeof message === 'string') spec.message = message;
    if (typeof count === 'number' && count > 0) spec.count = Math.floor(count);
    if (typeof probability === 'number') spec.probability = Math.min(1, Math.max(0, probability));
    if (typeof match === 'string') spec.match = match;
    if (typeof after === 'number' && after > 0) spec.after = Math.floor(after);
    return spec;
  });
}

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number) {}

  add(specs: FaultSpec[]): Fault[] {
    const added = specs.map((spec) => ({ ...spec, id: `fault-${this.nextId++}`, fired: 0, passed: 0 }));
    this.faults.push(...added);
    return added;
  }

  list(): Fault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The error of the first fault that fires for this call, or undefined. */
  check(service: string, operation: string, input: OperationInput): AwsError | undefined {
    let serialisedInput: string | undefined;
    for (const fault of this.faults) {
      if (fault.service !== undefined && fault.service !== service) continue;
      if (fault.operation !== '*' && fault.operation !== operation) continue;
      if (fault.match !== undefined) {
        serialisedInput ??= JSON.stringify(input);
        if (!serialisedInput.includes(fault.match)) continue;
      }
      if (fault.passed < (fault.after ?? 0)) {
        fault.passed += 1;
        continue;
      }
      if (fault.count === undefined && this.random() >= (fault.probability ?? 1)) continue;
      fault.fired += 1;
      if (fault.count !== undefined && fault.fired >= fault.count) this.remove(fault.id);
      return new AwsError(fault.code, fault.message ?? `Injected fault: ${fault.code}`, fault.status);
    }
    return undefined;
  }
}
