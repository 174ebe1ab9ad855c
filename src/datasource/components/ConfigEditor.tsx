import React, { type ChangeEvent, type FormEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps, GrafanaTheme2 } from '@grafana/data';
import { css } from '@emotion/css';
import {
  Divider,
  Field,
  FieldSet,
  Input,
  SecretInput,
  SecretTextArea,
  Switch,
  TextLink,
  useStyles2,
} from '@grafana/ui';

import { DEFAULT_SERVICE_URL } from '../../constants';
import { selectors } from '../selectors';
import { ServiceStatus } from './ServiceStatus';
import { DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, type PyflareOptions, type PyflareSecureOptions } from '../types';

export type ConfigEditorProps = DataSourcePluginOptionsEditorProps<PyflareOptions, PyflareSecureOptions>;

type SecureKey = keyof PyflareSecureOptions;

/** Mirrors the Go backend's URL check so the user sees the problem before "Save & test". */
export function validateServiceUrl(raw: string | undefined): string | undefined {
  const value = (raw ?? '').trim();
  if (value === '') {
    return 'The PyFlare service URL is required';
  }
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'Not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return 'The URL must start with http:// or https://';
  }
  if (u.username || u.password) {
    return 'Put credentials in the API token field, not in the URL';
  }
  if (u.search || u.hash) {
    return 'The URL must not contain a query or fragment';
  }
  return undefined;
}

export function validateTimeout(value: number | undefined): string | undefined {
  if (value === undefined || value === 0) {
    return undefined;
  }
  if (!Number.isFinite(value) || value < 0 || value > MAX_TIMEOUT_SECONDS) {
    return `Enter between 1 and ${MAX_TIMEOUT_SECONDS} seconds`;
  }
  return undefined;
}

