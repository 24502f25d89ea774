package delivery

import (
	"testing"

	"github.com/google/uuid"
)

// TestDeliveryID: a new delivery's id is "dlv_" and its UUID as
// uuid.UUID.String writes it.
func TestDeliveryID(t *testing.T) {
	ids := []uuid.UUID{{}, uuid.Max, uuid.MustParse("0192f0c1-7b2a-7c3d-8e4f-a1b2c3d4e5f6")}
	for range 100 {
		ids = append(ids, uuid.Must(uuid.NewV7()))
	}
	for _, id := range ids {
		if got, want := deliveryID(id), "dlv_"+id.String(); got != want {
			t.Fatalf("deliveryID(%v) = %q, want %q", id, got, want)
		}
	}
}
