package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

const testToken = "test-token"

// fakeService plays the PyFlare service: it records every request and answers
// with the configured handler.
type fakeService struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

func newFakeService(t *testing.T, h http.HandlerFunc) *fakeService {
	t.Helper()
	f := &fakeService{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeService) recorded(t *testing.T) []recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// newTestDS builds a Datasource for url with extra jsonData fields and secrets.
func newTestDS(t *testing.T, url string, jsonData map[string]any, secure map[string]string) *Datasource {
	t.Helper()
	jd := map[string]any{"url": url}
	for k, v := range jsonData {
		jd[k] = v
	}
	b, err := json.Marshal(jd)
	if err != nil {
		t.Fatal(err)
	}
	if secure == nil {
		secure = map[string]string{"apiToken": testToken}
	}
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{JSONData: b, DecryptedSecureJSONData: secure})
	if err != nil {
		t.Fatal(err)
	}
	ds := inst.(*Datasource)
	t.Cleanup(ds.Dispose)
	return ds
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// closedPortURL returns a URL of a loopback port nobody listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON mismatch\n got: %s\nwant: %s", got, want)
	}
}

// collectSender gathers CallResource responses.
type collectSender struct {
	responses []*backend.CallResourceResponse
}

func (c *collectSender) Send(r *backend.CallResourceResponse) error {
	c.responses = append(c.responses, r)
	return nil
}
