import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, FieldSet, Stack, useStyles2 } from '@grafana/ui';

import { grafanaUrl } from '../../shared/urls';
import { DATASOURCE_ID } from '../../constants';

/** The app has no settings of its own yet: connection settings live on the data source. */
export type AppJsonData = Record<string, never>;

export type AppConfigProps = PluginConfigPageProps<AppPluginMeta<AppJsonData>>;

export const testIds = {
  enable: 'pyflare-app-enable',
  disable: 'pyflare-app-disable',
};

async function updatePlugin(pluginId: string, data: Partial<PluginMeta<AppJsonData>>) {
  await getBackendSrv().post(`/api/plugins/${pluginId}/settings`, data);
}

export function AppConfig({ plugin }: AppConfigProps) {
  const styles = useStyles2(getStyles);
  const { enabled, pinned, jsonData, id } = plugin.meta;
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const setEnabled = async (next: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await updatePlugin(id, { enabled: next, pinned: next, jsonData });
      // Grafana builds its navigation at load time: a reload shows or hides the app's pages.
      window.location.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not update the plugin settings');
      setBusy(false);
    }
  };

  return (
    <div className={styles.container}>
      <FieldSet label="PyFlare app">
        <p className={styles.text}>
          The app bundles the PyFlare data source and the PyFlare Traces and PyFlare Drift panels. Enabling it adds the
          PyFlare pages to the navigation. Connection settings (service URL, API token, TLS) belong to each{' '}
          <a className={styles.link} href={grafanaUrl(`/connections/datasources/${DATASOURCE_ID}`)}>
            PyFlare data source
          </a>
          .
        </p>
        {error && (
          <Alert severity="error" title="Saving failed">
            {error}
          </Alert>
        )}
        <Stack gap={1}>
          {enabled ? (
            <Button
              variant="destructive"
              disabled={busy}
              onClick={() => setEnabled(false)}
              data-testid={testIds.disable}
            >
              Disable
            </Button>
          ) : (
            <Button variant="primary" disabled={busy} onClick={() => setEnabled(true)} data-testid={testIds.enable}>
              Enable
            </Button>
          )}
        </Stack>
        {enabled && pinned === false && (
          <p className={styles.text}>The app is enabled but not pinned to the navigation.</p>
        )}
      </FieldSet>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({
    maxWidth: theme.spacing(100),
  }),
  text: css({
    color: theme.colors.text.secondary,
  }),
  link: css({
    color: theme.colors.text.link,
    '&:hover': { textDecoration: 'underline' },
  }),
});
