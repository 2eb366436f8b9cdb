package sql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// ServerVersionNum is the PostgreSQL version OmenDB speaks.
const (
	ServerVersionNum = "150004"
	pgVersion        = "15.4"
)

// reportedSettings are sent as ParameterStatus at startup and on change.
var reportedSettings = []string{
	"server_version", "server_version_num", "server_encoding", "client_encoding", "DateStyle",
	"IntervalStyle", "TimeZone", "integer_datetimes", "standard_conforming_strings",
	"application_name", "is_superuser", "session_authorization",
}

// settingDocs describes each setting (SHOW ALL); a name not listed here is
// not a setting (SET of an unknown name fails with 42704 unless it is a
// custom "prefix.name" setting, as in PostgreSQL).
var settingDocs = map[string]string{
	"server_version":                      "Shows the server version.",
	"server_version_num":                  "Shows the server version as an integer.",
	"server_encoding":                     "Shows the server (database) character set encoding.",
	"client_encoding":                     "Sets the client's character set encoding.",
	"DateStyle":                           "Sets the display format for date and time values.",
	"IntervalStyle":                       "Sets the display format for interval values.",
	"TimeZone":                            "Sets the time zone for displaying and interpreting time stamps.",
	"integer_datetimes":                   "Shows whether datetimes are integer based.",
	"standard_conforming_strings":         "Causes '...' strings to treat backslashes literally.",
	"application_name":                    "Sets the application name to be reported in statistics and logs.",
	"is_superuser":                        "Shows whether the current user is a superuser.",
	"session_authorization":               "Sets the session user name.",
	"search_path":                         "Sets the schema search order for names that are not schema-qualified.",
	"extra_float_digits":                  "Sets the number of digits displayed for floating-point values.",
	"statement_timeout":                   "Sets the maximum allowed duration of any statement.",
	"lock_timeout":                        "Sets the maximum allowed duration of any wait for a lock.",
	"idle_in_transaction_session_timeout": "Sets the maximum allowed idle time between queries, when in a transaction.",
	"transaction_isolation":               "Sets the current transaction's isolation level.",
	"default_transaction_isolation":       "Sets the transaction isolation level of each new transaction.",
	"transaction_read_only":               "Sets the current transaction's read-only status.",
	"default_transaction_read_only":       "Sets the default read-only status of new transactions.",
	"synchronous_commit":                  "Sets the current transaction's synchronization level.",
	"max_identifier_length":               "Shows the maximum identifier length.",
	"max_index_keys":                      "Shows the maximum number of index keys.",
	"max_function_args":                   "Shows the maximum number of function arguments.",
	"block_size":                          "Shows the size of a disk block.",
	"wal_block_size":                      "Shows the block size in the write ahead log.",
	"client_min_messages":                 "Sets the message levels that are sent to the client.",
	"datestyle":                           "",
	"bytea_output":                        "Sets the output format for bytea.",
	"max_parallel_workers_per_gather":     "Sets the maximum number of parallel processes per executor node.",
	"work_mem":                            "Sets the maximum memory to be used for query workspaces.",
	"jit":                                 "Allow JIT compilation.",
	"row_security":                        "Enable row security.",
	"synchronize_seqscans":                "Enable synchronized sequential scans.",
	"omendb.min_offset":                   "Wait until the log offset is applied before reading (read-your-writes across connections).",
	"omendb.as_of":                        "Read-only time travel: statements read the state at this log offset or timestamp (within --time-travel-window); RESET returns to the present.",
	"omendb.index_method":                 "Index structure for new indexes without USING: learned or btree.",
	"omendb.point_plans":                  "Run reads and updates of one row by its whole primary key as pre-bound point plans; off runs them through the general executor (same answers; for tests and comparisons).",
}

// ServerSettingNames are the settings a server gives its engine
// (Engine.SetServerSettings): fixed while it runs, as PostgreSQL's postmaster
// and internal parameters are; SET refuses them (55P02).
var ServerSettingNames = []string{"data_directory", "port", "listen_addresses", "ssl", "fsync", "lc_collate", "lc_ctype",
	"in_hot_standby", "cluster_name"}

