import type { DataFrame, LinkModel } from '@grafana/data';

import { fieldByName } from '../data/frames';

/**
 * The data links of a trace list row's traceID cell (the service sets one that opens the
 * trace in Explore). Grafana only resolves links on frames it has processed for a panel.
 */
export function traceIdLinks(frame: DataFrame | undefined, rowIndex: number): LinkModel[] {
  const field = frame ? fieldByName(frame, 'traceID') : undefined;
  if (!field?.getLinks) {
    return [];
  }
  try {
    return field.getLinks({ valueRowIndex: rowIndex });
  } catch {
    return [];
  }
}
