package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/pyflare/observability/pkg/plugin"
)

// pluginClient is what Grafana calls on a backend data source.
type pluginClient interface {
	QueryData(ctx context.Context, r *backend.QueryDataRequest) (*backend.QueryDataResponse, error)
	CheckHealth(ctx context.Context, r *backend.CheckHealthRequest) (*backend.CheckHealthResult, error)
	CallResource(ctx context.Context, r *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error
}

// (a) In-process: the SDK serves NewDatasource over real gRPC.
func TestProtocolInProcess(t *testing.T) {
	s := startedService(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	// The SDK's middlewares register metrics; keep them off the global registry.
	prometheus.DefaultRegisterer = prometheus.NewRegistry()
	tp, err := datasourcetest.Manage(plugin.NewDatasource, datasourcetest.ManageOpts{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.Shutdown() })
	exercise(t, s, tp.Client)
}

// (b) The built executable, started and spoken to exactly as Grafana does:
// hashicorp go-plugin, protocol version 2, magic cookie, gRPC only.
func TestProtocolBinary(t *testing.T) {
	s := startedService(t)
	exercise(t, s, startBackendBinary(t, backendBinary(t, s.root), hclog.Debug))
}

// startBackendBinary starts the built executable as Grafana does (go-plugin handshake, gRPC
// only), checks the negotiated protocol and returns a client of its three services. The
// plugin is killed when the test ends; its log (at level) is printed if the test failed.
func startBackendBinary(t *testing.T, bin string, level hclog.Level) *grpcClient {
	t.Helper()
	logs := &syncBuffer{}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GF_VERSION=12.3.0", "GF_EDITION=oss", "GF_PLUGIN_VERSION=0.1.0")
	client := goplugin.NewClient(&goplugin.ClientConfig{
		Cmd: cmd,
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
				"data":        &grpcplugin.DataGRPCPlugin{},
			},
		},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin.pyflare", Output: logs, Level: level}),
		GRPCDialOptions:  []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32))},
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(func() {
		client.Kill()
		if t.Failed() {
			t.Logf("plugin log:\n%s", logs.String())
		}
	})
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("start %s: %v\n%s", bin, err, logs.String())
	}
	if client.NegotiatedVersion() != grpcplugin.ProtocolVersion || client.Protocol() != goplugin.ProtocolGRPC {
		t.Fatalf("negotiated v%d over %s", client.NegotiatedVersion(), client.Protocol())
	}
	dispense := func(name string) any {
		raw, err := rpc.Dispense(name)
		if err != nil {
			t.Fatalf("dispense %s: %v", name, err)
		}
		return raw
	}
	dataClient, ok1 := dispense("data").(pluginv2.DataClient)
	diagClient, ok2 := dispense("diagnostics").(pluginv2.DiagnosticsClient)
	resClient, ok3 := dispense("resource").(pluginv2.ResourceClient)
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("dispensed clients have unexpected types (data %v, diagnostics %v, resource %v)", ok1, ok2, ok3)
	}
	return &grpcClient{data: dataClient, diag: diagClient, res: resClient}
}

// grpcClient converts SDK types to pluginv2 messages like Grafana's plugin client.
type grpcClient struct {
	data pluginv2.DataClient
	diag pluginv2.DiagnosticsClient
	res  pluginv2.ResourceClient
}

func (c *grpcClient) QueryData(ctx context.Context, r *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp, err := c.data.QueryData(ctx, backend.ToProto().QueryDataRequest(r))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(resp)
}

func (c *grpcClient) CheckHealth(ctx context.Context, r *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	resp, err := c.diag.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: backend.ToProto().PluginContext(r.PluginContext)})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(resp), nil
}

func (c *grpcClient) CallResource(ctx context.Context, r *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	stream, err := c.res.CallResource(ctx, backend.ToProto().CallResourceRequest(r))
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := sender.Send(backend.FromProto().CallResourceResponse(msg)); err != nil {
			return err
		}
	}
}

