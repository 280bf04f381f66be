// Package outbox holds alerts that are waiting to be delivered. An alert is
// one object, outbox/<id>.json, written by CheckStaleness and updated by
// Notify with conditional writes until every channel it is for has taken it
// (or rejected it), or its deadline passes.
package outbox

import (
	"time"
)

// Alert kinds.
const (
	KindDown      = "DOWN"
	KindStale     = "STALE"
	KindRecovered = "RECOVERED"
	KindReminder  = "REMINDER"
	// KindUnmonitored: a target is no longer monitored (its definition has
	// a problem, its pulse file is gone or unreadable), or an alarm named
	// a target that does not exist.
	KindUnmonitored = "UNMONITORED"
	// KindMonitored: a target that was not monitored is again.
	KindMonitored = "MONITORED"
	// KindMaintenance: a target's maintenance window closed; the alert
	// says what happened during it (its alerts were held) and the status
	// now.
	KindMaintenance = "MAINTENANCE"
	// KindFlapping: a target's status changed flap.changes times within
	// flap.window; its DOWN, STALE and RECOVERED alerts are held until it
	// keeps one status for flap.window.
	KindFlapping = "FLAPPING"
)

// Delivery states for one channel of one alert.
const (
	// Pending: not yet accepted by the channel. While its NotBefore is in
	// the future (the channel asked to be left alone until then) it is not
	// claimable.
	Pending = "pending"
	// Sending: claimed by a Notify run until LeaseUntil; another run waits.
	Sending = "sending"
	// Delivered: the channel accepted the alert.
	Delivered = "delivered"
	// Rejected: the channel refused it permanently (a 4xx other than 429).
	Rejected = "rejected"
)

// MaxDependents bounds Alert.Dependents.
const MaxDependents = 100

// DefaultDeadline is how long an alert may wait for its channels before it
// is dropped (loudly).
const DefaultDeadline = 24 * time.Hour

// Alert is one status change to tell people about.
type Alert struct {
	// ID names this one raise and no other: the target, the kind, the
	// target's change sequence number and a digest of the execution that
	// raised it (status.AlertID). A retry of that execution picks the same
	// ID; no later raise, in this state's life or after it is lost, can.
	ID     string `json:"id"`
	Target string `json:"target"`
	Kind   string `json:"kind"`
	// Seq is the target's change sequence number when the alert was
	// raised, and Epoch when the target's stored state began (it begins
	// again when the target is removed and added back or the state is
	// reset). Together they order a target's alerts.
	Seq   int       `json:"seq,omitempty"`
	Epoch time.Time `json:"epoch,omitzero"`
	// Prev is the ID of the target's alert raised before this one in the
	// same state's life; a channel gets this alert only once it has taken
	// (or refused) Prev.
	Prev string `json:"prev,omitempty"`
	// Draft is true from when CheckStaleness writes the alert until the
	// state that decided it is saved: Notify sends no draft. A draft whose
	// run lost the race to save the state is Withdrawn and Notify deletes it.
	Draft     bool `json:"draft,omitempty"`
	Withdrawn bool `json:"withdrawn,omitempty"`
	// Since is when the target entered the status the alert is about
	// (for DOWN: the last good check, or the first failure if none).
	Since time.Time `json:"since"`
	// At is when the alert was raised.
	At time.Time `json:"at"`
	// Endpoint is the target's URL or host:port, for the message.
	Endpoint string `json:"endpoint,omitempty"`
	// Failures are the last check's failed conditions, in words.
	Failures []string `json:"failures,omitempty"`
	// Dependents are the targets that depend on this alert's target and
	// are failing with it, whose own alerts were folded into this one
	// (package fold); at most MaxDependents of them, sorted. The text
	// counts them all.
	Dependents []string `json:"dependents,omitempty"`
	// Collapsed is set by Notify on the copy of an alert it sends for
	// several of the target's alerts that waited for the same channel (it
	// was unreachable while they were raised): the ones before this one,
	// told in one line under it. It is never stored.
	Collapsed []Collapsed `json:"collapsed,omitempty"`
	// Text is the one-line human message every channel sends.
	Text     string    `json:"text"`
	Deadline time.Time `json:"deadline"`
	// Deliveries maps a channel name to its delivery state.
	Deliveries map[string]*Delivery `json:"deliveries"`
}

// Collapsed is an alert told in the summary line of a later alert of the
// same target (Alert.Collapsed).
type Collapsed struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
}

// Delivery is the state of one alert on one channel.
type Delivery struct {
	Status string `json:"status"`
	// CollapsedInto, on a delivered alert, is the later alert of the same
	// target whose message told this one in its summary line: the channel
	// was unreachable while both were raised, and got the net change
	// rather than a replay.
	CollapsedInto string     `json:"collapsedInto,omitempty"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"lastError,omitempty"`
	DeliveredAt   *time.Time `json:"deliveredAt,omitempty"`
	LeaseUntil    *time.Time `json:"leaseUntil,omitempty"`
	// Claim identifies the Notify run holding the lease while Status is
	// Sending, so that a run whose lease expired cannot overwrite the
	// outcome of the run that claimed the delivery after it.
	Claim string `json:"claim,omitempty"`
	// NotBefore is set when the channel answered a failed send with a
	// retry hint (Retry-After, Discord's retry_after): the delivery stays
	// pending and no run sends it before this time.
	NotBefore *time.Time `json:"notBefore,omitempty"`
}

// Before reports whether a, an alert of the same target as b, was raised
// before b: by Epoch and Seq, then (for alerts without them) by At and ID.
func Before(a, b Alert) bool {
	if !a.Epoch.Equal(b.Epoch) {
		return a.Epoch.Before(b.Epoch)
	}
	if a.Seq != b.Seq {
		return a.Seq < b.Seq
	}
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.ID < b.ID
}

// Key is the alert's object key.
func Key(id string) string { return "outbox/" + id + ".json" }
