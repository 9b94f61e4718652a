// Package dialer is the domain at the centre of the program: contacts, agents,
// the number inventory, charges, calls and their legs, the policies that govern
// them, and the Store and Provider interfaces those policies need.
//
// It imports no UI, no SQL driver and no Twilio package. store/, provider/*
// and ui/ import it; cmd/dialer wires them together.
package dialer
