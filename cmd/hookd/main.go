// Command hookd is the webhook delivery service: serve, migrate, bench,
// listen and trigger.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hookd: durable, fast webhook delivery

  hookd serve      run the API and the delivery workers (default: SQLite file ./hookd.db, :8080)
  hookd migrate    apply schema migrations (serve applies them too)
  hookd bench      measure publish-to-delivery throughput and latency on this machine
  hookd listen     a local receiver that verifies and prints webhooks of any profile
  hookd trigger    publish the catalog example of an event type

Run "hookd COMMAND -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		err = runServe(ctx, args)
	case "migrate":
		err = runMigrate(ctx, args)
	case "bench":
		err = runBench(ctx, args)
	case "listen":
		err = runListen(ctx, args)
	case "trigger":
		err = runTrigger(ctx, args)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "hookd: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookd:", err)
		os.Exit(1)
	}
}
