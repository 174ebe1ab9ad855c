package models

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func load(t *testing.T, jsonData string, secure map[string]string) (*Settings, error) {
	t.Helper()
	return Load(backend.DataSourceInstanceSettings{JSONData: []byte(jsonData), DecryptedSecureJSONData: secure})
}

func TestLoadDefaults(t *testing.T) {
	s, err := load(t, `{"url":"http://pyflare:8780/"}`, map[string]string{"apiToken": " tok "})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.URL.String(); got != "http://pyflare:8780" {
		t.Errorf("url = %q", got)
	}
	if s.Timeout != 30*time.Second {
		t.Errorf("timeout = %v", s.Timeout)
	}
	if s.Secrets.APIToken != "tok" {
		t.Errorf("token = %q", s.Secrets.APIToken)
	}
	if s.TLSSkipVerify || s.TLSAuth || s.TLSAuthWithCACert || len(s.Headers) != 0 {
		t.Errorf("unexpected settings %+v", s)
	}
}

func TestLoadAllFields(t *testing.T) {
	s, err := load(t, `{"url":"https://pyflare.example.com/base/","timeoutSeconds":"12","tlsSkipVerify":true,
		"tlsAuthWithCACert":true,"tlsAuth":true,"serverName":"svc","httpHeaderName1":"X-Org","httpHeaderName3":"X-Team","httpHeaderName4":""}`,
		map[string]string{"tlsCACert": "ca", "tlsClientCert": "cert", "tlsClientKey": "key",
			"httpHeaderValue1": "o1", "httpHeaderValue3": "t3"})
	if err != nil {
		t.Fatal(err)
	}
	if s.URL.String() != "https://pyflare.example.com/base" || s.Timeout != 12*time.Second || !s.TLSSkipVerify ||
		!s.TLSAuthWithCACert || !s.TLSAuth || s.ServerName != "svc" {
		t.Errorf("unexpected settings %+v", s)
	}
	if len(s.Headers) != 2 || s.Headers["X-Org"] != "o1" || s.Headers["X-Team"] != "t3" {
		t.Errorf("headers = %v", s.Headers)
	}
	if s.Secrets.TLSCACert != "ca" || s.Secrets.TLSClientCert != "cert" || s.Secrets.TLSClientKey != "key" {
		t.Errorf("secrets = %+v", s.Secrets)
	}
}

func TestLoadTopLevelURLFallback(t *testing.T) {
	s, err := Load(backend.DataSourceInstanceSettings{URL: "http://top:8780", JSONData: []byte(`{}`)})
	if err != nil || s.URL.String() != "http://top:8780" {
		t.Fatalf("got %v, %v", s, err)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, json string
		secure     map[string]string
		want       string
	}{
		{"missing url", `{}`, nil, "URL is not set"},
		{"null json", `null`, nil, "URL is not set"},
		{"not an object", `[1]`, nil, "jsonData is not a JSON object"},
		{"scheme", `{"url":"ftp://x"}`, nil, "must start with http:// or https://"},
		{"no scheme", `{"url":"pyflare:8780"}`, nil, "must start with http:// or https://"},
		{"no host", `{"url":"http://"}`, nil, "has no host"},
		{"bad port", `{"url":"http://h:99999"}`, nil, "bad port"},
		{"garbage", `{"url":"http://a b"}`, nil, "invalid PyFlare service URL"},
		{"query", `{"url":"http://h?x=1"}`, nil, "must not contain a query"},
		{"userinfo", `{"url":"http://u:p@h"}`, nil, "credentials"},
		{"timeout text", `{"url":"http://h","timeoutSeconds":"soon"}`, nil, `invalid timeout "soon"`},
		{"timeout negative", `{"url":"http://h","timeoutSeconds":-1}`, nil, "positive number of seconds"},
		{"timeout huge", `{"url":"http://h","timeoutSeconds":601}`, nil, "at most 600"},
		{"ca missing", `{"url":"http://h","tlsAuthWithCACert":true}`, nil, "no CA certificate"},
		{"client cert missing", `{"url":"http://h","tlsAuth":true}`, map[string]string{"tlsClientCert": "c"}, "client certificate or key is missing"},
		{"header name", `{"url":"http://h","httpHeaderName1":"Bad Header"}`, nil, `invalid custom header name "Bad Header"`},
		{"header type", `{"url":"http://h","httpHeaderName1":5}`, nil, "must be a string"},
		{"auth conflict", `{"url":"http://h","httpHeaderName1":"authorization"}`, map[string]string{"apiToken": "t"}, "conflicts with the API token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.json, c.secure)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestLoadTimeoutForms(t *testing.T) {
	for in, want := range map[string]time.Duration{`0`: 30 * time.Second, `""`: 30 * time.Second, `null`: 30 * time.Second,
		`5`: 5 * time.Second, `"7"`: 7 * time.Second, `0.5`: 500 * time.Millisecond} {
		s, err := load(t, `{"url":"http://h","timeoutSeconds":`+in+`}`, nil)
		if err != nil || s.Timeout != want {
			t.Errorf("timeoutSeconds %s: got %v, %v; want %v", in, s, err, want)
		}
	}
}
