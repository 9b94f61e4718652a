package dialer

import (
	"context"
	"strings"
)

// Webhook paths under the public base URL of `dialer serve` (the Twilio
// adapter serves them).
const (
	WebhookGatherPath = "/twilio/gather"
	WebhookStatusPath = "/twilio/status"
	WebhookVoicePath  = "/twilio/voice"
)

// WebhookURLs are where a number sends its calls: the voice URL answers
// them, the status callback hears how they end.
type WebhookURLs struct {
	Voice, Status string
}

// NumberWebhooks are the URLs numbers point at under base (the
// webhook_url setting); zero when base is empty.
func NumberWebhooks(base string) WebhookURLs {
	if base == "" {
		return WebhookURLs{}
	}
	base = strings.TrimRight(base, "/")
	return WebhookURLs{Voice: base + WebhookVoicePath, Status: base + WebhookStatusPath}
}

// withWebhooks points a number being bought at the team's `dialer serve`,
// when there is one.
func withWebhooks(req BuyRequest, set Settings) BuyRequest {
	w := NumberWebhooks(set.WebhookURL)
	req.VoiceURL, req.StatusCallback = w.Voice, w.Status
	return req
}

// Assign makes number id agent's primary number (agent 0: no one's) and
// points it at the team's `dialer serve`, so that calls to it reach the
// agent. The assignment stands even when the provider cannot be reached
// (the error says so; `dialer numbers sync` points it later).
func (r *Reservations) Assign(ctx context.Context, id, agent int64) (Number, error) {
	n, err := r.Store.AssignNumber(ctx, id, agent)
	if err != nil {
		return n, err
	}
	set, err := r.Store.Settings(ctx)
	if err != nil || set.WebhookURL == "" || n.ProviderSID == "" {
		return n, err
	}
	if _, err := r.point(ctx, n, NumberWebhooks(set.WebhookURL)); err != nil {
		return n, Wrap(ErrorKind(err), err, "the number is assigned, but Twilio could not be told to send its calls to "+set.WebhookURL+"; `dialer numbers sync` tries again")
	}
	return n, nil
}

func (r *Reservations) point(ctx context.Context, n Number, w WebhookURLs) (OwnedNumber, error) {
	return r.Provider.UpdateNumber(ctx, n.ProviderSID, NumberUpdate{VoiceURL: &w.Voice, StatusCallback: &w.Status})
}

// SyncResult says what Sync did.
type SyncResult struct {
	URL     string   // the voice URL numbers point at
	Held    int      // numbers the provider holds for this installation
	Changed []Number // numbers that pointed elsewhere and now point at URL
}

// Sync points every number this installation holds at the team's `dialer
// serve` (the webhook_url setting): those whose voice URL at the provider
// differs are updated. EINVALID when no webhook URL is set.
func (r *Reservations) Sync(ctx context.Context) (SyncResult, error) {
	set, err := r.Store.Settings(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	if set.WebhookURL == "" {
		return SyncResult{}, Errorf(EINVALID, "no webhook URL is set: start `dialer serve --webhook-url URL`, or `dialer settings set webhook_url URL`")
	}
	w := NumberWebhooks(set.WebhookURL)
	res := SyncResult{URL: w.Voice}
	owned, err := r.Provider.ListNumbers(ctx)
	if err != nil {
		return res, err
	}
	voice := make(map[string]string, len(owned))
	for _, o := range owned {
		voice[o.SID] = o.VoiceURL
	}
	ns, err := r.Store.Numbers(ctx, NumberFilter{Statuses: []NumberStatus{StatusActive, StatusPastDue, StatusCanceling}})
	if err != nil {
		return res, err
	}
	for _, n := range ns {
		cur, ok := voice[n.ProviderSID]
		if !ok {
			continue // not at the provider: reconcile's business
		}
		res.Held++
		if cur == w.Voice {
			continue
		}
		if _, err := r.point(ctx, n, w); err != nil {
			return res, err
		}
		res.Changed = append(res.Changed, n)
	}
	return res, nil
}
