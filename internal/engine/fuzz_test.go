package engine

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

var fuzzDoc = []byte(`{"a":{"b":[1,{"c":"x"}],"d":null},"list":[3,1,2],"s":"a,b","n":2.5,"o":{"k":true}}`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.x","StringMatches":"a*"},"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"States.Format('{}',$.a)"},"Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e"}}}],"End":true}}}`,
		`{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}`,
		`{`, `[]`, `{"StartAt":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, def []byte) {
		m, err := Parse(def)
		if err != nil {
			return
		}
		// A definition that validates must run to an end without panicking.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		x := m.Run(ctx, fuzzDoc, Options{Clock: NewInstantClock(time.Unix(0, 0))})
		if x.Status == "" {
			t.Fatal("no status")
		}
	})
}

func FuzzPath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b[1].c", "$['a']['b'][*]", "$..c", "$.list[0:2]", "$.list[-1]", "$.a.b[?(@.c == 'x')]", "$.list[0,2]", "$$.Execution.Id", "$.a.b[?(@ > 1)]", "$[", "$.'"} {
		f.Add(s)
	}
	var doc any
	doc, _ = decodeValue(fuzzDoc)
	// Every object and array of the lazily decoded document is kept as
	// text, however small.
	f.Cleanup(SetMinLazyBytes(1))
	lazyDoc, _ := decodeLazy(fuzzDoc)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePath(s)
		if err != nil {
			return
		}
		v, err := p.eval(doc)
		// A task's result, decoded lazily, selects the same.
		lv, lerr := p.eval(lazyDoc)
		if (err == nil) != (lerr == nil) || encodeString(v) != encodeString(lv) {
			t.Fatalf("%s: on the decoded document = %v, %v; on the lazily decoded one = %v, %v", s, v, err, lv, lerr)
		}
		if p.simple {
			// The fast walk selects what collecting nodes selects.
			w, werr := p.evalNodes(doc)
			if (err == nil) != (werr == nil) || !jsonEqual(v, w) {
				t.Fatalf("%s: evalSimple = %v, %v; evalNodes = %v, %v", s, v, err, w, werr)
			}
		}
		if p.exists(doc) != p.exists(lazyDoc) {
			t.Fatalf("%s: exists differs on the lazily decoded document", s)
		}
		if p.isReference() {
			w, werr := p.set(doc, "v")
			lw, lwerr := p.set(lazyDoc, "v")
			if (werr == nil) != (lwerr == nil) || encodeString(w) != encodeString(lw) {
				t.Fatalf("%s: set = %v, %v; on the lazily decoded document = %v, %v", s, w, werr, lw, lwerr)
			}
		}
	})
}

func FuzzIntrinsic(f *testing.F) {
	for _, s := range []string{
		"States.Format('x={} y={}', $.n, $.s)", "States.StringToJson('{\"a\":1}')", "States.JsonToString($.o)",
		"States.Array(1, 'a', null, true, $.list)", "States.ArrayPartition($.list, 2)", "States.ArrayContains($.list, 1)",
		"States.ArrayRange(1, 10, 3)", "States.ArrayGetItem($.list, 0)", "States.ArrayLength($.list)", "States.ArrayUnique($.list)",
		"States.Base64Encode($.s)", "States.Base64Decode('YQ==')", "States.Hash($.s, 'SHA-512')", "States.JsonMerge($.o, $.a, false)",
		"States.MathRandom(1, 10)", "States.MathAdd(1, $.n)", "States.StringSplit($.s, ',')", "States.UUID()",
		"States.ArrayLength(States.Array(1, 2))", "States.Format('\\{\\} {}', 'it\\'s')", "States.Format(", "States.X()",
	} {
		f.Add(s)
	}
	var doc any
	doc, _ = decodeValue(fuzzDoc)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseIntrinsic(s)
		if err != nil {
			return
		}
		v, err := c.eval(doc, map[string]any{})
		if err == nil {
			if _, merr := json.Marshal(v); merr != nil {
				t.Fatalf("%s gave an unmarshalable value: %v", s, merr)
			}
		}
	})
}
