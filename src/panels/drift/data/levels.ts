import type { DriftThresholds } from '../types';

export type DriftStatus = 'ok' | 'warning' | 'critical';

/**
 * How a score maps to its drift level (1 = on the drift line). `linear`: score / threshold
 * (distances, shares, relative drops). `log-p`: the engine scores p-value tests as 1 - p
 * against 1 - alpha; under no drift p is uniform, so 1 - p flickers over most of 0..1 and any
 * strong drift reads 1.0. ln p / ln alpha keeps the line at 1 and grows with the evidence
 * (p = alpha^2 is level 2), so a stable feature looks calm and a strong drift looks strong.
 */
export type ScoreScale = 'linear' | 'log-p';

/** Tests whose result is a p-value: drift when p is at or below the threshold (alpha). */
const P_VALUE_TESTS = new Set(['ks', 'chisquare', 'z']);

export function isPValueTest(test: string | undefined): boolean {
  return !!test && P_VALUE_TESTS.has(test);
}

/** A series' warning and drift scores (score units) and how its scores become levels. */
export interface SeriesThresholds {
  warning: number;
  critical: number;
  /** Level at which the series turns yellow. */
  warningLevel: number;
  scale: ScoreScale;
  /** Whether the drift line came from the data (the engine's threshold) or the panel. */
  fromData: boolean;
}

/** The thresholds a series is judged by (see DriftThresholds); `test` is the series' latest test. */
export function resolveThresholds(
  seriesThreshold: number | undefined,
  opts: DriftThresholds,
  test?: string
): SeriesThresholds {
  if (opts.source === 'data' && seriesThreshold !== undefined && seriesThreshold > 0) {
    if (isPValueTest(test) && seriesThreshold < 1) {
      const alpha = 1 - seriesThreshold;
      return {
        warning: 1 - Math.pow(alpha, opts.warningRatio),
        critical: seriesThreshold,
        warningLevel: opts.warningRatio,
        scale: 'log-p',
        fromData: true,
      };
    }
    return {
      warning: seriesThreshold * opts.warningRatio,
      critical: seriesThreshold,
      warningLevel: opts.warningRatio,
      scale: 'linear',
      fromData: true,
    };
  }
  const warning = Math.min(opts.warning, opts.critical);
  return {
    warning,
    critical: opts.critical,
    warningLevel: opts.critical > 0 ? warning / opts.critical : 1,
    scale: 'linear',
    fromData: false,
  };
}

const EPS = 1e-9;

/** Smallest p-value the log scale distinguishes (doubles go further; nothing is gained). */
const MIN_P = 1e-300;

/** A score in units of its drift line (1 = on it); see ScoreScale. */
export function driftLevel(score: number, th: Pick<SeriesThresholds, 'critical' | 'scale'>): number {
  if (th.scale === 'log-p') {
    const p = Math.min(Math.max(1 - score, MIN_P), 1);
    return Math.log(p) / Math.log(1 - th.critical);
  }
  if (th.critical > 0) {
    return score / th.critical;
  }
  return score > 0 ? Number.POSITIVE_INFINITY : 0;
}

/** The p-value behind a log-p score (1 - score), else undefined. */
export function pValueOf(score: number, th: Pick<SeriesThresholds, 'scale'>): number | undefined {
  return th.scale === 'log-p' ? Math.min(Math.max(1 - score, 0), 1) : undefined;
}

export function driftStatus(value: number | undefined, th: SeriesThresholds): DriftStatus {
  if (value === undefined || !Number.isFinite(value)) {
    return 'ok';
  }
  const level = driftLevel(value, th);
  // A score exactly on a line is past it (float division may land a hair below).
  if (level >= 1 - EPS) {
    return 'critical';
  }
  return level >= th.warningLevel - EPS ? 'warning' : 'ok';
}

/** Drift level as a multiple of the drift line: 0.42×, 1.3×, >10×. */
export function formatLevel(level: number): string {
  if (!Number.isFinite(level)) {
    return level > 0 ? '>10×' : '–';
  }
  return level >= 10 ? '>10×' : `${level < 1 ? level.toFixed(2) : level.toFixed(1)}×`;
}

export const STATUS_RANK: Record<DriftStatus, number> = { critical: 0, warning: 1, ok: 2 };
