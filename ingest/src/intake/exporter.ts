// One OTLP export, whatever the transport: normalize, make durable, count.
import type { ServiceMetrics } from '../metrics/registry.js';
import { normalizeRequest, type Limits, type Pricer } from '../normalize/index.js';
import type { ExportResult, ExportTraceServiceRequest } from '../otlp/types.js';
import type { SpanRow } from '../storage/types.js';
import type { Intake } from './pipeline.js';

export interface ExporterDeps {
  intake: Intake;
  metrics: ServiceMetrics;
  pricer: Pricer | null;
  limits?: Limits;
}

export type ExportFn = (req: ExportTraceServiceRequest, protocol: 'http' | 'grpc') => Promise<ExportResult>;

function countLlm(metrics: ServiceMetrics, rows: readonly SpanRow[]): void {
  for (const r of rows) {
    const model = r.responseModel ?? r.requestModel;
    if (model === null && r.inputTokens === null && r.outputTokens === null) {
      continue;
    }
    const labels = { provider: r.provider ?? 'unknown', model: model ?? 'unknown', service: r.service };
    metrics.llmRequests.inc(labels);
    const tokens: Array<[string, number | null]> = [
      ['input', r.inputTokens],
      ['output', r.outputTokens],
      ['cache_read', r.cacheReadTokens],
      ['cache_write', r.cacheWriteTokens],
      ['reasoning', r.reasoningTokens],
    ];
    for (const [type, n] of tokens) {
      if (n) {
        metrics.llmTokens.inc({ ...labels, type }, n);
      }
    }
    if (r.costMicros) {
      metrics.llmCost.inc(labels, r.costMicros / 1e6);
    }
  }
}

export function createExporter(deps: ExporterDeps): ExportFn {
  return async (req, protocol) => {
    const result = normalizeRequest(req, { pricer: deps.pricer, limits: deps.limits });
    for (const [reason, n] of Object.entries(result.rejectedByReason)) {
      deps.metrics.spansRejected.inc({ reason }, n);
    }
    try {
      await deps.intake.submit(result.rows);
    } catch (e) {
      deps.metrics.spansRejected.inc({ reason: 'overloaded' }, result.rows.length);
      throw e;
    }
    deps.metrics.spansAccepted.inc({ protocol }, result.rows.length);
    countLlm(deps.metrics, result.rows);
    return { rejectedSpans: result.rejected, errorMessage: result.errorMessage };
  };
}
