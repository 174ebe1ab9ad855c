import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';

import { selectors } from '../selectors';
import type { PyflareOptions, PyflareSecureOptions } from '../types';
import {
  ConfigEditor,
  customHeaderRows,
  validateHeaderName,
  validateServiceUrl,
  validateTimeout,
} from './ConfigEditor';

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

  it('shows the server name whenever TLS verification or client auth is on, or it is set', () => {
    const url = 'http://pyflare:8780';
    const { rerender } = render(<ConfigEditor options={settings()} onOptionsChange={jest.fn()} />);
    expect(screen.queryByTestId(selectors.config.serverName)).not.toBeInTheDocument();
    rerender(
      <ConfigEditor options={settings({ jsonData: { url, tlsAuthWithCACert: true } })} onOptionsChange={jest.fn()} />
    );
    expect(screen.getByTestId(selectors.config.serverName)).toBeInTheDocument();
    expect(screen.getByText('Server name')).toBeInTheDocument();
    rerender(<ConfigEditor options={settings({ jsonData: { url, tlsAuth: true } })} onOptionsChange={jest.fn()} />);
    expect(screen.getByTestId(selectors.config.serverName)).toBeInTheDocument();
    // A saved name stays visible (the backend applies it) so it can be cleared.
    rerender(
      <ConfigEditor
        options={settings({ jsonData: { url, serverName: 'pyflare.internal' } })}
        onOptionsChange={jest.fn()}
      />
    );
    expect(screen.getByTestId(selectors.config.serverName)).toHaveValue('pyflare.internal');
  });

  it('writes the server name into jsonData', () => {
    const onChange = jest.fn();
    render(
      <ConfigEditor
        options={settings({ jsonData: { url: 'https://pf', tlsAuthWithCACert: true } })}
        onOptionsChange={onChange}
      />
    );
    fireEvent.change(screen.getByTestId(selectors.config.serverName), { target: { value: 'pyflare.internal' } });
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({
        jsonData: { url: 'https://pf', tlsAuthWithCACert: true, serverName: 'pyflare.internal' },
      })
    );
  });

  it('shows URL problems', () => {
    render(<ConfigEditor options={settings({ jsonData: { url: 'ftp://x' } })} onOptionsChange={jest.fn()} />);
    expect(screen.getByText('The URL must start with http:// or https://')).toBeInTheDocument();
  });
});

