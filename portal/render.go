package portal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"signin", "error", "endpoints", "endpoint", "endpoint_form", "delivery", "catalog", "events", "ops"}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if t == nil {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	// beyond is an attempt's or a delivery's error where it says more
	// than its status: "" for the "HTTP 500" of a 500.
	"beyond": func(status int, err string) string {
		if status != 0 && err == "HTTP "+strconv.Itoa(status) {
			return ""
		}
		return err
	},
	"join":       strings.Join,
	"pathEscape": url.PathEscape,
	"pct": func(ok, all int) string {
		if all == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f %%", 100*float64(ok)/float64(all))
	},
	"json": func(b []byte) string {
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") != nil {
			return string(b)
		}
		return out.String()
	},
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
}

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
		pages[name] = t
	}
	return pages
}

// render writes a page; a template error (a bug) is logged and answered
// 500 with a plain sentence, never a half page.
func (s *Server) render(w http.ResponseWriter, status int, page string, v *view, data any) {
	v.Data = data
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.Log.Error("portal template failed", "page", page, "err", err)
		http.Error(w, "The page could not be drawn.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func newLoginToken() (string, string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, t, nil
}

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

func jsonDecode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// invalid reports whether err is a refusal of the input, to be shown
// beside the form's fields rather than as an error page.
func invalid(err error) bool {
	c := hookd.ErrorCode(err)
	return c == hookd.EINVALID || c == hookd.EUNPROCESSABLE || c == hookd.ECONFLICT
}
