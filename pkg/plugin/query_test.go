package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// serviceAnswer is what the service answers for refIds A, B and C (D is left
// out on purpose).
const serviceAnswer = `{"results":{
 "A":{"status":200,"frames":[{"schema":{"name":"trace","refId":"A",
   "meta":{"preferredVisualisationType":"trace","custom":{"pyflareFrame":"trace"}},
   "fields":[
    {"name":"traceID","type":"string","typeInfo":{"frame":"string"}},
    {"name":"spanID","type":"string","typeInfo":{"frame":"string"}},
    {"name":"startTime","type":"number","typeInfo":{"frame":"float64"}},
    {"name":"duration","type":"number","typeInfo":{"frame":"float64"},"config":{"unit":"ms"}},
    {"name":"tags","type":"other","typeInfo":{"frame":"json.RawMessage"}}]},
   "data":{"values":[["t1","t1"],["s1","s2"],[1700000000000.5,1700000000001],[12.5,3],[[{"key":"a","value":1}],[]]]}}]},
 "B":{"status":400,"error":"limit: must be at most 10000","errorSource":"downstream"},
 "C":{"status":200,"frames":[{"schema":{"name":"request_count","fields":[
    {"name":"time","type":"time","typeInfo":{"frame":"time.Time"}},
    {"name":"value","type":"number","typeInfo":{"frame":"float64"},"labels":{"model":"gpt-4o"}}]},
   "data":{"values":[[1700000000000,1700000060000],[3,5]]}}]}
}}`

func testQueries() []backend.DataQuery {
	tr := backend.TimeRange{From: time.UnixMilli(1700000000000), To: time.UnixMilli(1700003600000)}
	return []backend.DataQuery{
		{RefID: "A", TimeRange: tr, Interval: 15 * time.Second, MaxDataPoints: 500,
			JSON: []byte(`{"refId":"A","queryType":"trace","traceId":"0123456789abcdef0123456789abcdef","datasource":{"type":"pyflare-observability-datasource","uid":"pf"}}`)},
		{RefID: "B", TimeRange: tr, Interval: 0, MaxDataPoints: 0, JSON: []byte(` {"refId":"B","queryType":"traces","limit":99999} `)},
		{RefID: "C", TimeRange: tr, Interval: time.Minute, MaxDataPoints: 1_000_000, JSON: []byte(`{"refId":"C","queryType":"metrics"}`)},
		{RefID: "D", TimeRange: tr, Interval: time.Minute, MaxDataPoints: 100, JSON: []byte(`{"refId":"D","queryType":"costs"}`)},
		{RefID: "E", TimeRange: tr, JSON: []byte(`not json`)},
	}
}

func TestQueryDataRequestShapeAndMapping(t *testing.T) {
	svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, serviceAnswer) })
	ds := newTestDS(t, svc.URL+"/", map[string]any{"httpHeaderName1": "X-Org"}, map[string]string{"apiToken": testToken, "httpHeaderValue1": "acme"})

	resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: testQueries()})
	if err != nil {
		t.Fatal(err)
	}

	reqs := svc.recorded(t)
	if len(reqs) != 1 {
		t.Fatalf("want exactly one POST per batch, got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/api/v1/query" || r.RawQuery != "" {
		t.Errorf("request = %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := r.Header.Get("X-Org"); got != "acme" {
		t.Errorf("custom header X-Org = %q", got)
	}
	jsonEqual(t, r.Body, `{"queries":[
	 {"refId":"A","timeRange":{"from":1700000000000,"to":1700003600000},"intervalMs":15000,"maxDataPoints":500,
	  "query":{"refId":"A","queryType":"trace","traceId":"0123456789abcdef0123456789abcdef","datasource":{"type":"pyflare-observability-datasource","uid":"pf"}}},
	 {"refId":"B","timeRange":{"from":1700000000000,"to":1700003600000},"intervalMs":60000,"maxDataPoints":1000,
	  "query":{"refId":"B","queryType":"traces","limit":99999}},
	 {"refId":"C","timeRange":{"from":1700000000000,"to":1700003600000},"intervalMs":60000,"maxDataPoints":100000,
	  "query":{"refId":"C","queryType":"metrics"}},
	 {"refId":"D","timeRange":{"from":1700000000000,"to":1700003600000},"intervalMs":60000,"maxDataPoints":100,
	  "query":{"refId":"D","queryType":"costs"}}]}`)

	if len(resp.Responses) != 5 {
		t.Fatalf("want a response for every refId, got %v", resp.Responses)
	}

	a := resp.Responses["A"]
	if a.Error != nil || len(a.Frames) != 1 {
		t.Fatalf("A = %+v", a)
	}
	f := a.Frames[0]
	if f.Name != "trace" || f.RefID != "A" || f.Meta == nil || f.Meta.PreferredVisualization != data.VisTypeTrace {
		t.Errorf("A frame meta: name=%q refId=%q meta=%+v", f.Name, f.RefID, f.Meta)
	}
	wantTypes := map[string]data.FieldType{"traceID": data.FieldTypeString, "spanID": data.FieldTypeString,
		"startTime": data.FieldTypeFloat64, "duration": data.FieldTypeFloat64, "tags": data.FieldTypeJSON}
	for name, typ := range wantTypes {
		field, idx := f.FieldByName(name)
		if idx < 0 || field.Type() != typ {
			t.Errorf("A field %s: idx %d type %v, want %v", name, idx, field, typ)
		}
	}
	if v, _ := f.Fields[2].ConcreteAt(0); v != 1700000000000.5 {
		t.Errorf("startTime[0] = %v", v)
	}

	b := resp.Responses["B"]
	if b.Error == nil || b.Error.Error() != "limit: must be at most 10000" || b.Status != 400 || b.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("B = %+v", b)
	}

	c := resp.Responses["C"]
	if c.Error != nil || len(c.Frames) != 1 || c.Frames[0].RefID != "C" {
		t.Fatalf("C = %+v", c)
	}
	if typ, err := NumericTimeSeriesType(c.Frames[0]); err != nil || typ != data.TimeSeriesTypeWide {
		t.Errorf("C frame: %v %v", typ, err)
	}
	if ts, _ := c.Frames[0].Fields[0].ConcreteAt(1); !ts.(time.Time).Equal(time.UnixMilli(1700000060000)) {
		t.Errorf("C time[1] = %v", ts)
	}

	d := resp.Responses["D"]
	if d.Error == nil || !strings.Contains(d.Error.Error(), "no result for query D") || d.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("D = %+v", d)
	}
	e := resp.Responses["E"]
	if e.Error == nil || !strings.Contains(e.Error.Error(), "query E is not a JSON object") || e.Status != backend.StatusBadRequest {
		t.Errorf("E = %+v", e)
	}
}

