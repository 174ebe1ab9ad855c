import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { PyflareOptions, PyflareQuery, PyflareSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, PyflareQuery, PyflareOptions, PyflareSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
