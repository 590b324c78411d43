#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test: plc-st's constant folding against its generated code.

Each round generates random, well-typed ST expressions over every elementary
type and width. Every expression appears twice in one program:

  c_K : T := EXPR;      in VAR CONSTANT: plc-st must compute it at compile time
  r_K := EXPR';         in the body, EXPR with every literal replaced by a
                        variable holding it, so the generated C computes it

`plc-st sim --scans 1` prints both; they must be equal. The two sides share no
code in plc-st (the folder and the C emitter), so a wrong wrap, rounding,
conversion or shift in either shows up here. No expected values are computed
in this script: it only generates.

Usage: diff-fold.py PLC_ST [--seed N] [--rounds R] [--count C] [--keep DIR]
Exit 0 when every pair agreed, 1 on a disagreement (the expression, both
values and the seed that reproduces it are printed), 2 when plc-st failed.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

SIGNED = {"SINT": 8, "INT": 16, "DINT": 32, "LINT": 64}
UNSIGNED = {"USINT": 8, "UINT": 16, "UDINT": 32, "ULINT": 64}
BITS = {"BYTE": 8, "WORD": 16, "DWORD": 32, "LWORD": 64}
REALS = ["REAL", "LREAL"]
INTS = list(SIGNED) + list(UNSIGNED)
NUMERIC = INTS + REALS
DATES = ["DATE", "TOD", "DT"]
ALL = ["BOOL"] + INTS + list(BITS) + REALS + ["TIME"] + DATES


def width(t):
    return SIGNED.get(t) or UNSIGNED.get(t) or BITS.get(t)


def narrower_same_kind(t):
    """Types that convert implicitly to t without loss (docs/st.md: implicit conversions)."""
    for family in (SIGNED, UNSIGNED, BITS):
        if t in family:
            return [u for u in family if family[u] < family[t]]
    if t == "LREAL":
        return ["REAL"]
    return []


