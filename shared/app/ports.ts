/**
 * The ports the environment use cases share: what they need from outside, as interfaces. The real
 * adapters are built in shared/wiring (imported by handlers and steps only); tests pass their own.
 * Types only, so importing this module bundles nothing. A port only one use case needs sits beside
 * it (`TaskRunner` in tasks.ts, `DriftDependencies` in drift.ts, `QuotaDependencies` in quotas.ts).
 */
import type { StatusEvent } from '../domain/status-event';
import type { TeamPolicy } from '../domain/team-policy';
import type { OneOffAmounts, QuotaAmounts } from '../domain/usage';
import type { EnvironmentReader } from '../store/environment-reader';
import type { EnvironmentStore } from '../store/environments';
import type { QuotaStore } from '../store/quotas';
import type { TeamPolicyStore } from '../store/team-policies';
import type { WorkflowStarter } from '../workflow/executions';
import type { AccountQuotaPolicy } from './account-quotas';

/**
 * Status events go out through this, always after the conditional write that made the change has
 * succeeded, so an event never describes a change that did not happen. AWS uses EventBridge.
 */
export interface StatusNotifier {
  /** Publishes one status event; rejects when it was not published (the caller decides on a retry). */
  publish(event: StatusEvent): Promise<void>;
}

/** Where limits come from: configured defaults, then the team's overrides in the table. */
export interface QuotaPolicy {
  store: QuotaStore;
  /** The one-off task limits fall back to the built-in ones where left out. */
  defaults: QuotaAmounts & Partial<OneOffAmounts>;
}

/** Where team policies come from: the deploy-wide default, then the team's own rules in the table. */
export interface TeamPolicySource {
  store: TeamPolicyStore;
  defaults: TeamPolicy;
}

/** The read use cases need the table, read-only. */
export interface ReadDependencies {
  store: EnvironmentReader;
}

/** A change that starts a workflow (DELETE, and the base of create and update). */
export interface WriteDependencies {
  store: EnvironmentStore;
  workflows: WorkflowStarter;
  /** Publishes the status event of every change made; none are published without it. */
  notifier?: StatusNotifier;
  /** The AWS Region environments are built in, for the cost estimate (us-east-1 prices without it). */
  region?: string;
  now?: () => Date;
}

/** Create and update: a write that also charges the team's quotas. */
export interface Dependencies extends WriteDependencies {
  /** Team quotas; without them nothing is counted or refused. */
  quotas?: QuotaPolicy;
  /** The AWS account's quotas (quota-aware admission); without them none are read or reserved. */
  accountQuotas?: AccountQuotaPolicy;
  /**
   * The ARN pattern a service's `taskRoleArn` must match: the roles the deployment lets berth pass
   * to ECS (TASK_ROLE_ARN_PATTERN). Without it no task role is refused here (IAM still refuses later).
   */
  taskRoleArnPattern?: string;
  /** Team policies; without them no spec is refused for its team's policy. */
  policies?: TeamPolicySource;
}