func pluginContext(s *service, uid, token string) backend.PluginContext {
	jd, _ := json.Marshal(map[string]any{"url": s.httpURL, "timeoutSeconds": 30})
	return backend.PluginContext{
		OrgID:    1,
		PluginID: plugin.PluginID,
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: 1, UID: uid, Name: "PyFlare", Type: plugin.PluginID, URL: s.httpURL,
			JSONData: jd, DecryptedSecureJSONData: map[string]string{"apiToken": token},
			Updated: time.Unix(1700000000, 0),
		},
	}
}

// exercise runs the same Grafana-like calls against either client.
func exercise(t *testing.T, s *service, c pluginClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pCtx := pluginContext(s, "pyflare-e2e", apiKey)

	t.Run("CheckHealth", func(t *testing.T) {
		res, err := c.CheckHealth(ctx, &backend.CheckHealthRequest{PluginContext: pCtx})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "is reachable (storage: duckdb)") || !strings.Contains(res.Message, "spans") {
			t.Fatalf("health %v: %s", res.Status, res.Message)
		}
		var details map[string]any
		if err := json.Unmarshal(res.JSONDetails, &details); err != nil || details["version"] == nil || details["spanCount"].(float64) < fixtureSpans {
			t.Errorf("details %s (%v)", res.JSONDetails, err)
		}
	})

	t.Run("CheckHealthBadToken", func(t *testing.T) {
		res, err := c.CheckHealth(ctx, &backend.CheckHealthRequest{PluginContext: pluginContext(s, "pyflare-e2e-bad", "wrong-key")})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "rejected the API token (401)") {
			t.Fatalf("health %v: %s", res.Status, res.Message)
		}
	})

	t.Run("QueryData", func(t *testing.T) {
		tr := backend.TimeRange{From: s.t0.Add(-time.Hour), To: time.Now().Add(time.Minute)}
		q := func(refID, js string) backend.DataQuery {
			return backend.DataQuery{RefID: refID, TimeRange: tr, Interval: time.Minute, MaxDataPoints: 500, JSON: json.RawMessage(js)}
		}
		resp, err := c.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pCtx, Queries: []backend.DataQuery{
			q("A", `{"refId":"A","queryType":"traces","search":"","limit":100}`),
			q("B", `{"refId":"B","queryType":"trace","traceId":"`+llmTraceID+`"}`),
			q("C", `{"refId":"C","queryType":"traces","limit":0}`),
			q("M", `{"refId":"M","queryType":"metrics","metric":"request_count","aggregation":"sum","groupBy":["model"],"format":"time_series"}`),
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"A", "B", "C", "M"} {
			if _, ok := resp.Responses[id]; !ok {
				t.Errorf("no response for %s", id)
			}
		}
		t.Run("traces", func(t *testing.T) { assertTraceList(t, s, oneFrame(t, resp.Responses["A"])) })
		t.Run("trace", func(t *testing.T) { assertTraceFrame(t, s, oneFrame(t, resp.Responses["B"])) })
		t.Run("invalid query", func(t *testing.T) {
			r := resp.Responses["C"]
			if r.Error == nil || r.Status != backend.StatusBadRequest || !strings.Contains(r.Error.Error(), "limit") {
				t.Errorf("C: status %d error %v", r.Status, r.Error)
			}
		})
		t.Run("metrics alertable", func(t *testing.T) {
			r := resp.Responses["M"]
			if r.Status == backend.StatusNotImplemented {
				// Becomes strict by itself once the service implements metrics.
				t.Skipf("the service does not implement metrics yet: %v", r.Error)
			}
			if r.Error != nil || len(r.Frames) == 0 {
				t.Fatalf("M: status %d error %v frames %d", r.Status, r.Error, len(r.Frames))
			}
			for _, f := range r.Frames {
				if _, err := plugin.NumericTimeSeriesType(f); err != nil {
					t.Error(err)
				}
			}
		})
	})

	t.Run("Budgets", func(t *testing.T) {
		tr := backend.TimeRange{From: s.t0.Add(-time.Hour), To: time.Now().Add(time.Minute)}
		q := func(refID, js string) backend.DataQuery {
			return backend.DataQuery{RefID: refID, TimeRange: tr, Interval: time.Minute, MaxDataPoints: 500, JSON: json.RawMessage(js)}
		}
		tinyID := s.budgets[tinyBudget]
		resp, err := c.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pCtx, Queries: []backend.DataQuery{
			q("BR", `{"refId":"BR","queryType":"costs","view":"breaches","pluginVersion":"1"}`),
			q("BI", `{"refId":"BI","queryType":"costs","view":"breaches","budget":"`+tinyID+`"}`),
			q("BN", `{"refId":"BN","queryType":"costs","view":"breaches","budget":"`+roomyBudget+`"}`),
			q("UN", `{"refId":"UN","queryType":"costs","view":"budgets","budget":"`+tinyBudget+`"}`),
			q("UA", `{"refId":"UA","queryType":"costs","view":"budgets"}`),
			q("UX", `{"refId":"UX","queryType":"costs","view":"budgets","budget":"no-such-budget"}`),
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("breaches", func(t *testing.T) {
			f := oneFrame(t, resp.Responses["BR"])
			assertBreachesFrame(t, f)
			// Only the tiny budget is crossed: its warning, then (same step) its amount.
			if f.Rows() != 2 {
				t.Fatalf("want 2 breaches (warning, exceeded of %s), got %d", tinyBudget, f.Rows())
			}
			levels := map[string]bool{}
			for i := range f.Rows() {
				levels[value(t, f, "level", i).(string)] = true
				if b := value(t, f, "budget", i); b != tinyBudget {
					t.Errorf("row %d budget %v, want %s", i, b, tinyBudget)
				}
				if id := value(t, f, "budgetId", i); id != tinyID {
					t.Errorf("row %d budgetId %v, want %s", i, id, tinyID)
				}
				at := value(t, f, "time", i).(time.Time)
				end := value(t, f, "timeEnd", i).(time.Time)
				// The crossing is placed at the end of the 5 min step of the gpt-4o call.
				if at.Before(s.t0) || at.After(s.t0.Add(5*time.Minute)) || !end.After(at) {
					t.Errorf("row %d time %v timeEnd %v (t0 %v)", i, at, end, s.t0)
				}
				lvl := value(t, f, "level", i).(string)
				tags := value(t, f, "tags", i).(string)
				if tags != "pyflare,budget,"+lvl+",daily,"+tinyBudget {
					t.Errorf("row %d tags %q", i, tags)
				}
				if title := value(t, f, "title", i).(string); !strings.Contains(title, tinyBudget) {
					t.Errorf("row %d title %q", i, title)
				}
				if text := value(t, f, "text", i).(string); !strings.Contains(text, "daily budget") {
					t.Errorf("row %d text %q", i, text)
				}
				spent, amount := value(t, f, "spentUsd", i).(float64), value(t, f, "amountUsd", i).(float64)
				if amount != 0.000001 || spent < amount {
					t.Errorf("row %d spentUsd %v amountUsd %v", i, spent, amount)
				}
				if !strings.HasPrefix(value(t, f, "id", i).(string), tinyID+":") {
					t.Errorf("row %d id %v", i, value(t, f, "id", i))
				}
			}
			if !levels["warning"] || !levels["exceeded"] {
				t.Errorf("levels %v, want warning and exceeded", levels)
			}
		})
		t.Run("breaches of one budget by id", func(t *testing.T) {
			f := oneFrame(t, resp.Responses["BI"])
			assertBreachesFrame(t, f)
			if f.Rows() != 2 {
				t.Errorf("want 2 breaches of %s, got %d", tinyID, f.Rows())
			}
		})
		t.Run("breaches of an uncrossed budget by name", func(t *testing.T) {
			f := oneFrame(t, resp.Responses["BN"])
			// Empty, but still the typed annotation frame.
			assertBreachesFrame(t, f)
			if f.Rows() != 0 {
				t.Errorf("want no breaches of %s, got %d", roomyBudget, f.Rows())
			}
		})
		t.Run("budgets filtered", func(t *testing.T) {
			all := oneFrame(t, resp.Responses["UA"])
			if all.Name != "budgets" || all.Rows() != 2 {
				t.Fatalf("budgets: name %q, %d rows, want 2", all.Name, all.Rows())
			}
			f := oneFrame(t, resp.Responses["UN"])
			assertFields(t, f, []fieldSpec{{"id", str}, {"name", str}, {"scope", str}, {"period", str},
				{"amountUsd", num}, {"spentUsd", num}, {"usedShare", num}, {"projectedUsd", num},
				{"projectedOverageUsd", num}, {"alertThreshold", num}, {"state", str}, {"periodStart", tim},
				{"periodEnd", tim}}, true)
			if f.Rows() != 1 {
				t.Fatalf("want 1 budget named %s, got %d", tinyBudget, f.Rows())
			}
			checks := map[string]any{"id": tinyID, "name": tinyBudget, "scope": "all", "period": "daily",
				"amountUsd": 0.000001, "alertThreshold": 0.5}
			for name, want := range checks {
				if got := value(t, f, name, 0); got != want {
					t.Errorf("budget %s = %v, want %v", name, got, want)
				}
			}
			if st := value(t, f, "state", 0); st != "exceeded" {
				t.Errorf("budget state %v, want exceeded", st)
			}
			if none := oneFrame(t, resp.Responses["UX"]); none.Rows() != 0 {
				t.Errorf("unknown budget: %d rows", none.Rows())
			}
		})
	})

	t.Run("CallResource", func(t *testing.T) {
		call := func(path, query string) (int, string) {
			t.Helper()
			var got []*backend.CallResourceResponse
			err := c.CallResource(ctx, &backend.CallResourceRequest{PluginContext: pCtx, Method: "GET", Path: path,
				URL: "/api/datasources/uid/pyflare-e2e/resources/" + path + query}, senderFunc(func(r *backend.CallResourceResponse) error {
				got = append(got, r)
				return nil
			}))
			if err != nil || len(got) != 1 {
				t.Fatalf("%s: %v (%d responses)", path, err, len(got))
			}
			return got[0].Status, string(got[0].Body)
		}
		if st, body := call("catalog/services", ""); st != 200 || !strings.Contains(body, `"checkout"`) {
			t.Errorf("services: %d %s", st, body)
		}
		if st, body := call("models", ""); st != 200 || !strings.Contains(body, `gpt-4o`) {
			t.Errorf("models: %d %s", st, body)
		}
		if st, body := call("attribute-keys", ""); st != 200 || !strings.Contains(body, `"values"`) {
			t.Errorf("attribute-keys: %d %s", st, body)
		}
		if st, body := call("attribute-values", "?key=gen_ai.provider.name"); st != 200 || !strings.Contains(body, `"values"`) {
			t.Errorf("attribute-values: %d %s", st, body)
		}
		if st, body := call("traces/"+llmTraceID, ""); st != 200 || !strings.Contains(body, llmSpanID) {
			t.Errorf("trace by id: %d %.300s", st, body)
		}
		if st, body := call("costs/budgets", ""); st != 200 || !strings.Contains(body, `"`+tinyBudget+`"`) {
			t.Errorf("costs/budgets: %d %.300s", st, body)
		}
		if st, body := call("drift/heatmap", "?modelId=e2e-none&driftType=feature"); st != 200 || !strings.Contains(body, `"features":[]`) {
			t.Errorf("drift/heatmap: %d %.300s", st, body)
		}
		if st, body := call("drift/heatmap", ""); st != 400 || !strings.Contains(body, "modelId") {
			t.Errorf("drift/heatmap without a model: %d %s", st, body)
		}
		if st, body := call("admin/keys", ""); st != 404 || !strings.Contains(body, "unknown resource") {
			t.Errorf("not allowed: %d %s", st, body)
		}
	})
}

