package main

import (
	"context"
	"io"
	"iter"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/client"
)

// runEventType runs hookd event-type VERB.
func runEventType(ctx context.Context, args []string) error {
	return runGroup(ctx, "event-type", "Event types: the catalog of the providers' types, and custom ones.", []verb{
		{"list", "", "list the event types", eventTypeList},
		{"get", "NAME", "show an event type with its schema and example", eventTypeGet},
		{"create", "NAME", "register a custom event type (admin token)", eventTypeCreate},
	}, args)
}

func eventTypeList(ctx context.Context, c *apiCmd) error {
	c.withLimit()
	provider := c.fs.String("provider", "", "only this provider's types (lean, linkmoney, weavr; hookd for hookd's operational types; custom for custom types)")
	if err := c.parse(); err != nil {
		return err
	}
	switch *provider {
	case "", catalog.ProviderLean, catalog.ProviderLinkMoney, catalog.ProviderWeavr, catalog.ProviderHookd, "custom":
	default:
		return c.misuse("--provider %q: want %s, %s, %s, %s or custom", *provider, catalog.ProviderLean, catalog.ProviderLinkMoney,
			catalog.ProviderWeavr, catalog.ProviderHookd)
	}
	api := c.client()
	return list(c, "event types", func(client.ListOptions) iter.Seq2[*hookd.EventType, error] {
		return func(yield func(*hookd.EventType, error) bool) {
			for t, err := range api.ListEventTypes(ctx) {
				if err != nil || *provider == "" || t.Provider == *provider || *provider == "custom" && t.Custom {
					if !yield(t, err) {
						return
					}
				}
			}
		}
	}, []any{"NAME", "PROVIDER", "CUSTOM", "DESCRIPTION"}, func(t *hookd.EventType) []any {
		return []any{t.Name, t.Provider, t.Custom, t.Description}
	})
}

func showEventType(c *apiCmd, t *hookd.EventType) error {
	return c.show(t, func(w io.Writer) {
		fields(w, "name", t.Name, "provider", t.Provider, "custom", t.Custom, "description", t.Description,
			"schema", compact(t.Schema), "example", compact(t.Example))
	})
}

func eventTypeGet(ctx context.Context, c *apiCmd) error {
	if err := c.parse(); err != nil {
		return err
	}
	t, err := c.client().GetEventType(ctx, c.arg(0))
	if err != nil {
		return err
	}
	return showEventType(c, t)
}

func eventTypeCreate(ctx context.Context, c *apiCmd) error {
	description := c.fs.String("description", "", "description")
	schema := c.fs.String("schema", "", "JSON Schema of the payload: JSON, @FILE or - (default: any object)")
	example := c.fs.String("example", "", "an example payload: JSON, @FILE or -")
	if err := c.parse(); err != nil {
		return err
	}
	if *schema == "-" && *example == "-" {
		return c.misuse("--schema and --example cannot both read standard input")
	}
	s, err := c.jsonArg("schema", *schema)
	if err != nil {
		return err
	}
	e, err := c.jsonArg("example", *example)
	if err != nil {
		return err
	}
	t, err := c.client().CreateEventType(ctx, client.EventTypeCreate{Name: c.arg(0), Description: *description, Schema: s, Example: e})
	if err != nil {
		return err
	}
	return showEventType(c, t)
}
