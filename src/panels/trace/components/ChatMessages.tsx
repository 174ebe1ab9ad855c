import React, { useState } from 'react';
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, useStyles2, type IconName } from '@grafana/ui';

import type { ChatMessage, ChatPart } from '../data/messages';
import { testIds } from './testIds';

/** Longer texts start folded: prompts with retrieved documents run to pages. */
const FOLD_CHARS = 700;

const ROLE_ICONS: Record<string, IconName> = {
  system: 'cog',
  user: 'user',
  assistant: 'comment-alt',
  tool: 'brackets-curly',
  input: 'arrow-right',
  output: 'arrow-left',
};

interface Props {
  messages: ChatMessage[];
  label: string;
}

/** Messages of an LLM call rendered as a conversation: one bubble per message, by role. */
export function ChatMessages({ messages, label }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.list} aria-label={label} data-testid={testIds.chat}>
      {messages.map((m, i) => (
        <div
          key={i}
          className={cx(styles.message, roleClass(styles, m.role))}
          data-testid={testIds.chatMessage}
          data-role={m.role}
        >
          <div className={styles.role}>
            <Icon name={ROLE_ICONS[m.role] ?? 'comment-alt'} size="xs" />
            <span>{m.role}</span>
            {m.name && <span className={styles.muted}>{m.name}</span>}
            {m.finishReason && <span className={styles.finish}>finish: {m.finishReason}</span>}
          </div>
          {m.parts.length === 0 && <span className={styles.muted}>(empty)</span>}
          {m.parts.map((p, j) => (
            <Part key={j} part={p} />
          ))}
        </div>
      ))}
    </div>
  );
}

function roleClass(styles: ReturnType<typeof getStyles>, role: string): string | undefined {
  switch (role) {
    case 'system':
      return styles.system;
    case 'user':
    case 'input':
      return styles.user;
    case 'assistant':
    case 'output':
      return styles.assistant;
    case 'tool':
      return styles.tool;
    default:
      return undefined;
  }
}

function Part({ part }: { part: ChatPart }) {
  const styles = useStyles2(getStyles);
  switch (part.type) {
    case 'text':
      return <FoldableText text={part.text} />;
    case 'reasoning':
      return (
        <div className={styles.reasoning}>
          <span className={styles.muted}>reasoning</span>
          <FoldableText text={part.text} />
        </div>
      );
    case 'tool_call':
      return (
        <div className={styles.toolBlock} data-testid={testIds.toolCall}>
          <div className={styles.toolHead}>
            <Icon name="brackets-curly" size="xs" /> call <strong>{part.name || '(unnamed tool)'}</strong>
            {part.id && <code className={styles.muted}>{part.id}</code>}
          </div>
          {part.arguments && <FoldableText text={part.arguments} mono />}
        </div>
      );
    case 'tool_result':
      return (
        <div className={styles.toolBlock}>
          <div className={styles.toolHead}>
            <Icon name="arrow-left" size="xs" /> result{part.id && <code className={styles.muted}>{part.id}</code>}
          </div>
          <FoldableText text={part.content} mono />
        </div>
      );
    case 'media':
      return <span className={styles.muted}>{part.text}</span>;
  }
}

function FoldableText({ text, mono }: { text: string; mono?: boolean }) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  const long = text.length > FOLD_CHARS;
  return (
    <div>
      <div className={cx(styles.text, mono && styles.mono)}>
        {long && !open ? `${text.slice(0, FOLD_CHARS)}…` : text}
      </div>
      {long && (
        <button type="button" className={styles.fold} onClick={() => setOpen(!open)}>
          {open ? 'Show less' : `Show all (${text.length.toLocaleString('en-US')} characters)`}
        </button>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  list: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.75),
  }),
  message: css({
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.border.weak}`,
    borderLeftWidth: 3,
    padding: theme.spacing(0.5, 1),
    background: theme.colors.background.secondary,
  }),
  system: css({
    borderLeftColor: theme.colors.text.disabled,
  }),
  user: css({
    borderLeftColor: theme.visualization.getColorByName('blue'),
  }),
  assistant: css({
    borderLeftColor: theme.visualization.getColorByName('purple'),
    background: theme.isDark ? 'rgba(163, 82, 204, 0.08)' : 'rgba(163, 82, 204, 0.05)',
  }),
  tool: css({
    borderLeftColor: theme.visualization.getColorByName('orange'),
  }),
  role: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    fontSize: 11,
    textTransform: 'uppercase',
    letterSpacing: '0.04em',
    color: theme.colors.text.secondary,
    fontWeight: theme.typography.fontWeightMedium,
    marginBottom: 2,
  }),
  finish: css({
    marginLeft: 'auto',
    textTransform: 'none',
    letterSpacing: 0,
    fontWeight: theme.typography.fontWeightRegular,
  }),
  text: css({
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-word',
    color: theme.colors.text.primary,
  }),
  mono: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: 11,
  }),
  reasoning: css({
    fontStyle: 'italic',
    color: theme.colors.text.secondary,
  }),
  toolBlock: css({
    marginTop: theme.spacing(0.5),
    padding: theme.spacing(0.5),
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.canvas,
    border: `1px solid ${theme.colors.border.weak}`,
  }),
  toolHead: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    marginBottom: 2,
    color: theme.colors.text.secondary,
    strong: { color: theme.colors.text.primary },
  }),
  muted: css({
    color: theme.colors.text.secondary,
    fontSize: 11,
    textTransform: 'none',
    letterSpacing: 0,
  }),
  fold: css({
    all: 'unset',
    cursor: 'pointer',
    color: theme.colors.text.link,
    fontSize: 11,
    marginTop: 2,
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
});