type senderFunc func(*backend.CallResourceResponse) error

func (f senderFunc) Send(r *backend.CallResourceResponse) error { return f(r) }

func oneFrame(t *testing.T, r backend.DataResponse) *data.Frame {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("status %d: %v", r.Status, r.Error)
	}
	if len(r.Frames) != 1 {
		t.Fatalf("want 1 frame, got %d", len(r.Frames))
	}
	return r.Frames[0]
}

type fieldSpec struct {
	name string
	typ  data.FieldType // compared without nullability
}

var (
	str   = data.FieldTypeString
	num   = data.FieldTypeFloat64
	tim   = data.FieldTypeTime
	jsonT = data.FieldTypeJSON
)

// assertFields checks names and base types; ordered requires the exact order.
func assertFields(t *testing.T, f *data.Frame, want []fieldSpec, ordered bool) {
	t.Helper()
	if ordered && len(f.Fields) != len(want) {
		names := make([]string, len(f.Fields))
		for i, fl := range f.Fields {
			names[i] = fl.Name
		}
		t.Errorf("frame %q fields %v, want %d fields", f.Name, names, len(want))
	}
	for i, w := range want {
		field, idx := f.FieldByName(w.name)
		if idx < 0 {
			t.Errorf("frame %q has no field %q", f.Name, w.name)
			continue
		}
		if ordered && idx != i {
			t.Errorf("frame %q field %q at %d, want %d", f.Name, w.name, idx, i)
		}
		if got := field.Type().NonNullableType(); got != w.typ {
			t.Errorf("frame %q field %q type %s, want %s", f.Name, w.name, got.ItemTypeString(), w.typ.ItemTypeString())
		}
	}
}

