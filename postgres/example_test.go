package postgres_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/seal"
)

// A node waits for due work until its poll interval runs out or another
// node announces new work with Notify, whichever comes first.
func ExampleStore_Listen() {
	ctx := context.Background()
	key, err := seal.ParseKey(os.Getenv("HOOKD_DATA_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	st, err := postgres.Open(ctx, "postgres://hookd@db.internal:5432/hookd", key)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	wake, err := st.Listen(ctx)
	if err != nil {
		log.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(time.Second):
	}
	jobs, err := st.Claim(ctx, "node-1", time.Now(), 1000, nil)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("claimed %d deliveries", len(jobs))
}
