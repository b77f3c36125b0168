/** knownNames (shared/domain/environment.ts): what teardown and remove-task-roles look for by name. */
import { knownNames } from '../../shared/domain/environment';

const spec = { services: [{ name: 'web' }, { name: 'api' }], jobs: [{ name: 'nightly' }] };

describe('knownNames', () => {
  it("joins the spec's names and those the last run recorded, once each, sorted", () => {
    const outputs = { services: [{ name: 'api', url: 'u' }, { name: 'admin' }], jobs: [{ name: 'old' }] };

    expect(knownNames({ spec, outputs }, 'services')).toEqual(['admin', 'api', 'web']);
    expect(knownNames({ spec, outputs }, 'jobs')).toEqual(['nightly', 'old']);
  });

  it('takes only the spec when the recorded outputs are missing or do not parse', () => {
    expect(knownNames({ spec, outputs: {} }, 'services')).toEqual(['api', 'web']);
    expect(knownNames({ spec, outputs: { jobs: 'broken' } }, 'jobs')).toEqual(['nightly']);
  });
});
