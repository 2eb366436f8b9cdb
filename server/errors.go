package server

import "github.com/omendb/omendb/pgerr"

func errNotReady(err error) error {
	e := pgerr.Wrap("57P03", err, "the database system is starting up: "+err.Error())
	e.Severity = "FATAL"
	return e
}
