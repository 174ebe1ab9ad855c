import { scrollTopToReveal, visibleRange } from './virtualWindow';

describe('visibleRange', () => {
  it('covers the viewport plus overscan', () => {
    expect(visibleRange(0, 100, 10, 1000, 5)).toEqual({ start: 0, end: 16 });
    expect(visibleRange(500, 100, 10, 1000, 5)).toEqual({ start: 45, end: 66 });
  });

  it('stays inside the list', () => {
    expect(visibleRange(100_000, 100, 10, 1000, 5)).toEqual({ start: 999, end: 1000 });
    expect(visibleRange(0, 100, 10, 3, 5)).toEqual({ start: 0, end: 3 });
    expect(visibleRange(0, 100, 10, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('scrollTopToReveal', () => {
  it('scrolls just enough to show a row under a sticky header', () => {
    // Rows of 10 px, a 100 px viewport with a 20 px header: 8 rows visible.
    expect(scrollTopToReveal(3, 10, 0, 100, 20)).toBeUndefined();
    expect(scrollTopToReveal(9, 10, 0, 100, 20)).toBe(20);
    expect(scrollTopToReveal(2, 10, 50, 100, 20)).toBe(20);
  });
});
