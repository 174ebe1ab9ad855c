import { buildLut, colorAt, heatmapStops, lutIndex, LUT_SIZE, MAX_LEVEL, mixColors } from './colorScale';

const c = {
  healthy: '#e0f0e0',
  healthyStrong: '#80c080',
  warning: '#ffff00',
  mid: '#ff8000',
  drift: '#ff0000',
  severe: '#800000',
};

describe('color scale', () => {
  it('mixes colors', () => {
    expect(mixColors('#000000', '#ffffff', 0.5)).toBe('rgb(128, 128, 128)');
    expect(mixColors('rgba(0, 0, 0, 0)', '#ff0000', 1)).toBe('rgb(255, 0, 0)');
  });

  it('puts yellow on the warning level and red on the drift line', () => {
    const stops = heatmapStops(c, 0.8);
    expect(stops.map((s) => s.level)).toEqual([0, 0.4, 0.8, 0.9, 1, MAX_LEVEL]);
    expect(colorAt(stops, 0.8)).toBe('rgb(255, 255, 0)');
    expect(colorAt(stops, 1)).toBe('rgb(255, 0, 0)');
    expect(colorAt(stops, -1)).toBe('rgb(224, 240, 224)');
    expect(colorAt(stops, 99)).toBe('rgb(128, 0, 0)');
    expect(colorAt(stops, 1.5)).toBe('rgb(192, 0, 0)');
  });

  it('keeps the warning level inside the scale', () => {
    expect(heatmapStops(c, 0)[1]!.level).toBeGreaterThan(0);
    expect(heatmapStops(c, 1)[2]!.level).toBeLessThan(1);
  });

  it('maps levels to LUT entries', () => {
    const lut = buildLut(heatmapStops(c, 0.8));
    expect(lut).toHaveLength(LUT_SIZE);
    expect(lut[lutIndex(0)]).toBe('rgb(224, 240, 224)');
    expect(lut[lutIndex(1)]).toBe(colorAt(heatmapStops(c, 0.8), (lutIndex(1) / (LUT_SIZE - 1)) * MAX_LEVEL));
    expect(lutIndex(Number.NaN)).toBe(-1);
    expect(lutIndex(Number.POSITIVE_INFINITY)).toBe(LUT_SIZE - 1);
    expect(lutIndex(-3)).toBe(0);
  });
});
