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

// catalogResources are the editor look-ups the frontend may call through
// /api/datasources/uid/<uid>/resources/[catalog/]<name>.
var catalogResources = map[string]string{
	"services":         "/api/v1/catalog/services",
	"models":           "/api/v1/catalog/models",
	"attribute-keys":   "/api/v1/catalog/attribute-keys",
	"attribute-values": "/api/v1/catalog/attribute-values",
}

var traceIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// CallResource is an allow-list proxy: only the read-only catalog and
// trace-by-id endpoints are reachable, everything else is a JSON 404.
// Status and body of the service's answer pass through unchanged.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	path := strings.Trim(req.Path, "/")
	// The editor calls "catalog/<name>"; the bare "<name>" is accepted too.
	path = strings.TrimPrefix(path, "catalog/")
	var target string
	switch {
	case catalogResources[path] != "":
		target = catalogResources[path]
	case strings.HasPrefix(path, "traces/"):
		id := strings.TrimPrefix(path, "traces/")
		if !traceIDPattern.MatchString(id) {
			return sendJSONError(sender, http.StatusBadRequest, "trace id must be 32 hex characters")
		}
		target = "/api/v1/traces/" + strings.ToLower(id)
	default:
		return sendJSONError(sender, http.StatusNotFound,
			"unknown resource "+quote(path)+"; available: services, models, attribute-keys, attribute-values?key=K, traces/<traceId>")
	}
	if req.Method != http.MethodGet && req.Method != "" {
		return sendJSONError(sender, http.StatusMethodNotAllowed, "only GET is allowed on "+quote(path))
	}
	if d.settingsErr != nil {
		return sendJSONError(sender, http.StatusBadRequest, "invalid PyFlare data source settings: "+d.settingsErr.Error())
	}

	query := url.Values{}
	if u, err := url.Parse(req.URL); err == nil {
		query = u.Query()
	}
	if path == "attribute-values" && strings.TrimSpace(query.Get("key")) == "" {
		return sendJSONError(sender, http.StatusBadRequest, "attribute-values needs a 'key' query parameter")
	}

	httpReq, err := d.newRequest(ctx, http.MethodGet, target, query, nil)
	if err != nil {
		return sendJSONError(sender, http.StatusBadRequest, "cannot build the request: "+err.Error())
	}
	res, err := d.client.Do(httpReq)
	if err != nil {
		e := d.describeTransportError(ctx, err)
		logger(ctx).Warn("PyFlare resource call failed", "path", path, "kind", e.kind, "error", err)
		return sendJSONError(sender, int(e.status), e.msg)
	}
	defer res.Body.Close()
	body, err := readLimited(res.Body, d.maxResponseBytes)
	if err != nil {
		var se *serviceError
		if !errors.As(err, &se) {
			se = d.describeTransportError(ctx, err)
		}
		return sendJSONError(sender, int(se.status), se.msg)
	}
	headers := map[string][]string{}
	if ct := res.Header.Get("Content-Type"); ct != "" {
		headers["Content-Type"] = []string{ct}
	}
	return sender.Send(&backend.CallResourceResponse{Status: res.StatusCode, Headers: headers, Body: body})
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
