package hookd_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

func TestTenantValidate(t *testing.T) {
	long := strings.Repeat("a", 129)
	for _, c := range []struct {
		t    hookd.Tenant
		want string // "" valid; else a part of the message
	}{
		{hookd.Tenant{ID: "acme", Name: "Acme"}, ""},
		{hookd.Tenant{ID: "a_b.c:d-1", Name: "x", Metadata: json.RawMessage(`{"k":1}`)}, ""},
		{hookd.Tenant{ID: "acme", Name: "x", Metadata: json.RawMessage(`null`)}, ""},
		{hookd.Tenant{ID: "acme"}, "name is required"},
		{hookd.Tenant{ID: "", Name: "x"}, "id must be"},
		{hookd.Tenant{ID: "-acme", Name: "x"}, "id must be"},
		{hookd.Tenant{ID: "ac me", Name: "x"}, "id must be"},
		{hookd.Tenant{ID: long, Name: "x"}, "id must be"},
		{hookd.Tenant{ID: "acme", Name: "x", Metadata: json.RawMessage(`[1]`)}, "metadata must be a JSON object"},
	} {
		err := c.t.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.t, err)
			}
			continue
		}
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %s: %q", c.t, err, hookd.EINVALID, c.want)
		}
	}
}

func TestTenantUpdateValidate(t *testing.T) {
	empty, name := "", "Acme"
	arr := json.RawMessage(`"x"`)
	obj := json.RawMessage(`{}`)
	for _, c := range []struct {
		u    hookd.TenantUpdate
		want string
	}{
		{hookd.TenantUpdate{}, ""},
		{hookd.TenantUpdate{Name: &name, Metadata: &obj}, ""},
		{hookd.TenantUpdate{Name: &empty}, "name must not be empty"},
		{hookd.TenantUpdate{Metadata: &arr}, "metadata must be a JSON object"},
	} {
		err := c.u.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.u, err)
			}
			continue
		}
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.u, err, c.want)
		}
	}
}

func TestNotOperational(t *testing.T) {
	if err := hookd.NotOperational("type", "hookd.endpoint.disabled"); hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), `type "hookd.endpoint.disabled"`) {
		t.Errorf("hookd.endpoint.disabled: %v", err)
	}
	if err := hookd.NotOperational("type", "payment.created"); err != nil {
		t.Errorf("payment.created: %v", err)
	}
}
