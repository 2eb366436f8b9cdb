package funcs

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// textOut is the text output of v of type typ (NULL excluded).
func textOut(ctx *Context, v types.Value, typ types.Type) string {
	if v.K == types.KindText && typ.Enum == nil {
		return v.S
	}
	return string(types.AppendText(nil, v, typ, ctx.loc()))
}

func init() {
	register(&Func{Name: "concat", Args: t(Any), Variadic: true, Ret: text, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				var b strings.Builder
				for i, v := range a {
					if !v.IsNull() {
						b.WriteString(textOut(ctx, v, ts[i]))
					}
				}
				return txt(b.String())
			}
		}})
	register(&Func{Name: "concat_ws", Args: t(text, Any), Variadic: true, Ret: text, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				if a[0].IsNull() {
					return types.Null, nil
				}
				var b strings.Builder
				first := true
				for i, v := range a[1:] {
					if v.IsNull() {
						continue
					}
					if !first {
						b.WriteString(a[0].S)
					}
					first = false
					b.WriteString(textOut(ctx, v, ts[i+1]))
				}
				return txt(b.String())
			}
		}})
	register(&Func{Name: "format", Args: t(text), Ret: text, Volatility: Stable,
		Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
			if a[0].IsNull() {
				return types.Null, nil
			}
			return formatSQL(ctx, a[0].S, nil, nil)
		}})
	register(&Func{Name: "format", Args: t(text, Any), Variadic: true, Ret: text, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				if a[0].IsNull() {
					return types.Null, nil
				}
				return formatSQL(ctx, a[0].S, a[1:], ts[1:])
			}
		}})

	imm("quote_ident", t(text), text, func(_ *Context, a []types.Value) (types.Value, error) { return txt(QuoteIdent(a[0].S)) })
	imm("quote_literal", t(text), text, func(_ *Context, a []types.Value) (types.Value, error) { return txt(QuoteLiteral(a[0].S)) })
	register(&Func{Name: "quote_literal", Args: t(Any), Ret: text, Strict: true, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				return txt(QuoteLiteral(textOut(ctx, a[0], ts[0])))
			}
		}})
	register(&Func{Name: "quote_nullable", Args: t(text), Ret: text, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			if a[0].IsNull() {
				return txt("NULL")
			}
			return txt(QuoteLiteral(a[0].S))
		}})
	register(&Func{Name: "quote_nullable", Args: t(Any), Ret: text, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				if a[0].IsNull() {
					return txt("NULL")
				}
				return txt(QuoteLiteral(textOut(ctx, a[0], ts[0])))
			}
		}})
}

