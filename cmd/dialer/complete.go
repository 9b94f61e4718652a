package main

import (
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/store"
)

// Shell completion (`dialer completion bash|zsh|fish`): the shell runs
// `dialer __complete ARGS... PARTIAL` on Tab and offers what it prints.
// Candidates from the database come with a description (a contact's name,
// a number's kind): shown by zsh and fish, made inert first since a name
// comes from a CSV nobody checked.

// completionLimit caps the candidates of one Tab: a shell lists them all,
// and a million contacts must not be read for one keystroke.
const completionLimit = 50

// completionTimeout bounds a completion's database work: a Tab that hangs
// is worse than one that offers nothing.
const completionTimeout = 2 * time.Second

// completionStore opens the database read-only for a completion function,
// quietly: no log file, no SANDBOX line, nothing created. ok is false when
// there is nothing to read (no database yet) or it cannot be read: then
// completion offers nothing instead of an error.
func completionStore(ctx context.Context, e *env) (*store.DB, bool) {
	p, err := resolvePaths(e)
	if err != nil {
		return nil, false
	}
	if _, err := os.Stat(p.DB); err != nil && !store.IsURL(p.DB) {
		return nil, false
	}
	db, err := store.OpenWith(ctx, p.DB, store.Options{ReadOnly: true})
	if err != nil {
		return nil, false
	}
	return db, true
}

// withStore runs fn on the database for a completion function.
func withStore(cmd *cobra.Command, e *env, fn func(ctx context.Context, db *store.DB) []cobra.Completion) []cobra.Completion {
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	db, ok := completionStore(ctx, e)
	if !ok {
		return nil
	}
	defer db.Close()
	return fn(ctx, db)
}

// contactDesc describes a contact for a candidate: its name (or phone),
// and the other of the two.
func contactDesc(c dialer.Contact, withPhone bool) string {
	d := c.Label()
	if withPhone && c.Name != "" {
		d += " (" + c.Phone + ")"
	}
	return display.Line(d)
}

