// Package pgerr is the error type every layer of OmenDB returns for errors a
// client should see, each carrying a PostgreSQL SQLSTATE. It is a leaf: it
// imports nothing of OmenDB's.
//
// Errors are created with their class where they arise (pgerr.New(pgerr.UndefinedTable, …))
// and wrapped with context by callers using %w. FromError, called by the
// pgwire layer and nowhere else, turns any error into the *Error sent to the
// client: errors that are not *Error (context cancellation, disk full,
// corruption) are classified there, in one place.
package pgerr

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// SQLSTATE codes used by OmenDB (PostgreSQL Appendix A).
const (
	SuccessfulCompletion          = "00000"
	Warning                       = "01000"
	FeatureNotSupported           = "0A000"
	CardinalityViolation          = "21000"
	DataException                 = "22000"
	StringDataRightTruncation     = "22001"
	NumericValueOutOfRange        = "22003"
	NullValueNotAllowed           = "22004"
	InvalidDatetimeFormat         = "22007"
	DatetimeFieldOverflow         = "22008"
	InvalidTimeZoneDisplacement   = "22009"
	DivisionByZero                = "22012"
	InvalidParameterValue         = "22023"
	InvalidTextRepresentation     = "22P02"
	InvalidBinaryRepresentation   = "22P03"
	BadCopyFileFormat             = "22P04"
	CharacterNotInRepertoire      = "22021"
	InvalidEscapeSequence         = "22025"
	ProtocolViolation             = "08P01"
	IntegrityConstraintViolation  = "23000"
	NotNullViolation              = "23502"
	ForeignKeyViolation           = "23503"
	UniqueViolation               = "23505"
	CheckViolation                = "23514"
	WithCheckOptionViolation      = "44000"
	InvalidTransactionState       = "25000"
	ActiveSQLTransaction          = "25001"
	NoActiveSQLTransaction        = "25P01"
	InFailedSQLTransaction        = "25P02"
	ReadOnlySQLTransaction        = "25006"
	InvalidSQLStatementName       = "26000"
	InvalidCursorName             = "34000"
	InvalidSavepointSpecification = "3B001"
	InvalidCatalogName            = "3D000"
	InvalidSchemaName             = "3F000"
	SerializationFailure          = "40001"
	SyntaxError                   = "42601"
	InsufficientPrivilege         = "42501"
	UndefinedColumn               = "42703"
	UndefinedFunction             = "42883"
	DuplicateFunction             = "42723"
	InvalidFunctionDefinition     = "42P13"
	UndefinedTable                = "42P01"
	UndefinedObject               = "42704"
	UndefinedParameter            = "42P02"
	DuplicateColumn               = "42701"
	DuplicateTable                = "42P07"
	DuplicateObject               = "42710"
	DuplicateSchema               = "42P06"
	ReservedName                  = "42939"
	DuplicatePreparedStatement    = "42P05"
	DuplicateCursor               = "42P03"
	AmbiguousColumn               = "42702"
	AmbiguousFunction             = "42725"
	DatatypeMismatch              = "42804"
	WrongObjectType               = "42809"
	InvalidColumnReference        = "42P10"
	GroupingError                 = "42803"
	WindowingError                = "42P20"
	InvalidObjectDefinition       = "42P17"
	InvalidTableDefinition        = "42P16"
	InvalidForeignKey             = "42830"
	StatementTooComplex           = "54001"
	InvalidColumnDefinition       = "42611"
	UndefinedCursor               = "34000"
	InvalidParameterType          = "42P18"
	IndeterminateDatatype         = "42P18"
	ObjectNotInPrerequisiteState  = "55000"
	CantChangeRuntimeParam        = "55P02"
	DependentObjectsStillExist    = "2BP01"
	LockNotAvailable              = "55P03"
	QueryCanceled                 = "57014"
	AdminShutdown                 = "57P01"
	DiskFull                      = "53100"
	OutOfMemory                   = "53200"
	ProgramLimitExceeded          = "54000"
	TooManyColumns                = "54011"
	InternalError                 = "XX000"
	DataCorrupted                 = "XX001"
	IOError                       = "58030"
)

// Error is a client-visible error with its SQLSTATE.
type Error struct {
	Code     string
	Message  string
	Detail   string
	Hint     string
	Position int32  // 1-based character position in the statement, 0 if unknown
	Severity string // "ERROR" unless set ("FATAL" closes the connection)
	cause    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error with the given SQLSTATE and formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with the given SQLSTATE whose message is msg and
// whose cause is err (kept for errors.Is/As and logs).
func Wrap(code string, err error, msg string) *Error {
	return &Error{Code: code, Message: msg, cause: err}
}

// WithDetail returns a copy of e with Detail set.
func (e *Error) WithDetail(format string, args ...any) *Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}

// WithHint returns a copy of e with Hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// WithPosition returns a copy of e with the 1-based statement position set.
func (e *Error) WithPosition(p int32) *Error {
	c := *e
	c.Position = p
	return &c
}

// NotSupported is the error for SQL OmenDB does not implement yet: it fails
// loudly with 0A000 rather than giving a wrong answer.
func NotSupported(format string, args ...any) *Error {
	return New(FeatureNotSupported, format, args...)
}

// ErrCorrupt marks data that failed a checksum or format check. Wrap it with
// the offset or file that was bad.
var ErrCorrupt = errors.New("data corrupted")

// Code returns the SQLSTATE an error maps to ("" for nil).
func Code(err error) string {
	if err == nil {
		return ""
	}
	return FromError(err).Code
}

// FromError classifies any error as the *Error sent to a client. This is the
// one place where errors without a SQLSTATE get one.
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		if pe.Message == "" {
			c := *pe
			c.Message = err.Error()
			return &c
		}
		return pe
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Code: QueryCanceled, Message: "canceling statement due to user request", cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: QueryCanceled, Message: "canceling statement due to statement timeout", cause: err}
	case errors.Is(err, syscall.ENOSPC):
		return &Error{Code: DiskFull, Message: "could not write to the log: no space left on device", cause: err}
	case errors.Is(err, ErrCorrupt):
		return &Error{Code: DataCorrupted, Message: err.Error(), cause: err}
	}
	return &Error{Code: InternalError, Message: err.Error(), cause: err}
}