func TestQueryDataSplitsBeyondServiceLimit(t *testing.T) {
	svc := newFakeService(t, func(w http.ResponseWriter, r *http.Request) {
		var body serviceQueryRequest
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeJSON(w, 400, `{"error":"bad"}`)
			return
		}
		out := backend.NewQueryDataResponse()
		for _, q := range body.Queries {
			out.Responses[q.RefID] = backend.DataResponse{Frames: data.Frames{data.NewFrame("x")}}
		}
		b, _ := json.Marshal(out)
		writeJSON(w, 200, string(b))
	})
	ds := newTestDS(t, svc.URL, nil, nil)
	var qs []backend.DataQuery
	for i := range 150 {
		qs = append(qs, backend.DataQuery{RefID: fmt.Sprintf("Q%d", i), JSON: []byte(`{}`)})
	}
	resp, _ := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: qs})
	if n := len(svc.recorded(t)); n != 2 {
		t.Fatalf("150 queries: want 2 POSTs (100 + 50), got %d", n)
	}
	for _, q := range qs {
		if r, ok := resp.Responses[q.RefID]; !ok || r.Error != nil {
			t.Fatalf("refId %s: %+v", q.RefID, r)
		}
	}
}

func allErrors(t *testing.T, resp *backend.QueryDataResponse, refIDs []string) []backend.DataResponse {
	t.Helper()
	var out []backend.DataResponse
	for _, id := range refIDs {
		r, ok := resp.Responses[id]
		if !ok {
			t.Fatalf("no response for %s", id)
		}
		if r.Error == nil {
			t.Fatalf("%s: want an error, got %+v", id, r)
		}
		if r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: error source %q, want downstream", id, r.ErrorSource)
		}
		out = append(out, r)
	}
	return out
}

func twoQueries() []backend.DataQuery {
	return []backend.DataQuery{{RefID: "A", JSON: []byte(`{"queryType":"traces"}`)}, {RefID: "B", JSON: []byte(`{"queryType":"metrics"}`)}}
}

func TestQueryDataHTTPErrorsArePerRefID(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"401", 401, `{"error":"invalid api key"}`, "rejected the API token (401)"},
		{"403", 403, `{"error":"missing scope read"}`, "lacks the 'read' scope (403): use a PyFlare API key with the read scope: missing scope read"},
		{"404", 404, `not here`, "no PyFlare API at"},
		{"500", 500, `{"error":"internal","message":"duckdb exploded"}`, "answered 500 Internal Server Error: internal: duckdb exploded"},
		{"invalid json", 200, `<html>`, "invalid answer from the PyFlare service"},
		{"results not an object", 200, `{"results":[]}`, "invalid answer from the PyFlare service"},
		{"no results", 200, `{}`, "no result for query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, c.status, c.body) })
			ds := newTestDS(t, svc.URL, nil, nil)
			resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: twoQueries()})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range allErrors(t, resp, []string{"A", "B"}) {
				if !strings.Contains(r.Error.Error(), c.want) {
					t.Errorf("error %q, want it to contain %q", r.Error, c.want)
				}
			}
		})
	}
}