// completeContactIDs completes a contact id (--contact): the ids starting
// with what is typed, shortest first, each with the contact's name and
// phone. It asks for ids by number (1, 10-19, 100-199, ...), never scans
// the contacts.
func completeContactIDs(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return contactIDCandidates(cmd, e, toComplete, false), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// contactIDCandidates are the ids of contacts starting with prefix,
// shortest first, each described by the contact's name and phone; live
// contacts only when live is set (a deleted contact's id still names it
// in calls).
func contactIDCandidates(cmd *cobra.Command, e *env, prefix string, live bool) []cobra.Completion {
	ids, ok := idsWithPrefix(prefix)
	if !ok {
		return nil
	}
	return withStore(cmd, e, func(ctx context.Context, db *store.DB) []cobra.Completion {
		var out []cobra.Completion
		for _, batch := range ids {
			cs, err := db.Contacts(ctx, batch)
			if err != nil {
				return out
			}
			for _, c := range cs {
				if live && !c.DeletedAt.IsZero() {
					continue
				}
				out = append(out, cobra.CompletionWithDesc(strconv.FormatInt(c.ID, 10), contactDesc(c, true)))
				if len(out) == completionLimit {
					return out
				}
			}
		}
		return out
	})
}

// completeContactArgs completes the CONTACT argument of contacts edit, rm
// and show and of callbacks add and cancel (see contactArg): typed digits
// (or nothing) complete a contact id, described by the contact's name and
// phone; a "+" completes a live contact's phone number, described by its
// name. Only live contacts are offered: commands refuse deleted ones.
func completeContactArgs(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if strings.HasPrefix(toComplete, "+") {
			return contactPhoneCandidates(cmd, e, toComplete), cobra.ShellCompDirectiveNoFileComp
		}
		return contactIDCandidates(cmd, e, toComplete, true), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// completeLists completes a list name (--list, --unlist): the lists whose
// names start with what is typed, each with its count of contacts.
func completeLists(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out := withStore(cmd, e, func(ctx context.Context, db *store.DB) []cobra.Completion {
			ls, err := db.Lists(ctx)
			if err != nil {
				return nil
			}
			var out []cobra.Completion
			for _, l := range ls {
				if !strings.HasPrefix(l.Name, toComplete) {
					continue
				}
				out = append(out, cobra.CompletionWithDesc(display.Line(l.Name), display.Plural(l.Count, "contact", "contacts")))
				if len(out) == completionLimit {
					break
				}
			}
			return out
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// idsWithPrefix lists, in batches of at most contactBatch, the ids a
// contact id typed so far may become, shortest first: for "4", 4, then
// 40-49, 400-499 and 4000-4999. An empty prefix gives 1-9, 10-99, 100-999
// and 1000-9999. ok is false when the text cannot start an id.
func idsWithPrefix(prefix string) (batches [][]int64, ok bool) {
	start, width := int64(1), int64(9)
	if prefix != "" {
		n, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil || n <= 0 || prefix[0] == '0' || prefix[0] == '+' {
			return nil, false
		}
		start, width = n, 1
	}
	var batch []int64
	for range 4 { // lengths; at most 1+10+100+1000 ids after a prefix
		for i := range width {
			if batch = append(batch, start+i); len(batch) == contactBatch {
				batches, batch = append(batches, batch), nil
			}
		}
		if start > (math.MaxInt64-10*width)/10 {
			break // the next length is past the largest id
		}
		start, width = start*10, width*10
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	return batches, true
}

// completeContactPhones completes a phone number to call (--to): the
// contacts' numbers starting with what is typed, each with its contact's
// name. A number shared by contacts is offered once, with the oldest's
// name (the one --to finds).
func completeContactPhones(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return contactPhoneCandidates(cmd, e, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// contactPhoneCandidates are the live contacts' phone numbers starting with
// prefix, in phone order, each described by its contact's name.
func contactPhoneCandidates(cmd *cobra.Command, e *env, prefix string) []cobra.Completion {
	return withStore(cmd, e, func(ctx context.Context, db *store.DB) []cobra.Completion {
		cs, err := db.ContactsByPhonePrefix(ctx, prefix, completionLimit)
		if err != nil {
			return nil
		}
		out := make([]cobra.Completion, 0, len(cs))
		for _, c := range cs {
			out = append(out, cobra.CompletionWithDesc(display.Line(c.Phone), contactDesc(c, false)))
		}
		return out
	})
}

// completeLiveNumbers completes the NUMBER of `numbers release`: the
// inventory's numbers that can be released, with kind and area code.
func completeLiveNumbers(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := withStore(cmd, e, func(ctx context.Context, db *store.DB) []cobra.Completion {
			ns, err := db.Numbers(ctx, dialer.NumberFilter{Statuses: releasable})
			if err != nil {
				return nil
			}
			var out []cobra.Completion
			for _, n := range ns {
				if n.PhoneNumber == "" || !strings.HasPrefix(n.PhoneNumber, toComplete) {
					continue
				}
				desc := n.Kind.Label() + ", area code " + n.AreaCode
				if n.Status != dialer.StatusActive {
					desc += ", " + string(n.Status)
				}
				out = append(out, cobra.CompletionWithDesc(display.Line(n.PhoneNumber), display.Line(desc)))
				if len(out) == completionLimit {
					break
				}
			}
			return out
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// releasable are the statuses `numbers release` finds a number in.
var releasable = []dialer.NumberStatus{dialer.StatusActive, dialer.StatusPastDue, dialer.StatusCanceling}

// completeNumberStatuses completes --status of `numbers list`.
func completeNumberStatuses(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{
		cobra.CompletionWithDesc(string(dialer.StatusPending), "purchase in flight"),
		cobra.CompletionWithDesc(string(dialer.StatusActive), "usable: places calls"),
		cobra.CompletionWithDesc(string(dialer.StatusPastDue), "billing problem: not usable"),
		cobra.CompletionWithDesc(string(dialer.StatusCanceling), "canceled: kept until its billing period ends"),
		cobra.CompletionWithDesc(string(dialer.StatusReleased), "no longer ours"),
		cobra.CompletionWithDesc(string(dialer.StatusFailed), "a purchase that never completed"),
	}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeConfirmModes completes --confirm of `call`.
func completeConfirmModes(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{
		cobra.CompletionWithDesc(string(dialer.ConfirmTerminal), "press Enter here once your phone is answered"),
		cobra.CompletionWithDesc(string(dialer.ConfirmAuto), "dial the contact as soon as you answer"),
		cobra.CompletionWithDesc(string(dialer.ConfirmKeypad), "any key on your phone (needs --webhook-url and --listen)"),
	}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeCountries completes --country of `numbers search` and `buy`.
var completeCountries = cobra.FixedCompletions([]cobra.Completion{
	cobra.CompletionWithDesc("US", "United States"), cobra.CompletionWithDesc("CA", "Canada"),
}, cobra.ShellCompDirectiveNoFileComp)
