package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The import rules of docs/DESIGN.md ("Packages"), checked against what `go list` says the
// packages import. A pattern is an import path, or a path ending in "/..." for it and
// everything below it.

// An importScope says which imports of a package a rule looks at.
type importScope int

const (
	// scopeDeps: every package the package's non-test code imports, directly or not.
	scopeDeps importScope = iota
	// scopeDirect: only the imports written in the package's non-test files.
	scopeDirect
	// scopeTests: only the imports written in the package's _test.go files (both packages).
	scopeTests
)

// An importRule says that the packages matching from (but not except) must not import what
// matches forbid; with stdlibOnly, they may import nothing outside the standard library but
// what matches allow.
type importRule struct {
	from, except []string
	forbid       []string
	stdlibOnly   bool
	allow        []string
	scope        importScope
	why          string // "the design says …", completed by where it says so
}

const designRef = " (docs/DESIGN.md, Packages)"

var importRules = []importRule{
	{
		from:   []string{"caltray/sync/..."},
		forbid: []string{"caltray/ui/...", "fyne.io/..."},
		why:    "the design says sync knows nothing of the UI and builds without cgo",
	},
	{
		from:   []string{"caltray/sync/..."},
		except: []string{"caltray/sync/graph", "caltray/sync/fakegraph"},
		forbid: []string{"caltray/sync/graph", "caltray/sync/fakegraph"},
		why:    "the design says sync never sees Graph",
	},
	{
		from:   []string{"caltray/..."},
		except: []string{"caltray", "caltray/sync/..."},
		forbid: []string{"caltray/sync/fakegraph"},
		why:    "the design says the simulated Graph is for tests and --demo, which main wires",
	},
	{
		from:   []string{"caltray/runner/..."},
		forbid: []string{"caltray/sync/...", "caltray/ui/..."},
		why:    "the design says the runner knows nothing of Graph, sync or the UI",
	},
	{
		from:       []string{"caltray/runner/..."},
		stdlibOnly: true,
		allow:      []string{"caltray/runner/...", "github.com/sony/gobreaker/..."},
		why:        "the design says the runner imports the standard library and gobreaker only",
	},
	{
		from:       []string{"caltray/sync/inert"},
		stdlibOnly: true,
		why:        "the design says inert imports the standard library only",
	},
	{
		from:   []string{"caltray/ui/..."},
		forbid: []string{"caltray/sync/graph", "caltray/sync/auth", "github.com/microsoftgraph/..."},
		why:    "the design says the UI never calls Graph and never holds the sign-in",
	},
	{
		from:   []string{"caltray/..."},
		except: []string{"caltray/sync/graph"},
		forbid: []string{"github.com/microsoftgraph/..."},
		scope:  scopeDirect,
		why:    "the design says only sync/graph imports the Graph SDK",
	},
	{
		from:   []string{"caltray/..."},
		forbid: []string{"github.com/microsoftgraph/msgraph-sdk-go", "github.com/microsoftgraph/msgraph-sdk-go/users/..."},
		why:    "the design says nobody imports the Graph SDK's root or users package (36 s to re-link, against 1 s for models)",
	},
	{
		from:   []string{"caltray/runner/...", "caltray/sync/...", "caltray/ui/model", "caltray/ui/notify", "caltray/ui/autostart"},
		forbid: []string{"fyne.io/..."},
		why:    "the design says the packages that need no cgo stay free of Fyne",
	},
	{
		from:   []string{"caltray/ui/tray", "caltray/ui/ipc"},
		forbid: []string{"fyne.io/fyne/..."},
		why:    "the design says the tray process starts no Fyne app or driver (no GL, no 60 Hz ticker)",
	},
	{
		from:       []string{"caltray/ui/ipc"},
		stdlibOnly: true,
		allow:      []string{"caltray/ui/ipc", "caltray/sync", "caltray/runner", "caltray/sync/...", "caltray/runner/...", "github.com/sony/gobreaker/...", "github.com/failsafe-go/..."},
		scope:      scopeDirect,
		why:        "the design says the protocol imports the standard library and caltray's sync and runner types only",
	},
	{
		from:       []string{"caltray/sync/preset"},
		stdlibOnly: true,
		allow:      []string{"caltray/sync", "caltray/sync/origin"},
		scope:      scopeDirect,
		why:        "the design says the managed configuration's reader imports the standard library, sync (the settings) and origin (the Graph URL's rule) only",
	},
	// Tests may use the real Graph source against the simulated Graph wherever they are: the
	// standards ask for real parts, and a test file is not the design's layering. Test imports
	// are checked only for the UI, which must never see the Graph source.
	{
		from:   []string{"caltray/ui/..."},
		forbid: []string{"caltray/sync/graph", "github.com/microsoftgraph/..."},
		scope:  scopeTests,
		why:    "the design says the UI never calls Graph, its tests included",
	},
}

// matchPattern reports whether path matches pattern: equal to it, or, for "x/...", x or below x.
func matchPattern(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matchPattern(p, path) })
}

