import {
  MAX_PRIORITY,
  NoFreePriority,
  nextFreePriority,
  planPriorities,
} from '../../shared/domain/listener-priorities';

describe('planPriorities', () => {
  const routed = (name: string, priority?: number) => ({
    name,
    routing: {
      pathPatterns: [`/${name}/*`],
      hostHeaders: [],
      ...(priority === undefined ? {} : { priority }),
    },
  });

  it('gives new services multiples of 10 from 100 in spec order', () => {
    expect(planPriorities([routed('a'), routed('b'), routed('c')], {})).toEqual({ a: 100, b: 110, c: 120 });
  });

  it('keeps explicit priorities and skips them when assigning', () => {
    expect(planPriorities([routed('a'), routed('b', 100), routed('c', 5)], {})).toEqual({
      a: 110,
      b: 100,
      c: 5,
    });
  });

  it("keeps a service's existing priority and never hands out one an existing rule holds", () => {
    const existing = { c: 120, removed: 100 };
    expect(planPriorities([routed('new'), routed('c')], existing)).toEqual({ new: 110, c: 120 });
  });

  it('moves an existing rule when its service now asks for an explicit priority', () => {
    expect(planPriorities([routed('a', 7)], { a: 100 })).toEqual({ a: 7 });
  });
});

describe('nextFreePriority', () => {
  it('takes the first priority above the planned one that no rule holds', () => {
    // Prepare: rules made concurrently hold 101 and 102.
    const used = [100, 101, 102, 110];
    // Act
    const priority = nextFreePriority(used, 100);
    // Assess
    expect(priority).toBe(103);
  });

  it('refuses to go past the highest priority a listener allows', () => {
    // Prepare
    const used = [MAX_PRIORITY];
    // Act
    const next = () => nextFreePriority(used, MAX_PRIORITY - 1);
    // Assess
    expect(next).toThrow(NoFreePriority);
  });
});

describe('planPriorities at the limit', () => {
  it('refuses a plan when no multiple of 10 up to the maximum is free', () => {
    // Prepare: every assignable priority already held by an existing rule.
    const existing: Record<string, number> = {};
    for (let priority = 100; priority <= MAX_PRIORITY; priority += 10) existing[`old-${priority}`] = priority;
    const services = [{ name: 'new', routing: { pathPatterns: ['/new/*'], hostHeaders: [] } }];
    // Act
    const plan = () => planPriorities(services, existing);
    // Assess
    expect(plan).toThrow(NoFreePriority);
  });
});
