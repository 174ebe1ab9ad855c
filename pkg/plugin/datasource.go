// Package plugin is the thin Go backend of the PyFlare data source: it forwards
// Grafana's queries, health checks and editor look-ups to the PyFlare service
// over HTTP. All query semantics live in the service.
package plugin

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/pyflare/observability/pkg/models"
)

// PluginID is the id of the nested data source (src/datasource/plugin.json).
const PluginID = "pyflare-observability-datasource"

// MaxResponseBytes caps what we read from the service in one answer, so a
// runaway query cannot exhaust the Grafana host's memory.
const MaxResponseBytes int64 = 256 << 20

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Datasource is one configured PyFlare data source instance.
type Datasource struct {
	// settingsErr is kept instead of failing the factory so that the user sees
	// the configuration problem in Save & test and in panels, not a gRPC error.
	settingsErr error
	// uid and name identify this data source instance; the service cannot know them,
	// so internal data links it returns (e.g. "open trace in Explore") get them here.
	uid       string
	name      string
	settings  *models.Settings
	client    *http.Client
	transport *http.Transport
	// maxResponseBytes is MaxResponseBytes, lowered in tests.
	maxResponseBytes int64
}

// NewDatasource is the instance factory used by datasource.Manage.
func NewDatasource(_ context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	return newDatasource(s), nil
}

func newDatasource(s backend.DataSourceInstanceSettings) *Datasource {
	d := &Datasource{maxResponseBytes: MaxResponseBytes, uid: s.UID, name: s.Name}
	settings, err := models.Load(s)
	if err != nil {
		d.settingsErr = err
		return d
	}
	transport, err := newTransport(settings)
	if err != nil {
		d.settingsErr = err
		return d
	}
	d.settings = settings
	d.transport = transport
	d.client = &http.Client{
		Transport: transport,
		Timeout:   settings.Timeout,
		// The service never redirects; following one could leak the token.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return d
}

// Dispose closes idle connections when Grafana replaces this instance after a
// settings change.
func (d *Datasource) Dispose() {
	if d.transport != nil {
		d.transport.CloseIdleConnections()
	}
}

func newTransport(s *models.Settings) (*http.Transport, error) {
	tlsCfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: s.TLSSkipVerify, // #nosec G402 -- explicit user opt-in (tlsSkipVerify)
		ServerName:         s.ServerName,
	}
	if s.TLSAuthWithCACert {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(s.Secrets.TLSCACert)) {
			return nil, errors.New("the CA certificate is not valid PEM")
		}
		tlsCfg.RootCAs = pool
	}
	if s.TLSAuth {
		cert, err := tls.X509KeyPair([]byte(s.Secrets.TLSClientCert), []byte(s.Secrets.TLSClientKey))
		if err != nil {
			return nil, fmt.Errorf("the TLS client certificate or key is not valid: %v", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	dialer := &net.Dialer{Timeout: min(s.Timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}, nil
}

// endpoint joins the service base URL and an API path.
func (d *Datasource) endpoint(path string, query url.Values) string {
	u := *d.settings.URL
	u.Path = u.Path + path
	u.RawQuery = ""
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u.String()
}

// newRequest builds a request to the service with auth and custom headers.
func (d *Datasource) newRequest(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Request, error) {
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, method, d.endpoint(path, query), bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, method, d.endpoint(path, query), nil)
	}
	if err != nil {
		return nil, err
	}
	for k, v := range d.settings.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pyflare-grafana-datasource")
	if d.settings.Secrets.APIToken != "" {
		req.Header.Set("Authorization", "Bearer "+d.settings.Secrets.APIToken)
	}
	return req, nil
}

func logger(ctx context.Context) log.Logger {
	return backend.Logger.FromContext(ctx)
}
