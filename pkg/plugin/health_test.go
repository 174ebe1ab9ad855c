package plugin

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

const statusOK = `{"version":"0.1.0","storage":"duckdb","scopes":["ingest","read","admin"],"spanCount":12345,"lastSpanTime":"2026-03-01T11:55:00.000Z"}`

func fixNow(t *testing.T) {
	t.Helper()
	prev := now
	now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { now = prev })
}

func checkHealth(t *testing.T, ds *Datasource) (*backend.CheckHealthResult, map[string]any) {
	t.Helper()
	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var details map[string]any
	if err := json.Unmarshal(res.JSONDetails, &details); err != nil {
		t.Fatalf("JSONDetails %q: %v", res.JSONDetails, err)
	}
	return res, details
}

func TestCheckHealthOK(t *testing.T) {
	fixNow(t)
	svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, statusOK) })
	ds := newTestDS(t, svc.URL, nil, nil)
	res, details := checkHealth(t, ds)
	if res.Status != backend.HealthStatusOk {
		t.Fatalf("status %v: %s", res.Status, res.Message)
	}
	want := "PyFlare service 0.1.0 is reachable (storage: duckdb): 12,345 spans, last span 5 min ago (2026-03-01T11:55:00Z)."
	if res.Message != want {
		t.Errorf("message\n got %q\nwant %q", res.Message, want)
	}
	r := svc.recorded(t)[0]
	if r.Method != http.MethodGet || r.Path != "/api/v1/status" || r.Header.Get("Authorization") != "Bearer "+testToken {
		t.Errorf("request %s %s auth=%q", r.Method, r.Path, r.Header.Get("Authorization"))
	}
	if details["version"] != "0.1.0" || details["storage"] != "duckdb" || details["spanCount"] != float64(12345) ||
		details["lastSpanTime"] != "2026-03-01T11:55:00.000Z" || details["url"] != svc.URL {
		t.Errorf("details %v", details)
	}
}

func TestCheckHealthEmptyStore(t *testing.T) {
	svc := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, `{"version":"0.1.0","storage":"duckdb","scopes":["read"],"spanCount":0,"lastSpanTime":null}`)
	})
	res, _ := checkHealth(t, newTestDS(t, svc.URL, nil, nil))
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "No spans ingested yet") {
		t.Errorf("%v %q", res.Status, res.Message)
	}
}

func TestCheckHealthFailures(t *testing.T) {
	blocking := newFakeService(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	plain := newFakeService(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, statusOK) })
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, statusOK) }))
	t.Cleanup(tlsSrv.Close)
	status := func(code int, ct, body string) string {
		return newFakeService(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}).URL
	}

	cases := []struct {
		name     string
		url      string
		jsonData map[string]any
		secure   map[string]string
		kind     string
		want     string
	}{
		{"missing url", "", nil, nil, "settings", "the PyFlare service URL is not set"},
		{"bad url", "localhost:8780", nil, nil, "settings", `invalid PyFlare service URL "localhost:8780": it must start with http:// or https://`},
		{"bad timeout", plain.URL, map[string]any{"timeoutSeconds": "abc"}, nil, "settings", `invalid timeout "abc"`},
		{"refused", closedPortURL(t), nil, nil, "connection_refused", "connection refused by 127.0.0.1:"},
		{"dns", "http://pyflare.invalid:8780", nil, nil, "dns", `cannot resolve host "pyflare.invalid"`},
		{"401", status(401, "application/json", `{"error":"invalid api key"}`), nil, nil, "unauthorized",
			"the PyFlare service rejected the API token (401): check the token in the data source settings: invalid api key"},
		{"401 no token", status(401, "application/json", `{"error":"missing api key"}`), nil, map[string]string{}, "unauthorized",
			"requires an API token (401), but none is configured"},
		{"403", status(403, "application/json", `{"error":"scope read required"}`), nil, nil, "forbidden",
			"the API token lacks the 'read' scope (403)"},
		{"404", status(404, "text/plain", `404 page not found`), nil, nil, "not_found", "no PyFlare API at"},
		{"500", status(500, "application/json", `{"error":"storage unavailable"}`), nil, nil, "http_status",
			"the PyFlare service answered 500 Internal Server Error: storage unavailable"},
		{"html", status(200, "text/html; charset=utf-8", `<html>Grafana</html>`), nil, nil, "invalid_answer",
			"did not answer with JSON (text/html) for /api/v1/status"},
		{"json not pyflare", status(200, "application/json", `{"ok":true}`), nil, nil, "invalid_answer", "answered JSON without a version"},
		{"timeout", blocking.URL, map[string]any{"timeoutSeconds": 0.2}, nil, "timeout", "did not answer within 200ms"},
		{"tls unknown CA", tlsSrv.URL, nil, nil, "tls", "certificate is signed by an unknown authority"},
		{"https to plain http", strings.Replace(plain.URL, "http://", "https://", 1), nil, nil, "tls", "the server does not speak TLS"},
		{"http to https", strings.Replace(tlsSrv.URL, "https://", "http://", 1), nil, nil, "tls", "expects TLS: use https:// in the URL"},
		{"bad CA pem", tlsSrv.URL, map[string]any{"tlsAuthWithCACert": true}, map[string]string{"tlsCACert": "nope"}, "settings", "CA certificate is not valid PEM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, details := checkHealth(t, newTestDS(t, c.url, c.jsonData, c.secure))
			if res.Status != backend.HealthStatusError {
				t.Fatalf("status %v (%s), want error", res.Status, res.Message)
			}
			if !strings.Contains(res.Message, c.want) {
				t.Errorf("message %q\nwant it to contain %q", res.Message, c.want)
			}
			if details["errorKind"] != c.kind {
				t.Errorf("errorKind %v, want %s", details["errorKind"], c.kind)
			}
		})
	}
}

func TestCheckHealthTLSWithCACertAndSkipVerify(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, statusOK) }))
	t.Cleanup(srv.Close)
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	withCA := newTestDS(t, srv.URL, map[string]any{"tlsAuthWithCACert": true}, map[string]string{"apiToken": testToken, "tlsCACert": ca})
	if res, _ := checkHealth(t, withCA); res.Status != backend.HealthStatusOk {
		t.Errorf("with CA cert: %s", res.Message)
	}
	skip := newTestDS(t, srv.URL, map[string]any{"tlsSkipVerify": true}, nil)
	if res, _ := checkHealth(t, skip); res.Status != backend.HealthStatusOk {
		t.Errorf("skip verify: %s", res.Message)
	}
	wrongName := newTestDS(t, srv.URL, map[string]any{"tlsAuthWithCACert": true, "serverName": "other.test"},
		map[string]string{"apiToken": testToken, "tlsCACert": ca})
	if res, _ := checkHealth(t, wrongName); res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "not valid for this host name") ||
		!strings.Contains(res.Message, "set 'Server name'") {
		t.Errorf("wrong server name: %s", res.Message)
	}
}

func TestHealthMessageHelpers(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := groupThousands(n); got != want {
			t.Errorf("groupThousands(%d) = %q", n, got)
		}
	}
	for d, want := range map[time.Duration]string{-time.Second: "in the future (check clocks)", 10 * time.Second: "less than a minute ago",
		3 * time.Hour: "3 h ago", 72 * time.Hour: "3 days ago"} {
		if got := ago(d); got != want {
			t.Errorf("ago(%v) = %q", d, got)
		}
	}
}
