// Package registry builds a channel.Sender from a channel's settings in the
// targets file: one explicit table from channel type to constructor.
package registry

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/medic-dev/medic/internal/channel"
	"github.com/medic-dev/medic/internal/channel/discord"
	"github.com/medic-dev/medic/internal/channel/line"
	"github.com/medic-dev/medic/internal/channel/slack"
	"github.com/medic-dev/medic/internal/channel/sns"
	"github.com/medic-dev/medic/internal/channel/webhook"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/target"
)

// Deps are what senders need from the process: built once, shared by all.
type Deps struct {
	// Secrets resolves urlSecret, tokenSecret and headerSecrets.
	Secrets secret.Source
	// HTTP is the client for webhook-style channels; nil means a client
	// with channel.DefaultTimeout.
	HTTP *http.Client
	// SNS publishes to SNS channels; nil makes SNS channels fail to build.
	SNS sns.API
	// DefaultTopicArn is used by SNS channels that name no topic.
	DefaultTopicArn string
}

type constructor func(c target.Channel, d Deps) (channel.Sender, error)

// constructors is the table of channel types. Adding a channel is one
// package and one line here.
var constructors = map[string]constructor{
	target.ChannelSlack:   func(c target.Channel, d Deps) (channel.Sender, error) { return slack.New(c, d.Secrets, d.HTTP) },
	target.ChannelDiscord: func(c target.Channel, d Deps) (channel.Sender, error) { return discord.New(c, d.Secrets, d.HTTP) },
	target.ChannelLINE:    func(c target.Channel, d Deps) (channel.Sender, error) { return line.New(c, d.Secrets, d.HTTP) },
	target.ChannelSNS:     func(c target.Channel, d Deps) (channel.Sender, error) { return sns.New(c, d.SNS, d.DefaultTopicArn) },
	target.ChannelWebhook: func(c target.Channel, d Deps) (channel.Sender, error) { return webhook.New(c, d.Secrets, d.HTTP) },
}

// Types lists the channel types New understands, sorted.
func Types() []string {
	types := make([]string, 0, len(constructors))
	for t := range constructors {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// New returns the Sender for c. An unknown type or a missing setting is an
// error naming the channel and the setting.
func New(c target.Channel, deps Deps) (channel.Sender, error) {
	build, ok := constructors[c.Type]
	if !ok {
		return nil, fmt.Errorf("channel %s: unknown type %q (want one of %s)", c.Name, c.Type, strings.Join(Types(), ", "))
	}
	if deps.Secrets == nil {
		deps.Secrets = secret.Env{}
	}
	if deps.HTTP == nil {
		deps.HTTP = &http.Client{Timeout: channel.DefaultTimeout}
	}
	return build(c, deps)
}
