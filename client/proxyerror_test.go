package client_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// proxy answers every request with a status and an HTML page, as a proxy
// in front of hookd does.
type proxy int

func (p proxy) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: int(p), Header: http.Header{"Content-Type": {"text/html"}}, Request: r,
		Body: io.NopCloser(strings.NewReader("<html><body><h1>" + http.StatusText(int(p)) + "</h1></body></html>"))}, nil
}

// TestProxyErrorCode: an error answer that is not hookd's error object
// still has the code of its status, as the API's own would.
func TestProxyErrorCode(t *testing.T) {
	for status, code := range map[int]string{401: hookd.EUNAUTHORIZED, 403: hookd.EFORBIDDEN, 404: hookd.ENOTFOUND,
		409: hookd.ECONFLICT, 413: hookd.ETOOLARGE, 429: hookd.ERATELIMIT, 400: hookd.EINVALID, 502: hookd.EUNAVAILABLE, 500: hookd.EINTERNAL} {
		c := client.New("http://127.0.0.1:1", "t", client.WithHTTPClient(&http.Client{Transport: proxy(status)}), client.WithPublishRetries(0, 0))
		_, err := c.GetTenant(context.Background(), "acme")
		if hookd.ErrorCode(err) != code || client.StatusCode(err) != status || !strings.Contains(err.Error(), http.StatusText(status)) {
			t.Errorf("%d: code %q (%v), want %q", status, hookd.ErrorCode(err), err, code)
		}
	}
}
