package target

import (
	"reflect"

	"github.com/medic-dev/medic/internal/window"
)

// targetSpec is a target as written in the file (or a pulse file, or the
// defaults). Nil means not written.
type targetSpec struct {
	Name             *string            `yaml:"name"`
	URL              *string            `yaml:"url"`
	TCP              *string            `yaml:"tcp"`
	DNS              *dnsSpec           `yaml:"dns"`
	GRPC             *grpcSpec          `yaml:"grpc"`
	IPVersion        *int               `yaml:"ipVersion"`
	Method           *string            `yaml:"method"`
	Headers          *map[string]string `yaml:"headers"`
	HeaderSecrets    *map[string]string `yaml:"headerSecrets"`
	TLS              *tlsSpec           `yaml:"tls"`
	BasicAuth        *basicAuthSpec     `yaml:"basicAuth"`
	RequestBody      *string            `yaml:"requestBody"`
	FollowRedirects  *bool              `yaml:"followRedirects"`
	MaxBodyBytes     *ByteSize          `yaml:"maxBodyBytes"`
	Timeout          *Duration          `yaml:"timeout"`
	Expect           *expectSpec        `yaml:"expect"`
	StaleAfter       *Duration          `yaml:"staleAfter"`
	FailureThreshold *int               `yaml:"failureThreshold"`
	SuccessThreshold *int               `yaml:"successThreshold"`
	RemindEvery      *Duration          `yaml:"remindEvery"`
	Channels         *[]string          `yaml:"channels"`
	Confirm          *confirmSpec       `yaml:"confirm"`
	Flap             *flapSpec          `yaml:"flap"`
	Group            *string            `yaml:"group"`
	DependsOn        *[]string          `yaml:"dependsOn"`
	// Maintenance replaces the defaults' windows; "maintenance: []" has none.
	Maintenance *[]window.Spec `yaml:"maintenance"`
}

// confirmSpec is a target's confirm block as written.
type confirmSpec struct {
	Attempts *int      `yaml:"attempts"`
	Interval *Duration `yaml:"interval"`
}

// flapSpec is a target's flap block as written.
type flapSpec struct {
	Changes *int      `yaml:"changes"`
	Window  *Duration `yaml:"window"`
}

// expectSpec is a target's expect block as written.
type expectSpec struct {
	Status       *[]int          `yaml:"status"`
	Body         *string         `yaml:"body"`
	BodyContains *string         `yaml:"bodyContains"`
	BodyRegex    *string         `yaml:"bodyRegex"`
	JSON         *map[string]any `yaml:"json"`
	MaxLatency   *Duration       `yaml:"maxLatency"`
	CertValidFor *Duration       `yaml:"certValidFor"`
	HTTPVersion  *string         `yaml:"httpVersion"`

	BodyNotContains *string            `yaml:"bodyNotContains"`
	BodyNotRegex    *string            `yaml:"bodyNotRegex"`
	Headers         *map[string]string `yaml:"headers"`
	HeadersContain  *map[string]string `yaml:"headersContain"`
	HeadersRegex    *map[string]string `yaml:"headersRegex"`
	FinalURL        *string            `yaml:"finalURL"`
	Redirects       *int               `yaml:"redirects"`
	RCode           *string            `yaml:"rcode"`
	Answers         *[]string          `yaml:"answers"`
}

// grpcSpec is a target's grpc block as written.
type grpcSpec struct {
	Address *string `yaml:"address"`
	Service *string `yaml:"service"`
}

// dnsSpec is a target's dns block as written.
type dnsSpec struct {
	Server    *string `yaml:"server"`
	Name      *string `yaml:"name"`
	Type      *string `yaml:"type"`
	Transport *string `yaml:"transport"`
}

// basicAuthSpec is a target's basicAuth block as written.
type basicAuthSpec struct {
	Username       *string `yaml:"username"`
	PasswordSecret *string `yaml:"passwordSecret"`
}

// tlsSpec is a target's tls block as written.
type tlsSpec struct {
	CASecret           *string `yaml:"caSecret"`
	CertSecret         *string `yaml:"certSecret"`
	KeySecret          *string `yaml:"keySecret"`
	ServerName         *string `yaml:"serverName"`
	InsecureSkipVerify *bool   `yaml:"insecureSkipVerify"`
	StartTLS           *string `yaml:"startTLS"`
}

// channelSpec is a channel as written under channels:.
type channelSpec struct {
	Type          *string            `yaml:"type"`
	URL           *string            `yaml:"url"`
	URLSecret     *string            `yaml:"urlSecret"`
	TokenSecret   *string            `yaml:"tokenSecret"`
	To            *string            `yaml:"to"`
	Endpoint      *string            `yaml:"endpoint"`
	TopicArn      *string            `yaml:"topicArn"`
	Headers       *map[string]string `yaml:"headers"`
	HeaderSecrets *map[string]string `yaml:"headerSecrets"`
	DigestAfter   *int               `yaml:"digestAfter"`
}

// merged returns a copy of s in which every field s leaves unset is taken
// from d; the expect block merges key by key.
func (s targetSpec) merged(d targetSpec) targetSpec {
	out := s
	fillNil(reflect.ValueOf(&out).Elem(), reflect.ValueOf(d))
	return out
}

func fillNil(dst, src reflect.Value) {
	for i := 0; i < dst.NumField(); i++ {
		f, g := dst.Field(i), src.Field(i)
		switch {
		case g.IsNil():
		case f.IsNil():
			f.Set(g)
		case f.Type().Elem().Kind() == reflect.Struct:
			c := reflect.New(f.Type().Elem())
			c.Elem().Set(f.Elem())
			fillNil(c.Elem(), g.Elem())
			f.Set(c)
		}
	}
}

// written lists the keys (dotted paths) set in s, in field order.
func written(v any, prefix string) []string {
	rv := reflect.ValueOf(v)
	var keys []string
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.IsNil() {
			continue
		}
		path := joinPath(prefix, rv.Type().Field(i).Tag.Get("yaml"))
		if f.Type().Elem().Kind() == reflect.Struct {
			keys = append(keys, written(f.Elem().Interface(), path)...)
			continue
		}
		keys = append(keys, path)
	}
	return keys
}

func ptr[T any](v T) *T { return &v }
