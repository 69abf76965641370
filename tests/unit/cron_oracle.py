#!/usr/bin/env python3
"""Independent oracle for tests/unit/cron_test.cpp: works out the next fire times of EventBridge Scheduler cron
expressions by brute force over UTC minutes with Python's zoneinfo, from AWS's documented rules:

  - fields: minutes hours day-of-month month day-of-week(1=SUN..7=SAT) year(1970-2199);
  - L (last day of month; alone in day-of-week: Saturday), LW (last weekday), nW (nearest weekday to n, not
    crossing the month), dL (last weekday d of the month), d#n (n-th weekday d of the month);
  - DST (EventBridge Scheduler User Guide, "Daylight saving time"): a local time skipped by spring-forward does
    not fire; a local time repeated by fall-back fires once (its first occurrence). Walking UTC minutes and
    keeping only fold == 0 readings gives exactly that.

It shares no code with src/services/scheduler/cron.cpp. Run it to regenerate the table between the markers in
cron_test.cpp:  python3 tests/unit/cron_oracle.py > /tmp/rows.inc
"""
import calendar
import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def value(tok, names, lo):
    t = tok.upper()
    if names and t in names:
        return names.index(t) + lo
    return int(t)


def items(field, lo, hi, names=None):
    out = set()
    for item in field.split(","):
        step = 1
        if "/" in item:
            item, s = item.split("/")
            step = int(s)
            if item == "*":
                a, b = lo, hi
            elif "-" in item:
                a, b = (value(x, names, lo) for x in item.split("-"))
            else:
                a, b = value(item, names, lo), hi
        elif item == "*":
            a, b = lo, hi
        elif "-" in item:
            a, b = (value(x, names, lo) for x in item.split("-"))
        else:
            a = b = value(item, names, lo)
        if a <= b:
            out.update(range(a, b + 1, step))
        else:  # wraps around the field (FRI-MON, 22-2); never the year
            assert hi != 2199, "the year field does not wrap"
            seq = list(range(a, hi + 1)) + list(range(lo, b + 1))
            out.update(seq[::step])
    return out


def aws_weekday(d):  # 1 = Sunday ... 7 = Saturday
    return (d.weekday() + 1) % 7 + 1


class Cron:
    def __init__(self, text):
        body = text[len("cron("):-1].split()
        self.minutes = items(body[0], 0, 59)
        self.hours = items(body[1], 0, 23)
        self.dom = body[2]
        self.months = items(body[3], 1, 12, MONTHS)
        self.dow = body[4].upper()
        self.years = items(body[5], 1970, 2199)

    def dom_ok(self, d):
        f = self.dom.upper()
        if f in ("?", "*"):
            return True
        last = calendar.monthrange(d.year, d.month)[1]
        for it in f.split(","):
            if it == "L":
                if d.day == last:
                    return True
            elif it == "LW":
                t = last
                while dt.date(d.year, d.month, t).weekday() >= 5:
                    t -= 1
                if d.day == t:
                    return True
            elif it.endswith("W"):
                n = int(it[:-1])
                if n > last:
                    continue
                wd = dt.date(d.year, d.month, n).weekday()  # Mon=0 .. Sun=6
                t = n
                if wd == 5:
                    t = n - 1 if n > 1 else n + 2
                elif wd == 6:
                    t = n + 1 if n < last else n - 2
                if d.day == t:
                    return True
            elif d.day in items(it, 1, 31):
                return True
        return False

    def dow_ok(self, d):
        f = self.dow
        if f in ("?", "*"):
            return True
        wd = aws_weekday(d)
        last = calendar.monthrange(d.year, d.month)[1]
        if "#" in f:
            w, n = f.split("#")
            return value(w, DAYS, 1) == wd and (d.day - 1) // 7 + 1 == int(n)
        for it in f.split(","):
            if it == "L":
                if wd == 7:
                    return True
            elif it.endswith("L"):
                if value(it[:-1], DAYS, 1) == wd and d.day + 7 > last:
                    return True
            elif wd in items(it, 1, 7, DAYS):
                return True
        return False

    def day_ok(self, d):
        return d.year in self.years and d.month in self.months and self.dom_ok(d) and self.dow_ok(d)

    def next(self, zone, after, n, limit_years=40):
        """The next n fire times strictly after `after` (aware UTC datetime)."""
        out = []
        u = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        end = after + dt.timedelta(days=366 * limit_years)
        while len(out) < n and u < end and u.year <= 2200:
            local = u.astimezone(zone)
            if not self.day_ok(local.date()) or local.hour not in self.hours:
                # Every zone offset here is a multiple of 15 minutes, so local hours and days start on UTC quarters.
                u += dt.timedelta(minutes=15 - u.minute % 15)
                continue
            if local.minute in self.minutes and local.fold == 0:
                out.append(u)
            u += dt.timedelta(minutes=1)
        return out