class Gen:
    def __init__(self, rng):
        self.rng = rng

    def int_literal(self, t):
        r = self.rng
        w = width(t)
        signed = t in SIGNED
        lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
        choice = r.random()
        if choice < 0.25:
            v = r.choice([lo, hi, 0, 1, -1 if signed else 2, lo + 1, hi - 1])
        elif choice < 0.6:
            v = r.randint(-20 if signed else 0, 20)
        else:
            v = r.randint(lo, hi)
        if t in BITS and r.random() < 0.5:
            return f"{t}#16#{v:X}"
        return f"{t}#{v}"

    def real_literal(self, t):
        r = self.rng
        choice = r.random()
        if choice < 0.2:
            v = r.choice(["0.0", "1.0", "-1.0", "0.5", "2.5", "-2.5", "1.5E10", "-3.0E-5", "0.1"])
        elif choice < 0.6:
            v = f"{r.uniform(-1000, 1000):.3f}"
        else:
            v = f"{r.uniform(-1, 1):.6f}E{r.randint(-30, 30)}"
        return f"{t}#{v}"

    def time_literal(self):
        r = self.rng
        parts = []
        for unit, top in (("d", 3), ("h", 23), ("m", 59), ("s", 59), ("ms", 999), ("us", 999), ("ns", 999)):
            if r.random() < 0.35:
                parts.append(f"{r.randint(0, top)}{unit}")
        if not parts:
            parts = [f"{r.randint(0, 5000)}ms"]
        sign = "-" if r.random() < 0.2 else ""
        return f"T#{sign}{''.join(parts)}"

    def date_literal(self, t):
        r = self.rng
        day = f"{r.randint(1970, 2261):04d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        tod = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        if r.random() < 0.4:
            tod += f".{r.randint(0, 999999999):09d}"
        return {"DATE": f"DATE#{day}", "TOD": f"TOD#{tod}", "DT": f"DT#{day}-{tod}"}[t]

    def date_expr(self, t, d):
        """DATE, TOD, DT: IEC's operators on them and their conversions (docs/st.md)."""
        r, e = self.rng, self.expr
        shift = lambda: f"({e(t, d)} {r.choice(['+', '-'])} {e('TIME', d)})"
        forms = {
            "DATE": [lambda: f"DT_TO_DATE({e('DT', d)})", lambda: f"UDINT_TO_DATE({e('UDINT', d)})"],
            "TOD": [shift, shift, lambda: f"DT_TO_TOD({e('DT', d)})",
                    lambda: f"DINT_TO_TOD({e('DINT', d)})"],
            "DT": [shift, shift, lambda: f"CONCAT_DATE_TOD({e('DATE', d)}, {e('TOD', d)})",
                   lambda: f"DATE_TO_DT({e('DATE', d)})", lambda: f"LINT_TO_DT({e('LINT', d)})"],
        }[t] + [lambda: f"{r.choice(['MIN', 'MAX'])}({e(t, d)}, {e(t, d)})",
                lambda: f"SEL({e('BOOL', d)}, {e(t, d)}, {e(t, d)})"]
        return r.choice(forms)()

    def literal(self, t):
        if t in DATES:
            return self.date_literal(t)
        if t == "BOOL":
            return self.rng.choice(["TRUE", "FALSE"])
        if t in REALS:
            return self.real_literal(t)
        if t == "TIME":
            return self.time_literal()
        return self.int_literal(t)

    def nonzero(self, t, depth):
        d = self.expr(t, depth)
        return f"SEL({d} = {t}#0, {d}, {t}#1)"

    def expr(self, t, depth):
        r = self.rng
        if depth <= 0 or r.random() < 0.2:
            return self.literal(t)
        d = depth - 1
        if t in DATES:
            return self.date_expr(t, d)
        if t == "BOOL":
            k = r.random()
            if k < 0.45:
                u = r.choice(ALL[1:])
                op = r.choice(["<", ">", "<=", ">=", "=", "<>"])
                return f"({self.expr(u, d)} {op} {self.expr(u, d)})"
            if k < 0.8:
                op = r.choice(["AND", "OR", "XOR", "&"])
                return f"({self.expr(t, d)} {op} {self.expr(t, d)})"
            if k < 0.9:
                return f"(NOT {self.expr(t, d)})"
            u = r.choice(INTS + list(BITS))
            return f"{u}_TO_BOOL({self.expr(u, d)})"
        if t == "TIME":
            k = r.random()
            if k < 0.35:
                return f"({self.expr(t, d)} {r.choice(['+', '-'])} {self.expr(t, d)})"
            if k < 0.42:
                u = r.choice(DATES)
                return f"({self.expr(u, d)} - {self.expr(u, d)})"
            if k < 0.5:
                return f"({self.expr(t, d)} * {self.expr('DINT', d)})"
            if k < 0.6:
                return f"({self.expr(t, d)} / {self.nonzero('DINT', d)})"
            if k < 0.7:
                return f"({self.expr(t, d)} * {self.expr(r.choice(REALS), d)})"
            if k < 0.85:
                u = r.choice(["DINT", "LINT", "UDINT", "INT"])
                return f"{u}_TO_TIME({self.expr(u, d)})"
            return f"{r.choice(['MIN', 'MAX'])}({self.expr(t, d)}, {self.expr(t, d)})"
        if t in REALS:
            k = r.random()
            if k < 0.4:
                return f"({self.expr(t, d)} {r.choice(['+', '-', '*', '/'])} {self.expr(t, d)})"
            if k < 0.5:
                return f"(-{self.expr(t, d)})"
            if k < 0.6:
                return f"{r.choice(['ABS', 'SQRT', 'SIN', 'COS', 'EXP', 'LN'])}({self.expr(t, d)})"
            if k < 0.7:
                return f"({self.expr(t, d)} ** {self.expr(t, d)})"
            if k < 0.85:
                u = r.choice(INTS + REALS + ["TIME"])
                if u == t:
                    return self.expr(t, d)
                return f"{u}_TO_{t}({self.expr(u, d)})"
            if k < 0.95:
                return f"{r.choice(['MIN', 'MAX'])}({self.expr(t, d)}, {self.expr(t, d)})"
            return f"SEL({self.expr('BOOL', d)}, {self.expr(t, d)}, {self.expr(t, d)})"
        # integers and bit strings
        k = r.random()
        if t in BITS:
            if k < 0.35:
                return f"({self.expr(t, d)} {r.choice(['AND', 'OR', 'XOR'])} {self.expr(t, d)})"
            if k < 0.45:
                return f"(NOT {self.expr(t, d)})"
            if k < 0.7:
                fn = r.choice(["SHL", "SHR", "ROL", "ROR"])
                return f"{fn}({self.expr(t, d)}, {r.randint(0, width(t) + 6)})"
        else:
            if k < 0.4:
                op = r.choice(["+", "-", "*"])
                other = t
                narrower = narrower_same_kind(t)
                if narrower and r.random() < 0.3:
                    other = r.choice(narrower)
                return f"({self.expr(t, d)} {op} {self.expr(other, d)})"
            if k < 0.55:
                op = r.choice(["/", "MOD"])
                return f"({self.expr(t, d)} {op} {self.nonzero(t, d)})"
            if k < 0.62 and t in SIGNED:
                return r.choice([f"(-{self.expr(t, d)})", f"ABS({self.expr(t, d)})"])
            if k < 0.7:
                return f"{r.choice(['MIN', 'MAX'])}({self.expr(t, d)}, {self.expr(t, d)})"
        if k < 0.8:
            return f"SEL({self.expr('BOOL', d)}, {self.expr(t, d)}, {self.expr(t, d)})"
        u = r.choice(["BOOL"] + INTS + list(BITS) + REALS
                     + (["TIME"] + DATES if t in ("DINT", "LINT", "UDINT", "ULINT") else []))
        if u == t:
            return self.expr(t, d)
        return f"{u}_TO_{t}({self.expr(u, d)})"


