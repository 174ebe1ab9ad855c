import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from './registry.js';

describe('Prometheus registry', () => {
  it('renders counters, gauges and cumulative histograms in text format', async () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things.', ['kind']);
    c.inc({ kind: 'a' });
    c.inc({ kind: 'a' }, 2);
    c.inc({ kind: 'q"\\\n' });
    c.inc({ kind: 'a' }, -5);
    const g = r.gauge('depth', 'Depth.');
    g.collect = () => g.set({}, 7);
    const h = r.histogram('lat_seconds', 'Latency.', [], [0.1, 1]);
    h.observe({}, 0.05);
    h.observe({}, 0.5);
    h.observe({}, 5);
    const text = await r.render();
    assert.equal(
      text,
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{kind="a"} 3',
        'x_total{kind="q\\"\\\\\\n"} 1',
        '# HELP depth Depth.',
        '# TYPE depth gauge',
        'depth 7',
        '# HELP lat_seconds Latency.',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{le="0.1"} 1',
        'lat_seconds_bucket{le="1"} 2',
        'lat_seconds_bucket{le="+Inf"} 3',
        'lat_seconds_sum 5.55',
        'lat_seconds_count 3',
        '',
      ].join('\n')
    );
  });

  it('folds label sets beyond the series cap into "other"', () => {
    const r = new Registry();
    const c = r.counter('m_total', 'M.', ['model']);
    for (let i = 0; i < 2100; i++) {
      c.inc({ model: `m${i}` });
    }
    assert.equal(c.get({ model: 'other' }), 100);
  });
});
