import { timeTicks } from './axis';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 8, 12, 0, 0);

describe('timeTicks', () => {
  it('picks round steps at least the minimum spacing apart', () => {
    const ticks = timeTicks(T0, T0 + 168 * H, 840, 90);
    // 168 h over 840 px: 90 px = 18 h -> daily ticks, at midnight UTC.
    expect(ticks.map((t) => new Date(t.time).toISOString())).toEqual([
      '2025-01-09T00:00:00.000Z',
      '2025-01-10T00:00:00.000Z',
      '2025-01-11T00:00:00.000Z',
      '2025-01-12T00:00:00.000Z',
      '2025-01-13T00:00:00.000Z',
      '2025-01-14T00:00:00.000Z',
      '2025-01-15T00:00:00.000Z',
    ]);
    expect(ticks.every((t) => t.day)).toBe(true);
    expect(ticks[0]!.position).toBeCloseTo(12 / 168);
  });

  it('uses hours for short ranges and honours the time zone offset', () => {
    const ticks = timeTicks(T0, T0 + 24 * H, 800, 90, 2 * H);
    expect(ticks.map((t) => new Date(t.time + 2 * H).getUTCHours())).toEqual([15, 18, 21, 0, 3, 6, 9, 12]);
    expect(ticks.filter((t) => t.day)).toHaveLength(1);
  });

  it('is empty for an empty range', () => {
    expect(timeTicks(T0, T0, 800)).toEqual([]);
    expect(timeTicks(T0, T0 + H, 0)).toEqual([]);
  });
});
