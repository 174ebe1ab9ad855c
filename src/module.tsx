import { AppPlugin } from '@grafana/data';

import { App } from './components/App/App';
import { AppConfig, type AppJsonData } from './components/AppConfig/AppConfig';

export const plugin = new AppPlugin<AppJsonData>().setRootPage(App).addConfigPage({
  title: 'Configuration',
  icon: 'cog',
  body: AppConfig,
  id: 'configuration',
});
