/**
 * What the Slack front door needs, by handler: the environment use cases' ports (shared/app/ports.ts),
 * the Slack items of the table and its settings. Handlers build them from shared/wiring; tests pass
 * their own. Interactions only delete, so they need no quota policy and bundle none of it.
 */
import type { Dependencies, WriteDependencies } from '../app/ports';
import type { SlackUserDependencies } from '../app/slack-users';
import type { SlackRequestConfig } from './request';

export interface SlackSettings {
  signingSecret: string;
  /** Whom an unmapped user should ask to be mapped, e.g. `#platform-help`. */
  adminContact: string;
  /**
   * Where a `response_url` may point: origins such as `https://hooks.slack.com` (the default),
   * matched on scheme and host, and on port when the entry names one. Anything else is refused
   * before berth acts, so a signed request cannot make berth post to an address of its choosing.
   */
  responseUrlOrigins: readonly string[];
}

interface SlackFrontDoor extends SlackUserDependencies, SlackRequestConfig, SlackSettings {}

/** The slash command: create, show and list. */
export interface SlackDependencies extends Dependencies, SlackFrontDoor {}

/** The buttons: delete. */
export interface SlackInteractionDependencies extends WriteDependencies, SlackFrontDoor {}
