import React, { useCallback, useMemo } from 'react';
import { css } from '@emotion/css';
import { LoadingState, type GrafanaTheme2, type PanelProps } from '@grafana/data';
import { locationService, PanelDataErrorView } from '@grafana/runtime';
import { Combobox, Icon, RadioButtonGroup, useStyles2 } from '@grafana/ui';

import { formatScore } from '../../../shared/format';
import { featureResultFor, isEmptyDriftData } from '../data/driftData';
import { driftDataSource, featureVariableUpdate, type DrillTarget } from '../data/drilldown';
import { buildHeatmap, sortHeatmapRows, type HeatmapRow } from '../data/heatmap';
import { alertSummary, buildOverview } from '../data/overview';
import { useDistribution } from '../hooks/useDistribution';
import { useDriftColors } from '../hooks/useDriftColors';
import { useDriftModel } from '../hooks/useDriftModel';
import { useDriftViewState } from '../hooks/useDriftViewState';
import { defaultDriftOptions, type DriftPanelOptions, type DriftView, type HeatmapSort } from '../types';
import { DistributionView } from './DistributionView';
import { HeatmapView } from './HeatmapView';
import { OverviewView } from './OverviewView';
import { testIds } from './testIds';

export type DriftPanelProps = PanelProps<DriftPanelOptions>;

const TOOLBAR_HEIGHT = 32;

const VIEW_LABELS: Record<DriftView, string> = {
  overview: 'Overview',
  heatmap: 'Features',
  distribution: 'Distribution',
};

const SORT_OPTIONS: Array<{ value: HeatmapSort; label: string; description: string }> = [
  { value: 'current', label: 'Current', description: 'Latest drift first' },
  { value: 'peak', label: 'Peak', description: 'Highest drift in the time range first' },
  { value: 'name', label: 'Name', description: 'Feature name' },
];

/** Options as saved may miss keys added later (the migration fills them; this guards hand-made props). */
function withDefaults(o: Partial<DriftPanelOptions>): DriftPanelOptions {
  return {
    ...defaultDriftOptions,
    ...o,
    driftTypes: Array.isArray(o.driftTypes) ? o.driftTypes : [],
    thresholds: { ...defaultDriftOptions.thresholds, ...o.thresholds },
  };
}

const targetKey = (t: DrillTarget) => JSON.stringify([t.model ?? '', t.service ?? '', t.driftType, t.feature]);
const rowTarget = (r: HeatmapRow): DrillTarget => ({
  feature: r.feature,
  model: r.model,
  driftType: r.driftType,
  service: r.service,
});