func TestQueryDataConnectionRefused(t *testing.T) {
	ds := newTestDS(t, closedPortURL(t), nil, nil)
	resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: twoQueries()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range allErrors(t, resp, []string{"A", "B"}) {
		if !strings.Contains(r.Error.Error(), "connection refused") || r.Status != backend.StatusBadGateway {
			t.Errorf("got %d %q", r.Status, r.Error)
		}
	}
}

func TestQueryDataInvalidSettings(t *testing.T) {
	ds := newTestDS(t, "", nil, nil)
	resp, _ := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: twoQueries()})
	for _, r := range allErrors(t, resp, []string{"A", "B"}) {
		if !strings.Contains(r.Error.Error(), "URL is not set") {
			t.Errorf("got %q", r.Error)
		}
	}
}

func TestQueryDataHonorsCancellation(t *testing.T) {
	arrived := make(chan struct{})
	svc := newFakeService(t, func(_ http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done() // never answers; ends when the client goes away
	})
	ds := newTestDS(t, svc.URL, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *backend.QueryDataResponse)
	go func() {
		resp, _ := ds.QueryData(ctx, &backend.QueryDataRequest{Queries: twoQueries()})
		done <- resp
	}()
	<-arrived
	cancel()
	resp := <-done
	for _, r := range allErrors(t, resp, []string{"A", "B"}) {
		if !strings.Contains(r.Error.Error(), "cancelled") || !errors.Is(r.Error, context.Canceled) {
			t.Errorf("got %q", r.Error)
		}
	}
}

func TestQueryDataTimeout(t *testing.T) {
	svc := newFakeService(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ds := newTestDS(t, svc.URL, map[string]any{"timeoutSeconds": 0.2}, nil)
	resp, _ := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: twoQueries()})
	for _, r := range allErrors(t, resp, []string{"A", "B"}) {
		if !strings.Contains(r.Error.Error(), "did not answer within 200ms") || r.Status != backend.StatusTimeout {
			t.Errorf("got %d %q", r.Status, r.Error)
		}
	}
}

func TestQueryDataResponseSizeCap(t *testing.T) {
	svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, `{"results":{"A":{"status":200,"frames":[]},"pad":{"error":"`+strings.Repeat("x", 4096)+`"}}}`)
	})
	ds := newTestDS(t, svc.URL, nil, nil)
	ds.maxResponseBytes = 1024
	resp, _ := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: twoQueries()})
	for _, r := range allErrors(t, resp, []string{"A", "B"}) {
		if !strings.Contains(r.Error.Error(), "larger than") {
			t.Errorf("got %q", r.Error)
		}
	}
}

func TestQueryDataMalformedResultIsolated(t *testing.T) {
	svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, `{"results":{
		 "A":{"status":200,"frames":[{"schema":{"fields":[{"name":"x","type":"number"}]},"data":{"values":[[1]]}}]},
		 "B":{"status":200,"frames":[{"schema":{"fields":[{"name":"x","type":"number","typeInfo":{"frame":"float64"}}]},"data":{"values":[[1]]}}]}}}`)
	})
	ds := newTestDS(t, svc.URL, nil, nil)
	resp, _ := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: twoQueries()})
	a := allErrors(t, resp, []string{"A"})[0]
	if !strings.Contains(a.Error.Error(), `invalid result from the PyFlare service for query A`) || !strings.Contains(a.Error.Error(), `field "x" has no type`) {
		t.Errorf("A: %q", a.Error)
	}
	if b := resp.Responses["B"]; b.Error != nil || len(b.Frames) != 1 || b.Frames[0].Fields[0].Len() != 1 {
		t.Errorf("B: %+v", b)
	}
}

func TestQueryDataPointsInternalLinksAtThisDataSource(t *testing.T) {
	answer := `{"results":{"A":{"status":200,"frames":[{"schema":{"name":"traces","fields":[
	 {"name":"traceID","type":"string","typeInfo":{"frame":"string"},"config":{"links":[
	   {"title":"Open trace","url":"","internal":{"query":{"queryType":"trace","traceId":"${__value.raw}"},"datasourceUid":""}},
	   {"title":"Elsewhere","url":"","internal":{"query":{},"datasourceUid":"other"}}]}}]},
	 "data":{"values":[["t1"]]}}]}}}`
	svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(answer)) })
	ds := newTestDS(t, svc.URL, nil, map[string]string{"apiToken": testToken})
	ds.uid, ds.name = "pyflare-uid", "PyFlare"
	resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		{RefID: "A", JSON: []byte(`{"refId":"A","queryType":"traces"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	links := resp.Responses["A"].Frames[0].Fields[0].Config.Links
	if got := links[0].Internal.DatasourceUID; got != "pyflare-uid" {
		t.Fatalf("own link uid = %q, want pyflare-uid", got)
	}
	if got := links[0].Internal.DatasourceName; got != "PyFlare" {
		t.Fatalf("own link name = %q, want PyFlare", got)
	}
	if got := links[1].Internal.DatasourceUID; got != "other" {
		t.Fatalf("foreign link uid = %q, want it untouched", got)
	}
}
