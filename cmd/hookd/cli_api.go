package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// The API commands (hookd tenant|token|endpoint|event|delivery|event-type
// VERB): each group is a file cli_GROUP.go with its verbs; this file holds
// what they share: flags, parsing, the client, output and errors.

// verb is one verb of a group.
type verb struct {
	name string
	args string // positional arguments, as the usage line shows them ("ID")
	help string
	run  func(ctx context.Context, c *apiCmd) error
}

// runGroup runs the verb named by args[0] of a group.
func runGroup(ctx context.Context, group, about string, verbs []verb, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: hookd %s VERB [flags] ...\n\n%s\n\n", group, about)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, v := range verbs {
			fmt.Fprintf(tw, "  %s %s\t%s\n", v.name, v.args, v.help)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nRun \"hookd %s VERB -h\" for a verb's flags.\n", group)
	}
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "-help", "help":
			usage(os.Stdout)
			return flag.ErrHelp
		}
	}
	// The shared flags may come before the verb (hookd tenant --json
	// list): they are parsed with the verb's.
	lead, args := splitLeading(args)
	if len(args) == 0 {
		return groupMisuse(usage, "%s: a verb is required", group)
	}
	for _, v := range verbs {
		if v.name == args[0] {
			c := newAPICmd(group, v)
			c.rest = slices.Concat(lead, args[1:])
			return c.fail(v.run(ctx, c))
		}
	}
	return groupMisuse(usage, "%s: unknown verb %q", group, args[0])
}

// groupMisuse is a group's mistake in its verb: said once, then the
// group's usage, exit 2 (as apiCmd.misuse for a verb's flags).
func groupMisuse(usage func(io.Writer), format string, a ...any) error {
	err := fmt.Errorf(format, a...)
	fmt.Fprintln(os.Stderr, "hookd:", err)
	usage(os.Stderr)
	return flagError{err}
}

// sharedValueFlags are the flags every API verb takes that take a value;
// --json takes none.
var sharedValueFlags = map[string]bool{"url": true, "token": true, "tenant": true}

// splitLeading splits the shared flags given before a command or a verb
// (hookd --url U tenant list, hookd tenant --json list) from what follows
// them, from the first argument that is not a flag.
func splitLeading(args []string) (lead, rest []string) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		name, _, withValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		i++
		if !withValue && sharedValueFlags[name] && i < len(args) {
			i++
		}
	}
	return args[:i:i], args[i:]
}

// apiCmd is one run of a verb: its flag set (with the shared --url,
// --token and --json), its positional arguments once parsed, and where it
// writes.
type apiCmd struct {
	name   string // "endpoint create"
	fs     *flag.FlagSet
	url    *string
	token  *string
	json   *bool
	tenant *string // nil unless the verb takes --tenant
	limit  *int    // nil unless the verb lists
	rest   []string
	names  []string // the positional arguments the verb takes
	args   []string // their values, after parse
	stdout io.Writer
	stderr *os.File
}

func newAPICmd(group string, v verb) *apiCmd {
	c := &apiCmd{name: group + " " + v.name, stdout: os.Stdout, stderr: os.Stderr, names: strings.Fields(v.args)}
	c.fs = flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.url, c.token = apiFlags(c.fs)
	c.json = c.fs.Bool("json", false, "print JSON for scripts instead of a table")
	c.fs.Usage = func() {
		args := ""
		if v.args != "" {
			args = " " + v.args
		}
		fmt.Fprintf(c.fs.Output(), "usage: hookd %s [flags]%s\n\n%s\n\nflags:\n", c.name, args, v.help)
		c.fs.PrintDefaults()
	}
	return c
}

// apiFlags adds --url and --token, the API a command talks to. The
// token's default is read after parsing (envToken), so -h never prints it.
func apiFlags(fs *flag.FlagSet) (base, token *string) {
	base = fs.String("url", env("HOOKD_URL", "http://localhost:8080"), "hookd API URL (HOOKD_URL)")
	token = fs.String("token", "", "admin or tenant token (default HOOKD_TOKEN, else HOOKD_ADMIN_TOKEN)")
	return base, token
}

// envToken is the token of a command given no --token.
func envToken() string { return env("HOOKD_TOKEN", os.Getenv("HOOKD_ADMIN_TOKEN")) }

