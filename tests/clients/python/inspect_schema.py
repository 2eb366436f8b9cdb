"""Reflects the schema of the database in $PGDATABASE (PG* environment
variables) with SQLAlchemy's PostgreSQL inspector and MetaData.reflect and
prints what they return as JSON; tests/clients compares OmenDB's answers
with PostgreSQL's. Lists whose order the inspector does not define (its
queries have no ORDER BY) are sorted; SQLAlchemy type objects are printed
with repr()."""
import json
import sys

from sqlalchemy import MetaData, create_engine, inspect

engine = create_engine("postgresql+psycopg2://")  # libpq reads PG*
insp = inspect(engine)
out = {}


def call(name, f, *args):
    try:
        out[name] = f(*args)
    except Exception as e:  # reported, and so compared
        out[name] = "ERROR %s: %s" % (type(e).__name__, str(e).splitlines()[0])


def rec(x):
    """JSON-able form: types by repr, dicts and lists recursively."""
    if isinstance(x, dict):
        return {k: rec(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [rec(v) for v in x]
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return repr(x)


call("schema_names", lambda: sorted(insp.get_schema_names()))
call("table_names", lambda: sorted(insp.get_table_names()))
call("view_names", lambda: sorted(insp.get_view_names()))  # materialized views too
call("sequence_names", lambda: sorted(insp.get_sequence_names()))
rels = sorted(insp.get_table_names()) + sorted(insp.get_view_names())
for t in rels:
    call(t + ".columns", insp.get_columns, t)
    call(t + ".pk_constraint", insp.get_pk_constraint, t)
    call(t + ".foreign_keys", lambda t=t: sorted(insp.get_foreign_keys(t), key=lambda k: k["name"]))
    call(t + ".indexes", lambda t=t: sorted(insp.get_indexes(t), key=lambda k: k["name"]))
    call(t + ".unique_constraints", lambda t=t: sorted(insp.get_unique_constraints(t), key=lambda k: k["name"]))
    call(t + ".check_constraints", lambda t=t: sorted(insp.get_check_constraints(t), key=lambda k: k["name"]))
    call(t + ".table_comment", insp.get_table_comment, t)
for v in sorted(insp.get_view_names()):
    call(v + ".view_definition", insp.get_view_definition, v)


def reflect():
    md = MetaData()
    md.reflect(engine, views=True)
    tables = {}
    for t in md.sorted_tables:
        cols = []
        for c in t.columns:
            default = c.server_default
            if default is not None:  # a DefaultClause's text, or an Identity
                default = getattr(default.arg, "text", repr(default.arg)) if hasattr(default, "arg") else repr(default)
            cols.append([c.name, repr(c.type), c.nullable, c.primary_key, c.autoincrement, default, c.comment,
                         repr(c.identity) if getattr(c, "identity", None) is not None else None])
        cons = sorted([type(k).__name__, k.name, sorted(c.name for c in k.columns)] for k in t.constraints
                      if type(k).__name__ != "CheckConstraint")
        fks = sorted([f.parent.name, f.target_fullname, f.constraint.name, f.ondelete, f.onupdate] for f in t.foreign_keys)
        idx = sorted([i.name, i.unique, [c.name for c in i.columns]] for i in t.indexes)
        checks = sorted(k.name for k in t.constraints if type(k).__name__ == "CheckConstraint")
        tables[t.name] = {"columns": cols, "constraints": cons, "foreign_keys": fks, "indexes": idx,
                          "checks": checks, "comment": t.comment}
    # The dependency order of the tables (foreign keys first).
    return {"tables": tables, "order": [t.name for t in md.sorted_tables]}


call("reflect", reflect)
json.dump(rec(out), sys.stdout, indent=1, sort_keys=True)
