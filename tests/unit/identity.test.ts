import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  type Caller,
  callerFromEvent,
  canAccessTeam,
  toAuthorizerContext,
  UnauthenticatedError,
} from '../../shared/http/identity';
import { ADMIN, memberOf } from '../support/callers';

function eventWith(authorizer: unknown): APIGatewayProxyEvent {
  return { requestContext: { authorizer } } as unknown as APIGatewayProxyEvent;
}

const member: Caller = memberOf(['payments', 'search']);
const admin: Caller = ADMIN;

describe('callerFromEvent', () => {
  it('reads the context as API Gateway delivers it (every value a string)', () => {
    // Prepare
    const event = eventWith({
      principalId: 'alice',
      subject: 'alice',
      teams: 'payments,search',
      admin: 'false',
    });

    // Act
    const caller = callerFromEvent(event);

    // Assess
    expect(caller).toEqual(memberOf(['payments', 'search']));
  });

  it('reads admin "true" as an admin', () => {
    const event = eventWith({ subject: 'root', teams: '', admin: 'true' });

    const caller = callerFromEvent(event);

    expect(caller.admin).toBe(true);
  });

  it('reads a boolean admin flag as the authorizer wrote it', () => {
    const event = eventWith({ subject: 'root', teams: '', admin: true });

    const caller = callerFromEvent(event);

    expect(caller.admin).toBe(true);
  });

  it('reads an empty teams string as no teams', () => {
    const event = eventWith({ subject: 'alice', teams: '', admin: 'false' });

    const caller = callerFromEvent(event);

    expect(caller.teams).toEqual([]);
  });

  it('reads back exactly what the authorizer context carried', () => {
    const event = eventWith(toAuthorizerContext(member));

    const caller = callerFromEvent(event);

    expect(caller).toEqual(member);
  });

  it('throws UnauthenticatedError when there is no authorizer context', () => {
    const event = eventWith(undefined);

    const read = () => callerFromEvent(event);

    expect(read).toThrow(UnauthenticatedError);
  });

  it('throws UnauthenticatedError when the request context itself is missing', () => {
    const event = {} as APIGatewayProxyEvent;

    const read = () => callerFromEvent(event);

    expect(read).toThrow(UnauthenticatedError);
  });

  it('throws UnauthenticatedError when the context has no subject', () => {
    const event = eventWith({ principalId: 'alice', teams: 'payments', admin: 'false' });

    const read = () => callerFromEvent(event);

    expect(read).toThrow(UnauthenticatedError);
  });

  it('throws UnauthenticatedError when the context has no teams', () => {
    const event = eventWith({ subject: 'alice', admin: 'false' });

    const read = () => callerFromEvent(event);

    expect(read).toThrow(UnauthenticatedError);
  });
});

describe('canAccessTeam', () => {
  it('lets a member access its own team', () => {
    const allowed = canAccessTeam(member, 'payments');

    expect(allowed).toBe(true);
  });

  it('keeps a member out of another team', () => {
    const allowed = canAccessTeam(member, 'ledger');

    expect(allowed).toBe(false);
  });

  it('lets an admin access any team', () => {
    const allowed = canAccessTeam(admin, 'ledger');

    expect(allowed).toBe(true);
  });
});