export function ConfigEditor(props: ConfigEditorProps) {
  const { onOptionsChange, options } = props;
  const { jsonData } = options;
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData: PyflareSecureOptions = options.secureJsonData ?? {};
  const styles = useStyles2(getStyles);

  const setJsonData = <K extends keyof PyflareOptions>(key: K, value: PyflareOptions[K]) => {
    onOptionsChange({ ...options, jsonData: { ...jsonData, [key]: value } });
  };

  const setSecret = (key: SecureKey) => (event: FormEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, [key]: event.currentTarget.value } });
  };

  // Reset clears the stored secret: Grafana deletes it when the field is marked unset and sent empty.
  const resetSecret = (key: SecureKey) => () => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, [key]: false },
      secureJsonData: { ...secureJsonData, [key]: '' },
    });
  };

  const urlError = validateServiceUrl(jsonData.url);
  const timeoutError = validateTimeout(jsonData.timeoutSeconds);

  return (
    <div className={styles.container}>
      <p className={styles.intro}>
        Connects Grafana to a PyFlare service. Grafana&apos;s backend forwards every query to the service&apos;s REST
        API, so alert rules work too. Send OpenTelemetry traces to the service&apos;s OTLP ports (4317 gRPC, 4318 HTTP).
        See{' '}
        <TextLink href="https://opentelemetry.io/docs/specs/semconv/gen-ai/" external>
          GenAI semantic conventions
        </TextLink>
        .
      </p>

      <ServiceStatus uid={options.uid} version={options.version} />

      <FieldSet label="Connection">
        <Field
          label="URL"
          description="Base URL of the PyFlare service's REST API (PYFLARE_HTTP_PORT, 8780 by default)"
          required
          invalid={Boolean(jsonData.url) && urlError !== undefined}
          error={urlError}
        >
          <Input
            id="pyflare-url"
            data-testid={selectors.config.url}
            width={50}
            placeholder={DEFAULT_SERVICE_URL}
            value={jsonData.url ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setJsonData('url', e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Timeout"
          description={`Seconds per request from Grafana to the service (default ${DEFAULT_TIMEOUT_SECONDS})`}
          invalid={timeoutError !== undefined}
          error={timeoutError}
        >
          <Input
            id="pyflare-timeout"
            data-testid={selectors.config.timeout}
            type="number"
            width={16}
            min={0}
            max={MAX_TIMEOUT_SECONDS}
            placeholder={String(DEFAULT_TIMEOUT_SECONDS)}
            value={jsonData.timeoutSeconds ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              const raw = e.currentTarget.value;
              setJsonData('timeoutSeconds', raw === '' ? undefined : Number(raw));
            }}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Authentication">
        <Field
          label="API token"
          description="A PyFlare API key with the read scope. Stored encrypted; the browser never sees it again."
        >
          <SecretInput
            id="pyflare-api-token"
            data-testid={selectors.config.apiToken}
            width={50}
            placeholder="pyflare API key"
            isConfigured={Boolean(secureJsonFields.apiToken)}
            value={secureJsonData.apiToken ?? ''}
            onChange={setSecret('apiToken')}
            onReset={resetSecret('apiToken')}
          />
        </Field>
      </FieldSet>

      <Divider />

      <FieldSet label="TLS">
        <Field label="Skip TLS certificate verification" description="Only for testing with self-signed certificates">
          <Switch
            id="pyflare-tls-skip-verify"
            data-testid={selectors.config.tlsSkipVerify}
            value={jsonData.tlsSkipVerify ?? false}
            onChange={(e) => setJsonData('tlsSkipVerify', e.currentTarget.checked)}
          />
        </Field>
        <Field label="With CA certificate" description="Verify the service's certificate with your own CA">
          <Switch
            id="pyflare-tls-ca"
            data-testid={selectors.config.tlsAuthWithCACert}
            value={jsonData.tlsAuthWithCACert ?? false}
            onChange={(e) => setJsonData('tlsAuthWithCACert', e.currentTarget.checked)}
          />
        </Field>
        {jsonData.tlsAuthWithCACert && (
          <Field label="CA certificate" description="PEM, begins with -----BEGIN CERTIFICATE-----">
            <SecretTextArea
              data-testid={selectors.config.tlsCACert}
              cols={60}
              rows={5}
              isConfigured={Boolean(secureJsonFields.tlsCACert)}
              value={secureJsonData.tlsCACert ?? ''}
              onChange={setSecret('tlsCACert')}
              onReset={resetSecret('tlsCACert')}
            />
          </Field>
        )}
        <Field label="TLS client authentication" description="Present a client certificate to the service">
          <Switch
            id="pyflare-tls-auth"
            data-testid={selectors.config.tlsAuth}
            value={jsonData.tlsAuth ?? false}
            onChange={(e) => setJsonData('tlsAuth', e.currentTarget.checked)}
          />
        </Field>
        {jsonData.tlsAuth && (
          <>
            <Field label="Server name" description="Expected name in the service's certificate (SNI)">
              <Input
                data-testid={selectors.config.serverName}
                width={50}
                value={jsonData.serverName ?? ''}
                onChange={(e: ChangeEvent<HTMLInputElement>) => setJsonData('serverName', e.currentTarget.value)}
              />
            </Field>
            <Field label="Client certificate" description="PEM">
              <SecretTextArea
                data-testid={selectors.config.tlsClientCert}
                cols={60}
                rows={5}
                isConfigured={Boolean(secureJsonFields.tlsClientCert)}
                value={secureJsonData.tlsClientCert ?? ''}
                onChange={setSecret('tlsClientCert')}
                onReset={resetSecret('tlsClientCert')}
              />
            </Field>
            <Field label="Client key" description="PEM">
              <SecretTextArea
                data-testid={selectors.config.tlsClientKey}
                cols={60}
                rows={5}
                isConfigured={Boolean(secureJsonFields.tlsClientKey)}
                value={secureJsonData.tlsClientKey ?? ''}
                onChange={setSecret('tlsClientKey')}
                onReset={resetSecret('tlsClientKey')}
              />
            </Field>
          </>
        )}
      </FieldSet>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({
    maxWidth: theme.spacing(100),
  }),
  intro: css({
    color: theme.colors.text.secondary,
    marginBottom: theme.spacing(3),
  }),
});
