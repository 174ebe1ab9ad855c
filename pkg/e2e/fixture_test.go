package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	apiKey = "test-key-pyflare-e2e" // the service requires keys of 16+ characters
	// The fixture's traces (fixed ids: the data dir is fresh for every run).
	llmTraceID   = "4bf92f3577b34da6a3ce929d0e0e4736"
	rootSpanID   = "00f067aa0ba902b7"
	llmSpanID    = "b7ad6b7169203331"
	errorTraceID = "0af7651916cd43dd8448eb211c80319c"
	toolSpanID   = "53995c3f42cd8ad8"
	fixtureSpans = 3
	// Cost budgets of the fixture: the tiny one is crossed (warning and exceeded) by the
	// priced gpt-4o call, the roomy one never is.
	tinyBudget  = "e2e-tiny"
	roomyBudget = "e2e-roomy"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if svc != nil {
		svc.stop()
	}
	os.Exit(code)
}

var (
	svcOnce sync.Once
	svc     *service
	svcErr  error
)

// service is one running `node ingest/dist/server.js` with the fixture data.
type service struct {
	root     string
	cmd      *exec.Cmd
	done     chan struct{}
	cancel   context.CancelFunc
	output   *syncBuffer
	httpURL  string
	otlpURL  string
	t0       time.Time // start of the fixture's first span
	dataDir  string
	stopOnce sync.Once
	budgets  map[string]string // fixture budget name -> id
}

// startedService returns the shared service, starting it on first use.
func startedService(t *testing.T) *service {
	t.Helper()
	if os.Getenv("PYFLARE_SKIP_E2E") == "1" {
		t.Skip("PYFLARE_SKIP_E2E=1")
	}
	svcOnce.Do(func() { svc, svcErr = startService() })
	if svcErr != nil {
		t.Fatal(svcErr)
	}
	return svc
}

// repoRoot walks up from the test's directory to the directory with go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func needBuild(what string) error {
	return fmt.Errorf("%s is missing: run `npm run build` in the repository root first "+
		"(it builds the service bundle and the backend binaries), or set PYFLARE_SKIP_E2E=1 to skip the protocol tests", what)
}

func startService() (*service, error) {
	s, err := launchService()
	if err != nil {
		return nil, err
	}
	if err := s.ingestFixture(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; service output:\n%s", err, s.output.String())
	}
	if err := s.createBudgets(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; service output:\n%s", err, s.output.String())
	}
	return s, nil
}

// launchService starts `node ingest/dist/server.js` on a fresh data dir with free ports and
// waits for its ready line; extraEnv entries (KEY=value) are added to its environment.
func launchService(extraEnv ...string) (*service, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	entry := filepath.Join(root, "ingest", "dist", "server.js")
	if _, err := os.Stat(entry); err != nil {
		return nil, needBuild("ingest/dist/server.js")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH; the protocol tests run the real PyFlare service with Node 20+")
	}
	dataDir, err := os.MkdirTemp("", "pyflare-e2e-")
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, entry)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"PYFLARE_DATA_DIR="+dataDir,
		"PYFLARE_HOST=127.0.0.1",
		"PYFLARE_HTTP_PORT=0",
		"PYFLARE_OTLP_HTTP_PORT=0",
		"PYFLARE_OTLP_GRPC_PORT=0",
		"PYFLARE_API_KEY="+apiKey,
		"PYFLARE_AUTH_DISABLED=false",
		"PYFLARE_LOG_LEVEL=info",
		"TZ=UTC",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	// Stop with SIGTERM so the service flushes and closes DuckDB; kill after 10s.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	out := &syncBuffer{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	s := &service{root: root, cmd: cmd, done: make(chan struct{}), cancel: cancel, output: out, dataDir: dataDir}

	ready := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Bytes()
			out.Write(append(append([]byte(nil), line...), '\n'))
			if sent || !bytes.Contains(line, []byte(`pyflare ready`)) {
				continue
			}
			var m map[string]any
			if json.Unmarshal(line, &m) == nil && m["msg"] == "pyflare ready" {
				ready <- m
				sent = true
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()

	select {
	case m := <-ready:
		httpPort, ok1 := m["httpPort"].(float64)
		otlpPort, ok2 := m["otlpHttpPort"].(float64)
		if !ok1 || !ok2 || httpPort <= 0 || otlpPort <= 0 {
			s.stop()
			return nil, fmt.Errorf("ready line lacks httpPort/otlpHttpPort: %v", m)
		}
		s.httpURL = fmt.Sprintf("http://127.0.0.1:%d", int(httpPort))
		s.otlpURL = fmt.Sprintf("http://127.0.0.1:%d", int(otlpPort))
	case <-s.done:
		return nil, fmt.Errorf("the PyFlare service exited before it was ready (%v); its output:\n%s", cmd.ProcessState, out.String())
	case <-time.After(90 * time.Second):
		s.stop()
		return nil, fmt.Errorf("the PyFlare service printed no \"pyflare ready\" line within 90s; its output:\n%s", out.String())
	}

	return s, nil
}

func (s *service) stop() {
	s.stopOnce.Do(func() {
		s.cancel()
		<-s.done
		_ = os.RemoveAll(s.dataDir)
	})
}

