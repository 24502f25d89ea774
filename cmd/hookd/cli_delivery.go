package main

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// runDelivery runs hookd delivery VERB.
func runDelivery(ctx context.Context, args []string) error {
	return runGroup(ctx, "delivery", "Deliveries: one event to one endpoint, with every attempt.", []verb{
		{"list", "", "list a tenant's deliveries, newest first", deliveryList},
		{"get", "ID", "show a delivery and its attempts", deliveryGet},
		{"retry", "ID", "send a delivery again now", deliveryRetry},
	}, args)
}

func deliveryList(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	c.withLimit()
	endpoint := c.fs.String("endpoint", "", "only this endpoint's deliveries")
	event := c.fs.String("event", "", "only this event's deliveries")
	state := c.fs.String("state", "", "only deliveries in this state: pending, parked, succeeded, failed or canceled")
	typ := c.fs.String("type", "", `only deliveries of events of this type: a name, "payment.*" or "*"`)
	if err := c.parse(); err != nil {
		return err
	}
	api := c.client()
	f := client.DeliveryListOptions{Endpoint: *endpoint, Event: *event, State: *state, Type: *typ}
	return list(c, "deliveries", func(o client.ListOptions) iter.Seq2[*hookd.Delivery, error] {
		f.ListOptions = o
		return api.ListDeliveries(ctx, *c.tenant, f)
	}, deliveryHeader, deliveryCells)
}

var deliveryHeader = []any{"ID", "EVENT", "TYPE", "ENDPOINT", "STATE", "ATTEMPTS", "LAST STATUS", "NEXT ATTEMPT"}

func deliveryCells(d *hookd.Delivery) []any {
	status := "-"
	if d.LastStatus != 0 {
		status = fmt.Sprint(d.LastStatus)
	} else if d.LastError != "" {
		status = "error"
	}
	return []any{d.ID, d.EventID, d.EventType, d.EndpointID, d.State, d.Attempts, status, d.NextAttemptAt}
}

func deliveryRows(w io.Writer, ds []*hookd.Delivery) {
	row(w, deliveryHeader...)
	for _, d := range ds {
		row(w, deliveryCells(d)...)
	}
}

func deliveryGet(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	d, err := c.client().GetDelivery(ctx, *c.tenant, c.arg(0))
	if err != nil {
		return err
	}
	return c.show(d, func(w io.Writer) {
		fields(w, "id", d.ID, "event", d.EventID, "type", d.EventType, "endpoint", d.EndpointID, "state", d.State,
			"next attempt", d.NextAttemptAt, "last error", d.LastError, "created", d.CreatedAt)
		fmt.Fprintln(w)
		row(w, "ATTEMPT", "AT", "STATUS", "DURATION", "ERROR")
		for _, a := range d.Attempts {
			status := "-"
			if a.Status != 0 {
				status = fmt.Sprint(a.Status)
			}
			msg := a.ErrorClass
			if a.Error != "" {
				msg += ": " + a.Error
			}
			row(w, a.N, a.At, status, fmt.Sprintf("%d ms", a.DurationMS), msg)
		}
	})
}

func deliveryRetry(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	d, err := c.client().RetryDelivery(ctx, *c.tenant, c.arg(0))
	if err != nil {
		return err
	}
	return c.show(d, func(w io.Writer) { deliveryRows(w, []*hookd.Delivery{d}) })
}
