// @grafana/data's frame decoding for tests. The package's index pulls in browser-only code,
// so the CommonJS modules that decode frames are loaded directly by file.
import { createRequire } from 'node:module';

interface Field {
  name: string;
  type: string;
  labels?: Record<string, string>;
  config: Record<string, unknown>;
  values: unknown[];
}
export interface DataFrame {
  name?: string;
  refId?: string;
  meta?: Record<string, unknown>;
  fields: Field[];
  length: number;
}

const req = createRequire(import.meta.url);
const dir = req.resolve('@grafana/data/package.json').replace(/package\.json$/, 'dist/cjs/dataframe/');
const json = req(`${dir}DataFrameJSON.cjs`) as { dataFrameFromJSON(f: unknown): DataFrame };
const utils = req(`${dir}utils.cjs`) as { isTimeSeriesFrame(f: DataFrame): boolean };
const proc = req(`${dir}processDataFrame.cjs`) as { getTimeField(f: DataFrame): { timeField?: Field; timeIndex?: number } };

export const dataFrameFromJSON = json.dataFrameFromJSON;
export const isTimeSeriesFrame = utils.isTimeSeriesFrame;
export const getTimeField = proc.getTimeField;
