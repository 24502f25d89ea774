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
