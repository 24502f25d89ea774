package receiver_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/hookd/hookd/receiver"
)

// signStandard plays the sender of a standard-profile webhook.
func signStandard(secret, id string, at time.Time, body []byte) http.Header {
	key, _ := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h
}

// signLean plays Lean.
func signLean(secret string, body []byte) http.Header {
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write(body)
	h := http.Header{}
	h.Set("lean-signature", "sha512="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// signWeavr plays Weavr: signature-v2 covers call-ref, body and
// published-timestamp (epoch milliseconds); the legacy signature covers the
// timestamp alone. Both are keyed with the API key's bytes.
func signWeavr(apiKey, callRef string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	sign := func(parts ...[]byte) string {
		mac := hmac.New(sha256.New, []byte(apiKey))
		for _, p := range parts {
			mac.Write(p)
		}
		return base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	h := http.Header{}
	h.Set("call-ref", callRef)
	h.Set("published-timestamp", ts)
	h.Set("signature", sign([]byte(ts)))
	h.Set("signature-v2", sign([]byte(callRef), body, []byte(ts)))
	return h
}

func ExampleVerifier_Verify() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"type":"customer.activated","timestamp":"2024-03-01T12:00:00.000000Z","data":{"resourceId":"c1","resourceType":"customer"}}`)
	header := signStandard(secret, "msg_1", time.Now(), body)

	v := &receiver.Verifier{Profile: receiver.Standard, Secrets: []string{secret}}
	fmt.Println(v.Verify(header, body))

	// One changed byte, and the signature no longer matches.
	err := v.Verify(header, bytes.Replace(body, []byte("c1"), []byte("c2"), 1))
	fmt.Println(errors.Is(err, receiver.ErrBadSignature))

	// A request signed ten minutes ago is refused as a possible replay.
	old := signStandard(secret, "msg_1", time.Now().Add(-10*time.Minute), body)
	fmt.Println(errors.Is(v.Verify(old, body), receiver.ErrTimestamp))

	w, _ := receiver.Parse(receiver.Standard, header, body)
	m, _ := w.Decode()
	fmt.Printf("%s %s %+v\n", w.ID, w.Type, *m.(*receiver.LinkMoneyMetadata))
	// Output:
	// <nil>
	// true
	// true
	// msg_1 customer.activated {ResourceID:c1 ResourceType:customer ClientReferenceID: TransactionType: PaymentType: AchReturnCode:}
}

func ExampleVerifier_Verify_lean() {
	const secret = "my-lean-webhook-secret"
	body := []byte(`{"type":"results.ready","message":"Your results are ready.","payload":{"id":"dbd310a2-ebd9-4a0f-ae10-0f82f25f1bff"},"timestamp":"2021-09-02T15:38:54.573741Z","event_id":"f8752072-cef2-4056-9ff0-d5d2aa1e4558"}`)
	header := signLean(secret, body)

	// During a rotation both secrets are listed; either verifies.
	v := &receiver.Verifier{Profile: receiver.Lean, Secrets: []string{"my-new-secret", secret}}
	fmt.Println(v.Verify(header, body))
	fmt.Println(v.Verify(http.Header{}, body))

	w, _ := receiver.Parse(receiver.Lean, header, body)
	fmt.Println(w.ID, w.Timestamp.Format(time.RFC3339Nano))
	// Output:
	// <nil>
	// receiver: missing header: lean-signature
	// f8752072-cef2-4056-9ff0-d5d2aa1e4558 2021-09-02T15:38:54.573741Z
}

func ExampleVerifier_Verify_weavr() {
	const apiKey = "my-weavr-api-key"
	body := []byte(`{"type":"buyerKYBWatch","payload":{"buyerId":"110747174434373672","status":"APPROVED","details":[],"ongoingStatus":"APPROVED"}}`)
	header := signWeavr(apiKey, "dlv_01a2435c-63a8-768d-b549-cb486cb10551", time.Now(), body)

	v := &receiver.Verifier{Profile: receiver.Weavr, Secrets: []string{apiKey}}
	fmt.Println(v.Verify(header, body))

	// The legacy signature alone does not cover the body: refused unless
	// the Verifier sets AllowLegacy.
	legacy := header.Clone()
	legacy.Del("signature-v2")
	fmt.Println(v.Verify(legacy, body))

	// A request published ten minutes ago is refused as a possible replay.
	old := signWeavr(apiKey, "dlv_01a2435c-63a8-768d-b549-cb486cb10551", time.Now().Add(-10*time.Minute), body)
	fmt.Println(errors.Is(v.Verify(old, body), receiver.ErrTimestamp))

	// The call-ref is the same on every retry: deduplicate on it.
	w, _ := receiver.Parse(receiver.Weavr, header, body)
	p, _ := w.Decode()
	fmt.Printf("%s %s %+v\n", w.ID, w.Type, *p.(*receiver.WeavrBuyerKYB))
	// Output:
	// <nil>
	// receiver: missing header: signature-v2
	// true
	// dlv_01a2435c-63a8-768d-b549-cb486cb10551 buyerKYBWatch {BuyerID:110747174434373672 Status:APPROVED OngoingStatus:APPROVED Details:[] RejectionComment:}
}

func ExampleVerifier_Verify_linkmoney() {
	// Link Money documents no signature; hookd signs its webhooks as
	// Standard Webhooks do.
	const secret = "whsec_bXktbGlua21vbmV5LWtleS0wMTIzNDU2Nzg5YWI="
	body := []byte(`{"id":"01a2435c-63b2-75b6-b7ee-9170455eca7a","creationTime":"2026-12-04T23:20:58.034","eventType":"payment.created","metadata":{"resourceId":"225f715c-a016-4222-8b8c-966e838deb66","resourceType":"payment","clientReferenceId":"898-jdhf-83784-jfss","transactionType":"DEBIT"}}`)
	header := signStandard(secret, "01a2435c-63b2-75b6-b7ee-9170455eca7a", time.Now(), body)

	// During a rotation both secrets are listed; either verifies.
	v := &receiver.Verifier{Profile: receiver.LinkMoney, Secrets: []string{"whsec_bmV3LWxpbmttb25leS1rZXktMDEyMzQ1Njc4OWE=", secret}}
	fmt.Println(v.Verify(header, body))
	fmt.Println(receiver.Detect(header, body))

	// creationTime carries no zone: it is read as UTC.
	w, _ := receiver.Parse(receiver.LinkMoney, header, body)
	m, _ := w.Decode()
	fmt.Println(w.ID, w.Type, w.Timestamp.Format(time.RFC3339Nano))
	fmt.Printf("%+v\n", *m.(*receiver.LinkMoneyMetadata))
	// Output:
	// <nil>
	// linkmoney
	// 01a2435c-63b2-75b6-b7ee-9170455eca7a payment.created 2026-12-04T23:20:58.034Z
	// {ResourceID:225f715c-a016-4222-8b8c-966e838deb66 ResourceType:payment ClientReferenceID:898-jdhf-83784-jfss TransactionType:DEBIT PaymentType: AchReturnCode:}
}

func ExampleHandler() {
	const secret = "my-lean-webhook-secret"
	h := receiver.NewHandler(&receiver.Verifier{Profile: receiver.Lean, Secrets: []string{secret}})
	h.On(receiver.LeanPaymentCreated, func(ctx context.Context, w *receiver.Webhook) error {
		v, err := w.Decode()
		if err != nil {
			return err // 500: Lean retries
		}
		p := v.(*receiver.LeanPayment)
		fmt.Println("payment", p.ID, p.Status, p.Amount, p.Currency)
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := []byte(`{"payload":{"id":"66214bdb-5f1a-4127-9ddc-cc44c0446c82","customer_id":"0fd6d135-a4be-40ac-9630-1738ced7da69","intent_id":"b896af3a-1781-4a48-b173-ce4b2ca6a522","status":"ACCEPTED_BY_BANK","amount":10.17,"currency":"AED","bank_transaction_reference":"0H129D0RT04YY"},"type":"payment.created","message":"A payment object has been created.","timestamp":"2020-06-22T13:15:28.565512Z","event_id":"f4096636-85f3-42f1-8148-3cf9b5377db2"}`)
	post := func(header http.Header) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	post(signLean(secret, body))
	post(signLean(secret, body)) // a redelivery: acknowledged, not processed again
	post(signLean("not the secret", body))
	// Output:
	// payment 66214bdb-5f1a-4127-9ddc-cc44c0446c82 ACCEPTED_BY_BANK 10.17 AED
	// 200
	// 200
	// 401
}
