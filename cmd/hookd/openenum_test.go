package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestOpenEnumsThroughTheAPI: an event whose payload holds a value outside
// a field's known values is accepted (202), delivered as published, and the
// answer names the value as a warning; Link Money's payment.failed needs no
// achReturnCode; a wrong type or a missing required field is still refused
// with the JSON path.
func TestOpenEnumsThroughTheAPI(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	a.endpoint(t, "t", tok, map[string]any{"url": rc.URL, "profile": "lean", "event_types": []string{"entity.created"}})

	type warning struct{ Path, Rule, Message string }
	var out struct {
		ID       string    `json:"id"`
		Warnings []warning `json:"warnings"`
	}
	lean := `{"id":"dd64bba9-9446-4ca0-b9ed-bec2b2a49024","app_user_id":"u1","customer_id":"a8e9bf82-245a-4f5c-b048-9024fd7910cb",` +
		`"permissions":["identity"],"bank_details":{"logo":"l","name":"n","identifier":"LEA1","account_type":"FREELANCER","main_color":"#000000","background_color":"#ffffff"}}`
	a.must(t, 202, "POST", "/v1/tenants/t/events", tok, `{"type":"entity.created","payload":`+lean+`}`, &out)
	if len(out.Warnings) != 1 || out.Warnings[0].Path != "$.payload.bank_details.account_type" ||
		out.Warnings[0].Rule != "x-extensible-enum" || !strings.Contains(out.Warnings[0].Message, `"FREELANCER"`) {
		t.Fatalf("warnings = %+v", out.Warnings)
	}
	got := rc.wait(t, 30*time.Second)
	var body struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(got.body, &body); err != nil || string(body.Payload) != lean {
		t.Fatalf("delivered payload %s (%v), want %s", body.Payload, err, lean)
	}

	// Known values give no warnings; Link Money's own decline has no ACH code.
	out.Warnings = nil
	a.must(t, 202, "POST", "/v1/tenants/t/events", tok,
		`{"type":"payment.failed","payload":{"resourceId":"225f715c","resourceType":"payment","transactionType":"DEBIT"}}`, &out)
	if out.Warnings != nil {
		t.Fatalf("warnings for known values: %+v", out.Warnings)
	}

	// A batch answers warnings per event.
	var batch struct {
		Data []struct {
			ID       string    `json:"id"`
			Warnings []warning `json:"warnings"`
			Error    *struct{ Code string }
		} `json:"data"`
	}
	a.must(t, 202, "POST", "/v1/tenants/t/events/batch", tok, `{"events":[`+
		`{"type":"payment.failed","payload":{"resourceId":"p1","resourceType":"Payment","paymentType":"Credit","achReturnCode":"R1A"}},`+
		`{"type":"payment.failed","payload":{"resourceId":"p2","resourceType":"transfer","transactionType":"REFUND"}}]}`, &batch)
	if len(batch.Data) != 2 || batch.Data[0].Error != nil || batch.Data[0].Warnings != nil || batch.Data[1].Error != nil ||
		len(batch.Data[1].Warnings) != 2 || batch.Data[1].Warnings[0].Path != "$.payload.resourceType" ||
		batch.Data[1].Warnings[1].Path != "$.payload.transactionType" {
		t.Fatalf("batch answer %+v", batch.Data)
	}

	// Structure and types are still checked.
	for _, c := range []struct{ body, path, rule string }{
		{`{"type":"payment.failed","payload":{"resourceId":"p3","resourceType":"payment","achReturnCode":3}}`, "$.payload.achReturnCode", "type"},
		{`{"type":"payment.failed","payload":{"resourceType":"payment"}}`, "$.payload.resourceId", "required"},
		{`{"type":"entity.created","payload":` + strings.Replace(lean, `"FREELANCER"`, `7`, 1) + `}`, "$.payload.bank_details.account_type", "type"},
	} {
		var e struct {
			Error struct {
				Code    string
				Details []warning
			}
		}
		a.must(t, 422, "POST", "/v1/tenants/t/events", tok, c.body, &e)
		if len(e.Error.Details) != 1 || e.Error.Details[0].Path != c.path || e.Error.Details[0].Rule != c.rule {
			t.Errorf("%s: error %+v, want %s at %s", c.body, e.Error, c.rule, c.path)
		}
	}
}
