// A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms
// with labels. Series per metric are capped so label values from clients (model names) cannot
// grow memory without bound; the excess is folded into label value "other".

type Labels = Record<string, string>;

const MAX_SERIES = 2000;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) {
    parts.push(extra);
  }
  return parts.length ? `{${parts.join(',')}}` : '';
}

function fmt(n: number): string {
  if (Number.isNaN(n)) {
    return 'NaN';
  }
  if (n === Infinity) {
    return '+Inf';
  }
  if (n === -Infinity) {
    return '-Inf';
  }
  return String(n);
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[]
  ) {}
  protected key(labels: Labels): string[] {
    return this.labelNames.map((n) => labels[n] ?? '');
  }
  abstract render(): string[];
}

export class Counter extends Metric {
  private readonly series = new Map<string, { values: string[]; v: number }>();
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) {
      return;
    }
    let values = this.key(labels);
    let k = JSON.stringify(values);
    if (!this.series.has(k) && this.series.size >= MAX_SERIES) {
      values = values.map(() => 'other');
      k = JSON.stringify(values);
    }
    const s = this.series.get(k);
    if (s) {
      s.v += by;
    } else {
      this.series.set(k, { values, v: by });
    }
  }
  get(labels: Labels = {}): number {
    return this.series.get(JSON.stringify(this.key(labels)))?.v ?? 0;
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const s of this.series.values()) {
      out.push(`${this.name}${labelText(this.labelNames, s.values)} ${fmt(s.v)}`);
    }
    return out;
  }
}

export class Gauge extends Metric {
  private readonly series = new Map<string, { values: string[]; v: number }>();
  /** Called at scrape time to refresh the value(s). */
  collect?: () => Promise<void> | void;
  set(labels: Labels, v: number): void {
    const values = this.key(labels);
    this.series.set(JSON.stringify(values), { values, v });
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const s of this.series.values()) {
      out.push(`${this.name}${labelText(this.labelNames, s.values)} ${fmt(s.v)}`);
    }
    return out;
  }
}

export class Histogram extends Metric {
  private readonly series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[]
  ) {
    super(name, help, labelNames);
  }
  observe(labels: Labels, v: number): void {
    const values = this.key(labels);
    const k = JSON.stringify(values);
    let s = this.series.get(k);
    if (!s) {
      s = { values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]!) {
        s.counts[i]!++;
      }
    }
    s.sum += v;
    s.count++;
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, `le="${fmt(b)}"`)} ${s.counts[i]}`);
      });
      out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, 'le="+Inf"')} ${s.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, s.values)} ${fmt(s.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.values)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }
  private add<T extends Metric>(m: T): T {
    this.metrics.push(m);
    return m;
  }
  async render(): Promise<string> {
    for (const m of this.metrics) {
      if (m instanceof Gauge && m.collect) {
        await m.collect();
      }
    }
    return this.metrics.flatMap((m) => m.render()).join('\n') + '\n';
  }
}

/** The service's metrics. */
export function createServiceMetrics() {
  const r = new Registry();
  const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    registry: r,
    spansAccepted: r.counter('pyflare_spans_accepted_total', 'Spans acknowledged (durable in the WAL).', ['protocol']),
    spansRejected: r.counter('pyflare_spans_rejected_total', 'Spans refused, by reason.', ['reason']),
    requests: r.counter('pyflare_otlp_requests_total', 'OTLP export requests by protocol and outcome.', ['protocol', 'code']),
    queueDepth: r.gauge('pyflare_queue_depth_spans', 'Spans acknowledged but not yet applied to storage.'),
    walCommit: r.histogram(
      'pyflare_wal_commit_seconds',
      'Duration of one WAL group commit (write + fdatasync).',
      [],
      latencyBuckets
    ),
    storageApply: r.histogram(
      'pyflare_storage_apply_seconds',
      'Duration of one batch apply to storage.',
      [],
      latencyBuckets
    ),
    storageCheckpoint: r.histogram(
      'pyflare_storage_checkpoint_seconds',
      'Duration of one storage checkpoint (DuckDB: applied spans made durable in the database file, so their WAL segments can go). It holds the writer, as applies do.',
      [],
      latencyBuckets
    ),
    storageWriteFailures: r.counter(
      'pyflare_storage_write_failures_total',
      'Failed attempts to write queued spans to storage, by step (apply, checkpoint); the spans stay in the WAL and are retried.',
      ['step']
    ),
    spansQuarantined: r.counter(
      'pyflare_spans_quarantined_total',
      'Acknowledged spans of requests that storage refused on their own, moved to the quarantine directory instead of blocking the requests after them.',
      []
    ),
    storageSize: r.gauge('pyflare_storage_size_bytes', 'Size of the storage files (database and WALs).'),
    processMemory: r.gauge(
      'pyflare_process_memory_bytes',
      'Memory of the service process by area: rss, V8 heap (heap_total, heap_used), memory held by JS objects outside the heap (external, array_buffers), and DuckDB buffer manager (duckdb).',
      ['area']
    ),
    llmRequests: r.counter('pyflare_llm_requests_total', 'LLM spans (calls) received.', ['provider', 'model', 'service']),
    llmTokens: r.counter('pyflare_llm_tokens_total', 'LLM tokens received, by type.', ['provider', 'model', 'service', 'type']),
    llmCost: r.counter('pyflare_llm_cost_usd_total', 'LLM cost in USD (provided or computed).', ['provider', 'model', 'service']),
    queryDuration: r.histogram('pyflare_query_seconds', 'Query durations by query type.', ['query_type'], latencyBuckets),
  };
}
export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;
