"""Strings that match an AWS model `pattern`.

The models' patterns are Java regular expressions (\\p{L}, \\u0020, …). `to_python` turns one into a Python
regular expression; `example` walks Python's parse tree of it and builds a string that matches, aiming for a
length within [min_len, max_len], and checks the result with the compiled expression. Lookarounds are not
generated from, only checked against (a candidate failing them is discarded).
"""
import re

try:  # Python 3.11+
    import re._parser as sre_parse
    import re._constants as sre_constants
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants

MAXREPEAT = sre_constants.MAXREPEAT

# Java's Unicode classes, narrowed to characters that any AWS service accepts for them.
_JAVA_CLASSES = {
    "L": "a-zA-Z\u00c0-\u00ff",
    "Z": " ",
    "N": "0-9",
    "Lu": "A-Z",
    "Ll": "a-z",
    "Alnum": "a-zA-Z0-9",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Print": " -~",
    "Graph": "!-~",
    "Space": " \\t\\n\\x0b\\f\\r",
}

_cache = {}


def to_python(pattern):
    """The Python spelling of a model's (Java) pattern; None when it cannot be compiled."""
    if pattern in _cache:
        return _cache[pattern]
    out = []
    i = 0
    depth = 0  # inside [...]
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            if n in "pP" and i + 2 < len(pattern) and pattern[i + 2] == "{":
                end = pattern.index("}", i)
                name = pattern[i + 3:end]
                cls = _JAVA_CLASSES.get(name, "a-zA-Z0-9")
                if n == "P":
                    out.append(("[^" + cls + "]") if depth == 0 else "")
                else:
                    out.append(cls if depth else "[" + cls + "]")
                i = end + 1
                continue
            if n == "u" and re.match(r"[0-9A-Fa-f]{4}", pattern[i + 2:i + 6]):
                out.append("\\u" + pattern[i + 2:i + 6])
                i += 6
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    text = "".join(out)
    try:
        compiled = re.compile(text)
    except re.error:
        compiled = None
    _cache[pattern] = compiled
    return compiled


_PREFERRED = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:/=+@ "


class _Gen:
    def __init__(self, rep, branch_pick):
        self.rep = rep
        self.branch_pick = branch_pick
        self.rot = 0

    def char_from_set(self, items):
        negate = False
        chars = set()
        ranges = []
        cats = []
        for op, av in items:
            if op is sre_constants.NEGATE:
                negate = True
            elif op is sre_constants.LITERAL:
                chars.add(chr(av))
            elif op is sre_constants.RANGE:
                ranges.append(av)
            elif op is sre_constants.CATEGORY:
                cats.append(av)

        def inside(ch):
            o = ord(ch)
            if ch in chars or any(lo <= o <= hi for lo, hi in ranges):
                return True
            for cat in cats:
                name = str(cat)
                if "NOT" in name:
                    continue
                if "DIGIT" in name and ch.isdigit():
                    return True
                if "WORD" in name and (ch.isalnum() or ch == "_"):
                    return True
                if "SPACE" in name and ch.isspace():
                    return True
            return False

        n = len(_PREFERRED)
        for k in range(n):
            ch = _PREFERRED[(self.rot + k) % n]
            if inside(ch) != negate:
                self.rot = (self.rot + k + 1) % 36  # rotate through letters and digits
                return ch
        if not negate:
            if ranges:
                return chr(ranges[0][0])
            if chars:
                return sorted(chars)[0]
        return "a"

    def gen(self, parsed):
        out = []
        for op, av in parsed:
            if op is sre_constants.LITERAL:
                out.append(chr(av))
            elif op is sre_constants.NOT_LITERAL:
                out.append("a" if chr(av) != "a" else "b")
            elif op is sre_constants.ANY:
                out.append(self.char_from_set([]) if False else "a")
            elif op is sre_constants.IN:
                out.append(self.char_from_set(av))
            elif op is sre_constants.CATEGORY:
                out.append(self.char_from_set([(op, av)]))
            elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)):
                lo, hi, sub = av
                count = max(lo, min(self.rep, hi if hi != MAXREPEAT else self.rep))
                for _ in range(count):
                    out.append(self.gen(sub))
            elif op is sre_constants.SUBPATTERN:
                out.append(self.gen(av[-1]))
            elif op is getattr(sre_constants, "ATOMIC_GROUP", None):
                out.append(self.gen(av))
            elif op is sre_constants.BRANCH:
                branches = av[1]
                out.append(self.gen(branches[self.branch_pick % len(branches)]))
            elif op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                continue
            elif op is sre_constants.GROUPREF:
                continue
        return "".join(out)


def example(pattern, min_len=None, max_len=None, hint=None):
    """A string matching `pattern` (full match) with a length in [min_len, max_len], or None.
    `hint` (a plausible value) is returned when it already fits."""
    compiled = to_python(pattern)
    if compiled is None:
        return None
    lo = min_len or 0
    hi = max_len if max_len is not None else 10 ** 9

    def fits(s):
        return s is not None and lo <= len(s) <= hi and compiled.fullmatch(s) is not None

    if hint is not None and fits(hint):
        return hint
    try:
        parsed = sre_parse.parse(compiled.pattern)
    except Exception:  # noqa: BLE001 - any parser trouble means: no example
        return None
    want = min(hi, max(lo, 3))
    first = None
    for branch in range(4):
        for rep in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128):
            s = _Gen(rep, branch).gen(parsed)
            if fits(s):
                if len(s) >= want:
                    return s
                first = first or s
    return first


def matches(pattern, value):
    """Search semantics (Smithy's patterns are not anchored); True when the pattern cannot be compiled."""
    compiled = to_python(pattern)
    if compiled is None:
        return True
    return compiled.search(value) is not None


def full_matches(pattern, value):
    compiled = to_python(pattern)
    if compiled is None:
        return True
    return compiled.fullmatch(value) is not None
