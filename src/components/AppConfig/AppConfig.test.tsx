import React from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { PluginType, type AppPlugin, type AppPluginMeta } from '@grafana/data';
import { setBackendSrv, type BackendSrv } from '@grafana/runtime';

import { AppConfig, testIds, type AppConfigProps, type AppJsonData } from './AppConfig';

function props(enabled: boolean): AppConfigProps {
  const meta = {
    id: 'pyflare-observability-app',
    name: 'PyFlare',
    type: PluginType.app,
    enabled,
    pinned: enabled,
    jsonData: {},
    info: {} as AppPluginMeta['info'],
    module: '',
    baseUrl: '',
  } as AppPluginMeta<AppJsonData>;
  return {
    plugin: { meta } as AppPlugin<AppJsonData>,
    query: {},
    onConfigChange: () => {},
  } as unknown as AppConfigProps;
}

describe('AppConfig', () => {
  it('enables the app through Grafana’s plugin settings API', async () => {
    const post = jest.fn().mockResolvedValue({});
    setBackendSrv({ post } as unknown as BackendSrv);
    const reload = jest.fn();
    Object.defineProperty(window, 'location', { configurable: true, value: { ...window.location, reload } });
    render(<AppConfig {...props(false)} />);
    fireEvent.click(screen.getByTestId(testIds.enable));
    await waitFor(() => expect(reload).toHaveBeenCalled());
    expect(post).toHaveBeenCalledWith('/api/plugins/pyflare-observability-app/settings', {
      enabled: true,
      pinned: true,
      jsonData: {},
    });
  });

  it('shows why saving failed', async () => {
    setBackendSrv({ post: jest.fn().mockRejectedValue(new Error('forbidden')) } as unknown as BackendSrv);
    render(<AppConfig {...props(true)} />);
    fireEvent.click(screen.getByTestId(testIds.disable));
    expect(await screen.findByText('forbidden')).toBeInTheDocument();
  });
});
