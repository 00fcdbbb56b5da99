// Command bench-memory measures what hostile Graph pages cost caltray in memory: "serve" runs
// a loopback Graph that streams the payloads (generated on the fly, so the server holds none
// of them), and "read" runs the real graph.Source against one of them, in its own process, so
// that /usr/bin/time -v reports the reader's peak RSS alone. scripts/bench-memory.sh runs
// every case; see docs/BENCHMARKS.md.
//
//	bench-memory serve -addr 127.0.0.1:0        prints the URL on stdout
//	bench-memory read -url URL -case NAME [-pagesize N] [-list]
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	calsync "caltray/sync"
	"caltray/sync/graph"
)

var (
	from = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	to   = from.AddDate(0, 0, 8)
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench-memory serve|read ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "read":
		read(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "usage: bench-memory serve|read ...")
		os.Exit(2)
	}
}

// event writes one event of about 620 bytes (the size of the 95k-event, 59 MB page of the
// issue), with a body of bodyBytes when it is not 0 (delta pages carry whole events).
func event(w io.Writer, i, bodyBytes int) {
	start := from.Add(time.Duration(i%(7*24*60)) * time.Minute)
	fmt.Fprintf(w, `{"id":"AAMkADAwATMwMAItMTIzNC00NTY3LTg5MDAtMTIzNDU2Nzg5MDEyAEYAAAAAAAA-%08d",`+
		`"subject":"Weekly planning %d","bodyPreview":"Agenda: review, plan.",`+
		`"isAllDay":false,"isCancelled":false,"isOnlineMeeting":true,"showAs":"busy","webLink":"https://outlook.office365.com/owa/?itemid=AAMk%08d&exvsurl=1&path=/calendar/item",`+
		`"responseStatus":{"response":"accepted"},`+
		`"start":{"dateTime":%q,"timeZone":"UTC"},"end":{"dateTime":%q,"timeZone":"UTC"},`+
		`"location":{"displayName":"Room 4.12"},"organizer":{"emailAddress":{"name":"Adele Vance","address":"adele@contoso.com"}}`,
		i, i, i, start.Format("2006-01-02T15:04:05.0000000"), start.Add(30*time.Minute).Format("2006-01-02T15:04:05.0000000"))
	if bodyBytes > 0 {
		fmt.Fprintf(w, `,"body":{"contentType":"html","content":"<html><body>%s</body></html>"}`, strings.Repeat("<p>x</p>", bodyBytes/8))
	}
	io.WriteString(w, "}")
}

func page(w io.Writer, base string, n, bodyBytes int) {
	bw := bufio.NewWriterSize(w, 64<<10)
	io.WriteString(bw, `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Collection(event)","value":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		event(bw, i, bodyBytes)
	}
	fmt.Fprintf(bw, `],"@odata.deltaLink":"%s/v1.0/me/calendarView/delta?$deltatoken=done"}`, base)
	bw.Flush()
}

// bomb is 1 GiB of JSON once gunzipped: one event whose subject never ends.
func bomb() []byte {
	var b strings.Builder
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	io.WriteString(zw, `{"value":[{"id":"bomb","subject":"`)
	chunk := []byte(strings.Repeat("A", 1<<20))
	for range 1 << 10 {
		zw.Write(chunk)
	}
	io.WriteString(zw, `"}]}`)
	zw.Close()
	return []byte(b.String())
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	base := "http://" + ln.Addr().String()
	gz := bomb()
	// Cases are the first path element: /big/v1.0/me/calendarView/delta.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
		prefix := base + "/" + name
		switch name {
		case "empty":
			page(w, prefix, 0, 0)
		case "big": // the page: 95,000 events, 59 MB, on one page
			page(w, prefix, 95000, 0)
		case "max": // the most a sync keeps: 20,000 events (12 MB) on one page
			page(w, prefix, 20000, 0)
		case "bodies": // a page of 1,000 whole events with 100 KiB HTML bodies: 100 MB
			page(w, prefix, 1000, 100<<10)
		case "bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz)
		default:
			http.NotFound(w, r)
		}
	})
	fmt.Println(base)
	os.Stdout.Sync()
	http.Serve(ln, h)
}

func read(args []string) {
	fs := flag.NewFlagSet("read", flag.ExitOnError)
	url := fs.String("url", "", "the server's URL")
	name := fs.String("case", "empty", "empty, big, max, bodies or bomb")
	pageSize := fs.Int("pagesize", 0, "Prefer: odata.maxpagesize (0: the source's default)")
	list := fs.Bool("list", false, "List (calendarView) rather than Sync (delta)")
	fs.Parse(args)
	base := *url + "/" + *name + "/v1.0"
	auth, err := graph.StaticToken("bench-token", base)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	src, err := graph.New(graph.Options{BaseURL: base, Auth: auth, PageSize: *pageSize, Timeout: 5 * time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	var n int
	if *list {
		var apps []calsync.Appointment
		apps, err = src.List(context.Background(), from, to)
		n = len(apps)
	} else {
		var d calsync.Delta
		d, err = src.Sync(context.Background(), from, to, calsync.Delta{})
		n = len(d.Appointments)
	}
	msg := "ok"
	if err != nil {
		msg = err.Error()
		if len(msg) > 160 {
			msg = msg[:160] + "…"
		}
	}
	fmt.Printf("case=%s appointments=%d time=%s result=%s\n", *name, n, time.Since(start).Round(time.Millisecond), msg)
}
