package plugin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Failure kinds, reported in CheckHealth's JSONDetails so the config page can
// react to them.
const (
	kindSettings   = "settings"
	kindRefused    = "connection_refused"
	kindDNS        = "dns"
	kindTLS        = "tls"
	kindTimeout    = "timeout"
	kindCancelled  = "cancelled"
	kindConnection = "connection"
	kindAuth       = "unauthorized"
	kindForbidden  = "forbidden"
	kindNotFound   = "not_found"
	kindHTTP       = "http_status"
	kindBadAnswer  = "invalid_answer"
	kindTooLarge   = "too_large"
)

// serviceError is a failure talking to the PyFlare service, with a message
// meant for the Grafana user.
type serviceError struct {
	kind   string
	status backend.Status
	msg    string
	cause  error
}

func (e *serviceError) Error() string { return e.msg }
func (e *serviceError) Unwrap() error { return e.cause }

// describeTransportError turns an error from http.Client.Do into a message
// that says what went wrong and what to check.
func (d *Datasource) describeTransportError(ctx context.Context, err error) *serviceError {
	target := d.settings.URL.Redacted()
	host := d.settings.URL.Host

	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var netErr net.Error

	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		return &serviceError{kindCancelled, backend.StatusBadRequest, "the request was cancelled before the PyFlare service answered", err}
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()):
		return &serviceError{kindTimeout, backend.StatusTimeout, fmt.Sprintf(
			"the PyFlare service at %s did not answer within %s: check that it is running and reachable, or raise the timeout in the data source settings",
			target, d.settings.Timeout), err}
	case errors.As(err, &dnsErr):
		return &serviceError{kindDNS, backend.StatusBadGateway, fmt.Sprintf(
			"cannot resolve host %q of the PyFlare service URL (DNS lookup failed: %s): check the URL", dnsErr.Name, dnsErr.Err), err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &serviceError{kindRefused, backend.StatusBadGateway, fmt.Sprintf(
			"connection refused by %s: is the PyFlare service running and listening on that port (REST API, default 8780)?", host), err}
	case errors.As(err, &unknownCA):
		return &serviceError{kindTLS, backend.StatusBadGateway, fmt.Sprintf(
			"TLS error talking to %s: the server certificate is signed by an unknown authority; add its CA certificate ('With CA certificate') or enable 'Skip TLS certificate verification'", host), err}
	case errors.As(err, &hostErr):
		return &serviceError{kindTLS, backend.StatusBadGateway, fmt.Sprintf(
			"TLS error talking to %s: the server certificate is not valid for this host name (%v); fix the URL or set 'Server name' (TLS settings)", host, hostErr), err}
	case errors.As(err, &certInvalid), errors.As(err, &verifyErr):
		return &serviceError{kindTLS, backend.StatusBadGateway, fmt.Sprintf(
			"TLS error talking to %s: the server certificate was rejected (%v)", host, err), err}
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &serviceError{kindTLS, backend.StatusBadGateway, fmt.Sprintf(
			"TLS error talking to %s: the server does not speak TLS (it answered plain HTTP); use http:// instead of https:// in the URL", host), err}
	case errors.As(err, &alertErr):
		return &serviceError{kindTLS, backend.StatusBadGateway, fmt.Sprintf(
			"TLS error talking to %s: the server rejected the handshake (%v); check the client certificate settings", host, err), err}
	case strings.Contains(err.Error(), "malformed HTTP response"):
		return &serviceError{kindTLS, backend.StatusBadGateway, fmt.Sprintf(
			"protocol mismatch talking to %s: the server did not answer plain HTTP; if it serves TLS, use https:// in the URL", host), err}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &serviceError{kindConnection, backend.StatusBadGateway, fmt.Sprintf(
			"the PyFlare service at %s closed the connection without answering (%v); if it serves TLS, use https:// in the URL", target, err), err}
	default:
		return &serviceError{kindConnection, backend.StatusBadGateway, fmt.Sprintf(
			"cannot reach the PyFlare service at %s: %v", target, err), err}
	}
}

// describeHTTPStatus explains a non-2xx answer of the service.
func (d *Datasource) describeHTTPStatus(code int, body []byte, path string) *serviceError {
	detail := serviceErrorText(body)
	suffix := ""
	if detail != "" {
		suffix = ": " + detail
	}
	switch code {
	case http.StatusUnauthorized:
		if d.settings.Secrets.APIToken == "" {
			return &serviceError{kindAuth, backend.StatusUnauthorized,
				"the PyFlare service requires an API token (401), but none is configured: set the API token in the data source settings", nil}
		}
		return &serviceError{kindAuth, backend.StatusUnauthorized,
			"the PyFlare service rejected the API token (401): check the token in the data source settings" + suffix, nil}
	case http.StatusForbidden:
		return &serviceError{kindForbidden, backend.StatusForbidden,
			"the API token lacks the 'read' scope (403): use a PyFlare API key with the read scope" + suffix, nil}
	case http.StatusNotFound:
		return &serviceError{kindNotFound, backend.StatusNotFound, fmt.Sprintf(
			"no PyFlare API at %s (404 for %s): check that the URL points at the PyFlare service REST port (default 8780)%s",
			d.settings.URL.Redacted(), path, suffix), nil}
	case http.StatusBadRequest:
		if strings.Contains(string(body), "HTTP request to an HTTPS server") {
			return &serviceError{kindTLS, backend.StatusBadRequest, fmt.Sprintf(
				"the server at %s expects TLS: use https:// in the URL", d.settings.URL.Redacted()), nil}
		}
		fallthrough
	default:
		return &serviceError{kindHTTP, backend.Status(code), fmt.Sprintf(
			"the PyFlare service answered %d %s%s", code, http.StatusText(code), suffix), nil}
	}
}

// serviceErrorText extracts the service's error message from a JSON error
// body ({"error": "..."} or {"message": "..."}), else a short text excerpt.
func serviceErrorText(body []byte) string {
	var e struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch v := e.Error.(type) {
		case string:
			if e.Message != "" && e.Message != v {
				return v + ": " + e.Message
			}
			return v
		case map[string]any:
			if m, ok := v["message"].(string); ok {
				return m
			}
		}
		if e.Message != "" {
			return e.Message
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// readLimited reads at most limit bytes and fails if the body is longer.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &serviceError{kindTooLarge, backend.StatusBadGateway, fmt.Sprintf(
			"the PyFlare service answer is larger than %d MiB; narrow the time range or lower the limit", limit>>20), nil}
	}
	return b, nil
}
