package target

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// PulsePrefix is where pulse files live in the bucket.
const PulsePrefix = "pulse/"

// pulseSpec is a pulse file as written: the original {"url","body"} format
// plus an optional heartbeat and channels.
type pulseSpec struct {
	URL       *string   `json:"url"`
	Body      *string   `json:"body"`
	Heartbeat *Duration `json:"heartbeat"`
	Channels  *[]string `json:"channels"`
	Retired   *bool     `json:"retired"`
}

// ErrRetired is ParsePulse's answer for a retired pulse file,
// {"retired": true}: its target is no longer monitored, on purpose, and
// medic forgets it without announcing it lost.
var ErrRetired = errors.New("the pulse file retires its target")

// PulseName returns the target name a pulse key stands for:
// "pulse/web.json" is "web". The name is not validated here.
func PulseName(key string) (string, error) {
	rest, ok := strings.CutPrefix(key, PulsePrefix)
	if !ok {
		return "", fmt.Errorf("%q is not under %s", key, PulsePrefix)
	}
	name, ok := strings.CutSuffix(rest, ".json")
	if !ok {
		return "", fmt.Errorf("%q does not end in .json", key)
	}
	return name, nil
}

// ParsePulse parses the pulse file at key (pulse/<name>.json). The file is
// JSON: {"url": "...", "body": "..."} probes url and expects exactly body;
// "heartbeat": "5m" makes it a push target whose file must be re-uploaded
// within that duration (without url nothing is probed); "channels" names
// where alerts go. Unknown keys are rejected. The target takes the defaults
// d (File.Defaults of the targets file, or the zero Defaults). A file that
// is exactly {"retired": true} returns ErrRetired. On failure the error is
// a Problems naming the key, the target and the field.
func ParsePulse(key string, data []byte, d Defaults) (Target, error) {
	name, err := PulseName(key)
	if err != nil {
		return Target{}, Problems{{Source: key, Error: fmt.Sprintf("not a pulse file: %v (pulse files are %s<target>.json)", err, PulsePrefix)}}
	}
	fail := func(field, format string, args ...any) error {
		return Problems{{Source: key, Target: name, Field: field, Error: fmt.Sprintf(format, args...)}}
	}
	var p pulseSpec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return Target{}, fail("", `must be a JSON object like {"url": "https://...", "body": "ok"}`)
	}
	if err := dec.Decode(&p); err != nil {
		return Target{}, pulseDecodeError(key, name, data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Target{}, fail("", "unexpected data after the JSON object")
	}

	if p.Retired != nil {
		if !*p.Retired || p.URL != nil || p.Body != nil || p.Heartbeat != nil || p.Channels != nil {
			return Target{}, fail("retired", `a retired pulse file is exactly {"retired": true}`)
		}
		return Target{}, ErrRetired
	}
	s := targetSpec{Name: &name, URL: p.URL, Channels: p.Channels}
	if p.Body != nil {
		s.Expect = &expectSpec{Body: p.Body}
	}
	heartbeat := p.Heartbeat != nil
	if heartbeat {
		if *p.Heartbeat <= 0 {
			return Target{}, fail("heartbeat", "heartbeat must be more than 0, like \"5m\"")
		}
		s.StaleAfter = p.Heartbeat
	}
	if p.URL == nil && !heartbeat {
		return Target{}, fail("url", `url is required (or heartbeat, like "5m", for a push target that is not probed)`)
	}
	if p.URL == nil && p.Body != nil {
		return Target{}, fail("body", "body needs a url to probe")
	}
	// Whoever may write pulse/ chooses the URL: the defaults' secret
	// headers, basic auth and TLS settings (a client certificate, a server
	// name, a skipped verification) must not be used there.
	d.spec.HeaderSecrets = nil
	d.spec.TLS = nil
	d.spec.BasicAuth = nil
	t, errs := resolve(key, s, nil, d, heartbeat, 0)
	if len(errs) > 0 {
		return Target{}, Problems(problemsFor(key, name, errs))
	}
	return t, nil
}

// pulseDecodeError turns an encoding/json error into a Problems.
func pulseDecodeError(key, name string, data []byte, err error) error {
	p := Problem{Source: key, Target: name}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		p.Error = fmt.Sprintf("invalid JSON at line %d: %v", line, se)
	case errors.As(err, &te):
		p.Field = te.Field
		p.Error = fmt.Sprintf("must be %s, got a JSON %s", pulseFieldWants[te.Field], te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p.Field = f
		p.Error = fmt.Sprintf("unknown key %q (known keys: body, channels, heartbeat, retired, url)", f)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		p.Error = "the JSON object is cut short"
	default:
		// Duration.UnmarshalJSON's own error; heartbeat is the only duration.
		p.Error = fmt.Sprintf("invalid pulse file: %v", err)
		if strings.Contains(err.Error(), "duration") {
			p.Field = "heartbeat"
		}
	}
	return Problems{p}
}

var pulseFieldWants = map[string]string{
	"url":       "a string",
	"body":      "a string",
	"heartbeat": `a duration like "5m"`,
	"channels":  "a list of channel names",
	"retired":   "true",
}
