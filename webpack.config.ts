// Extends create-plugin's webpack config (in .config/, kept as generated). The scaffold
// copies only the app's own logos; the nested plugins (data source, panels) need theirs too.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';

export default async (env: Env): Promise<Configuration> => {
  const config = await grafanaConfig(env);
  config.plugins = [
    ...(config.plugins ?? []),
    new CopyWebpackPlugin({ patterns: [{ from: '*/**/img/*.{svg,png}', to: '.', noErrorOnMissing: true }] }),
  ];
  return config;
};
