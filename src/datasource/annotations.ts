import {
  FieldType,
  type AnnotationEvent,
  type AnnotationQuery,
  type AnnotationSupport,
  type DataFrame,
  type Field,
} from '@grafana/data';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';
import { of } from 'rxjs';

import { AnnotationQueryEditor } from './components/AnnotationQueryEditor';
import { migratePyflareQuery } from './query';
import type { PyflareQuery } from './types';

export const ANNOTATION_REF_ID = 'Anno';

/** A new annotation: every drift alert (active or resolved) that overlaps the dashboard's range. */
export function defaultAnnotationQuery(): PyflareQuery {
  return { refId: ANNOTATION_REF_ID, queryType: 'alerts', state: 'all', pluginVersion: QUERY_MODEL_VERSION };
}

/** The budget breaches annotation query (costs view `breaches`). */
export function budgetBreachesQuery(budget?: string): PyflareQuery {
  return {
    refId: ANNOTATION_REF_ID,
    queryType: 'costs',
    view: 'breaches',
    pluginVersion: QUERY_MODEL_VERSION,
    ...(budget ? { budget } : {}),
  };
}

const COLORS: Record<string, string> = {
  exceeded: 'red',
  active: 'red',
  warning: 'orange',
  resolved: 'green',
};

function fieldNamed(frame: DataFrame, name: string): Field | undefined {
  return frame.fields.find((f) => f.name === name);
}

function tagsOf(v: unknown): string[] {
  if (Array.isArray(v)) {
    return v.map(String).filter((t) => t !== '');
  }
  if (typeof v === 'string') {
    return v
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  }
  return [];
}

function numberOrUndefined(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Frames -> annotation events, by Grafana's annotation field names: `time` (else the first
 * time field), `timeEnd`, `title`, `text`, `tags` (a comma-separated string or a list), `id`.
 * Drift alert and budget breach frames are written in this shape by the service.
 */
export function framesToAnnotations(frames: DataFrame[]): AnnotationEvent[] {
  const events: AnnotationEvent[] = [];
  for (const frame of frames) {
    const time = fieldNamed(frame, 'time') ?? frame.fields.find((f) => f.type === FieldType.time);
    if (!time) {
      continue;
    }
    const timeEnd = fieldNamed(frame, 'timeEnd');
    const title = fieldNamed(frame, 'title');
    const text = fieldNamed(frame, 'text');
    const tags = fieldNamed(frame, 'tags');
    const id = fieldNamed(frame, 'id');
    for (let i = 0; i < frame.length; i++) {
      const t = numberOrUndefined(time.values[i]);
      if (t === undefined) {
        continue;
      }
      const end = numberOrUndefined(timeEnd?.values[i]);
      const tagList = tagsOf(tags?.values[i]);
      const color = tagList.map((tag) => COLORS[tag]).find((c) => c !== undefined);
      const titleText = title ? String(title.values[i] ?? '') : '';
      const bodyText = text ? String(text.values[i] ?? '') : '';
      events.push({
        time: t,
        ...(end !== undefined && end > t ? { timeEnd: end, isRegion: true } : {}),
        title: titleText,
        // The annotation tooltip shows `text`; lead with the title when both are set.
        text: titleText && bodyText ? `${titleText}\n${bodyText}` : titleText || bodyText,
        tags: tagList,
        ...(id ? { id: String(id.values[i]) } : {}),
        ...(color ? { color } : {}),
      });
    }
  }
  return events;
}

/** Query fields an annotation may carry on itself (saved before Grafana had annotation targets). */
const LEGACY_ANNOTATION_FIELDS = [
  'queryType',
  'pluginVersion',
  'state',
  'modelId',
  'driftType',
  'view',
  'budget',
  'feature',
] as const;

function withRefId(q: PyflareQuery): PyflareQuery {
  return q.refId ? q : { ...q, refId: ANNOTATION_REF_ID };
}

function legacyTarget(json: AnnotationQuery<PyflareQuery>): PyflareQuery | undefined {
  const record = json as unknown as Record<string, unknown>;
  if (typeof record.queryType !== 'string') {
    return undefined;
  }
  const fields = Object.fromEntries(
    LEGACY_ANNOTATION_FIELDS.filter((k) => record[k] !== undefined).map((k) => [k, record[k]])
  );
  return { refId: ANNOTATION_REF_ID, ...fields } as unknown as PyflareQuery;
}

/**
 * Annotations from PyFlare: drift alerts (queryType alerts) and budget breaches (costs view
 * breaches), or any query whose frames have a time field. The query runs through the
 * backend like every other query.
 */
export const annotationSupport: AnnotationSupport<PyflareQuery> = {
  QueryEditor: AnnotationQueryEditor,
  getDefaultQuery: () => defaultAnnotationQuery(),
  /**
   * Runs when a dashboard loads: the stored target is migrated like a panel query (and gets
   * `pluginVersion`); an annotation saved before targets existed, with its query fields on the
   * annotation itself, gets them moved into the target.
   */
  prepareAnnotation(json: AnnotationQuery<PyflareQuery>): AnnotationQuery<PyflareQuery> {
    const stored = json.target ?? legacyTarget(json);
    const target = stored ? migratePyflareQuery(withRefId(stored)) : null;
    if (!target) {
      return { ...json, target: defaultAnnotationQuery() };
    }
    if (json.target && target === json.target) {
      return json;
    }
    const rest: Record<string, unknown> = { ...json };
    if (!json.target) {
      for (const k of LEGACY_ANNOTATION_FIELDS) {
        delete rest[k];
      }
    }
    return { ...(rest as AnnotationQuery<PyflareQuery>), target };
  },
  prepareQuery(anno: AnnotationQuery<PyflareQuery>): PyflareQuery | undefined {
    if (!anno.target) {
      return undefined;
    }
    return migratePyflareQuery(withRefId(anno.target));
  },
  processEvents(_anno: AnnotationQuery<PyflareQuery>, frames: DataFrame[]) {
    return of(framesToAnnotations(frames));
  },
};