// tenantFlag adds --tenant, whose default is HOOKD_TENANT.
func tenantFlag(fs *flag.FlagSet) *string {
	return fs.String("tenant", os.Getenv("HOOKD_TENANT"), "tenant id (HOOKD_TENANT)")
}

// withTenant adds --tenant (default HOOKD_TENANT), required.
func (c *apiCmd) withTenant() { c.tenant = tenantFlag(c.fs) }

// withLimit adds --limit, for list verbs.
func (c *apiCmd) withLimit() {
	c.limit = c.fs.Int("limit", 100, "list at most this many (0: all, page after page)")
}

// parse parses the flags, which may come before, between or after the
// positional arguments, and checks them: exactly the positional arguments
// the verb takes, a token, and the tenant when the verb needs one.
func (c *apiCmd) parse() error {
	args := c.rest
	if wantsHelp(args) {
		c.fs.SetOutput(c.stdout)
	}
	for {
		if err := parse(c.fs, args); err != nil {
			return err
		}
		if c.fs.NArg() == 0 {
			break
		}
		if len(c.args) == len(c.names) {
			return c.misuse("unexpected argument %q (hookd %s -h lists the flags)", c.fs.Arg(0), c.name)
		}
		c.args = append(c.args, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(c.args) < len(c.names) {
		return c.misuse("%s is required: hookd %s [flags] %s", c.names[len(c.args)], c.name, strings.Join(c.names, " "))
	}
	if u, err := url.Parse(*c.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c.misuse("--url %q: want the API's http:// or https:// URL (http://localhost:8080)", *c.url)
	}
	if *c.token == "" {
		*c.token = envToken()
	}
	if *c.token == "" {
		return c.misuse("a token is required: --token or HOOKD_TOKEN")
	}
	if c.tenant != nil && *c.tenant == "" {
		return c.misuse("a tenant is required: --tenant or HOOKD_TENANT")
	}
	if c.limit != nil && *c.limit < 0 {
		return c.misuse("--limit %d: want 0 (all) or more", *c.limit)
	}
	return nil
}

// misuse reports a mistake in the flags that the flag package cannot see
// (a required flag left out, a value out of range) as it reports its own:
// the message, then the verb's usage, on standard error; main exits 2.
func (c *apiCmd) misuse(format string, a ...any) error { return misuse(c.fs, format, a...) }

// arg is the value of positional argument i.
func (c *apiCmd) arg(i int) string { return c.args[i] }

// set reports whether a flag was given on the command line.
func (c *apiCmd) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// client is the API client of the command's --url and --token.
func (c *apiCmd) client() *client.Client {
	return client.New(*c.url, *c.token, client.WithUserAgent("hookd-cli"))
}

// fail words an error of the verb for people (see describe).
func (c *apiCmd) fail(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return describe(c.name, err)
}

// describe words an error for people, after what failed: an error of the
// API as its message, then its code and status, then one line per detail;
// any other error as it is.
func describe(what string, err error) error {
	var he *hookd.Error
	if !errors.As(err, &he) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s", what, he.Message, he.Code)
	if st := client.StatusCode(err); st != 0 {
		fmt.Fprintf(&b, ", HTTP %d", st)
	}
	b.WriteString(")")
	details := he.Details
	if len(details) == 1 && details[0].Message == he.Message {
		details = nil // the one field's error is the message: said once
	}
	for _, d := range details {
		b.WriteString("\n  ")
		if d.Path != "" && !strings.HasPrefix(d.Message, d.Path+": ") {
			b.WriteString(d.Path + ": ")
		}
		b.WriteString(d.Message)
	}
	return errors.New(b.String())
}

// show prints v: as indented JSON with --json, else the table rows writes.
func (c *apiCmd) show(v any, rows func(w io.Writer)) error {
	if *c.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	rows(tw)
	return tw.Flush()
}

// fields prints one object as a two-column table of names and values.
func fields(w io.Writer, kv ...any) {
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(w, "%v\t%v\n", kv[i], cell(kv[i+1]))
	}
}

// cell is how a value reads in a table: times in UTC to the second, empty
// values as "-", line breaks, tabs and other control characters escaped
// (\n, \t) so that a value stays in its cell.
func cell(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return "-"
		}
		return x.UTC().Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return "-"
		}
		return cell(*x)
	case []string:
		return cell(strings.Join(x, ","))
	case json.RawMessage:
		return cell(string(x))
	case string:
		if x == "" {
			return "-"
		}
		return oneLine(x)
	}
	return fmt.Sprint(v)
}