func value(t *testing.T, f *data.Frame, name string, row int) any {
	t.Helper()
	field, idx := f.FieldByName(name)
	if idx < 0 {
		t.Fatalf("no field %q", name)
	}
	v, ok := field.ConcreteAt(row)
	if !ok {
		return nil
	}
	return v
}

func rowWhere(t *testing.T, f *data.Frame, name, want string) int {
	t.Helper()
	for i := range f.Rows() {
		if value(t, f, name, i) == want {
			return i
		}
	}
	t.Fatalf("frame %q: no row with %s=%s", f.Name, name, want)
	return -1
}

// assertBreachesFrame checks the budget breaches frame: annotation fields first, in the
// contract's order, with their types and its meta.
func assertBreachesFrame(t *testing.T, f *data.Frame) {
	t.Helper()
	if f.Meta == nil {
		t.Fatalf("frame %q has no meta", f.Name)
	}
	if f.Name != "budget-breaches" || f.Meta.PreferredVisualization != data.VisTypeTable {
		t.Errorf("name %q meta %+v", f.Name, f.Meta)
	}
	if custom, ok := f.Meta.Custom.(map[string]any); !ok || custom["pyflareFrame"] != "budget-breaches" {
		t.Errorf("meta.custom %v", f.Meta.Custom)
	}
	assertFields(t, f, []fieldSpec{{"time", tim}, {"timeEnd", tim}, {"title", str}, {"text", str}, {"tags", str},
		{"id", str}, {"budgetId", str}, {"budget", str}, {"level", str}, {"spentUsd", num}, {"amountUsd", num}}, true)
	if field, _ := f.FieldByName("spentUsd"); field == nil || field.Config == nil || field.Config.Unit != "currencyUSD" {
		t.Errorf("spentUsd needs unit currencyUSD")
	}
}

