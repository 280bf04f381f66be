package engine_test

import (
	"regexp"
	"testing"

	"github.com/medic-dev/medic/internal/engine"
)

func TestIntrinsics(t *testing.T) {
	input := `{"name":"medic","n":3,"list":[1,2,2,3],"obj":{"a":1},"other":{"b":2},"json":"{\"k\":[1]}","b64":"aGVsbG8="}`
	cases := []struct {
		expr, want string
		fails      bool
	}{
		{`States.Format('hello {} #{}', $.name, $.n)`, `"hello medic #3"`, false},
		{`States.Format('\\{literal\\} {}', $.name)`, `"{literal} medic"`, false},
		{`States.Format('it\'s {}', true)`, `"it's true"`, false},
		{`States.Format('{} {}', $.name)`, ``, true},
		{`States.StringToJson($.json)`, `{"k":[1]}`, false},
		{`States.StringToJson('nope')`, ``, true},
		{`States.JsonToString($.obj)`, `"{\"a\":1}"`, false},
		{`States.Array(1, 'two', $.obj, null)`, `[1,"two",{"a":1},null]`, false},
		{`States.ArrayPartition($.list, 3)`, `[[1,2,2],[3]]`, false},
		{`States.ArrayPartition($.list, 0)`, ``, true},
		{`States.ArrayContains($.list, 2)`, `true`, false},
		{`States.ArrayContains($.list, 9)`, `false`, false},
		{`States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`, false},
		{`States.ArrayRange(5, 1, -2)`, `[5,3,1]`, false},
		{`States.ArrayRange(0, 2000, 1)`, ``, true},
		{`States.ArrayGetItem($.list, 3)`, `3`, false},
		{`States.ArrayGetItem($.list, 9)`, ``, true},
		{`States.ArrayLength($.list)`, `4`, false},
		{`States.ArrayLength($.obj)`, ``, true},
		{`States.ArrayUnique($.list)`, `[1,2,3]`, false},
		{`States.Base64Encode('hello')`, `"aGVsbG8="`, false},
		{`States.Base64Decode($.b64)`, `"hello"`, false},
		{`States.Hash('hello', 'SHA-256')`, `"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"`, false},
		{`States.Hash('hello', 'MD5')`, `"5d41402abc4b2a76b9719d911017c592"`, false},
		{`States.Hash('hello', 'SHA-1')`, `"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"`, false},
		{`States.Hash('hello', 'CRC')`, ``, true},
		{`States.JsonMerge($.obj, $.other, false)`, `{"a":1,"b":2}`, false},
		{`States.JsonMerge($.obj, $.other, true)`, ``, true},
		{`States.MathAdd($.n, -5)`, `-2`, false},
		{`States.MathAdd(1.5, 1)`, `3`, false},
		{`States.MathRandom(7, 8)`, `7`, false},
		{`States.MathRandom(1, 100, 42)`, ``, false},
		{`States.StringSplit('a,b,,c', ',')`, `["a","b","c"]`, false},
		{`States.StringSplit('This.is+a,test', '.+,')`, `["This","is","a","test"]`, false},
		{`States.ArrayLength(States.Array(1, 2))`, `2`, false},
		{`States.Format('{}', $$.Execution.Name)`, `"exec-1"`, false},
		{`States.ArrayLength($.missing)`, ``, true},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":` + jsonString(tc.expr) + `},"OutputPath":"$.v","End":true}}}`
			rc := runCase{def: def, input: input, output: tc.want}
			if tc.fails {
				rc.status, rc.err, rc.output = engine.StatusFailed, engine.ErrIntrinsicFailure, ""
			}
			checkRun(t, rc)
		})
	}
}

func TestUUID(t *testing.T) {
	x := run(t, pass(`"Parameters":{"id.$":"States.UUID()"},`), `{}`, nil)
	if !regexp.MustCompile(`^\{"id":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"\}$`).Match(x.Output) {
		t.Errorf("output = %s, want a version 4 UUID", x.Output)
	}
}
