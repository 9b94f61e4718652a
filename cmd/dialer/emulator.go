package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/provider/twilioemu"
)

func newEmulatorCmd(e *env) *cobra.Command {
	var opts struct {
		listen, state, sid, token string
		scale                     float64
	}
	c := &cobra.Command{
		Use:     "emulator",
		Short:   "Run the Twilio-compatible emulator for other tools.",
		Example: "dialer emulator --listen 127.0.0.1:8089 --state twilio.json",
		Args:    noArgs("emulator takes flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if host, _, err := net.SplitHostPort(opts.listen); err != nil || host != "127.0.0.1" {
				return usageError{fmt.Sprintf("--listen %q: want 127.0.0.1:PORT (the emulator listens on loopback only)", opts.listen)}
			}
			token := opts.token
			if token == "" {
				b := make([]byte, 16)
				rand.Read(b)
				token = hex.EncodeToString(b)
			}
			_, log, closeLog, err := openLogOnly(e)
			if err != nil {
				return err
			}
			defer closeLog()
			emu, err := twilioemu.New(twilioemu.Config{AccountSID: opts.sid, AuthToken: token, StatePath: opts.state,
				TimeScale: opts.scale, Logger: log})
			if err != nil {
				return usageError{err.Error()}
			}
			url, err := emu.Start(opts.listen)
			if err != nil {
				emu.Close()
				return err
			}
			fmt.Fprintf(e.stdout, "Twilio emulator listening on %s\n", url)
			fmt.Fprintf(e.stdout, "TWILIO_ACCOUNT_SID=%s\nTWILIO_AUTH_TOKEN=%s\nDIALER_TWILIO_BASE_URL=%s\n", opts.sid, token, url)
			fmt.Fprintln(e.stdout, "Stop with Ctrl-C.")
			<-ctx.Done()
			return emu.Close()
		},
	}
	f := c.Flags()
	f.StringVar(&opts.listen, "listen", "127.0.0.1:0", "address to listen on (127.0.0.1 only; port 0 picks one)")
	f.StringVar(&opts.state, "state", "", "keep numbers, calls and balance in this file across runs")
	f.StringVar(&opts.sid, "account-sid", sandboxAccountSID, "account SID it accepts")
	f.StringVar(&opts.token, "auth-token", "", "auth token it accepts (default: a new random one, printed)")
	f.Float64Var(&opts.scale, "time-scale", 1, "emulated seconds per real second is 1/X: 0.01 runs calls 100 times faster")
	return c
}