func assertTraceList(t *testing.T, s *service, f *data.Frame) {
	if f.Name != "traces" || f.Meta == nil || f.Meta.PreferredVisualization != data.VisTypeTable {
		t.Errorf("name %q meta %+v", f.Name, f.Meta)
	}
	assertFields(t, f, []fieldSpec{{"traceID", str}, {"startTime", tim}, {"rootName", str}, {"serviceName", str},
		{"models", str}, {"durationMs", num}, {"status", str}, {"spanCount", num}, {"errorCount", num},
		{"inputTokens", num}, {"outputTokens", num}, {"totalTokens", num}, {"costUsd", num}, {"waterfall", jsonT}}, true)
	if field, _ := f.FieldByName("traceID"); field == nil || field.Config == nil || len(field.Config.Links) != 1 {
		t.Errorf("traceID needs exactly one data link")
	}
	if f.Rows() != 2 {
		t.Fatalf("want 2 traces, got %d", f.Rows())
	}
	i := rowWhere(t, f, "traceID", llmTraceID)
	checks := map[string]any{"rootName": "POST /chat", "serviceName": "checkout", "durationMs": 1500.0, "status": "ok",
		"spanCount": 2.0, "errorCount": 0.0, "inputTokens": 120.0, "outputTokens": 30.0, "totalTokens": 150.0}
	for name, want := range checks {
		if got := value(t, f, name, i); got != want {
			t.Errorf("trace list %s = %v, want %v", name, got, want)
		}
	}
	if st := value(t, f, "startTime", i).(time.Time); !st.Equal(s.t0) {
		t.Errorf("startTime %v, want %v", st, s.t0)
	}
	if m := value(t, f, "models", i).(string); !strings.Contains(m, "gpt-4o") {
		t.Errorf("models %q", m)
	}
	if c := value(t, f, "costUsd", i).(float64); c <= 0 {
		t.Errorf("costUsd %v, want > 0 for priced gpt-4o tokens", c)
	}
	e := rowWhere(t, f, "traceID", errorTraceID)
	if value(t, f, "status", e) != "error" || value(t, f, "errorCount", e) != 1.0 {
		t.Errorf("error trace: status %v errorCount %v", value(t, f, "status", e), value(t, f, "errorCount", e))
	}
}

