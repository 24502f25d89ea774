package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the real hookd binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookd-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hookd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

var addrLine = regexp.MustCompile(`hookd listening"? addr=(\S+)`)

// proc is a running hookd process.
type proc struct {
	cmd *exec.Cmd
	url string
}

// serve starts the binary on port 0 and waits for its address.
func serve(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--egress-allow", "127.0.0.0/8",
		"--poll-interval", "100ms", "--drain-timeout", "2s", "--allow-unknown-types"}, args...)...)
	cmd.Env = append(os.Environ(), "HOOKD_ADMIN_TOKEN="+testAdmin)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addrLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			if testing.Verbose() {
				fmt.Fprintln(os.Stderr, "  hookd:", sc.Text())
			}
		}
	}()
	select {
	case addr := <-found:
		checkAPI(t, addr)
		return &proc{cmd: cmd, url: "http://" + addr}
	case <-time.After(30 * time.Second):
		t.Fatal("hookd did not start")
		return nil
	}
}

// TestCrashLosesNothing runs a publish load against the real binary, kills
// it with SIGKILL at random moments, restarts it on the same SQLite file, and
// checks that every event answered 202 reached the endpoint.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "crash.db")
	var mu sync.Mutex
	arrived := map[string]int{}
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		arrived[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	p := serve(t, "--db", db)
	a := &testApp{url: p.url}
	tok := a.tenant(t, "crash")
	a.endpoint(t, "crash", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})

	var acked sync.Map
	var ackedN, seq atomic.Int64
	var cur atomic.Pointer[proc]
	cur.Store(p)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("e-%d", seq.Add(1))
				req, _ := http.NewRequest("POST", cur.Load().url+"/v1/tenants/crash/events",
					stringsReader(`{"type":"crash.test","id":"`+id+`","payload":{"n":1}}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == 202 {
					acked.Store(id, true)
					ackedN.Add(1)
				}
			}
		}()
	}
	const kills = 3
	for i := range kills {
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		old := cur.Load()
		old.cmd.Process.Signal(syscall.SIGKILL)
		old.cmd.Wait()
		cur.Store(serve(t, "--db", db))
		t.Logf("kill %d: %d events acknowledged so far", i+1, ackedN.Load())
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	missing := func() (n int, example string) {
		mu.Lock()
		defer mu.Unlock()
		acked.Range(func(k, _ any) bool {
			if arrived[k.(string)] == 0 {
				n++
				example = k.(string)
			}
			return true
		})
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, ex := missing()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged events never arrived (e.g. %s)", n, ex)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	dups := 0
	for _, c := range arrived {
		dups += c - 1
	}
	mu.Unlock()
	t.Logf("%d kills, %d events acknowledged, all delivered; %d duplicates (at-least-once), %d requests in all",
		kills, ackedN.Load(), dups, rc.count())
	if ackedN.Load() == 0 {
		t.Fatal("no event was acknowledged")
	}
}
