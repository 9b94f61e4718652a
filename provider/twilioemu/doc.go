// Package twilioemu is a Twilio-compatible REST server: the subset of
// api.twilio.com and pricing.twilio.com that the dialer uses, served over
// HTTP on 127.0.0.1 so that the real Twilio adapter (twilio-go underneath)
// can talk to it unchanged. It backs the app's sandbox mode, the tests, and
// `dialer emulator --listen 127.0.0.1:PORT`.
//
// # What is emulated
//
// Both hosts share one listener (their paths do not collide):
//
//	GET    /2010-04-01/Accounts/{AC}/AvailablePhoneNumbers/{US|CA}/Local.json
//	POST   /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json         buy (PhoneNumber or AreaCode)
//	GET    /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json         list, paged
//	GET    /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/{PN}.json
//	POST   /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/{PN}.json    FriendlyName, VoiceUrl, VoiceMethod, StatusCallback(Method)
//	DELETE /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/{PN}.json    204
//	POST   /2010-04-01/Accounts/{AC}/Calls.json                        create
//	GET    /2010-04-01/Accounts/{AC}/Calls.json                        list, newest first; ParentCallSid, Status, To, From
//	GET    /2010-04-01/Accounts/{AC}/Calls/{CA}.json
//	POST   /2010-04-01/Accounts/{AC}/Calls/{CA}.json                   Twiml or Url (redirect), Status=completed|canceled
//	GET    /2010-04-01/Accounts/{AC}/Balance.json
//	GET    /v1/PhoneNumbers/Countries/{US|CA}                          monthly number prices
//	GET    /v2/Voice/Numbers/{E164}?OriginationNumber=                 per-minute rate
//
// Requests authenticate with HTTP basic auth: the account SID and auth
// token, or an API key SID ("SK...") and its secret (Config.APIKeys).
// Missing or wrong credentials answer 401, code 20003. Another account's
// SID in the path, an unknown SID or an unknown path answer 404, code
// 20404. Errors are Twilio's JSON body: {"code", "message", "more_info",
// "status"}. Lists carry Twilio's paging envelope (page, page_size, start,
// end, uri, first_page_uri, next_page_uri, previous_page_uri; next_page_uri
// is null on the last page); PageSize defaults to 50, at most 1000, and
// Page selects the page (PageToken is accepted and ignored). Timestamps are
// RFC 2822 in UTC ("Tue, 31 Aug 2010 20:36:28 +0000"), SIDs are the right
// prefix plus 32 hex digits, uri fields are relative, api_version is
// "2010-04-01". JSON shapes follow Twilio's (null where Twilio sends null)
// and decode with twilio-go v1.31.0's models; the package tests prove it
// through twilio-go itself.
//
// # Numbers
//
// Every geographic US and Canadian area code known to package dialer/nanp
// offers a finite pool of Config.PoolSize numbers (20 by default), drawn
// deterministically from Config.Seed and the area code. Pool numbers are
// valid for libphonenumber, in real exchanges of the area code; their
// locality is the exchange's city per libphonenumber's geocoding (else the
// area code's main locality), their region the area code's state or
// province. No pool number ends in 1111, 2222, 3333, 4444 or 5555 (see the
// callee rules). A number once sold never returns to its pool, even after
// release (Twilio quarantines released numbers), so buying a pool empty
// gives "none available". Config.EmptyAreaCodes (default 907, Alaska) are
// valid but offer nothing.
//
// Search filters: AreaCode, InRegion, InLocality (case-insensitive), Contains
// (digits, letters as keypad digits, '*' for any digit, matched anywhere in
// the E.164 digits), NearNumber with Distance (miles, default 25, at most
// 500, measured between region centres: same area code first, then area
// codes of regions within Distance). VoiceEnabled, SmsEnabled, MmsEnabled,
// ExcludeAllAddressRequired (and the other Exclude*) and Beta filter
// nothing: every number has voice, SMS and MMS, no fax, requires no address
// and is not beta. InPostalCode, InRateCenter, InLata, NearLatLong and
// FaxEnabled=true find nothing: the emulator has no such data.
// postal_code, lata and rate_center are null; latitude and longitude are
// strings, as Twilio sends them, and are the region's approximate centre.
// Searching a country other than US or CA answers 404. Available numbers
// come on one page (next_page_uri null).
//
// Buying: by AreaCode, the first unsold number of the pool; 21451 for an
// unknown area code, 21422 when none is left. By PhoneNumber, an unsold
// number of a pool; 21421 for an invalid number, 21422 for a valid one not
// on offer. Neither given: 21421. A number the account already owns answers
// 201 with the existing resource and no charge (as Twilio has been seen to
// do). Each purchase takes the country's local monthly price from the
// balance at once.
//
// # Magic numbers (Twilio test credentials, honoured with any credentials)
//
//	buy PhoneNumber +15005550000   21422 not available
//	buy PhoneNumber +15005550001   21421 invalid
//	buy PhoneNumber +15005550006   succeeds (usable as a caller ID; no pool, no region)
//	call To   +15005550001         21217 invalid
//	call To   +15005550002         21214 cannot be routed
//	call To   +15005550003         21215 no (international) permission
//	call To   +15005550004         21216 blocked
//	call From +15005550001         21212 invalid caller ID
//	call From +15005550006         always allowed
//
// Other call validation: To missing 21201, From missing 21213, neither Url
// nor Twiml 21205, ApplicationSid 21218 (not emulated), invalid To 21211,
// To outside the US and Canada 21215, invalid From 21212, From not owned by
// the account 21210, TwiML that does not parse or uses a verb outside the
// subset below 12100 (status 400; Twilio reports bad TwiML later, as a call
// notification), an invalid StatusCallbackEvent 21626.
//
// # Calls and callee rules
//
// A created call is queued, rings after QueueDelay (1 s), and what happens
// next depends on the last four digits of the number called (the agent's
// phone is just another number under the same rules):
//
//	...1111  busy after 1 s of ringing
//	...2222  no-answer after the ring Timeout (Timeout param, default 60 s; Dial timeout, default 30 s)
//	...3333  voicemail: answers after RingTime, hangs up after MachineTime (20 s)
//	...4444  failed, without ringing
//	...5555  answers like a human but never presses a key
//	others   a human: answers after RingTime (3 s), presses GatherDigits ("1")
//	         KeyDelay (1 s) after a <Gather>'s prompts, hangs up after TalkTime (90 s)
//
// A Timeout not longer than RingTime gives no-answer. TimeLimit (default
// 4 h) also ends an answered call. answered_by is set only when the call
// asked for MachineDetection: "human" for humans, "machine_end_beep" for
// voicemail with DetectMessageEnd, "machine_start" with Enable. When the
// TwiML runs out the call completes. start_time is the answer time for an
// answered call (so duration = end_time - start_time) and the time ringing
// began otherwise; duration is null while the call is live and "0" for an
// ended unanswered call. Updating with Status=completed hangs up (canceled
// if not yet answered); Status=canceled ends a queued or ringing call and
// leaves an answered one alone; updating an ended call answers 400, code
// 21220. Updating with Twiml or Url replaces what the call is doing,
// interrupting a Say, Pause or Dial (whose child leg hangs up).
//
// # TwiML subset (encoding/xml)
//
//	<Say loop>          takes 1 s per 15 characters (at least 1 s), times loop
//	<Pause length>      length seconds (default 1)
//	<Play loop>         5 s per loop
//	<Gather numDigits action method timeout>  with nested Say/Pause/Play;
//	                    the callee's digits are sent to action (default: the
//	                    document URL; inline TwiML has none, so the digits are
//	                    lost and the call goes on), whose TwiML replaces the
//	                    document. No key within timeout (default 5 s): next verb.
//	<Dial callerId timeout timeLimit action method answerOnBridge>
//	    <Number statusCallback statusCallbackEvent statusCallbackMethod>E164</Number>
//	                    (or a bare number). Creates a child leg: direction
//	                    "outbound-dial", parent_call_sid set, From = callerId
//	                    (default the parent's From), which must be owned, else
//	                    the Dial fails with no leg. The parent waits until the
//	                    child ends, then posts DialCallStatus, DialCallSid,
//	                    DialCallDuration, DialBridged to action (and runs its
//	                    TwiML) or goes on with the next verb. When the parent
//	                    ends, its child ends too. Only the first <Number> is
//	                    dialled; answerOnBridge changes nothing (the parent is
//	                    answered already).
//	<Redirect method>   fetches a new document
//	<Hangup/>, <Reject/> end the call (completed)
//
// A Url on create (or update) is fetched, signed, when the call is answered.
// A document that cannot be fetched (or is not 2xx, or does not parse)
// hangs the call up.
//
// # Webhooks
//
// Gather and Dial actions, Url and Redirect fetches, and status callbacks
// are signed as Twilio signs them (X-Twilio-Signature: base64 HMAC-SHA1,
// keyed by the auth token, of the URL followed by the sorted POST
// parameters; see Signature), and carry AccountSid, ApiVersion, CallSid,
// CallStatus, Called, Caller, Direction, From, To, and ParentCallSid for a
// child leg. Status callbacks (StatusCallback on the call, statusCallback on
// <Number>) are posted in order, one call at a time, for the events asked
// (initiated, ringing, answered, completed; "completed" alone when none is
// named) with CallStatus "initiated", "ringing", "in-progress" and the final
// status, CallbackSource, SequenceNumber, Timestamp, and CallDuration on
// completion. GET is honoured as a method (parameters in the query). Each
// request is bounded by WebhookTimeout (15 s). Failures are logged, never
// retried.
//
// # Prices and balance
//
// Money is exact (dialer.Amount, never float64). Outbound calls to the US
// and Canada cost 0.0140 USD per started minute of duration, per leg (the
// parent and its child are priced separately). A leg's price stays null
// until PriceDelay (30 s) after it ended, then becomes a negative
// five-decimal string ("-0.02800", price_unit "USD"); unanswered legs are
// priced "0.00000". The balance (default 20.00 USD) falls by each price as
// it appears and by 1.15 USD for each number bought. The balance may go
// negative: the emulator never suspends the account. Pricing v1 lists US
// and CA numbers at 1.15 (local) and 2.15 (toll free) USD a month; other
// countries answer 404. Pricing v2 answers US and CA destinations with
// outbound_call_prices [{"base_price": "0.014", "current_price": "0.014",
// "origination_prefixes": ["ALL"]}] and inbound_call_price with null
// prices, exactly as Twilio's examples show: twilio-go v1.31.0's
// FetchVoiceNumber cannot decode that ("unhandled input type for float32");
// decode the body yourself.
//
// # Time
//
// One clock drives everything: emulated time starts at the wall clock (or
// at the saved emulated time, if later) and runs 1/TimeScale times as fast.
// All delays above are emulated time: with TimeScale 0.01 a 90 s talk lasts
// 900 ms. Timestamps and durations in the API are emulated time, so with a
// small TimeScale they run ahead of the wall clock.
//
// # Fault injection and observation
//
// In Go: FailNextPurchase(code), RateLimitNext(n) (429, code 20429,
// Retry-After: 1), FailNext5xx(n) (500 code 20500, then 503 code 20503,
// alternately), SetLatency(d), DropNextConnection() (the next request
// closes its TCP connection unanswered and does nothing; Go's transport
// retries an idempotent request on a reused connection once, so GETs
// usually recover transparently), PurchaseAfterDrop() (the next purchase
// happens, then the connection closes unanswered), SetNullBalance(on)
// (until cleared, the Balance resource answers "balance": null, as Twilio
// does for subaccounts; the balance still changes underneath),
// SetAnswerRate(callerID, rate) (callees answer only that share of the
// <Dial> legs from the caller ID, deterministically: of the first n legs
// exactly ⌊n×rate⌋; the others end no-answer), Requests()
// and ResetRequests(). PlaceInbound(Inbound{From, To, Hold}) rings an
// owned number from outside: the call (direction "inbound", priced at
// 0.0085 USD a minute) fetches the number's VoiceUrl, signed, with
// CallStatus "ringing", is in progress from then on, and follows the
// TwiML; a <Dial> in it may use the caller's number as callerId, as
// Twilio allows when forwarding. The caller hangs up after Hold (TalkTime
// by default). Faults hit API requests in this order: drop, 5xx,
// rate limit; latency applies to each. FailNextPurchase answers the code's HTTP
// status: 401 for 20003, 403 for 10002, 429 for 20429, 400 otherwise.
//
// Over HTTP, for standalone use, with the same basic auth (never faulted or
// recorded themselves):
//
//	POST /_emulator/fail-next-purchase    {"code": 21631}
//	POST /_emulator/rate-limit-next       {"n": 2}
//	POST /_emulator/fail-next-5xx         {"n": 1}
//	POST /_emulator/latency               {"latency": "250ms"} or {"latency_ms": 250}
//	POST /_emulator/drop-next-connection
//	POST /_emulator/purchase-after-drop
//	POST /_emulator/null-balance          {"on": true}; {"on": false} (or {}) clears it
//	POST /_emulator/inbound               {"from": "+14155550123", "to": "+1415...", "hold": "45s"}: {"sid": "CA..."}
//	POST /_emulator/answer-rate           {"caller_id": "+14155550100", "rate": 0.1}; rate 1 clears it
//	GET  /_emulator/requests              {"requests": [{"method", "path", "params", "status"}]}
//	POST /_emulator/reset-requests
//	POST /_emulator/save                  writes the state file (no-op without StatePath)
//
// # State
//
// With Config.StatePath, New loads the file and Save (and Close) replace it
// atomically (temporary file, fsync, rename; mode 0600): owned numbers,
// ended calls with their prices, the balance, SID counters (SIDs never
// repeat), pool consumption and the emulated clock. Live calls are not
// saved: Close hangs them up first. The file holds no credentials and is
// refused by another account.
//
// # Deviations from Twilio
//
// Beyond those named above: no queueing at one call per second (queue_time
// is "0"); no recordings, conferences, SIP or clients; inbound calls only
// through PlaceInbound; the
// status callback for "initiated" is sent when the call is created; errors
// in fetched TwiML hang up silently instead of playing Twilio's
// application-error message; the API's request parameters are not
// validated beyond what is listed (unknown parameters are ignored, as
// Twilio does).
package twilioemu