func assertTraceFrame(t *testing.T, s *service, f *data.Frame) {
	if f.Name != "trace" || f.Meta == nil || f.Meta.PreferredVisualization != data.VisTypeTrace {
		t.Errorf("name %q meta %+v", f.Name, f.Meta)
	}
	assertFields(t, f, []fieldSpec{{"traceID", str}, {"spanID", str}, {"parentSpanID", str}, {"operationName", str},
		{"serviceName", str}, {"serviceTags", jsonT}, {"startTime", num}, {"duration", num}, {"tags", jsonT}, {"logs", jsonT},
		{"kind", str}, {"statusCode", num}, {"statusMessage", str}, {"spanKind", str}, {"provider", str}, {"model", str},
		{"inputTokens", num}, {"outputTokens", num}, {"cacheReadTokens", num}, {"cacheWriteTokens", num},
		{"reasoningTokens", num}, {"costUsd", num}, {"input", str}, {"output", str}}, false)
	if f.Rows() != 2 {
		t.Fatalf("want 2 spans, got %d", f.Rows())
	}
	root := rowWhere(t, f, "spanID", rootSpanID)
	if p := value(t, f, "parentSpanID", root); p != "" && p != nil {
		t.Errorf("root parentSpanID %v", p)
	}
	i := rowWhere(t, f, "spanID", llmSpanID)
	checks := map[string]any{"traceID": llmTraceID, "parentSpanID": rootSpanID, "operationName": "chat gpt-4o",
		"serviceName": "checkout", "duration": 1200.0, "spanKind": "llm", "provider": "openai",
		"inputTokens": 120.0, "outputTokens": 30.0}
	for name, want := range checks {
		if got := value(t, f, name, i); got != want {
			t.Errorf("span %s = %v, want %v", name, got, want)
		}
	}
	wantStart := float64(s.t0.Add(100*time.Millisecond).UnixNano()) / 1e6
	if got := value(t, f, "startTime", i).(float64); math.Abs(got-wantStart) > 0.001 {
		t.Errorf("startTime %f, want %f (ms epoch)", got, wantStart)
	}
	if m := value(t, f, "model", i).(string); !strings.HasPrefix(m, "gpt-4o") {
		t.Errorf("model %q", m)
	}
	if c := value(t, f, "costUsd", i).(float64); c <= 0 {
		t.Errorf("costUsd %v", c)
	}
	var tags []map[string]any
	if err := json.Unmarshal(value(t, f, "tags", i).(json.RawMessage), &tags); err != nil || len(tags) == 0 {
		t.Errorf("tags %s: %v", value(t, f, "tags", i), err)
	}
}
