import {
  barGeometry,
  clampWindow,
  formatTick,
  fullWindow,
  isFullWindow,
  panWindow,
  selectWindow,
  tickLabels,
  windowTicks,
  zoomWindow,
} from './viewport';

const fmt = (ms: number) => `${ms} ms`;

describe('zoom and pan', () => {
  it('zooms in around an anchor and back out to the whole trace', () => {
    const w = zoomWindow(fullWindow(1000), 0.5, 0.5, 1000);
    expect(w).toEqual({ start: 250, end: 750 });
    const left = zoomWindow(fullWindow(1000), 0.5, 0, 1000);
    expect(left).toEqual({ start: 0, end: 500 });
    const out = zoomWindow(w, 4, 0.5, 1000);
    expect(out).toEqual({ start: 0, end: 1000 });
    expect(isFullWindow(out, 1000)).toBe(true);
  });

  it('keeps the time under the pointer in place', () => {
    const w = zoomWindow({ start: 100, end: 500 }, 0.5, 0.25, 1000);
    // 0.25 across [100, 500] is 200 ms: still 0.25 across the new window.
    expect(w.start + (w.end - w.start) * 0.25).toBeCloseTo(200, 9);
    expect(w.end - w.start).toBeCloseTo(200, 9);
  });

  it('never zooms below a microsecond or a millionth of the trace', () => {
    let w = fullWindow(10);
    for (let i = 0; i < 100; i++) {
      w = zoomWindow(w, 0.1, 0.5, 10);
    }
    expect(w.end - w.start).toBeCloseTo(0.001, 9);
  });

  it('pans within the trace', () => {
    expect(panWindow({ start: 100, end: 200 }, 50, 1000)).toEqual({ start: 150, end: 250 });
    expect(panWindow({ start: 100, end: 200 }, -500, 1000)).toEqual({ start: 0, end: 100 });
    expect(panWindow({ start: 100, end: 200 }, 5000, 1000)).toEqual({ start: 900, end: 1000 });
  });

  it('selects a range across the current window in either drag direction', () => {
    expect(selectWindow({ start: 200, end: 600 }, 0.75, 0.25, 1000)).toEqual({ start: 300, end: 500 });
  });

  it('clamps windows into the trace', () => {
    expect(clampWindow({ start: -50, end: 100 }, 1000)).toEqual({ start: 0, end: 150 });
    expect(clampWindow({ start: 900, end: 1200 }, 1000)).toEqual({ start: 700, end: 1000 });
    expect(clampWindow({ start: 600, end: 400 }, 1000)).toEqual({ start: 400, end: 600 });
    expect(clampWindow({ start: Number.NaN, end: 10 }, 1000)).toEqual({ start: 0, end: 10 });
    expect(clampWindow({ start: 0, end: 10 }, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('barGeometry', () => {
  it('places bars as fractions of the window', () => {
    expect(barGeometry(250, 250, { start: 0, end: 1000 })).toEqual({
      left: 0.25,
      width: 0.25,
      clippedStart: false,
      clippedEnd: false,
    });
  });

  it('clips bars at the window edges and drops bars outside it', () => {
    expect(barGeometry(0, 500, { start: 250, end: 750 })).toEqual({
      left: 0,
      width: 0.5,
      clippedStart: true,
      clippedEnd: false,
    });
    expect(barGeometry(800, 100, { start: 250, end: 750 })).toBeUndefined();
    expect(barGeometry(100, 100, { start: 250, end: 750 })).toBeUndefined();
  });
});

describe('ticks', () => {
  it('puts round ticks inside a window', () => {
    expect(windowTicks({ start: 0, end: 1000 })).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(windowTicks({ start: 130, end: 370 })).toEqual([150, 200, 250, 300, 350]);
    expect(windowTicks({ start: 0, end: 0 })).toEqual([0]);
  });

  it('labels ticks with enough digits to tell them apart', () => {
    expect(tickLabels([0, 200, 400], fmt)).toEqual(['0 ms', '200 ms', '400 ms']);
    const same = () => 'same';
    expect(tickLabels([1200, 1200.2, 1200.4], same)).toEqual(['1.2000 s', '1.2002 s', '1.2004 s']);
    expect(formatTick(0.2, 0.2, 0.8)).toBe('200 µs');
    expect(formatTick(12.5, 2.5, 20)).toBe('12.5 ms');
  });
});