// QuoteLiteral quotes s as a string literal the way quote_literal does:
// quotes and backslashes doubled, E” syntax when s has a backslash.
func QuoteLiteral(s string) string {
	var b strings.Builder
	if strings.ContainsRune(s, '\\') {
		b.WriteByte('E')
	}
	b.WriteByte('\'')
	for _, r := range s {
		if r == '\'' || r == '\\' {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteIdent quotes s as an identifier when PostgreSQL would: when it is not
// all lower-case letters, digits and underscores starting with a letter or
// underscore, or when it is a keyword that is not unreserved.
func QuoteIdent(s string) string {
	safe := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && !reservedKeywords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedKeywords are PostgreSQL 15's keywords other than unreserved ones
// (reserved, type/function-name and column-name keywords), which
// quote_ident quotes.
var reservedKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization
		between bigint binary bit boolean both case cast char character check coalesce collate collation
		column concurrently constraint create cross current_catalog current_date current_role
		current_schema current_time current_timestamp current_user dec decimal default deferrable desc
		distinct do else end except exists extract false fetch float for foreign freeze from full grant
		greatest group grouping having ilike in initially inner inout int integer intersect interval into
		is isnull join json_array json_arrayagg json_object json_objectagg lateral leading least left like limit localtime
		localtimestamp national natural nchar none normalize not notnull null nullif numeric offset on
		only or order out outer overlaps overlay placing position precision primary real references
		returning right row select session_user setof similar smallint some substring symmetric
		system_user table tablesample then time timestamp to trailing treat trim true union unique user
		using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement
		xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		m[k] = true
	}
	return m
}()

// formatSQL implements format(): %s, %I, %L and %% with optional argument
// position (n$), the - flag and width (number, * or *n$).
func formatSQL(ctx *Context, f string, args []types.Value, ts []types.Type) (types.Value, error) {
	var b strings.Builder
	next := 0 // index of the next argument to consume
	tooFew := func() error {
		return pgerr.New(pgerr.InvalidParameterValue, "too few arguments for format()")
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return types.Null, pgerr.New(pgerr.InvalidParameterValue, "unterminated format() type specifier").
				WithHint(`For a single "%%" use "%%%%".`)
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		// [argpos$][flags][width][type]
		readNum := func() (int, bool) {
			j := i
			for j < len(f) && f[j] >= '0' && f[j] <= '9' {
				j++
			}
			if j == i {
				return 0, false
			}
			n, err := strconv.Atoi(f[i:j])
			if err != nil || n > 1<<30 {
				n = 1 << 30
			}
			i = j
			return n, true
		}
		argPos := -1
		save := i
		if n, ok := readNum(); ok {
			if i < len(f) && f[i] == '$' {
				if n == 0 {
					return types.Null, pgerr.New(pgerr.InvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
				}
				argPos = n - 1
				i++
			} else {
				i = save
			}
		}
		minus := false
		for i < len(f) && f[i] == '-' {
			minus = true
			i++
		}
		width := 0
		if i < len(f) && f[i] == '*' {
			i++
			wpos := next
			save := i
			if n, ok := readNum(); ok && i < len(f) && f[i] == '$' {
				wpos = n - 1
				i++
			} else {
				i = save
				next++
			}
			if wpos >= len(args) {
				return types.Null, tooFew()
			}
			if !args[wpos].IsNull() {
				w, err := strconv.Atoi(textOut(ctx, args[wpos], ts[wpos]))
				if err != nil {
					return types.Null, pgerr.New(pgerr.InvalidParameterValue, "width argument must be an integer")
				}
				width = w
				if width < 0 {
					minus, width = true, -width
				}
			}
			if argPos < 0 {
				argPos = next
			}
		} else if n, ok := readNum(); ok {
			width = n
		}
		if i >= len(f) {
			return types.Null, pgerr.New(pgerr.InvalidParameterValue, "unterminated format() type specifier").
				WithHint(`For a single "%%" use "%%%%".`)
		}
		conv := f[i]
		if conv != 's' && conv != 'I' && conv != 'L' {
			r, _ := utf8.DecodeRuneInString(f[i:])
			return types.Null, pgerr.New(pgerr.InvalidParameterValue, "unrecognized format() type specifier \"%c\"", r).
				WithHint(`For a single "%%" use "%%%%".`)
		}
		if argPos < 0 {
			argPos = next
		}
		if argPos >= len(args) {
			return types.Null, tooFew()
		}
		next = argPos + 1
		v := args[argPos]
		var s string
		switch conv {
		case 's':
			if !v.IsNull() {
				s = textOut(ctx, v, ts[argPos])
			}
		case 'I':
			if v.IsNull() {
				return types.Null, pgerr.New(pgerr.NullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			s = QuoteIdent(textOut(ctx, v, ts[argPos]))
		case 'L':
			if v.IsNull() {
				s = "NULL"
			} else {
				s = QuoteLiteral(textOut(ctx, v, ts[argPos]))
			}
		}
		if pad := width - utf8.RuneCountInString(s); pad > 0 {
			if minus {
				s += strings.Repeat(" ", pad)
			} else {
				s = strings.Repeat(" ", pad) + s
			}
		}
		b.WriteString(s)
	}
	return txt(b.String())
}
