"""Call sites write ``?`` placeholders (qmark); drivers with the ``format`` paramstyle
(psycopg2) want ``%s`` and a literal ``%`` doubled. ``to_format`` rewrites a statement,
leaving quoted strings, quoted identifiers and comments untouched.

It knows standard SQL quoting ('...' with '' inside, "..." with "" inside, -- and /* */
comments); PostgreSQL's dollar quoting, E'' escapes and the jsonb ``?`` operators are not
used by activation SQL and are not recognised.
"""

from __future__ import annotations


def to_format(sql: str) -> str:
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in ("'", '"'):
            end = sql.find(char, i + 1)
            end = n if end < 0 else end + 1
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        else:
            out.append("%s" if char == "?" else "%%" if char == "%" else char)
            i += 1
    return "".join(out)
