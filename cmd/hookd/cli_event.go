package main

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// runEvent runs hookd event VERB.
func runEvent(ctx context.Context, args []string) error {
	return runGroup(ctx, "event", "Events: publish them to a tenant, list and read them.", []verb{
		{"publish", "", "publish an event to every endpoint that wants its type", eventPublish},
		{"list", "", "list a tenant's events, newest first", eventList},
		{"get", "ID", "show an event and its deliveries", eventGet},
	}, args)
}

func eventPublish(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	typ := c.fs.String("type", "", `event type, e.g. "lean:payment.created" (required)`)
	payload := c.fs.String("payload", "", "the payload: a JSON object, @FILE or - for standard input (required)")
	id := c.fs.String("id", "", "event id (default: generated)")
	key := c.fs.String("ordering-key", "", "ordering key (e.g. a payment id)")
	idem := c.fs.String("idempotency-key", "", "Idempotency-Key: the same request again publishes nothing (default: generated)")
	if err := c.parse(); err != nil {
		return err
	}
	if *typ == "" || *payload == "" {
		return c.misuse("--type and --payload are required")
	}
	p, err := c.jsonArg("payload", *payload)
	if err != nil {
		return err
	}
	res, err := c.client().Publish(ctx, *c.tenant, client.EventCreate{Type: *typ, Payload: p, ID: *id, OrderingKey: *key, IdempotencyKey: *idem})
	if err != nil {
		return err
	}
	return showPublish(c, res)
}

// showPublish prints the answer of a publish: the event and its deliveries.
func showPublish(c *apiCmd, res *client.PublishResult) error {
	return c.show(res, func(w io.Writer) {
		fields(w, "event", res.ID)
		if res.Duplicate {
			fields(w, "duplicate", "yes: published before, nothing new was created")
		}
		for _, d := range res.Warnings {
			fields(w, "warning", d.Path+": "+d.Message)
		}
		fmt.Fprintln(w)
		row(w, "DELIVERY", "ENDPOINT")
		for _, d := range res.Deliveries {
			row(w, d.ID, d.EndpointID)
		}
	})
}

func eventList(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	c.withLimit()
	typ := c.fs.String("type", "", `only events of this type: a name, "payment.*" or "*"`)
	delivery := c.fs.String("delivery", "", "only events with a delivery in this state: failed, pending or succeeded")
	key := c.fs.String("idempotency-key", "", "only the event published under this idempotency key")
	if err := c.parse(); err != nil {
		return err
	}
	api := c.client()
	return list(c, "events", func(o client.ListOptions) iter.Seq2[*hookd.Event, error] {
		return api.ListEvents(ctx, *c.tenant, client.EventListOptions{ListOptions: o, Type: *typ, Delivery: *delivery, IdempotencyKey: *key})
	}, []any{"ID", "TYPE", "ORDERING KEY", "CREATED"}, func(e *hookd.Event) []any {
		return []any{e.ID, e.Type, e.OrderingKey, e.CreatedAt}
	})
}

func eventGet(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	e, err := c.client().GetEvent(ctx, *c.tenant, c.arg(0))
	if err != nil {
		return err
	}
	return c.show(e, func(w io.Writer) {
		fields(w, "id", e.ID, "type", e.Type, "ordering key", e.OrderingKey, "created", e.CreatedAt, "payload", e.Payload)
		fmt.Fprintln(w)
		deliveryRows(w, e.Deliveries)
	})
}
