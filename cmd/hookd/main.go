// Command hookd is the webhook delivery service: serve, migrate, bench,
// listen and trigger, and the API's verbs (tenant, token, endpoint, event,
// delivery, event-type) on the Go client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
)

const usage = `hookd: durable, fast webhook delivery

  hookd serve      run the API and the delivery workers (default: SQLite file ./hookd.db, :8080)
  hookd migrate    apply schema migrations (serve applies them too)
  hookd bench      measure publish-to-delivery throughput and latency on this machine
  hookd listen     a local receiver that verifies and prints webhooks of any profile
  hookd trigger    publish the catalog example of an event type
  hookd simulate   publish the providers' lifecycles into a tenant (--tenant T [--count N] [--rate R]
                   [--fail-share F] [--seed S] LIFECYCLE...), for sandboxes
  hookd version    print the version of this binary

The API from the command line (the Go client underneath; --url/--token or HOOKD_URL/HOOKD_TOKEN,
--tenant or HOOKD_TENANT; a table by default, --json for scripts):

  hookd tenant      create | list | get | update | delete
  hookd token       create | list | delete
  hookd endpoint    create | list | get | update | delete | rotate | enable | disable | recover | test | stats |
                    feed | feed-ack
  hookd event       publish | list | get
  hookd delivery    list | get | retry
  hookd event-type  list | get | create
  hookd source      create | list | get | update | delete | rotate | errors | requests | request

Run "hookd COMMAND -h" for a command's flags, "hookd GROUP VERB -h" for a verb's.
`

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets
// one: with SQLite's page caches and the binary it keeps the serve
// process near 100 MB however large the backlog.
const defaultMemoryLimit = 48 << 20

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if os.Getenv("GOGC") == "" {
		// Process-wide, so set here and not where a server starts: the
		// hot path allocates short-lived request and row values, and a
		// larger heap target trades a little memory (bounded: deliveries
		// held in memory are capped) for ~5-10 % more throughput.
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// The larger heap target above stays within this: past it the
		// collector runs sooner, so a burst of garbage (a backlog
		// draining, big batches) does not grow the process. It is a
		// soft limit: a live heap above it is never refused memory.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	cmd, args := os.Args[1], os.Args[2:]
	if lead, rest := splitLeading(os.Args[1:]); len(lead) > 0 && len(rest) > 0 && !wantsHelp(lead) {
		// The API's shared flags before the command (hookd --url U
		// tenant list) go with the command's own.
		cmd, args = rest[0], slices.Concat(lead, rest[1:])
	}
	switch cmd {
	case "serve":
		err = runServe(ctx, args)
	case "migrate":
		err = runMigrate(ctx, args)
	case "bench":
		err = runBench(ctx, args)
	case "bench-sink": // hidden: the processes of bench --external
		err = runBenchSink(ctx, args)
	case "bench-relay":
		err = runBenchRelay(ctx, args)
	case "bench-load":
		err = runBenchLoad(ctx, args)
	case "listen":
		err = runListen(ctx, args)
	case "trigger":
		err = runTrigger(ctx, args)
	case "simulate":
		err = runSimulate(ctx, args)
	case "tenant":
		err = runTenant(ctx, args)
	case "token":
		err = runToken(ctx, args)
	case "endpoint":
		err = runEndpoint(ctx, args)
	case "event":
		err = runEvent(ctx, args)
	case "delivery":
		err = runDelivery(ctx, args)
	case "event-type":
		err = runEventType(ctx, args)
	case "source":
		err = runSource(ctx, args)
	case "version", "--version":
		fmt.Println(versionString())
		return
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "hookd: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the command printed its own flags
	}
	if fe := (flagError{}); errors.As(err, &fe) {
		os.Exit(2) // the flag package printed the mistake and the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookd:", err)
		os.Exit(1)
	}
}

// newFlagSet is a command's flag set. Help asked for (-h) is the
// command's output, so it goes to standard output; a mistake in the flags
// and the usage after it go to standard error.
func newFlagSet(name string, args []string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	if wantsHelp(args) {
		fs.SetOutput(os.Stdout)
	}
	return fs
}

// wantsHelp reports whether args ask for help: -h or --help before any
// "--" that ends the flags.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// flagError is a mistake in a command's flags. The flag package has
// already printed it, with the command's usage, so main prints nothing
// more and exits 2, as for any other misuse.
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }

// misuse reports a mistake in a command's flags or arguments that the flag
// package cannot see (a required one left out, a value out of range) as it
// reports its own: the message, then the command's usage, on standard
// error; main exits 2.
func misuse(fs *flag.FlagSet, format string, a ...any) error {
	err := fmt.Errorf(format, a...)
	fmt.Fprintln(fs.Output(), err)
	fs.Usage()
	return flagError{err}
}

// parse is fs.Parse, its mistakes marked as flagError (but not -h).
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return flagError{err}
	}
	return err
}

// parseFlags parses a command's flags. The commands take flags only, so an
// argument that is not one is an error: the flag package would otherwise
// stop there and silently ignore every flag after it.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q: this command takes flags only (hookd %s -h lists them)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}
