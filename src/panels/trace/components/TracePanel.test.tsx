import React from 'react';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import {
  dataFrameFromJSON,
  dateTime,
  type DataFrame,
  type DataQueryRequest,
  type LinkModel,
  type PanelProps,
} from '@grafana/data';
import { setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { of, throwError } from 'rxjs';

import { panelProps } from '../../../shared/panelProps';
import { AGENT_SPANS, agentListRow, agentTraceFrame, T0, TRACE_ID, traceJSON, traceListJSON } from '../testData';
import { defaultTraceOptions, type TracePanelOptions } from '../types';
import { testIds } from './testIds';
import { TracePanel } from './TracePanel';

const SLOW_ID = 'b'.repeat(32);
const DS = { type: 'pyflare-observability-datasource', uid: 'pyflare-ds' };

function listFrame(withLinks = false): DataFrame {
  const frame = dataFrameFromJSON(
    traceListJSON([
      agentListRow(),
      agentListRow({
        traceID: SLOW_ID,
        rootName: 'rag.query',
        serviceName: 'search-api',
        models: 'claude-sonnet-4',
        durationMs: 9000,
        status: 'ok',
        errorCount: 0,
        costUsd: 0.31,
        startTime: T0 + 60_000,
      }),
    ])
  );
  frame.refId = 'A';
  if (withLinks) {
    // What Grafana's field processing adds for the service's Explore data link.
    const traceField = frame.fields.find((f) => f.name === 'traceID')!;
    traceField.getLinks = ({ valueRowIndex }) => [
      {
        href: `/explore?trace=${traceField.values[valueRowIndex ?? 0]}`,
        title: 'Open trace',
        target: '_self',
        origin: traceField,
      } as LinkModel,
    ];
  }
  return frame;
}

function props(
  series: DataFrame[],
  options: Partial<TracePanelOptions> = {},
  height = 600
): PanelProps<TracePanelOptions> {
  const p = panelProps({ ...defaultTraceOptions, ...options }, series, { height, width: 1200 });
  // The panel's query names its data source, as in a dashboard.
  p.data = {
    ...p.data,
    request: { targets: [{ refId: 'A', datasource: DS }] } as unknown as DataQueryRequest,
  };
  return p;
}

function renderPanel(series: DataFrame[], options: Partial<TracePanelOptions> = {}, height?: number) {
  return render(<TracePanel {...props(series, options, height)} />);
}

const rowTexts = () => screen.getAllByTestId(testIds.row).map((r) => within(r).getAllByRole('cell')[0]!.textContent);
const spanIds = () => screen.getAllByTestId(testIds.spanRow).map((r) => r.getAttribute('data-span-id'));

/** A data source whose query answers with the given frames (or fails), recording the requests. */
function fakeDataSource(answer: () => DataFrame[] | Error) {
  const requests: DataQueryRequest[] = [];
  setDataSourceSrv({
    get: async () => ({
      query: (req: DataQueryRequest) => {
        requests.push(req);
        const a = answer();
        return a instanceof Error ? throwError(() => a) : of({ data: a });
      },
    }),
  } as unknown as DataSourceSrv);
  return requests;
}

describe('TracePanel list', () => {
  it('shows one row per trace with its root span, service, model and status', () => {
    renderPanel([listFrame()]);
    const rows = screen.getAllByTestId(testIds.row);
    expect(rows).toHaveLength(2);
    const first = within(rows[0]!);
    expect(first.getByText('agent.run')).toBeInTheDocument();
    expect(first.getByText('checkout-agent')).toBeInTheDocument();
    expect(first.getByText('gpt-4o')).toBeInTheDocument();
    expect(first.getByText('+1')).toBeInTheDocument();
    expect(first.getByTitle('gpt-4o, gpt-4o-mini')).toBeInTheDocument();
    expect(first.getByText('Error')).toBeInTheDocument();
    expect(first.getByText('2.5k')).toBeInTheDocument();
    expect(first.getByText('$0.0062')).toBeInTheDocument();
    expect(first.getByTestId('pyflare-mini-waterfall')).toBeInTheDocument();
    expect(rows[0]).toHaveAttribute('data-error', 'true');
    // The second trace is slow and expensive.
    const second = within(rows[1]!);
    expect(second.getByTitle('Slow trace')).toHaveTextContent('9 s');
    expect(second.getByTitle('Expensive trace')).toHaveTextContent('$0.31');
    expect(rows[1]).toHaveAttribute('data-slow', 'true');
    expect(rows[1]).toHaveAttribute('data-expensive', 'true');
  });

  it('hides columns turned off in the options', () => {
    renderPanel([listFrame()], {
      showServiceColumn: false,
      showCostColumn: false,
      showTokensColumn: false,
      showWaterfallColumn: false,
    });
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).not.toContain('Service');
    expect(headers).not.toContain('Cost');
    expect(headers).not.toContain('Tokens');
    expect(headers).not.toContain('Waterfall');
    expect(headers).toContain('Duration');
    expect(screen.queryByTestId('pyflare-mini-waterfall')).not.toBeInTheDocument();
  });

  it('sorts by a column and reverses on the second click', () => {
    renderPanel([listFrame()]);
    fireEvent.click(screen.getByRole('button', { name: 'Duration' }));
    expect(rowTexts()[0]).toContain('rag.query');
    expect(screen.getByRole('columnheader', { name: /Duration/ })).toHaveAttribute('aria-sort', 'descending');
    fireEvent.click(screen.getByRole('button', { name: /Duration/ }));
    expect(rowTexts()[0]).toContain('agent.run');
  });

  it('shows at most maxTraces rows', () => {
    renderPanel([listFrame()], { maxTraces: 1 });
    expect(screen.getAllByTestId(testIds.row)).toHaveLength(1);
    expect(screen.getByTestId(testIds.footer)).toHaveTextContent('Showing 1 of 2 traces');
  });

  it('renders only the rows near the viewport of a long list', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      agentListRow({ traceID: i.toString(16).padStart(32, '0'), rootName: `run ${i}` })
    );
    renderPanel([dataFrameFromJSON(traceListJSON(many))], { maxTraces: 1000 }, 400);
    const rendered = screen.getAllByTestId(testIds.row);
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(40);
    expect(screen.getByRole('table')).toHaveAttribute('aria-rowcount', '1001');
  });

  it('shows an empty state for an empty list', () => {
    renderPanel([dataFrameFromJSON(traceListJSON([]))]);
    expect(screen.getByTestId(testIds.empty)).toHaveTextContent('No traces in this time range');
  });

  it('falls back to Grafana’s data error view for other data', () => {
    renderPanel([]);
    expect(screen.queryByTestId(testIds.panel)).not.toBeInTheDocument();
    expect(screen.getByText(/Unable to render data/)).toBeInTheDocument();
  });
});

