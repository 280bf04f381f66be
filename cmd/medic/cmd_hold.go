package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
	"github.com/medic-dev/medic/internal/target"
)

const holdWhere = `Locally (the default) it changes the state directory's bucket; with
--endpoint the bucket at --s3-endpoint (a 'medic serve'); with --aws the
deployed stack's bucket (--bucket, else $MEDIC_BUCKET, else
Medic.BucketName in the --cdk-outputs file), with the usual AWS
credentials, which need s3:GetObject and s3:PutObject on
state/holds.json (and s3:GetObject on state/status.json and
config/targets.yaml). The change is a conditional write of
state/holds.json: two changes made at once never lose each other.`

var pauseCommand = &command{
	name:    "pause",
	args:    "NAME...",
	summary: "pause targets: not probed, no alerts, state kept (--for to end by itself)",
	help: `Pauses the named targets: runs do not probe them and raise no alert for
them; their state and history are kept, and the status shows PAUSED. With
--for the pause ends by itself after that long; otherwise 'medic resume'
ends it. Once resumed, a target's staleAfter counts from the first run
that sees it resumed.

` + holdWhere,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f holdFlags
		f.register(fs)
		forD := fs.Duration("for", 0, "end the pause by itself after this long (2h, 30m); 0: until 'medic resume'")
		note := fs.String("note", "", "why, shown with the pause")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one target to pause, like 'medic pause api --for 2h'")
			}
			if *forD < 0 {
				return usagef("--for must not be negative, got %s", *forD)
			}
			if err := checkNote(*note); err != nil {
				return err
			}
			h, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer h.close()
			if err := h.known(ctx, args); err != nil {
				return err
			}
			now := time.Now().UTC()
			p := hold.Pause{At: now, By: h.who(ctx), Note: *note}
			if *forD > 0 {
				p.Until = now.Add(*forD)
			}
			if _, err := hold.Update(ctx, h.store, now, func(f *hold.File) error {
				for _, name := range args {
					f.Paused[name] = p
				}
				return nil
			}); err != nil {
				return err
			}
			until := "until 'medic resume " + strings.Join(args, " ") + "'"
			if !p.Until.IsZero() {
				until = "until " + p.Until.Format("2006-01-02 15:04 UTC") + " (" + status.HumanDuration(*forD) + ")"
			}
			fmt.Fprintf(out.stdout, "paused %s %s: not probed, no alerts\n", strings.Join(args, ", "), until)
			return nil
		}
	},
	complete: completeTargetNames,
}

var resumeCommand = &command{
	name:    "resume",
	args:    "NAME...",
	summary: "resume paused targets",
	help: `Ends the pause of the named targets: the next run probes them again. A
target that is not paused is left as it is (and said so).

` + holdWhere,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f holdFlags
		f.register(fs)
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one target to resume, like 'medic resume api'")
			}
			h, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer h.close()
			now := time.Now().UTC()
			var resumed, notPaused []string
			if _, err := hold.Update(ctx, h.store, now, func(f *hold.File) error {
				resumed, notPaused = nil, nil
				for _, name := range args {
					if _, ok := f.PauseOf(name, now); ok {
						resumed = append(resumed, name)
					} else {
						notPaused = append(notPaused, name)
					}
					delete(f.Paused, name)
				}
				return nil
			}); err != nil {
				return err
			}
			if len(resumed) > 0 {
				fmt.Fprintf(out.stdout, "resumed %s: the next run probes it again\n", strings.Join(resumed, ", "))
			}
			if len(notPaused) > 0 {
				fmt.Fprintf(out.stdout, "not paused: %s\n", strings.Join(notPaused, ", "))
			}
			return nil
		}
	},
	complete: completeTargetNames,
}

var ackCommand = &command{
	name:    "ack",
	args:    "NAME",
	summary: "acknowledge a DOWN or STALE target: no reminders until it recovers",
	help: `Acknowledges the named target, which must be DOWN or STALE: it sends no
reminders while it keeps that status; its RECOVERED alert still goes out
and says who acknowledged it, when, and the --note. Who is $MEDIC_USER,
else $USER, else the local user; with --aws the caller's identity (STS
GetCallerIdentity).

` + holdWhere,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f holdFlags
		f.register(fs)
		note := fs.String("note", "", "what is being done, told in the recovery alert")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) != 1 {
				return usagef("name one target to acknowledge, like 'medic ack api --note \"restarting\"'")
			}
			if err := checkNote(*note); err != nil {
				return err
			}
			name := args[0]
			h, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer h.close()
			states, err := h.states(ctx)
			if err != nil {
				return err
			}
			st, ok := states[name]
			if !ok {
				if err := h.known(ctx, args); err != nil {
					return err
				}
				return usagef("%s has no status yet: nothing to acknowledge", name)
			}
			if st.Status != status.Down && st.Status != status.Stale {
				return usagef("%s is %s: only a DOWN or STALE target can be acknowledged", name, st.Status)
			}
			now := time.Now().UTC()
			a := hold.Ack{At: now, By: h.who(ctx), Note: *note}
			if _, err := hold.Update(ctx, h.store, now, func(f *hold.File) error {
				f.Acks[name] = a
				return nil
			}); err != nil {
				return err
			}
			fmt.Fprintf(out.stdout, "acknowledged %s (%s since %s): no reminders until it recovers\n", name, st.Status, st.Since.UTC().Format("2006-01-02 15:04 UTC"))
			fmt.Fprintf(out.stdout, "  by    %s\n  at    %s\n", a.By, a.At.Format("2006-01-02 15:04 UTC"))
			if a.Note != "" {
				fmt.Fprintf(out.stdout, "  note  %s\n", a.Note)
			}
			return nil
		}
	},
	complete: completeTargetNames,
}

