import React, { useEffect, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { useStyles2 } from '@grafana/ui';

import { healthRows, parseHealthDetails, type HealthDetails } from '../health';
import { selectors } from '../selectors';

interface HealthAnswer {
  status?: string;
  message?: string;
  details?: unknown;
}

/** The health answer of a saved data source; Grafana answers 400 with the same JSON for ERROR. */
async function loadHealth(uid: string): Promise<HealthAnswer> {
  try {
    return await getBackendSrv().get<HealthAnswer>(
      `/api/datasources/uid/${encodeURIComponent(uid)}/health`,
      undefined,
      undefined,
      {
        showErrorAlert: false,
        showSuccessAlert: false,
      }
    );
  } catch (e) {
    const data = (e as { data?: HealthAnswer }).data;
    if (data && typeof data === 'object') {
      return data;
    }
    throw e;
  }
}

/** The health details as a definition list (version, storage, freshness, scopes, URL). */
export function HealthDetailsList({ details, ok, message }: { details: HealthDetails; ok: boolean; message?: string }) {
  const styles = useStyles2(getStyles);
  const rows = healthRows(details);
  return (
    <div data-testid={selectors.config.healthDetails} className={styles.box} aria-label="PyFlare service status">
      <div className={ok ? styles.ok : styles.error}>
        {message ?? (ok ? 'Service reachable' : 'Service not reachable')}
      </div>
      {rows.length > 0 && (
        <dl className={styles.list}>
          {rows.map((r) => (
            <React.Fragment key={r.label}>
              <dt>{r.label}</dt>
              <dd>{r.value}</dd>
            </React.Fragment>
          ))}
        </dl>
      )}
    </div>
  );
}

/**
 * The service status of a saved data source, read again whenever it is saved (the version
 * changes on "Save & test"), so the health details stay next to the settings they belong to.
 */
export function ServiceStatus({ uid, version }: { uid?: string; version?: number }) {
  const [state, setState] = useState<{ ok: boolean; message?: string; details: HealthDetails } | null>(null);
  useEffect(() => {
    if (!uid || version === undefined) {
      return;
    }
    let live = true;
    loadHealth(uid)
      .then((res) => {
        const details = parseHealthDetails(res.details ?? {});
        if (live && details) {
          setState({ ok: res.status === 'OK', message: res.message, details });
        }
      })
      .catch(() => {
        if (live) {
          setState(null);
        }
      });
    return () => {
      live = false;
    };
  }, [uid, version]);
  if (!state) {
    return null;
  }
  return <HealthDetailsList details={state.details} ok={state.ok} message={state.message} />;
}

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1, 2),
    marginBottom: theme.spacing(2),
  }),
  ok: css({ color: theme.colors.success.text, marginBottom: theme.spacing(1) }),
  error: css({ color: theme.colors.error.text, marginBottom: theme.spacing(1) }),
  list: css({
    display: 'grid',
    gridTemplateColumns: 'max-content auto',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    margin: 0,
    dd: { margin: 0 },
    dt: { color: theme.colors.text.secondary },
  }),
});
