import React from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { dataFrameFromJSON, type DataFrame, type LinkModel } from '@grafana/data';

import { panelProps } from '../../../shared/panelProps';
import { agentListRow, agentTraceFrame, T0, traceListJSON } from '../testData';
import { defaultTraceOptions, type TracePanelOptions } from '../types';
import { testIds } from './testIds';
import { TracePanel } from './TracePanel';

const SLOW_ID = 'b'.repeat(32);

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

function renderPanel(series: DataFrame[], options: Partial<TracePanelOptions> = {}) {
  return render(<TracePanel {...panelProps({ ...defaultTraceOptions, ...options }, series)} />);
}

const rowTexts = () => screen.getAllByTestId(testIds.row).map((r) => within(r).getAllByRole('cell')[0]!.textContent);

describe('TracePanel list', () => {
  it('shows one row per trace with its root span, service, model and status', () => {
    renderPanel([listFrame()]);
    const rows = screen.getAllByTestId(testIds.row);
    expect(rows).toHaveLength(2);
    const first = within(rows[0]!);
    expect(first.getByText('agent.run')).toBeInTheDocument();
    expect(first.getByText('checkout-agent')).toBeInTheDocument();
    expect(first.getByText('gpt-4o')).toBeInTheDocument();
    expect(first.getByText('gpt-4o-mini')).toBeInTheDocument();
    expect(first.getByText('Error')).toBeInTheDocument();
    expect(first.getByText('2.5k')).toBeInTheDocument();
    expect(first.getByText('$0.0062')).toBeInTheDocument();
    expect(first.getByTestId('pyflare-mini-waterfall')).toBeInTheDocument();
    // The second trace is slow and expensive.
    const second = within(rows[1]!);
    expect(second.getByTitle('Slow trace')).toHaveTextContent('9 s');
    expect(second.getByTitle('Expensive trace')).toHaveTextContent('$0.31');
  });

  it('hides columns turned off in the options', () => {
    renderPanel([listFrame()], { showServiceColumn: false, showCostColumn: false, showTokensColumn: false });
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).not.toContain('Service');
    expect(headers).not.toContain('Cost');
    expect(headers).not.toContain('Tokens');
    expect(headers).toContain('Duration');
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

  it('offers the Explore link when the clicked trace is not in the data', () => {
    renderPanel([listFrame(true), agentTraceFrame()]);
    fireEvent.click(screen.getAllByTestId(testIds.row)[1]!);
    const notice = screen.getByTestId(testIds.missingTrace);
    expect(notice).toHaveTextContent('rag.query');
    expect(within(notice).getByRole('link', { name: 'Open in Explore' })).toHaveAttribute(
      'href',
      `/explore?trace=${SLOW_ID}`
    );
    expect(screen.getByRole('link', { name: `Open trace ${SLOW_ID} in Explore` })).toBeInTheDocument();
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

describe('TracePanel trace view', () => {
  it('opens the waterfall of a clicked trace and goes back', () => {
    renderPanel([listFrame(), agentTraceFrame()]);
    fireEvent.click(screen.getAllByTestId(testIds.row)[0]!);
    const detail = screen.getByTestId(testIds.detail);
    const spans = within(detail).getAllByTestId(testIds.spanRow);
    expect(spans.map((s) => s.getAttribute('aria-level'))).toEqual(['1', '2', '2', '2', '2']);
    expect(within(detail).getByText('chat gpt-4o')).toBeInTheDocument();
    expect(within(detail).getByText('1 error')).toBeInTheDocument();
    expect(within(screen.getByTestId(testIds.ruler)).getByText('500 ms')).toBeInTheDocument();
    fireEvent.click(screen.getByTestId(testIds.back));
    expect(screen.getByTestId(testIds.list)).toBeInTheDocument();
  });

  it('collapses a subtree', () => {
    renderPanel([agentTraceFrame()]);
    expect(screen.getAllByTestId(testIds.spanRow)).toHaveLength(5);
    fireEvent.click(screen.getByRole('button', { name: 'Collapse agent.run' }));
    expect(screen.getAllByTestId(testIds.spanRow)).toHaveLength(1);
    expect(screen.getByText('+4')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Expand agent.run' }));
    expect(screen.getAllByTestId(testIds.spanRow)).toHaveLength(5);
  });

  it('shows a lone trace query directly, with span details on click', () => {
    renderPanel([agentTraceFrame()]);
    expect(screen.queryByTestId(testIds.back)).not.toBeInTheDocument();
    fireEvent.click(screen.getByText('chat gpt-4o'));
    const details = screen.getByTestId(testIds.spanDetails);
    expect(within(details).getByText('openai / gpt-4o')).toBeInTheDocument();
    expect(within(details).getByText('1,200')).toBeInTheDocument();
    expect(within(details).getByText('300')).toBeInTheDocument();
    expect(within(details).getByText('$0.006')).toBeInTheDocument();
    expect(within(details).getByText('What is the refund policy?')).toBeInTheDocument();
    expect(within(details).getByText('gen_ai.request.temperature')).toBeInTheDocument();
    fireEvent.click(within(details).getByRole('button', { name: 'Close span details' }));
    expect(screen.queryByTestId(testIds.spanDetails)).not.toBeInTheDocument();
  });

  it('shows the error and events of a failed span', () => {
    renderPanel([agentTraceFrame()]);
    fireEvent.click(screen.getByText('execute_tool lookup_order'));
    const details = within(screen.getByTestId(testIds.spanDetails));
    expect(details.getByText('Error: order not found')).toBeInTheDocument();
    expect(details.getByText('exception')).toBeInTheDocument();
  });
});
