import {
  EventBusSrv,
  LoadingState,
  dateTime,
  type DataFrame,
  type PanelData,
  type PanelProps,
  type TimeRange,
} from '@grafana/data';

/** The props Grafana gives a panel, for rendering panels outside Grafana (unit tests, browser harness). */
export function panelProps<T>(
  options: T,
  series: DataFrame[],
  over: Partial<Omit<PanelProps<T>, 'options'>> = {}
): PanelProps<T> {
  const to = dateTime(Date.UTC(2025, 0, 15, 13, 0, 0));
  const from = dateTime(Date.UTC(2025, 0, 15, 12, 0, 0));
  const timeRange: TimeRange = { from, to, raw: { from: 'now-1h', to: 'now' } };
  const data: PanelData = { state: LoadingState.Done, series, timeRange };
  return {
    id: 1,
    data,
    timeRange,
    timeZone: 'utc',
    options,
    transparent: false,
    width: 1000,
    height: 500,
    fieldConfig: { defaults: {}, overrides: [] },
    renderCounter: 1,
    title: 'Panel',
    eventBus: new EventBusSrv(),
    onOptionsChange: () => {},
    onFieldConfigChange: () => {},
    replaceVariables: (s: string) => s,
    onChangeTimeRange: () => {},
    ...over,
  };
}