// listedPackage is what `go list -json` says of a package, as far as the rules need.
type listedPackage struct {
	ImportPath   string
	Standard     bool
	Deps         []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// checkImports returns the rules' violations among pkgs (keyed by import path) for the given
// scopes, one line per importing package and imported package, sorted. The first rule a pair
// breaks gives its reason. It returns, too, the rules that applied to no package at all.
func checkImports(rules []importRule, pkgs map[string]*listedPackage, scopes ...importScope) (violations []string, idle []int) {
	seen := map[[2]string]bool{}
	var paths []string
	for path := range pkgs {
		if path == "caltray" || strings.HasPrefix(path, "caltray/") {
			paths = append(paths, path)
		}
	}
	slices.Sort(paths)
	for i, r := range rules {
		if !slices.Contains(scopes, r.scope) {
			continue
		}
		applied := false
		for _, path := range paths {
			if !matchAny(r.from, path) || matchAny(r.except, path) {
				continue
			}
			applied = true
			p := pkgs[path]
			var imported []string
			switch r.scope {
			case scopeDeps:
				imported = p.Deps
			case scopeDirect:
				imported = p.Imports
			case scopeTests:
				imported = append(slices.Clone(p.TestImports), p.XTestImports...)
			}
			for _, dep := range imported {
				if dep == path || seen[[2]string{path, dep}] {
					continue
				}
				bad := matchAny(r.forbid, dep)
				if r.stdlibOnly && !matchAny(r.allow, dep) {
					if d, ok := pkgs[dep]; ok && !d.Standard {
						bad = true
					} else if !ok && strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
						bad = true // not listed (the self-test's packages): a dotted first element is not std
					}
				}
				if !bad {
					continue
				}
				seen[[2]string{path, dep}] = true
				violations = append(violations, describe(pkgs, path, dep, r))
			}
		}
		if !applied {
			idle = append(idle, i)
		}
	}
	slices.Sort(violations)
	return violations, idle
}

// describe says that path imports dep, through which package if not directly, and why not.
func describe(pkgs map[string]*listedPackage, path, dep string, r importRule) string {
	subject := path + " imports"
	if r.scope == scopeTests {
		subject = path + "'s tests import"
	}
	via := ""
	if r.scope == scopeDeps {
		if chain := importChain(pkgs, path, dep); len(chain) > 2 {
			via = " (through " + strings.Join(chain[1:len(chain)-1], " → ") + ")"
		}
	}
	return fmt.Sprintf("%s %s%s: %s%s", subject, dep, via, r.why, designRef)
}

// importChain returns a shortest import path from one package to another, both ends included,
// or nil if the listed imports do not connect them.
func importChain(pkgs map[string]*listedPackage, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for p := to; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		if p, ok := pkgs[cur]; ok {
			for _, next := range p.Imports {
				if _, done := prev[next]; !done {
					prev[next] = cur
					queue = append(queue, next)
				}
			}
		}
	}
	return nil
}

// goList runs `go list -deps -json` over the module once and returns every package it lists.
func goList(t *testing.T) map[string]*listedPackage {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-e", "-deps",
		"-json=ImportPath,Standard,Deps,Imports,TestImports,XTestImports,Error", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	pkgs := map[string]*listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPackage)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list: decode its output: %v", err)
		}
		if p.Error != nil && (p.ImportPath == "caltray" || strings.HasPrefix(p.ImportPath, "caltray/")) {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = p
	}
	if pkgs["caltray"] == nil {
		t.Fatalf("go list listed no package caltray; is the test running at the module's root? (%s)", must(os.Getwd()))
	}
	return pkgs
}

func must[T any](v T, _ error) T { return v }

// TestImportRules checks the import rules of docs/DESIGN.md on the module as it is.
func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	pkgs := goList(t)
	check := func(t *testing.T, scopes ...importScope) {
		violations, idle := checkImports(importRules, pkgs, scopes...)
		for _, v := range violations {
			t.Error(v)
		}
		for _, i := range idle {
			t.Errorf("import rule %d (%s) applies to no package: was a package renamed?", i, importRules[i].why)
		}
	}
	t.Run("code", func(t *testing.T) { check(t, scopeDeps, scopeDirect) })
	t.Run("tests", func(t *testing.T) { check(t, scopeTests) })
}

