/** The record of each environment's last drift check against DynamoDB Local: one claim per window. */
import { DriftCheckStore } from '../../shared/store/drift-checks';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';

const log = new DriftCheckStore(testDocumentClient(), TEST_TABLE);
let counter = 0;
const environmentId = () => {
  counter += 1;
  return `env-drift-${process.pid}-${Date.now().toString(36)}-${counter}`;
};
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, seconds));

describe('DriftCheckStore', () => {
  it('grants one claim per window: a second within it is refused, one after it granted', async () => {
    const id = environmentId();

    expect(await log.claim(id, at(0), 60)).toBe(true);
    expect(await log.claim(id, at(59), 60)).toBe(false);
    expect(await log.claim(id, at(60), 60)).toBe(true);
    expect(await log.last(id)).toEqual({ claimedAt: at(60).getTime() });
  });

  it('grants exactly one of many simultaneous claims', async () => {
    const id = environmentId();

    const granted = await Promise.all(Array.from({ length: 8 }, () => log.claim(id, at(0), 60)));

    expect(granted.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the last report beside the claim', async () => {
    const id = environmentId();
    const report = { environmentId: id, checkedAt: at(0).toISOString(), drifted: false, differences: [] };

    await log.claim(id, at(0), 60);
    await log.record(id, report);

    expect(await log.last(id)).toEqual({ claimedAt: at(0).getTime(), report });
    expect(await log.last(environmentId())).toEqual({});
  });
});
