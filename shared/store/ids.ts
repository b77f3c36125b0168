import { monotonicFactory } from 'ulid';

/** Monotonic within a millisecond, so two environments created in the same ms still sort by creation. */
const ulid = /* @__PURE__ */ monotonicFactory();

/**
 * Environment ids are `env-` + a lowercase ULID: sortable by creation time (the team index
 * lists newest first by id) and DNS-safe, because the last characters end up in ALB names.
 */
export function newEnvironmentId(now = Date.now()): string {
  return `env-${ulid(now).toLowerCase()}`;
}

export function newEventId(now = Date.now()): string {
  return ulid(now).toLowerCase();
}

export { ENVIRONMENT_ID_PATTERN as ENVIRONMENT_ID } from '../domain/naming';