// ingestFixture posts two traces as OTLP/HTTP JSON: a root server span with an
// LLM child span carrying gen_ai.* attributes, and a failing tool span.
func (s *service) ingestFixture() error {
	s.t0 = time.Now().Add(-30 * time.Second).Truncate(time.Millisecond)
	ns := func(d time.Duration) string { return fmt.Sprint(s.t0.Add(d).UnixNano()) }
	str := func(k, v string) map[string]any {
		return map[string]any{"key": k, "value": map[string]any{"stringValue": v}}
	}
	num := func(k string, v int) map[string]any {
		return map[string]any{"key": k, "value": map[string]any{"intValue": fmt.Sprint(v)}}
	}

	payload := map[string]any{"resourceSpans": []any{map[string]any{
		"resource": map[string]any{"attributes": []any{str("service.name", "checkout"), str("telemetry.sdk.language", "python")}},
		"scopeSpans": []any{map[string]any{
			"scope": map[string]any{"name": "pyflare-e2e"},
			"spans": []any{
				map[string]any{"traceId": llmTraceID, "spanId": rootSpanID, "name": "POST /chat", "kind": 2,
					"startTimeUnixNano": ns(0), "endTimeUnixNano": ns(1500 * time.Millisecond),
					"attributes": []any{str("http.request.method", "POST")}, "status": map[string]any{}},
				map[string]any{"traceId": llmTraceID, "spanId": llmSpanID, "parentSpanId": rootSpanID, "name": "chat gpt-4o", "kind": 3,
					"startTimeUnixNano": ns(100 * time.Millisecond), "endTimeUnixNano": ns(1300 * time.Millisecond),
					"attributes": []any{
						str("gen_ai.provider.name", "openai"), str("gen_ai.operation.name", "chat"),
						str("gen_ai.request.model", "gpt-4o"), str("gen_ai.response.model", "gpt-4o-2024-08-06"),
						num("gen_ai.usage.input_tokens", 120), num("gen_ai.usage.output_tokens", 30),
					}, "status": map[string]any{}},
				map[string]any{"traceId": errorTraceID, "spanId": toolSpanID, "name": "execute_tool search", "kind": 1,
					"startTimeUnixNano": ns(2 * time.Second), "endTimeUnixNano": ns(2250 * time.Millisecond),
					"attributes": []any{str("gen_ai.operation.name", "execute_tool"), str("gen_ai.tool.name", "search")},
					"status":     map[string]any{"code": 2, "message": "search backend down"}},
			},
		}},
	}}}
	body, _ := json.Marshal(payload)
	req, _ := http.NewRequest(http.MethodPost, s.otlpURL+"/v1/traces", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post OTLP: %w", err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("post OTLP: %d %s", res.StatusCode, answer)
	}

	// Intake may buffer; wait until the status endpoint counts every span.
	deadline := time.Now().Add(60 * time.Second)
	for {
		count, err := s.spanCount()
		if err == nil && count >= fixtureSpans {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the service did not report %d spans within 60s (last: %d, %v)", fixtureSpans, count, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// createBudgets adds the fixture's daily budgets over REST (admin scope).
func (s *service) createBudgets() error {
	s.budgets = map[string]string{}
	for _, b := range []map[string]any{
		{"name": tinyBudget, "period": "daily", "amountUsd": 0.000001, "alertThreshold": 0.5},
		{"name": roomyBudget, "period": "daily", "amountUsd": 1000},
	} {
		body, _ := json.Marshal(b)
		req, _ := http.NewRequest(http.MethodPost, s.httpURL+"/api/v1/costs/budgets", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+apiKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("create budget: %w", err)
		}
		answer, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var created struct {
			ID string `json:"id"`
		}
		if res.StatusCode != http.StatusCreated || json.Unmarshal(answer, &created) != nil || created.ID == "" {
			return fmt.Errorf("create budget %v: %d %s", b["name"], res.StatusCode, answer)
		}
		s.budgets[b["name"].(string)] = created.ID
	}
	return nil
}

func (s *service) spanCount() (int, error) {
	req, _ := http.NewRequest(http.MethodGet, s.httpURL+"/api/v1/status", nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var st struct {
		SpanCount int `json:"spanCount"`
	}
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		return 0, err
	}
	return st.SpanCount, nil
}

// backendBinary is the executable `mage` builds for this platform.
func backendBinary(t *testing.T, root string) string {
	t.Helper()
	name := fmt.Sprintf("gpx_pyflare_%s_%s", runtime.GOOS, runtime.GOARCH)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	p := filepath.Join(root, "dist", "datasource", name)
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(needBuild("dist/datasource/" + name))
	}
	// A binary older than the sources tests old code: say so loudly.
	_ = filepath.WalkDir(filepath.Join(root, "pkg"), func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "e2e" {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			if fi, err := d.Info(); err == nil && fi.ModTime().After(info.ModTime()) {
				t.Logf("WARNING: %s is newer than %s; rebuild with `go run github.com/magefile/mage buildCurrent`", path, name)
				return filepath.SkipAll
			}
		}
		return nil
	})
	return p
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > 20000 {
		s = "…" + s[len(s)-20000:]
	}
	return s
}
