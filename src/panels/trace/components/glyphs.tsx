import React from 'react';

/**
 * Small inline SVG glyphs for rows of long lists. @grafana/ui's Icon loads and parses its
 * SVG per instance, which is measurable when scrolling mounts dozens of rows a frame; these
 * are plain elements. Drawn on a 16 px grid with currentColor, to sit next to Grafana icons.
 */
type GlyphName = 'chevron-right' | 'chevron-down' | 'alert' | 'clock' | 'flame' | 'compass';

interface Props {
  name: GlyphName;
  size?: number;
  className?: string;
  title?: string;
}

export function Glyph({ name, size = 14, className, title }: Props) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      className={className}
      aria-hidden={title ? undefined : true}
      role={title ? 'img' : undefined}
      aria-label={title}
      style={{ flex: 'none', display: 'inline-block', verticalAlign: 'middle' }}
    >
      {SHAPES[name]}
    </svg>
  );
}

const stroke = {
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.6,
  strokeLinecap: 'round' as const,
  strokeLinejoin: 'round' as const,
};

const SHAPES: Record<GlyphName, React.ReactNode> = {
  'chevron-right': <path d="M6 3.5 10.5 8 6 12.5" {...stroke} />,
  'chevron-down': <path d="M3.5 6 8 10.5 12.5 6" {...stroke} />,
  alert: (
    <>
      <circle cx="8" cy="8" r="6.2" {...stroke} />
      <path d="M8 4.6v4.2" {...stroke} />
      <circle cx="8" cy="11.3" r="0.9" fill="currentColor" />
    </>
  ),
  clock: (
    <>
      <circle cx="8" cy="8" r="6.2" {...stroke} />
      <path d="M8 4.5V8l2.4 1.6" {...stroke} />
    </>
  ),
  flame: (
    <path
      d="M8 1.8c.4 2.2 3.9 3.7 3.9 7.4A3.9 3.9 0 0 1 8 13.2a3.9 3.9 0 0 1-3.9-4c0-1.7.9-2.9 1.7-3.6.1 1.3.7 2.1 1.5 2.4C7 6.2 7.2 3.6 8 1.8Z"
      {...stroke}
    />
  ),
  compass: (
    <>
      <circle cx="8" cy="8" r="6.2" {...stroke} />
      <path d="m10.6 5.4-1.5 3.7-3.7 1.5 1.5-3.7 3.7-1.5Z" {...stroke} strokeWidth={1.3} />
    </>
  ),
};
