// Test helper: synthetic engine frame JSON decoded as Grafana decodes a data source response.
import { dataFrameFromJSON, type DataFrame, type DataFrameJSON } from '@grafana/data';
import type { FrameJSON } from '@pyflare/query-model';

export function decode(frames: FrameJSON[]): DataFrame[] {
  return frames.map((f) => dataFrameFromJSON(f as unknown as DataFrameJSON));
}