def iso(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def rate_next(expr, anchor, after, n):
    v, unit = expr[len("rate("):-1].split()
    sec = int(v) * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
    a, t = parse(anchor), parse(after)
    out = []
    k = 0
    while len(out) < n:
        f = a + dt.timedelta(seconds=sec * k)
        if f > t:
            out.append(f)
        k += 1
    return out


def at_next(expr, zone, after):
    local = dt.datetime.strptime(expr[3:-1], "%Y-%m-%dT%H:%M:%S")
    z = ZoneInfo(zone)
    first = local.replace(tzinfo=z, fold=0)
    # A time in the spring-forward gap: the instant the gap ends.
    back = first.astimezone(UTC).astimezone(z).replace(tzinfo=None)
    if back != local:
        u = first.astimezone(UTC).replace(second=0)
        while u.astimezone(z).replace(tzinfo=None) < local:
            u += dt.timedelta(minutes=1)
        # walk back to the transition instant
        while (u - dt.timedelta(minutes=1)).astimezone(z).utcoffset() == u.astimezone(z).utcoffset():
            u -= dt.timedelta(minutes=1)
        first = u
    t = first.astimezone(UTC)
    return [t] if t > parse(after) else []


CRON_CASES = [
    # (expression, zone, start)
    ("cron(0 10 * * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(15 12 * * ? *)", "UTC", "2026-01-01T12:15:00Z"),
    ("cron(0 18 ? * MON-FRI *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 8 1 * ? *)", "UTC", "2026-01-01T08:00:30Z"),
    ("cron(0/15 * * * ? *)", "UTC", "2026-01-01T00:07:00Z"),
    ("cron(0/10 * ? * MON-FRI *)", "UTC", "2026-01-02T23:35:00Z"),
    ("cron(0/5 8-17 ? * MON-FRI *)", "UTC", "2026-01-02T17:50:00Z"),
    ("cron(0 9 ? * 2#1 *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(* * * * ? *)", "UTC", "2026-05-05T10:00:30Z"),
    ("cron(5-55/10 * * * ? *)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(0 0/6 * * ? *)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(0 0 1/10 * ? *)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(0 0 1 1/3 ? *)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(0 12 ? * 2-6/2 *)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(0 0 ? * 1,3,5,7 *)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(10,20,30 9,17 * * ? *)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(0 0 ? 2 FRI 2027)", "UTC", "2026-05-05T10:00:00Z"),
    ("cron(0 0 L * ? *)", "UTC", "2026-01-15T00:00:00Z"),
    ("cron(0 0 L 2 ? *)", "UTC", "2026-01-15T00:00:00Z"),
    ("cron(0 0 LW * ? *)", "UTC", "2026-01-15T00:00:00Z"),
    ("cron(0 0 LW 2 ? *)", "UTC", "2026-01-15T00:00:00Z"),
    ("cron(0 12 15W * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 12 1W * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 12 31W * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 12 30W * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 12 1,15 * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 12 1,L * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * 6L *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * 1L *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * FRIL *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * 1#5 *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * 6#3 *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * 2#5 *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * MON#2 *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 10 ? * L *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 1 JAN ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 29 2 ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 31 * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 30 * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 6 ? JAN,MAR,DEC MON,WED *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 6 ? * sun *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 1 jan-mar ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 ? * Mon-Fri *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 ? * Sat-Sun *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 9 ? * FRI-MON *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 22-2 * * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 22-2/2 * * ? *)", "America/Los_Angeles", "2026-03-07T00:00:00Z"),
    ("cron(0 0 1 NOV-FEB ? *)", "UTC", "2026-01-15T00:00:00Z"),
    ("cron(50-10/10 6 * * ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 ? * 7,1 *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(59 23 31 12 ? *)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 1 1 ? 2026-2028)", "UTC", "2026-06-01T00:00:00Z"),
    ("cron(0 0 1 1 ? 2199)", "UTC", "2198-06-01T00:00:00Z"),
    ("cron(30 12 L 12 ? 2197-2199)", "UTC", "2196-12-31T12:30:00Z"),
    ("cron(0 0 * * ? 1970)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 * * ? 2026)", "UTC", "2026-12-29T00:00:00Z"),
    ("cron(0 0 1 * ? 2027/2)", "UTC", "2026-01-01T00:00:00Z"),
    ("cron(0 0 1 * ? 2026,2030)", "UTC", "2026-10-15T00:00:00Z"),
    ("cron(0 0 ? * 2#1 2026)", "UTC", "2026-09-15T00:00:00Z"),
    ("cron(0 12 * * ? *)", "UTC", "2026-02-27T12:00:00Z"),
    ("cron(0 12 * * ? *)", "UTC", "2028-02-27T12:00:00Z"),
    # C25 (America/New_York)
    ("cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", "America/New_York", "2026-03-06T13:10:00Z"),
    ("cron(30-30 13-13 ? * 2,4,6 *)", "America/New_York", "2026-03-06T00:00:00Z"),
    ("cron(1-31/30 1-1 ? * 1,7 *)", "America/New_York", "2026-03-06T00:00:00Z"),
    ("cron(0 8 ? * MON-FRI *)", "America/New_York", "2026-03-06T00:00:00Z"),
    # DST in America/Los_Angeles: 2026-03-08 02:00 PST -> 03:00 PDT; 2026-11-01 02:00 PDT -> 01:00 PST
    ("cron(30 2 * * ? *)", "America/Los_Angeles", "2026-03-06T00:00:00Z"),
    ("cron(0 2 * * ? *)", "America/Los_Angeles", "2026-03-06T00:00:00Z"),
    ("cron(59 2 * * ? *)", "America/Los_Angeles", "2026-03-06T00:00:00Z"),
    ("cron(0 3 * * ? *)", "America/Los_Angeles", "2026-03-06T00:00:00Z"),
    ("cron(0 1 * * ? *)", "America/Los_Angeles", "2026-03-06T00:00:00Z"),
    ("cron(0/30 * * * ? *)", "America/Los_Angeles", "2026-03-08T09:00:00Z"),
    ("cron(0 * * * ? *)", "America/Los_Angeles", "2026-03-08T08:30:00Z"),
    ("cron(15 0-4 * * ? *)", "America/Los_Angeles", "2026-03-08T07:00:00Z"),
    ("cron(0 2 8 3 ? *)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("cron(0 2 ? 3 1#2 2026-2037)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("cron(0 1 * * ? *)", "America/Los_Angeles", "2026-10-30T00:00:00Z"),
    ("cron(30 1 * * ? *)", "America/Los_Angeles", "2026-10-30T00:00:00Z"),
    ("cron(59 1 * * ? *)", "America/Los_Angeles", "2026-10-30T00:00:00Z"),
    ("cron(0 2 * * ? *)", "America/Los_Angeles", "2026-10-30T00:00:00Z"),
    ("cron(0/30 * * * ? *)", "America/Los_Angeles", "2026-11-01T07:00:00Z"),
    ("cron(0 * * * ? *)", "America/Los_Angeles", "2026-11-01T06:30:00Z"),
    ("cron(45 1 ? * SUN *)", "America/Los_Angeles", "2026-10-20T00:00:00Z"),
    ("cron(0/30 1 * * ? *)", "America/Los_Angeles", "2026-11-01T08:00:00Z"),
    ("cron(0/30 1 * * ? *)", "America/Los_Angeles", "2026-11-01T09:10:00Z"),
    ("cron(0 6 * * ? *)", "America/Los_Angeles", "2026-03-06T00:00:00Z"),
    ("cron(0 23 * * ? *)", "America/Los_Angeles", "2026-03-06T00:00:00Z"),
    ("cron(0 6 * * ? *)", "America/Los_Angeles", "2026-10-30T00:00:00Z"),
    ("cron(0 23 * * ? *)", "America/Los_Angeles", "2026-10-30T00:00:00Z"),
    ("cron(0 0 L * ? *)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("cron(0 12 ? * 6L *)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("cron(0 9 ? * 2#1 *)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("cron(0 0 1 1 ? 2026-2027)", "America/Los_Angeles", "2026-06-01T00:00:00Z"),
    ("cron(30 2 * * ? 2027)", "America/Los_Angeles", "2027-03-13T00:00:00Z"),
    # DST in Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT
    ("cron(30 1 * * ? *)", "Europe/London", "2026-03-27T00:00:00Z"),
    ("cron(0 1 * * ? *)", "Europe/London", "2026-03-27T00:00:00Z"),
    ("cron(0 2 * * ? *)", "Europe/London", "2026-03-27T00:00:00Z"),
    ("cron(15 0-3 * * ? *)", "Europe/London", "2026-03-28T23:00:00Z"),
    ("cron(0/20 * * * ? *)", "Europe/London", "2026-03-29T00:30:00Z"),
    ("cron(30 1 * * ? *)", "Europe/London", "2026-10-23T00:00:00Z"),
    ("cron(0 1 * * ? *)", "Europe/London", "2026-10-23T00:00:00Z"),
    ("cron(15 0-3 * * ? *)", "Europe/London", "2026-10-24T22:00:00Z"),
    ("cron(0/20 1 * * ? *)", "Europe/London", "2026-10-25T00:00:00Z"),
    ("cron(0 1 ? * 1L *)", "Europe/London", "2026-01-01T00:00:00Z"),
    ("cron(0 9 ? * MON-FRI *)", "Europe/London", "2026-03-26T00:00:00Z"),
    ("cron(0 0 LW * ? *)", "Europe/London", "2026-01-01T00:00:00Z"),
    # Other zones: half- and quarter-hour offsets, southern-hemisphere DST, a 30-minute DST shift
    ("cron(0 9 * * ? *)", "Asia/Kolkata", "2026-01-01T00:00:00Z"),
    ("cron(0 0 * * ? *)", "Asia/Kathmandu", "2026-01-01T00:00:00Z"),
    ("cron(30 2 * * ? *)", "Pacific/Auckland", "2026-09-25T00:00:00Z"),
    ("cron(30 2 * * ? *)", "Pacific/Auckland", "2026-04-03T00:00:00Z"),
    ("cron(0/15 2 * * ? *)", "Pacific/Auckland", "2026-04-04T12:00:00Z"),
    ("cron(0 2 * * ? *)", "Australia/Lord_Howe", "2026-10-02T00:00:00Z"),
    ("cron(45 1 * * ? *)", "Australia/Lord_Howe", "2026-04-03T00:00:00Z"),
    ("cron(0 0 * * ? *)", "America/Sao_Paulo", "2026-10-30T00:00:00Z"),
    ("cron(0 12 ? * 2#1 *)", "Asia/Tokyo", "2026-01-01T00:00:00Z"),
    ("cron(0 0 1 * ? *)", "Australia/Sydney", "2026-03-15T00:00:00Z"),
    ("cron(30 2 ? * SUN *)", "Europe/Berlin", "2026-03-20T00:00:00Z"),
    ("cron(30 2 ? * SUN *)", "Europe/Berlin", "2026-10-20T00:00:00Z"),
    ("cron(0 0 * * ? *)", "Etc/GMT+12", "2026-01-01T00:00:00Z"),
]

RATE_CASES = [
    # (expression, zone, anchor, after)
    ("rate(5 minutes)", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("rate(1 minute)", "UTC", "2026-01-01T00:00:30Z", "2026-01-01T00:10:00Z"),
    ("rate(1 hour)", "America/Los_Angeles", "2026-03-08T08:00:00Z", "2026-03-08T08:00:00Z"),
    ("rate(2 hours)", "UTC", "2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"),
    ("rate(1 day)", "America/Los_Angeles", "2026-03-06T14:00:00Z", "2026-03-06T14:00:00Z"),
    ("rate(1 day)", "Europe/London", "2026-10-23T09:00:00Z", "2026-10-23T09:00:00Z"),
    ("rate(7 days)", "UTC", "2026-01-01T06:00:00Z", "2026-02-01T00:00:00Z"),
    ("rate(90 minutes)", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"),
]

AT_CASES = [
    # (expression, zone, after)
    ("at(2026-07-01T12:00:00)", "UTC", "2026-01-01T00:00:00Z"),
    ("at(2026-07-01T12:00:00)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("at(2026-01-15T12:00:00)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("at(2026-03-08T02:30:00)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("at(2026-11-01T01:30:00)", "America/Los_Angeles", "2026-01-01T00:00:00Z"),
    ("at(2026-07-01T12:00:00)", "UTC", "2026-07-01T12:00:00Z"),
    ("at(2024-02-29T23:59:59)", "Asia/Kolkata", "2024-01-01T00:00:00Z"),
]


def row(kind, expr, zone, start, anchor, fires):
    f = ", ".join(f'"{iso(x)}"' for x in fires)
    return f'    {{"{expr}", "{zone}", "{start}", "{anchor}", {{{f}}}}},'


def main():
    print("// BEGIN GENERATED CASES (tests/unit/cron_oracle.py)")
    print("const FireCase kCronCases[] = {")
    for expr, zone, start in CRON_CASES:
        fires = Cron(expr).next(ZoneInfo(zone), parse(start), 5)
        print(row("cron", expr, zone, start, "", fires))
    print("};")
    print("const FireCase kRateCases[] = {")
    for expr, zone, anchor, after in RATE_CASES:
        print(row("rate", expr, zone, after, anchor, rate_next(expr, anchor, after, 5)))
    print("};")
    print("const FireCase kAtCases[] = {")
    for expr, zone, after in AT_CASES:
        print(row("at", expr, zone, after, "", at_next(expr, zone, after)))
    print("};")
    print("// END GENERATED CASES")


if __name__ == "__main__":
    main()
