import { locationUtil } from '@grafana/data';

/** A Grafana-internal link that also works when Grafana is served under a sub path. */
export function grafanaUrl(path: string): string {
  return locationUtil.assureBaseUrl(path);
}