func defaultSettings(e *Engine) map[string]string {
	m := baseSettings(e)
	if ss := e.serverSettings.Load(); ss != nil {
		for k, v := range *ss {
			m[k] = v
		}
	}
	return m
}

func baseSettings(e *Engine) map[string]string {
	return map[string]string{
		"server_version":                      pgVersion + " (OmenDB " + Version + ")",
		"server_version_num":                  ServerVersionNum,
		"server_encoding":                     "UTF8",
		"client_encoding":                     "UTF8",
		"DateStyle":                           "ISO, MDY",
		"IntervalStyle":                       "postgres",
		"TimeZone":                            "UTC",
		"integer_datetimes":                   "on",
		"standard_conforming_strings":         "on",
		"application_name":                    "",
		"is_superuser":                        "on",
		"session_authorization":               "omendb",
		"search_path":                         `"$user", public`,
		"extra_float_digits":                  "1",
		"statement_timeout":                   "0",
		"lock_timeout":                        "0",
		"idle_in_transaction_session_timeout": "0",
		"transaction_isolation":               "read committed",
		"default_transaction_isolation":       "read committed",
		"transaction_read_only":               "off",
		"default_transaction_read_only":       "off",
		"synchronous_commit":                  "on",
		"max_identifier_length":               "63",
		"max_index_keys":                      "32",
		"max_function_args":                   "100",
		"block_size":                          "8192",
		"wal_block_size":                      "8192",
		"client_min_messages":                 "notice",
		"bytea_output":                        "hex",
		"max_parallel_workers_per_gather":     "2",
		"work_mem":                            "4MB",
		"jit":                                 "off",
		"row_security":                        "on",
		"synchronize_seqscans":                "on",
		"omendb.min_offset":                   "0",
		"omendb.as_of":                        "",
		"omendb.index_method":                 "",
		"omendb.point_plans":                  "on",
	}
}

