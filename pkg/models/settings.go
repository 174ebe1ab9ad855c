// Package models reads and validates the data source settings Grafana stores
// (jsonData + secureJsonData).
package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

const (
	// DefaultTimeoutSeconds applies when jsonData.timeoutSeconds is absent or 0.
	DefaultTimeoutSeconds = 30
	// MaxTimeoutSeconds keeps a typo from hanging a panel for hours.
	MaxTimeoutSeconds = 600
)

// ErrMissingURL is returned when jsonData.url is empty.
var ErrMissingURL = errors.New("the PyFlare service URL is not set: enter it in the data source settings (e.g. http://pyflare:8780)")

// Settings is the validated configuration of one data source instance.
type Settings struct {
	// URL is the base URL of the PyFlare service, without a trailing slash.
	URL     *url.URL
	Timeout time.Duration

	TLSSkipVerify     bool
	TLSAuthWithCACert bool
	TLSAuth           bool
	ServerName        string

	// Headers are the custom HTTP headers (httpHeaderNameN / httpHeaderValueN).
	Headers map[string]string

	Secrets SecretSettings
}

// SecretSettings come from secureJsonData (decrypted by Grafana).
type SecretSettings struct {
	APIToken      string
	TLSCACert     string
	TLSClientCert string
	TLSClientKey  string
}

// rawJSONData mirrors jsonData. timeoutSeconds is json.RawMessage because
// provisioning files often write it as a string ("30").
type rawJSONData struct {
	URL               string          `json:"url"`
	TimeoutSeconds    json.RawMessage `json:"timeoutSeconds"`
	TLSSkipVerify     bool            `json:"tlsSkipVerify"`
	TLSAuthWithCACert bool            `json:"tlsAuthWithCACert"`
	TLSAuth           bool            `json:"tlsAuth"`
	ServerName        string          `json:"serverName"`
}

// Load parses and validates the instance settings. The returned error is meant
// to be shown to the user as is.
func Load(source backend.DataSourceInstanceSettings) (*Settings, error) {
	var raw rawJSONData
	var all map[string]json.RawMessage
	if len(source.JSONData) > 0 && string(source.JSONData) != "null" {
		if err := json.Unmarshal(source.JSONData, &all); err != nil {
			return nil, fmt.Errorf("invalid data source settings (jsonData is not a JSON object): %w", err)
		}
		if err := json.Unmarshal(source.JSONData, &raw); err != nil {
			return nil, fmt.Errorf("invalid data source settings: %w", err)
		}
	}
	// Grafana's generic config UI keeps the URL at the top level; jsonData.url wins.
	rawURL := strings.TrimSpace(raw.URL)
	if rawURL == "" {
		rawURL = strings.TrimSpace(source.URL)
	}

	u, err := ParseServiceURL(rawURL)
	if err != nil {
		return nil, err
	}
	timeout, err := parseTimeout(raw.TimeoutSeconds)
	if err != nil {
		return nil, err
	}

	secure := source.DecryptedSecureJSONData
	s := &Settings{
		URL:               u,
		Timeout:           timeout,
		TLSSkipVerify:     raw.TLSSkipVerify,
		TLSAuthWithCACert: raw.TLSAuthWithCACert,
		TLSAuth:           raw.TLSAuth,
		ServerName:        strings.TrimSpace(raw.ServerName),
		Headers:           map[string]string{},
		Secrets: SecretSettings{
			APIToken:      strings.TrimSpace(secure["apiToken"]),
			TLSCACert:     secure["tlsCACert"],
			TLSClientCert: secure["tlsClientCert"],
			TLSClientKey:  secure["tlsClientKey"],
		},
	}

	if s.TLSAuthWithCACert && strings.TrimSpace(s.Secrets.TLSCACert) == "" {
		return nil, errors.New("'With CA Cert' is enabled but no CA certificate is set")
	}
	if s.TLSAuth && (strings.TrimSpace(s.Secrets.TLSClientCert) == "" || strings.TrimSpace(s.Secrets.TLSClientKey) == "") {
		return nil, errors.New("TLS client authentication is enabled but the client certificate or key is missing")
	}

	headers, err := parseHeaders(all, secure)
	if err != nil {
		return nil, err
	}
	s.Headers = headers
	return s, nil
}

// ParseServiceURL validates the service base URL: absolute http(s) with a host.
func ParseServiceURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, ErrMissingURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid PyFlare service URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid PyFlare service URL %q: it must start with http:// or https://", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("invalid PyFlare service URL %q: it has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("invalid PyFlare service URL %q: bad port %q", raw, p)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid PyFlare service URL %q: it must not contain a query or fragment", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("invalid PyFlare service URL %q: put credentials in the API token field, not the URL", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func parseTimeout(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == `""` {
		return DefaultTimeoutSeconds * time.Second, nil
	}
	s = strings.Trim(s, `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid timeout %q: it must be a number of seconds", s)
	}
	if f == 0 {
		return DefaultTimeoutSeconds * time.Second, nil
	}
	if f < 0 || f > MaxTimeoutSeconds {
		return 0, fmt.Errorf("invalid timeout %s: it must be a positive number of seconds, at most %d", s, MaxTimeoutSeconds)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// parseHeaders collects httpHeaderNameN (jsonData) / httpHeaderValueN
// (secureJsonData) pairs the way Grafana's data source settings do, but tolerates
// gaps in N so a deleted middle header does not silently drop the rest.
func parseHeaders(all map[string]json.RawMessage, secure map[string]string) (map[string]string, error) {
	headers := map[string]string{}
	var idx []int
	for k := range all {
		if n, ok := strings.CutPrefix(k, "httpHeaderName"); ok {
			if i, err := strconv.Atoi(n); err == nil && i > 0 {
				idx = append(idx, i)
			}
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		var name string
		if err := json.Unmarshal(all["httpHeaderName"+strconv.Itoa(i)], &name); err != nil {
			return nil, fmt.Errorf("invalid custom header name httpHeaderName%d: it must be a string", i)
		}
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !validHeaderName(name) {
			return nil, fmt.Errorf("invalid custom header name %q", name)
		}
		if strings.EqualFold(name, "Authorization") && secure["apiToken"] != "" {
			return nil, errors.New("custom header 'Authorization' conflicts with the API token; remove one of them")
		}
		headers[name] = secure["httpHeaderValue"+strconv.Itoa(i)]
	}
	return headers, nil
}

func validHeaderName(s string) bool {
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}
