package target

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// TestJSONFileReadsLikeEncodingJSON checks that JSON the YAML parser would
// misread (escapes, tabs) gives the values encoding/json gives.
func TestJSONFileReadsLikeEncodingJSON(t *testing.T) {
	bodies := []string{
		`"https:\/\/x"`, `"\u00e9 caf\u00E9"`, `"\ud83d\ude00 smile"`, `"lone \ud800 surrogate"`,
		`"ctl \u0001 nl \n tab \t quote \" slash \\ \u0022 \u005c"`, `"plain"`, `""`,
	}
	for _, b := range bodies {
		var want string
		if err := json.Unmarshal([]byte(b), &want); err != nil {
			t.Fatal(err)
		}
		src := "{\n\t\"targets\": [\n\t\t{\"name\": \"a\", \"url\": \"https:\\/\\/a.example\", \"expect\": {\"body\": " + b + "}}\n\t]\n}"
		f, err := ParseFile("config/targets.json", []byte(src), Options{})
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if len(f.Targets) != 1 || *f.Targets[0].Expect.Body != want || f.Targets[0].URL != "https://a.example" {
			t.Errorf("%s: targets %+v problems %v, want body %q", b, f.Targets, f.Problems, want)
		}
	}
}

func FuzzJSONAsYAML(f *testing.F) {
	f.Add(`"https:\/\/x \ud83d\ude00 \u0001 \t"`)
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(`{"targets":[{"name":"a","url":"https://a.example","expect":{"body":` + s + `}}]}`)
		var doc struct {
			Targets []struct {
				Expect struct{ Body string } `json:"expect"`
			} `json:"targets"`
		}
		if json.Unmarshal(b, &doc) != nil {
			return
		}
		want := doc.Targets[0].Expect.Body
		if !json.Valid([]byte(s)) || !utf8.ValidString(s) {
			return
		}
		f, err := ParseFile("t.json", b, Options{})
		if err != nil {
			t.Fatalf("valid JSON rejected: %v", err)
		}
		if len(f.Targets) == 1 && *f.Targets[0].Expect.Body != want {
			t.Fatalf("body %q, encoding/json reads %q", *f.Targets[0].Expect.Body, want)
		}
	})
}