// oneLine escapes the control characters of s as Go quotes them.
func oneLine(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// row prints one table row.
func row(w io.Writer, cells ...any) {
	s := make([]string, len(cells))
	for i, v := range cells {
		s[i] = cell(v)
	}
	fmt.Fprintln(w, strings.Join(s, "\t"))
}

// list prints the items of a list, up to --limit, with a header row: a
// table, or a JSON array with --json. Fetching many pages shows a count on
// a terminal, nothing when stderr is not one.
func list[T any](c *apiCmd, what string, seq func(client.ListOptions) iter.Seq2[T, error], header []any, cells func(T) []any) error {
	o := client.ListOptions{Limit: 1000}
	if *c.limit > 0 {
		o.Limit = min(*c.limit, 1000)
	}
	p := newCounter(c.stderr, what)
	var items []T
	for v, err := range seq(o) {
		if err != nil {
			p.done()
			return err
		}
		items = append(items, v)
		p.set(len(items))
		if *c.limit > 0 && len(items) == *c.limit {
			break
		}
	}
	p.done()
	if items == nil {
		items = []T{}
	}
	return c.show(items, func(w io.Writer) {
		row(w, header...)
		for _, v := range items {
			row(w, cells(v)...)
		}
	})
}

// counter counts long work on stderr when it is a terminal: a line that
// rewrites itself at most ten times a second, erased when done.
type counter struct {
	w     io.Writer // nil: quiet
	what  string
	shown bool
	last  time.Time
	start time.Time
}

func newCounter(f *os.File, what string) *counter {
	p := &counter{what: what, start: time.Now()}
	if isTerminal(f) {
		p.w = f
	}
	return p
}

// set shows n, once the work has taken a moment (a quick list prints no
// progress at all).
func (p *counter) set(n int) {
	if p.w == nil || time.Since(p.start) < 500*time.Millisecond || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = time.Now(), true
	fmt.Fprintf(p.w, "\r%d %s…", n, p.what)
}

// say shows a message at once (work of one request, which cannot count).
func (p *counter) say(msg string) {
	if p.w != nil {
		p.shown = true
		fmt.Fprint(p.w, msg)
	}
}

func (p *counter) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// isTerminal reports whether f is a terminal (a character device), not a
// pipe or a file.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// jsonArg reads a JSON flag value: the JSON itself, @FILE, or - for
// standard input.
func (c *apiCmd) jsonArg(name, v string) (json.RawMessage, error) {
	var b []byte
	switch {
	case v == "":
		return nil, nil
	case v == "-":
		var err error
		if b, err = io.ReadAll(os.Stdin); err != nil {
			return nil, err
		}
	case strings.HasPrefix(v, "@"):
		var err error
		if b, err = os.ReadFile(v[1:]); err != nil {
			return nil, c.misuse("--%s: %v", name, err)
		}
	default:
		b = []byte(v)
	}
	if !json.Valid(b) {
		return nil, c.misuse("--%s: not valid JSON (give JSON, @FILE or - for standard input)", name)
	}
	return json.RawMessage(b), nil
}

// compact is JSON on one line, for a table cell.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// parseSeconds reads a length of time as the API takes them: whole
// seconds ("3600") or a Go duration ("1h").
func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/int64(time.Second) {
			return 0, fmt.Errorf("%q: out of range", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q: want whole seconds (3600) or a duration (1h, 90m)", v)
	}
	return d, nil
}

// secondsFlag adds a flag of a length of time, given in seconds or as a
// duration (see parseSeconds).
func secondsFlag(fs *flag.FlagSet, name, usage string) *time.Duration {
	d := new(time.Duration)
	fs.Func(name, usage, func(v string) (err error) {
		*d, err = parseSeconds(v)
		return err
	})
	return d
}

// listFlag is a comma-separated list flag.
func listFlag(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