describe('ConfigEditor custom headers', () => {
  const url = 'http://pyflare:8780';

  it('shows an empty section with an add button', () => {
    render(<ConfigEditor options={settings()} onOptionsChange={jest.fn()} />);
    expect(screen.getByText('Custom headers')).toBeInTheDocument();
    expect(screen.queryByTestId(selectors.config.headerName)).not.toBeInTheDocument();
    expect(screen.getByTestId(selectors.config.addHeader)).toHaveTextContent('Add header');
  });

  it('adds a header after the highest index', () => {
    const onChange = jest.fn();
    const { rerender } = render(<ConfigEditor options={settings()} onOptionsChange={onChange} />);
    fireEvent.click(screen.getByTestId(selectors.config.addHeader));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { url, httpHeaderName1: '' } }));
    rerender(
      <ConfigEditor
        options={settings({ jsonData: { url, httpHeaderName1: 'X-A', httpHeaderName4: 'X-B' } })}
        onOptionsChange={onChange}
      />
    );
    fireEvent.click(screen.getByTestId(selectors.config.addHeader));
    expect((onChange.mock.lastCall[0] as Settings).jsonData).toEqual({
      url,
      httpHeaderName1: 'X-A',
      httpHeaderName4: 'X-B',
      httpHeaderName5: '',
    });
  });

  it('edits names in jsonData and values in secureJsonData only', () => {
    const onChange = jest.fn();
    render(<ConfigEditor options={settings({ jsonData: { url, httpHeaderName2: '' } })} onOptionsChange={onChange} />);
    fireEvent.change(screen.getByTestId(selectors.config.headerName), { target: { value: 'X-Tenant' } });
    expect((onChange.mock.lastCall[0] as Settings).jsonData).toEqual({ url, httpHeaderName2: 'X-Tenant' });
    fireEvent.change(screen.getByTestId(selectors.config.headerValue), { target: { value: 'acme-secret' } });
    const next = onChange.mock.lastCall[0] as Settings;
    expect(next.secureJsonData).toEqual({ httpHeaderValue2: 'acme-secret' });
    expect(JSON.stringify(next.jsonData)).not.toContain('acme-secret');
  });

  it('shows a stored value as configured and resets it', () => {
    const onChange = jest.fn();
    render(
      <ConfigEditor
        options={settings({
          jsonData: { url, httpHeaderName1: 'X-Tenant' },
          secureJsonFields: { httpHeaderValue1: true },
        })}
        onOptionsChange={onChange}
      />
    );
    expect(screen.getByTestId(selectors.config.headerName)).toHaveValue('X-Tenant');
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({
        secureJsonFields: { httpHeaderValue1: false },
        secureJsonData: { httpHeaderValue1: '' },
      })
    );
  });

  it('removes a header without renumbering the others, clearing its stored value', () => {
    const onChange = jest.fn();
    render(
      <ConfigEditor
        options={settings({
          jsonData: { url, httpHeaderName1: 'X-A', httpHeaderName2: 'X-B' },
          secureJsonFields: { httpHeaderValue1: true, httpHeaderValue2: true },
        })}
        onOptionsChange={onChange}
      />
    );
    expect(screen.getAllByTestId(selectors.config.headerName).map((e) => (e as HTMLInputElement).value)).toEqual([
      'X-A',
      'X-B',
    ]);
    fireEvent.click(screen.getAllByTestId(selectors.config.removeHeader)[0]!);
    const next = onChange.mock.lastCall[0] as Settings;
    expect(next.jsonData).toEqual({ url, httpHeaderName2: 'X-B' });
    expect(next.secureJsonFields).toEqual({ httpHeaderValue1: false, httpHeaderValue2: true });
    expect(next.secureJsonData).toEqual({ httpHeaderValue1: '' });
  });

  it('flags names the backend would refuse', () => {
    render(
      <ConfigEditor
        options={settings({
          jsonData: { url, httpHeaderName1: 'X Bad', httpHeaderName2: 'authorization' },
          secureJsonFields: { apiToken: true },
        })}
        onOptionsChange={jest.fn()}
      />
    );
    expect(screen.getByText(/Not a valid header name/)).toBeInTheDocument();
    expect(screen.getByText(/Conflicts with the API token/)).toBeInTheDocument();
  });
});

describe('validators', () => {
  it('reads custom header rows by index', () => {
    expect(
      customHeaderRows({
        jsonData: { httpHeaderName10: 'X-C', httpHeaderName2: 'X-B', httpHeaderName0: 'ignored', url: 'x' },
        secureJsonFields: { httpHeaderValue2: true },
        secureJsonData: { httpHeaderValue10: 'typed' },
      })
    ).toEqual([
      { index: 2, name: 'X-B', configured: true, value: '' },
      { index: 10, name: 'X-C', configured: false, value: 'typed' },
    ]);
  });

  it('checks header names like the backend does', () => {
    expect(validateHeaderName('X-Org-Id', [], true)).toBeUndefined();
    expect(validateHeaderName('Authorization', [], false)).toBeUndefined();
    expect(validateHeaderName('Authorization', [], true)).toMatch(/API token/);
    expect(validateHeaderName('  ', [], false)).toMatch(/Enter a header name/);
    expect(validateHeaderName('X:Y', [], false)).toMatch(/Not a valid/);
    expect(validateHeaderName('X-Ü', [], false)).toMatch(/Not a valid/);
    expect(validateHeaderName('x-org', ['X-Org'], false)).toMatch(/twice/);
  });

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
