/** The team in a `/teams/{team}/…` path, checked before anything is read for it (quotas, policies). */
import { TEAM_NAME_PATTERN } from '../domain/caller';
import { UseCaseError } from './errors';

/** 400 naming the path parameter when `team` is not a team name berth accepts. */
export function assertTeamName(team: string): void {
  if (!TEAM_NAME_PATTERN.test(team)) {
    throw new UseCaseError('bad-request', 'Invalid team', 'the team in the path is not a team name', [
      { path: 'team', message: 'lowercase letters, digits and hyphens, at most 32 characters' },
    ]);
  }
}
