package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// runTrigger publishes the catalog example of an event type to a tenant.
func runTrigger(ctx context.Context, args []string) error {
	fs := newFlagSet("trigger", args)
	base, token := apiFlags(fs)
	tenant := tenantFlag(fs)
	id := fs.String("id", "", "event id (default: generated)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hookd trigger [flags] TYPE")
		fs.PrintDefaults()
	}
	// Flags may come before or after TYPE.
	if err := parse(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return misuse(fs, "trigger: an event type is required")
	}
	typ := rest[0]
	if err := parseFlags(fs, rest[1:]); err != nil {
		return err
	}
	if *token == "" {
		*token = envToken()
	}
	if *tenant == "" || *token == "" {
		return misuse(fs, "trigger: --tenant and --token are required")
	}
	api := client.New(*base, *token, client.WithUserAgent("hookd-trigger"))
	et, err := api.GetEventType(ctx, typ)
	if err != nil {
		return describe("trigger", err)
	}
	if len(et.Example) == 0 {
		return fmt.Errorf("trigger: %s has no example payload", et.Name)
	}
	if strings.HasPrefix(et.Name, hookd.OperationalPrefix) {
		// The API would refuse the publish (the prefix is reserved):
		// say what does send it.
		return fmt.Errorf("trigger: %s is one of hookd's operational events, which hookd publishes itself and tenants may not; "+
			"to send its example to an endpoint that subscribes to it: hookd endpoint test ENDPOINT --type %s", et.Name, et.Name)
	}
	res, err := api.Publish(ctx, *tenant, client.EventCreate{Type: et.Name, Payload: et.Example, ID: *id})
	if err != nil {
		return describe("trigger", err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Printf("published %s: %s\n", et.Name, out)
	return nil
}
