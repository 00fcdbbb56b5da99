package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
)

// parseTree builds the kiota parse tree of a JSON body in one pass. It is what
// jsonserialization.NewJsonParseNode builds, but that walks the body token by token through an
// encoding/json Decoder, which allocates for every token and took 40% of List's time; the
// models then parse this tree exactly as they would kiota's. Objects are
// map[string]*JsonParseNode, arrays []*JsonParseNode (empty, never nil), strings *string,
// numbers *float64, booleans *bool, and null a nil node, as in kiota. body must already have
// passed json.Valid: parseTree checks structure only far enough never to panic.
func parseTree(body []byte) (*jsonserialization.JsonParseNode, error) {
	var p treeParser
	return p.parse(body)
}

// parse is parseTree with p's interned names, stacks and slabs kept from one call to the next
// (decodePage parses a page's events with one treeParser). The tree it returns lives in p's
// slabs: call release once it is no longer used, before the next parse.
func (p *treeParser) parse(body []byte) (*jsonserialization.JsonParseNode, error) {
	p.b, p.i = body, 0
	if p.keys == nil {
		p.keys = make(map[string]string)
	}
	n, err := p.value(0)
	if err == nil && p.skipSpace() && p.i != len(p.b) {
		err = p.errorf("data after the top-level value")
	}
	// An error leaves the members read so far on the stacks.
	clear(p.pairs)
	clear(p.items)
	p.pairs, p.items, p.b = p.pairs[:0], p.items[:0], nil
	if err != nil {
		return nil, err
	}
	return n, nil
}

// release rewinds the slabs over the last tree parsed, which must no longer be used, and
// drops what it referenced: a treeParser kept for a page holds no event past its own.
func (p *treeParser) release() {
	p.nodes.release()
	p.strs.release()
}

type treeParser struct {
	b []byte
	i int
	// keys interns object keys: every event repeats the same dozen names. At most
	// maxInterned names of at most maxInternedLen bytes are kept, whatever a page holds.
	keys map[string]string
	// pairs and items are stacks shared by all nesting levels: an object's members (an
	// array's elements) are collected here and then copied into a map (slice) of the right
	// size, instead of growing one per object.
	pairs []pair
	items []*jsonserialization.JsonParseNode
	// nodes and strs are slabs that nodes and string values are cut from, one allocation
	// for many.
	nodes slab[jsonserialization.JsonParseNode]
	strs  slab[string]
}

const maxInterned, maxInternedLen = 1024, 64

// A slab hands out the elements of a chunk of 256 one by one, then starts a new chunk; the
// chunks it has moved past live as long as the trees that point into them.
type slab[T any] struct {
	chunk []T
	n     int // chunk[:n] is handed out
}

func (s *slab[T]) next() *T {
	if s.n == len(s.chunk) {
		s.chunk, s.n = make([]T, 256), 0
	}
	s.n++
	return &s.chunk[s.n-1]
}

// release zeroes the current chunk's elements handed out and hands them out again.
func (s *slab[T]) release() {
	clear(s.chunk[:s.n])
	s.n = 0
}

type pair struct {
	key string
	val *jsonserialization.JsonParseNode
}

// maxDepth matches encoding/json's nesting limit, which json.Valid enforces first.
const maxDepth = 10000

func (p *treeParser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

// skipSpace skips white space; it returns true, for use in conditions.
func (p *treeParser) skipSpace() bool {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return true
		}
	}
	return true
}

// next skips white space and returns the next byte, or 0 at the end.
func (p *treeParser) next() byte {
	p.skipSpace()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *treeParser) node(v any) *jsonserialization.JsonParseNode {
	n := p.nodes.next()
	n.SetValue(v)
	return n
}

func (p *treeParser) value(depth int) (*jsonserialization.JsonParseNode, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested too deeply")
	}
	switch c := p.next(); c {
	case '{':
		return p.object(depth)
	case '[':
		return p.array(depth)
	case '"':
		s, err := p.str(false)
		if err != nil {
			return nil, err
		}
		v := p.strs.next()
		*v = s
		return p.node(v), nil
	case 't', 'f', 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
				p.i += len(lit)
				if lit == "null" {
					return nil, nil
				}
				b := lit == "true"
				return p.node(&b), nil
			}
		}
		return nil, p.errorf("unknown literal")
	default:
		start := p.i
		for p.i < len(p.b) && isNumberByte(p.b[p.i]) {
			p.i++
		}
		if p.i == start {
			return nil, p.errorf("unexpected %q", c)
		}
		// Without UseNumber (kiota sets none) encoding/json makes every number a float64, and
		// one out of its range an error.
		f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON number at byte %d: %w", start, err)
		}
		return p.node(&f), nil
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (p *treeParser) object(depth int) (*jsonserialization.JsonParseNode, error) {
	p.i++ // {
	start := len(p.pairs)
	if p.next() == '}' {
		p.i++
		return p.node(make(map[string]*jsonserialization.JsonParseNode)), nil
	}
	for {
		if p.next() != '"' {
			return nil, p.errorf("expected a member name")
		}
		key, err := p.str(true)
		if err != nil {
			return nil, err
		}
		if p.next() != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.i++
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.pairs = append(p.pairs, pair{key, val})
		c := p.next()
		p.i++
		if c == '}' {
			break
		}
		if c != ',' {
			p.i--
			return nil, p.errorf("expected ',' or '}'")
		}
	}
	m := make(map[string]*jsonserialization.JsonParseNode, len(p.pairs)-start)
	for _, kv := range p.pairs[start:] {
		m[kv.key] = kv.val // a repeated name: the last wins, as in kiota
	}
	clear(p.pairs[start:])
	p.pairs = p.pairs[:start]
	return p.node(m), nil
}

func (p *treeParser) array(depth int) (*jsonserialization.JsonParseNode, error) {
	p.i++ // [
	start := len(p.items)
	if p.next() == ']' {
		p.i++
		return p.node(make([]*jsonserialization.JsonParseNode, 0)), nil
	}
	for {
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, val)
		c := p.next()
		p.i++
		if c == ']' {
			break
		}
		if c != ',' {
			p.i--
			return nil, p.errorf("expected ',' or ']'")
		}
	}
	s := make([]*jsonserialization.JsonParseNode, len(p.items)-start)
	copy(s, p.items[start:])
	clear(p.items[start:])
	p.items = p.items[:start]
	return p.node(s), nil
}

var errUnterminated = errors.New("unterminated string")

// str reads the string starting at p.i (a '"'). Strings without escapes that are valid UTF-8
// are taken as they are; the rest go through encoding/json, so that escapes, surrogates and
// invalid bytes come out exactly as kiota's Decoder makes them.
func (p *treeParser) str(intern bool) (string, error) {
	start := p.i
	p.i++
	plain := true
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '\\':
			plain = false
			p.i++ // the escaped byte cannot end the string
		case c == '"':
			p.i++
			raw := p.b[start+1 : p.i-1]
			if plain && utf8.Valid(raw) {
				if !intern {
					return string(raw), nil
				}
				if k, ok := p.keys[string(raw)]; ok {
					return k, nil
				}
				k := string(raw)
				if len(p.keys) < maxInterned && len(k) <= maxInternedLen {
					p.keys[k] = k
				}
				return k, nil
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", fmt.Errorf("invalid JSON string at byte %d: %w", start, err)
			}
			return s, nil
		}
	}
	return "", fmt.Errorf("at byte %d: %w", start, errUnterminated)
}
