import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';

import { selectors } from '../selectors';
import type { PyflareOptions, PyflareSecureOptions } from '../types';
import { ConfigEditor, validateServiceUrl, validateTimeout } from './ConfigEditor';

type Settings = DataSourceSettings<PyflareOptions, PyflareSecureOptions>;

function settings(over: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'pf',
    orgId: 1,
    name: 'PyFlare',
    type: 'pyflare-observability-datasource',
    typeName: 'PyFlare',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    readOnly: false,
    withCredentials: false,
    jsonData: { url: 'http://pyflare:8780' },
    secureJsonFields: {},
    ...over,
  } as Settings;
}

describe('ConfigEditor', () => {
  it('renders the connection, token and TLS settings', () => {
    render(<ConfigEditor options={settings()} onOptionsChange={jest.fn()} />);
    expect(screen.getByTestId(selectors.config.url)).toHaveValue('http://pyflare:8780');
    expect(screen.getByTestId(selectors.config.apiToken)).toBeInTheDocument();
    expect(screen.getByTestId(selectors.config.timeout)).toBeInTheDocument();
    expect(screen.getByText('Skip TLS certificate verification')).toBeInTheDocument();
    // TLS certificate fields only appear once their switch is on.
    expect(screen.queryByTestId(selectors.config.tlsCACert)).not.toBeInTheDocument();
  });

  it('writes the URL and timeout into jsonData', () => {
    const onChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onChange} />);
    fireEvent.change(screen.getByTestId(selectors.config.url), { target: { value: 'https://pyflare.example.com' } });
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: { url: 'https://pyflare.example.com' } })
    );
    fireEvent.change(screen.getByTestId(selectors.config.timeout), { target: { value: '45' } });
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: { url: 'http://pyflare:8780', timeoutSeconds: 45 } })
    );
  });

  it('keeps the API token in secureJsonData only', () => {
    const onChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onChange} />);
    fireEvent.change(screen.getByTestId(selectors.config.apiToken), { target: { value: 'pf_secret' } });
    const next = onChange.mock.calls[0][0] as Settings;
    expect(next.secureJsonData).toEqual({ apiToken: 'pf_secret' });
    expect(JSON.stringify(next.jsonData)).not.toContain('pf_secret');
  });

  it('resets a configured token', () => {
    const onChange = jest.fn();
    render(<ConfigEditor options={settings({ secureJsonFields: { apiToken: true } })} onOptionsChange={onChange} />);
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onChange).toHaveBeenCalledWith(
      expect.objectContaining({ secureJsonFields: { apiToken: false }, secureJsonData: { apiToken: '' } })
    );
  });

  it('toggles TLS skip verify and shows the CA field when enabled', () => {
    const onChange = jest.fn();
    const { rerender } = render(<ConfigEditor options={settings()} onOptionsChange={onChange} />);
    fireEvent.click(screen.getByTestId(selectors.config.tlsSkipVerify));
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: { url: 'http://pyflare:8780', tlsSkipVerify: true } })
    );
    rerender(
      <ConfigEditor
        options={settings({ jsonData: { url: 'http://pyflare:8780', tlsAuthWithCACert: true } })}
        onOptionsChange={onChange}
      />
    );
    expect(screen.getByTestId(selectors.config.tlsCACert)).toBeInTheDocument();
  });

  it('shows URL problems', () => {
    render(<ConfigEditor options={settings({ jsonData: { url: 'ftp://x' } })} onOptionsChange={jest.fn()} />);
    expect(screen.getByText('The URL must start with http:// or https://')).toBeInTheDocument();
  });
});

describe('validators', () => {
  it('checks the service URL like the backend does', () => {
    expect(validateServiceUrl('http://localhost:8780')).toBeUndefined();
    expect(validateServiceUrl('')).toMatch(/required/);
    expect(validateServiceUrl('localhost:8780')).toBeDefined();
    expect(validateServiceUrl('http://u:p@host')).toMatch(/credentials/);
    expect(validateServiceUrl('http://host/?a=1')).toMatch(/query/);
  });

  it('bounds the timeout', () => {
    expect(validateTimeout(undefined)).toBeUndefined();
    expect(validateTimeout(30)).toBeUndefined();
    expect(validateTimeout(601)).toBeDefined();
    expect(validateTimeout(-1)).toBeDefined();
  });
});
