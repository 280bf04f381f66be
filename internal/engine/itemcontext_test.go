package engine

import (
	"reflect"
	"testing"
)

// TestItemContextMatchesObject: every path reads from an ItemSelector's
// item context exactly what it reads from the context object itself, with
// the same error, whether it is read in place or not.
func TestItemContextMatchesObject(t *testing.T) {
	item, err := decodeLazy([]byte(`{"targets":["a","b"],"n":{"m":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]any{
		"Execution":    map[string]any{"Name": "run-1", "Id": "arn:x"},
		"StateMachine": map[string]any{"Name": "sm"},
		"State":        map[string]any{"Name": "M", "EnteredTime": "t"},
	}
	for _, src := range []string{
		"$$", "$$.Map", "$$.Map.Item", "$$.Map.Item.Index", "$$.Map.Item.Value",
		"$$.Map.Item.Value.targets", "$$.Map.Item.Value.targets[1]", "$$.Map.Item.Value.n.m",
		"$$.Map.Item.Value.missing", "$$.Map.Item.Index.x", "$$.Map.Item.Other", "$$.Map.Other",
		"$$.Execution.Name", "$$.Execution", "$$.StateMachine.Name", "$$.State.Missing", "$$.Task",
		"$$.Map.Item.Value.targets[*]", "$$..Name", "$$.Map.Item.Value['targets'][0]",
	} {
		t.Run(src, func(t *testing.T) {
			p, err := parsePath(src)
			if err != nil {
				t.Fatal(err)
			}
			c := &itemContext{state: state, index: 3, value: item}
			got, gotErr := p.eval(c)
			want, wantErr := p.eval((&itemContext{state: state, index: 3, value: item}).object())
			if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if encodeString(got) != encodeString(want) || reflect.TypeOf(norm(got)) != reflect.TypeOf(norm(want)) {
				t.Fatalf("got %s, want %s", encodeString(got), encodeString(want))
			}
			if _, leaked := got.(*itemContext); leaked {
				t.Fatal("the item context itself leaked into a value")
			}
		})
	}
}

// TestItemSelectorMissingContextPath: the error of a context path that
// selects nothing shows the context object, as before.
func TestItemSelectorMissingContextPath(t *testing.T) {
	tpl, err := compileTemplate(map[string]any{"x.$": "$$.Map.Item.Value.missing"}, "ItemSelector")
	if err != nil {
		t.Fatal(err)
	}
	c := &itemContext{state: map[string]any{"Execution": map[string]any{"Name": "r"}}, index: 0, value: map[string]any{"a": 1.0}}
	_, err = tpl.apply(map[string]any{}, c)
	want := `the JSONPath '$$.Map.Item.Value.missing' specified for the field 'x.$' could not be found in the input '{"Execution":{"Name":"r"},"Map":{"Item":{"Index":0,"Value":{"a":1}}},"State":null,"StateMachine":null}'`
	if err == nil || err.(*Failure).Cause != want {
		t.Fatalf("got %v, want cause %s", err, want)
	}
}
