package twilio

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Config configures the Twilio adapter.
//
// Credentials are an account SID with its auth token, or an API key SID
// and secret used on behalf of the account SID. When both are set, the API
// key pair wins (as Twilio's own tools do).
type Config struct {
	AccountSID string
	AuthToken  string
	APIKey     string
	APISecret  string

	// BaseURL sends every request for a *.twilio.com host to this URL
	// instead (scheme, host and an optional path prefix), e.g. the emulator
	// at http://127.0.0.1:PORT. Empty: talk to Twilio itself.
	BaseURL string
	// BaseURLs overrides BaseURL per Twilio host, e.g.
	// "pricing.twilio.com" -> "http://127.0.0.1:PORT". When BaseURL or
	// BaseURLs is set, a request for any host without a mapping is refused.
	BaseURLs map[string]string

	// Timeout bounds one HTTP attempt (request and response body). Default
	// 15 s. The caller's context bounds the whole call, retries included.
	Timeout time.Duration
	// Retry says how requests are retried. The zero value means defaults.
	Retry RetryPolicy
	// Logger receives one line per HTTP attempt. Nil: no logging.
	Logger *slog.Logger
	// HTTPClient, when set, provides the base transport (its Transport
	// field). Its Timeout, Jar and CheckRedirect are not used.
	HTTPClient *http.Client
}

// RetryPolicy says how the adapter retries 429s, 5xx answers and network
// failures. Requests that may have acted at Twilio (buying a number,
// creating a call) are retried only on 429, which Twilio answers before
// acting.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too. 0 means 4; 1 disables
	// retries.
	MaxAttempts int
	// BaseDelay is the first backoff delay, doubled per retry, with
	// jitter. 0 means 250 ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff delay. 0 means 5 s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the adapter waits for; a
	// longer one ends the call with ERATELIMIT at once. 0 means 30 s.
	MaxRetryAfter time.Duration
}

const (
	defaultTimeout       = 15 * time.Second
	defaultMaxAttempts   = 4
	defaultBaseDelay     = 250 * time.Millisecond
	defaultMaxDelay      = 5 * time.Second
	defaultMaxRetryAfter = 30 * time.Second
)

func (r RetryPolicy) withDefaults() RetryPolicy {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = defaultMaxAttempts
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = defaultBaseDelay
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = defaultMaxDelay
	}
	if r.MaxDelay < r.BaseDelay {
		r.MaxDelay = r.BaseDelay
	}
	if r.MaxRetryAfter <= 0 {
		r.MaxRetryAfter = defaultMaxRetryAfter
	}
	return r
}

// Environment variables read by ConfigFromEnv.
const (
	EnvAccountSID = "TWILIO_ACCOUNT_SID"
	EnvAuthToken  = "TWILIO_AUTH_TOKEN"
	EnvAPIKey     = "TWILIO_API_KEY"
	EnvAPISecret  = "TWILIO_API_SECRET"
	EnvBaseURL    = "DIALER_TWILIO_BASE_URL"
)

// ConfigFromEnv reads credentials the way Twilio's own tools do:
// TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and
// TWILIO_API_SECRET with TWILIO_ACCOUNT_SID; and DIALER_TWILIO_BASE_URL.
// ok reports whether credentials are present. A malformed value is an
// EINVALID error that names the variable and never repeats a secret.
func ConfigFromEnv(getenv func(string) string) (cfg Config, ok bool, err error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	cfg = Config{
		AccountSID: get(EnvAccountSID),
		AuthToken:  get(EnvAuthToken),
		APIKey:     get(EnvAPIKey),
		APISecret:  get(EnvAPISecret),
		BaseURL:    get(EnvBaseURL),
	}
	if cfg.BaseURL != "" {
		if _, err := parseBaseURL(EnvBaseURL, cfg.BaseURL); err != nil {
			return Config{}, false, err
		}
	}
	if cfg.AccountSID == "" && cfg.AuthToken == "" && cfg.APIKey == "" && cfg.APISecret == "" {
		return cfg, false, nil
	}
	if err := cfg.validateCredentials(true); err != nil {
		return Config{}, false, err
	}
	return cfg, true, nil
}

var (
	accountSIDRe = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	apiKeyRe     = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
	authTokenRe  = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	apiSecretRe  = regexp.MustCompile(`^[0-9a-zA-Z]{32}$`)
)

