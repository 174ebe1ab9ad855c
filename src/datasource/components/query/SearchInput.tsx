import React, { useMemo, useState, type ChangeEvent, type KeyboardEvent } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, Input, useStyles2 } from '@grafana/ui';
import { SEARCH_SYNTAX, validateSearch, type SearchProblem } from '@pyflare/query-model';

import { selectors } from '../../selectors';

interface Props {
  value: string | undefined;
  onCommit: (value: string) => void;
  placeholder?: string;
  id?: string;
  testId: string;
  ariaLabel?: string;
}

/** The problem as one line: what is wrong, where (1-based column) and what would fit there. */
export function describeProblem(p: SearchProblem): string {
  const expected = p.expected.length ? `; expected ${p.expected.slice(0, 6).join(', ')}` : '';
  return `Column ${p.offset + 1}: ${p.message}${expected}`;
}

/**
 * A search-language box (traces search, metrics and costs filters): keeps a draft, checks it
 * with the service's own parser as you type and shows the problem with its position under
 * the box, commits on blur or Enter, and has the syntax help one click away.
 */
export function SearchInput({ value, onCommit, placeholder, id, testId, ariaLabel }: Props) {
  const styles = useStyles2(getStyles);
  const [draft, setDraft] = useState(value ?? '');
  const [lastValue, setLastValue] = useState(value);
  const [showHelp, setShowHelp] = useState(false);
  // Follow outside changes (migration, type switch) without an effect.
  if (value !== lastValue) {
    setLastValue(value);
    setDraft(value ?? '');
  }
  const problem = useMemo(() => validateSearch(draft), [draft]);
  const commit = () => {
    if (draft !== (value ?? '')) {
      onCommit(draft);
    }
  };
  return (
    <div className={styles.column}>
      <div className={styles.row}>
        <Input
          id={id}
          data-testid={testId}
          aria-label={ariaLabel}
          aria-invalid={problem !== null}
          placeholder={placeholder}
          value={draft}
          invalid={problem !== null}
          onChange={(e: ChangeEvent<HTMLInputElement>) => setDraft(e.currentTarget.value)}
          onBlur={commit}
          onKeyDown={(e: KeyboardEvent<HTMLInputElement>) => {
            if (e.key === 'Enter') {
              commit();
            }
          }}
        />
        <Button
          data-testid={selectors.query.searchHelpToggle}
          variant="secondary"
          fill="text"
          size="sm"
          icon="question-circle"
          aria-expanded={showHelp}
          onClick={() => setShowHelp(!showHelp)}
        >
          Syntax
        </Button>
      </div>
      {problem && (
        <div data-testid={selectors.query.searchError} role="alert" className={styles.error}>
          <div>{describeProblem(problem)}</div>
          <pre className={styles.caret} aria-hidden>
            {draft}
            {'\n'}
            {' '.repeat(problem.offset)}^
          </pre>
        </div>
      )}
      {showHelp && (
        <table data-testid={selectors.query.searchHelp} className={styles.help}>
          <tbody>
            {SEARCH_SYNTAX.map((s) => (
              <tr key={s.example}>
                <td>
                  <code>{s.example}</code>
                </td>
                <td>{s.meaning}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  column: css({ display: 'flex', flexDirection: 'column', flexGrow: 1, minWidth: 0 }),
  row: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(0.5) }),
  error: css({
    color: theme.colors.error.text,
    fontSize: theme.typography.bodySmall.fontSize,
    marginTop: theme.spacing(0.5),
  }),
  caret: css({
    margin: 0,
    padding: theme.spacing(0.5),
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
    background: 'transparent',
    border: 'none',
    color: theme.colors.error.text,
    overflowX: 'auto',
    whiteSpace: 'pre',
  }),
  help: css({
    marginTop: theme.spacing(0.5),
    fontSize: theme.typography.bodySmall.fontSize,
    td: { padding: theme.spacing(0.25, 1, 0.25, 0), verticalAlign: 'top' },
    code: { whiteSpace: 'nowrap' },
  }),
});
