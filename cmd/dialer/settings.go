package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// newSettingsCmd is the organization's settings from the command line, as
// the Settings screen has them.
func newSettingsCmd(e *env) *cobra.Command {
	return newGroup("settings", "The organization's settings: list, get, and set (supervisors only).",
		readOnly(newSettingsListCmd(e)),
		readOnly(newSettingsGetCmd(e)),
		newSettingsSetCmd(e),
	)
}

type settingJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Help  string `json:"help"`
}

func newSettingsListCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List every setting with its value.",
		Args:  noArgs("settings list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, closeAll, err := openStore(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeAll()
			set, err := db.Settings(cmd.Context())
			if err != nil {
				return err
			}
			out := make([]settingJSON, 0, len(dialer.SettingFields))
			for _, f := range dialer.SettingFields {
				out = append(out, settingJSON{Key: f.Key, Value: f.Get(set), Help: f.Help})
			}
			if asJSON {
				return writeJSON(e.stdout, out)
			}
			var tw table
			tw.row("SETTING", "VALUE", "WHAT IT IS")
			for _, s := range out {
				tw.row(s.Key, s.Value, s.Help)
			}
			return tw.flush(e.stdout)
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

func newSettingsGetCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "get KEY",
		Short:             "Print one setting's value.",
		Example:           "dialer settings get max_numbers",
		ValidArgsFunction: completeSettingKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"settings get needs one setting's key (see dialer settings list)"}
			}
			db, _, closeAll, err := openStore(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeAll()
			set, err := db.Settings(cmd.Context())
			if err != nil {
				return err
			}
			v, err := set.Get(args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, v)
			return err
		},
	}
}

func newSettingsSetCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:               "set KEY VALUE",
		Short:             "Change a setting (supervisors only), checked as the Settings screen checks it.",
		Example:           "dialer settings set max_numbers 25\ndialer settings set calling_hours 09:00-20:00",
		ValidArgsFunction: completeSettingKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{"settings set needs a key and a value, e.g. dialer settings set max_numbers 25"}
			}
			key, value := args[0], args[1]
			if _, err := dialer.DefaultSettings().Get(key); err != nil {
				return err
			}
			return withSupervisor(cmd, e, "change the organization's settings", func(ctx context.Context, db *store.DB) error {
				set, err := db.Settings(ctx)
				if err != nil {
					return err
				}
				old, _ := set.Get(key)
				if err := set.Set(key, value); err != nil {
					return err
				}
				if err := db.SaveSettings(ctx, set); err != nil {
					return err
				}
				now, _ := set.Get(key)
				_, err = fmt.Fprintf(e.stdout, "%s: %s (was %s)\n", key, now, old)
				return err
			})
		},
	}
	c.Flags().SetInterspersed(false) // a value may start with - (a refused negative is said, not a flag)
	return c
}

// completeSettingKeys offers the settings' keys, each with what it is.
func completeSettingKeys(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]cobra.Completion, 0, len(dialer.SettingFields))
	for _, f := range dialer.SettingFields {
		out = append(out, cobra.CompletionWithDesc(f.Key, f.Help))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
