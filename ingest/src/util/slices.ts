// Long synchronous work on the JS thread (normalizing a request, packing held rows) runs in
// slices, so that the event loop (OTLP acknowledgements, DuckDB's calls back into JS) is never
// held for long. Time is read every 16 steps only: performance.now() costs more than a step.

/** Counts steps; due() says when a slice of `ms` is over, pause() then yields to the event loop. */
export class TimeSlices {
  private start = performance.now();
  private steps = 0;

  constructor(private readonly ms: number) {}

  /** Called once per step: whether the slice is over (the caller then awaits pause()). */
  due(): boolean {
    return (++this.steps & 15) === 0 && performance.now() - this.start >= this.ms;
  }

  /** Lets the event loop run, then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.start = performance.now();
  }
}