func checkNote(note string) error {
	if len(note) > hold.MaxNoteBytes || !utf8.ValidString(note) {
		return usagef("--note must be UTF-8 text of at most %d bytes", hold.MaxNoteBytes)
	}
	return nil
}

// holdFlags choose the bucket whose state/holds.json a command changes.
type holdFlags struct {
	remote remoteFlags
	fs     *pflag.FlagSet
}

func (f *holdFlags) register(fs *pflag.FlagSet) {
	f.remote.register(fs, true)
	f.fs = fs
}

// holdConn is the bucket a pause, resume or ack command changes.
type holdConn struct {
	store *store.Store
	// aws is the AWS configuration with --aws (for the caller identity).
	aws   *sts.Client
	env   *local.Env
	local *localFlags
}

func (h *holdConn) close() {
	if h.env != nil {
		h.env.Close()
	}
}

func (f *holdFlags) open(ctx context.Context) (*holdConn, error) {
	r := &f.remote
	switch {
	case r.aws && r.endpoint != "":
		return nil, usagef("--aws and --endpoint cannot be used together")
	case r.aws:
		bucket, err := f.awsBucket()
		if err != nil {
			return nil, err
		}
		var opts []func(*awsconfig.LoadOptions) error
		if arn, _ := r.stateMachineArn(); arn != "" {
			if a, err := sfnapi.ParseArn(arn); err == nil {
				opts = append(opts, awsconfig.WithRegion(a.Region))
			}
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("load AWS configuration: %w", err)
		}
		return &holdConn{store: store.New(s3.NewFromConfig(cfg), bucket), aws: sts.NewFromConfig(cfg)}, nil
	case r.endpoint != "":
		ep := r.local.s3Endpoint
		if ep == "" {
			return nil, usagef("with --endpoint, give --s3-endpoint too: the S3 endpoint 'medic serve' prints beside the API")
		}
		_, localCreds, err := r.endpointCredentials()
		if err != nil {
			return nil, err
		}
		if !localCreds.IsZero() {
			return &holdConn{store: store.New(s3local.NewClient(ep, localCreds), r.local.bucket)}, nil
		}
		api, err := local.ExternalS3(ctx, ep)
		if err != nil {
			return nil, err
		}
		return &holdConn{store: store.New(api, r.local.bucket)}, nil
	}
	env, err := local.Open(r.local.options())
	if err != nil {
		return nil, err
	}
	st, err := env.Store(ctx)
	if err != nil {
		env.Close()
		return nil, err
	}
	return &holdConn{store: st, env: env, local: &r.local}, nil
}

// awsBucket is the deployed bucket: --bucket or $MEDIC_BUCKET when given,
// else the CDK outputs file's Medic.BucketName.
func (f *holdFlags) awsBucket() (string, error) {
	if f.fs.Changed("bucket") || os.Getenv("MEDIC_BUCKET") != "" {
		return f.remote.local.bucket, nil
	}
	b, err := os.ReadFile(f.remote.outputs)
	if err == nil {
		var outputs map[string]map[string]any
		if json.Unmarshal(b, &outputs) == nil {
			if name, ok := outputs["Medic"]["BucketName"].(string); ok && name != "" {
				return name, nil
			}
		}
	}
	return "", usagef("no bucket: pass --bucket, set MEDIC_BUCKET, or run 'cdk deploy --outputs-file %s' so %s has Medic.BucketName", f.remote.outputs, f.remote.outputs)
}

// who names the person acting: $MEDIC_USER, else $USER, else the local
// user; with --aws the caller's ARN.
func (h *holdConn) who(ctx context.Context) string {
	if h.aws != nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := h.aws.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil && out.Arn != nil {
			return *out.Arn
		}
	}
	for _, k := range []string{"MEDIC_USER", "USER"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// states reads state/status.json (empty when absent).
func (h *holdConn) states(ctx context.Context) (map[string]status.TargetState, error) {
	obj, err := h.store.Get(ctx, status.Key)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]status.TargetState{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read target statuses: %w", err)
	}
	f, err := status.Parse(obj.Body)
	if err != nil {
		return nil, err
	}
	return f.Targets, nil
}

// known checks that every name is a target: in the bucket's targets file,
// in the stored state (pulse targets), or locally in --config.
func (h *holdConn) known(ctx context.Context, names []string) error {
	states, err := h.states(ctx)
	if err != nil {
		return err
	}
	file, err := target.LoadFile(ctx, h.store, target.LoadOptions{ConfigKey: target.DefaultConfigKey})
	if err != nil {
		return err
	}
	known := file.Names
	if h.local != nil {
		if data, err := os.ReadFile(h.local.config); err == nil {
			if f, err := target.ParseFile(h.local.config, data, target.Options{}); err == nil {
				for n := range f.Names {
					known[n] = true
				}
			}
		}
	}
	var unknown []string
	for _, n := range names {
		if _, ok := states[n]; !ok && !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return usagef("no target named %s (in the targets file or the stored state)", strings.Join(unknown, ", "))
	}
	return nil
}
