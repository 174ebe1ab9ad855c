package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Limits of the service's queryRequestSchema (query-model/src/wire.ts).
const (
	maxQueriesPerRequest = 100
	defaultIntervalMs    = 60_000
	maxIntervalMs        = 366 * 86_400_000
	defaultMaxDataPoints = 1000
	maxMaxDataPoints     = 100_000
	queryPath            = "/api/v1/query"
)

// serviceQuery is one entry of the POST /api/v1/query body.
type serviceQuery struct {
	RefID         string          `json:"refId"`
	TimeRange     serviceRange    `json:"timeRange"`
	IntervalMs    int64           `json:"intervalMs"`
	MaxDataPoints int64           `json:"maxDataPoints"`
	Query         json.RawMessage `json:"query"`
}

type serviceRange struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

type serviceQueryRequest struct {
	Queries []serviceQuery `json:"queries"`
}

// QueryData forwards the batch to the service in one POST (split only beyond
// the service's 100-queries limit) and returns one response per refId.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	if d.settingsErr != nil {
		for _, q := range req.Queries {
			resp.Responses[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream,
				"invalid PyFlare data source settings: "+d.settingsErr.Error())
		}
		return resp, nil
	}

	batch := make([]serviceQuery, 0, len(req.Queries))
	for _, q := range req.Queries {
		sq, err := toServiceQuery(q)
		if err != nil {
			resp.Responses[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourcePlugin, err.Error())
			continue
		}
		batch = append(batch, sq)
	}
	for start := 0; start < len(batch); start += maxQueriesPerRequest {
		chunk := batch[start:min(start+maxQueriesPerRequest, len(batch))]
		for refID, r := range d.runBatch(ctx, chunk) {
			resp.Responses[refID] = r
		}
	}
	return resp, nil
}

func toServiceQuery(q backend.DataQuery) (serviceQuery, error) {
	raw := bytes.TrimSpace(q.JSON)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return serviceQuery{}, fmt.Errorf("query %s is not a JSON object", q.RefID)
	}
	interval := q.Interval.Milliseconds()
	if interval <= 0 {
		interval = defaultIntervalMs
	}
	mdp := q.MaxDataPoints
	if mdp <= 0 {
		mdp = defaultMaxDataPoints
	}
	return serviceQuery{
		RefID:         q.RefID,
		TimeRange:     serviceRange{From: epochMs(q.TimeRange.From), To: epochMs(q.TimeRange.To)},
		IntervalMs:    min(interval, maxIntervalMs),
		MaxDataPoints: min(mdp, maxMaxDataPoints),
		Query:         json.RawMessage(raw),
	}, nil
}

func epochMs(t time.Time) int64 {
	return max(t.UnixMilli(), 0)
}

// runBatch sends one POST and maps the answer to every refId of the batch.
func (d *Datasource) runBatch(ctx context.Context, batch []serviceQuery) backend.Responses {
	out := make(backend.Responses, len(batch))
	if len(batch) == 0 {
		return out
	}
	fail := func(e *serviceError) backend.Responses {
		for _, q := range batch {
			out[q.RefID] = backend.DataResponse{Error: e, Status: e.status, ErrorSource: backend.ErrorSourceDownstream}
		}
		return out
	}

	body, err := json.Marshal(serviceQueryRequest{Queries: batch})
	if err != nil {
		return fail(&serviceError{kindBadAnswer, backend.StatusInternal, "cannot encode the query request: " + err.Error(), err})
	}
	httpReq, err := d.newRequest(ctx, http.MethodPost, queryPath, nil, body)
	if err != nil {
		return fail(&serviceError{kindSettings, backend.StatusBadRequest, "cannot build the request: " + err.Error(), err})
	}

	started := time.Now()
	res, err := d.client.Do(httpReq)
	if err != nil {
		e := d.describeTransportError(ctx, err)
		logger(ctx).Warn("PyFlare query failed", "kind", e.kind, "error", err, "queries", len(batch))
		return fail(e)
	}
	defer res.Body.Close()

	payload, err := readLimited(res.Body, d.maxResponseBytes)
	if err != nil {
		var se *serviceError
		if !errors.As(err, &se) {
			se = d.describeTransportError(ctx, err)
		}
		logger(ctx).Warn("PyFlare query answer unreadable", "kind", se.kind, "error", err)
		return fail(se)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		e := d.describeHTTPStatus(res.StatusCode, payload, queryPath)
		logger(ctx).Warn("PyFlare query rejected", "status", res.StatusCode, "error", e.msg)
		return fail(e)
	}

	results, err := decodeResults(payload)
	if err != nil {
		return fail(&serviceError{kindBadAnswer, backend.StatusBadGateway,
			fmt.Sprintf("invalid answer from the PyFlare service (%s): %s", res.Header.Get("Content-Type"), shortJSONError(err)), err})
	}
	logger(ctx).Debug("PyFlare query done", "queries", len(batch), "bytes", len(payload), "durationMs", time.Since(started).Milliseconds())

	for _, q := range batch {
		r, ok := results[q.RefID]
		if !ok {
			out[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadGateway, backend.ErrorSourceDownstream,
				fmt.Sprintf("the PyFlare service returned no result for query %s", q.RefID))
			continue
		}
		if r.Error != nil && r.ErrorSource == "" {
			// The service validates queries; its per-refId errors are the user's to fix.
			r.ErrorSource = backend.ErrorSourceDownstream
		}
		for _, f := range r.Frames {
			if f == nil {
				continue
			}
			if f.RefID == "" {
				f.RefID = q.RefID
			}
			d.linkToSelf(f)
		}
		out[q.RefID] = r
	}
	return out
}

// decodeResults reads the service answer with the SDK's QueryDataResponse JSON
// decoding. If that fails, it decodes each refId on its own so one malformed
// result becomes that refId's error instead of failing the whole batch.
func decodeResults(payload []byte) (backend.Responses, error) {
	var qdr backend.QueryDataResponse
	whole := json.Unmarshal(payload, &qdr)
	if whole == nil {
		return qdr.Responses, nil
	}
	var envelope struct {
		Results map[string]json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(payload, &envelope); err != nil || envelope.Results == nil {
		return nil, whole
	}
	out := make(backend.Responses, len(envelope.Results))
	for refID, raw := range envelope.Results {
		one, _ := json.Marshal(map[string]map[string]json.RawMessage{"results": {refID: raw}})
		var single backend.QueryDataResponse
		if err := json.Unmarshal(one, &single); err != nil {
			out[refID] = backend.ErrDataResponseWithSource(backend.StatusBadGateway, backend.ErrorSourceDownstream,
				fmt.Sprintf("invalid result from the PyFlare service for query %s: %s", refID, shortJSONError(err)))
			continue
		}
		out[refID] = single.Responses[refID]
	}
	return out, nil
}

// shortJSONError drops the payload excerpt jsoniter appends to its errors.
func shortJSONError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", error found in"); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// linkToSelf points internal data links that name no data source at this one, so a
// link such as "open this trace in Explore" runs its query against PyFlare.
func (d *Datasource) linkToSelf(f *data.Frame) {
	for _, field := range f.Fields {
		if field.Config == nil {
			continue
		}
		for i := range field.Config.Links {
			in := field.Config.Links[i].Internal
			if in != nil && in.DatasourceUID == "" {
				in.DatasourceUID = d.uid
				if in.DatasourceName == "" {
					in.DatasourceName = d.name
				}
			}
		}
	}
}
