package plugin

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func callResource(t *testing.T, ds *Datasource, method, path, rawURL string) *backend.CallResourceResponse {
	t.Helper()
	var s collectSender
	if err := ds.CallResource(context.Background(), &backend.CallResourceRequest{Method: method, Path: path, URL: rawURL}, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.responses) != 1 {
		t.Fatalf("want one response, got %d", len(s.responses))
	}
	return s.responses[0]
}

func TestCallResourceAllowList(t *testing.T) {
	svc := newFakeService(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/traces/") && strings.HasSuffix(r.URL.Path, "ffff") {
			writeJSON(w, 404, `{"error":"trace not found"}`)
			return
		}
		writeJSON(w, 200, `{"values":["`+r.URL.Path+`"]}`)
	})
	ds := newTestDS(t, svc.URL, nil, nil)
	const id = "0123456789ABCDEF0123456789abcdef"

	cases := []struct {
		path, url        string
		wantPath, wantQS string
		wantStatus       int
	}{
		{"services", "/api/datasources/uid/pf/resources/services", "/api/v1/catalog/services", "", 200},
		{"catalog/models", "/api/datasources/uid/pf/resources/catalog/models", "/api/v1/catalog/models", "", 200},
		{"/attribute-keys", "/api/datasources/uid/pf/resources/attribute-keys?from=1&to=2", "/api/v1/catalog/attribute-keys", "from=1&to=2", 200},
		{"attribute-values", "/api/datasources/uid/pf/resources/attribute-values?key=gen_ai.system", "/api/v1/catalog/attribute-values", "key=gen_ai.system", 200},
		{"traces/" + id, "/api/datasources/uid/pf/resources/traces/" + id, "/api/v1/traces/" + strings.ToLower(id), "", 200},
		{"drift/models", "/api/datasources/uid/pf/resources/drift/models?x=1", "/api/v1/drift/models", "", 200},
		{"drift/heatmap", "/api/datasources/uid/pf/resources/drift/heatmap?driftType=feature&from=1&modelId=fraud&to=2&evil=1", "/api/v1/drift/heatmap", "driftType=feature&from=1&modelId=fraud&to=2", 200},
		{"alerts", "/api/datasources/uid/pf/resources/alerts?modelId=m&state=all&bogus=1", "/api/v1/alerts", "modelId=m&state=all", 200},
		{"/costs/budgets/", "/api/datasources/uid/pf/resources/costs/budgets", "/api/v1/costs/budgets", "", 200},
		{"traces/" + strings.Repeat("f", 32), "", "/api/v1/traces/" + strings.Repeat("f", 32), "", 404},
	}
	for i, c := range cases {
		res := callResource(t, ds, http.MethodGet, c.path, c.url)
		if res.Status != c.wantStatus {
			t.Errorf("%s: status %d, body %s", c.path, res.Status, res.Body)
		}
		if res.Headers["Content-Type"][0] != "application/json" {
			t.Errorf("%s: content type %v", c.path, res.Headers)
		}
		r := svc.recorded(t)[i]
		if r.Method != http.MethodGet || r.Path != c.wantPath || r.RawQuery != c.wantQS || r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("%s: upstream %s %s?%s auth=%q", c.path, r.Method, r.Path, r.RawQuery, r.Header.Get("Authorization"))
		}
		if c.wantStatus == 200 {
			jsonEqual(t, res.Body, `{"values":["`+c.wantPath+`"]}`)
		} else {
			jsonEqual(t, res.Body, `{"error":"trace not found"}`)
		}
	}
}

func TestCallResourceRejects(t *testing.T) {
	svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, `{}`) })
	ds := newTestDS(t, svc.URL, nil, nil)
	cases := []struct {
		method, path, url string
		status            int
		want              string
	}{
		{"GET", "query", "", 404, `unknown resource \"query\"`},
		{"GET", "../api/v1/admin", "", 404, "unknown resource"},
		{"GET", "catalog/services/../../admin", "", 404, "unknown resource"},
		{"GET", "traces/xyz", "", 400, "trace id must be 32 hex characters"},
		{"GET", "traces/" + strings.Repeat("a", 32) + "/spans", "", 400, "trace id must be 32 hex characters"},
		{"POST", "services", "", 405, "only GET is allowed"},
		{"GET", "attribute-values", "/resources/attribute-values?key=", 400, "needs a 'key' query parameter"},
		{"GET", "drift/heatmap", "/resources/drift/heatmap?driftType=feature", 400, "drift/heatmap needs a 'modelId' query parameter"},
		{"GET", "drift/models/fraud", "", 404, "unknown resource"},
		{"GET", "drift/reference", "", 404, "unknown resource"},
		{"POST", "drift/alerts/abc/resolve", "", 404, "unknown resource"},
		{"POST", "costs/budgets", "", 405, "only GET is allowed"},
		{"DELETE", "costs/budgets", "", 405, "only GET is allowed"},
		{"GET", "keys", "", 404, "available: services, models"},
	}
	for _, c := range cases {
		res := callResource(t, ds, c.method, c.path, c.url)
		if res.Status != c.status || !strings.Contains(string(res.Body), c.want) || res.Headers["Content-Type"][0] != "application/json" {
			t.Errorf("%s %s: %d %s", c.method, c.path, res.Status, res.Body)
		}
	}
	if n := len(svc.recorded(t)); n != 0 {
		t.Errorf("rejected calls must not reach the service, %d did", n)
	}
}

func TestCallResourceTransportError(t *testing.T) {
	ds := newTestDS(t, closedPortURL(t), nil, nil)
	res := callResource(t, ds, "GET", "services", "")
	if res.Status != http.StatusBadGateway || !strings.Contains(string(res.Body), "connection refused") {
		t.Errorf("%d %s", res.Status, res.Body)
	}
	bad := newTestDS(t, "", nil, nil)
	res = callResource(t, bad, "GET", "services", "")
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "URL is not set") {
		t.Errorf("%d %s", res.Status, res.Body)
	}
}