// validateCredentials checks the shape of the credentials. Messages name
// the setting (env names when env is true) and never contain a secret.
func (c Config) validateCredentials(env bool) error {
	name := func(field, envName string) string {
		if env {
			return envName
		}
		return "Config." + field
	}
	sidName := name("AccountSID", EnvAccountSID)
	switch {
	case c.AccountSID == "":
		return dialer.Errorf(dialer.EINVALID, "%s is not set: it is the account SID, AC followed by 32 hexadecimal digits", sidName)
	case !accountSIDRe.MatchString(c.AccountSID):
		return dialer.Errorf(dialer.EINVALID, "%s does not look like a Twilio account SID (want AC followed by 32 hexadecimal digits, got %d characters)", sidName, len(c.AccountSID))
	}
	if c.APIKey != "" || c.APISecret != "" {
		keyName, secretName := name("APIKey", EnvAPIKey), name("APISecret", EnvAPISecret)
		switch {
		case c.APIKey == "":
			return dialer.Errorf(dialer.EINVALID, "%s is set but %s is not: an API key needs both", secretName, keyName)
		case c.APISecret == "":
			return dialer.Errorf(dialer.EINVALID, "%s is set but %s is not: an API key needs both", keyName, secretName)
		case !apiKeyRe.MatchString(c.APIKey):
			return dialer.Errorf(dialer.EINVALID, "%s does not look like a Twilio API key SID (want SK followed by 32 hexadecimal digits, got %d characters)", keyName, len(c.APIKey))
		case !apiSecretRe.MatchString(c.APISecret):
			return dialer.Errorf(dialer.EINVALID, "%s does not look like a Twilio API key secret (want 32 letters and digits, got %d characters)", secretName, len(c.APISecret))
		}
		return nil
	}
	tokName := name("AuthToken", EnvAuthToken)
	switch {
	case c.AuthToken == "":
		return dialer.Errorf(dialer.EINVALID, "%s is not set: set it, or %s and %s", tokName, name("APIKey", EnvAPIKey), name("APISecret", EnvAPISecret))
	case !authTokenRe.MatchString(c.AuthToken):
		return dialer.Errorf(dialer.EINVALID, "%s does not look like a Twilio auth token (want 32 hexadecimal digits, got %d characters)", tokName, len(c.AuthToken))
	}
	return nil
}

// username and password are the basic-auth pair.
func (c Config) username() string {
	if c.APIKey != "" {
		return c.APIKey
	}
	return c.AccountSID
}

func (c Config) password() string {
	if c.APIKey != "" {
		return c.APISecret
	}
	return c.AuthToken
}

// parseBaseURL checks an override URL: http or https, a host, no user
// info, query or fragment. A trailing slash is dropped.
func parseBaseURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, dialer.Errorf(dialer.EINVALID, "%s %q is not an http or https URL such as http://127.0.0.1:8080", name, redactURL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, dialer.Errorf(dialer.EINVALID, "%s must not hold user info, a query or a fragment", name)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// redactURL drops user info from a URL-ish string for messages.
func redactURL(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "…" + raw[i:]
		}
		return "…" + raw[i:]
	}
	return raw
}

func normalizeHost(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

func isTwilioHost(h string) bool {
	h = normalizeHost(h)
	return h == "twilio.com" || strings.HasSuffix(h, ".twilio.com")
}

func (c Config) hostMap() (fallback *url.URL, hosts map[string]*url.URL, err error) {
	if c.BaseURL != "" {
		if fallback, err = parseBaseURL("Config.BaseURL", c.BaseURL); err != nil {
			return nil, nil, err
		}
	}
	hosts = make(map[string]*url.URL, len(c.BaseURLs))
	for h, raw := range c.BaseURLs {
		if !isTwilioHost(h) {
			return nil, nil, dialer.Errorf(dialer.EINVALID, "Config.BaseURLs key %q is not a Twilio host such as pricing.twilio.com", h)
		}
		u, err := parseBaseURL(fmt.Sprintf("Config.BaseURLs[%q]", h), raw)
		if err != nil {
			return nil, nil, err
		}
		hosts[normalizeHost(h)] = u
	}
	return fallback, hosts, nil
}
