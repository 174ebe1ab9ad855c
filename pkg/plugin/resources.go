package plugin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// resource is one read-only service endpoint the editors may reach, with the query
// parameters that pass through (everything else is dropped) and the one it requires.
type resource struct {
	target   string
	params   []string
	required string
}

var rangeParams = []string{"from", "to"}

// resources are the editor and variable look-ups the frontend may call through
// /api/datasources/uid/<uid>/resources/<name> (catalog names also as catalog/<name>).
var resources = map[string]resource{
	"services":         {target: "/api/v1/catalog/services", params: rangeParams},
	"models":           {target: "/api/v1/catalog/models", params: rangeParams},
	"attribute-keys":   {target: "/api/v1/catalog/attribute-keys", params: rangeParams},
	"attribute-values": {target: "/api/v1/catalog/attribute-values", params: []string{"key", "from", "to"}, required: "key"},
	// ML models of the drift engine and the features of one (the feature drift heatmap).
	"drift/models":  {target: "/api/v1/drift/models"},
	"drift/heatmap": {target: "/api/v1/drift/heatmap", params: []string{"modelId", "driftType", "service", "from", "to"}, required: "modelId"},
	// Drift alerts and cost budgets, for annotation and budget pickers.
	"alerts":        {target: "/api/v1/alerts", params: []string{"modelId", "state", "driftType", "limit", "from", "to"}},
	"costs/budgets": {target: "/api/v1/costs/budgets"},
}

// resourceNames lists the allow-list for error messages, in a stable order.
const resourceNames = "services, models, attribute-keys, attribute-values?key=K, drift/models, drift/heatmap?modelId=M, alerts, costs/budgets, traces/<traceId>"

var traceIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// CallResource is an allow-list proxy: only the read-only catalog, drift model,
// alert, budget and trace-by-id endpoints are reachable (GET, known query
// parameters only), everything else is a JSON 404.
// Status and body of the service's answer pass through unchanged.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	path := strings.Trim(req.Path, "/")
	// The editor calls "catalog/<name>"; the bare "<name>" is accepted too.
	path = strings.TrimPrefix(path, "catalog/")
	var res resource
	switch r, ok := resources[path]; {
	case ok:
		res = r
	case strings.HasPrefix(path, "traces/"):
		id := strings.TrimPrefix(path, "traces/")
		if !traceIDPattern.MatchString(id) {
			return sendJSONError(sender, http.StatusBadRequest, "trace id must be 32 hex characters")
		}
		res = resource{target: "/api/v1/traces/" + strings.ToLower(id)}
	default:
		return sendJSONError(sender, http.StatusNotFound, "unknown resource "+quote(path)+"; available: "+resourceNames)
	}
	if req.Method != http.MethodGet && req.Method != "" {
		return sendJSONError(sender, http.StatusMethodNotAllowed, "only GET is allowed on "+quote(path))
	}
	if d.settingsErr != nil {
		return sendJSONError(sender, http.StatusBadRequest, "invalid PyFlare data source settings: "+d.settingsErr.Error())
	}

	incoming := url.Values{}
	if u, err := url.Parse(req.URL); err == nil {
		incoming = u.Query()
	}
	query := url.Values{}
	for _, p := range res.params {
		if v, ok := incoming[p]; ok {
			query[p] = v
		}
	}
	if res.required != "" && strings.TrimSpace(query.Get(res.required)) == "" {
		return sendJSONError(sender, http.StatusBadRequest, path+" needs a '"+res.required+"' query parameter")
	}

	httpReq, err := d.newRequest(ctx, http.MethodGet, res.target, query, nil)
	if err != nil {
		return sendJSONError(sender, http.StatusBadRequest, "cannot build the request: "+err.Error())
	}
	resp, err := d.client.Do(httpReq)
	if err != nil {
		e := d.describeTransportError(ctx, err)
		logger(ctx).Warn("PyFlare resource call failed", "path", path, "kind", e.kind, "error", err)
		return sendJSONError(sender, int(e.status), e.msg)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, d.maxResponseBytes)
	if err != nil {
		var se *serviceError
		if !errors.As(err, &se) {
			se = d.describeTransportError(ctx, err)
		}
		return sendJSONError(sender, int(se.status), se.msg)
	}
	headers := map[string][]string{}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		headers["Content-Type"] = []string{ct}
	}
	return sender.Send(&backend.CallResourceResponse{Status: resp.StatusCode, Headers: headers, Body: body})
}

func sendJSONError(sender backend.CallResourceResponseSender, status int, msg string) error {
	return sender.Send(&backend.CallResourceResponse{
		Status:  status,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
		Body:    mustJSON(map[string]string{"error": msg}),
	})
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return `"` + s + `"`
}
