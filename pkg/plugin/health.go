package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

const statusPath = "/api/v1/status"

// serviceStatus is the answer of GET /api/v1/status.
type serviceStatus struct {
	Version      string   `json:"version"`
	Storage      string   `json:"storage"`
	Scopes       []string `json:"scopes"`
	SpanCount    *int64   `json:"spanCount"`
	LastSpanTime *string  `json:"lastSpanTime"`
}

// healthDetails is CheckHealth's JSONDetails.
type healthDetails struct {
	URL          string   `json:"url,omitempty"`
	Kind         string   `json:"errorKind,omitempty"`
	Version      string   `json:"version,omitempty"`
	Storage      string   `json:"storage,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	SpanCount    *int64   `json:"spanCount,omitempty"`
	LastSpanTime *string  `json:"lastSpanTime,omitempty"`
}

// now is replaced in tests to keep the freshness text deterministic.
var now = time.Now

// CheckHealth backs Grafana's "Save & test": it calls the service's status
// endpoint with the configured token and reports version, storage and data
// freshness, or a message that says what to fix.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.settingsErr != nil {
		return healthError(healthDetails{Kind: kindSettings}, d.settingsErr.Error()), nil
	}
	details := healthDetails{URL: d.settings.URL.Redacted()}

	req, err := d.newRequest(ctx, http.MethodGet, statusPath, nil, nil)
	if err != nil {
		details.Kind = kindSettings
		return healthError(details, "cannot build the request: "+err.Error()), nil
	}
	res, err := d.client.Do(req)
	if err != nil {
		e := d.describeTransportError(ctx, err)
		logger(ctx).Warn("PyFlare health check failed", "kind", e.kind, "error", err)
		details.Kind = e.kind
		return healthError(details, e.msg), nil
	}
	defer res.Body.Close()

	payload, err := readLimited(res.Body, 1<<20)
	if err != nil {
		var se *serviceError
		if !errors.As(err, &se) {
			se = d.describeTransportError(ctx, err)
		}
		details.Kind = se.kind
		return healthError(details, se.msg), nil
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		e := d.describeHTTPStatus(res.StatusCode, payload, statusPath)
		details.Kind = e.kind
		return healthError(details, e.msg), nil
	}

	var st serviceStatus
	if err := json.Unmarshal(payload, &st); err != nil || st.Version == "" {
		details.Kind = kindBadAnswer
		what := "did not answer with JSON"
		if err == nil {
			what = "answered JSON without a version"
		}
		ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		if ct == "" {
			ct = "no content type"
		}
		return healthError(details, fmt.Sprintf(
			"the server at %s %s (%s) for %s: is the URL pointing at the PyFlare service REST port (default 8780)?",
			details.URL, what, ct, statusPath)), nil
	}

	details.Version, details.Storage, details.Scopes = st.Version, st.Storage, st.Scopes
	details.SpanCount, details.LastSpanTime = st.SpanCount, st.LastSpanTime
	return &backend.CheckHealthResult{
		Status:      backend.HealthStatusOk,
		Message:     healthOKMessage(st),
		JSONDetails: mustJSON(details),
	}, nil
}

func healthOKMessage(st serviceStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "PyFlare service %s is reachable (storage: %s)", st.Version, orUnknown(st.Storage))
	switch {
	case st.SpanCount == nil:
		b.WriteString(".")
	case *st.SpanCount == 0:
		b.WriteString(". No spans ingested yet: send OTLP traces to the service (port 4318 HTTP, 4317 gRPC).")
	default:
		fmt.Fprintf(&b, ": %s spans", groupThousands(*st.SpanCount))
		if st.LastSpanTime != nil {
			if t, err := time.Parse(time.RFC3339Nano, *st.LastSpanTime); err == nil {
				fmt.Fprintf(&b, ", last span %s (%s)", ago(now().Sub(t)), t.UTC().Format(time.RFC3339))
			}
		}
		b.WriteString(".")
	}
	return b.String()
}

func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future (check clocks)"
	case d < time.Minute:
		return "less than a minute ago"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
}

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func healthError(details healthDetails, msg string) *backend.CheckHealthResult {
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: msg, JSONDetails: mustJSON(details)}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
