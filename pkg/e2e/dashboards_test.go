package e2e

// The no-Grafana check of what we provision: every dashboard (provisioning/dashboards ->
// src/dashboards) and every alert rule (provisioning/alerting) is loaded; its structure is
// checked (panel types, data source uids, template variables, links between rules and
// panels); then each panel's targets and each rule's data queries are sent through the
// built backend binary (hashicorp go-plugin, as Grafana runs it) to a real service loaded
// with the demo traffic generator's data, with template variables resolved through the
// backend's resource API and interpolated first, as Grafana's frontend would.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/hashicorp/go-hclog"

	"github.com/pyflare/observability/pkg/plugin"
)

// Where docker-compose.yaml mounts dist/ (the built app) inside the Grafana container;
// webpack copies src/dashboards/*.json to dist/dashboards/.
const (
	containerPluginDir  = "/var/lib/grafana/plugins/pyflare-observability-app"
	containerProvDir    = "/etc/grafana/provisioning"
	provisionedDSUID    = "pyflare"
	demoSeed            = "7"
	variableRefIDPrefix = "PyflareVariableQuery"
)

// Grafana's built-in panel types (public/app/plugins/panel in Grafana 12).
var corePanelTypes = map[string]bool{
	"alertlist": true, "annolist": true, "barchart": true, "bargauge": true, "candlestick": true, "canvas": true,
	"dashlist": true, "datagrid": true, "flamegraph": true, "gauge": true, "geomap": true, "gettingstarted": true,
	"heatmap": true, "histogram": true, "live": true, "logs": true, "news": true, "nodeGraph": true, "piechart": true,
	"row": true, "stat": true, "state-timeline": true, "status-history": true, "table": true, "text": true,
	"timeseries": true, "trend": true, "traces": true, "welcome": true, "xychart": true,
}

// Data source uids Grafana itself provides.
var builtinDSUIDs = map[string]bool{"grafana": true, "-- Grafana --": true, "-- Mixed --": true, "-- Dashboard --": true, "__expr__": true}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashPanel struct {
	ID            int                 `json:"id"`
	Type          string              `json:"type"`
	Title         string              `json:"title"`
	Datasource    *dsRef              `json:"datasource"`
	Targets       []json.RawMessage   `json:"targets"`
	MaxDataPoints *int                `json:"maxDataPoints"`
	TimeFrom      string              `json:"timeFrom"`
	GridPos       *struct{ W, H int } `json:"gridPos"`
	Panels        []dashPanel         `json:"panels"`
	raw           json.RawMessage
}

type dashVariable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Datasource *dsRef          `json:"datasource"`
	Query      json.RawMessage `json:"query"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Current    struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
	raw json.RawMessage
}

type dashboardDoc struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
	Time  struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Templating struct {
		List []json.RawMessage `json:"list"`
	} `json:"templating"`
	Panels []json.RawMessage `json:"panels"`
	file   string
	panels []dashPanel
	vars   []dashVariable
}

type alertQuery struct {
	RefID             string                   `json:"refId"`
	DatasourceUID     string                   `json:"datasourceUid"`
	RelativeTimeRange struct{ From, To int64 } `json:"relativeTimeRange"`
	Model             json.RawMessage          `json:"model"`
}

type alertRule struct {
	UID         string            `json:"uid"`
	Title       string            `json:"title"`
	Condition   string            `json:"condition"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Data        []alertQuery      `json:"data"`
}

type alertingFile struct {
	APIVersion int `json:"apiVersion"`
	Groups     []struct {
		OrgID    int         `json:"orgId"`
		Name     string      `json:"name"`
		Folder   string      `json:"folder"`
		Interval string      `json:"interval"`
		Rules    []alertRule `json:"rules"`
	} `json:"groups"`
	ContactPoints []struct {
		Name      string `json:"name"`
		Receivers []struct {
			UID  string `json:"uid"`
			Type string `json:"type"`
		} `json:"receivers"`
	} `json:"contactPoints"`
	Policies []struct {
		Receiver string `json:"receiver"`
		Routes   []struct {
			Receiver string `json:"receiver"`
		} `json:"routes"`
	} `json:"policies"`
}

// yamlJSON reads a YAML file as JSON with the service's own YAML parser (the `yaml` npm
// package), so the Go module needs no YAML dependency.
func yamlJSON(t *testing.T, root, path string) []byte {
	t.Helper()
	cmd := exec.Command("node", "--input-type=module", "-e",
		"import fs from 'node:fs'; import { parse } from 'yaml'; process.stdout.write(JSON.stringify(parse(fs.readFileSync(process.argv[1], 'utf8'))))",
		path)
	cmd.Dir = filepath.Join(root, "ingest")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("parse %s: %v\n%s", path, err, stderr.String())
	}
	return out
}

