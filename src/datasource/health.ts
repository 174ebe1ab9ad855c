import { z } from 'zod';

/**
 * CheckHealth's JSONDetails (pkg/plugin/health.go `healthDetails`): where the service is,
 * what it runs and how fresh its data is, or the kind of failure.
 */
export const healthDetailsSchema = z.object({
  url: z.string().optional(),
  errorKind: z.string().optional(),
  version: z.string().optional(),
  storage: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  spanCount: z.number().nullable().optional(),
  lastSpanTime: z.string().nullable().optional(),
});
export type HealthDetails = z.output<typeof healthDetailsSchema>;

export function parseHealthDetails(raw: unknown): HealthDetails | null {
  const parsed = healthDetailsSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** `3 min ago`, `2 h ago`, `5 days ago`, like the backend's message. */
export function ago(ms: number): string {
  if (ms < 0) {
    return 'in the future (check clocks)';
  }
  if (ms < 60_000) {
    return 'less than a minute ago';
  }
  if (ms < 3_600_000) {
    return `${Math.floor(ms / 60_000)} min ago`;
  }
  if (ms < 48 * 3_600_000) {
    return `${Math.floor(ms / 3_600_000)} h ago`;
  }
  return `${Math.floor(ms / 86_400_000)} days ago`;
}

/** Label / value rows of the health details, in display order; only what the backend reported. */
export function healthRows(d: HealthDetails, now: number = Date.now()): Array<{ label: string; value: string }> {
  const rows: Array<{ label: string; value: string }> = [];
  if (d.version) {
    rows.push({ label: 'Service version', value: d.version });
  }
  if (d.storage) {
    rows.push({ label: 'Storage engine', value: d.storage });
  }
  if (d.spanCount !== undefined && d.spanCount !== null) {
    rows.push({ label: 'Spans stored', value: d.spanCount.toLocaleString('en-US') });
  }
  if (d.version) {
    let freshness = 'no spans yet';
    if (d.lastSpanTime) {
      const t = Date.parse(d.lastSpanTime);
      freshness = Number.isFinite(t) ? `last span ${ago(now - t)} (${new Date(t).toISOString()})` : d.lastSpanTime;
    }
    rows.push({ label: 'Data freshness', value: freshness });
  }
  if (d.scopes?.length) {
    rows.push({ label: 'Token scopes', value: d.scopes.join(', ') });
  }
  if (d.url) {
    rows.push({ label: 'URL', value: d.url });
  }
  if (d.errorKind) {
    rows.push({ label: 'Failure', value: d.errorKind });
  }
  return rows;
}

/** One line of the details, for the message under Grafana's "Save & test" result. */
export function healthSummary(d: HealthDetails, now: number = Date.now()): string {
  return healthRows(d, now)
    .map((r) => `${r.label}: ${r.value}`)
    .join(' · ');
}
