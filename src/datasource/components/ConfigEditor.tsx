import React, { type ChangeEvent, type FormEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps, GrafanaTheme2 } from '@grafana/data';
import { css } from '@emotion/css';
import {
  Button,
  Divider,
  Field,
  FieldSet,
  IconButton,
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

/** One custom HTTP header: `jsonData.httpHeaderName<index>` + `secureJsonData.httpHeaderValue<index>`. */
export interface CustomHeaderRow {
  index: number;
  name: string;
  /** The value is stored (Grafana reports it in secureJsonFields, never the value). */
  configured: boolean;
  /** A value typed in this session, not saved yet. */
  value: string;
}

type HeaderNameKey = `httpHeaderName${number}`;
type HeaderValueKey = `httpHeaderValue${number}`;
const headerNameKey = (index: number): HeaderNameKey => `httpHeaderName${index}`;
const headerValueKey = (index: number): HeaderValueKey => `httpHeaderValue${index}`;

/**
 * The custom headers of the settings, by index. Indices stay as saved (the backend tolerates
 * gaps), so removing a row never moves another row's stored value to a different name.
 */
export function customHeaderRows(
  options: Pick<ConfigEditorProps['options'], 'jsonData' | 'secureJsonData' | 'secureJsonFields'>
): CustomHeaderRow[] {
  const fields = options.secureJsonFields ?? {};
  const secure: PyflareSecureOptions = options.secureJsonData ?? {};
  return Object.keys(options.jsonData ?? {})
    .map((k) => /^httpHeaderName([1-9]\d*)$/.exec(k)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
    .map((index) => ({
      index,
      name: options.jsonData[headerNameKey(index)] ?? '',
      configured: Boolean(fields[headerValueKey(index)]),
      value: secure[headerValueKey(index)] ?? '',
    }));
}

const HEADER_NAME_SEPARATORS = '()<>@,;:\\"/[]?={}';

/** Mirrors the Go backend's header checks (pkg/models/settings.go) so the problem shows before saving. */
export function validateHeaderName(
  name: string,
  otherNames: readonly string[],
  hasApiToken: boolean
): string | undefined {
  const n = name.trim();
  if (n === '') {
    return 'Enter a header name, or remove the header';
  }
  if ([...n].some((c) => c <= ' ' || c >= '\u007f' || HEADER_NAME_SEPARATORS.includes(c))) {
    return 'Not a valid header name: no spaces or separators such as : / ( ) = ,';
  }
  if (otherNames.some((o) => o.trim().toLowerCase() === n.toLowerCase())) {
    return 'This header is set twice';
  }
  if (n.toLowerCase() === 'authorization' && hasApiToken) {
    return 'Conflicts with the API token, which is sent as Authorization: remove one of them';
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

  const headers = customHeaderRows(options);
  const hasApiToken = Boolean(secureJsonFields.apiToken) || Boolean(secureJsonData.apiToken);

  const addHeader = () => {
    const next = Math.max(0, ...headers.map((h) => h.index)) + 1;
    setJsonData(headerNameKey(next), '');
  };

  // The stored value is cleared too, so a header added later under this index starts empty.
  const removeHeader = (index: number) => () => {
    const nextJsonData: PyflareOptions = { ...jsonData };
    delete nextJsonData[headerNameKey(index)];
    onOptionsChange({
      ...options,
      jsonData: nextJsonData,
      secureJsonFields: { ...secureJsonFields, [headerValueKey(index)]: false },
      secureJsonData: { ...secureJsonData, [headerValueKey(index)]: '' },
    });
  };

  const showServerName =
    Boolean(jsonData.tlsAuthWithCACert) || Boolean(jsonData.tlsAuth) || Boolean(jsonData.serverName);

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

      <FieldSet label="Custom headers" data-testid={selectors.config.customHeaders}>
        <p className={styles.intro}>
          HTTP headers the backend adds to every request to the service, for a proxy or gateway in front of it. Values
          are stored encrypted like the API token.
        </p>
        {headers.map((h) => {
          const others = headers.filter((o) => o.index !== h.index).map((o) => o.name);
          const nameError = validateHeaderName(h.name, others, hasApiToken);
          return (
            <div key={h.index} className={styles.headerRow}>
              <Field label="Header" className={styles.headerName} invalid={nameError !== undefined} error={nameError}>
                <Input
                  id={`pyflare-header-name-${h.index}`}
                  data-testid={selectors.config.headerName}
                  aria-label={`Header ${h.index} name`}
                  width={30}
                  placeholder="X-Custom-Header"
                  value={h.name}
                  onChange={(e: ChangeEvent<HTMLInputElement>) =>
                    setJsonData(headerNameKey(h.index), e.currentTarget.value)
                  }
                />
              </Field>
              <Field label="Value">
                <SecretInput
                  id={`pyflare-header-value-${h.index}`}
                  data-testid={selectors.config.headerValue}
                  aria-label={`Header ${h.index} value`}
                  width={40}
                  placeholder="Header value"
                  isConfigured={h.configured}
                  value={h.value}
                  onChange={setSecret(headerValueKey(h.index))}
                  onReset={resetSecret(headerValueKey(h.index))}
                />
              </Field>
              <IconButton
                className={styles.removeHeader}
                name="trash-alt"
                data-testid={selectors.config.removeHeader}
                tooltip={`Remove header ${h.name.trim() || h.index}`}
                onClick={removeHeader(h.index)}
              />
            </div>
          );
        })}
        <Button
          variant="secondary"
          icon="plus"
          size="sm"
          type="button"
          data-testid={selectors.config.addHeader}
          onClick={addHeader}
        >
          Add header
        </Button>
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
        {showServerName && (
          <Field
            label="Server name"
            description="Name expected in the service's certificate (SNI), when it differs from the URL's host"
          >
            <Input
              id="pyflare-tls-server-name"
              data-testid={selectors.config.serverName}
              width={50}
              value={jsonData.serverName ?? ''}
              onChange={(e: ChangeEvent<HTMLInputElement>) => setJsonData('serverName', e.currentTarget.value)}
            />
          </Field>
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
  headerRow: css({
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(1),
  }),
  headerName: css({
    width: theme.spacing(31),
    flexShrink: 0,
  }),
  removeHeader: css({
    marginTop: theme.spacing(3.5),
  }),
});