describe('TracePanel opening a trace', () => {
  it('opens the waterfall of a clicked trace that is in the data and goes back', () => {
    renderPanel([listFrame(true), agentTraceFrame()]);
    fireEvent.click(screen.getAllByTestId(testIds.row)[0]!);
    const detail = screen.getByTestId(testIds.detail);
    expect(
      within(detail)
        .getAllByTestId(testIds.spanRow)
        .map((s) => s.getAttribute('aria-level'))
    ).toEqual(['1', '2', '2', '2', '2']);
    expect(within(detail).getByText('chat gpt-4o')).toBeInTheDocument();
    expect(within(detail).getByText('1 error')).toBeInTheDocument();
    expect(within(screen.getByTestId(testIds.ruler)).getByText('400 ms')).toBeInTheDocument();
    // The service's own data link wins over a built one.
    expect(screen.getByTestId(testIds.exploreLink)).toHaveAttribute('href', `/explore?trace=${TRACE_ID}`);
    fireEvent.click(screen.getByTestId(testIds.back));
    expect(screen.getByTestId(testIds.list)).toBeInTheDocument();
  });

  it('fetches a trace that is not in the data through the panel’s data source', async () => {
    const requests = fakeDataSource(() => [dataFrameFromJSON(traceJSON(AGENT_SPANS.slice(0, 2), SLOW_ID))]);
    renderPanel([listFrame()]);
    fireEvent.click(screen.getAllByTestId(testIds.row)[1]!);
    expect(screen.getByTestId(testIds.loading)).toHaveTextContent('Loading trace rag.query');
    expect(await screen.findByTestId(testIds.detail)).toBeInTheDocument();
    expect(spanIds()).toEqual(['a1', 'b2']);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.targets[0]).toMatchObject({ queryType: 'trace', traceId: SLOW_ID, datasource: DS });
    // No data link on this list: the Explore URL is built for the same data source.
    const href = decodeURIComponent(screen.getByTestId(testIds.exploreLink).getAttribute('href') ?? '');
    expect(href).toContain('/explore?');
    expect(href).toContain(`"traceId":"${SLOW_ID}"`);
    expect(href).toContain('"uid":"pyflare-ds"');
  });

  it('keeps a fetched trace open when the dashboard refreshes', async () => {
    const requests = fakeDataSource(() => [dataFrameFromJSON(traceJSON(AGENT_SPANS, SLOW_ID))]);
    const first = props([listFrame()]);
    const { rerender } = render(<TracePanel {...first} />);
    fireEvent.click(screen.getAllByTestId(testIds.row)[1]!);
    await screen.findByTestId(testIds.detail);
    fireEvent.click(screen.getByRole('button', { name: 'Collapse agent.run' }));
    const later = props([listFrame()]);
    later.timeRange = { ...later.timeRange, from: dateTime(T0 - 7_200_000) };
    rerender(<TracePanel {...later} />);
    expect(requests).toHaveLength(1);
    expect(spanIds()).toEqual(['a1']);
  });

  it('explains a failed fetch and retries on request', async () => {
    let fail = true;
    fakeDataSource(() => (fail ? new Error('service unavailable') : [agentTraceFrame()]));
    renderPanel([listFrame(true)]);
    fireEvent.click(screen.getAllByTestId(testIds.row)[0]!);
    const notice = await screen.findByTestId(testIds.missingTrace);
    expect(notice).toHaveTextContent('Could not load trace agent.run');
    expect(notice).toHaveTextContent('service unavailable');
    expect(screen.getByTestId(testIds.exploreLink)).toHaveAttribute('href', `/explore?trace=${TRACE_ID}`);
    fail = false;
    fireEvent.click(within(notice).getByRole('button', { name: /Retry/ }));
    expect(await screen.findByTestId(testIds.detail)).toBeInTheDocument();
  });

  it('says so when the service has no spans for the trace', async () => {
    fakeDataSource(() => [dataFrameFromJSON(traceJSON([], SLOW_ID))]);
    renderPanel([listFrame()]);
    fireEvent.click(screen.getAllByTestId(testIds.row)[1]!);
    expect(await screen.findByTestId(testIds.missingTrace)).toHaveTextContent(`Trace ${SLOW_ID} was not found`);
  });
});