func globFiles(t *testing.T, pattern string) []string {
	t.Helper()
	a, _ := filepath.Glob(pattern + ".yaml")
	b, _ := filepath.Glob(pattern + ".yml")
	files := append(a, b...)
	sort.Strings(files)
	return files
}

// provisioned reads the provisioning folder: data source uids -> types, and the dashboard files.
func provisioned(t *testing.T, root string) (map[string]string, []*dashboardDoc) {
	t.Helper()
	// docker-compose.yaml must mount what the provider paths point at.
	var compose struct {
		Services map[string]struct {
			Volumes []string `json:"volumes"`
		} `json:"services"`
	}
	if err := json.Unmarshal(yamlJSON(t, root, filepath.Join(root, "docker-compose.yaml")), &compose); err != nil {
		t.Fatal(err)
	}
	mounts := strings.Join(compose.Services["grafana"].Volumes, "\n")
	for _, want := range []string{"./dist:" + containerPluginDir, "./provisioning:" + containerProvDir} {
		if !strings.Contains(mounts, want) {
			t.Errorf("docker-compose.yaml: grafana does not mount %s (volumes: %s)", want, mounts)
		}
	}

	dsTypes := map[string]string{}
	for _, f := range globFiles(t, filepath.Join(root, "provisioning", "datasources", "*")) {
		var doc struct {
			Datasources []struct{ UID, Type string } `json:"datasources"`
		}
		if err := json.Unmarshal(yamlJSON(t, root, f), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range doc.Datasources {
			dsTypes[d.UID] = d.Type
		}
	}
	if dsTypes[provisionedDSUID] != plugin.PluginID {
		t.Fatalf("provisioning/datasources: uid %q should be a %s, got %v", provisionedDSUID, plugin.PluginID, dsTypes)
	}

	var dashboards []*dashboardDoc
	providerFiles := globFiles(t, filepath.Join(root, "provisioning", "dashboards", "*"))
	if len(providerFiles) == 0 {
		t.Fatal("no dashboard provider in provisioning/dashboards")
	}
	for _, f := range providerFiles {
		var doc struct {
			APIVersion int `json:"apiVersion"`
			Providers  []struct {
				Name    string `json:"name"`
				Type    string `json:"type"`
				Options struct {
					Path string `json:"path"`
				} `json:"options"`
			} `json:"providers"`
		}
		if err := json.Unmarshal(yamlJSON(t, root, f), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if doc.APIVersion != 1 || len(doc.Providers) == 0 {
			t.Fatalf("%s: want apiVersion 1 and providers", f)
		}
		for _, p := range doc.Providers {
			rel, ok := strings.CutPrefix(p.Options.Path, containerPluginDir+"/")
			if p.Type != "file" || !ok {
				t.Fatalf("%s: provider %q must be a file provider under %s (the mounted app), got %s", f, p.Name, containerPluginDir, p.Options.Path)
			}
			// dist/<rel> is built from src/<rel>.
			files, _ := filepath.Glob(filepath.Join(root, "src", rel, "*.json"))
			if len(files) == 0 {
				t.Fatalf("%s: provider %q: no dashboards in src/%s", f, p.Name, rel)
			}
			sort.Strings(files)
			for _, file := range files {
				dashboards = append(dashboards, loadDashboard(t, root, file))
			}
		}
	}
	return dsTypes, dashboards
}

func loadDashboard(t *testing.T, root, file string) *dashboardDoc {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d := &dashboardDoc{}
	if err := json.Unmarshal(b, d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	d.file, _ = filepath.Rel(root, file)
	var flatten func(raws []json.RawMessage)
	flatten = func(raws []json.RawMessage) {
		for _, raw := range raws {
			var p dashPanel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: panel: %v", file, err)
			}
			p.raw = raw
			d.panels = append(d.panels, p)
			var nested struct {
				Panels []json.RawMessage `json:"panels"`
			}
			_ = json.Unmarshal(raw, &nested)
			flatten(nested.Panels)
		}
	}
	flatten(d.Panels)
	for _, raw := range d.Templating.List {
		var v dashVariable
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: variable: %v", file, err)
		}
		v.raw = raw
		d.vars = append(d.vars, v)
	}
	return d
}

// pluginPanelIDs are the panel plugins the app ships (src/panels/*/plugin.json).
func pluginPanelIDs(t *testing.T, root string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "src", "panels", "*", "plugin.json"))
	for _, f := range files {
		var p struct{ ID, Type string }
		b, _ := os.ReadFile(f)
		if err := json.Unmarshal(b, &p); err != nil || p.Type != "panel" {
			t.Fatalf("%s: %v (type %q)", f, err, p.Type)
		}
		ids[p.ID] = true
	}
	if len(ids) == 0 {
		t.Fatal("no panel plugins under src/panels")
	}
	return ids
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_]\w*)(?:[.:][^}]*)?\}|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]|\$([A-Za-z_]\w*)`)

// variableRefs lists the template variable names a JSON text references (Grafana's own
// `__` variables excluded).
func variableRefs(text string) []string {
	var names []string
	for _, m := range varRef.FindAllStringSubmatch(text, -1) {
		name := m[1] + m[2] + m[3]
		if !strings.HasPrefix(name, "__") {
			names = append(names, name)
		}
	}
	return names
}

// checkDashboardStructure: panel types, data sources, variables, ids, app includes.
func checkDashboardStructure(t *testing.T, d *dashboardDoc, dsTypes map[string]string, panelTypes map[string]bool) {
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard needs uid and title")
	}
	defined := map[string]bool{}
	for _, v := range d.vars {
		// A variable may use the variables defined before it (Grafana resolves them in order).
		for _, ref := range variableRefs(string(v.Query)) {
			if !defined[ref] {
				t.Errorf("variable %q uses $%s, which is not defined before it", v.Name, ref)
			}
		}
		if v.Datasource != nil {
			checkDS(t, "variable "+v.Name, v.Datasource, dsTypes)
		}
		if v.IncludeAll && v.Type == "query" && v.AllValue == "" {
			t.Errorf("variable %q: includeAll needs an allValue (`*`): search fields take one glob, not a list of every value", v.Name)
		}
		defined[v.Name] = true
	}
	ids := map[int]bool{}
	for _, p := range d.panels {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if ids[p.ID] {
			t.Errorf("%s: duplicate panel id", where)
		}
		ids[p.ID] = true
		if !corePanelTypes[p.Type] && !panelTypes[p.Type] {
			t.Errorf("%s: unknown panel type %q (not a Grafana core panel nor one of ours)", where, p.Type)
		}
		if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
			t.Errorf("%s: needs a gridPos", where)
		}
		for _, ref := range variableRefs(string(p.raw)) {
			if !defined[ref] {
				t.Errorf("%s: references $%s, not a variable of the dashboard", where, ref)
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil {
			t.Errorf("%s: no data source", where)
		} else {
			checkDS(t, where, p.Datasource, dsTypes)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no targets", where)
		}
		for _, raw := range p.Targets {
			var tg struct {
				RefID         string `json:"refId"`
				QueryType     string `json:"queryType"`
				PluginVersion string `json:"pluginVersion"`
				Datasource    *dsRef `json:"datasource"`
			}
			_ = json.Unmarshal(raw, &tg)
			if tg.RefID == "" || tg.QueryType == "" || tg.PluginVersion == "" {
				t.Errorf("%s: target needs refId, queryType and pluginVersion: %s", where, raw)
			}
			if tg.Datasource != nil {
				checkDS(t, where+" target "+tg.RefID, tg.Datasource, dsTypes)
			}
		}
	}
}

func checkDS(t *testing.T, where string, ref *dsRef, dsTypes map[string]string) {
	t.Helper()
	if builtinDSUIDs[ref.UID] {
		return
	}
	typ, ok := dsTypes[ref.UID]
	if !ok {
		t.Errorf("%s: data source uid %q is not provisioned", where, ref.UID)
	} else if ref.Type != "" && ref.Type != typ {
		t.Errorf("%s: data source %q has type %q, provisioned as %q", where, ref.UID, ref.Type, typ)
	}
}

// ---------------------------------------------------------------- the service with demo data

// startDemoService starts a second service (the fixture one must keep its exact contents)
// and loads it with `ingest/src/demo/cli.ts --backfill 6h --once`, then evaluates drift.
func startDemoService(t *testing.T) *service {
	t.Helper()
	if os.Getenv("PYFLARE_SKIP_E2E") == "1" {
		t.Skip("PYFLARE_SKIP_E2E=1")
	}
	s, err := launchService()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	tsx := filepath.Join(s.root, "node_modules", ".bin", "tsx")
	if _, err := os.Stat(tsx); err != nil {
		t.Fatalf("%s is missing: run `npm ci` first", tsx)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tsx, "ingest/src/demo/cli.ts", "--url", s.otlpURL, "--api-url", s.httpURL, "--api-key", apiKey,
		"--seed", demoSeed, "--rate", "0.02", "--inference-rate", "0.03", "--backfill", "6h", "--once")
	cmd.Dir = s.root
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo generator: %v\n%s\nservice:\n%s", err, out, s.output.String())
	}
	m := regexp.MustCompile(`done: (\d+) traces, (\d+) spans, (\d+) inference records`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("demo generator printed no summary:\n%s", out)
	}
	spans, _ := strconv.Atoi(string(m[2]))
	t.Logf("demo data: %s traces, %d spans, %s inference records", m[1], spans, m[3])
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := s.spanCount()
		if err == nil && n >= spans {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service stored %d of %d demo spans within 60s (%v)", n, spans, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Evaluate the due drift buckets now rather than waiting for the scheduler.
	if st, body := s.rest(t, http.MethodPost, "/api/v1/drift/evaluate", "{}"); st != http.StatusOK {
		t.Fatalf("drift evaluate: %d %s", st, body)
	}
	return s
}

func (s *service) rest(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.httpURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// ---------------------------------------------------------------- time ranges and variables

var relTime = regexp.MustCompile(`^now-(\d+)([smhdw])$`)

func durationOf(n int, unit string) time.Duration {
	d := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[unit]
	return time.Duration(n) * d
}

// dashboardRange is the dashboard's default time range (relative ranges only), or the
// panel's relative time override (`timeFrom`), as Grafana applies it.
func dashboardRange(t *testing.T, d *dashboardDoc, p *dashPanel, now time.Time) backend.TimeRange {
	t.Helper()
	if d.Time.To != "now" {
		t.Fatalf("%s: time.to %q: provisioned dashboards should end at now", d.file, d.Time.To)
	}
	from := d.Time.From
	if p != nil && p.TimeFrom != "" {
		from = "now-" + p.TimeFrom
	}
	m := relTime.FindStringSubmatch(from)
	if m == nil {
		t.Fatalf("%s: unsupported time %q", d.file, from)
	}
	n, _ := strconv.Atoi(m[1])
	return backend.TimeRange{From: now.Add(-durationOf(n, m[2])), To: now}
}

// variableValue is what Grafana would put in for a variable on first load.
type variableValue struct {
	value string
	all   []string
}

// resolveVariables runs each variable as Grafana's frontend does (query variables of our
// data source read the catalog through the backend's resource API) and picks its current
// value (or the first option).
func resolveVariables(t *testing.T, c pluginClient, pCtx backend.PluginContext, s *service, d *dashboardDoc, tr backend.TimeRange) map[string]variableValue {
	t.Helper()
	vals := map[string]variableValue{}
	for _, v := range d.vars {
		var current string
		var list []string
		if err := json.Unmarshal(v.Current.Value, &current); err != nil {
			if json.Unmarshal(v.Current.Value, &list) == nil && len(list) > 0 {
				current = list[0]
			}
		}
		switch v.Type {
		case "query":
			if v.Datasource == nil || v.Datasource.UID != provisionedDSUID {
				t.Fatalf("variable %q: only PyFlare query variables are supported here", v.Name)
			}
			options := variableOptions(t, c, pCtx, s, v, vals, tr)
			if len(options) == 0 {
				t.Fatalf("variable %q lists no values on the demo data", v.Name)
			}
			switch {
			case current == "$__all" && v.IncludeAll:
				vals[v.Name] = variableValue{value: v.AllValue, all: options}
			case contains(options, current):
				vals[v.Name] = variableValue{value: current}
			default:
				if current != "" {
					t.Errorf("variable %q: current value %q is not among %v", v.Name, current, options)
				}
				vals[v.Name] = variableValue{value: options[0]}
			}
		case "custom", "textbox", "constant":
			vals[v.Name] = variableValue{value: current}
		case "adhoc":
			// No filters on load; the data source adds them to searches when set.
		default:
			t.Fatalf("variable %q: type %q not handled by this check", v.Name, v.Type)
		}
	}
	return vals
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// variableOptions lists a PyFlare query variable's values (the variable query shape of
// query-model/src/variables.ts, read the way src/datasource/variables.ts reads it).
func variableOptions(t *testing.T, c pluginClient, pCtx backend.PluginContext, s *service, v dashVariable, vals map[string]variableValue, tr backend.TimeRange) []string {
	t.Helper()
	var q struct {
		RefID      string `json:"refId"`
		Kind       string `json:"kind"`
		ModelID    string `json:"modelId"`
		TimeScoped *bool  `json:"timeScoped"`
	}
	if err := json.Unmarshal(v.Query, &q); err != nil || q.Kind == "" || !strings.HasPrefix(q.RefID, variableRefIDPrefix) {
		t.Fatalf("variable %q: query %s is not a PyFlare variable query {refId, kind, ...}", v.Name, v.Query)
	}
	params := map[string]string{}
	if q.TimeScoped == nil || *q.TimeScoped {
		params["from"] = strconv.FormatInt(tr.From.UnixMilli(), 10)
		params["to"] = strconv.FormatInt(tr.To.UnixMilli(), 10)
	}
	var path string
	switch q.Kind {
	case "services", "models":
		path = "catalog/" + q.Kind
	case "drift-models":
		path = "drift/models"
	case "features":
		path = "drift/heatmap"
		params["modelId"] = interpolate(t, q.ModelID, vals)
		params["driftType"] = "feature"
		if _, ok := params["from"]; !ok {
			params["from"], params["to"] = "0", strconv.FormatInt(tr.To.UnixMilli(), 10)
		}
	default:
		t.Fatalf("variable %q: kind %q not handled by this check", v.Name, q.Kind)
	}
	body := resource(t, c, pCtx, s, path, params)
	var parsed struct {
		Values   []string `json:"values"`
		Features []string `json:"features"`
		Models   []struct {
			ModelID string `json:"modelId"`
		} `json:"models"`
	}
	if err := json.Unmarshal(body, &parsed); err != nil {
		t.Fatalf("variable %q: %s answered %s: %v", v.Name, path, body, err)
	}
	out := parsed.Values
	if q.Kind == "features" {
		out = parsed.Features
	}
	for _, m := range parsed.Models {
		out = append(out, m.ModelID)
	}
	var clean []string
	for _, x := range out {
		if x != "" {
			clean = append(clean, x)
		}
	}
	sort.Strings(clean)
	return clean
}

// resource calls the backend's resource API like the frontend's getResource. Until the
// backend allows a path (resources.go is being extended for template variables), the
// service's REST resource is read directly, and the test says so.
func resource(t *testing.T, c pluginClient, pCtx backend.PluginContext, s *service, path string, params map[string]string) []byte {
	t.Helper()
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var qs []string
	for _, k := range keys {
		qs = append(qs, k+"="+params[k])
	}
	query := ""
	if len(qs) > 0 {
		query = "?" + strings.Join(qs, "&")
	}
	var got []*backend.CallResourceResponse
	err := c.CallResource(context.Background(), &backend.CallResourceRequest{PluginContext: pCtx, Method: http.MethodGet, Path: path,
		URL: "/api/datasources/uid/" + provisionedDSUID + "/resources/" + path + query}, senderFunc(func(r *backend.CallResourceResponse) error {
		got = append(got, r)
		return nil
	}))
	if err != nil || len(got) == 0 {
		t.Fatalf("resource %s: %v (%d responses)", path, err, len(got))
	}
	if got[0].Status == http.StatusOK {
		return got[0].Body
	}
	if got[0].Status == http.StatusNotFound && strings.Contains(string(got[0].Body), "unknown resource") {
		t.Logf("NOTE: the backend does not proxy resource %q yet; reading /api/v1/%s from the service directly", path, path)
		st, body := s.rest(t, http.MethodGet, "/api/v1/"+path+query, "")
		if st != http.StatusOK {
			t.Fatalf("GET /api/v1/%s%s: %d %s", path, query, st, body)
		}
		return body
	}
	t.Fatalf("resource %s%s: %d %s", path, query, got[0].Status, got[0].Body)
	return nil
}

// interpolate replaces $v, ${v}, ${v:format} and [[v]] with the variable's value.
func interpolate(t *testing.T, s string, vals map[string]variableValue) string {
	t.Helper()
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		if strings.HasPrefix(name, "__") {
			return ref
		}
		v, ok := vals[name]
		if !ok {
			t.Errorf("unknown variable $%s in %q", name, s)
			return ref
		}
		return v.value
	})
}

// interpolateTarget interpolates every string (and string list) of a target except the
// fields that name the query itself, as src/datasource/interpolate.ts does.
func interpolateTarget(t *testing.T, raw json.RawMessage, vals map[string]variableValue) map[string]any {
	t.Helper()
	var q map[string]any
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{"refId": true, "queryType": true, "pluginVersion": true, "datasource": true, "key": true}
	for k, v := range q {
		if skip[k] {
			continue
		}
		switch x := v.(type) {
		case string:
			q[k] = strings.TrimSpace(interpolate(t, x, vals))
		case []any:
			for i, item := range x {
				if s, ok := item.(string); ok {
					x[i] = interpolate(t, s, vals)
				}
			}
		}
	}
	b, _ := json.Marshal(q)
	if refs := variableRefs(string(b)); len(refs) > 0 {
		t.Errorf("target still references %v after interpolation: %s", refs, b)
	}
	return q
}

// grafanaInterval is roughly what Grafana computes: the range over max data points, at least 1 s.
func grafanaInterval(tr backend.TimeRange, maxDataPoints int64) time.Duration {
	iv := tr.To.Sub(tr.From) / time.Duration(maxDataPoints)
	if iv < time.Second {
		iv = time.Second
	}
	return iv.Truncate(time.Millisecond)
}

// ---------------------------------------------------------------- frame checks

// assertFrames: a successful answer with at least one frame, every frame with fields, and
// data in at least one frame.
func assertFrames(t *testing.T, what string, r backend.DataResponse) {
	t.Helper()
	if r.Error != nil || (r.Status != 0 && r.Status != backend.StatusOK) {
		t.Errorf("%s: status %d error %v", what, r.Status, r.Error)
		return
	}
	if len(r.Frames) == 0 {
		t.Errorf("%s: no frames", what)
		return
	}
	rows := 0
	for _, f := range r.Frames {
		if len(f.Fields) == 0 {
			t.Errorf("%s: frame %q has no fields", what, f.Name)
		}
		for _, fl := range f.Fields {
			if fl.Type() == data.FieldTypeUnknown {
				t.Errorf("%s: frame %q field %q has no type", what, f.Name, fl.Name)
			}
		}
		rows += f.Rows()
	}
	if rows == 0 {
		t.Errorf("%s: %d frame(s), all empty on the demo data", what, len(r.Frames))
	}
}

// seriesLabels returns one label-set key per numeric series of an alertable answer.
func seriesLabels(t *testing.T, what string, r backend.DataResponse) []string {
	t.Helper()
	var keys []string
	values := 0
	for _, f := range r.Frames {
		typ, err := plugin.NumericTimeSeriesType(f)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		wide := f
		if typ == data.TimeSeriesTypeLong {
			if wide, err = data.LongToWide(f, nil); err != nil {
				t.Errorf("%s: %v", what, err)
				continue
			}
		}
		for _, fl := range wide.Fields {
			if !fl.Type().Numeric() {
				continue
			}
			keys = append(keys, fl.Labels.String())
			for i := 0; i < fl.Len(); i++ {
				if v, ok := fl.ConcreteAt(i); ok && v != nil {
					values++
				}
			}
		}
	}
	if values == 0 {
		t.Errorf("%s: no numeric values on the demo data", what)
	}
	return keys
}

// ---------------------------------------------------------------- the test

func TestProvisionedDashboardsAndAlerts(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dsTypes, dashboards := provisioned(t, root)
	panelTypes := pluginPanelIDs(t, root)

	t.Run("app includes every dashboard", func(t *testing.T) {
		var app struct {
			Includes []struct{ Type, Path string } `json:"includes"`
		}
		b, _ := os.ReadFile(filepath.Join(root, "src", "plugin.json"))
		if err := json.Unmarshal(b, &app); err != nil {
			t.Fatal(err)
		}
		included := map[string]bool{}
		for _, inc := range app.Includes {
			if inc.Type == "dashboard" {
				included[filepath.Join("src", inc.Path)] = true
				if _, err := os.Stat(filepath.Join(root, "src", inc.Path)); err != nil {
					t.Errorf("src/plugin.json includes %s, which does not exist", inc.Path)
				}
			}
		}
		for _, d := range dashboards {
			if !included[d.file] {
				t.Errorf("%s is provisioned but not in the app's includes", d.file)
			}
		}
		if len(dashboards) < 4 {
			t.Errorf("want at least 4 dashboards, found %d", len(dashboards))
		}
	})

	uids := map[string]*dashboardDoc{}
	for _, d := range dashboards {
		d := d
		if uids[d.UID] != nil {
			t.Errorf("%s and %s share the uid %q", uids[d.UID].file, d.file, d.UID)
		}
		uids[d.UID] = d
		t.Run("structure/"+d.UID, func(t *testing.T) { checkDashboardStructure(t, d, dsTypes, panelTypes) })
	}

	rules, alerting := loadAlerting(t, root)
	t.Run("alerting structure", func(t *testing.T) { checkAlertingStructure(t, rules, alerting, dsTypes, uids) })
	if t.Failed() {
		t.Fatal("fix the structure first")
	}

	s := startDemoService(t)
	c := startBackendBinary(t, backendBinary(t, s.root), hclog.Info)
	pCtx := pluginContext(s, provisionedDSUID, apiKey)
	now := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	sent := 0
	for _, d := range dashboards {
		d := d
		t.Run("queries/"+d.UID, func(t *testing.T) {
			vals := resolveVariables(t, c, pCtx, s, d, dashboardRange(t, d, nil, now))
			for _, p := range d.panels {
				if p.Type == "row" {
					continue
				}
				p := p
				t.Run(fmt.Sprintf("%d %s", p.ID, p.Title), func(t *testing.T) {
					tr := dashboardRange(t, d, &p, now)
					mdp := int64(1000)
					if p.MaxDataPoints != nil {
						mdp = int64(*p.MaxDataPoints)
					}
					iv := grafanaInterval(tr, mdp)
					req := &backend.QueryDataRequest{PluginContext: pCtx}
					for _, raw := range p.Targets {
						q := interpolateTarget(t, raw, vals)
						q["intervalMs"] = iv.Milliseconds()
						q["maxDataPoints"] = mdp
						js, _ := json.Marshal(q)
						req.Queries = append(req.Queries, backend.DataQuery{RefID: q["refId"].(string), QueryType: fmt.Sprint(q["queryType"]),
							TimeRange: tr, Interval: iv, MaxDataPoints: mdp, JSON: js})
					}
					resp, err := c.QueryData(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					for _, q := range req.Queries {
						sent++
						r, ok := resp.Responses[q.RefID]
						if !ok {
							t.Errorf("no response for %s", q.RefID)
							continue
						}
						what := fmt.Sprintf("target %s %s", q.RefID, q.JSON)
						assertFrames(t, what, r)
						if p.Type == "timeseries" && r.Error == nil {
							for _, f := range r.Frames {
								if _, err := plugin.NumericTimeSeriesType(f); err != nil {
									t.Errorf("%s: a timeseries panel needs time series: %v", what, err)
								}
							}
						}
					}
				})
			}
		})
	}

	for _, rule := range rules {
		rule := rule
		t.Run("alert/"+rule.UID, func(t *testing.T) {
			for _, aq := range rule.Data {
				if aq.DatasourceUID == "__expr__" {
					continue
				}
				var model struct {
					IntervalMs    int64 `json:"intervalMs"`
					MaxDataPoints int64 `json:"maxDataPoints"`
				}
				_ = json.Unmarshal(aq.Model, &model)
				if model.IntervalMs == 0 {
					model.IntervalMs = 1000 // Grafana's alerting default
				}
				if model.MaxDataPoints == 0 {
					model.MaxDataPoints = 43200
				}
				tr := backend.TimeRange{From: now.Add(-time.Duration(aq.RelativeTimeRange.From) * time.Second), To: now.Add(-time.Duration(aq.RelativeTimeRange.To) * time.Second)}
				resp, err := c.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pCtx, Queries: []backend.DataQuery{{
					RefID: aq.RefID, TimeRange: tr, Interval: time.Duration(model.IntervalMs) * time.Millisecond, MaxDataPoints: model.MaxDataPoints, JSON: aq.Model,
				}}})
				if err != nil {
					t.Fatal(err)
				}
				sent++
				what := fmt.Sprintf("rule %s query %s", rule.UID, aq.RefID)
				r := resp.Responses[aq.RefID]
				assertFrames(t, what, r)
				if r.Error != nil {
					continue
				}
				keys := seriesLabels(t, what, r)
				seen := map[string]bool{}
				for _, k := range keys {
					if seen[k] {
						t.Errorf("%s: two series with labels {%s}: Grafana needs one series per label set", what, k)
					}
					seen[k] = true
				}
				t.Logf("%s: %d series %v", what, len(keys), keys)
			}
		})
	}
	t.Logf("sent %d dashboard and alert queries through the backend binary", sent)
	if sent == 0 {
		t.Error("no query was sent")
	}
}

func loadAlerting(t *testing.T, root string) ([]alertRule, alertingFile) {
	t.Helper()
	var all alertingFile
	files := globFiles(t, filepath.Join(root, "provisioning", "alerting", "*"))
	if len(files) == 0 {
		t.Fatal("no files in provisioning/alerting")
	}
	var rules []alertRule
	for _, f := range files {
		var doc alertingFile
		if err := json.Unmarshal(yamlJSON(t, root, f), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if doc.APIVersion != 1 {
			t.Errorf("%s: apiVersion %d, want 1", f, doc.APIVersion)
		}
		for _, g := range doc.Groups {
			if g.Name == "" || g.Folder == "" || g.Interval == "" || g.OrgID == 0 {
				t.Errorf("%s: group %q needs orgId, name, folder and interval", f, g.Name)
			}
			rules = append(rules, g.Rules...)
		}
		all.Groups = append(all.Groups, doc.Groups...)
		all.ContactPoints = append(all.ContactPoints, doc.ContactPoints...)
		all.Policies = append(all.Policies, doc.Policies...)
	}
	return rules, all
}

func checkAlertingStructure(t *testing.T, rules []alertRule, a alertingFile, dsTypes map[string]string, dashboards map[string]*dashboardDoc) {
	if len(rules) < 4 {
		t.Errorf("want at least 4 rules, found %d", len(rules))
	}
	receivers := map[string]bool{}
	for _, cp := range a.ContactPoints {
		if len(cp.Receivers) == 0 {
			t.Errorf("contact point %q has no receivers", cp.Name)
		}
		receivers[cp.Name] = true
	}
	if len(a.Policies) != 1 {
		t.Errorf("want one notification policy tree, found %d", len(a.Policies))
	}
	for _, p := range a.Policies {
		if !receivers[p.Receiver] {
			t.Errorf("policy receiver %q is not a provisioned contact point", p.Receiver)
		}
		for _, r := range p.Routes {
			if r.Receiver != "" && !receivers[r.Receiver] {
				t.Errorf("route receiver %q is not a provisioned contact point", r.Receiver)
			}
		}
	}
	uids := map[string]bool{}
	for _, r := range rules {
		where := "rule " + r.UID
		if r.UID == "" || uids[r.UID] || r.Title == "" {
			t.Errorf("%s: needs a unique uid and a title", where)
		}
		uids[r.UID] = true
		for _, k := range []string{"summary", "description", "runbook"} {
			if strings.TrimSpace(r.Annotations[k]) == "" {
				t.Errorf("%s: annotation %q is missing", where, k)
			}
		}
		if r.Labels["severity"] == "" {
			t.Errorf("%s: needs a severity label", where)
		}
		if uid := r.Annotations["__dashboardUid__"]; uid != "" {
			d := dashboards[uid]
			if d == nil {
				t.Errorf("%s: links dashboard %q, which is not provisioned", where, uid)
			} else {
				id, _ := strconv.Atoi(r.Annotations["__panelId__"])
				found := false
				for _, p := range d.panels {
					found = found || p.ID == id
				}
				if !found {
					t.Errorf("%s: links panel %q of %s, which does not exist", where, r.Annotations["__panelId__"], uid)
				}
			}
		}
		refs := map[string]bool{}
		backendQueries := 0
		for _, q := range r.Data {
			refs[q.RefID] = true
			var m struct {
				RefID      string   `json:"refId"`
				Type       string   `json:"type"`
				Expression string   `json:"expression"`
				Datasource *dsRef   `json:"datasource"`
				QueryType  string   `json:"queryType"`
				Version    string   `json:"pluginVersion"`
				Conditions []any    `json:"conditions"`
				GroupBy    []string `json:"groupBy"`
			}
			if err := json.Unmarshal(q.Model, &m); err != nil {
				t.Errorf("%s %s: %v", where, q.RefID, err)
				continue
			}
			if m.RefID != q.RefID {
				t.Errorf("%s: model refId %q differs from %q", where, m.RefID, q.RefID)
			}
			if q.DatasourceUID == "__expr__" {
				for _, ref := range regexp.MustCompile(`\$?([A-Z])\b`).FindAllStringSubmatch(m.Expression, -1) {
					if !refs[ref[1]] {
						t.Errorf("%s %s: expression %q uses %s before it is defined", where, q.RefID, m.Expression, ref[1])
					}
				}
				continue
			}
			backendQueries++
			checkDS(t, where, &dsRef{UID: q.DatasourceUID}, dsTypes)
			if dsTypes[q.DatasourceUID] != plugin.PluginID {
				t.Errorf("%s %s: data query of %q, want the PyFlare data source", where, q.RefID, q.DatasourceUID)
			}
			if m.QueryType == "" || m.Version == "" {
				t.Errorf("%s %s: model needs queryType and pluginVersion", where, q.RefID)
			}
			if q.RelativeTimeRange.From <= q.RelativeTimeRange.To {
				t.Errorf("%s %s: relativeTimeRange from %d to %d", where, q.RefID, q.RelativeTimeRange.From, q.RelativeTimeRange.To)
			}
			if refs := variableRefs(string(q.Model)); len(refs) > 0 {
				t.Errorf("%s %s: alert queries cannot use template variables (%v)", where, q.RefID, refs)
			}
		}
		if backendQueries == 0 {
			t.Errorf("%s: no data query", where)
		}
		if !refs[r.Condition] {
			t.Errorf("%s: condition %q is not one of its queries", where, r.Condition)
		}
	}
}