// canonicalSetting maps a case-insensitive name to the setting's name.
func (s *Session) canonicalSetting(name string) (string, bool) {
	if _, ok := s.settings[name]; ok {
		return name, true
	}
	for k := range s.settings {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func (s *Session) setSetting(name, value string) error {
	canon, ok := s.canonicalSetting(name)
	if !ok {
		if !strings.Contains(name, ".") {
			return pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
		canon = name
	}
	switch canon {
	case "server_version", "server_version_num", "server_encoding", "integer_datetimes", "max_identifier_length", "is_superuser",
		"max_index_keys", "max_function_args", "block_size", "wal_block_size", "lc_collate", "lc_ctype", "in_hot_standby":
		return pgerr.New(pgerr.CantChangeRuntimeParam, "parameter %q cannot be changed", canon)
	case "data_directory", "port", "listen_addresses", "cluster_name":
		return pgerr.New(pgerr.CantChangeRuntimeParam, "parameter %q cannot be changed without restarting the server", canon)
	case "ssl", "fsync":
		return pgerr.New(pgerr.CantChangeRuntimeParam, "parameter %q cannot be changed now", canon)
	case "TimeZone":
		if strings.EqualFold(value, "local") || strings.EqualFold(value, "default") {
			value = "UTC"
		}
		if _, err := time.LoadLocation(value); err != nil {
			return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", value)
		}
	case "client_encoding":
		if !strings.EqualFold(strings.ReplaceAll(value, "-", ""), "utf8") && !strings.EqualFold(value, "unicode") {
			return pgerr.NotSupported("client_encoding %q is not supported; OmenDB speaks UTF8", value)
		}
		value = "UTF8"
	case "DateStyle":
		if !strings.Contains(strings.ToUpper(value), "ISO") {
			return pgerr.NotSupported("DateStyle %q is not supported; OmenDB prints ISO dates", value)
		}
		value = "ISO, MDY"
	case "IntervalStyle":
		if value != "postgres" {
			return pgerr.NotSupported("IntervalStyle %q is not supported", value)
		}
	case "standard_conforming_strings":
		if !isOn(value) {
			return pgerr.NotSupported("standard_conforming_strings = off is not supported")
		}
		value = "on"
	case "transaction_isolation", "default_transaction_isolation":
		v := strings.ToLower(value)
		switch v {
		case "serializable":
			value = "serializable"
		case "read committed", "read uncommitted":
			value = "read committed"
		case "repeatable read":
		default:
			return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter %q: %q", canon, value)
		}
	case "omendb.as_of":
		if err := s.setAsOf(value); err != nil {
			return err
		}
	case "omendb.min_offset":
		if _, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64); err != nil {
			return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"omendb.min_offset\": %q", value).
				WithHint("Give a log offset, e.g. from omendb_commit_offset() on the writing connection.")
		}
	case "omendb.engine":
		if value != "auto" && value != "row" && value != "column" {
			return pgerr.New(pgerr.InvalidParameterValue, "omendb.engine must be auto, row or column")
		}
	case "omendb.index_method":
		if value != "" && value != "learned" && value != "btree" {
			return pgerr.New(pgerr.InvalidParameterValue, "omendb.index_method must be learned or btree")
		}
	case "omendb.point_plans":
		switch strings.ToLower(value) {
		case "on", "true", "1":
			value = "on"
		case "off", "false", "0":
			value = "off"
		default:
			return pgerr.New(pgerr.InvalidParameterValue, "omendb.point_plans must be on or off")
		}
	case "synchronize_seqscans":
		// A permission, not a promise: PostgreSQL may start a scan where
		// another one is; OmenDB's scans always start at the beginning,
		// which either value allows (pg_dump sets it off).
		switch strings.ToLower(value) {
		case "on", "true", "yes", "1":
			value = "on"
		case "off", "false", "no", "0":
			value = "off"
		default:
			return pgerr.New(pgerr.InvalidParameterValue, "parameter \"synchronize_seqscans\" requires a Boolean value")
		}
	case "statement_timeout":
		if _, err := parseDurationSetting(value); err != nil {
			return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"statement_timeout\": %q", value)
		}
	}
	s.settings[canon] = value
	s.params = nil
	if canon == "transaction_isolation" && s.txn != nil {
		s.txn.setIsolation(value)
	}
	if canon == "TimeZone" {
		s.applyTimeZone()
	}
	return nil
}

func isOn(v string) bool {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return true
	}
	return false
}

// settingValue renders a SET argument list as PostgreSQL stores it.
func settingValue(args []*pg.Node) (string, error) {
	var parts []string
	for _, a := range args {
		c := a.GetAConst()
		if c == nil {
			if tc := a.GetTypeCast(); tc != nil {
				if c2 := tc.Arg.GetAConst(); c2 != nil {
					c = c2
				}
			}
		}
		if c == nil {
			return "", pgerr.NotSupported("SET with a non-constant value is not supported")
		}
		switch v := c.Val.(type) {
		case *pg.A_Const_Sval:
			parts = append(parts, v.Sval.Sval)
		case *pg.A_Const_Ival:
			parts = append(parts, fmt.Sprint(v.Ival.Ival))
		case *pg.A_Const_Fval:
			parts = append(parts, v.Fval.Fval)
		case *pg.A_Const_Boolval:
			parts = append(parts, map[bool]string{true: "on", false: "off"}[v.Boolval.Boolval])
		}
	}
	return strings.Join(parts, ", "), nil
}

func (s *Session) showAll() [][]types.Value {
	names := make([]string, 0, len(s.settings))
	for k := range s.settings {
		names = append(names, k)
	}
	sort.Strings(names)
	var rows [][]types.Value
	for _, k := range names {
		rows = append(rows, []types.Value{types.NewText(k), types.NewText(s.settings[k]), types.NewText(settingDocs[k])})
	}
	return rows
}
