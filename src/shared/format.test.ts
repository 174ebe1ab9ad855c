import { formatCompact, formatCost, formatDuration, formatInt, formatScore, rulerTicks, shortId } from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [0.42, '420 µs'],
    [1.5, '1.5 ms'],
    [12.34, '12.3 ms'],
    [412.6, '413 ms'],
    [1000, '1 s'],
    [1234, '1.23 s'],
    [125_000, '2m 5s'],
    [120_000, '2m'],
    [3_900_000, '1h 5m'],
    [-1, '–'],
  ])('%p ms -> %p', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('formatCost', () => {
  it.each([
    [0, '$0'],
    [0.00005, '<$0.0001'],
    [0.0062, '$0.0062'],
    [0.25, '$0.25'],
    [1.5, '$1.50'],
    [1234.5, '$1,234.50'],
  ])('%p -> %p', (usd, text) => expect(formatCost(usd)).toBe(text));
});

describe('numbers', () => {
  it('formats counts', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(2500)).toBe('2.5k');
    expect(formatCompact(25_000)).toBe('25k');
    expect(formatCompact(3_400_000)).toBe('3.4M');
    expect(formatScore(0.1234)).toBe('0.123');
    expect(formatScore(12.34)).toBe('12.3');
  });

  it('shortens ids', () => {
    expect(shortId('4bf92f3577b34da6')).toBe('4bf92f35');
    expect(shortId('abc')).toBe('abc');
  });
});

describe('rulerTicks', () => {
  it('uses 1-2-5 steps', () => {
    expect(rulerTicks(1000)).toEqual([0, 250, 500, 750, 1000]);
    expect(rulerTicks(930)).toEqual([0, 250, 500, 750]);
    expect(rulerTicks(7)).toEqual([0, 2, 4, 6]);
    expect(rulerTicks(0)).toEqual([0]);
  });
});
