package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"

	"github.com/dialer-dev/dialer/provider/twilioemu"
)

type emulatorOpts struct {
	listen, state, sid, token *string
	scale                     *float64
}

func emulatorCmd() *command {
	return &command{
		name: "emulator", summary: "Run the Twilio-compatible emulator for other tools.",
		args: "[--listen 127.0.0.1:PORT] [--state FILE] [--time-scale X] [--account-sid AC...] [--auth-token HEX]",
		flags: func(fs *flag.FlagSet) any {
			return emulatorOpts{
				listen: fs.String("listen", "127.0.0.1:0", "address to listen on (127.0.0.1 only; port 0 picks one)"),
				state:  fs.String("state", "", "keep numbers, calls and balance in this file across runs"),
				sid:    fs.String("account-sid", sandboxAccountSID, "account SID it accepts"),
				token:  fs.String("auth-token", "", "auth token it accepts (default: a new random one, printed)"),
				scale:  fs.Float64("time-scale", 1, "emulated seconds per real second is 1/X: 0.01 runs calls 100 times faster"),
			}
		},
		noArgs: "emulator takes flags only",
		run: func(ctx context.Context, e *env, o any, args []string) error {
			opts := o.(emulatorOpts)
			if host, _, err := net.SplitHostPort(*opts.listen); err != nil || host != "127.0.0.1" {
				return usageError{fmt.Sprintf("--listen %q: want 127.0.0.1:PORT (the emulator listens on loopback only)", *opts.listen)}
			}
			token := *opts.token
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
			emu, err := twilioemu.New(twilioemu.Config{AccountSID: *opts.sid, AuthToken: token, StatePath: *opts.state,
				TimeScale: *opts.scale, Logger: log})
			if err != nil {
				return usageError{err.Error()}
			}
			url, err := emu.Start(*opts.listen)
			if err != nil {
				emu.Close()
				return err
			}
			fmt.Fprintf(e.stdout, "Twilio emulator listening on %s\n", url)
			fmt.Fprintf(e.stdout, "TWILIO_ACCOUNT_SID=%s\nTWILIO_AUTH_TOKEN=%s\nDIALER_TWILIO_BASE_URL=%s\n", *opts.sid, token, url)
			fmt.Fprintln(e.stdout, "Stop with Ctrl-C.")
			<-ctx.Done()
			return emu.Close()
		},
	}
}