describe('TracePanel trace view', () => {
  it('collapses and expands a subtree, and all of them', () => {
    renderPanel([agentTraceFrame()]);
    expect(screen.getAllByTestId(testIds.spanRow)).toHaveLength(5);
    fireEvent.click(screen.getByRole('button', { name: 'Collapse agent.run' }));
    expect(spanIds()).toEqual(['a1']);
    // The hidden subtree holds the failed tool call.
    expect(screen.getByText('+4')).toHaveAttribute('title', '4 hidden spans, 1 with errors');
    fireEvent.click(screen.getByRole('button', { name: 'Expand agent.run' }));
    expect(screen.getAllByTestId(testIds.spanRow)).toHaveLength(5);
    fireEvent.click(screen.getByRole('button', { name: 'Collapse all' }));
    expect(spanIds()).toEqual(['a1']);
    fireEvent.click(screen.getByRole('button', { name: 'Expand all' }));
    expect(screen.getAllByTestId(testIds.spanRow)).toHaveLength(5);
  });

  it('highlights the critical path and turns it off', () => {
    renderPanel([agentTraceFrame()]);
    const critical = screen
      .getAllByTestId(testIds.spanRow)
      .filter((r) => r.getAttribute('data-critical') === 'true')
      .map((r) => r.getAttribute('data-span-id'));
    // The retriever ran in parallel with the first LLM call and finished first.
    expect(critical).toEqual(['a1', 'b2', 'c3', 'd4']);
    expect(screen.getAllByTestId(testIds.criticalSegment).length).toBeGreaterThanOrEqual(4);
    fireEvent.click(screen.getByLabelText('Critical path'));
    expect(screen.queryAllByTestId(testIds.criticalSegment)).toHaveLength(0);
  });

  it('starts without the critical path when the option is off', () => {
    renderPanel([agentTraceFrame()], { showCriticalPath: false });
    expect(screen.queryAllByTestId(testIds.criticalSegment)).toHaveLength(0);
  });

  it('searches within the trace and steps through the matches', () => {
    renderPanel([agentTraceFrame()]);
    const input = screen.getByLabelText('Search spans');
    fireEvent.change(input, { target: { value: 'kind=llm' } });
    expect(screen.getByTestId(testIds.matchCount)).toHaveTextContent('2 matches');
    const marked = () =>
      screen
        .getAllByTestId(testIds.spanRow)
        .filter((r) => r.hasAttribute('data-match'))
        .map((r) => `${r.getAttribute('data-span-id')}:${r.getAttribute('data-match')}`);
    expect(marked()).toEqual(['b2:match', 'd4:match']);
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(screen.getByTestId(testIds.matchCount)).toHaveTextContent('1 of 2');
    expect(marked()).toEqual(['b2:current', 'd4:match']);
    expect(within(screen.getByTestId(testIds.spanDetails)).getByText('chat gpt-4o')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Next match (Enter)' }));
    expect(screen.getByTestId(testIds.matchCount)).toHaveTextContent('2 of 2');
    fireEvent.change(input, { target: { value: 'nothing-like-this' } });
    expect(screen.getByTestId(testIds.matchCount)).toHaveTextContent('No matches');
  });

  it('reveals a match inside a collapsed span', () => {
    renderPanel([agentTraceFrame()]);
    fireEvent.click(screen.getByRole('button', { name: 'Collapse agent.run' }));
    fireEvent.change(screen.getByLabelText('Search spans'), { target: { value: 'lookup_order' } });
    fireEvent.keyDown(screen.getByLabelText('Search spans'), { key: 'Enter' });
    expect(spanIds()).toContain('c3');
  });

  it('zooms in, shows the window and resets', () => {
    renderPanel([agentTraceFrame()]);
    expect(screen.queryByTestId(testIds.zoomNote)).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Zoom in (or drag across the time ruler)' }));
    expect(screen.getByTestId(testIds.zoomNote)).toHaveTextContent('250 ms – 750 ms');
    // The retriever (10-60 ms) is outside the window: no bar.
    const retriever = screen.getAllByTestId(testIds.spanRow).find((r) => r.getAttribute('data-span-id') === 'e5')!;
    expect(within(retriever).queryByTestId(testIds.spanBar)).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Reset zoom' }));
    expect(screen.queryByTestId(testIds.zoomNote)).not.toBeInTheDocument();
    expect(within(retriever).getByTestId(testIds.spanBar)).toBeInTheDocument();
  });

  it('zooms to a span from its details', () => {
    renderPanel([agentTraceFrame()]);
    fireEvent.click(screen.getByText('execute_tool lookup_order'));
    fireEvent.click(screen.getByRole('button', { name: 'Zoom to this span' }));
    expect(screen.getByTestId(testIds.zoomNote)).toHaveTextContent('415 ms – 525 ms');
  });

  it('colors by service with a legend of the services', () => {
    const spans = AGENT_SPANS.map((s) => (s.spanID === 'c3' ? { ...s, serviceName: 'orders-api' } : s));
    render(<TracePanel {...props([dataFrameFromJSON(traceJSON(spans))], { colorBy: 'service' })} />);
    expect(screen.getByTestId(testIds.legend)).toHaveTextContent('checkout-agent');
    expect(screen.getByTestId(testIds.legend)).toHaveTextContent('orders-api');
    fireEvent.click(screen.getByLabelText('Kind'));
    expect(screen.getByTestId(testIds.legend)).toHaveTextContent('llm');
  });

  it('shows a lone trace query directly, with span details on click', () => {
    renderPanel([agentTraceFrame()]);
    expect(screen.queryByTestId(testIds.back)).not.toBeInTheDocument();
    fireEvent.click(screen.getByText('chat gpt-4o'));
    const details = within(screen.getByTestId(testIds.spanDetails));
    expect(details.getByText('openai / gpt-4o')).toBeInTheDocument();
    expect(details.getByText('1,200')).toBeInTheDocument();
    expect(details.getByText('300')).toBeInTheDocument();
    expect(details.getByText('$0.006')).toBeInTheDocument();
    expect(details.getByText('gen_ai.request.temperature')).toBeInTheDocument();
    // Plain prompt and completion text, as a two-message chat.
    const messages = details.getAllByTestId(testIds.chatMessage);
    expect(messages.map((m) => m.getAttribute('data-role'))).toEqual(['user', 'assistant']);
    expect(messages[0]).toHaveTextContent('What is the refund policy?');
    fireEvent.click(details.getByRole('button', { name: 'Close span details' }));
    expect(screen.queryByTestId(testIds.spanDetails)).not.toBeInTheDocument();
  });

  it('renders GenAI messages with tool calls as a chat', () => {
    const spans = [
      {
        ...AGENT_SPANS[1]!,
        parentSpanID: '',
        input: '',
        output: '',
        tags: [
          {
            key: 'gen_ai.input.messages',
            value: JSON.stringify([
              { role: 'system', parts: [{ type: 'text', content: 'You are a support agent.' }] },
              { role: 'user', parts: [{ type: 'text', content: 'Where is order 4711?' }] },
            ]),
          },
          {
            key: 'gen_ai.output.messages',
            value: JSON.stringify([
              {
                role: 'assistant',
                parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { id: 4711 } }],
                finish_reason: 'tool_call',
              },
            ]),
          },
        ],
      },
    ];
    renderPanel([dataFrameFromJSON(traceJSON(spans))]);
    fireEvent.click(screen.getAllByTestId(testIds.spanRow)[0]!);
    const details = within(screen.getByTestId(testIds.spanDetails));
    expect(details.getAllByTestId(testIds.chatMessage).map((m) => m.getAttribute('data-role'))).toEqual([
      'system',
      'user',
      'assistant',
    ]);
    expect(details.getByTestId(testIds.toolCall)).toHaveTextContent('lookup_order');
    expect(details.getByTestId(testIds.toolCall)).toHaveTextContent('"id": 4711');
    expect(details.getByText('finish: tool_call')).toBeInTheDocument();
  });

  it('shows the error and exception of a failed span', () => {
    renderPanel([agentTraceFrame()]);
    fireEvent.click(screen.getByText('execute_tool lookup_order'));
    const error = within(screen.getByTestId(testIds.spanError));
    expect(error.getByText('order not found')).toBeInTheDocument();
    expect(within(screen.getByTestId(testIds.spanDetails)).getByText('exception')).toBeInTheDocument();
  });

  it('moves between rows with the keyboard', async () => {
    renderPanel([agentTraceFrame()]);
    const first = screen.getAllByTestId(testIds.spanRow)[0]!;
    fireEvent.keyDown(first, { key: 'ArrowLeft' });
    expect(spanIds()).toEqual(['a1']);
    fireEvent.keyDown(screen.getAllByTestId(testIds.spanRow)[0]!, { key: 'ArrowRight' });
    expect(spanIds()).toHaveLength(5);
    fireEvent.keyDown(screen.getAllByTestId(testIds.spanRow)[0]!, { key: 'Enter' });
    expect(within(screen.getByTestId(testIds.spanDetails)).getByText('agent.run')).toBeInTheDocument();
    await act(async () => {
      fireEvent.keyDown(screen.getAllByTestId(testIds.spanRow)[0]!, { key: 'ArrowDown' });
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    });
    expect(document.activeElement).toBe(screen.getAllByTestId(testIds.spanRow)[1]);
  });
});