// TestImportRuleChecker makes sure the checker can fail: the matcher, and the checker on a
// made-up module.
func TestImportRuleChecker(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"caltray/sync/...", "caltray/sync", true},
		{"caltray/sync/...", "caltray/sync/graph", true},
		{"caltray/sync/...", "caltray/sync/graph/internal/x", true},
		{"caltray/sync/...", "caltray/syncer", false},
		{"caltray/sync/...", "caltray", false},
		{"caltray/sync", "caltray/sync", true},
		{"caltray/sync", "caltray/sync/graph", false},
		{"github.com/microsoftgraph/msgraph-sdk-go", "github.com/microsoftgraph/msgraph-sdk-go/models", false},
		{"github.com/microsoftgraph/msgraph-sdk-go/users/...", "github.com/microsoftgraph/msgraph-sdk-go/users", true},
		{"github.com/microsoftgraph/msgraph-sdk-go/users/...", "github.com/microsoftgraph/msgraph-sdk-go-core", false},
		{"fyne.io/...", "fyne.io/fyne/v2", true},
		{"fyne.io/...", "fyne.iox/fyne", false},
	} {
		if got := matchPattern(c.pattern, c.path); got != c.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}

	pkg := func(path string, imports ...string) *listedPackage {
		return &listedPackage{ImportPath: path, Imports: imports, Standard: !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") && !strings.HasPrefix(path, "caltray")}
	}
	pkgs := map[string]*listedPackage{
		"caltray":                pkg("caltray", "caltray/sync/agenda", "caltray/sync/graph"),
		"caltray/sync":           pkg("caltray/sync", "caltray/runner", "time"),
		"caltray/sync/agenda":    pkg("caltray/sync/agenda", "caltray/sync", "caltray/sync/graph"),
		"caltray/sync/graph":     pkg("caltray/sync/graph", "caltray/sync", "github.com/microsoftgraph/msgraph-sdk-go/models"),
		"caltray/sync/fakegraph": pkg("caltray/sync/fakegraph", "net/http"),
		"caltray/sync/inert":     pkg("caltray/sync/inert", "strings", "golang.org/x/text"),
		"caltray/sync/preset":    pkg("caltray/sync/preset", "caltray/sync", "strings"),
		"caltray/runner":         pkg("caltray/runner", "github.com/sony/gobreaker/v2", "time"),
		"caltray/ui":             pkg("caltray/ui", "caltray/sync/agenda", "fyne.io/fyne/v2"),
		"caltray/ui/model":       pkg("caltray/ui/model", "caltray/sync"),
		"caltray/ui/autostart":   pkg("caltray/ui/autostart", "os"),
		"caltray/ui/tray":        pkg("caltray/ui/tray", "caltray/ui/ipc", "caltray/ui/model"),
		"caltray/ui/ipc":         pkg("caltray/ui/ipc", "caltray/sync", "time"),
		"github.com/microsoftgraph/msgraph-sdk-go/models": pkg("github.com/microsoftgraph/msgraph-sdk-go/models"),
		"github.com/sony/gobreaker/v2":                    pkg("github.com/sony/gobreaker/v2", "sync"),
		"golang.org/x/text":                               pkg("golang.org/x/text"),
		"fyne.io/fyne/v2":                                 pkg("fyne.io/fyne/v2"),
		"net/http":                                        pkg("net/http"),
		"os":                                              pkg("os"),
		"strings":                                         pkg("strings"),
		"sync":                                            pkg("sync"),
		"time":                                            pkg("time"),
	}
	// Deps is the transitive closure of Imports, as go list computes it.
	for path, p := range pkgs {
		chain := map[string]bool{}
		var walk func(string)
		walk = func(q string) {
			for _, d := range pkgs[q].Imports { // every import is listed, as with go list -deps
				if !chain[d] {
					chain[d] = true
					walk(d)
				}
			}
		}
		walk(path)
		for d := range chain {
			p.Deps = append(p.Deps, d)
		}
		slices.Sort(p.Deps)
	}
	pkgs["caltray/ui"].XTestImports = []string{"caltray/ui", "caltray/sync/graph"}
	pkgs["caltray/sync/graph"].TestImports = []string{"caltray/sync/fakegraph"}

	why := func(i int) string { return importRules[i].why + designRef }
	got, idle := checkImports(importRules, pkgs, scopeDeps, scopeDirect)
	want := []string{
		"caltray/sync/agenda imports caltray/sync/graph: " + why(1),
		"caltray/sync/inert imports golang.org/x/text: " + why(5),
		"caltray/ui imports caltray/sync/graph (through caltray/sync/agenda): " + why(6),
		"caltray/ui imports github.com/microsoftgraph/msgraph-sdk-go/models (through caltray/sync/agenda → caltray/sync/graph): " + why(6),
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkImports on the made-up module:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if len(idle) != 0 {
		t.Errorf("checkImports calls rules %v idle on the made-up module; each applies to one of its packages", idle)
	}

	got, _ = checkImports(importRules, pkgs, scopeTests)
	want = []string{"caltray/ui's tests import caltray/sync/graph: " + why(len(importRules)-1)}
	if !slices.Equal(got, want) {
		t.Errorf("checkImports of test imports on the made-up module:\n got: %q\nwant: %q", got, want)
	}

	// A rule that applies to nothing is reported, so a rename cannot quietly turn a rule off.
	_, idle = checkImports([]importRule{{from: []string{"caltray/nosuch"}, forbid: []string{"fyne.io/..."}}}, pkgs, scopeDeps)
	if !slices.Equal(idle, []int{0}) {
		t.Errorf("a rule for no package: idle = %v, want [0]", idle)
	}
}