export function DriftPanel({
  data,
  options: rawOptions,
  width,
  height,
  timeZone,
  timeRange,
  id,
  fieldConfig,
}: DriftPanelProps) {
  const styles = useStyles2(getStyles);
  const options = useMemo(() => withDefaults(rawOptions), [rawOptions]);
  const datasource = useMemo(() => driftDataSource(data, data.series[0]?.refId), [data]);
  const model = useDriftModel(data.series, options, datasource !== undefined);
  const vs = useDriftViewState(options.mode, options.heatmapSort, model.views, model.auto);
  const view = vs.view;

  const gauges = useMemo(() => buildOverview(model.data, options), [model.data, options]);
  const needsRows = view === 'heatmap' || view === 'distribution';
  const matrix = useMemo(
    () => (needsRows ? buildHeatmap(model.data, options) : undefined),
    [needsRows, model.data, options]
  );
  const rows = useMemo(() => (matrix ? sortHeatmapRows(matrix.rows, vs.sort) : []), [matrix, vs.sort]);
  const colors = useDriftColors(
    matrix?.warningLevel ??
      (options.thresholds.source === 'data'
        ? options.thresholds.warningRatio
        : options.thresholds.warning / (options.thresholds.critical || 1))
  );

  // The distribution shown: the clicked or picked feature, else one in the data, else the worst feature.
  const firstDist = model.data.distributions[0];
  const target: DrillTarget | undefined =
    vs.drill ??
    (firstDist
      ? { feature: firstDist.feature, model: firstDist.model, driftType: firstDist.driftType ?? 'feature' }
      : rows[0] && rowTarget(sortHeatmapRows(rows, 'current')[0]!));
  const dist = useDistribution(
    view === 'distribution' ? target : undefined,
    model.data.distributions,
    datasource,
    timeRange
  );

  const { openFeature } = vs;
  const featureVariable = options.featureVariable;
  const open = useCallback(
    (t: DrillTarget) => {
      openFeature(t);
      const update = featureVariable ? featureVariableUpdate(featureVariable, t.feature) : undefined;
      if (update) {
        // Other panels of the dashboard follow the clicked feature.
        locationService.partial(update, true);
      }
    },
    [openFeature, featureVariable]
  );

  const errorMessage = data.errors?.[0]?.message;
  if (data.state === LoadingState.Error && data.series.length === 0) {
    return (
      <div className={styles.center} data-testid={testIds.error}>
        <PanelDataErrorView panelId={id} fieldConfig={fieldConfig} data={data} message={errorMessage} />
      </div>
    );
  }
  if (data.series.length === 0) {
    return (
      <div className={styles.center} data-testid={testIds.empty}>
        <PanelDataErrorView
          panelId={id}
          fieldConfig={fieldConfig}
          data={data}
          message="No drift data in this time range. Run a PyFlare Drift query (view Scores, Features or Distribution) or an Alerts query"
        />
      </div>
    );
  }
  if (isEmptyDriftData(model.all)) {
    return <PanelDataErrorView panelId={id} fieldConfig={fieldConfig} data={data} needsNumberField />;
  }
  if (isEmptyDriftData(model.data)) {
    return (
      <div className={styles.center} data-testid={testIds.empty}>
        <PanelDataErrorView
          panelId={id}
          fieldConfig={fieldConfig}
          data={data}
          message={`No drift data of the selected drift types (${options.driftTypes.join(', ')})`}
        />
      </div>
    );
  }

  const summary = options.alertOnDrift ? alertSummary(gauges) : undefined;
  const views = model.views.includes(view) ? model.views : [...model.views, view];
  const pickerRows: Array<{ value: string; label: string; description?: string; target: DrillTarget }> = rows.length
    ? rows.map((r) => ({
        value: targetKey(rowTarget(r)),
        label: r.label,
        description: r.currentScore === undefined ? undefined : `latest ${formatScore(r.currentScore)}`,
        target: rowTarget(r),
      }))
    : model.data.distributions.map((d) => {
        const t = { feature: d.feature, model: d.model, driftType: d.driftType ?? 'feature' };
        return { value: targetKey(t), label: d.feature, target: t };
      });
  const showPicker = view === 'distribution' && pickerRows.length > 1;
  const showToolbar = views.length > 1 || view === 'heatmap' || showPicker || summary !== undefined;
  const bodyHeight = height - (showToolbar ? TOOLBAR_HEIGHT : 0);

  return (
    <div className={styles.panel} style={{ width, height }} data-testid={testIds.panel} data-view={view}>
      {showToolbar && (
        <div className={styles.toolbar} data-testid={testIds.toolbar}>
          {views.length > 1 && (
            <div data-testid={testIds.viewSwitch}>
              <RadioButtonGroup<DriftView>
                size="sm"
                aria-label="Drift view"
                options={views.map((v) => ({ value: v, label: VIEW_LABELS[v] }))}
                value={view}
                onChange={vs.setView}
              />
            </div>
          )}
          {view === 'heatmap' && (
            <div className={styles.group} data-testid={testIds.heatmapSort}>
              <span className={styles.label}>Sort</span>
              <RadioButtonGroup<HeatmapSort>
                size="sm"
                aria-label="Sort features"
                options={SORT_OPTIONS}
                value={vs.sort}
                onChange={vs.setSort}
              />
            </div>
          )}
          {showPicker && (
            <div className={styles.group} data-testid={testIds.featurePicker}>
              <span className={styles.label}>Feature</span>
              <Combobox<string>
                width={26}
                aria-label="Feature"
                options={pickerRows.map(({ value, label, description }) => ({ value, label, description }))}
                value={target ? targetKey(target) : null}
                onChange={(o) => {
                  const picked = pickerRows.find((p) => p.value === o.value);
                  if (picked) {
                    open(picked.target);
                  }
                }}
              />
            </div>
          )}
          {summary && (
            <span className={styles.alert} role="alert" title={summary.text} data-testid={testIds.alert}>
              <Icon name="bell" size="sm" />
              {summary.count} drift alert{summary.count === 1 ? '' : 's'} active
            </span>
          )}
        </div>
      )}
      <div className={styles.body} style={{ height: bodyHeight }}>
        {view === 'overview' && (
          <OverviewView
            gauges={gauges}
            options={options}
            colors={colors}
            width={width}
            height={bodyHeight}
            timeZone={timeZone}
          />
        )}
        {view === 'heatmap' && matrix && (
          <HeatmapView
            matrix={matrix}
            rows={rows}
            colors={colors}
            width={width}
            height={bodyHeight}
            timeZone={timeZone}
            showThreshold={options.showThreshold}
            alertOnDrift={options.alertOnDrift}
            onOpen={(r) => open(rowTarget(r))}
          />
        )}
        {view === 'distribution' && (
          <DistributionView
            state={dist}
            result={target && featureResultFor(model.data.features, target)}
            colors={colors}
            width={width}
            height={bodyHeight}
            timeZone={timeZone}
          />
        )}
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    display: 'flex',
    flexDirection: 'column',
    overflow: 'hidden',
  }),
  center: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    height: '100%',
    textAlign: 'center',
    color: theme.colors.text.secondary,
  }),
  toolbar: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(2),
    height: TOOLBAR_HEIGHT,
    flexShrink: 0,
    paddingBottom: theme.spacing(0.5),
    minWidth: 0,
    overflow: 'hidden',
  }),
  group: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  }),
  label: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  alert: css({
    marginLeft: 'auto',
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(0, 1),
    height: 24,
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.error.transparent,
    border: `1px solid ${theme.colors.error.border}`,
    color: theme.colors.error.text,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    whiteSpace: 'nowrap',
  }),
  body: css({
    minHeight: 0,
    position: 'relative',
  }),
});