def to_runtime(expr, declare):
    """EXPR with each typed literal (and TRUE/FALSE) replaced by a fresh variable."""
    out, i = [], 0
    prefixes = sorted([t + "#" for t in ALL if t != "BOOL"] + ["T#"], key=len, reverse=True)
    while i < len(expr):
        hit = None
        for p in prefixes:
            if expr.startswith(p, i) and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] == "_")):
                hit = p
                break
        if hit:
            j = i + len(hit)
            if hit[:-1] in DATES:  # D#2024-01-31, TOD#12:30:15.5, DT#...: digits - : .
                while j < len(expr) and (expr[j].isdigit() or expr[j] in "-:."):
                    j += 1
            while j < len(expr) and (expr[j].isalnum() or expr[j] in "#.-_+"):
                # a sign belongs to the literal only right after '#', or in an exponent
                if expr[j] in "+-" and expr[j - 1] not in "#Ee":
                    break
                j += 1
            lit = expr[i:j]
            t = "TIME" if hit == "T#" else hit[:-1]
            out.append(declare(t, lit))
            i = j
            continue
        for word in ("TRUE", "FALSE"):
            if expr.startswith(word, i) and not expr[i + len(word): i + len(word) + 1].isalnum() \
                    and (i == 0 or not expr[i - 1].isalnum()):
                out.append(declare("BOOL", word))
                i += len(word)
                break
        else:
            out.append(expr[i])
            i += 1
    return "".join(out)


def make_program(rng, count):
    gen = Gen(rng)
    consts, body, vars_ = [], [], []
    exprs = []

    def declare(t, lit):
        name = f"v_{len(vars_)}"
        vars_.append(f"    {name} : {t} := {lit};")
        return name

    for k in range(count):
        t = rng.choice(ALL)
        e = gen.expr(t, rng.randint(1, 4))
        exprs.append((t, e))
        consts.append(f"    c_{k} : {t} := {e};")
        body.append(f"    r_{k} := {to_runtime(e, declare)};")
    results = [f"    r_{k} : {t};" for k, (t, _) in enumerate(exprs)]
    text = "\n".join(
        ["PROGRAM diff", "VAR CONSTANT"] + consts + ["END_VAR", "VAR"] + vars_ + results
        + ["END_VAR"] + body + ["END_PROGRAM", ""])
    return text, exprs


def run_round(plc_st, seed, count, workdir):
    rng = random.Random(seed)
    text, exprs = make_program(rng, count)
    path = os.path.join(workdir, f"diff-{seed}.st")
    with open(path, "w") as f:
        f.write(text)
    watch = ",".join(f"c_{k},r_{k}" for k in range(len(exprs)))
    p = subprocess.run([plc_st, "sim", path, "--scans", "1", "--watch", watch],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"seed {seed}: plc-st sim exited {p.returncode}\n{p.stderr}", file=sys.stderr)
        return 2
    line = p.stdout.strip().splitlines()[-1]
    values = json.loads(line)["vars"]
    low = {k.lower(): v for k, v in values.items()}
    bad = 0
    for k, (t, e) in enumerate(exprs):
        c, r = low.get(f"c_{k}"), low.get(f"r_{k}")
        if c != r:
            bad += 1
            print(f"seed {seed}: {t} {e}\n  folded: {c!r}\n  generated code: {r!r}", file=sys.stderr)
    print(f"seed {seed}: {len(exprs)} expressions, {bad} disagreements")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plc_st")
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: random, printed)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--count", type=int, default=150, help="expressions per round")
    ap.add_argument("--keep", help="write the programs here instead of a temporary directory")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    workdir = a.keep or tempfile.mkdtemp(prefix="plc-st-diff-")
    if a.keep:
        os.makedirs(workdir, exist_ok=True)
    try:
        worst = 0
        for i in range(a.rounds):
            worst = max(worst, run_round(a.plc_st, seed + i, a.count, workdir))
        if worst:
            print(f"reproduce: {sys.argv[0]} {a.plc_st} --seed {seed} --rounds {a.rounds} "
                  f"--count {a.count} --keep DIR", file=sys.stderr)
        return worst
    finally:
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
