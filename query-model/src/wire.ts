import { z } from 'zod';

/**
 * The body of `POST /api/v1/query`: what the Go backend forwards from Grafana's
 * QueryDataRequest. Times are epoch milliseconds. `query` is the saved query model,
 * validated by the service per refId so one bad query never fails its neighbours.
 */
export const queryRequestSchema = z.object({
  queries: z
    .array(
      z.object({
        refId: z.string().min(1).max(128),
        timeRange: z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }),
        intervalMs: z.number().int().positive().max(366 * 86_400_000).default(60_000),
        maxDataPoints: z.number().int().positive().max(100_000).default(1000),
        query: z.record(z.string(), z.unknown()),
      })
    )
    .min(1)
    .max(100),
});
export type QueryRequest = z.input<typeof queryRequestSchema>;

/** Field types of Grafana's data frame JSON (the `type` of a field schema). */
export type FrameFieldType = 'time' | 'number' | 'string' | 'boolean' | 'other' | 'enum';

/** Grafana data-frame JSON, as read by @grafana/data's dataFrameFromJSON and the Go SDK. */
export interface FrameJSON {
  schema: {
    name?: string;
    refId?: string;
    meta?: Record<string, unknown>;
    fields: Array<{
      name: string;
      type: FrameFieldType;
      // Required: the Go SDK cannot decode a field without typeInfo.frame.
      typeInfo: { frame: string; nullable?: boolean };
      labels?: Record<string, string>;
      config?: Record<string, unknown>;
    }>;
  };
  data: { values: unknown[][]; nanos?: Array<number[] | null> };
}

/** One refId's answer; the same JSON as the Go SDK's backend.DataResponse. */
export interface QueryResultJSON {
  status: number;
  frames?: FrameJSON[];
  error?: string;
  errorSource?: 'plugin' | 'downstream';
}

/** The answer of `POST /api/v1/query`; the same JSON as the Go SDK's backend.QueryDataResponse. */
export interface QueryResponseJSON {
  results: Record<string, QueryResultJSON>;
}
